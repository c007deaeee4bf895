package reconnect

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Freshness, not liveness: a feed can answer every ping while its data has
// stopped. The watch ends a connection that delivered no data message for
// Options.StaleAfter; pings, pongs and other control frames do not count.

// staleError is why a connection ended stale; after is 0 when the
// application said so (MarkStale).
type staleError struct{ after time.Duration }

func (e *staleError) Error() string {
	if e.after == 0 {
		return "reconnect: stale: marked by the application"
	}
	return fmt.Sprintf("reconnect: stale: no data message for %v", e.after)
}

func (e *staleError) Is(target error) bool { return target == ErrStale }

// MarkStale ends the current connection as stale, as Options.StaleAfter
// does: for the application that sees one subscription's data stop while
// the connection is alive. The Conn reconnects as after any failure (see
// StaleAfter); Rotate replaces the connection without a gap instead. It
// does not wait, so it is safe from every hook.
func (c *Conn) MarkStale() {
	c.mu.Lock()
	lk := c.cur
	c.mu.Unlock()
	if lk != nil {
		lk.kill(&staleError{})
	}
}

// staleWatch checks one connection's data every quarter of after, from a
// timer callback, so it costs no goroutine and nothing per message.
type staleWatch struct {
	after time.Duration
	clock Clock
	lk    *link
	hb    *heartbeat

	mu            sync.Mutex
	timer         Timer
	stopped       bool
	seen, handled uint64
	fresh         time.Time // when data last moved
	running       sync.WaitGroup
}

func (c *Conn) watchStale(lk *link) *staleWatch {
	if c.opts.StaleAfter <= 0 {
		return nil
	}
	w := &staleWatch{after: c.opts.StaleAfter, clock: c.opts.Clock, lk: lk, hb: lk.hb, fresh: c.now()}
	w.mu.Lock()
	w.armLocked()
	w.mu.Unlock()
	return w
}

func (w *staleWatch) armLocked() {
	w.running.Add(1)
	w.timer = w.clock.AfterFunc(w.after/4, w.tick)
}

func (w *staleWatch) tick() {
	defer w.running.Done()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	seen, handled := w.hb.seen.Load(), w.hb.onMessage.Load()
	now := w.clock.Now()
	switch {
	case seen != w.seen || handled != w.handled || w.hb.held():
		// Data moved, or the application holds the reader: not the
		// server's fault.
		w.seen, w.handled, w.fresh = seen, handled, now
	case now.Sub(w.fresh) >= w.after:
		w.lk.kill(&staleError{w.after})
		return
	}
	w.armLocked()
}

func (w *staleWatch) stop() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.stopped = true
	if w.timer != nil && w.timer.Stop() {
		w.running.Done()
	}
	w.mu.Unlock()
	w.running.Wait()
}

// healthyUptime is how long a connection that ended with err delivered
// fresh data: all of its uptime, less the stale time when it went stale.
func (c *Conn) healthyUptime(err error, uptime time.Duration) time.Duration {
	var se *staleError
	if !errors.As(err, &se) {
		return uptime
	}
	stale := se.after
	if stale == 0 { // marked by the application: when it went stale is unknown
		stale = max(c.opts.StaleAfter, c.opts.MinUptime)
	}
	return uptime - stale
}
