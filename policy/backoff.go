package policy

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Exponential is the default backoff. The first delay after a Reset is drawn
// from [0, Initial) (full jitter); each later delay is the next interval of
// an exponential curve, capped at Max, then randomised by ±Jitter. Because
// the jitter comes after the cap, delays at the cap stay spread over
// [Max*(1-Jitter), Max*(1+Jitter)) rather than collapsing onto Max.
//
// It never returns backoff.Stop: giving up is the policy's MaxAttempts and
// MaxOutage. Exponential implements backoff.BackOff and, like every
// backoff.BackOff, is not safe for concurrent use.
type Exponential struct {
	curve  *backoff.ExponentialBackOff // the un-randomised, capped curve
	cfg    Backoff
	rand   func() float64
	primed bool // false until the first draw after a Reset
}

var _ backoff.BackOff = (*Exponential)(nil)

// NewExponential returns an Exponential for cfg (zero fields take their
// defaults). rand returns uniform numbers in [0, 1); nil means
// math/rand/v2.Float64.
func NewExponential(cfg Backoff, rand func() float64) *Exponential {
	cfg = cfg.withDefaults()
	initial, maxI, mult := cfg.Initial, cfg.Max, cfg.Multiplier
	// No cap, or a cap near the longest Duration: backoff/v4 would
	// overflow the interval into a negative one past math.MaxInt64/2.
	if maxI < 0 || maxI > math.MaxInt64/2 {
		maxI = math.MaxInt64 / 2
	}
	if initial < 0 { // no first wait; the curve starts at the default
		initial = min(DefaultInitial, maxI)
	}
	if mult < 0 { // no growth
		mult = 1
	}
	curve := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(initial),
		backoff.WithMultiplier(mult),
		backoff.WithMaxInterval(maxI),
		backoff.WithRandomizationFactor(0),
		// v4 gives up after 15 minutes by default; a connection must not.
		backoff.WithMaxElapsedTime(0),
	)
	return &Exponential{curve: curve, cfg: cfg, rand: rand}
}

// NextBackOff returns the next delay.
func (e *Exponential) NextBackOff() time.Duration {
	r := e.draw()
	if !e.primed {
		e.primed = true
		return time.Duration(r * float64(max(e.cfg.Initial, 0)))
	}
	interval := e.curve.NextBackOff()
	j := max(e.cfg.Jitter, 0)
	return scale(interval, 1-j+2*j*r)
}

// scale returns d*f, saturating at the longest Duration: with a Max near
// it (a "no cap" setting), the jittered product would overflow into a
// negative wait, that is no wait at all.
func scale(d time.Duration, f float64) time.Duration {
	v := float64(d) * f
	if v >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(v)
}

// Reset starts the curve over; the next delay is full-jittered again.
func (e *Exponential) Reset() {
	e.curve.Reset()
	e.primed = false
}

func (e *Exponential) draw() float64 {
	if e.rand != nil {
		return unit(e.rand())
	}
	return rand.Float64()
}

// unit keeps an application's Rand in [0, 1]: out of range is the
// nearest end, NaN is 0, so no wait turns negative or leaves its range.
func unit(r float64) float64 {
	switch {
	case r >= 1:
		return 1
	case r >= 0:
		return r
	}
	return 0
}
