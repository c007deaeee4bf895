package reconnect_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// tokenBudget is a Limiter that lets one Wait through per token the test
// gives, and counts the Waits blocked in it.
type tokenBudget struct {
	ch      chan struct{}
	mu      sync.Mutex
	waiting int
	changed chan struct{} // closed and replaced when waiting changes
}

func newTokenBudget() *tokenBudget {
	return &tokenBudget{ch: make(chan struct{}), changed: make(chan struct{})}
}

func (l *tokenBudget) Wait(ctx context.Context) error {
	l.add(1)
	defer l.add(-1)
	select {
	case <-l.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *tokenBudget) add(d int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waiting += d
	close(l.changed)
	l.changed = make(chan struct{})
}

// give hands out n tokenBudget, one per Wait.
func (l *tokenBudget) give(t *testing.T, n int) {
	for range n {
		select {
		case l.ch <- struct{}{}:
		case <-time.After(wstest.Guard):
			t.Fatal("no Wait took a token")
		}
	}
}

// waitFor returns once exactly n Waits are blocked.
func (l *tokenBudget) waitFor(t *testing.T, n int) {
	t.Helper()
	guard := time.After(wstest.Guard)
	for {
		l.mu.Lock()
		w, changed := l.waiting, l.changed
		l.mu.Unlock()
		if w == n {
			return
		}
		select {
		case <-changed:
		case <-guard:
			t.Fatalf("%d Waits blocked, want %d", w, n)
		}
	}
}

// fleetServer counts handshakes and sends every message it reads to got.
func fleetServer(t *testing.T, got chan<- string) (string, *atomic.Int32) {
	var handshakes atomic.Int32
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		handshakes.Add(1)
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		wstest.Collect(r.Context(), ws, got)
	})
	return url, &handshakes
}

// dialFleet dials n Conns at once, sharing o, and has each write "hello".
func dialFleet(t *testing.T, n int, url string, o *reconnect.Options) (wait func()) {
	cs := make([]*reconnect.Conn, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background()) // a failed test ends the dials
	for i := range cs {
		wg.Go(func() {
			c, err := reconnect.Dial(ctx, url, o)
			if err != nil {
				errs <- err
				return
			}
			cs[i] = c
			errs <- c.Write(context.Background(), websocket.MessageText, []byte("hello"))
		})
	}
	t.Cleanup(func() {
		cancel()
		wstest.WaitGroup(t, &wg, "the fleet's dials and writes")
		for _, c := range cs {
			if c != nil {
				c.CloseNow()
			}
		}
	})
	return func() {
		wstest.ReturnsWithin(t, "the dials", wg.Wait)
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestSharedDialBudget: 20 Conns share a budget. No handshake happens
// without a token, and each token lets exactly one through.
func TestSharedDialBudget(t *testing.T) {
	const conns = 20
	got := make(chan string, conns)
	url, handshakes := fleetServer(t, got)
	budget := newTokenBudget()
	wait := dialFleet(t, conns, url, &reconnect.Options{DialBudget: budget, PingInterval: -1})
	budget.waitFor(t, conns)
	if n := handshakes.Load(); n != 0 {
		t.Fatalf("%d handshakes before any token", n)
	}
	budget.give(t, 5)
	budget.waitFor(t, conns-5)
	for range 5 {
		wstest.Wait(t, got, "the first five to connect and write") // those five connected and wrote
	}
	if n := handshakes.Load(); n != 5 {
		t.Fatalf("%d handshakes for 5 tokenBudget", n)
	}
	budget.give(t, conns-5)
	wait()
	for range conns - 5 {
		wstest.Wait(t, got, "the rest to connect and write")
	}
	if n := handshakes.Load(); n != conns {
		t.Fatalf("%d handshakes, want %d", n, conns)
	}
}

// TestRateLimiterAsDialBudget: a *rate.Limiter shared by 100 Conns; all
// connect and write. The pace is rate.Limiter's; the log shows it.
func TestRateLimiterAsDialBudget(t *testing.T) {
	const conns = 100
	got := make(chan string, conns)
	url, handshakes := fleetServer(t, got)
	start := time.Now()
	wait := dialFleet(t, conns, url, &reconnect.Options{DialBudget: rate.NewLimiter(200, 1), PingInterval: -1})
	wait()
	for range conns {
		wstest.Wait(t, got, "every Conn to connect and write")
	}
	if n := handshakes.Load(); n != conns {
		t.Fatalf("%d handshakes, want %d", n, conns)
	}
	t.Logf("%d handshakes in %v at 200 a second", conns, time.Since(start).Round(time.Millisecond))
}

// deafBudget lets its first Wait through, then holds every Wait until
// released, ignoring the ctx, and returns nil.
type deafBudget struct {
	n       atomic.Int32
	entered chan struct{}
	release chan struct{}
}

func (l *deafBudget) Wait(context.Context) error {
	if l.n.Add(1) > 1 {
		close(l.entered)
		<-l.release
	}
	return nil
}

// TestDialBudgetReturningAfterCloseNow: a budget that ignores its ctx and
// lets the attempt through after CloseNow returned: the Conn ends without
// the attempt (no EventAttempt, no Target, no dial).
func TestDialBudgetReturningAfterCloseNow(t *testing.T) {
	url := restartThen(t, func(w http.ResponseWriter, r *http.Request) {
		t.Error("dialled after CloseNow")
	})
	budget := &deafBudget{entered: make(chan struct{}), release: make(chan struct{})}
	var targets atomic.Int32
	target := func(context.Context, reconnect.Attempt) (reconnect.Target, error) {
		targets.Add(1)
		return reconnect.Target{URL: url}, nil
	}
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{DialBudget: budget, Target: target, PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-budget.entered: // the reconnect after the 1012 waits in the budget
	case <-time.After(wstest.Guard):
		t.Fatal("TestDialBudgetReturningAfterCloseNow: the reconnect never waited for the budget")
	}
	wstest.ReturnsWithin(t, "CloseNow", func() { c.CloseNow() })
	before := targets.Load()
	close(budget.release)
	wstest.ReturnsWithin(t, "Done", func() { <-c.Done() })
	if n := targets.Load(); n != before {
		t.Fatalf("Target called %d times after CloseNow", n-before)
	}
	if n := rec.Count(reconnect.EventAttempt); n != 1 {
		t.Fatalf("%d EventAttempt, want 1 (the first connect's): %v", n, wstest.Kinds(rec.Events()))
	}
}
