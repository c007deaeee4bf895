// Package fakeclock is a reconnect.Clock that moves only when a test says
// so. Tests wait on its timers instead of sleeping.
package fakeclock

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Clock is a manual reconnect.Clock.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*timer
	changed chan struct{} // closed and replaced when timers change
}

// New returns a Clock set to start.
func New(start time.Time) *Clock {
	return &Clock{now: start, changed: make(chan struct{})}
}

type timer struct {
	c    *Clock
	when time.Time
	ch   chan time.Time
	f    func()
}

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer whose channel receives when the clock reaches
// now+d.
func (c *Clock) NewTimer(d time.Duration) reconnect.Timer {
	return c.add(&timer{c: c, ch: make(chan time.Time, 1)}, d)
}

// AfterFunc runs f in its own goroutine when the clock reaches now+d.
func (c *Clock) AfterFunc(d time.Duration, f func()) reconnect.Timer {
	return c.add(&timer{c: c, f: f}, d)
}

func (c *Clock) add(t *timer, d time.Duration) *timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t.when = c.now.Add(d)
	c.timers = append(c.timers, t)
	c.signalLocked()
	if d <= 0 {
		c.fireLocked()
	}
	return t
}

func (c *Clock) signalLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Advance moves the clock forward by d and fires every timer that is due,
// in order of their deadlines.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.fireLocked()
}

func (c *Clock) fireLocked() {
	slices.SortStableFunc(c.timers, func(a, b *timer) int { return a.when.Compare(b.when) })
	n := 0
	for _, t := range c.timers {
		if t.when.After(c.now) {
			break
		}
		n++
		if t.f != nil {
			go t.f()
		} else {
			select {
			case t.ch <- c.now:
			default:
			}
		}
	}
	if n > 0 {
		c.timers = slices.Delete(c.timers, 0, n)
		c.signalLocked()
	}
}

// Pending returns, for each armed timer, the time left until it fires, in
// the order they will fire.
func (c *Clock) Pending() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pendingLocked()
}

func (c *Clock) pendingLocked() []time.Duration {
	out := make([]time.Duration, 0, len(c.timers))
	for _, t := range c.timers {
		out = append(out, t.when.Sub(c.now))
	}
	slices.Sort(out)
	return out
}

// WaitFor blocks until ok returns true for the pending timers, or ctx
// ends; it reports whether ok became true.
func (c *Clock) WaitFor(ctx context.Context, ok func(pending []time.Duration) bool) bool {
	for {
		c.mu.Lock()
		p, ch := c.pendingLocked(), c.changed
		c.mu.Unlock()
		if ok(p) {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// WaitTimer blocks until a timer of exactly d from now is pending.
func (c *Clock) WaitTimer(ctx context.Context, d time.Duration) bool {
	return c.WaitFor(ctx, func(p []time.Duration) bool { return slices.Contains(p, d) })
}

func (t *timer) C() <-chan time.Time { return t.ch }

// Stop disarms the timer; it reports whether that prevented it firing.
func (t *timer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.Index(c.timers, t)
	if i < 0 {
		return false
	}
	c.timers = slices.Delete(c.timers, i, i+1)
	c.signalLocked()
	return true
}
