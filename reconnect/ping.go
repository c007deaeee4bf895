package reconnect

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"
)

// reportRTT returns the heartbeat's report for the connection gen: it
// keeps the round trip for RTT and sends EventHeartbeat.
func (c *Conn) reportRTT(hb *heartbeat, gen uint64) func(time.Duration) {
	return func(rtt time.Duration) {
		c.rtt.Store(int64(rtt))
		obs := c.opts.Observer
		if obs == nil {
			return
		}
		// A hook on a goroutine of its own: Done waits for it, Close
		// does not.
		c.gate.live.Add(1)
		defer c.gate.exitHook()
		defer func() {
			if v := recover(); v != nil {
				c.fail(&PanicError{Hook: "Observer", Value: v, Stack: debug.Stack()})
			}
		}()
		c.emitMu.Lock()
		defer c.emitMu.Unlock()
		if hb.isStopped() { // the connection has ended: its end is the last word
			return
		}
		obs.OnEvent(Event{Kind: EventHeartbeat, Time: c.now(), Target: c.target, Generation: gen, RTT: rtt})
	}
}

// RTT returns the round trip of the heartbeat's last ping, 0 before the
// first.
func (c *Conn) RTT() time.Duration { return time.Duration(c.rtt.Load()) }

// Ping sends a ping on the current connection and returns the round trip
// once the pong is back. ctx bounds only the wait: when it ends, Ping
// returns ctx's error and the connection is unharmed (the ping goes on
// until its pong or Options.PingTimeout). A pong is only read while the
// connection is read, so Ping waits while the receive buffer is full or
// OnMessage runs. Without a connection it returns ErrNotConnected, after
// the end the final error. A missed pong here ends nothing: the heartbeat
// decides when a peer is dead.
func (c *Conn) Ping(ctx context.Context) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("failed to ping: %w", err)
	}
	c.mu.Lock()
	lk, closing := c.cur, c.closing
	c.mu.Unlock()
	switch {
	case closing:
		c.mu.Lock()
		err := c.endErrLocked()
		c.mu.Unlock()
		return 0, err
	case lk == nil:
		return 0, ErrNotConnected
	}
	type result struct {
		rtt time.Duration
		err error
	}
	done := make(chan result, 1)
	c.gate.spawn(func() {
		// Its own ctx: coder/websocket closes the connection when the ctx
		// of a ping ends while the ping is being written.
		pctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if c.opts.PingTimeout > 0 {
			t := c.opts.Clock.AfterFunc(c.opts.PingTimeout, cancel)
			defer t.Stop()
		}
		start := c.now()
		err := lk.ws.Ping(pctx)
		done <- result{c.now().Sub(start), err}
	})
	select {
	case r := <-done:
		if r.err != nil {
			return 0, fmt.Errorf("failed to ping: %w", c.scrub(r.err))
		}
		return r.rtt, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("failed to ping: %w", ctx.Err())
	}
}
