package redisbudget

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

var (
	// ErrUnavailable is Wait's error under FallbackClosed while Redis
	// cannot be reached.
	ErrUnavailable = errors.New("redisbudget: Redis is unavailable")
	// ErrTimeout is a Redis call that took longer than Options.Timeout.
	ErrTimeout = errors.New("redisbudget: Redis call timed out")
	// ErrDeadline is a Wait that would have to sleep past its ctx's
	// deadline; it returns at once instead.
	ErrDeadline = errors.New("redisbudget: wait would pass the context's deadline")
)

// Limiter is a dial budget shared through Redis: a reconnect.Limiter
// for Options.DialBudget. It is safe for concurrent use.
type Limiter struct {
	opts    Options
	rl      *redis_rate.Limiter
	limit   redis_rate.Limit
	calm    redis_rate.Limit // the limit without burst, after a return
	owned   redis.UniversalClient
	secrets []string
	inst    *instruments
	turn    chan struct{} // one Wait talks to Redis at a time

	// Held with turn.
	down    bool
	probeAt time.Time     // down: when to try Redis again
	calmTo  time.Time     // back from down: no burst before this
	lastErr error         // down: why
	local   *rate.Limiter // down, FallbackLocal: this process's share
}

var _ reconnect.Limiter = (*Limiter)(nil)

// New returns a Limiter for opts. It does not contact Redis: a Redis
// that is down at start is a fallback like any other.
func New(opts Options) (*Limiter, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	l := &Limiter{opts: o, secrets: secretsOf(o.URL), turn: make(chan struct{}, 1)}
	client := o.Client
	if client == nil {
		ro, err := redis.ParseURL(o.URL)
		if err != nil {
			return nil, fmt.Errorf("failed to parse the Redis URL: %w", scrub(err, l.secrets))
		}
		ro.DialTimeout, ro.ReadTimeout, ro.WriteTimeout = o.Timeout, o.Timeout, o.Timeout
		ro.ContextTimeoutEnabled = true
		ro.DialerRetries = 1 // a refused dial is Redis down: the fallback, not five tries
		client = redis.NewClient(ro)
		l.owned = client
	}
	l.rl = redis_rate.NewLimiter(client)
	l.limit = redis_rate.Limit{Rate: o.Rate, Period: o.Period, Burst: o.Burst}
	l.calm = redis_rate.Limit{Rate: o.Rate, Period: o.Period, Burst: 1}
	l.inst = newInstruments(o.MeterProvider)
	return l, nil
}

// Close closes the Redis client New built from Options.URL; a Client
// given in Options stays open.
func (l *Limiter) Close() error {
	if l.owned == nil {
		return nil
	}
	if err := l.owned.Close(); err != nil {
		return fmt.Errorf("failed to close the Redis client: %w", scrub(err, l.secrets))
	}
	return nil
}

// Wait blocks until the budget allows one more dial, or ctx ends. It
// never sleeps past ctx's deadline (ErrDeadline) and asks Redis once per
// retry-after the script returns.
func (l *Limiter) Wait(ctx context.Context) (err error) {
	start := l.opts.Clock.Now()
	var evs []Event
	src := SourceRedis
	defer func() {
		if v := recover(); v != nil { // a bug here must not crash a Conn
			err = &reconnect.PanicError{Hook: "redisbudget.Wait", Value: v, Stack: debug.Stack()}
		}
	}()
	select {
	case l.turn <- struct{}{}:
		src, evs, err = l.wait(ctx)
		<-l.turn
	case <-ctx.Done():
		err = ctx.Err()
	}
	waited := l.opts.Clock.Now().Sub(start)
	evs = append(evs, Event{Kind: EventWait, Key: l.opts.Key, Source: src, Waited: waited, Err: err})
	if oerr := l.observe(ctx, evs); oerr != nil && err == nil {
		err = fmt.Errorf("failed to report the wait: %w", oerr)
	}
	return err
}

// wait is Wait with the turn held. It returns the events to report.
func (l *Limiter) wait(ctx context.Context) (Source, []Event, error) {
	var evs []Event
	for {
		if err := ctx.Err(); err != nil {
			return SourceRedis, evs, err
		}
		now := l.opts.Clock.Now()
		if l.down && now.Before(l.probeAt) {
			err := l.fallback(ctx)
			return SourceLocal, evs, err
		}
		res, err := l.allow(ctx, now)
		if err != nil {
			if ctx.Err() != nil {
				return SourceRedis, evs, ctx.Err()
			}
			evs = append(evs, l.failed(l.opts.Clock.Now(), err)...)
			continue
		}
		if l.down {
			l.down, l.local, l.lastErr = false, nil, nil
			l.calmTo = now.Add(l.opts.Period)
			evs = append(evs, Event{Kind: EventRecovered, Key: l.opts.Key})
		}
		if res.Allowed > 0 {
			return SourceRedis, evs, nil
		}
		if err := l.sleep(ctx, max(res.RetryAfter, time.Millisecond)); err != nil {
			return SourceRedis, evs, err
		}
	}
}

// failed records a Redis call that failed at now: the fallback until
// the next probe.
func (l *Limiter) failed(now time.Time, err error) []Event {
	evs := []Event{{Kind: EventRedisError, Key: l.opts.Key, Err: err}}
	l.probeAt, l.lastErr = now.Add(l.opts.Probe), err
	if l.down {
		return evs
	}
	l.down = true
	if l.opts.Fallback == FallbackLocal {
		o := l.opts
		every := o.Period * time.Duration(o.Processes) / time.Duration(o.Rate)
		l.local = rate.NewLimiter(rate.Every(every), max(1, o.Burst/o.Processes))
		l.local.ReserveN(now, max(1, o.Burst/o.Processes)) // start empty: no burst at the switch
	}
	return append(evs, Event{Kind: EventFallback, Key: l.opts.Key})
}

// fallback waits for the local share, or refuses under FallbackClosed.
func (l *Limiter) fallback(ctx context.Context) error {
	if l.local == nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, l.lastErr)
	}
	now := l.opts.Clock.Now()
	r := l.local.ReserveN(now, 1)
	if err := l.sleep(ctx, r.DelayFrom(now)); err != nil {
		r.CancelAt(l.opts.Clock.Now())
		return err
	}
	return nil
}
