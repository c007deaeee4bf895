package redisbudget_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsreconnect/wsreconnect/reconnect"
	"github.com/wsreconnect/wsreconnect/redisbudget"
	"github.com/wsreconnect/wsreconnect/redisbudget/internal/hub"
	"github.com/wsreconnect/wsreconnect/redisbudget/internal/redistest"
)

// TestObserveContract: Observe may panic, block or call back into the
// Limiter; Wait still returns, no panic escapes, and a Conn with the
// Limiter as its DialBudget keeps trying and connects.
func TestObserveContract(t *testing.T) {
	srv := redistest.Start(t)
	tests := []struct {
		name    string
		observe func(t *testing.T, l **redisbudget.Limiter, calls *atomic.Int32) func(redisbudget.Event)
		// waitErr checks the first Wait's error, under a short ctx.
		waitErr func(error) bool
	}{
		{"panics once", func(_ *testing.T, _ **redisbudget.Limiter, calls *atomic.Int32) func(redisbudget.Event) {
			return func(redisbudget.Event) {
				if calls.Add(1) == 1 {
					panic("observe")
				}
			}
		}, func(err error) bool {
			var p *reconnect.PanicError
			return errors.As(err, &p) && p.Value == "observe"
		}},
		{"blocks once", func(t *testing.T, _ **redisbudget.Limiter, calls *atomic.Int32) func(redisbudget.Event) {
			block := make(chan struct{})
			t.Cleanup(func() { close(block) })
			return func(redisbudget.Event) {
				if calls.Add(1) == 1 {
					<-block // until the test ends: the first Wait's ctx must end the wait
				}
			}
		}, func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{"waits again", func(_ *testing.T, l **redisbudget.Limiter, calls *atomic.Int32) func(redisbudget.Event) {
			return func(redisbudget.Event) {
				if calls.Add(1) == 1 {
					(*l).Wait(context.Background())
				}
			}
		}, func(err error) bool { return err == nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l *redisbudget.Limiter
			var calls atomic.Int32
			var err error
			l, err = redisbudget.New(redisbudget.Options{URL: srv.URL(), Key: t.Name(), Rate: 1000, Burst: 100,
				Observe: tt.observe(t, &l, &calls)})
			if err != nil {
				t.Fatalf("%s: New: %v", t.Name(), err)
			}
			defer l.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			err = l.Wait(ctx)
			cancel()
			if !tt.waitErr(err) {
				t.Errorf("%s: first Wait = %v", t.Name(), err)
			}
			h := hub.New()
			defer h.Close()
			dctx, dcancel := context.WithTimeout(context.Background(), bound)
			defer dcancel()
			c, err := reconnect.Dial(dctx, h.URL(), &reconnect.Options{DialBudget: l, PingInterval: -1})
			if err != nil {
				t.Fatalf("%s: Dial with the budget: %v", t.Name(), err)
			}
			c.CloseNow()
		})
	}
}

// TestCloseEndsWait: a Conn closed while its dial waits for the budget
// ends the wait.
func TestCloseEndsWait(t *testing.T) {
	srv := redistest.Start(t)
	l, err := redisbudget.New(redisbudget.Options{URL: srv.URL(), Key: t.Name(), Rate: 1, Period: time.Hour})
	if err != nil {
		t.Fatalf("%s: New: %v", t.Name(), err)
	}
	defer l.Close()
	h := hub.New()
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	c, err := reconnect.Dial(ctx, h.URL(), &reconnect.Options{DialBudget: l, PingInterval: -1})
	if err != nil {
		t.Fatalf("%s: Dial: %v", t.Name(), err)
	}
	h.DropAll() // the next dial waits an hour
	if !h.WaitLive(ctx, 0) {
		t.Fatalf("%s: the drop did not happen", t.Name())
	}
	c.CloseNow()
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatalf("%s: the Conn waiting for its budget did not end within %v of Close", t.Name(), bound)
	}
}

// TestCancelledWait: a Wait whose ctx has already ended returns its
// error and asks Redis nothing, whether or not another Wait holds the turn.
func TestCancelledWait(t *testing.T) {
	srv := redistest.Start(t)
	rc := newCounted(t, srv.URL())
	l, err := redisbudget.New(redisbudget.Options{Client: rc, Key: t.Name(), Rate: 1000})
	if err != nil {
		t.Fatalf("%s: New: %v", t.Name(), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 20 {
		if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: Wait %d with an ended ctx = %v; want context.Canceled", t.Name(), i, err)
		}
	}
	if n := rc.n.Load(); n != 0 {
		t.Errorf("%s: %d Redis commands for Waits whose ctx had ended; want 0", t.Name(), n)
	}
}

// TestObservePanicInConn: a panic in Observe fails that attempt of a
// Conn as retryable (label dial_budget, a *reconnect.PanicError), and the
// Conn connects on the next.
func TestObservePanicInConn(t *testing.T) {
	srv := redistest.Start(t)
	var calls atomic.Int32
	l, err := redisbudget.New(redisbudget.Options{URL: srv.URL(), Key: t.Name(), Rate: 1000, Burst: 100,
		Observe: func(redisbudget.Event) {
			if calls.Add(1) == 1 {
				panic("observe")
			}
		}})
	if err != nil {
		t.Fatalf("%s: New: %v", t.Name(), err)
	}
	defer l.Close()
	h := hub.New()
	defer h.Close()
	var failed atomic.Pointer[reconnect.Event]
	obs := reconnect.ObserverFunc(func(e reconnect.Event) {
		if e.Kind == reconnect.EventAttemptDone && e.Err != nil {
			failed.CompareAndSwap(nil, &e)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	c, err := reconnect.Dial(ctx, h.URL(), &reconnect.Options{DialBudget: l, PingInterval: -1, Observer: obs})
	if err != nil {
		t.Fatalf("%s: Dial after a panic in Observe: %v", t.Name(), err)
	}
	c.CloseNow()
	e := failed.Load()
	var p *reconnect.PanicError
	if e == nil || !errors.As(e.Err, &p) || e.Decision.Label != "dial_budget" || !e.Decision.Retry() {
		t.Errorf("%s: the failed attempt = %+v; want a retryable dial_budget failure holding a *reconnect.PanicError", t.Name(), e)
	}
}
