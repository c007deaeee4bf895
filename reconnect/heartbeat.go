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

// heartbeat pings one connection every interval from a Clock.AfterFunc
// callback, so an idle connection costs no goroutine between pings.
//
// A pong is only seen while the connection's reader is reading. While the
// reader waits for room in the receive buffer or runs OnMessage, the
// application holds it up, not the peer: pings are skipped then, and a
// pong that came late across such a pause is no death.
type heartbeat struct {
	interval, timeout time.Duration
	clock             Clock

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
	return &heartbeat{interval: o.PingInterval, timeout: o.PingTimeout, clock: o.Clock, onMessage: onMessage}
}

// held reports whether the application holds the reader up now.
func (h *heartbeat) held() bool { return h.paused.Load() || h.onMessage.Load()&1 == 1 }

func (h *heartbeat) start(lk *link) {
	if h.interval < 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lk = lk
	h.armLocked()
}

// pause and resume bracket a time the reader is held up.
func (h *heartbeat) pause() {
	h.pauses.Add(1)
	h.paused.Store(true)
}

func (h *heartbeat) resume() { h.paused.Store(false) }

func (h *heartbeat) armLocked() {
	h.running.Add(1)
	h.timer = h.clock.AfterFunc(h.interval, h.tick)
}

func (h *heartbeat) tick() {
	h.mu.Lock()
	lk, stopped := h.lk, h.stopped
	h.mu.Unlock()
	rtt, keep := time.Duration(-1), !stopped
	if keep && !h.held() {
		rtt, keep = h.ping(lk)
	}
	if keep {
		h.mu.Lock()
		if !h.stopped {
			h.armLocked()
		}
		h.mu.Unlock()
	}
	h.running.Done()
	// Reported after Done: stop does not wait for the Observer.
	if rtt >= 0 && h.report != nil {
		h.report(rtt)
	}
}

// ping reports whether the connection is to be kept, and the round trip
// when a pong came (-1 otherwise).
func (h *heartbeat) ping(lk *link) (time.Duration, bool) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	seen, pauses, handled, rx := h.seen.Load(), h.pauses.Load(), h.onMessage.Load(), lk.wire.received()
	spared := func() bool {
		// Bytes kept arriving (any frame is life, a long message too), or
		// the application held the reader up: the pong may be queued
		// behind them.
		return lk.wire.received() != rx || h.seen.Load() != seen || h.pauses.Load() != pauses ||
			h.onMessage.Load() != handled || h.held()
	}
	var mu sync.Mutex
	returned := false // a pong that beat the timer is no death
	if h.timeout > 0 {
		t := h.clock.AfterFunc(h.timeout, func() {
			// Killed before the ping's ctx ends: coder/websocket closes the
			// socket itself when that ctx ends during the ping's write, and
			// the reader must then find the missed pong as the cause.
			mu.Lock()
			defer mu.Unlock()
			if !returned && !spared() {
				lk.kill(fmt.Errorf("failed to ping: no pong within %v: %w", h.timeout,
					errors.Join(websocket.CloseError{Code: websocket.StatusAbnormalClosure, Reason: "ping timeout"}, errPingTimeout)))
			}
			cancel(errPingTimeout)
		})
		defer t.Stop()
	}
	start := h.clock.Now()
	err := lk.ws.Ping(ctx)
	mu.Lock()
	returned = true
	mu.Unlock()
	switch {
	case err == nil:
		return h.clock.Now().Sub(start), true
	case context.Cause(ctx) != errPingTimeout:
		return -1, false // the connection failed; its reader reports why
	}
	// A missed pong is an abnormal closure, killed above: the peer or the
	// path is gone without a close frame. Ping does not close the
	// connection, so a spared one is kept.
	return -1, lk.killedBy() == nil
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
