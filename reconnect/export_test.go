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

// ScanClose feeds chunks, as successive Writes, to a wire's scanner of
// the client's frames and returns the close code it found, 0 if none.
func ScanClose(chunks ...[]byte) uint16 {
	var s frameScan
	code := uint16(0)
	for _, p := range chunks {
		if c := s.scan(p); c != 0 && code == 0 {
			code = c
		}
	}
	return code
}

// Received returns the bytes c's current connection has read, 0 if none.
func Received(c *Conn) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		return 0
	}
	return c.cur.wire.received()
}
