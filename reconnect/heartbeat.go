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
type heartbeat struct {
	interval, timeout time.Duration
	clock             Clock

	busy atomic.Bool   // the reader is waiting for Read to take a message
	seen atomic.Uint64 // messages read, so a late pong behind data is no death

	mu      sync.Mutex
	ws      *websocket.Conn
	timer   Timer
	stopped bool
	err     error          // why the heartbeat ended the connection
	running sync.WaitGroup // the armed or running tick
}

func newHeartbeat(o Options) *heartbeat {
	return &heartbeat{interval: o.PingInterval, timeout: o.PingTimeout, clock: o.Clock}
}

func (h *heartbeat) start(ws *websocket.Conn) {
	if h.interval < 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ws = ws
	h.armLocked()
}

func (h *heartbeat) armLocked() {
	h.running.Add(1)
	h.timer = h.clock.AfterFunc(h.interval, h.tick)
}

func (h *heartbeat) tick() {
	defer h.running.Done()
	h.mu.Lock()
	ws, stopped := h.ws, h.stopped
	h.mu.Unlock()
	if stopped {
		return
	}
	if !h.busy.Load() {
		if err := h.ping(ws); err != nil {
			return // the connection is ending
		}
	}
	h.mu.Lock()
	if !h.stopped {
		h.armLocked()
	}
	h.mu.Unlock()
}

func (h *heartbeat) ping(ws *websocket.Conn) error {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	t := h.clock.AfterFunc(h.timeout, func() { cancel(errPingTimeout) })
	before := h.seen.Load()
	err := ws.Ping(ctx)
	t.Stop()
	if err != nil && context.Cause(ctx) == errPingTimeout && h.seen.Load() != before {
		// Messages kept arriving: the peer is alive and the pong is
		// queued behind them. Ping does not close the connection.
		return nil
	}
	if err != nil && context.Cause(ctx) == errPingTimeout {
		// A missed pong is an abnormal closure: the peer or the path is
		// gone without a close frame. Ping does not close the
		// connection on its own.
		h.mu.Lock()
		h.err = fmt.Errorf("failed to ping: no pong within %v: %w", h.timeout,
			errors.Join(websocket.CloseError{Code: websocket.StatusAbnormalClosure, Reason: "ping timeout"}, errPingTimeout))
		h.mu.Unlock()
		ws.CloseNow()
	}
	return err
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

// cause is why the heartbeat ended the connection, nil if it did not.
func (h *heartbeat) cause() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}
