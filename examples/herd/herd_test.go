package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun runs every strategy and scenario with a few clients over
// loopback and checks that all of them came back.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	err := run(wstest.Context(t), &out, config{
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
	err := run(wstest.Context(t), &out, config{
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

// TestSimulateDropHerd checks that after a TCP drop, with the server down
// for the first 200 ms, our policy brings the fleet back no later than
// backoff/v4 and with peak/mean <= 2: the refused clients are spread.
func TestSimulateDropHerd(t *testing.T) {
	t.Parallel()
	const n = 100000
	sc := findScenarios("drop")[0]
	ours := simulate(n, findStrategies("ours")[0], sc, n/8, 200*time.Millisecond, time.Minute).stats()
	v4 := simulate(n, findStrategies("backoff-v4")[0], sc, n/8, 200*time.Millisecond, time.Minute).stats()
	if ours.back != n || ours.all > v4.all || ours.peak2mean > 2 {
		t.Errorf("ours, drop: %d back after %v, peak/mean %.2f; backoff-v4 after %v: want all back no later, peak/mean <= 2",
			ours.back, ours.all, ours.peak2mean, v4.all)
	}
}

// TestSimulateDropAtEqualLoneWait checks the reason the default keeps
// Backoff.Initial 500 ms: against backoff/v4 started at 250 ms, whose lone
// client waits as long (250 ms on average), ours is back sooner, flatter
// and with fewer wasted attempts after a drop.
func TestSimulateDropAtEqualLoneWait(t *testing.T) {
	t.Parallel()
	const n = 100000
	sc := findScenarios("drop")[0]
	ours := simulate(n, findStrategies("ours")[0], sc, n/8, 200*time.Millisecond, time.Minute)
	v4 := simulate(n, tune(findStrategies("backoff-v4"), 250*time.Millisecond, 0)[0], sc, n/8, 200*time.Millisecond, time.Minute)
	so, sv := ours.stats(), v4.stats()
	wo, wv := ours.rejected+ours.refused, v4.rejected+v4.refused
	if so.back != n || so.all >= sv.all || so.peak2mean >= sv.peak2mean || wo >= wv {
		t.Errorf("drop: ours %d back after %v, peak/mean %.2f, %d wasted; backoff-v4 from 250 ms after %v, %.2f, %d wasted: want ours better on all three",
			so.back, so.all, so.peak2mean, wo, sv.all, sv.peak2mean, wv)
	}
}

// TestLoneBlip checks that a client whose connection dropped alone still
// tries again after [0, 500 ms): spreading the fleet costs it nothing.
func TestLoneBlip(t *testing.T) {
	t.Parallel()
	p := findStrategies("ours")[0].policy
	p.Rand = rand.New(rand.NewPCG(1, 2)).Float64
	mean, median := loneBlip(p, 10000)
	if mean < 240*time.Millisecond || mean > 260*time.Millisecond || median > 260*time.Millisecond {
		t.Errorf("lone drop: first attempt after %v mean, %v median; want about 250 ms", mean, median)
	}
}

// TestSimErrorsMatchReal checks that the errors the simulation feeds the
// policy are classified like the ones a real dial and read return, so
// that the simulation and the real run take the same policy decisions.
func TestSimErrorsMatchReal(t *testing.T) {
	t.Parallel()
	p := findStrategies("ours")[0].policy
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	defer busy.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "ws://" + ln.Addr().String()
	ln.Close()
	tests := []struct {
		name string
		url  string
		sim  policy.Decision
	}{
		{"refused", closed, p.Classify(errRefused, nil)},
		{"503", "ws" + strings.TrimPrefix(busy.URL, "http"), p.Classify(err503, resp503)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, resp, err := websocket.Dial(ctx, tt.url, nil)
			if err == nil {
				c.CloseNow()
				t.Fatal("dial succeeded")
			}
			if got := p.Classify(err, resp); got != tt.sim {
				t.Errorf("real %v: %+v; the simulation decides %+v", err, got, tt.sim)
			}
		})
	}
}

func TestTune(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                    string
		initial, refused        time.Duration
		wantInitial, wantSpread time.Duration
	}{
		{"defaults", 0, 0, 500 * time.Millisecond, 500 * time.Millisecond},
		{"spread off", 0, -1, 500 * time.Millisecond, -1},
		{"both", time.Second, 2 * time.Second, time.Second, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sts := tune(findStrategies("all"), tt.initial, tt.refused)
			p := sts[2].policy
			if sts[2].name != "ours" || p.Backoff.Initial != tt.wantInitial || p.RefusedSpread != tt.wantSpread {
				t.Errorf("%s: Initial %v, RefusedSpread %v; want %v, %v", sts[2].name, p.Backoff.Initial, p.RefusedSpread, tt.wantInitial, tt.wantSpread)
			}
			wantV4 := tt.initial
			if wantV4 == 0 {
				wantV4 = backoff.DefaultInitialInterval
			}
			if got := sts[1].policy.NewBackoff().(*backoff.ExponentialBackOff).InitialInterval; sts[1].name != "backoff-v4" || got != wantV4 {
				t.Errorf("%s: InitialInterval %v, want %v", sts[1].name, got, wantV4)
			}
			if sts[1].policy.RefusedSpread != -1 || strategies[2].policy.RefusedSpread != policy.DefaultRefusedSpread ||
				strategies[1].policy.NewBackoff().(*backoff.ExponentialBackOff).InitialInterval != backoff.DefaultInitialInterval {
				t.Error("tune changed another strategy or the shared list")
			}
		})
	}
}

