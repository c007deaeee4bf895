package reconnect

import "github.com/coder/websocket"

// Scrub scrubs err as a Conn dialled to raw does, for the tests in
// package reconnect_test.
func Scrub(raw string, err error) error { return scrubber(raw)(err) }

// EndCause exposes the choice of why a connection ended: the connection
// killed with killCause, whose reader returned readErr.
func EndCause(ws *websocket.Conn, killCause, readErr error) error {
	c := &Conn{}
	lk := newLink(ws, 1)
	if killCause != nil {
		lk.end(killCause, func(*websocket.Conn) error { return nil })
	}
	return c.endCause(lk, readErr)
}
