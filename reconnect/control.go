package reconnect

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// maxReason is the longest close reason that fits a control frame.
const maxReason = 123

// Close ends the Conn with a close handshake on the current connection, if
// there is one, and waits until every goroutine of the Conn has returned.
// An invalid code is refused with an error and nothing is closed. The
// reason is made valid UTF-8 and cut to 123 bytes on a rune boundary.
// The handshake is best effort: if the connection is already failing, the
// Conn ends all the same and Close returns nil. Closing an already closed
// Conn returns an error that wraps net.ErrClosed.
func (c *Conn) Close(code websocket.StatusCode, reason string) error {
	if !SendableCode(code) {
		return fmt.Errorf("reconnect: invalid close code %d: send 1000-1003, 1007-1014 or 3000-4999", int(code))
	}
	reason = TrimReason(reason)
	return c.close(func(ws *websocket.Conn) error { return ws.Close(code, reason) })
}

// CloseNow ends the Conn without a close handshake and waits until every
// goroutine of the Conn has returned.
func (c *Conn) CloseNow() error {
	return c.close((*websocket.Conn).CloseNow)
}

func (c *Conn) close(end func(*websocket.Conn) error) error {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		<-c.done
		return fmt.Errorf("failed to close: %w", errClosed)
	}
	c.closing = true
	ws := c.cur
	c.mu.Unlock()
	// Cancelling first ends any wait or dial and unblocks the reader; a
	// connection registered from now on is closed by the supervisor.
	c.cancel()
	if ws != nil {
		// Best effort: a connection that is already failing cannot
		// complete the handshake, and the Conn ends all the same.
		end(ws)
	}
	<-c.done
	return nil
}

// Reconnect drops the current connection at once, without a close
// handshake, and dials again without waiting; while waiting between
// attempts it skips the rest of the wait. The drop is not counted as a
// failure of the server. Use it when the application knows the connection
// is stale (a network change, a missed application-level ack).
func (c *Conn) Reconnect() {
	c.mu.Lock()
	ws := c.cur
	c.reconnect = ws
	if ws == nil {
		c.wakeLocked()
	}
	c.mu.Unlock()
	if ws != nil {
		ws.CloseNow()
	}
}

// ResetBackoff starts the backoff, the attempt count and the outage clock
// over, as if the last connection had been healthy. While waiting between
// attempts, the next attempt starts at once.
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

// SendableCode reports whether code may be sent in a close frame: 1000-1003,
// 1007-1014 and 3000-4999. 1004-1006 and 1015 are reserved for reporting.
func SendableCode(code websocket.StatusCode) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	}
	return code >= 3000 && code <= 4999
}

// TrimReason makes reason valid UTF-8 and cuts it to the 123 bytes a close
// frame can carry, without splitting a rune.
func TrimReason(reason string) string {
	reason = strings.ToValidUTF8(reason, "\uFFFD")
	if len(reason) <= maxReason {
		return reason
	}
	cut := maxReason
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut]
}