// TestWriteCSV checks the rows herdplot reads: one per 50 ms from 0 to
// the last accept, empty bins included.
func TestWriteCSV(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	rs := []result{
		{scenario: "drop", strategy: "ours", what: "policy, with a comma", n: 3, downtime: 200 * ms,
			accepts: []time.Duration{210 * ms, 140 * ms, 20 * ms}},
		{scenario: "1012", strategy: "fixed", what: "no jitter", n: 1, downtime: 200 * ms,
			accepts: []time.Duration{49 * ms}},
	}
	var out bytes.Buffer
	if err := writeCSV(&out, rs, true, 7); err != nil {
		t.Fatal(err)
	}
	want := `scenario,strategy,what,mode,clients,downtime_ms,capacity_per_100ms,t_ms,accepts
drop,ours,"policy, with a comma",simulated,3,200,7,0,1
drop,ours,"policy, with a comma",simulated,3,200,7,50,0
drop,ours,"policy, with a comma",simulated,3,200,7,100,1
drop,ours,"policy, with a comma",simulated,3,200,7,150,0
drop,ours,"policy, with a comma",simulated,3,200,7,200,1
1012,fixed,no jitter,simulated,1,200,7,0,1
`
	if out.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestRunWritesCSV checks that -csv writes the simulated runs, and that a
// path that cannot be created fails before any run.
func TestRunWritesCSV(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "herd.csv")
	c := config{n: 1, simulate: 100, scenario: "drop", strategy: "ours", downtime: 200 * time.Millisecond,
		duration: time.Minute, csv: path}
	if err := run(context.Background(), io.Discard, c); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if rows := strings.Count(string(b), "\ndrop,ours,"); rows < 5 {
		t.Errorf("%d drop/ours rows, want one per 50 ms until the last accept:\n%s", rows, b)
	}
	c.csv = filepath.Join(t.TempDir(), "missing", "herd.csv")
	var out bytes.Buffer
	if err := run(context.Background(), &out, c); err == nil || out.Len() != 0 {
		t.Errorf("run with -csv %s: error %v after %d bytes of output; want an error and no run", c.csv, err, out.Len())
	}
}

func TestRejectsUnknownNames(t *testing.T) {
	t.Parallel()
	for _, c := range []config{
		{n: 1, scenario: "nope", strategy: "all"},
		{n: 1, scenario: "both", strategy: "nope"},
		{n: 0, scenario: "both", strategy: "all"},
	} {
		if err := run(wstest.Context(t), &bytes.Buffer{}, c); err == nil {
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

// TestHelp: -h says what herd does and lists its flags, and runs nothing.
func TestHelp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if _, err := parseArgs([]string{"-h"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("parseArgs(-h) = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"usage: go run ./examples/herd", "restarts a local WebSocket server", "-simulate"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-h does not say %q:\n%s", want, out.String())
		}
	}
}

// TestParseArgs: the flags reach the config, and a stray argument is an
// error rather than a run that ignores it.
func TestParseArgs(t *testing.T) {
	t.Parallel()
	c, err := parseArgs([]string{"-n", "7", "-scenario", "drop"}, io.Discard)
	if err != nil || c.n != 7 || c.scenario != "drop" || c.strategy != "all" {
		t.Fatalf("parseArgs = %+v, %v; want n 7, scenario drop, strategy all", c, err)
	}
	if _, err := parseArgs([]string{"extra"}, io.Discard); err == nil {
		t.Fatal("parseArgs(extra) = nil, want an error")
	}
}
