package policy

import (
	"math"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Policy decides what happens after a connection ends or an attempt fails.
//
// Policy is plain data. The zero value is ready to use and equals Default();
// every field documents its default. One rule holds for every number: zero
// means the default, and a negative value means none (no wait, no limit,
// no cap, off), as each field says. A Policy is read-only once in use and
// safe to share between connections; the backoff it makes is not, so each
// connection asks BackOff for its own.
type Policy struct {
	// RetryNormalClosure makes a 1000 close retryable. Defaults to false:
	// 1000 means "done" in the RFC, but proxies and servers close with 1000
	// on idle timeouts and restarts; set this when yours do.
	RetryNormalClosure bool

	// App decides application close codes 3000-4999. The zero value stops
	// on every application code. See Centrifugo and GraphQLWS for presets.
	App AppRules

	// TryAgainLaterDelay is the minimum wait after a 1013 Try Again Later
	// close. Defaults to 5 s; negative means no floor.
	TryAgainLaterDelay time.Duration

	// RestartSpread is the random extra wait after a 1012 Service Restart
	// close, which every client of the server receives at the same moment.
	// Defaults to 5 s; negative means none.
	RestartSpread time.Duration

	// RefusedSpread is the random extra wait after a refused dial. Nothing
	// listens on the server's port, so it is most likely down for every
	// client at once; without a spread, the clients whose first attempt
	// hit the closed port would come back together one backoff later.
	// Defaults to 500 ms; negative means none.
	RefusedSpread time.Duration

	// MaxRetryAfter caps the delay a server may ask for with Retry-After.
	// Defaults to 5 min; negative means no cap.
	MaxRetryAfter time.Duration

	// FloorJitter is the fraction of a server-imposed minimum delay
	// (Retry-After, the 1013 floor) added as random extra wait, so that
	// clients told the same delay spread out. Defaults to 0.2; negative
	// means none.
	FloorJitter float64

	// Backoff shapes the default backoff curve. Ignored when NewBackoff is set.
	Backoff Backoff

	// NewBackoff returns a fresh backoff for one connection. It is called
	// once per connection; the result is used by that connection's
	// supervisor only. Defaults to NewExponential(p.Backoff, p.Rand).
	// A backoff that returns backoff.Stop makes the connection give up.
	NewBackoff func() backoff.BackOff

	// MaxAttempts is how many attempts one outage may make before the
	// connection gives up: with 3, it gives up when the third attempt
	// fails, or its connection ends before it counts as healthy, instead
	// of waiting for a fourth. An outage, as reconnect.Conn counts it,
	// starts at Dial, at the end of the last connection that stayed up
	// Options.MinUptime, or at ResetBackoff. Every dial attempt in it
	// counts, those that connected and dropped sooner too, so a server
	// that accepts and closes at once is given up on like one that
	// refuses (flap protection). Defaults to 0: unlimited; negative is
	// unlimited too.
	MaxAttempts int

	// MaxOutage is how long one outage may last before the connection gives
	// up; it gives up as soon as the next wait would end past it.
	// Defaults to 0: unlimited; negative is unlimited too.
	MaxOutage time.Duration

	// Classifier replaces the built-in classification. Defaults to
	// DefaultClassifier, which a custom Classifier may call for the cases
	// it does not handle. It is called on the connection's supervisor
	// goroutine and must not block.
	Classifier func(p Policy, err error, resp *http.Response) Decision

	// Now returns the current time, used to turn a Retry-After date into a
	// delay. Defaults to time.Now.
	Now func() time.Time

	// Rand returns a uniform random number in [0, 1) for jitter and spread.
	// It must be safe for concurrent use. Defaults to math/rand/v2.Float64.
	// A value out of range is taken at the nearest end, NaN as 0.
	Rand func() float64
}

// Backoff shapes the default exponential backoff curve. The zero value
// gives the defaults.
type Backoff struct {
	// Initial is the first interval of the curve. The first wait after a
	// connection drops is drawn from [0, Initial) (full jitter), so a fleet
	// that dropped together does not return together. Defaults to 500 ms;
	// negative means no first wait (the curve then starts at 500 ms, or
	// Max if that is less).
	Initial time.Duration
	// Multiplier grows the interval after each failed attempt.
	// Defaults to 1.5; negative means no growth (1).
	Multiplier float64
	// Max caps the interval before jitter is applied, so delays at the cap
	// are spread over [Max*(1-Jitter), Max*(1+Jitter)) instead of all
	// landing on Max. Defaults to 30 s; negative means no cap.
	Max time.Duration
	// Jitter is the randomization factor applied to every interval after
	// the first. Defaults to 0.5; negative means none.
	Jitter float64
}

// Default values, exported so that code can refer to them.
const (
	DefaultTryAgainLaterDelay = 5 * time.Second
	DefaultRestartSpread      = 5 * time.Second
	DefaultRefusedSpread      = 500 * time.Millisecond
	DefaultMaxRetryAfter      = 5 * time.Minute
	DefaultFloorJitter        = 0.2
	DefaultInitial            = 500 * time.Millisecond
	DefaultMultiplier         = 1.5
	DefaultMax                = 30 * time.Second
	DefaultJitter             = 0.5
)

// Default returns the default policy with every default spelled out.
func Default() Policy {
	return Policy{}.WithDefaults()
}

// WithDefaults returns a copy of p with every zero field that has a
// default set to it; negative values, which mean none, stay. Applying it
// twice changes nothing. reconnect.Dial applies it once, so that its
// Conn, its hooks and Classifier see the policy in force.
func (p Policy) WithDefaults() Policy {
	if p.TryAgainLaterDelay == 0 {
		p.TryAgainLaterDelay = DefaultTryAgainLaterDelay
	}
	if p.RestartSpread == 0 {
		p.RestartSpread = DefaultRestartSpread
	}
	if p.RefusedSpread == 0 {
		p.RefusedSpread = DefaultRefusedSpread
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if p.FloorJitter == 0 {
		p.FloorJitter = DefaultFloorJitter
	}
	p.Backoff = p.Backoff.withDefaults()
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Rand == nil {
		p.Rand = rand.Float64
	}
	return p
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial == 0 {
		b.Initial = DefaultInitial
	}
	if b.Multiplier == 0 {
		b.Multiplier = DefaultMultiplier
	}
	if b.Max == 0 {
		b.Max = DefaultMax
	}
	if b.Jitter == 0 {
		b.Jitter = DefaultJitter
	}
	return b
}

// Classify classifies the end of a connection or a failed attempt. err is
// what a failed Read, Write, Ping or Dial returned; resp is the
// *http.Response that websocket.Dial returned with a failed dial, nil for
// anything else. It calls p.Classifier when set, else DefaultClassifier.
func (p Policy) Classify(err error, resp *http.Response) Decision {
	if p.Classifier != nil {
		return p.Classifier(p, err, resp)
	}
	return DefaultClassifier(p, err, resp)
}

// FreshBackoff returns a fresh backoff for one connection: p.NewBackoff() when
// set, else NewExponential(p.Backoff, p.Rand).
func (p Policy) FreshBackoff() backoff.BackOff {
	if p.NewBackoff != nil {
		return p.NewBackoff()
	}
	return NewExponential(p.Backoff, p.Rand) // it fills in the defaults
}

// Delay returns the wait before the next attempt: the backoff's next value
// or the decision's floor, whichever is longer, plus the decision's random
// spread. The spread goes on top rather than competing with the backoff:
// max(backoff, floor+spread) would bunch a fleet where the two ranges
// overlap (after a 1012, arrivals in the backoff's first 0.5 s ran at twice
// the mean rate), while a sum keeps the return flat.
func (p Policy) Delay(d Decision, next time.Duration) time.Duration {
	wait := max(next, d.MinDelay, 0)
	if d.Spread > 0 {
		r := p.Rand
		if r == nil { // the zero Policy, used directly
			r = rand.Float64
		}
		spread := time.Duration(unit(r()) * float64(d.Spread))
		wait = min(wait, math.MaxInt64-spread) + spread // saturate, never wrap
	}
	return wait
}

// GiveUp reports whether an outage that has seen attempts attempts (counted
// as MaxAttempts says) and lasted outage should end instead of waiting wait
// for another attempt.
func (p Policy) GiveUp(attempts int, outage, wait time.Duration) bool {
	if p.MaxAttempts > 0 && attempts >= p.MaxAttempts {
		return true
	}
	return p.MaxOutage > 0 && wait > p.MaxOutage-outage // outage+wait could overflow
}
