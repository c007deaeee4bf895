package reconnect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
)

var (
	errClosed         = fmt.Errorf("reconnect: %w", net.ErrClosed)
	errAttemptTimeout = timeoutError{"attempt"}
	errNoConn         = errors.New("reconnect: Dialer returned no connection and no error")
)

// Decision labels the Conn gives to ends that are not the server's doing,
// so observers can tell them apart from policy labels.
const (
	// LabelReconnect: the application called Reconnect.
	LabelReconnect = "reconnect"
	// LabelClosed: the application called Close or CloseNow.
	LabelClosed = "closed"
	// LabelCanceled: the ctx given to Dial ended during the first connect.
	LabelCanceled = "canceled"
	// LabelOnConnect: OnConnect failed with an error the policy does not
	// recognise.
	LabelOnConnect = "on_connect"
)

// loop is the state of one Conn's supervisor goroutine; only that
// goroutine touches it.
type loop struct {
	c        *Conn
	ctx      context.Context // the first-connect ctx, then c.ctx
	dialCtx  context.Context // the ctx given to Dial
	b        backoff.BackOff
	gen      uint64    // connections made so far
	attempts int       // attempts since Dial or the last healthy connection
	since    time.Time // start of the outage, for Policy.MaxOutage
	down     time.Time // when the last connection ended, for events
	last     policy.Decision
	err      error // the cause of last
}

// run is the supervisor: dial, serve, classify, wait, repeat. It is the
// only goroutine a Conn keeps, and it reads from the connection.
func (c *Conn) run(dialCtx context.Context, ready chan<- struct{}, b backoff.BackOff) {
	first, cancel := context.WithCancel(c.ctx)
	stop := context.AfterFunc(dialCtx, cancel)
	now := c.now()
	l := &loop{c: c, ctx: first, dialCtx: dialCtx, b: b, since: now, down: now}
	err := l.supervise(func() {
		stop()
		cancel()
		l.ctx = c.ctx
		close(ready)
	})
	stop()
	cancel()
	c.finish(err, l.gen)
}

func (l *loop) supervise(connected func()) *Error {
	for {
		if ws := l.attempt(); ws != nil {
			l.session(ws, connected)
			connected = nil
		}
		if e := l.stopError(); e != nil {
			return e
		}
		if e := l.waitNext(); e != nil {
			return e
		}
	}
}

// attempt dials once and runs OnConnect; on failure it classifies.
func (l *loop) attempt() *websocket.Conn {
	c := l.c
	l.attempts++
	c.emit(Event{Kind: EventAttempt, Generation: l.gen + 1, Attempt: l.attempts})
	start := c.now()
	ws, resp, err := c.dialOnce(l.ctx)
	e := Event{Kind: EventAttemptDone, Generation: l.gen + 1, Attempt: l.attempts, Duration: c.now().Sub(start), Err: err}
	if resp != nil {
		e.Status = resp.StatusCode
	}
	if err != nil {
		l.last, l.err = l.classifyAttempt(err, resp), err
		e.Decision = l.last
	}
	c.emit(e)
	return ws
}

// dialOnce dials with the per-attempt timeout and runs OnConnect.
func (c *Conn) dialOnce(parent context.Context) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	t := c.opts.Clock.AfterFunc(c.opts.DialTimeout, func() { cancel(errAttemptTimeout) })
	defer t.Stop()
	ws, resp, err := c.dial(ctx)
	if err == nil && ws == nil {
		err = errNoConn
	}
	if err == nil {
		ws.SetReadLimit(max(c.opts.ReadLimit, -1))
		if c.opts.OnConnect != nil {
			if err = c.opts.OnConnect(ctx, ws); err != nil {
				ws.CloseNow()
				err = &hookError{err}
			}
		}
	}
	if err != nil && context.Cause(ctx) == errAttemptTimeout {
		err = fmt.Errorf("failed to connect within %v: %w", c.opts.DialTimeout, errAttemptTimeout)
	}
	if err != nil {
		return nil, resp, c.scrub(err)
	}
	return ws, resp, nil
}

// dial calls the Dialer on a short-lived goroutine and waits for it. The
// HTTP handshake needs a deep stack; grown on the supervisor, that stack
// would stay for the life of the connection (the read loop keeps it in
// use, so the GC does not shrink it), doubling an idle Conn's stack.
func (c *Conn) dial(ctx context.Context) (*websocket.Conn, *http.Response, error) {
	type result struct {
		ws   *websocket.Conn
		resp *http.Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		ws, resp, err := c.opts.Dialer(ctx, c.url, cloneDialOptions(c.opts.DialOptions))
		done <- result{ws, resp, err}
	}()
	r := <-done
	return r.ws, r.resp, r.err
}

