package redisbudget_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/redisbudget"
	"github.com/wsreconnect/wsreconnect/redisbudget/internal/redistest"
)

// TestSharedBurst: limiters with their own clients on one key (as
// processes would be) get the burst between them, not each.
func TestSharedBurst(t *testing.T) {
	srv := redistest.Start(t)
	tests := []struct {
		name             string
		processes, burst int
	}{
		{"one process", 1, 4},
		{"three processes", 3, 4},
		{"eight processes, burst 1", 8, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := fakeclock.New(start())
			var lims []*redisbudget.Limiter
			for range tt.processes {
				l, err := redisbudget.New(redisbudget.Options{
					Client: newCounted(t, srv.URL()), Key: t.Name(), Clock: clk, Timeout: callTimeout,
					Rate: 1, Period: time.Hour, Burst: tt.burst,
				})
				if err != nil {
					t.Fatalf("%s: New: %v", t.Name(), err)
				}
				lims = append(lims, l)
			}
			for i := range tt.burst {
				if err := lims[i%len(lims)].Wait(context.Background()); err != nil {
					t.Fatalf("%s: Wait %d within the burst: %v", t.Name(), i, err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			ch := waitAsync(ctx, lims[tt.burst%len(lims)])
			if d := pending(t, clk, "the wait past the burst"); d <= 0 || d > time.Hour {
				t.Errorf("%s: past the burst, Wait sleeps %v; want the retry-after, in (0, 1h]", t.Name(), d)
			}
			cancel()
			if err := result(t, ch, "cancelled past the burst"); !errors.Is(err, context.Canceled) {
				t.Errorf("%s: cancelled Wait = %v; want context.Canceled", t.Name(), err)
			}
		})
	}
}

// TestSleepsRetryAfter: a refused Wait asks Redis once, sleeps the
// retry-after, asks once more, and is allowed.
func TestSleepsRetryAfter(t *testing.T) {
	srv := redistest.Start(t)
	clk := fakeclock.New(start())
	rc := newCounted(t, srv.URL())
	l, err := redisbudget.New(redisbudget.Options{Client: rc, Key: t.Name(), Clock: clk, Timeout: callTimeout,
		Rate: 20, Period: time.Second})
	if err != nil {
		t.Fatalf("%s: New: %v", t.Name(), err)
	}
	if err := l.Wait(context.Background()); err != nil {
		t.Fatalf("%s: first Wait: %v", t.Name(), err)
	}
	before := rc.n.Load()
	ch := waitAsync(context.Background(), l)
	d := pending(t, clk, "the retry-after")
	if d <= 0 || d > 50*time.Millisecond {
		t.Errorf("%s: Wait sleeps %v; want the retry-after, in (0, 50ms]", t.Name(), d)
	}
	if n := rc.n.Load() - before; n == 0 || n > 2 { // EVALSHA, and EVAL once if the script was not loaded
		t.Errorf("%s: %d Redis commands before the sleep; want 1 or 2", t.Name(), n)
	}
	// The script reads the Redis server's clock, not ours: sleep each
	// retry-after it returns until it allows; every ask follows a sleep.
	for asks := 1; ; asks++ {
		clk.Advance(d)
		var err error
		var done bool
		if d, done, err = sleepOrDone(t, clk, ch); done {
			if err != nil {
				t.Fatalf("%s: Wait after the retry-after: %v", t.Name(), err)
			}
			if n := rc.n.Load() - before; n > int64(asks)+2 {
				t.Errorf("%s: %d Redis commands for %d asks; want at most one per ask (+1 to load the script)", t.Name(), n, asks+1)
			}
			return
		}
	}
}

// TestDeadline: a Wait whose ctx ends before the retry-after returns at
// once with ErrDeadline and sleeps nothing.
func TestDeadline(t *testing.T) {
	srv := redistest.Start(t)
	clk := fakeclock.New(start())
	l, err := redisbudget.New(redisbudget.Options{URL: srv.URL(), Key: t.Name(), Clock: clk, Timeout: callTimeout,
		Rate: 1, Period: time.Hour})
	if err != nil {
		t.Fatalf("%s: New: %v", t.Name(), err)
	}
	defer l.Close()
	if err := l.Wait(context.Background()); err != nil {
		t.Fatalf("%s: first Wait: %v", t.Name(), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	if err := l.Wait(ctx); !errors.Is(err, redisbudget.ErrDeadline) {
		t.Errorf("%s: Wait with a deadline before the retry-after = %v; want ErrDeadline", t.Name(), err)
	}
	if p := clk.Pending(); len(p) != 0 {
		t.Errorf("%s: timers left after ErrDeadline: %v", t.Name(), p)
	}
}
