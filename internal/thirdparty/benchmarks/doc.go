// Package benchmarks measures reconnect.Conn against raw coder/websocket in
// the same run. It holds only tests and benchmarks; see BENCHMARKS.md at the
// repository root for the commands and the results.
//
// The echo and discard server runs in a separate process (the test binary
// re-executed with WSBENCH_SERVER=1), so B/op and allocs/op are the
// client's alone. Every benchmark has a raw sub-benchmark (coder/websocket
// alone) and one or more wrapped ones (read: a Conn read with Read;
// handler: a Conn with OnMessage):
//
//	BenchmarkEcho/raw|read|handler|raw-hop  one 64 B text message in flight; p50/p99 round trip
//	BenchmarkFeed/raw|read|handler          the server pushes 64 B messages; msgs/s received
//	BenchmarkStream/64B|4KiB/raw|wrapped    back-to-back writes, timed to the server's count
//	BenchmarkDial/raw|wrapped               connect, handshake, close handshake
//	BenchmarkRecover/raw|wrapped            1012 from the server to the next message read
//	BenchmarkDeadPeer/wrapped               blackholed connection to detection (toxiproxy)
//	BenchmarkIdle/raw|wrapped               heap, stack and goroutines per idle connection
package benchmarks
