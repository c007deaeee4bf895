package redisbudget_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
	"github.com/wsreconnect/wsreconnect/redisbudget"
	"github.com/wsreconnect/wsreconnect/redisbudget/internal/hub"
	"github.com/wsreconnect/wsreconnect/redisbudget/internal/redistest"
)

// quantiles reports the median and the 99th percentile of ds.
func quantiles(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkWait is the Redis round trip of one allowed dial.
func BenchmarkWait(b *testing.B) {
	srv := redistest.Start(b)
	l, err := redisbudget.New(redisbudget.Options{URL: srv.URL(), Key: b.Name(), Rate: 1 << 30})
	if err != nil {
		b.Fatalf("%s: New: %v", b.Name(), err)
	}
	defer l.Close()
	ctx := context.Background()
	ds := make([]time.Duration, 0, b.N)
	for b.Loop() {
		t0 := time.Now()
		if err := l.Wait(ctx); err != nil {
			b.Fatalf("%s: Wait: %v", b.Name(), err)
		}
		ds = append(ds, time.Since(t0))
	}
	quantiles(b, ds)
}

// BenchmarkLoneReconnect is one Conn's return after its connection
// drops, with no budget, a rate.Limiter, and the budget in Redis; none
// of them refuses. The first wait after a drop is under 1 ms.
func BenchmarkLoneReconnect(b *testing.B) {
	srv := redistest.Start(b)
	shared, err := redisbudget.New(redisbudget.Options{URL: srv.URL(), Key: b.Name(), Rate: 1 << 30})
	if err != nil {
		b.Fatalf("%s: New: %v", b.Name(), err)
	}
	defer shared.Close()
	budgets := []struct {
		name   string
		budget reconnect.Limiter
	}{
		{"none", nil},
		{"rate.Limiter", rate.NewLimiter(rate.Inf, 1)},
		{"redis", shared},
	}
	for _, bb := range budgets {
		b.Run(bb.name, func(b *testing.B) {
			h := hub.New()
			defer h.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			c, err := reconnect.Dial(ctx, h.URL(), &reconnect.Options{DialBudget: bb.budget, PingInterval: -1,
				Policy: policy.Policy{Backoff: policy.Backoff{Initial: time.Millisecond}}})
			if err != nil {
				b.Fatalf("%s: Dial: %v", b.Name(), err)
			}
			defer c.CloseNow()
			ds := make([]time.Duration, 0, b.N)
			for b.Loop() {
				mark := len(h.Handshakes())
				t0 := time.Now()
				h.DropAll()
				if !h.WaitHandshakes(ctx, mark+1) || !h.WaitLive(ctx, 1) {
					b.Fatalf("%s: the Conn did not come back", b.Name())
				}
				ds = append(ds, time.Since(t0))
			}
			quantiles(b, ds)
		})
	}
}