// session serves an established connection until it ends, then
// classifies the end.
func (l *loop) session(ws *websocket.Conn, up func()) {
	c := l.c
	l.gen++
	start := c.now()
	c.emit(Event{Kind: EventConnected, Generation: l.gen, Attempt: l.attempts, Duration: start.Sub(l.down)})
	// A close reason can quote the URL back at us.
	err := c.scrub(c.serve(ws, newHeartbeat(c.opts), up))
	l.down = c.now()
	uptime := l.down.Sub(start)
	if uptime >= c.opts.MinUptime {
		l.b.Reset()
		l.attempts, l.since = 0, l.down
	}
	l.last, l.err = l.classifyEnd(ws, err), err
	c.emit(Event{Kind: EventDisconnected, Generation: l.gen, Duration: uptime, Decision: l.last, Err: err})
}

func (l *loop) classify(err error, resp *http.Response) policy.Decision {
	switch {
	case l.c.ctx.Err() != nil:
		return policy.Decision{Category: policy.Terminal, Outcome: policy.Stop, Label: LabelClosed}
	case l.ctx.Err() != nil:
		return policy.Decision{Category: policy.Terminal, Outcome: policy.Stop, Label: LabelCanceled}
	}
	return l.c.opts.Policy.Classify(err, resp)
}

// classifyAttempt classifies a failed attempt. An OnConnect failure is not
// a handshake failure, so the 101 response is left out; an error the policy
// does not recognise is labelled on_connect rather than as a bare 1006.
func (l *loop) classifyAttempt(err error, resp *http.Response) policy.Decision {
	var h *hookError
	if !errors.As(err, &h) {
		return l.classify(err, resp)
	}
	d := l.classify(err, nil)
	var ce websocket.CloseError
	if d.Label == "close_1006" && !errors.As(err, &ce) {
		d.Label = LabelOnConnect
	}
	return d
}

func (l *loop) classifyEnd(ws *websocket.Conn, err error) policy.Decision {
	c := l.c
	c.mu.Lock()
	requested := c.reconnect == ws
	c.mu.Unlock()
	if requested && l.ctx.Err() == nil {
		return policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Label: LabelReconnect}
	}
	return l.classify(err, nil)
}

// stopError returns the final error if the Conn must stop now.
func (l *loop) stopError() *Error {
	switch {
	case l.c.ctx.Err() != nil:
		return &Error{Kind: KindClosed, Decision: l.last, Attempts: l.attempts, Err: errClosed}
	case l.ctx.Err() != nil:
		return &Error{Kind: KindCanceled, Decision: l.last, Attempts: l.attempts, Err: l.dialCtx.Err()}
	case !l.last.Retry():
		return &Error{Kind: KindTerminal, Decision: l.last, Attempts: l.attempts, Err: l.err}
	}
	return nil
}

// waitNext waits before the next attempt, or gives up.
func (l *loop) waitNext() *Error {
	c := l.c
	l.applyReset()
	if l.last.Label == LabelReconnect {
		return nil
	}
	next := l.b.NextBackOff()
	delay := c.opts.Policy.Delay(l.last, next)
	outage := c.now().Sub(l.since)
	if next == backoff.Stop || c.opts.Policy.GiveUp(l.attempts, outage, delay) {
		c.emit(Event{Kind: EventGaveUp, Generation: l.gen + 1, Attempt: l.attempts, Duration: outage, Decision: l.last, Err: l.err})
		return &Error{Kind: KindGaveUp, Decision: l.last, Attempts: l.attempts, Err: l.err}
	}
	t := c.opts.Clock.NewTimer(delay)
	defer t.Stop()
	// The timer is armed before the event, so a fake clock advanced on
	// the event always finds it.
	c.emit(Event{Kind: EventWaiting, Generation: l.gen + 1, Attempt: l.attempts + 1, Delay: delay, Decision: l.last, Err: l.err})
	select {
	case <-t.C():
	case <-c.wake:
		l.applyReset()
	case <-l.ctx.Done():
		return l.stopError()
	}
	return nil
}

// applyReset starts the backoff and the outage over if ResetBackoff was
// called.
func (l *loop) applyReset() {
	if l.c.reset.Swap(false) {
		l.b.Reset()
		l.attempts, l.since = 0, l.c.now()
	}
}

// hookError is an error returned by OnConnect.
type hookError struct{ err error }

func (e *hookError) Error() string { return "failed to run OnConnect: " + e.err.Error() }
func (e *hookError) Unwrap() error { return e.err }
