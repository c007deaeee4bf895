package redisbudget_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/reconnect"
	"github.com/wsreconnect/wsreconnect/redisbudget"
	"github.com/wsreconnect/wsreconnect/redisbudget/internal/hub"
	"github.com/wsreconnect/wsreconnect/redisbudget/internal/redistest"
)

// timed is an Event with the time it arrived.
type timed struct {
	redisbudget.Event
	at time.Time
}

type timeline struct {
	mu  sync.Mutex
	all []timed
}

func (tl *timeline) observe(e redisbudget.Event) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.all = append(tl.all, timed{e, time.Now()})
}

func (tl *timeline) since(at time.Time) []timed {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	var out []timed
	for _, e := range tl.all {
		if !e.at.Before(at) {
			out = append(out, e)
		}
	}
	return out
}

func recoveries(tl []timed) int {
	n := 0
	for _, e := range tl {
		if e.Kind == redisbudget.EventRecovered {
			n++
		}
	}
	return n
}

// TestRedisKilledMidWave: two processes' worth of Conns share a budget;
// Redis is killed by SIGKILL while they come back from a 1012, and they
// finish the wave on their local shares; Redis restarts empty, every
// connection drops, and they come back through Redis without a burst.
func TestRedisKilledMidWave(t *testing.T) {
	const (
		procs, perProc = 2, 30
		n              = procs * perProc
		rate, burst    = 40, 60 // per 2 s: a return's calm spans the test's probing
		period         = 2 * time.Second
	)
	srv := redistest.Start(t)
	h := hub.New()
	defer h.Close()
	var tl timeline
	var lims []*redisbudget.Limiter
	for range procs {
		l, err := redisbudget.New(redisbudget.Options{URL: srv.URL(), Key: t.Name(), Rate: rate, Period: period, Burst: burst,
			Processes: procs, Timeout: 200 * time.Millisecond, Probe: 200 * time.Millisecond, Observe: tl.observe})
		if err != nil {
			t.Fatalf("%s: New: %v", t.Name(), err)
		}
		defer l.Close()
		lims = append(lims, l)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	conns, err := hub.Fleet(ctx, h.URL(), n, func(i int) *reconnect.Options {
		return &reconnect.Options{DialBudget: lims[i%procs], PingInterval: -1}
	})
	if err != nil {
		t.Fatalf("%s: %v", t.Name(), err)
	}
	defer hub.CloseFleet(conns)
	back := func(what string) {
		t.Helper()
		if !h.WaitLive(ctx, n) {
			t.Fatalf("%s: %d of %d Conns back after %s", t.Name(), h.Live(), n, what)
		}
	}
	back("the first dial")

	h.CloseAll(websocket.StatusServiceRestart)
	if !h.WaitHandshakes(ctx, n+n/4) {
		t.Fatalf("%s: the 1012 wave did not start", t.Name())
	}
	srv.Kill()
	killed := time.Now()
	back("the 1012 wave with Redis killed")
	var local, fallbacks int
	for _, e := range tl.since(killed) {
		switch {
		case e.Kind == redisbudget.EventFallback:
			fallbacks++
		case e.Kind == redisbudget.EventWait && e.Err == nil && e.Source == redisbudget.SourceLocal:
			local++
		}
	}
	if fallbacks != procs || local == 0 {
		t.Errorf("%s: after the kill, %d switches to the fallback (want %d) and %d local waits (want some)",
			t.Name(), fallbacks, procs, local)
	}

	srv.Restart()
	restarted := time.Now()
	// Each process dials on until it finds Redis back (go-redis waits a
	// second or so before it dials a Redis that refused it again).
	for recoveries(tl.since(restarted)) < procs && ctx.Err() == nil {
		for _, l := range lims {
			l.Wait(ctx)
		}
	}
	dropped := time.Now()
	h.DropAll()
	back("the drop with Redis back")
	var recovered int
	var first time.Time
	var viaRedis []time.Time
	recovered = recoveries(tl.since(restarted))
	for _, e := range tl.since(dropped) {
		switch {
		case e.Kind == redisbudget.EventWait && e.Err == nil && e.Source == redisbudget.SourceRedis:
			if first.IsZero() {
				first = e.at
			}
			viaRedis = append(viaRedis, e.at)
		}
	}
	if recovered != procs || len(viaRedis) == 0 {
		t.Fatalf("%s: after the restart, %d returns to Redis (want %d) and %d waits through it (want some)",
			t.Name(), recovered, procs, len(viaRedis))
	}
	// The restarted Redis holds a full burst of 60, enough for every Conn
	// at once; without it the pace is 20/s. 40 leaves room for a slow machine.
	inFirst := 0
	for _, at := range viaRedis {
		if at.Sub(first) < time.Second {
			inFirst++
		}
	}
	if inFirst > rate {
		t.Errorf("%s: %d dials through Redis in the first second back; want about %d, no burst of %d",
			t.Name(), inFirst, rate/2, burst)
	}
	t.Logf("%s: %d local waits with Redis killed; %d through Redis in the first second back", t.Name(), local, inFirst)
}
