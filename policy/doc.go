// Package policy decides what a WebSocket client does after its connection
// ends or an attempt to connect fails: reconnect, after how long, or stop
// and say why.
//
// The entry point is Policy.Classify. It takes what a failed Read, Write,
// Ping or websocket.Dial gave you (the error, and the *http.Response that
// websocket.Dial returns when the handshake fails) and returns a Decision:
// a Category (terminal, retryable or application-defined), an Outcome
// (Retry or Stop), the close code or HTTP status behind it, an optional
// minimum delay and spread, and a low-cardinality Label for metrics (the
// Label constants), plus the facts a client acts on: EndpointOnly (another
// endpoint may succeed) and Drop (the connection went away under it).
// Classification reads types only (websocket.CloseStatus, errors.Is and
// errors.As, resp.StatusCode), never error text.
//
// A Policy is plain data: the zero value works and behaves as Default(), every
// field states its default, and hooks (Classifier, AppRules.Func,
// NewBackoff) are nil-able funcs whose defaults are exported to wrap.
//
// # Close codes
//
//	code       name                    category       outcome   label
//	1000       normal closure          terminal       stop      close_1000 (RetryNormalClosure: retryable, retry)
//	1001       going away              retryable      retry     close_1001
//	1002       protocol error          terminal       stop      close_1002
//	1003       unsupported data        terminal       stop      close_1003
//	1005       no status (empty frame) retryable      retry     close_1005
//	1006       abnormal closure        retryable      retry     close_1006
//	1007       invalid payload data    terminal       stop      close_1007
//	1008       policy violation        terminal       stop      close_1008
//	1009       message too big         terminal       stop      close_1009
//	1010       mandatory extension     terminal       stop      close_1010
//	1011       internal error          retryable      retry     close_1011
//	1012       service restart         retryable      retry     close_1012, Spread = RestartSpread (5 s)
//	1013       try again later         retryable      retry     close_1013, MinDelay = TryAgainLaterDelay (5 s)
//	1014       bad gateway             retryable      retry     close_1014
//	1015       TLS failure             terminal       stop      close_1015 (a dial error in practice: label tls)
//	3000-4999  application             app-defined    App       close_app, Spread = RestartSpread for App.SpreadCodes
//	other      0-999, 1004, 1016-2999, 5000+: invalid on the wire, treated as 1006: retry, close_invalid
//
// coder/websocket rejects a close frame with an invalid code (or 1005, 1006,
// 1015 on the wire) before any code reaches Classify: it fails the read with
// a protocol error and no CloseError, so a real server sending 5000 yields
// close_1006, or protocol_violation where ErrProtocolViolation marks it
// (below). close_invalid appears only for a CloseError built by hand (a
// custom Dialer, a test) and keeps such codes out of metric labels.
//
// 1006 is never sent on the wire, and coder/websocket never reports it:
// Classify synthesises it for a connection that ended without a valid close
// frame (io.EOF, io.ErrUnexpectedEOF, ECONNRESET, a missed pong). A message
// over the read limit (websocket.ErrMessageTooBig) is classified as 1009.
//
// Where the client finds the violation itself (a reserved bit or opcode, a
// bad fragment, a control frame over 125 bytes, an invalid close code or
// payload), coder/websocket sends 1002 and fails the read with an error of
// no particular type, which alone classifies as 1006. An error wrapping
// ErrProtocolViolation is that case told apart, whatever CloseError it
// also wraps: terminal, stop, Code 1002, label protocol_violation, as a
// 1002 from the server is (it would send the same frames again).
// reconnect.Conn wraps it when it saw its connection send that 1002; a
// caller of coder/websocket alone cannot tell.
//
// Application codes go through Policy.App: its Codes map first, then its
// Ranges, then its Func, then its Default (Stop). A retry after one of its
// SpreadCodes, codes a server sends to all its clients at once, gets
// RestartSpread as Decision.Spread, as 1012 does. Centrifugo and GraphQLWS
// return the rules of those servers as presets; Centrifugo spreads 3001
// shutdown and 3010 insufficient state.
//
// # Credentials
//
// A decision whose cause is a rejected or expired credential has Auth set:
// a 401 or 403 handshake, and the application codes in App.AuthCodes
// (Centrifugo: 3005 connection expired, 3500 invalid token; graphql-ws:
// 4401 Unauthorized, 4403 Forbidden). Auth leaves the outcome alone: a
// dead credential must never be retried blind. A client that can fetch a
// fresh one (reconnect.Options.Target) retries once with it, and stops
// when the same failure comes again right after.
//
// # Handshake
//
// A failed handshake is classified by resp.StatusCode, never by the error
// text: 408, 425, 429 and 5xx retry (label handshake_503 and so on); other
// 4xx stop; 3xx stop with the redirect target in Decision.Location
// (userinfo and query removed); any other non-101 status stops. A 101 with
// an error (bad Sec-WebSocket-Accept, unexpected subprotocol) stops as
// handshake_protocol. A Retry-After header on a retryable status, in
// delta-seconds or HTTP-date form, becomes Decision.MinDelay, capped by
// MaxRetryAfter (5 min); an empty, malformed, negative, zero, past or
// absurdly large value is ignored, never an error or a panic.
//
// # Dial and network errors
//
//	connection refused                        retry   dial_refused, Spread = RefusedSpread (500 ms)
//	network or host unreachable or down       retry   dial_unreachable
//	DNS temporary failure or timeout          retry   dial_dns
//	DNS name not found                        stop    dial_dns_not_found
//	timeout (per-attempt, net timeouts)       retry   timeout
//	EOF, reset, broken pipe, no close frame   retry   close_1006 (Code 1006)
//	ErrProtocolViolation (the client's 1002)  stop    protocol_violation (Code 1002)
//	TLS certificate or handshake failure      stop    tls (Code 1015)
//	unsupported URL scheme                    stop    dial_scheme (wrap ErrUnsupportedScheme)
//	URL that does not parse                   stop    dial_url
//	context.Canceled                          stop    canceled
//	backoff.Permanent(err)                    stop    permanent
//
// Classify cannot tell whose context ended: it takes context.Canceled as
// the caller giving up and context.DeadlineExceeded as an attempt timing
// out. A supervisor should check its own context before classifying, as
// the reconnect package does. A name that does not resolve stops, since it
// is usually a typo; in environments where DNS names come and go (a
// Kubernetes headless service with no ready pods), wrap DefaultClassifier
// and retry dial_dns_not_found.
//
// # Waiting
//
// Policy.FreshBackoff returns a fresh backoff.BackOff per connection
// (Exponential unless NewBackoff is set): initial 500 ms, multiplier 1.5,
// cap 30 s, ±50% jitter applied after the cap, no elapsed-time limit, and
// the first wait after a Reset drawn from [0, 500 ms) so that a fleet that
// dropped together does not return together. Policy.Delay combines the
// backoff's value with the decision: the wait is the longer of the backoff
// delay and MinDelay, plus a random part of Spread. A decision has a
// Spread after a 1012 (RestartSpread, 5 s), after a refused dial
// (RefusedSpread, 500 ms: the server is down, likely for the whole fleet,
// and the clients it refused must not return in step) and on top of a
// server-imposed floor (FloorJitter, 20 % of it). Policy.GiveUp applies the
// optional limits MaxAttempts and MaxOutage.
package policy
