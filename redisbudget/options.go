package redisbudget

import (
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Fallback says what Wait does while Redis cannot be reached.
type Fallback int

const (
	// FallbackLocal waits on a limiter in this process that allows its
	// share of the budget: Rate/Processes per Period, with a burst of
	// Burst/Processes (at least 1), starting empty.
	FallbackLocal Fallback = iota
	// FallbackClosed allows no dial: Wait returns ErrUnavailable, and
	// the Conn counts a failed attempt and backs off.
	FallbackClosed
)

// Options configure a Limiter. Key and Rate are required.
type Options struct {
	// Client is the Redis to share the budget through; a
	// *redis.Client, *redis.ClusterClient or *redis.Ring. Close leaves
	// it open. Defaults to nil: a client is built from URL.
	Client redis.UniversalClient
	// URL is used when Client is nil, in the form redis.ParseURL reads
	// ("redis://user:password@host:6379/0"). Its password never appears
	// in errors or events. Defaults to "".
	URL string

	// Key names the budget: every process that shares one uses the same
	// Key, for example "binance:203.0.113.7:dial". Stored in Redis as
	// "rate:" + Key. Required.
	Key string
	// Rate is how many dials the budget allows per Period. Required.
	Rate int
	// Period is the window Rate counts in. Defaults to one second.
	Period time.Duration
	// Burst is how many dials may go at once after a quiet spell; the
	// server's limit must allow Rate+Burst in a Period. Defaults to 1:
	// an even pace.
	Burst int

	// Timeout bounds each Redis call; a call that takes longer counts
	// as Redis down. Defaults to 250 ms.
	Timeout time.Duration
	// Fallback is what Wait does while Redis is down. Defaults to
	// FallbackLocal.
	Fallback Fallback
	// Processes is how many processes share Key: the local fallback
	// allows 1/Processes of the budget. Set it to the fleet's size; the
	// default of 1 lets each process spend the whole budget while Redis
	// is down. Defaults to 1.
	Processes int
	// Probe is how long after a failed Redis call a process tries Redis
	// again; until then it uses the fallback without asking Redis.
	// Defaults to one second.
	Probe time.Duration

	// Observe, when set, receives every wait, every Redis error and
	// every change between Redis and the fallback: one Wait's events in
	// order, after the wait. It runs on a goroutine of its own that Wait
	// waits for until ctx ends, so it may block or call the Limiter; a
	// Wait whose ctx ends returns without it, and it may still run after
	// Wait or Close. The Waits of many Conns call it at once: it must be
	// safe for concurrent use, and their events may interleave (one
	// Wait's EventRecovered can arrive before another's EventFallback).
	// A panic in it becomes Wait's error, a *reconnect.PanicError, and
	// the dial the budget allowed is not made. Defaults to nil.
	Observe func(Event)
	// MeterProvider, when set, gets the Limiter's metrics: the
	// histogram wsreconnect.budget.wait (seconds) and the counters
	// wsreconnect.budget.redis_errors and wsreconnect.budget.fallbacks.
	// Defaults to nil: no metrics.
	MeterProvider metric.MeterProvider
	// Clock is the time source. Defaults to reconnect.SystemClock{}.
	Clock reconnect.Clock
}

// ErrOptions is returned by New for options it cannot use.
var ErrOptions = errors.New("redisbudget: invalid options")

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Key == "":
		return o, fmt.Errorf("%w: Key is empty", ErrOptions)
	case o.Rate <= 0:
		return o, fmt.Errorf("%w: Rate %d is not positive", ErrOptions, o.Rate)
	case o.Client == nil && o.URL == "":
		return o, fmt.Errorf("%w: neither Client nor URL is set", ErrOptions)
	case o.Burst < 0 || o.Period < 0 || o.Timeout < 0 || o.Processes < 0 || o.Probe < 0:
		return o, fmt.Errorf("%w: Burst, Period, Timeout, Processes and Probe may not be negative", ErrOptions)
	case o.Fallback != FallbackLocal && o.Fallback != FallbackClosed:
		return o, fmt.Errorf("%w: unknown Fallback %d", ErrOptions, o.Fallback)
	}
	if o.Period == 0 {
		o.Period = time.Second
	}
	if o.Burst == 0 {
		o.Burst = 1
	}
	if o.Timeout == 0 {
		o.Timeout = 250 * time.Millisecond
	}
	if o.Processes == 0 {
		o.Processes = 1
	}
	if o.Probe == 0 {
		o.Probe = time.Second
	}
	if o.Clock == nil {
		o.Clock = reconnect.SystemClock{}
	}
	return o, nil
}
