package redisbudget

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// EventKind says what an Event reports.
type EventKind int

const (
	// EventWait is a Wait that ended: allowed when Err is nil.
	EventWait EventKind = iota
	// EventRedisError is a Redis call that failed or ran out of Timeout.
	EventRedisError
	// EventFallback is the switch from Redis to the fallback.
	EventFallback
	// EventRecovered is Redis answering again after the fallback.
	EventRecovered
)

// String returns the kind's name, as in metrics.
func (k EventKind) String() string {
	switch k {
	case EventWait:
		return "wait"
	case EventRedisError:
		return "redis_error"
	case EventFallback:
		return "fallback"
	case EventRecovered:
		return "recovered"
	}
	return "unknown"
}

// Source says which budget allowed a wait.
type Source int

const (
	// SourceRedis is the budget shared through Redis.
	SourceRedis Source = iota
	// SourceLocal is the fallback: this process's share, or, with
	// FallbackClosed, no budget at all.
	SourceLocal
)

// String returns "redis" or "local".
func (s Source) String() string {
	if s == SourceLocal {
		return "local"
	}
	return "redis"
}

// Event is what Options.Observe receives.
type Event struct {
	Kind EventKind
	Key  string
	// Source is the budget the wait went through (EventWait).
	Source Source
	// Waited is how long the Wait took (EventWait).
	Waited time.Duration
	// Err is the Wait's error (EventWait; nil when allowed) or the
	// Redis call's (EventRedisError). It never holds the URL's password.
	Err error
}

// observe hands evs to Options.Observe on a goroutine of its own, so
// that a hook that blocks ends the wait no later than ctx does.
func (l *Limiter) observe(ctx context.Context, evs []Event) error {
	for _, e := range evs {
		l.inst.record(ctx, e)
	}
	if l.opts.Observe == nil || len(evs) == 0 {
		return nil
	}
	done := make(chan error, 1)
	go func() {
		var err error
		defer func() {
			if v := recover(); v != nil {
				err = &reconnect.PanicError{Hook: "redisbudget.Observe", Value: v, Stack: debug.Stack()}
			}
			done <- err
		}()
		for _, e := range evs {
			l.opts.Observe(e)
		}
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
