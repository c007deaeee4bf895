package policy_test

import (
	"math"
	"testing"
	"time"

	"github.com/wsreconnect/wsreconnect/policy"
)

// TestRandOutOfRange: a Rand that breaks its promise of [0, 1) is taken
// at the nearest end, so no wait is negative or past its range.
func TestRandOutOfRange(t *testing.T) {
	tests := []struct {
		name string
		r    float64
	}{
		{"1", 1},
		{"1.5", 1.5},
		{"-1", -1},
		{"NaN", math.NaN()},
		{"+Inf", math.Inf(1)},
		{"-Inf", math.Inf(-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rnd := func() float64 { return tt.r }
			p := policy.Policy{Rand: rnd}
			spread := 5 * time.Second
			if d := p.Delay(policy.Decision{Spread: spread}, 0); d < 0 || d > spread {
				t.Errorf("Delay with Spread %v = %v, want within [0, %v]", spread, d, spread)
			}
			cfg := policy.Backoff{Initial: time.Second, Max: 10 * time.Second, Multiplier: 2, Jitter: 0.5}
			b := policy.NewExponential(cfg, rnd)
			if d := b.NextBackOff(); d < 0 || d > cfg.Initial {
				t.Errorf("first wait = %v, want within [0, %v]", d, cfg.Initial)
			}
			for range 8 {
				if d := b.NextBackOff(); d < 0 || d > 2*cfg.Max {
					t.Errorf("wait = %v, want within [0, %v]", d, 2*cfg.Max)
				}
			}
		})
	}
}
