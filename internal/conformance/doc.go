// Package conformance is an offline client-conformance suite in the spirit
// of the Autobahn TestSuite's fuzzing server: a server that writes raw
// frames and plays the client-relevant case groups (echo, ping and pong,
// reserved bits, opcodes, fragmentation, UTF-8, close codes), and the
// tests that run each case through raw coder/websocket and through
// reconnect.Conn in each of its reading modes, then compare.
//
// A Case's Play is the server's side; it returns a trace of what the
// client did ("pong, echo, close 1000"). Want is the trace this stack
// gives, RFC the one RFC 6455 asks for; where they differ the report marks
// the case INFORMATIONAL and says why (coder/websocket does not validate
// UTF-8, as its own Autobahn run excludes those cases).
//
// Run it with go test -v ./internal/conformance/ to print the report.
package conformance
