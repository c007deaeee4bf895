package policy_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/wsreconnect/wsreconnect/policy"
)

func constRand(v float64) func() float64 { return func() float64 { return v } }

func TestExponentialSequence(t *testing.T) {
	t.Parallel()
	ms := func(v ...float64) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x * float64(time.Millisecond))
		}
		return out
	}
	tests := []struct {
		name string
		cfg  policy.Backoff
		rand float64
		want []time.Duration
	}{
		{"defaults, jitter centred", policy.Backoff{}, 0.5,
			ms(250, 500, 750, 1125, 1687.5, 2531.25, 3796.875, 5695.3125, 8542.96875, 12814.453125, 19221.6796875, 28832.51953125, 30000, 30000)},
		{"defaults, lowest draw", policy.Backoff{}, 0,
			ms(0, 250, 375, 562.5, 843.75)},
		{"no jitter", policy.Backoff{Initial: time.Second, Multiplier: 2, Max: 5 * time.Second, Jitter: -1}, 0.5,
			ms(500, 1000, 2000, 4000, 5000, 5000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := policy.NewExponential(tt.cfg, constRand(tt.rand))
			for i, want := range tt.want {
				// The curve truncates to whole nanoseconds at each step.
				if got := b.NextBackOff(); got < want-time.Microsecond || got > want+time.Microsecond {
					t.Fatalf("draw %d = %v, want %v ± 1µs", i, got, want)
				}
			}
		})
	}
}

func TestExponentialResetFullJitter(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	b := policy.NewExponential(policy.Backoff{}, r.Float64)
	for range 1000 {
		for range 20 {
			b.NextBackOff()
		}
		b.Reset()
		if d := b.NextBackOff(); d < 0 || d >= policy.DefaultInitial {
			t.Fatalf("first draw after Reset = %v, want in [0, %v)", d, policy.DefaultInitial)
		}
	}
}

// TestExponentialJitterAfterCap draws 10,000 delays at the cap and checks
// they spread over the whole band [15 s, 45 s) instead of piling on 30 s.
func TestExponentialJitterAfterCap(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	b := policy.NewExponential(policy.Backoff{}, r.Float64)
	for range 30 { // climb to the cap: 500 ms * 1.5^n passes 30 s at n = 11
		b.NextBackOff()
	}
	const n = 10000
	draws := make([]time.Duration, n)
	buckets := make([]int, 10) // 3 s wide over [15 s, 45 s)
	for i := range draws {
		d := b.NextBackOff()
		if d < 15*time.Second || d >= 45*time.Second {
			t.Fatalf("draw %d = %v, outside [15s, 45s)", i, d)
		}
		draws[i] = d
		buckets[(d-15*time.Second)/(3*time.Second)]++
	}
	slices.Sort(draws)
	lo, med, hi := draws[0], draws[n/2], draws[n-1]
	t.Logf("10000 draws at the cap: min %v, median %v, max %v, per 3 s bucket %v", lo, med, hi, buckets)
	if lo > 15500*time.Millisecond || hi < 44500*time.Millisecond {
		t.Errorf("band not covered: min %v, max %v, want near 15s and 45s", lo, hi)
	}
	if med < 29*time.Second || med > 31*time.Second {
		t.Errorf("median %v, want about 30s", med)
	}
	for i, c := range buckets {
		if c < n/10*8/10 || c > n/10*12/10 { // each bucket within ±20% of uniform
			t.Errorf("bucket %d holds %d draws, want about %d", i, c, n/10)
		}
	}
}

func TestPolicyBackOffFactory(t *testing.T) {
	t.Parallel()
	calls := 0
	p := policy.Policy{NewBackoff: func() backoff.BackOff { calls++; return &backoff.ZeroBackOff{} }}
	if _, ok := p.FreshBackoff().(*backoff.ZeroBackOff); !ok || calls != 1 {
		t.Fatalf("BackOff did not use NewBackoff (calls %d)", calls)
	}
	b1, b2 := policy.Policy{}.FreshBackoff(), policy.Policy{}.FreshBackoff()
	if b1 == b2 {
		t.Fatal("BackOff returned the same instance twice; each connection needs its own")
	}
}
