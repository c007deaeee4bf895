package reconnect

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
)

// loop is the state of one Conn's supervisor goroutine; only that
// goroutine touches it.
type loop struct {
	c        *Conn
	b        backoff.BackOff
	gen      uint64    // connections made so far
	attempts int       // attempts since Dial or the last healthy connection
	since    time.Time // start of the outage, for Policy.MaxOutage
	down     time.Time // when the last connection ended, for events
	last     policy.Decision
	err      error // the cause of last

	refresh   bool // the next attempt fetches a fresh credential
	refreshed bool // it did, and no connection has been healthy since

	eps    endpoints
	moveOn bool // the next attempt goes to the next endpoint at once
}

// run is the supervisor: dial, serve, classify, wait, repeat. It is the
// only goroutine a Conn keeps, and it reads from the connection.
func (c *Conn) run(ready chan<- struct{}, b backoff.BackOff) {
	now := c.now()
	l := &loop{c: c, b: b, since: now, down: now,
		eps: newEndpoints(c.url, c.opts.Endpoints, c.opts.ShuffleEndpoints, c.opts.Policy.Rand)}
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
	l.attempts++
	gen := l.gen + 1
	ep := l.eps.list[l.eps.cur]
	a := Attempt{Number: l.attempts, Generation: gen, Last: l.last, Refresh: l.refresh, Endpoint: l.eps.cur, URL: ep.url}
	l.refresh = false
	lk, d, err := c.try(a, ep)
	if err != nil {
		l.last, l.err = d, err
		l.moveOn = c.ctx.Err() == nil && l.eps.failed(d)
	}
	return lk
}

// try makes one attempt: the dial budget, the dial and OnConnect, with
// EventAttempt and EventAttemptDone. A failed attempt returns its
// decision.
func (c *Conn) try(a Attempt, ep endpoint) (*link, policy.Decision, error) {
	waited, err := c.budget()
	c.emit(Event{Kind: EventAttempt, Generation: a.Generation, Attempt: a.Number, Refresh: a.Refresh, Rotation: a.Rotation, Delay: waited, Target: ep.target, Endpoint: a.Endpoint})
	start := c.now()
	var ws *websocket.Conn
	var resp *http.Response
	if err == nil {
		ws, resp, err = c.dialOnce(a)
	} else {
		err = &hookError{"dial_budget", "failed to wait for DialBudget", err}
	}
	e := Event{Kind: EventAttemptDone, Generation: a.Generation, Attempt: a.Number, Duration: c.now().Sub(start), Err: err, Rotation: a.Rotation, Target: ep.target, Endpoint: a.Endpoint}
	if resp != nil {
		e.Status = resp.StatusCode
	}
	if err != nil {
		e.Decision = c.classifyAttempt(err, resp)
		c.emit(e)
		return nil, e.Decision, err
	}
	c.emit(e)
	return newLink(ws, a.Generation, a.Endpoint, ep), policy.Decision{}, nil
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
	c.emit(Event{Kind: EventConnected, Generation: l.gen, Attempt: l.attempts, Duration: start.Sub(l.down), Rotation: lk.rotated, Target: lk.tgt, Endpoint: lk.ep})
	c.rotatedEvent() // a rotation with nothing to check for duplicates is over
	// A close reason can quote the URL back at us.
	err := c.scrub(c.serve(lk, up))
	if lk.replaced.Load() {
		c.replacedEnd(lk, c.now().Sub(start), err) // l is not ours any more
		return true
	}
	c.rotatedEvent() // before this connection's end, if still pending
	l.down = c.now()
	uptime := l.down.Sub(start)
	if c.healthyUptime(err, uptime) >= c.opts.MinUptime {
		l.b.Reset()
		l.attempts, l.since = 0, l.down
		l.refreshed = false
	}
	l.last, l.err = c.classify(err, nil), err
	c.emit(Event{Kind: EventDisconnected, Generation: l.gen, Duration: uptime, Decision: l.last, Err: err, Target: lk.tgt, Endpoint: lk.ep, Dropped: c.takeDropped()})
	return false
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
	if l.last.Auth && c.opts.Target != nil {
		// A dead credential is never retried blind: once, at once, with
		// a fresh one.
		l.refresh, l.refreshed = true, true
		c.emit(Event{Kind: EventWaiting, Generation: l.gen + 1, Attempt: l.attempts + 1, Decision: l.last, Err: l.err, Refresh: true})
		return nil
	}
	if l.moveOn { // the next endpoint at once; the wait comes after a round
		l.moveOn = false
		return nil
	}
	l.eps.round()
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
	case <-c.ctx.Done():
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
