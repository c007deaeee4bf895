package reconnect

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// errPingTimeout is the context cause of a ping that got no pong in time.
var errPingTimeout = timeoutError{"ping"}

// pingJitter divides PingInterval into the most that each wait falls
// short of it at random, so that Conns dialled together do not ping
// together for their whole life. Short, not long: PingInterval stays the
// longest gap, and a dead peer is found no later.
const pingJitter = 10

// heartbeat pings one connection every interval, less a random part of a
// pingJitter-th of it, from a Clock.AfterFunc callback, so an idle
// connection costs no goroutine between pings.
//
// A pong is only seen while the connection's reader is reading. While the
// reader waits for room in the receive buffer or runs OnMessage, the
// application holds it up, not the peer: pings are skipped then, and a
// pong that came late across such a pause is no death.
type heartbeat struct {
	interval, timeout time.Duration
	clock             Clock
	rand              func() float64 // Policy.Rand, safe for concurrent use

	paused    atomic.Bool    // the reader is held up by the application
	pauses    atomic.Uint64  // pauses so far
	seen      atomic.Uint64  // messages read, so a late pong behind data is no death
	onMessage *atomic.Uint64 // odd while OnMessage runs; see gate
	report    func(rtt time.Duration)

	mu      sync.Mutex
	lk      *link
	timer   Timer
	stopped bool
	running sync.WaitGroup // the armed or running tick
}

func newHeartbeat(o *Options, onMessage *atomic.Uint64) *heartbeat {
	return &heartbeat{interval: o.PingInterval, timeout: o.PingTimeout, clock: o.Clock,
		rand: o.Policy.Rand, onMessage: onMessage}
}

// held reports whether the application holds the reader up now.
func (h *heartbeat) held() bool { return h.paused.Load() || h.onMessage.Load()&1 == 1 }

// start arms the first ping; r is its draw from Policy.Rand, made by the
// caller outside the gate's busy count (a Rand that blocks holds no Close).
func (h *heartbeat) start(lk *link, r float64) {
	if h.interval < 0 {
		return
	}
	wait := pingWait(h.interval, r)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lk = lk
	h.armLocked(wait)
}

// pause and resume bracket a time the reader is held up.
func (h *heartbeat) pause() {
	h.pauses.Add(1)
	h.paused.Store(true)
}

func (h *heartbeat) resume() { h.paused.Store(false) }

func (h *heartbeat) armLocked(wait time.Duration) {
	h.running.Add(1)
	h.timer = h.clock.AfterFunc(wait, h.tick)
}

// pingWait returns interval less the part r, in [0, 1), of a pingJitter-th
// of it; an r out of range counts as the nearest end.
func pingWait(interval time.Duration, r float64) time.Duration {
	if !(r > 0) { // NaN too
		r = 0
	}
	return interval - time.Duration(float64(interval/pingJitter)*min(r, 1))
}

func (h *heartbeat) tick() {
	h.mu.Lock()
	lk, stopped := h.lk, h.stopped
	h.mu.Unlock()
	rtt, keep := time.Duration(-1), !stopped
	if keep && !h.held() {
		rtt, keep = h.ping(lk)
	}
	h.running.Done()
	// After Done: stop does not wait for Rand or the Observer. A stop that
	// came first has set stopped, and no Add follows its Wait.
	if keep {
		wait := pingWait(h.interval, h.rand())
		h.mu.Lock()
		if !h.stopped {
			h.armLocked(wait)
		}
		h.mu.Unlock()
	}
	if rtt >= 0 && h.report != nil {
		h.report(rtt)
	}
}

// ping reports whether the connection is to be kept, and the round trip
// when a pong came in its first window (-1 otherwise).
func (h *heartbeat) ping(lk *link) (time.Duration, bool) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	w := h.watchPong(lk, cancel)
	start := h.clock.Now()
	err := lk.ws.Ping(ctx)
	late := w.done()
	switch {
	case err == nil && late:
		return -1, true // its round trip would hold the wait behind the life
	case err == nil:
		return h.clock.Now().Sub(start), true
	}
	// The connection failed, and its reader reports why; or the pong was
	// missed, an abnormal closure killed by the watch: the peer or the
	// path is gone without a close frame.
	return -1, false
}

// pongWatch bounds a ping's wait for its pong with windows of PingTimeout.
//
// The ping's ctx ends only once the link is killed: coder/websocket closes
// the socket itself when that ctx ends during the ping's write, which a
// write held up by the network (or a tick not yet run) may still be in.
// So a window that saw life does not end the ping: the pong may be queued
// behind that life, and the wait goes on for another window.
type pongWatch struct {
	mu       sync.Mutex
	returned bool // a pong that beat the timer is no death
	waited   bool // a window passed
	t        Timer
}

func (h *heartbeat) watchPong(lk *link, cancel context.CancelCauseFunc) *pongWatch {
	w := new(pongWatch)
	if h.timeout > 0 {
		w.mu.Lock()
		w.armLocked(h, lk, cancel)
		w.mu.Unlock()
	}
	return w
}

func (w *pongWatch) armLocked(h *heartbeat, lk *link, cancel context.CancelCauseFunc) {
	spared := h.life(lk)
	w.t = h.clock.AfterFunc(h.timeout, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch {
		case w.returned:
		case spared():
			w.waited = true
			w.armLocked(h, lk, cancel)
		default:
			lk.kill(fmt.Errorf("failed to ping: no pong within %v: %w", h.timeout,
				errors.Join(websocket.CloseError{Code: websocket.StatusAbnormalClosure, Reason: "ping timeout"}, errPingTimeout)))
			cancel(errPingTimeout) // after the kill: the reader finds the missed pong as the cause
		}
	})
}

// done stops the watch once Ping returned, and reports whether a window
// passed.
func (w *pongWatch) done() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.returned = true
	if w.t != nil {
		w.t.Stop()
	}
	return w.waited
}

// life returns a report of whether, since life was called, bytes kept
// arriving (any frame is life, a long message too) or the application held
// the reader up: a pong may be queued behind them.
func (h *heartbeat) life(lk *link) func() bool {
	seen, pauses, handled, rx := h.seen.Load(), h.pauses.Load(), h.onMessage.Load(), lk.wire.received()
	return func() bool {
		return lk.wire.received() != rx || h.seen.Load() != seen || h.pauses.Load() != pauses ||
			h.onMessage.Load() != handled || h.held()
	}
}

// isStopped reports whether stop was called.
func (h *heartbeat) isStopped() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stopped
}

// stop disarms the heartbeat and waits for a running tick; the connection
// must already be closed so that a ping in flight returns.
func (h *heartbeat) stop() {
	h.mu.Lock()
	h.stopped = true
	if h.timer != nil && h.timer.Stop() {
		h.running.Done()
	}
	h.mu.Unlock()
	h.running.Wait()
}
