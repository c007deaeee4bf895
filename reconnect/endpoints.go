package reconnect

import (
	"github.com/wsreconnect/wsreconnect/internal/redact"
	"github.com/wsreconnect/wsreconnect/policy"
)

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
			j := min(int(rnd()*float64(i+1)), i) // a draw of 1 is the last
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
