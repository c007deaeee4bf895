package reconnect_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// policySites are the Policy's functions as hook sites of the application
// matrix: application code, though the policy calls it, not the Conn.
var policySites = []hookSite{
	{"Rand", "Rand", func(o *reconnect.Options, act func()) {
		// First drawn by the backoff after the first drop.
		o.Policy.Rand = func() float64 {
			act()
			return 0.5
		}
	}},
	{"Now", "Now", func(o *reconnect.Options, act func()) {
		// Read to date a Retry-After: the second attempt is refused.
		o.Policy.Now = func() time.Time {
			act()
			return time.Now()
		}
		var n atomic.Int32
		o.Dialer = func(ctx context.Context, u string, opts *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
			if n.Add(1) == 2 {
				h := http.Header{"Retry-After": {"Wed, 21 Oct 2015 07:28:00 GMT"}}
				return nil, &http.Response{StatusCode: http.StatusServiceUnavailable, Header: h}, errors.New("refused")
			}
			return websocket.Dial(ctx, u, opts)
		}
	}},
	{"NewBackoff", "NewBackoff", func(o *reconnect.Options, act func()) {
		o.Policy.NewBackoff = func() backoff.BackOff {
			return &siteBackoff{policy.NewExponential(policy.Backoff{}, nil), act}
		}
	}},
}

// siteBackoff runs act on every NextBackOff.
type siteBackoff struct {
	backoff.BackOff
	act func()
}

func (b *siteBackoff) NextBackOff() time.Duration {
	b.act()
	return b.BackOff.NextBackOff()
}

// A Rand out of [0, 1) counts as the nearest end: no endpoint shuffle,
// jitter or spread may index or wait out of range.
func TestRandOutOfRange(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    float64
	}{
		{"one", 1},
		{"above one", 1.5},
		{"negative", -1},
		{"NaN", math.NaN()},
		{"infinity", math.Inf(1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, _ := wstest.Serve(t, wstest.EchoServer)
			o := &reconnect.Options{
				Endpoints:        []string{url, url},
				ShuffleEndpoints: true,
				MaxAge:           time.Hour,
				PingInterval:     time.Minute,
				Policy:           policy.Policy{Rand: func() float64 { return tc.r }},
			}
			c, _, err := wstest.Dial(t, url, o, true)
			if err != nil {
				t.Fatal(err)
			}
			clock := o.Clock.(*fakeclock.Clock)
			wstest.PingTick(t, clock, time.Minute)
			wstest.PingTick(t, clock, time.Minute) // the wait drawn on the timer's goroutine
			c.Reconnect()
			ctx, cancel := context.WithTimeout(context.Background(), wstest.Guard)
			defer cancel()
			wstest.RoundTrip(t, ctx, c, "after")
		})
	}
}

// A Rand that panics on the heartbeat's timer goroutine ends the Conn;
// there is no caller for the panic to reach.
func TestRandPanicsOnTheHeartbeat(t *testing.T) {
	url, _ := wstest.Serve(t, wstest.EchoServer)
	var n atomic.Int32
	o := &reconnect.Options{PingInterval: time.Minute, Policy: policy.Policy{Rand: func() float64 {
		if n.Add(1) == 2 { // the first ping's tick draws the next wait
			panic("bug in Rand")
		}
		return 0.5
	}}}
	c, _, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	wstest.PingTick(t, o.Clock.(*fakeclock.Clock), time.Minute)
	wstest.ReturnsWithin(t, "Done", func() { <-c.Done() })
	var pe *reconnect.PanicError
	if !errors.As(c.Err(), &pe) || pe.Hook != "Rand" {
		t.Fatalf("Err = %v, want Rand's panic", c.Err())
	}
}

// NewBackoff's first call is in Dial: its panic ends the Conn there.
func TestNewBackoffPanicsInDial(t *testing.T) {
	url, _ := wstest.Serve(t, wstest.EchoServer)
	o := &reconnect.Options{Policy: policy.Policy{NewBackoff: func() backoff.BackOff { panic("bug in NewBackoff") }}}
	c, _, err := wstest.Dial(t, url, o, true)
	var re *reconnect.Error
	var pe *reconnect.PanicError
	if c != nil || !errors.As(err, &re) || re.Kind != reconnect.KindTerminal || !errors.As(err, &pe) || pe.Hook != "NewBackoff" {
		t.Fatalf("Dial = %v, %v; want NewBackoff's panic", c, err)
	}
}

// TestClassifierPanicsOnABadURL: Dial classifies a URL it refuses with
// the application's Classifier, which may panic; the caller gets the
// refusal and the panic, not a crash.
func TestClassifierPanicsOnABadURL(t *testing.T) {
	o := &reconnect.Options{Policy: policy.Policy{Classifier: func(policy.Policy, error, *http.Response) policy.Decision {
		panic("bug in Classifier")
	}}}
	c, err := reconnect.Dial(context.Background(), "ftp://example.invalid/ws", o)
	var re *reconnect.Error
	var pe *reconnect.PanicError
	if c != nil || !errors.As(err, &re) || re.Kind != reconnect.KindInvalid || !errors.As(err, &pe) || pe.Hook != "Classifier" {
		t.Fatalf("Dial = %v, %v; want an invalid URL with the Classifier's panic", c, err)
	}
}

// TestRandBlocksAtTheHeartbeatsStart: the heartbeat's first draw on a new
// connection runs on the supervisor; a Rand that blocks there must not
// hold Close.
func TestRandBlocksAtTheHeartbeatsStart(t *testing.T) {
	url, _ := wstest.Serve(t, dropOnce)
	var conn atomic.Pointer[reconnect.Conn]
	entered, release := make(chan struct{}), make(chan struct{})
	var once atomic.Bool
	rnd := func() float64 {
		// Only the supervisor draws while the second connection is up
		// and its first ping is not due (the clock stays put).
		if c := conn.Load(); c != nil && c.State() == reconnect.Connected && once.CompareAndSwap(false, true) {
			close(entered)
			<-release
		}
		return 0.5
	}
	o := &reconnect.Options{PingInterval: time.Hour, Policy: policy.Policy{Rand: rnd}}
	c, _, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	var released sync.Once
	free := func() { released.Do(func() { close(release) }) }
	t.Cleanup(free) // before the Conn's own cleanup closes it
	conn.Store(c)
	wstest.Wait(t, entered, "Rand at the second connection's heartbeat")
	wstest.ReturnsWithin(t, "CloseNow while Rand blocks", func() { c.CloseNow() })
	free()
	wstest.ReturnsWithin(t, "Done once Rand returned", func() { <-c.Done() })
}
