package redisbudget_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"golang.org/x/time/rate"

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

// BenchmarkLoneDial is one Conn's connect, the same path as a
// reconnect's attempt, with no budget, a rate.Limiter, and the budget in
// Redis; none of them refuses.
func BenchmarkLoneDial(b *testing.B) {
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
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			ds := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				c, err := reconnect.Dial(ctx, h.URL(), &reconnect.Options{DialBudget: bb.budget, PingInterval: -1})
				if err != nil {
					b.Fatalf("%s: Dial: %v", b.Name(), err)
				}
				ds = append(ds, time.Since(t0))
				c.CloseNow()
			}
			quantiles(b, ds)
		})
	}
}
