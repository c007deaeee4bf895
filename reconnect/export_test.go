package reconnect

import (
	"runtime"

	"github.com/coder/websocket"
)

// EndCause exposes the choice of why a connection ended: the connection
// killed with killCause, whose reader returned readErr.
func EndCause(ws *websocket.Conn, killCause, readErr error) error {
	c := &Conn{}
	lk := newLink(ws, 1, 0, endpoint{})
	if killCause != nil {
		lk.end(killCause, func(*websocket.Conn) error { return nil })
	}
	return c.endCause(lk, readErr)
}

// WaitForReaders spins until n Reads wait on c's receive buffer.
func WaitForReaders(c *Conn, n int) {
	for {
		c.in.mu.Lock()
		r := c.in.readers
		c.in.mu.Unlock()
		if r >= n {
			return
		}
		runtime.Gosched()
	}
}

// WaitForPushers spins until n connection readers wait for room in c's
// receive buffer, each holding a message it read.
func WaitForPushers(c *Conn, n int) {
	for {
		c.in.mu.Lock()
		p := c.in.pushers
		c.in.mu.Unlock()
		if p >= n {
			return
		}
		runtime.Gosched()
	}
}

// Role names who holds c's reader role.
func Role(c *Conn) string {
	c.in.mu.Lock()
	defer c.in.mu.Unlock()
	return [...]string{"conn", "idle", "read"}[c.in.role]
}

// Lease is how long a Read may hold the reader role unused.
const Lease = lease
