package reconnect

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/wsreconnect/wsreconnect/policy"
)

// loop is the state of one Conn's supervisor goroutine; only that
// goroutine touches it.
type loop struct {
	c     *Conn
	b     backoff.BackOff
	gen   uint64    // connections made so far
	since time.Time // start of the outage, for Policy.MaxOutage
	down  time.Time // when the last connection ended, for events
	tries           // since Dial or the last healthy connection

	eps    endpoints
	moveOn bool // the next attempt goes to the next endpoint at once
}

// run is the supervisor: dial, serve, classify, wait, repeat. It is the
// only goroutine a Conn keeps, and it reads from the connection.
func (c *Conn) run(ready chan<- struct{}, b backoff.BackOff) {
	now := c.now()
	l := &loop{c: c, b: b, since: now, down: now}
	c.policyCall(func() { l.eps = newEndpoints(c.url, c.opts.Endpoints, c.opts.ShuffleEndpoints, c.opts.Policy.Rand) })
	c.loop = l // for a rotation to take over
	c.preferred = l.eps.list[0]
	l.supervise(nil, func() { close(ready) })
}

// supervise runs the loop from the connection first (nil: dial one), until
// the Conn ends or a rotation hands the loop to another goroutine: the
// goroutine that runs it is the supervisor, and only it touches l.
func (l *loop) supervise(first *link, connected func()) {
	lk := first
	for {
		if lk == nil {
			lk = l.attempt()
		}
		if lk != nil {
			if l.session(lk, connected) {
				return // rotated: the new connection's goroutine has the loop
			}
			connected, lk = nil, nil
		}
		if e := l.stopError(); e != nil {
			l.c.finish(e, l.gen)
			return
		}
		if e := l.waitNext(); e != nil {
			l.c.finish(e, l.gen)
			return
		}
	}
}

// attempt dials once and runs OnConnect; on failure it classifies.
func (l *loop) attempt() *link {
	c := l.c
	lk := c.dialNext(&l.tries, l.gen+1, l.eps.cur, l.eps.list[l.eps.cur], false)
	if lk == nil {
		l.moveOn = c.ctx.Err() == nil && l.eps.failed(l.last)
	}
	return lk
}

// session serves an established connection until it ends, then
// classifies the end. It reports true if a rotation replaced the
// connection: the loop then belongs to the rotation's goroutine.
func (l *loop) session(lk *link, up func()) (rotated bool) {
	c := l.c
	l.gen = lk.gen
	start := c.now()
	l.eps.cur = lk.ep
	l.eps.up()
	connected := func() {
		l.connectedEvent(lk, start)
		c.rotatedEvent() // a rotation with nothing to check for duplicates is over
	}
	// A close reason can quote the URL back at us.
	err := c.scrub(c.serve(lk, connected, up))
	if lk.replaced.Load() {
		c.replacedEnd(lk, c.now().Sub(start), err) // l is not ours any more
		return true
	}
	c.rotatedEvent() // before this connection's end, if still pending
	l.down = c.now()
	uptime := l.down.Sub(start)
	if c.healthyUptime(err, uptime) >= c.opts.MinUptime {
		c.policyCall(l.b.Reset)
		l.attempts, l.since = 0, l.down
		l.refreshed = false
	}
	l.last, l.err = c.classifyAttempt(err, nil), err // a hook's error keeps its label
	refresh := l.refreshDue(c) && c.ctx.Err() == nil
	l.disconnectedEvent(lk, uptime, err, refresh)
	return false
}

// The supervisor's stack: try is on it while it dials and session while
// the connection is idle, and an Event literal (hundreds of bytes) in
// their frames pushed both past the goroutine's first 4 KiB, which the
// GC then cannot shrink back. The events are built in frames of their
// own, gone by the time the dial or the read blocks; noinline keeps the
// compiler from folding them back.

// attemptEvent reports the start of attempt a.
//
//go:noinline
func (c *Conn) attemptEvent(a Attempt, ep endpoint, waited time.Duration) {
	c.emit(Event{Kind: EventAttempt, Generation: a.Generation, Attempt: a.Number, Refresh: a.Refresh, Rotation: a.Rotation, Delay: waited, Target: ep.target, Endpoint: a.Endpoint})
}

// attemptDoneEvent reports the end of attempt a; d is its decision if it
// failed.
//
//go:noinline
func (c *Conn) attemptDoneEvent(a Attempt, ep endpoint, took time.Duration, resp *http.Response, err error, d policy.Decision) {
	e := Event{Kind: EventAttemptDone, Generation: a.Generation, Attempt: a.Number, Duration: took, Err: err, Decision: d, Rotation: a.Rotation, Target: ep.target, Endpoint: a.Endpoint}
	if resp != nil {
		e.Status = resp.StatusCode
	}
	c.emit(e)
}

