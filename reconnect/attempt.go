package reconnect

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
)

// The attempts of a dialing loop, shared by the supervisor (supervise.go)
// and a rotation (rotate.go): the count, the refresh of a rejected
// credential, and the wait between attempts.

// tries is the attempt state of one dialing loop; only the goroutine that
// runs the loop touches it.
type tries struct {
	attempts int // attempts so far
	last     policy.Decision
	err      error // the cause of last

	refresh   bool // the next attempt fetches a fresh credential
	refreshed bool // it did, and no connection has been healthy since
}

// dialNext makes the next attempt, of connection gen on endpoint ep (e),
// and records its decision if it fails.
func (c *Conn) dialNext(t *tries, gen uint64, ep int, e endpoint, rotation bool) *link {
	t.attempts++
	a := Attempt{Number: t.attempts, Generation: gen, Last: t.last, Refresh: t.refresh, Rotation: rotation, Endpoint: ep, URL: e.url}
	t.refresh = false
	lk, d, err := c.try(a, e)
	if err != nil {
		t.last, t.err = d, err
		if !rotation {
			c.lastFailure.Store(&d) // for a Dial that returns while a hook runs
		}
	}
	return lk
}

// refreshDue reports whether the last failure rejected a credential that
// Options.Target has not refreshed yet.
func (t *tries) refreshDue(c *Conn) bool {
	return t.last.Auth && c.opts.Target != nil && !t.refreshed
}

// refreshOnce arms the refresh for the next attempt if it is due: a dead
// credential is never retried blind, but once, at once, with a fresh one.
func (t *tries) refreshOnce(c *Conn) bool {
	if !t.refreshDue(c) {
		return false
	}
	t.refresh, t.refreshed = true, true
	return true
}

// waiting is the EventWaiting before the next attempt, of connection gen.
func (t *tries) waiting(gen uint64, delay time.Duration, rotation bool) Event {
	return Event{Kind: EventWaiting, Generation: gen, Attempt: t.attempts + 1, Delay: delay, Decision: t.last, Err: t.err, Rotation: rotation}
}

// pauseEnd says what ended a pause.
type pauseEnd int

const (
	pauseElapsed pauseEnd = iota // the delay passed
	pauseWoken                   // wake fired first
	pauseClosed                  // the Conn ended
)

// pause emits e and waits e.Delay, or until wake fires or the Conn ends.
// The timer is armed before the event, so a fake clock advanced on the
// event always finds it.
func (c *Conn) pause(e Event, wake <-chan struct{}) pauseEnd {
	t := c.opts.Clock.NewTimer(e.Delay)
	defer t.Stop()
	c.emit(e)
	select {
	case <-t.C():
		return pauseElapsed
	case <-wake:
		return pauseWoken
	case <-c.ctx.Done():
		return pauseClosed
	}
}

// try makes one attempt: the dial budget, the dial and OnConnect, with
// EventAttempt and EventAttemptDone. A failed attempt returns its
// decision.
func (c *Conn) try(a Attempt, ep endpoint) (*link, policy.Decision, error) {
	waited, err := c.budget()
	if c.ctx.Err() != nil { // closed while it waited: no hook runs now
		if err == nil {
			err = context.Cause(c.ctx)
		}
		return nil, c.classify(err, nil), err
	}
	c.attemptEvent(a, ep, waited)
	start := c.now()
	var ws *websocket.Conn
	var w *wire
	var resp *http.Response
	if err == nil {
		ws, w, resp, err = c.dialOnce(a)
	} else {
		err = &hookError{"dial_budget", "failed to wait for DialBudget", err}
	}
	took := c.now().Sub(start)
	if err != nil {
		d := c.classifyAttempt(err, resp)
		c.attemptDoneEvent(a, ep, took, resp, err, d)
		return nil, d, err
	}
	c.attemptDoneEvent(a, ep, took, resp, nil, policy.Decision{})
	lk := newLink(ws, a.Generation, a.Endpoint, ep)
	lk.wire = w
	return lk, policy.Decision{}, nil
}

// classifyAttempt classifies a failed attempt or a connection's end. An
// error the policy does not recognise from a hook (OnConnect, the Dialer,
// Target) is labelled after the hook rather than as a bare 1006.
func (c *Conn) classifyAttempt(err error, resp *http.Response) policy.Decision {
	d := c.classify(err, resp)
	var h *hookError
	if errors.As(err, &h) && d.Label == policy.LabelAbnormal && !d.Drop && !errors.Is(err, errCut) {
		// Not a drop: the hook's own failure, with no close code.
		d.Label, d.Code = h.label, 0
	}
	return d
}
