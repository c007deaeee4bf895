package redisbudget

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

// allow asks Redis for one dial. The call runs on a goroutine of its
// own so that a client that ignores ctx still cannot hold Wait past
// Options.Timeout; errors never hold the URL's password.
func (l *Limiter) allow(ctx context.Context, now time.Time) (*redis_rate.Result, error) {
	limit := l.limit
	if now.Before(l.calmTo) {
		limit = l.calm // back from the fallback: the fleet already spent its burst
	}
	cctx, cancel := context.WithTimeout(ctx, l.opts.Timeout)
	defer cancel()
	type answer struct {
		res *redis_rate.Result
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		var a answer
		defer func() {
			if v := recover(); v != nil {
				a.err = fmt.Errorf("redis client panicked: %v", v)
			}
			ch <- a
		}()
		a.res, a.err = l.rl.Allow(cctx, l.opts.Key, limit)
	}()
	t := l.opts.Clock.NewTimer(l.opts.Timeout)
	defer t.Stop()
	select {
	case a := <-ch:
		if a.err != nil {
			return nil, fmt.Errorf("failed to ask Redis for budget %q: %w", l.opts.Key, scrub(a.err, l.secrets))
		}
		return a.res, nil
	case <-t.C():
		return nil, fmt.Errorf("failed to ask Redis for budget %q within %v: %w", l.opts.Key, l.opts.Timeout, ErrTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// sleep waits d on the Limiter's clock, or returns ErrDeadline at once
// when d would pass ctx's deadline.
func (l *Limiter) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && d > time.Until(dl) { // ctx's deadline is on the real clock
		return fmt.Errorf("failed to wait %v for budget %q: %w", d, l.opts.Key, ErrDeadline)
	}
	t := l.opts.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
