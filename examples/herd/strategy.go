package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/wsreconnect/wsreconnect/policy"
)

// strategy is one client reconnect behaviour under comparison.
type strategy struct {
	name   string
	what   string
	policy policy.Policy
}

// fixedDelay is the wait of the no-jitter strategy.
const fixedDelay = 500 * time.Millisecond

// strategies are compared in this order. The first two model clients that
// do not use our policy's spreads: RestartSpread and RefusedSpread are off,
// so the wait is the backoff's value alone, as with a hand-written
// backoff.Retry loop.
var strategies = []strategy{
	{
		name: "fixed",
		what: "no jitter: a constant 500 ms between attempts",
		policy: policy.Policy{
			RestartSpread: -1,
			RefusedSpread: -1,
			FloorJitter:   -1,
			NewBackoff:    func() backoff.BackOff { return backoff.NewConstantBackOff(fixedDelay) },
		},
	},
	{
		name: "backoff-v4",
		what: "backoff/v4 defaults: 500 ms ±50%, x1.5, max 60 s",
		policy: policy.Policy{
			RestartSpread: -1,
			RefusedSpread: -1,
			FloorJitter:   -1,
			NewBackoff:    func() backoff.BackOff { return backoff.NewExponentialBackOff() },
		},
	},
	{
		name:   "ours",
		what:   "policy.Default(): full jitter [0, 500 ms) first, 1012 spread 5 s, refused spread 500 ms",
		policy: policy.Default(),
	},
}

// tune returns a copy of sts in which ours has Backoff.Initial and
// RefusedSpread replaced by the ones that are not zero, and backoff-v4
// starts from InitialInterval initial if that is not zero.
func tune(sts []strategy, initial, refusedSpread time.Duration) []strategy {
	sts = slices.Clone(sts)
	for i, st := range sts {
		switch {
		case st.name == "backoff-v4" && initial != 0:
			st.policy.NewBackoff = func() backoff.BackOff {
				return backoff.NewExponentialBackOff(backoff.WithInitialInterval(initial))
			}
			st.what = fmt.Sprintf("backoff/v4 defaults with InitialInterval %v: ±50%%, x1.5, max 60 s", initial)
		case st.name == "ours" && (initial != 0 || refusedSpread != 0):
			var with []string
			if initial != 0 {
				st.policy.Backoff.Initial = initial
				with = append(with, fmt.Sprintf("Backoff.Initial %v", initial))
			}
			if refusedSpread != 0 {
				st.policy.RefusedSpread = refusedSpread
				with = append(with, fmt.Sprintf("RefusedSpread %v", max(refusedSpread, 0)))
			}
			st.what = "policy.Default() with " + strings.Join(with, ", ")
		}
		sts[i] = st
	}
	return sts
}

func findStrategies(name string) []strategy {
	if name == "all" {
		return strategies
	}
	for _, s := range strategies {
		if s.name == name {
			return []strategy{s}
		}
	}
	return nil
}

// scenario is how the server goes away.
type scenario struct {
	name string
	what string
	// close1012 sends a 1012 close frame to every client; otherwise the
	// server drops TCP without a close frame.
	close1012 bool
}

var scenarios = []scenario{
	{"1012", "server restarts announcing 1012 Service Restart", true},
	{"drop", "server drops every TCP connection without a close frame", false},
}

func findScenarios(name string) []scenario {
	if name == "both" {
		return scenarios
	}
	for _, s := range scenarios {
		if s.name == name {
			return []scenario{s}
		}
	}
	return nil
}
