// Package reconnect is a WebSocket connection that survives drops,
// restarts and refusals. Dial once; Read and Write carry on across any
// number of reconnects; the Conn stops exactly when its policy says so,
// with an *Error that says why.
//
//	c, err := reconnect.Dial(ctx, "wss://example.com/feed", nil)
//	if err != nil {
//		return err // *reconnect.Error: terminal, gave up or canceled
//	}
//	defer c.Close(websocket.StatusNormalClosure, "")
//	for {
//		typ, p, err := c.Read(ctx)
//		...
//	}
//
// # Lifecycle
//
// A Conn moves through the states Connecting (the first connect),
// Connected, Reconnecting (between connections) and Closed. One supervisor
// goroutine per Conn repeats:
//
//  1. dial one attempt, bounded by Options.DialTimeout;
//  2. run Options.OnConnect (an error fails the attempt);
//  3. flush the send buffer in order, then let Write through;
//  4. read until the connection ends, answering pings and pinging every
//     Options.PingInterval;
//  5. classify the end or the failed attempt with the policy;
//  6. stop, or wait the longer of the backoff and the decision's minimum
//     delay, and go to 1.
//
// The backoff, the attempt count and the outage clock start over only after
// a connection stayed up for Options.MinUptime, so a server that accepts
// and closes at once is not hammered. Policy.MaxAttempts and
// Policy.MaxOutage count from that point too.
//
// Dial returns when the first connection is up and OnConnect succeeded; its
// ctx bounds that first connect only, as for websocket.Dial.
//
// # Ending
//
// A Conn ends when the policy stops (KindTerminal: a 1008 close, a 401
// handshake, an untrusted certificate), a give-up limit is reached
// (KindGaveUp), the application calls Close or CloseNow (KindClosed), or
// the ctx given to Dial ends during the first connect (KindCanceled). The
// final *Error unwraps to the cause, so errors.Is(err, context.Canceled),
// errors.As(err, &websocket.CloseError{}) and websocket.CloseStatus(err)
// work on it; errors.Is(err, ErrTerminal), ErrGaveUp and net.ErrClosed
// tell the kinds apart. Error texts never hold URL userinfo or query
// values.
//
// Messages still in the send buffer when the Conn ends are returned by
// Undelivered. A message accepted by Write on a live connection can still
// be lost if the connection drops before the peer reads it; use
// application acknowledgements where that matters.
//
// # Goroutines and what may block
//
// An idle Conn keeps one goroutine: the supervisor, which is also the
// connection's only reader, so control frames are handled even when the
// application does not call Read. The heartbeat runs from a timer callback
// only while a ping is due. A short-lived goroutine flushes the send buffer
// after a reconnect, and another runs each dial while the supervisor waits
// for it. Close and CloseNow return after all of them have returned.
//
// OnConnect runs on the supervisor goroutine; the Conn does nothing else
// while it runs. Observer.OnEvent is called on the supervisor goroutine,
// outside any lock, never on the Read or Write path; a slow observer delays
// reconnects, so it must not block. Read blocks until a message arrives,
// ctx ends or the Conn ends. Write blocks only on the network, or in
// SendBlock mode until a connection is up.
//
// Because the supervisor reads, each received message is handed to Read
// over a channel: no allocation, but one goroutine wake-up per message,
// which added about a third to a 40 µs loopback round trip (BENCHMARKS.md)
// and is lost in any real network's latency. Write goes straight to the
// connection.
//
// While a received message waits for Read, the reader cannot take the next
// frame: the Conn applies backpressure to the server rather than buffering
// without bound, and pings are skipped so a slow application is not taken
// for a dead peer.
//
// # Observing
//
// Options.Observer receives every attempt, connection, disconnection (with
// its policy.Decision), wait and give-up. Package otelwrap turns them into
// OpenTelemetry spans and metrics. A log/slog observer is a few lines:
//
//	obs := reconnect.ObserverFunc(func(e reconnect.Event) {
//		slog.Info("websocket", "event", e.Kind, "gen", e.Generation,
//			"attempt", e.Attempt, "decision", e.Decision.String(),
//			"delay", e.Delay, "err", e.Err)
//	})
//	c, err := reconnect.Dial(ctx, url, &reconnect.Options{Observer: obs})
package reconnect
