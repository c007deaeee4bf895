package reconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

var (
	errAttemptTimeout = timeoutError{"attempt"}
	errNoConn         = errors.New("reconnect: Dialer returned no connection and no error")
)

// dialOnce dials one attempt and runs OnConnect, both within DialTimeout.
// It returns the upgraded connection's wire too, nil if a custom Dialer's
// own HTTP client made it.
func (c *Conn) dialOnce(a Attempt) (*websocket.Conn, *wire, *http.Response, error) {
	ctx, cancel := context.WithCancelCause(c.ctx)
	defer cancel(nil)
	if c.opts.DialTimeout > 0 {
		t := c.opts.Clock.AfterFunc(c.opts.DialTimeout, func() { cancel(errAttemptTimeout) })
		defer t.Stop()
	}
	ctx, tap := withTap(ctx)
	ws, resp, err := c.dial(ctx, a)
	if err == nil {
		if err = c.connect(ctx, ws); err == nil {
			return ws, tap.w.Load(), resp, nil
		}
		// The handshake succeeded: what failed came after it, and the
		// 101 response must not make it a handshake failure.
		resp = nil
	}
	if context.Cause(ctx) == errAttemptTimeout {
		err = &attemptTimeoutError{d: c.opts.DialTimeout, err: err}
	}
	return nil, nil, resp, c.scrub(err)
}

// connect runs OnConnect on a new connection. From here the Conn owns ws:
// it is closed when the attempt times out or the Conn stops, which ends
// an OnConnect that reads or writes it, whatever ctx that uses.
func (c *Conn) connect(ctx context.Context, ws *websocket.Conn) error {
	ws.SetReadLimit(max(c.opts.ReadLimit, -1))
	stop := context.AfterFunc(ctx, func() { ws.CloseNow() })
	var err error
	if f := c.opts.OnConnect; f != nil {
		if p := c.callHook("OnConnect", func() { err = f(ctx, ws) }); p != nil {
			c.fail(p)
			err = p
		} else if err != nil {
			err = &hookError{LabelOnConnect, "failed to run OnConnect", err}
		}
	}
	if !stop() && err == nil {
		err = context.Cause(ctx) // the attempt ended as OnConnect returned
	}
	if err != nil {
		ws.CloseNow()
	}
	return err
}

// dial calls the Dialer on a short-lived goroutine and waits for it or for
// the attempt to end. The HTTP handshake needs a deep stack; grown on the
// supervisor, that stack would stay for the life of the connection.
func (c *Conn) dial(ctx context.Context, a Attempt) (*websocket.Conn, *http.Response, error) {
	d := &dialCall{done: make(chan struct{})}
	c.gate.spawn(func() { d.run(ctx, c, a) })
	select {
	case <-d.done:
		return d.ws, d.resp, d.err
	case <-ctx.Done():
		d.abandon()
		return nil, nil, context.Cause(ctx)
	}
}

// dialCall is one Dialer call. A Dialer that ignores its ctx is abandoned
// when the attempt ends; whatever connection it returns later is closed.
type dialCall struct {
	done      chan struct{}
	mu        sync.Mutex
	abandoned bool
	ws        *websocket.Conn
	resp      *http.Response
	err       error
}

func (d *dialCall) run(ctx context.Context, c *Conn, a Attempt) {
	var ws *websocket.Conn
	var resp *http.Response
	url, opts, err := c.apply(ctx, a)
	var p *PanicError
	if err == nil {
		p = c.callHook("Dialer", func() { ws, resp, err = c.opts.Dialer(ctx, url, opts) })
	}
	switch {
	case p != nil:
		c.fail(p)
		ws, err = nil, p
	case err != nil && ws != nil:
		// The handshake went through, then the Dialer failed: its error,
		// not the 101, says what happened.
		ws.CloseNow()
		ws, resp, err = nil, nil, &hookError{LabelDialer, "Dialer returned a connection and an error", err}
	case err == nil && ws == nil:
		err = &hookError{LabelDialer, "failed to dial", errNoConn}
	case err != nil && c.customDialer:
		err = &hookError{LabelDialer, "failed to dial", err}
	}
	d.mu.Lock()
	abandoned := d.abandoned
	if !abandoned {
		d.ws, d.resp, d.err = ws, resp, err
	}
	d.mu.Unlock()
	if abandoned && ws != nil {
		ws.CloseNow()
	}
	close(d.done)
}

func (d *dialCall) abandon() {
	d.mu.Lock()
	d.abandoned = true
	ws := d.ws
	d.ws = nil
	d.mu.Unlock()
	if ws != nil {
		ws.CloseNow()
	}
}

// hookError is an error returned by OnConnect or a Dialer.
type hookError struct {
	label string // for a failure the policy does not recognise
	what  string
	err   error
}

func (e *hookError) Error() string { return e.what + ": " + e.err.Error() }
func (e *hookError) Unwrap() error { return e.err }

// attemptTimeoutError is an attempt that ran out of DialTimeout. It wraps
// only the timeout, so that the policy retries it as one: what the hook
// or the Dialer returned on the way out (often context.Canceled) is kept
// in the text.
type attemptTimeoutError struct {
	d   time.Duration
	err error
}

func (e *attemptTimeoutError) Error() string {
	return fmt.Sprintf("failed to connect within %v: %v", e.d, e.err)
}
func (e *attemptTimeoutError) Unwrap() error { return errAttemptTimeout }
