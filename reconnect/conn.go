package reconnect

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsreconnect/wsreconnect/internal/redact"
	"github.com/wsreconnect/wsreconnect/internal/wsproto"
	"github.com/wsreconnect/wsreconnect/policy"
)

// Conn is a WebSocket connection that reconnects. It is safe for
// concurrent use: Read, Write and the controls may be called from any
// goroutine, hooks included. Read and Write carry on across reconnects.
type Conn struct {
	url     string
	target  string // url without secrets, for events
	opts    Options
	scrub   func(error) error
	secrets *redact.Book // learned from Options.Target, for scrub

	customDialer bool // Options.Dialer was set: its errors are its own
	policyHooks  bool // Policy has functions of the application's: see guardPolicy

	// ctx ends when the Conn must stop; its cause says why (errClosed,
	// a *PanicError, or the Dial ctx's error during the first connect).
	ctx    context.Context
	cancel context.CancelCauseFunc
	gate   gate
	in     inbox
	wake   chan struct{} // Reconnect and ResetBackoff -> supervisor
	ended  chan struct{} // closed once final is set
	told   chan struct{} // closed once the Observer has had EventClosed
	reset  atomic.Bool   // ResetBackoff was called
	rtt    atomic.Int64  // the heartbeat's last round trip
	// lastFailure is the decision on the last failed attempt, for a Dial
	// whose ctx ends while a hook holds the supervisor.
	lastFailure atomic.Pointer[policy.Decision]

	// writable is the current connection once OnConnect has run and the
	// send buffer is flushed; Write uses it without taking mu.
	writable atomic.Pointer[link]

	emitMu sync.Mutex // held while the Observer runs

	mu           sync.Mutex
	state        State
	stateCh      chan struct{}
	cur          *link         // current connection, flushed or not
	up           chan struct{} // closed while writable; for SendBlock
	out          outbox
	track        tracker    // tracked sends (track.go); its own lock
	pos          *positions // nil without Options.Position
	closing      bool
	final        *Error
	undelivered  []Message
	connRotation // the Conn's part in rotations (rotate.go)

	loop         *loop // the supervisor's state; only the supervisor touches it
	closedEvents bool  // EventClosed was sent (emitMu)
}

// Dial connects to url and returns a Conn that stays connected until Close,
// a terminal close or handshake, or a give-up limit. The first connection
// goes through the same policy as reconnects: Dial retries retryable
// failures and returns when a connection is up and OnConnect succeeded, or
// with an *Error. ctx bounds this first connect only, as it does for
// websocket.Dial; give it a deadline, or set Policy.MaxAttempts, unless
// Dial should wait for the server indefinitely. Dial returns when ctx ends
// even if a hook is still running. When Dial returns an error, the
// Observer has had EventClosed (unless ctx ended first: then it may still
// come), and every goroutine of the Conn has returned, except one still
// inside a hook, which returns when the hook does and calls nothing after
// it.
func Dial(ctx context.Context, url string, opts *Options) (*Conn, error) {
	o, err := opts.cloneWithDefaults()
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Err: err}
	}
	for _, u := range append([]string{url}, o.Endpoints...) {
		if err := wsproto.CheckURL(u); err != nil {
			err = redact.Errors(u, nil)(err)
			var d policy.Decision
			if p := contain("Classifier", func() { d = o.Policy.Classify(err, nil) }); p != nil {
				return nil, &Error{Kind: KindInvalid, Decision: panicDecision, Err: errors.Join(err, p)}
			}
			return nil, &Error{Kind: KindInvalid, Decision: d, Err: err}
		}
	}
	c := newConn(url, o)
	c.guardPolicy(opts)
	b := c.opts.Policy.FreshBackoff() // one per connection; a nil one would panic in run
	if b == nil {
		return nil, &Error{Kind: KindInvalid, Err: errors.New("Policy.NewBackoff returned nil")}
	}
	if err := ctx.Err(); err != nil { // no dial that would race the ctx
		return nil, &Error{Kind: KindCanceled, Decision: canceledDecision, Err: err}
	}
	c.customDialer = opts != nil && opts.Dialer != nil
	ready := make(chan struct{})
	c.gate.spawn(func() { c.run(ready, b) })
	select {
	case <-ready:
		return c, nil
	case <-c.ended:
		select {
		case <-ready: // it was up, then ended: Read and Err report the end
			return c, nil
		default:
		}
		select { // the Observer has EventClosed before Dial returns
		case <-c.told:
		case <-ctx.Done():
		}
		return nil, c.Err()
	case <-ctx.Done():
		select {
		case <-ready:
			return c, nil
		default:
		}
		c.stop(&canceledError{ctx.Err()})
		if err := c.Err(); err != nil {
			return nil, err
		}
		// A hook (one ignoring its ctx, or the Observer that saw the
		// attempt fail) still holds the supervisor; the Conn ends as soon
		// as it returns. The last failure says why, as it would have.
		d := canceledDecision
		if p := c.lastFailure.Load(); p != nil {
			d = *p
		}
		return nil, &Error{Kind: KindCanceled, Decision: d, Err: ctx.Err()}
	}
}

