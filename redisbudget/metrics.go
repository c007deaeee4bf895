package redisbudget

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ScopeName is the instrumentation scope of the Limiter's metrics.
const ScopeName = "github.com/wsreconnect/wsreconnect/redisbudget"

// instruments are the Limiter's metrics; nil records nothing.
type instruments struct {
	wait      metric.Float64Histogram
	errs      metric.Int64Counter
	fallbacks metric.Int64Counter
}

func newInstruments(mp metric.MeterProvider) *instruments {
	if mp == nil {
		return nil
	}
	m := mp.Meter(ScopeName)
	i := &instruments{}
	// Errors from the Meter leave a no-op instrument: metrics never stop a dial.
	i.wait, _ = m.Float64Histogram("wsreconnect.budget.wait", metric.WithUnit("s"),
		metric.WithDescription("Time a dial waited for the shared budget."))
	i.errs, _ = m.Int64Counter("wsreconnect.budget.redis_errors",
		metric.WithDescription("Redis calls that failed or ran out of time."))
	i.fallbacks, _ = m.Int64Counter("wsreconnect.budget.fallbacks",
		metric.WithDescription("Switches from Redis to the fallback."))
	return i
}

// record adds e to the metrics.
func (i *instruments) record(ctx context.Context, e Event) {
	if i == nil {
		return
	}
	ctx = context.WithoutCancel(ctx) // a Wait that ended on ctx is still counted
	key := attribute.String("budget.key", e.Key)
	switch e.Kind {
	case EventWait:
		outcome := "allowed"
		if e.Err != nil {
			outcome = "error"
		}
		i.wait.Record(ctx, e.Waited.Seconds(), metric.WithAttributes(key,
			attribute.String("budget.source", e.Source.String()), attribute.String("budget.outcome", outcome)))
	case EventRedisError:
		kind := "redis"
		if errors.Is(e.Err, ErrTimeout) {
			kind = "timeout"
		}
		i.errs.Add(ctx, 1, metric.WithAttributes(key, attribute.String("error.type", kind)))
	case EventFallback:
		i.fallbacks.Add(ctx, 1, metric.WithAttributes(key))
	}
}
