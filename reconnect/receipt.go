package reconnect

import (
	"context"
	"time"
)

// Receipt is the handle of one tracked send.
type Receipt struct {
	id     uint64
	msg    Message // the message as given to Send
	dead   time.Time
	onFate func(*Receipt)
	done   chan struct{}

	// Guarded by tracker.mu until done is closed, then read-only.
	on      *link     // the connection it was last given to, nil if none
	written bool      // it was handed to a connection at least once
	sentAt  time.Time // when it was last written, for AckTimeout
	fate    Fate
	err     error
}

// ID returns the id the Codec put on the message.
func (r *Receipt) ID() uint64 { return r.id }

// Done returns a channel that is closed once the fate is known.
func (r *Receipt) Done() <-chan struct{} { return r.done }

// Wait returns the fate once it is known. If ctx ends first it returns
// FatePending and ctx's error; the message is not affected.
func (r *Receipt) Wait(ctx context.Context) (Fate, error) {
	select {
	case <-r.done:
		return r.fate, nil
	case <-ctx.Done():
		return FatePending, ctx.Err()
	}
}

// Fate returns the fate, FatePending until it is known.
func (r *Receipt) Fate() Fate {
	select {
	case <-r.done:
		return r.fate
	default:
		return FatePending
	}
}

// Err returns why the message was not acknowledged: the nack's reason (a
// *NackError), ErrExpired, or the Conn's end; nil when acked or still
// pending.
func (r *Receipt) Err() error {
	select {
	case <-r.done:
		return r.err
	default:
		return nil
	}
}

// NackError is the Err of a receipt the server refused.
type NackError struct {
	ID     uint64
	Reason string
}

func (e *NackError) Error() string {
	if e.Reason == "" {
		return "reconnect: message rejected by the server"
	}
	return "reconnect: message rejected by the server: " + e.Reason
}

// settle records the fate; the caller holds tracker.mu and then calls
// announce for the receipts it settled, outside the lock.
func (r *Receipt) settle(f Fate, err error) {
	r.fate, r.err, r.on = f, err, nil
}

// announce closes done and runs OnFate for each settled receipt. counted
// says whether the calling goroutine is one the gate counts busy (the
// reader, the flush, the supervisor): a hook there must leave the count,
// so that a Close it calls does not wait for itself.
func (c *Conn) announce(rs []*Receipt, counted bool) {
	for _, r := range rs {
		close(r.done)
	}
	for _, r := range rs {
		if c.opts.Observer != nil {
			c.emitFrom(counted, Event{Kind: EventFate, ID: r.id, Fate: r.fate, Err: r.err})
		}
		if f := r.onFate; f != nil {
			c.runHook(counted, "OnFate", func() { f(r) })
		}
	}
}

// runHook runs an application hook with its panic contained. On a
// goroutine the gate does not count (a Read's, a Send's, a timer's) Done
// waits for the hook and Close does not.
func (c *Conn) runHook(counted bool, name string, f func()) {
	if counted {
		if p := c.callHook(name, f); p != nil {
			c.fail(p)
		}
		return
	}
	c.gate.live.Add(1)
	defer c.gate.exitHook()
	if p := c.foreignHook(name, f); p != nil {
		c.fail(p)
	}
}
