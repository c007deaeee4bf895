package wstest

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Guard is the real-time bound of the helpers' waits: long enough that
// only a hang trips it.
const Guard = 20 * time.Second

// Epoch is where test clocks start.
var Epoch = time.Unix(1_700_000_000, 0)

// Dial connects to url with a fake clock and a Recorder (which moves the
// clock over every wait when autoAdvance is set). An Observer in o sees
// each event before the Recorder. The Conn is closed when
// the test ends.
func Dial(t testing.TB, url string, o *reconnect.Options, autoAdvance bool) (*reconnect.Conn, *Recorder, error) {
	t.Helper()
	clock := fakeclock.New(Epoch)
	rec := NewRecorder(clock, autoAdvance)
	if o == nil {
		o = &reconnect.Options{}
	}
	o.Clock = clock
	if obs := o.Observer; obs != nil {
		o.Observer = reconnect.ObserverFunc(func(e reconnect.Event) {
			obs.OnEvent(e) // before the Recorder moves the clock
			rec.OnEvent(e)
		})
	} else {
		o.Observer = rec
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := reconnect.Dial(ctx, url, o)
	if c != nil {
		t.Cleanup(func() { c.CloseNow() })
	}
	return c, rec, err
}

// Read reads one message as a string, with a real-time guard against a
// hang.
func Read(t testing.TB, c *reconnect.Conn) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, p, err := c.Read(ctx)
	return string(p), err
}

// PingJitter is the most a ping timer may fall short of PingInterval for
// PingTimer to take it for one.
const PingJitter = 0.1

// PingTimer waits until the ping timer of a heartbeat with interval is
// pending, and returns how long it has left: between (1-PingJitter) of
// interval and interval.
func PingTimer(t testing.TB, clock *fakeclock.Clock, interval time.Duration) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Guard)
	defer cancel()
	var d time.Duration
	ok := clock.WaitFor(ctx, func(p []time.Duration) bool {
		i := slices.IndexFunc(p, func(d time.Duration) bool { return isPingWait(d, interval) })
		if i >= 0 {
			d = p[i]
		}
		return i >= 0
	})
	if !ok {
		t.Fatalf("waited %v for a %v ping timer; pending %v", Guard, interval, clock.Pending())
	}
	return d
}

// PingTick moves clock over the next ping timer of a heartbeat with
// interval.
func PingTick(t testing.TB, clock *fakeclock.Clock, interval time.Duration) {
	t.Helper()
	clock.Advance(PingTimer(t, clock, interval))
}

func isPingWait(d, interval time.Duration) bool {
	return d <= interval && d >= interval-time.Duration(PingJitter*float64(interval))
}

// MissPong moves the clock of a Conn whose heartbeat has interval and
// timeout over ping ticks until a ping is in flight, then over its
// timeout. A tick skips its ping while a message waits for Read, so it
// may take more than one.
func MissPong(t testing.TB, clock *fakeclock.Clock, interval, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Guard)
	defer cancel()
	for range 10 {
		PingTick(t, clock, interval)
		clock.WaitFor(ctx, func(p []time.Duration) bool {
			return slices.Contains(p, timeout) || slices.ContainsFunc(p, func(d time.Duration) bool { return isPingWait(d, interval) })
		})
		if slices.Contains(clock.Pending(), timeout) {
			clock.Advance(timeout)
			return
		}
	}
	t.Fatal("no ping went out in 10 ticks")
}

// RoundTrip writes msg and fails the test unless the next message read is
// its echo.
func RoundTrip(t testing.TB, ctx context.Context, c *reconnect.Conn, msg string) {
	t.Helper()
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("Write = %v", err)
	}
	if _, got, err := c.Read(ctx); err != nil || string(got) != msg {
		t.Fatalf("Read = %q, %v; want the echo %q", got, err, msg)
	}
}

// ReturnsWithin fails the test, with every goroutine's stack, if f has
// not returned within Guard: only a deadlock trips it.
func ReturnsWithin(t testing.TB, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(Guard):
		buf := make([]byte, 1<<20)
		t.Fatalf("%s did not return; goroutines:\n%s", what, buf[:runtime.Stack(buf, true)])
	}
}