// connectedEvent reports that the connection lk is up.
//
//go:noinline
func (l *loop) connectedEvent(lk *link, start time.Time) {
	l.c.emit(Event{Kind: EventConnected, Generation: l.gen, Attempt: l.attempts, Duration: start.Sub(l.down), Rotation: lk.rotated, Target: lk.tgt, Endpoint: lk.ep})
}

// disconnectedEvent reports the end of the connection lk.
//
//go:noinline
func (l *loop) disconnectedEvent(lk *link, uptime time.Duration, err error, refresh bool) {
	c := l.c
	c.emit(Event{Kind: EventDisconnected, Generation: l.gen, Duration: uptime, Decision: l.last, Err: err, Target: lk.tgt, Endpoint: lk.ep, Refresh: refresh, Dropped: c.takeDropped()})
}

// stopError returns the final error if the Conn must stop now.
func (l *loop) stopError() *Error {
	c := l.c
	if c.ctx.Err() != nil {
		switch cause := context.Cause(c.ctx).(type) {
		case *PanicError:
			return &Error{Kind: KindTerminal, Decision: panicDecision, Attempts: l.attempts, Err: c.scrub(cause)}
		case *canceledError:
			// The last failure says why the first connect did not finish.
			return &Error{Kind: KindCanceled, Decision: l.last, Attempts: l.attempts, Err: cause.err}
		}
		return &Error{Kind: KindClosed, Decision: closedDecision, Attempts: l.attempts, Err: errClosed}
	}
	if l.last.Auth && c.opts.Target != nil {
		if l.refreshed { // the fresh credential failed too
			return &Error{Kind: KindTerminal, Decision: l.last, Attempts: l.attempts, Err: &refreshError{l.err}}
		}
		return nil // waitNext refreshes
	}
	if l.moveOn {
		return nil // another endpoint may not say the same
	}
	if !l.last.Retry() {
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
	if l.refreshOnce(c) { // stopError ended the Conn if it refreshed already
		e := l.waiting(l.gen+1, 0, false)
		e.Refresh = true
		c.emit(e)
		return nil
	}
	if l.moveOn { // the next endpoint at once; the wait comes after a round
		l.moveOn = false
		return nil
	}
	l.eps.round()
	var next, delay time.Duration
	c.policyCall(func() {
		next = l.b.NextBackOff()
		delay = c.opts.Policy.Delay(l.last, next)
	})
	if c.ctx.Err() != nil { // Close, or a panic in the policy
		return l.stopError()
	}
	outage := c.now().Sub(l.since)
	if next == backoff.Stop || c.opts.Policy.GiveUp(l.attempts, outage, delay) {
		limit := LimitBackoff
		switch p := c.opts.Policy; {
		case p.MaxAttempts > 0 && l.attempts >= p.MaxAttempts:
			limit = LimitMaxAttempts
		case next != backoff.Stop:
			limit = LimitMaxOutage
		}
		c.emit(Event{Kind: EventGaveUp, Generation: l.gen + 1, Attempt: l.attempts, Duration: outage, Delay: delay, Decision: l.last, Err: l.err, Limit: limit})
		return &Error{Kind: KindGaveUp, Decision: l.last, Attempts: l.attempts, Err: l.err, Limit: limit, Outage: outage}
	}
	switch c.pause(l.waiting(l.gen+1, delay, false), c.wake) {
	case pauseWoken:
		l.applyReset()
	case pauseClosed:
		return l.stopError()
	}
	return nil
}

// applyReset starts the backoff and the outage over if ResetBackoff was
// called.
func (l *loop) applyReset() {
	if l.c.reset.Swap(false) {
		l.c.policyCall(l.b.Reset)
		l.attempts, l.since = 0, l.c.now()
	}
}

// classify decides what an end or a failed attempt means. Ends the
// application caused come first; the policy decides the rest.
func (c *Conn) classify(err error, resp *http.Response) policy.Decision {
	if c.ctx.Err() != nil {
		switch context.Cause(c.ctx).(type) {
		case *PanicError:
			return panicDecision
		case *canceledError:
			return canceledDecision
		}
		return closedDecision
	}
	switch {
	case errors.Is(err, errReconnect):
		return reconnectDecision
	case errors.Is(err, ErrStale):
		return staleDecision
	case errors.Is(err, ErrAckTimeout):
		return ackTimeoutDecision
	}
	var d policy.Decision
	if p := c.callHook("Classifier", func() { d = c.opts.Policy.Classify(err, resp) }); p != nil {
		c.fail(p)
		return panicDecision
	}
	return d
}
