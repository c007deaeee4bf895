// Package wstest holds what the module's tests share.
//
// Servers: Serve starts an httptest server that counts its connections,
// with handlers that echo (Echo, EchoServer), collect (Collect), refuse
// the handshake (Refuse), close with a chosen code (CloseWith) or drop
// (AcceptThenDrop). Raw handshakes and frames (Accept, Frame,
// ClosePayload, RawClose) produce what coder/websocket refuses to
// (invalid close codes, oversized reasons, malformed frames), for servers
// that misbehave on purpose.
//
// Clients: Dial dials a reconnect.Conn on a fake clock with a Recorder,
// which keeps its events (Kinds names them); Read, RoundTrip, MissPong and
// ReturnsWithin drive it, each wait bounded.
package wstest
