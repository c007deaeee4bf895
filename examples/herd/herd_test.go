package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun runs every strategy and scenario with a few clients over
// loopback and checks that all of them came back.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), &out, config{
		n: 20, scenario: "both", strategy: "all", capacity: 20,
		downtime: 50 * time.Millisecond, duration: 20 * time.Second, minUptime: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkAllBack(t, out.String(), 6, "20/20")
}

// TestSimulate runs the simulation with a small fleet.
func TestSimulate(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(context.Background(), &out, config{
		n: 1, simulate: 5000, scenario: "both", strategy: "all", downtime: 200 * time.Millisecond, duration: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkAllBack(t, out.String(), 6, "5000/5000")
}

// TestSimulateSpreadsRestart checks the property the experiment is about:
// with our policy, a 1012 restart does not produce a spike.
func TestSimulateSpreadsRestart(t *testing.T) {
	t.Parallel()
	st, sc := findStrategies("ours")[0], findScenarios("1012")[0]
	s := simulate(100000, st, sc, 100000/8, 200*time.Millisecond, time.Minute).stats()
	if s.back != 100000 || s.peak2mean > 2 {
		t.Errorf("ours, 1012: %d back, peak/mean %.2f; want all back and peak/mean <= 2", s.back, s.peak2mean)
	}
	fixed := simulate(100000, findStrategies("fixed")[0], sc, 100000/8, 200*time.Millisecond, time.Minute).stats()
	if fixed.peak2mean <= s.peak2mean {
		t.Errorf("fixed delay peak/mean %.2f, ours %.2f: want fixed worse", fixed.peak2mean, s.peak2mean)
	}
}

func TestRejectsUnknownNames(t *testing.T) {
	t.Parallel()
	for _, c := range []config{
		{n: 1, scenario: "nope", strategy: "all"},
		{n: 1, scenario: "both", strategy: "nope"},
		{n: 0, scenario: "both", strategy: "all"},
	} {
		if err := run(context.Background(), &bytes.Buffer{}, c); err == nil {
			t.Errorf("run(%+v) = nil, want an error", c)
		}
	}
}

func checkAllBack(t *testing.T, out string, runs int, back string) {
	t.Helper()
	if got := strings.Count(out, "| "+back+" |"); got != runs {
		t.Errorf("%d table rows with %s back, want %d:\n%s", got, back, runs, out)
	}
}
