package reconnect

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/coder/websocket"
)

// Deadlines. A tracked send expires at its deadline whether it was written
// or not; a buffered write expires only while it waits in the send
// buffer, since once written it is the server's. One timer per Conn
// serves the tracker: it fires at the earliest deadline or ack due, and
// costs nothing per message while it is armed earlier.

type ackTimeoutError struct{ after time.Duration }

func (e *ackTimeoutError) Error() string {
	return fmt.Sprintf("reconnect: ack timeout: no ack for %v", e.after)
}

func (e *ackTimeoutError) Is(target error) bool { return target == ErrAckTimeout }

// expired reports whether r's deadline has passed.
func (r *Receipt) expired(now time.Time) bool {
	return !r.dead.IsZero() && !now.Before(r.dead)
}

// armLocked makes the timer fire by when, unless it fires earlier.
func (t *tracker) armLocked(when time.Time) {
	if when.IsZero() || t.ended || t.tick == nil || (t.timer != nil && !when.Before(t.due)) {
		return
	}
	if t.timer != nil {
		t.timer.Stop()
	}
	t.due = when
	t.timer = t.clock.AfterFunc(max(when.Sub(t.clock.Now()), 0), t.tick)
}

// tick settles the expired receipts and ends a connection whose oldest
// message waited too long for its ack. It runs on a timer's goroutine.
func (c *Conn) tick() {
	t := &c.track
	now := c.now()
	t.mu.Lock()
	if t.ended {
		t.mu.Unlock()
		return
	}
	t.timer = nil
	var gone []*Receipt
	var suspect *link
	var next time.Time
	soonest := func(w time.Time) {
		if next.IsZero() || w.Before(next) {
			next = w
		}
	}
	for i := 0; i < len(t.list); {
		r := t.list[i]
		if r.expired(now) {
			t.removeLocked(i).settle(FateExpired, ErrExpired)
			gone = append(gone, r)
			continue
		}
		i++
		if !r.dead.IsZero() {
			soonest(r.dead)
		}
		if t.ackTimeout > 0 && r.written && r.on != nil && r.on.killedBy() == nil && !r.on.replaced.Load() {
			if due := r.sentAt.Add(t.ackTimeout); now.Before(due) {
				soonest(due)
			} else {
				suspect = r.on
			}
		}
	}
	t.armLocked(next)
	t.mu.Unlock()
	if suspect != nil {
		suspect.kill(&ackTimeoutError{t.ackTimeout})
	}
	c.settled(gone, false)
}

// settled announces receipts that have their fate, with EventExpired for
// those that expired.
func (c *Conn) settled(rs []*Receipt, counted bool) {
	if len(rs) == 0 {
		return
	}
	n := 0
	for _, r := range rs {
		if r.fate == FateExpired {
			n++
		}
	}
	c.announce(rs, counted)
	if n > 0 {
		c.emitFrom(counted, Event{Kind: EventExpired, Dropped: n})
	}
}

// settledAside announces receipts settled while catching a connection up.
// On the Conn's flush that is done on a goroutine of its own: an OnFate
// that waits for the connection (a SendBlock Write) would otherwise wait
// for the very flush it holds up.
func (c *Conn) settledAside(rs []*Receipt, counted bool) {
	switch {
	case len(rs) == 0:
	case counted:
		c.gate.spawn(func() { c.settled(rs, true) })
	default:
		c.settled(rs, false)
	}
}

// deadline is the deadline of a buffered write: d, or Options.Expiry from
// now.
func (c *Conn) deadline(d time.Time) time.Time {
	if d.IsZero() && c.opts.Expiry > 0 {
		return c.now().Add(c.opts.Expiry)
	}
	return d
}

// expire moves the messages whose deadline has passed out of the buffer,
// marked, and returns how many: all of them, or only those at its head,
// which is all the flush needs to never write one. Guarded by Conn.mu.
func (o *outbox) expire(now time.Time, all bool) int {
	n := 0
	for i := 0; i < len(o.msgs) && (all || i == 0); {
		q := o.msgs[i]
		if q.deadline.IsZero() || now.Before(q.deadline) {
			i++
			continue
		}
		q.Expired = true
		o.expired = append(o.expired, q)
		o.bytes -= len(q.Data)
		o.msgs = slices.Delete(o.msgs, i, i+1)
		n++
	}
	if over := len(o.expired) - o.maxMsgs; over > 0 {
		o.lost += over
		o.expired = slices.Delete(o.expired, 0, over)
	}
	return n
}

// WriteUntil is Write with an expiry for the buffered case: a message
// still in the send buffer at deadline is never flushed, and Undelivered
// hands it back with Expired set. In SendBlock mode a WriteUntil still
// waiting for a connection at deadline returns ErrExpired. A message written on a live connection
// is the server's, whatever the deadline; one whose deadline has passed
// already is refused with ErrExpired. A zero deadline means
// Options.Expiry from now.
func (c *Conn) WriteUntil(ctx context.Context, deadline time.Time, typ websocket.MessageType, p []byte) error {
	if !deadline.IsZero() && !c.now().Before(deadline) {
		return fmt.Errorf("failed to write: %w", ErrExpired)
	}
	return c.write(ctx, deadline, typ, p)
}

// trackedFor reports whether tracked messages wait to be given to lk.
func (c *Conn) trackedFor(lk *link) bool {
	return c.opts.Codec != nil && c.track.pendingFor(lk)
}

// afterReplaced resends, on the connection that replaced lk in a
// rotation, what lk took and never got acknowledged: its acks could still
// come while it closed, so until now they stayed pending.
func (c *Conn) afterReplaced(lk *link) {
	if c.opts.Codec == nil || !lk.replaced.Load() {
		return
	}
	if nl := c.writable.Load(); nl != nil {
		c.catchUp(nl, true)
	}
}

// expiredWrite is the end of a Write whose deadline passed while it waited
// (SendBlock): it is never written, and counts as expired.
func (c *Conn) expiredWrite() error {
	c.emitFrom(false, Event{Kind: EventExpired, Dropped: 1})
	return fmt.Errorf("failed to write: %w", ErrExpired)
}

// expiry is the deadline of a call waiting in SendBlock mode, on the
// Conn's clock so that a fake clock drives it. The timer is made on the
// first wait only: a call that does not wait costs nothing.
type expiry struct{ tm Timer }

// at returns a channel that receives at deadline; nil (never) if deadline
// is zero.
func (e *expiry) at(c *Conn, deadline time.Time) <-chan time.Time {
	if deadline.IsZero() {
		return nil
	}
	if e.tm == nil {
		e.tm = c.opts.Clock.NewTimer(max(deadline.Sub(c.now()), 0))
	}
	return e.tm.C()
}

func (e *expiry) stop() {
	if e.tm != nil {
		e.tm.Stop()
	}
}

// passed reports whether deadline (zero: none) has passed, for a wait
// that ended otherwise at the same time.
func (c *Conn) passed(deadline time.Time) bool {
	return !deadline.IsZero() && !c.now().Before(deadline)
}
