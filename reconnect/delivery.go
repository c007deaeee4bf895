package reconnect

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/coder/websocket"
)

// Fate is how a tracked send ended. Each send gets exactly one, exactly
// once.
type Fate int

const (
	// FatePending: not yet resolved.
	FatePending Fate = iota
	// FateAcked: the server acknowledged it.
	FateAcked
	// FateRejected: the server refused it (a nack).
	FateRejected
	// FateExpired: its deadline passed before an ack, sent or not.
	FateExpired
	// FateUnsent: the Conn ended before it was written.
	FateUnsent
	// FateUnconfirmed: it was written, the Conn ended, no ack came.
	FateUnconfirmed
)

var fateNames = [...]string{"pending", "acked", "rejected", "expired", "unsent", "unconfirmed"}

// String returns "pending", "acked", "rejected", "expired", "unsent" or
// "unconfirmed".
func (f Fate) String() string {
	if f >= 0 && int(f) < len(fateNames) {
		return fateNames[f]
	}
	return "Fate(" + strconv.Itoa(int(f)) + ")"
}

// Outgoing is a message for Send.
type Outgoing struct {
	Type websocket.MessageType
	Data []byte // copied by Send
	// Deadline is when the message expires if no ack came. Zero means
	// now + Options.Expiry (none if Expiry is none).
	Deadline time.Time
	// OnFate, when set, is called once when the fate is known, on a
	// goroutine of the Conn, outside its locks; it may call the Conn.
	OnFate func(*Receipt)
}

// Position is where a message stands in a server stream.
type Position struct {
	Stream string
	Offset uint64
	// Epoch is "" if the protocol has none; a change is a reset of the
	// stream.
	Epoch string
}

// Send writes m as a tracked message: the Codec puts an id on it, and the
// Receipt resolves exactly once with its fate. Without a connection it
// follows Options.SendMode as Write does (SendBuffer: it waits in the
// tracker and goes out after the next OnConnect); with TrackMessages or
// TrackBytes reached, SendBlock waits for room and the other modes return
// ErrBufferFull. ctx bounds only those waits and the wait for other
// writers: a Send whose ctx ends before its message was written returns
// the error and tracks nothing. A SendBlock wait that reaches m's deadline
// ends with the Receipt settled FateExpired. After a reconnect every message not yet
// acknowledged is written again, in order, with the same id, before any
// other message (the package docs say more).
func (c *Conn) Send(ctx context.Context, m Outgoing) (*Receipt, error) {
	if c.opts.Codec == nil {
		return nil, ErrNoCodec
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("failed to send: %w", err)
	}
	r := newReceipt(m.Data)
	r.c, r.msg.Type, r.dead, r.onFate = c, m.Type, m.Deadline, m.OnFate
	if r.dead.IsZero() && c.opts.Expiry > 0 {
		r.dead = c.now().Add(c.opts.Expiry)
	}
	lk, err := c.admit(ctx, r)
	if err != nil {
		return nil, err
	}
	if lk == nil {
		return r, nil // for the next connection, or expired while it waited
	}
	if err := c.sendLive(ctx, lk, r); err != nil {
		return nil, err
	}
	return r, nil
}

// admit tracks r, waiting as SendMode says; lk is the live connection to
// write it to, nil if it waits for the next one or expired while admit
// waited (then r is settled).
func (c *Conn) admit(ctx context.Context, r *Receipt) (*link, error) {
	t := &c.track
	var exp expiry
	defer exp.stop()
	for {
		c.mu.Lock()
		if c.closing {
			err := c.endErrLocked()
			c.mu.Unlock()
			return nil, err
		}
		lk := c.writable.Load()
		wait := c.up
		if lk == nil && c.opts.SendMode != SendBuffer {
			c.mu.Unlock()
			if c.opts.SendMode == SendFail {
				return nil, ErrNotConnected
			}
		} else {
			t.mu.Lock()
			full := t.fullLocked(r)
			if !full {
				t.addLocked(r, lk)
				t.armLocked(r.dead)
				if !t.fullLocked(&Receipt{}) {
					token(t.room) // another Send may fit too
				}
			}
			t.mu.Unlock()
			c.mu.Unlock()
			if !full {
				return lk, nil
			}
			if c.opts.SendMode != SendBlock {
				return nil, ErrBufferFull
			}
			wait = t.room
		}
		select {
		case <-wait: // r is tracked next time round, and expires there if due
		case <-c.ctx.Done(): // closing: a Send in a hook must not hold the Conn
		case <-ctx.Done():
			return nil, fmt.Errorf("failed to send: %w", ctx.Err())
		case <-exp.at(c, r.dead):
			t.expireUntracked(r)
			c.settled([]*Receipt{r}, false)
			return nil, nil
		}
	}
}

