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
// is queued behind it: only a ping answered by nothing at all kills.
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
	for i := range nparts {
		if !clock.WaitTimer(ctx, interval) {
			t.Fatalf("part %d: no ping timer", i)
		}
		clock.Advance(interval)
		select {
		case <-pings:
		case <-ctx.Done():
			t.Fatalf("part %d: the server saw no ping", i)
		}
		before := reconnect.Received(c)
		parts <- i
		for reconnect.Received(c) == before {
			if ctx.Err() != nil {
				t.Fatalf("part %d never arrived", i)
			}
			runtime.Gosched()
		}
		if !clock.WaitTimer(ctx, timeout) {
			t.Fatalf("part %d: no ping timeout armed", i)
		}
		clock.Advance(timeout) // the ping missed its pong while the part came
		nextTick(t, ctx, clock, rec, interval, i)
	}
	if _, got, err := c.Read(ctx); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("Read = %d bytes, %v; want the %d-byte message", len(got), err, len(msg))
	}
	// Then nothing arrives at all: the next missed pong kills.
	wstest.MissPong(t, clock, interval, timeout)
	end := rec.Next(t, reconnect.EventDisconnected)
	if end.Generation != 1 || !end.Decision.Retry() || end.Decision.Label != "close_1006" {
		t.Fatalf("silent peer: disconnect of gen %d decided %v (%v), want gen 1 retried as close_1006",
			end.Generation, end.Decision, end.Err)
	}
}

// nextTick waits for the heartbeat to arm its next tick, and fails if it
// killed the connection instead.
func nextTick(t *testing.T, ctx context.Context, clock *fakeclock.Clock, rec *wstest.Recorder, interval time.Duration, part int) {
	t.Helper()
	dropped := func() bool { return rec.Count(reconnect.EventDisconnected) > 0 }
	clock.WaitFor(ctx, func(p []time.Duration) bool { return slices.Contains(p, interval) || dropped() })
	if dropped() {
		t.Fatalf("part %d: the heartbeat killed a connection receiving a message: %v", part, wstest.Kinds(rec.Events()))
	}
	if ctx.Err() != nil {
		t.Fatalf("part %d: the heartbeat armed no next tick", part)
	}
}
