package reconnect_test

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// slowMessage serves one 64 KiB binary message, a part per signal on
// parts, and never answers a ping; it reports each ping it reads.
func slowMessage(t *testing.T, msg []byte, nparts int) (url string, parts chan<- int, pings <-chan struct{}) {
	partc, pingc := make(chan int), make(chan struct{}, 64)
	frame := wstest.Frame(wstest.OpBinary, msg)
	url, _ = wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n > 1 {
			return
		}
		conn, brw, err := wstest.Accept(w, r)
		if err != nil {
			return
		}
		defer conn.Close()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for br := bufio.NewReader(conn); ; {
				f, err := wstest.ReadFrame(br, 1<<20)
				if err != nil {
					return
				}
				if f.Opcode == wstest.OpPing {
					pingc <- struct{}{}
				}
			}
		}()
		size := (len(frame) + nparts - 1) / nparts
		for {
			select {
			case i := <-partc:
				brw.Write(frame[min(i*size, len(frame)):min((i+1)*size, len(frame))])
				brw.Flush()
			case <-done:
				return
			}
		}
	})
	return url, partc, pingc
}

// A connection busy receiving a long message is alive, though the pong
// is queued behind it: each pong window that sees bytes arrive is followed
// by another, and only a window in which nothing at all arrives kills.
func TestHeartbeatCountsAnyArrivingByteAsLife(t *testing.T) {
	const interval, timeout, nparts = 7 * time.Second, 3 * time.Second, 8
	msg := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	url, parts, pings := slowMessage(t, msg, nparts)
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: interval, PingTimeout: timeout}, false)
	if err != nil {
		t.Fatal(err)
	}
	clock := rec.Clock
	ctx, cancel := context.WithTimeout(context.Background(), wstest.Guard)
	defer cancel()
	wstest.PingTick(t, clock, interval)
	select {
	case <-pings:
	case <-ctx.Done():
		t.Fatal("the server saw no ping")
	}
	for i := range nparts {
		if !clock.WaitTimer(ctx, timeout) {
			t.Fatalf("part %d: no pong window armed", i)
		}
		before := reconnect.Received(c)
		parts <- i
		for reconnect.Received(c) == before {
			if ctx.Err() != nil {
				t.Fatalf("part %d never arrived", i)
			}
			runtime.Gosched()
		}
		clock.Advance(timeout) // the window passed with no pong while the part came
		nextWindow(t, ctx, clock, rec, timeout, i)
	}
	if _, got, err := c.Read(ctx); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("Read = %d bytes, %v; want the %d-byte message", len(got), err, len(msg))
	}
	// Then nothing arrives at all: the next window without life kills (the
	// message's end may still have been counted in the first).
	dropped := func(p []time.Duration) bool { return rec.Count(reconnect.EventDisconnected) > 0 }
	for w := 0; ; w++ {
		if !clock.WaitFor(ctx, func(p []time.Duration) bool { return slices.Contains(p, timeout) || dropped(p) }) {
			t.Fatalf("silent peer: neither a pong window nor a disconnect after %d windows", w)
		}
		if dropped(nil) {
			break
		}
		if w == 2 {
			t.Fatalf("silent peer: no disconnect after %d windows without life", w)
		}
		clock.Advance(timeout)
	}
	end := rec.Next(t, reconnect.EventDisconnected)
	if end.Generation != 1 || !end.Decision.Retry() || end.Decision.Label != "close_1006" {
		t.Fatalf("silent peer: disconnect of gen %d decided %v (%v), want gen 1 retried as close_1006",
			end.Generation, end.Decision, end.Err)
	}
	if n := len(pings); n != 0 {
		t.Fatalf("%d more pings went out while the first waited for its pong", n)
	}
}

// nextWindow waits for the heartbeat to arm the ping's next pong window,
// and fails if it killed the connection instead.
func nextWindow(t *testing.T, ctx context.Context, clock *fakeclock.Clock, rec *wstest.Recorder, timeout time.Duration, part int) {
	t.Helper()
	dropped := func() bool { return rec.Count(reconnect.EventDisconnected) > 0 }
	clock.WaitFor(ctx, func(p []time.Duration) bool { return slices.Contains(p, timeout) || dropped() })
	if dropped() {
		t.Fatalf("part %d: the heartbeat killed a connection receiving a message: %v", part, wstest.Kinds(rec.Events()))
	}
	if ctx.Err() != nil {
		t.Fatalf("part %d: the heartbeat armed no next pong window", part)
	}
}
