package reconnect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coder/websocket"
)

// Write sends a message on the current connection. Without one, it
// follows Options.SendMode. A nil error means the message was handed to the
// connection or the send buffer, not that the peer got it: a message
// written just before a drop can be lost in flight, so use application
// acknowledgements where loss matters. A write that fails because the
// connection died ends that connection at once and is buffered again
// (SendBuffer), retried on the next connection (SendBlock) or reported
// (SendFail).
//
// ctx bounds the wait for a connection (SendBlock) and for other writers;
// so does Options.Expiry, if set, for the wait for a connection: a Write
// still waiting at its deadline writes nothing and returns ErrExpired.
// ctx never costs the shared connection: an expired ctx writes nothing, and
// a frame already going out is finished, because stopping it half way
// would break the connection for everyone. A frame stuck behind a peer
// that stopped reading ends when the heartbeat gives up on the peer, or
// on Close.
func (c *Conn) Write(ctx context.Context, typ websocket.MessageType, p []byte) error {
	return c.write(ctx, time.Time{}, typ, p)
}

// write is Write with a deadline for the send buffer (zero: Options.Expiry).
func (c *Conn) write(ctx context.Context, deadline time.Time, typ websocket.MessageType, p []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("failed to write: %w", err)
	}
	deadline = c.deadline(deadline) // once: Expiry counts from the Write
	for {
		if lk := c.writable.Load(); lk != nil {
			if err := c.pace(ctx); err != nil {
				return fmt.Errorf("failed to write: %w", err)
			}
			err := lk.write(ctx, typ, p)
			if err == nil {
				return nil
			}
			var wait *waitError
			if errors.As(err, &wait) {
				return err
			}
			lk.kill(&writeError{err})
			c.mu.Lock()
			c.dropWritableLocked(lk)
			c.mu.Unlock()
			if c.opts.SendMode == SendFail {
				return fmt.Errorf("failed to write: %w", err)
			}
		}
		retry, err := c.writeDisconnected(ctx, deadline, typ, p)
		if !retry {
			return err
		}
	}
}

// writeDisconnected applies the SendMode; retry means a connection came up
// and the message should go to it.
func (c *Conn) writeDisconnected(ctx context.Context, deadline time.Time, typ websocket.MessageType, p []byte) (retry bool, err error) {
	c.mu.Lock()
	if c.writable.Load() != nil {
		c.mu.Unlock()
		return true, nil
	}
	if c.closing {
		err := c.endErrLocked()
		c.mu.Unlock()
		return false, err
	}
	switch c.opts.SendMode {
	case SendFail:
		c.mu.Unlock()
		return false, ErrNotConnected
	case SendBuffer:
		ok, expired := c.out.push(typ, p, deadline, c.now())
		c.mu.Unlock()
		if expired > 0 {
			c.emitFrom(false, Event{Kind: EventExpired, Dropped: expired})
		}
		if !ok {
			return false, ErrBufferFull
		}
		return false, nil
	}
	up := c.up
	c.mu.Unlock()
	var exp expiry
	defer exp.stop()
	select {
	case <-up:
		if c.passed(deadline) {
			return false, c.expiredWrite()
		}
		return true, nil
	case <-c.ended:
		return false, c.Err()
	case <-ctx.Done():
		return false, fmt.Errorf("failed to write: %w", ctx.Err())
	case <-exp.at(c, deadline):
		return false, c.expiredWrite()
	}
}

// endErrLocked is the error for use after the Conn ended or began closing.
func (c *Conn) endErrLocked() error {
	if c.final != nil {
		return c.final
	}
	return &Error{Kind: KindClosed, Decision: closedDecision, Err: errClosed}
}

// flush writes the send buffer to lk in order, then lets Write use lk.
func (c *Conn) flush(lk *link) {
	for {
		if c.trackedFor(lk) && !c.catchUp(lk, true) { // tracked resends first
			return
		}
		c.mu.Lock()
		expired := c.out.expire(c.now(), false)
		q, ok := c.out.peek()
		if expired > 0 {
			c.mu.Unlock()
			c.emit(Event{Kind: EventExpired, Generation: lk.gen, Dropped: expired})
			continue
		}
		if !ok && c.trackedFor(lk) { // a Send came meanwhile
			c.mu.Unlock()
			continue
		}
		if !ok {
			if c.cur == lk && !c.closing {
				c.makeWritableLocked(lk)
			}
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		if err := c.paceFlush(); err != nil {
			if c.ctx.Err() == nil { // not closing: the pacer failed on its own
				// Left writable-less, the connection would never take a
				// Write; its end hands the buffer to the next one.
				lk.kill(&hookError{LabelWritePacer, "failed to wait for WritePacer", err})
			}
			return // the message stays queued
		}
		if err := lk.write(context.Background(), q.Type, q.Data); err != nil {
			lk.kill(&writeError{err}) // the message stays queued
			return
		}
		c.mu.Lock()
		c.out.remove(q.id)
		c.mu.Unlock()
	}
}

// dropWritableLocked stops Write from using lk. writable is set and
// cleared only under mu, so up is closed exactly while writable is set.
func (c *Conn) dropWritableLocked(lk *link) {
	if c.writable.CompareAndSwap(lk, nil) {
		c.up = make(chan struct{})
	}
}

func (c *Conn) makeWritableLocked(lk *link) {
	if c.writable.Load() == lk { // a rotation made it writable at the switch
		return
	}
	c.writable.Store(lk)
	close(c.up)
}

// writeError is a write that failed on a connection, which ended it.
type writeError struct{ err error }

func (e *writeError) Error() string { return "failed to write: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }
