package reconnect

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
)

// Conn is a WebSocket connection that reconnects. It is safe for
// concurrent use: Read, Write and the controls may be called from any
// goroutine. Read and Write carry on across reconnects.
type Conn struct {
	url    string
	target string // url without secrets, for events
	opts   Options
	scrub  func(error) error

	ctx    context.Context // ends when the Conn is closed
	cancel context.CancelFunc
	inbox  chan Message  // supervisor -> Read
	wake   chan struct{} // Reconnect and ResetBackoff -> supervisor
	done   chan struct{} // closed when every goroutine has returned
	reset  atomic.Bool   // ResetBackoff was called
	helper sync.WaitGroup

	// writable is the current connection once OnConnect has run and the
	// buffer is flushed; Write uses it without taking mu.
	writable atomic.Pointer[websocket.Conn]

	mu          sync.Mutex
	state       State
	stateCh     chan struct{}
	cur         *websocket.Conn // current connection, flushed or not
	up          chan struct{}   // closed while writable; for SendBlock
	out         outbox
	closing     bool
	reconnect   *websocket.Conn // the connection Reconnect asked to drop
	final       error
	undelivered []Message
}

// Dial connects to url and returns a Conn that stays connected until Close,
// a terminal close or handshake, or a give-up limit. The first connection
// goes through the same policy as reconnects: Dial retries retryable
// failures and returns when a connection is up and OnConnect succeeded, or
// with an *Error. ctx bounds this first connect only, as it does for
// websocket.Dial; give it a deadline, or set Policy.MaxAttempts, unless
// Dial should wait for the server indefinitely.
func Dial(ctx context.Context, url string, opts *Options) (*Conn, error) {
	o, err := opts.cloneWithDefaults()
	if err != nil {
		return nil, err
	}
	if err := policy.CheckURL(url); err != nil {
		err = scrubber(url)(err)
		return nil, &Error{Kind: KindTerminal, Decision: o.Policy.Classify(err, nil), Err: err}
	}
	b := o.Policy.BackOff() // one per connection; a nil one would panic in run
	if b == nil {
		return nil, errors.New("reconnect: invalid Policy: NewBackOff returned nil")
	}
	c := newConn(url, o)
	ready := make(chan struct{})
	go c.run(ctx, ready, b)
	select {
	case <-ready:
		return c, nil
	case <-c.done:
		select {
		case <-ready: // it was up, then ended: Read and Err report the end
			return c, nil
		default:
			return nil, c.final
		}
	}
}

func newConn(url string, o Options) *Conn {
	c := &Conn{
		url:     url,
		target:  redactURL(url),
		opts:    o,
		scrub:   scrubber(url),
		inbox:   make(chan Message),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		stateCh: make(chan struct{}),
		up:      make(chan struct{}),
		out:     outbox{maxMsgs: o.BufferMessages, maxB: o.BufferBytes},
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// Read returns the next message from whichever connection is current; a
// reconnect is invisible to it. It returns an error only when ctx ends
// (the connection is not affected) or the Conn has ended (an *Error).
// Concurrent Reads each get different messages.
func (c *Conn) Read(ctx context.Context) (websocket.MessageType, []byte, error) {
	select {
	case m := <-c.inbox:
		return m.Type, m.Data, nil
	case <-c.done:
		return 0, nil, c.final
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
}

// Write sends a message on the current connection. Without one, it
// follows Options.SendMode. A nil error means the message was handed to the
// connection or the send buffer, not that the peer got it: a message
// written just before a drop can be lost in flight, so use application
// acknowledgements where loss matters. A write that fails because the
// connection died is buffered again (SendBuffer), retried on the next
// connection (SendBlock) or reported (SendFail). If ctx ends while a
// message is being written, coder/websocket closes that connection, and
// the Conn reconnects.
func (c *Conn) Write(ctx context.Context, typ websocket.MessageType, p []byte) error {
	for {
		if ws := c.writable.Load(); ws != nil {
			err := ws.Write(ctx, typ, p)
			if err == nil {
				return nil
			}
			if ctx.Err() != nil {
				return fmt.Errorf("failed to write: %w", ctx.Err())
			}
			c.mu.Lock()
			c.dropWritableLocked(ws)
			c.mu.Unlock()
			if c.opts.SendMode == SendFail {
				return fmt.Errorf("failed to write: %w", err)
			}
		}
		retry, err := c.writeDisconnected(ctx, typ, p)
		if !retry {
			return err
		}
	}
}

// writeDisconnected applies the SendMode; retry means a connection came up
// and the message should go to it.
func (c *Conn) writeDisconnected(ctx context.Context, typ websocket.MessageType, p []byte) (retry bool, err error) {
	c.mu.Lock()
	if c.writable.Load() != nil {
		c.mu.Unlock()
		return true, nil
	}
	if c.state == Closed || c.closing {
		c.mu.Unlock()
		return false, c.endErr()
	}
	switch c.opts.SendMode {
	case SendFail:
		c.mu.Unlock()
		return false, ErrNotConnected
	case SendBuffer:
		ok := c.out.push(typ, p)
		c.mu.Unlock()
		if !ok {
			return false, ErrBufferFull
		}
		return false, nil
	}
	up := c.up
	c.mu.Unlock()
	select {
	case <-up:
		return true, nil
	case <-c.done:
		return false, c.final
	case <-ctx.Done():
		return false, fmt.Errorf("failed to write: %w", ctx.Err())
	}
}

// endErr is the error for use after the Conn ended or began closing.
func (c *Conn) endErr() error {
	if c.final != nil {
		return c.final
	}
	return &Error{Kind: KindClosed, Err: errClosed}
}

// Err returns the final error once the Conn has ended, nil before.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.final
	default:
		return nil
	}
}

// Done returns a channel that is closed when the Conn has ended and all of
// its goroutines have returned.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Undelivered returns, once the Conn has ended, the messages that were
// buffered and never written, in order. It returns nil before.
func (c *Conn) Undelivered() []Message {
	select {
	case <-c.done:
		return c.undelivered
	default:
		return nil
	}
}

// Subprotocol returns the subprotocol of the current connection, "" when
// there is none.
func (c *Conn) Subprotocol() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		return ""
	}
	return c.cur.Subprotocol()
}
