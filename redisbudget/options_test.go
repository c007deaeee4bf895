package redisbudget_test

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/wsreconnect/wsreconnect/redisbudget"
)

// TestOptions: options New cannot use get ErrOptions and say which.
func TestOptions(t *testing.T) {
	ok := redisbudget.Options{URL: "redis://127.0.0.1:1", Key: "k", Rate: 1}
	tests := []struct {
		name   string
		change func(*redisbudget.Options)
	}{
		{"no key", func(o *redisbudget.Options) { o.Key = "" }},
		{"no rate", func(o *redisbudget.Options) { o.Rate = 0 }},
		{"no redis", func(o *redisbudget.Options) { o.URL = "" }},
		{"negative burst", func(o *redisbudget.Options) { o.Burst = -1 }},
		{"negative processes", func(o *redisbudget.Options) { o.Processes = -2 }},
		{"unknown fallback", func(o *redisbudget.Options) { o.Fallback = 7 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.change(&o)
			if _, err := redisbudget.New(o); !errors.Is(err, redisbudget.ErrOptions) {
				t.Errorf("%s: New = %v; want ErrOptions", t.Name(), err)
			}
		})
	}
	l, err := redisbudget.New(ok)
	if err != nil {
		t.Fatalf("%s: New with good options: %v", t.Name(), err)
	}
	l.Close()
}

// TestMetrics: waits and Redis errors reach the MeterProvider.
func TestMetrics(t *testing.T) {
	reader := metric.NewManualReader()
	mp := metric.NewMeterProvider(metric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	l, err := redisbudget.New(redisbudget.Options{URL: "redis://" + deadPort(t), Key: t.Name(), Rate: 1000,
		MeterProvider: mp})
	if err != nil {
		t.Fatalf("%s: New: %v", t.Name(), err)
	}
	defer l.Close()
	if err := l.Wait(context.Background()); err != nil {
		t.Fatalf("%s: Wait on the fallback: %v", t.Name(), err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("%s: Collect: %v", t.Name(), err)
	}
	got := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			got[m.Name] = true
		}
	}
	for _, name := range []string{"wsreconnect.budget.wait", "wsreconnect.budget.redis_errors", "wsreconnect.budget.fallbacks"} {
		if !got[name] {
			t.Errorf("%s: no %s; got %v", t.Name(), name, got)
		}
	}
}
