package reconnect

import (
	"fmt"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wsproto"
)

// Close ends the Conn with a close handshake on the current connection, if
// there is one, and returns once every goroutine of the Conn has returned
// or is inside an application hook (which may be the caller: Close is safe
// from every hook). An invalid code is refused with an error and nothing is
// closed. The reason is made valid UTF-8 and cut to 123 bytes on a rune
// boundary.
//
// The handshake is coder/websocket's: up to 5 s to write the close frame
// and 5 s for the peer's answer, so Close against a peer that stopped
// reading takes seconds; CloseNow does not wait. It is best effort: if the
// connection is already failing, the Conn ends all the same and Close
// returns nil. Closing a Conn that was closed or has ended by itself
// returns an error that wraps net.ErrClosed.
func (c *Conn) Close(code websocket.StatusCode, reason string) error {
	if !wsproto.SendableCode(code) {
		return fmt.Errorf("reconnect: invalid close code %d: send 1000-1003, 1007-1014 or 3000-4999", int(code))
	}
	reason = wsproto.TrimReason(reason)
	return c.close(func(ws *websocket.Conn) error { return ws.Close(code, reason) })
}

// CloseNow ends the Conn without a close handshake and returns as Close
// does.
func (c *Conn) CloseNow() error {
	return c.close((*websocket.Conn).CloseNow)
}

func (c *Conn) close(shut func(*websocket.Conn) error) error {
	first := c.halt(errClosed, shut)
	c.gate.waitQuiet()
	if !first {
		return fmt.Errorf("reconnect: failed to close: %w", errClosed)
	}
	return nil
}

// halt makes the Conn stop for cause: waits and dials end at once, and the
// current connection is closed with shut. It reports whether this call
// did it.
func (c *Conn) halt(cause error, shut func(*websocket.Conn) error) bool {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return false
	}
	c.closing = true
	c.setStateLocked(Closed) // it will not connect again
	lk, retired := c.cur, c.retired
	c.mu.Unlock()
	c.cancel(cause)
	if lk != nil {
		lk.end(cause, shut)
	}
	for _, r := range retired { // replaced by a rotation, still closing
		r.kill(cause)
	}
	return true
}

// stop ends the Conn for cause and waits as Close does.
func (c *Conn) stop(cause error) {
	c.halt(cause, (*websocket.Conn).CloseNow)
	c.gate.waitQuiet()
}

// fail ends the Conn because a hook panicked. It runs on a goroutine of
// the Conn, so it does not wait.
func (c *Conn) fail(p *PanicError) {
	c.halt(p, (*websocket.Conn).CloseNow)
}

// Reconnect drops the current connection at once, without a close
// handshake, and dials again without waiting; while waiting between
// attempts it skips the rest of the wait. The drop is not counted as a
// failure of the server. Use it when the application knows the connection
// is stale (a network change, a missed application-level ack). It does not
// wait, so it is safe from every hook. A close frame the server sent first
// still counts: a 1008 that raced Reconnect stops the Conn.
func (c *Conn) Reconnect() {
	c.mu.Lock()
	lk := c.cur
	if lk == nil {
		c.wakeLocked()
	}
	c.mu.Unlock()
	if lk != nil {
		lk.kill(errReconnect)
	}
}

// ResetBackoff starts the backoff, the attempt count and the outage clock
// over, as if the last connection had been healthy. While waiting between
// attempts, the next attempt starts at once. It does not wait, so it is
// safe from every hook.
func (c *Conn) ResetBackoff() {
	c.reset.Store(true)
	c.mu.Lock()
	c.wakeLocked()
	c.mu.Unlock()
}

// wakeLocked interrupts a wait between attempts. A wake-up while connected
// would skip the wait after the next drop, so it is sent only when there is
// no connection.
func (c *Conn) wakeLocked() {
	if c.state == Connected || c.state == Closed {
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}
