// Package conformance is an offline client-conformance suite in the spirit
// of the Autobahn TestSuite's fuzzing server, which needs Docker and
// Python 2: a server that writes raw frames and plays the client-relevant
// case groups (1 echo from 0 bytes to 16 MiB, 2 ping and pong, 3 reserved
// bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close codes and reasons),
// and tests that run each case through raw coder/websocket and through
// reconnect.Conn read four ways (Read, Read with a ctx that cannot end,
// OnMessage, Read with the heartbeat pinging every millisecond) and on the
// connection a rotation makes.
//
// A Case's Play is the server's side; it returns a trace of what the
// client did ("pong, echo, close 1000"). Want is the trace this stack
// gives, RFC the one RFC 6455 asks for where they differ (the report marks
// those INFORMATIONAL: coder/websocket does not validate UTF-8, as its own
// Autobahn run excludes those cases), and NonStrict a trace Autobahn also
// accepts. A reconnect.Conn path passes when the server saw Want (or
// NonStrict), the policy decided Decision, and the application received
// exactly the messages raw coder/websocket did.
//
// Decisions: a server that closes with 1002 or 1007 stops the Conn
// (terminal). Where the client finds the violation itself (a reserved bit
// or opcode, a bad fragment, a control frame over 125 bytes, an invalid
// close code or payload) coder/websocket sends 1002 and fails the read
// with an error of no particular type. A reconnect.Conn sees its
// connection send that 1002 and stops too (protocol_violation): a server
// that sent those frames will send them again. Raw coder/websocket's
// error alone classifies, by type only, as an abnormal closure
// (close_1006, retryable); the report's decision column is the Conn's.
// A stop must also end the Conn by itself, terminal, with no attempt
// after it; on the rotation path a stop before the switch is a failed
// rotation, which keeps the old connection and dials nothing more.
//
// Run it with go test -v ./internal/conformance/ to print the report.
package conformance
