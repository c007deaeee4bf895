// Package wstest holds test helpers shared by the module's tests: raw
// WebSocket handshakes and frames that coder/websocket refuses to produce
// (invalid close codes, oversized reasons, malformed frames), for servers
// that misbehave on purpose.
package wstest
