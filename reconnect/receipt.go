package reconnect

import (
	"context"
	"sync"
	"time"
)

// Receipt is the handle of one tracked send.
type Receipt struct {
	id     uint64
	c      *Conn   // the Conn it was sent on
	msg    Message // the message as given to Send
	dead   time.Time
	onFate func(*Receipt)

	// known is Done once the fate is known: a Wait whose ctx cannot end
	// waits on it without a channel. done is made only when asked for.
	known sync.WaitGroup
	mu    sync.Mutex
	done  chan struct{} // made by Done or a Wait whose ctx can end; guarded by mu
	fin   bool          // the fate is known; guarded by mu

	// Guarded by tracker.mu until done is closed, then read-only. (fin
	// and written share a word: with a 64 B message the Receipt fits the
	// 256 B size class.)
	written bool      // it was handed to a connection at least once
	on      *link     // the connection it was last given to, nil if none
	sentAt  time.Time // when it was last written, for AckTimeout
	fate    Fate
	err     error
}

// ID returns the id the Codec put on the message.
func (r *Receipt) ID() uint64 { return r.id }

// closed is the Done of a receipt whose fate was known before Done was
// first called.
var closed = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

// Done returns a channel that is closed once the fate is known.
func (r *Receipt) Done() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done == nil {
		if r.fin {
			return closed
		}
		r.done = make(chan struct{})
	}
	return r.done
}

// Wait returns the fate once it is known. If ctx ends first it returns
// FatePending and ctx's error; the message is not affected. With a ctx
// that cannot end it waits without a channel and, in Read mode, reads the
// connection itself while it may, as such a Read does (package docs).
func (r *Receipt) Wait(ctx context.Context) (Fate, error) {
	if ctx.Done() == nil { // ctx cannot end: no channel needed
		if r.c != nil && r.c.opts.OnMessage == nil && !r.settled() {
			r.c.awaitFate(r) // reads the connection itself when it may
		}
		r.known.Wait()
		return r.fate, nil
	}
	if f, ok := r.settledFate(); ok {
		return f, nil
	}
	select {
	case <-r.Done():
		return r.fate, nil
	case <-ctx.Done():
		return FatePending, ctx.Err()
	}
}

// settled reports whether the fate is known.
func (r *Receipt) settled() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fin
}

// settledFate returns the fate if it is known.
func (r *Receipt) settledFate() (Fate, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.fin { // fate is tracker.mu's until then
		return FatePending, false
	}
	return r.fate, true
}

// Fate returns the fate, FatePending until it is known.
func (r *Receipt) Fate() Fate {
	if f, ok := r.settledFate(); ok {
		return f
	}
	return FatePending
}

// Err returns why the message was not acknowledged: the nack's reason (a
// *NackError), ErrExpired, or the Conn's end; nil when acked or still
// pending.
func (r *Receipt) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.fin {
		return nil
	}
	return r.err
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

// publish makes the fate known to Wait, Done, Fate and Err; announce calls
// it once per receipt.
func (r *Receipt) publish() {
	r.mu.Lock()
	r.fin = true
	if r.done != nil {
		close(r.done)
	}
	r.mu.Unlock()
	r.known.Done()
}

// newReceipt returns a Receipt holding a copy of data. A message of up to
// 1 KiB shares the Receipt's allocation: one allocation per Send.
func newReceipt(data []byte) *Receipt {
	var r *Receipt
	var buf []byte
	switch n := len(data); {
	case data == nil:
		r = new(Receipt)
	case n <= 64:
		x := new(struct {
			r Receipt
			b [64]byte
		})
		r, buf = &x.r, x.b[:n:n]
	case n <= 256:
		x := new(struct {
			r Receipt
			b [256]byte
		})
		r, buf = &x.r, x.b[:n:n]
	case n <= 1024:
		x := new(struct {
			r Receipt
			b [1024]byte
		})
		r, buf = &x.r, x.b[:n:n]
	default:
		r, buf = new(Receipt), make([]byte, n)
	}
	copy(buf, data)
	r.msg.Data = buf
	r.known.Add(1)
	return r
}

// announce closes done and runs OnFate for each settled receipt. counted
// says whether the calling goroutine is one the gate counts busy (the
// reader, the flush, the supervisor): a hook there must leave the count,
// so that a Close it calls does not wait for itself.
func (c *Conn) announce(rs []*Receipt, counted bool) {
	for _, r := range rs {
		r.publish()
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

// runHook runs an application hook through readerHook: its panic ends the
// Conn as a *PanicError. On a goroutine the gate does not count (a Read's,
// a Send's, a timer's) Done waits for the hook and Close does not.
func (c *Conn) runHook(counted bool, name string, f func()) {
	if !counted {
		c.gate.live.Add(1)
		defer c.gate.exitHook()
	}
	c.readerHook(name, counted, f)
}