// sendLive writes r to lk, on the caller's goroutine. A write that fails
// kills lk; r stays tracked and goes out on the next connection.
func (c *Conn) sendLive(ctx context.Context, lk *link, r *Receipt) error {
	resend, ok := c.track.claim(r, lk)
	if !ok {
		return nil // settled, or a flush took it to a newer connection
	}
	frame, buf, err := c.encode(r, resend, false)
	if err == nil {
		err = c.pace(ctx)
	}
	if err == nil {
		var gone []*Receipt
		if ok, gone = c.track.mark(r, lk, c.now()); !ok {
			putFrame(buf)
			c.settled(gone, false)
			return nil // settled or expired while paced, or taken meanwhile
		}
		err = lk.write(ctx, frame.Type, frame.Data)
	}
	putFrame(buf)
	if err == nil {
		return nil
	}
	return c.sendFailed(ctx, lk, r, resend, err)
}

// sendFailed handles a sendLive that did not write r: nothing was written
// (r is withdrawn and Send fails, unless a flush took r meanwhile), or the
// write failed and lk dies.
func (c *Conn) sendFailed(ctx context.Context, lk *link, r *Receipt, resend bool, err error) error {
	var wait *waitError
	var enc *encodeError
	var p *PanicError
	switch {
	case errors.As(err, &wait), errors.As(err, &enc), errors.As(err, &p), ctx.Err() != nil:
		c.track.unclaim(r, lk, resend)
		withdrawn := c.track.withdraw(r, lk)
		if p != nil {
			c.fail(p)
		}
		if withdrawn {
			return fmt.Errorf("failed to send: %w", err)
		}
		return nil
	}
	if errors.Is(err, errLinkDead) { // lk died before r's turn: not written
		c.track.unclaim(r, lk, resend)
	}
	lk.kill(&writeError{err})
	c.mu.Lock()
	c.dropWritableLocked(lk)
	c.mu.Unlock()
	if nl := c.writable.Load(); nl != nil { // a newer connection is flushed already
		c.catchUp(nl, false)
	}
	return nil
}

// catchUp writes to lk, in id order, every tracked message it was not
// given yet: after OnConnect, and when a connection a rotation replaced
// has gone with messages still unacknowledged. It reports false if lk
// died or the Conn is closing. counted: see announce.
func (c *Conn) catchUp(lk *link, counted bool) bool {
	for {
		r, resend, gone := c.track.nextFor(lk, c.now())
		c.settledAside(gone, counted)
		if r == nil {
			return true
		}
		frame, buf, err := c.encode(r, resend, counted)
		var enc *encodeError
		switch {
		case errors.As(err, &enc):
			c.settledAside(c.track.reject(r, err), counted)
			continue
		case err != nil: // a panic: the Conn ends
			if p := (*PanicError)(nil); !counted && errors.As(err, &p) {
				c.fail(p)
			}
			return false
		}
		if counted {
			err = c.paceFlush()
		} else {
			err = c.pace(c.ctx)
		}
		if err == nil {
			ok, gone := c.track.mark(r, lk, c.now())
			if !ok { // acked, expired or taken while paced
				putFrame(buf)
				c.settledAside(gone, counted)
				continue
			}
			err = lk.write(context.Background(), frame.Type, frame.Data)
			if err != nil {
				lk.kill(&writeError{err})
			}
		}
		putFrame(buf)
		if err != nil {
			return false
		}
	}
}

type connKey struct{}

// FromContext returns the Conn whose hook got ctx (OnConnect, Target,
// Dialer), so that a resubscribe can read Positions; nil for any other
// ctx.
func FromContext(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}