func newConn(url string, o Options) *Conn {
	c := &Conn{
		url:     url,
		target:  redact.RawURL(url),
		opts:    o,
		secrets: &redact.Book{},
		gate:    newGate(),
		in:      newInbox(o.ReceiveMessages, o.ReceiveBytes),
		wake:    make(chan struct{}, 1),
		ended:   make(chan struct{}),
		told:    make(chan struct{}),
		stateCh: make(chan struct{}),
		up:      make(chan struct{}),
		out:     outbox{maxMsgs: o.BufferMessages, maxB: o.BufferBytes},
	}
	for _, u := range o.Endpoints {
		c.secrets.Learn(u, nil)
	}
	c.scrub = redact.Errors(url, c.secrets)
	// Hooks get contexts made from c.ctx: FromContext finds c in them.
	c.ctx, c.cancel = context.WithCancelCause(context.WithValue(context.Background(), connKey{}, c))
	c.track = newTracker(&c.opts, c.tick)
	if o.Position != nil {
		c.pos = newPositions(o.Positions)
	}
	return c
}

// Err returns the final error once the Conn has ended (from EventClosed
// on), nil before.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.final == nil {
		return nil
	}
	return c.final
}

// Done returns a channel that is closed when the Conn has ended and all of
// its goroutines have returned, including any still inside a hook when
// Close returned.
func (c *Conn) Done() <-chan struct{} { return c.gate.done }

// Undelivered returns, once the Conn has ended (from EventClosed on), the
// messages that were buffered and never written, in order; those whose
// deadline passed (Options.Expiry, WriteUntil) have Expired set. It
// returns nil before. Tracked sends are not here: each has its Receipt.
func (c *Conn) Undelivered() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.undelivered
}

// Subprotocol returns the subprotocol of the current connection, "" when
// there is none.
func (c *Conn) Subprotocol() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		return ""
	}
	return c.cur.ws.Subprotocol()
}

// finish records the final error and ends the Conn. Err and Undelivered
// report the end from EventClosed on.
func (c *Conn) finish(err *Error, gen uint64) {
	c.mu.Lock()
	c.setStateLocked(Closed)
	c.closing = true
	c.final = err
	c.undelivered = c.out.drain(c.now())
	retired := c.retired
	c.mu.Unlock()
	c.settled(c.track.end(err, c.now()), true)
	for _, lk := range retired { // still closing: the end does not wait
		lk.kill(errClosed)
	}
	c.cancel(errClosed) // keeps the first cause if there was one
	close(c.ended)
	c.emit(Event{Kind: EventClosed, Generation: gen, Decision: err.Decision, Attempt: err.Attempts, Err: err})
	close(c.told)
	c.gate.finish()
}

// now is the time on the Conn's Clock.
func (c *Conn) now() time.Time { return c.opts.Clock.Now() }
