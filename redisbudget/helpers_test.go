package redisbudget_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/redisbudget"
)

// bound is how long a test waits for anything before it fails.
const bound = 20 * time.Second

// counted is a Redis client that counts the commands it sends.
type counted struct {
	*redis.Client
	n atomic.Int64
}

func newCounted(t *testing.T, url string) *counted {
	t.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("%s: failed to parse %s: %v", t.Name(), url, err)
	}
	c := &counted{Client: redis.NewClient(o)}
	c.AddHook(countHook{&c.n})
	t.Cleanup(func() { c.Close() })
	return c
}

type countHook struct{ n *atomic.Int64 }

func (countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}
func (h countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// events collects what Observe receives.
type events struct {
	mu  sync.Mutex
	all []redisbudget.Event
}

func (e *events) observe(ev redisbudget.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) count(k redisbudget.EventKind) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.all {
		if ev.Kind == k {
			n++
		}
	}
	return n
}

func (e *events) list() []redisbudget.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]redisbudget.Event(nil), e.all...)
}

// waitAsync runs l.Wait on a goroutine; the channel gets its error.
func waitAsync(ctx context.Context, l *redisbudget.Limiter) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- l.Wait(ctx) }()
	return ch
}

// callTimeout is the Options.Timeout of tests on the fake clock: its
// timer runs during every Redis call, and pending passes it over.
const callTimeout = 17 * time.Second

// pending waits until the fake clock has a timer other than a Redis
// call's, and returns it.
func pending(t *testing.T, clk *fakeclock.Clock, what string) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	var got time.Duration
	ok := clk.WaitFor(ctx, func(p []time.Duration) bool {
		for _, d := range p {
			if d != callTimeout {
				got = d
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("%s: no timer within %v while waiting for %s", t.Name(), bound, what)
	}
	return got
}

// result waits for a Wait's error.
func result(t *testing.T, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(bound):
		t.Fatalf("%s: Wait did not return within %v: %s", t.Name(), bound, what)
		return nil
	}
}

// deadPort returns a loopback address nothing listens on.
func deadPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("%s: failed to listen: %v", t.Name(), err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func start() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// sleepOrDone waits until the Wait behind ch returns (done) or sleeps
// again, and returns the sleep.
func sleepOrDone(t *testing.T, clk *fakeclock.Clock, ch <-chan error) (time.Duration, bool, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	slept := make(chan time.Duration, 1)
	go func() {
		clk.WaitFor(ctx, func(p []time.Duration) bool {
			for _, d := range p {
				if d != callTimeout {
					slept <- d
					return true
				}
			}
			return false
		})
	}()
	select {
	case err := <-ch:
		return 0, true, err
	case d := <-slept:
		return d, false, nil
	case <-ctx.Done():
		t.Fatalf("%s: Wait neither returned nor slept within %v", t.Name(), bound)
		return 0, false, nil
	}
}
