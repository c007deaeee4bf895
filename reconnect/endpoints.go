package reconnect

import (
	"context"
	"time"

	"github.com/wsreconnect/wsreconnect/internal/redact"
	"github.com/wsreconnect/wsreconnect/policy"
)

// Limiter is a shared budget: Wait blocks until one more use is allowed,
// or ctx ends. *rate.Limiter from golang.org/x/time/rate satisfies it.
type Limiter interface {
	Wait(ctx context.Context) error
}

// endpoint is one URL a Conn can dial.
type endpoint struct {
	url, target string // target: without secrets, for events
	skip        bool   // failed in a way only it can: passed over for this outage
	tried       bool   // failed in this round, since the last wait
}

// endpoints is the supervisor's failover state: only it touches it.
type endpoints struct {
	list []endpoint
	cur  int // the endpoint of the last attempt
}

func newEndpoints(url string, more []string, shuffle bool, rnd func() float64) endpoints {
	list := []endpoint{{url: url, target: redact.RawURL(url)}}
	for _, u := range more {
		list = append(list, endpoint{url: u, target: redact.RawURL(u)})
	}
	if shuffle { // a fleet should not all start on the first URL
		for i := len(list) - 1; i > 0; i-- {
			j := int(rnd() * float64(i+1))
			list[i], list[j] = list[j], list[i]
		}
	}
	return endpoints{list: list}
}

// failed records an attempt on the current endpoint that failed with d,
// and reports whether another endpoint is to be tried at once: d is one
// another endpoint may not share, and the round has an untried one left.
func (e *endpoints) failed(d policy.Decision) bool {
	if len(e.list) == 1 || d.Auth { // the same credential everywhere
		return false
	}
	switch {
	case d.Retry():
		e.list[e.cur].tried = true
	case d.EndpointOnly:
		e.list[e.cur].skip = true
	default:
		return false // the service said stop, wherever it is asked
	}
	return e.advance(func(ep endpoint) bool { return !ep.skip && !ep.tried })
}

// advance moves cur to the next endpoint that ok accepts, if any.
func (e *endpoints) advance(ok func(endpoint) bool) bool {
	for i := 1; i <= len(e.list); i++ {
		if j := (e.cur + i) % len(e.list); ok(e.list[j]) {
			e.cur = j
			return true
		}
	}
	return false
}

// round starts a new round after a wait: after a round of failures, on
// the next endpoint not passed over; after a drop, on the same one.
func (e *endpoints) round() {
	failed := e.list[e.cur].tried
	for i := range e.list {
		e.list[i].tried = false
	}
	if failed {
		e.advance(func(ep endpoint) bool { return !ep.skip })
	}
}

// up records a connection on the current endpoint: the outage is over.
func (e *endpoints) up() {
	for i := range e.list {
		e.list[i].skip, e.list[i].tried = false, false
	}
}

// budget waits for Options.DialBudget and returns how long it took. It is
// no part of the attempt's DialTimeout and no failure; a Conn that closes
// meanwhile ends the wait.
func (c *Conn) budget() (time.Duration, error) {
	lim := c.opts.DialBudget
	if lim == nil {
		return 0, nil
	}
	start := time.Now() // the real clock: a Limiter waits in real time
	var err error
	if p := c.callHook("DialBudget", func() { err = lim.Wait(c.ctx) }); p != nil {
		c.fail(p)
		return time.Since(start), p
	}
	return time.Since(start), err
}

// pace waits for Options.WritePacer before a message goes out.
func (c *Conn) pace(ctx context.Context) error {
	if p := c.opts.WritePacer; p != nil {
		return p.Wait(ctx)
	}
	return nil
}

// paceFlush is pace on the Conn's own flush goroutine: there the pacer
// is a hook, which Close does not wait for and whose panic ends the Conn.
func (c *Conn) paceFlush() error {
	if c.opts.WritePacer == nil {
		return nil // no hook, and no closure per flushed message
	}
	var err error
	if p := c.callHook("WritePacer", func() { err = c.pace(c.ctx) }); p != nil {
		c.fail(p)
		return p
	}
	return err
}
