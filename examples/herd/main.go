// Command herd is an experiment for server owners: what happens to the
// accept rate when a server restarts under N connected clients.
//
// N reconnecting clients (default 2,000) connect over loopback to a local
// server. The server then restarts, announcing 1012 Service Restart to
// every client (scenario "1012"), or drops every TCP connection without a
// close frame (scenario "drop"). It is down for -downtime, then admits at
// most -capacity handshakes per 100 ms window and answers the rest 503.
// For each client strategy (no jitter, cenkalti/backoff/v4 defaults, and
// our default policy) herd reports accepts per 100 ms window as a terminal
// histogram, the peak/mean ratio, the time until 100% of the clients are
// back, and the handshakes rejected.
//
//	go run ./examples/herd                    # 2,000 clients, all strategies, both scenarios
//	go run ./examples/herd -n 500 -scenario 1012 -strategy ours
//	go run ./examples/herd -simulate 1000000  # the same schedule, policy only, no sockets
//	go run ./examples/herd -simulate 1000000 -scenario drop -refused-spread -1ns  # ours without RefusedSpread
//
// -simulate N computes the schedule for N clients with the policy alone
// (simulated time, no sockets), using the same server model; it takes
// seconds for a million clients.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

type config struct {
	n                  int
	scenario, strategy string
	capacity           int
	downtime, duration time.Duration
	simulate           int
	// minUptime is the clients' Options.MinUptime: short, so that the
	// backoffs have started over when the server restarts. Default 1 s.
	minUptime time.Duration
	// initial and refusedSpread replace ours' Backoff.Initial and
	// RefusedSpread when not zero, to try other defaults.
	initial, refusedSpread time.Duration
}

func main() {
	var c config
	flag.IntVar(&c.n, "n", 2000, "number of clients")
	flag.StringVar(&c.scenario, "scenario", "both", "1012, drop or both")
	flag.StringVar(&c.strategy, "strategy", "all", "fixed, backoff-v4, ours or all")
	flag.IntVar(&c.capacity, "capacity", 0, "handshakes the server admits per 100 ms after the restart (0: n/8)")
	flag.DurationVar(&c.downtime, "downtime", 200*time.Millisecond, "how long the server is down")
	flag.DurationVar(&c.duration, "duration", 15*time.Second, "how long to wait for the clients to come back, per run")
	flag.IntVar(&c.simulate, "simulate", 0, "simulate this many clients instead of connecting any")
	flag.DurationVar(&c.minUptime, "min-uptime", time.Second, "the clients' MinUptime; the server restarts after it")
	flag.DurationVar(&c.initial, "initial", 0, "ours: Backoff.Initial (0: the default)")
	flag.DurationVar(&c.refusedSpread, "refused-spread", 0, "ours: RefusedSpread (0: the default, negative: none)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, c); err != nil {
		fmt.Fprintln(os.Stderr, "herd:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, c config) error {
	sts, scs := tune(findStrategies(c.strategy), c.initial, c.refusedSpread), findScenarios(c.scenario)
	switch {
	case sts == nil:
		return fmt.Errorf("unknown strategy %q", c.strategy)
	case scs == nil:
		return fmt.Errorf("unknown scenario %q", c.scenario)
	case c.n < 1 || c.simulate < 0:
		return errors.New("-n and -simulate must be positive")
	}
	n, mode := c.n, "loopback sockets"
	if c.simulate > 0 {
		n, mode = c.simulate, "simulated (policy only, no sockets)"
	}
	if c.minUptime <= 0 {
		c.minUptime = time.Second
	}
	if c.capacity <= 0 {
		c.capacity = max(n/8, 1)
	}
	fmt.Fprintf(w, "herd: %d clients, %s; server down %v, then admits %d handshakes per %v (503 beyond)\n",
		n, mode, c.downtime, c.capacity, window)
	for _, st := range sts {
		mean, median := loneBlip(st.policy, 100000)
		fmt.Fprintf(w, "  %-10s %s\n  %-10s lone drop (server fine): first attempt after %v mean, %v median\n",
			st.name, st.what, "", mean.Round(time.Millisecond), median.Round(time.Millisecond))
	}
	start := time.Now()
	var rs []result
	for _, st := range sts {
		if c.simulate > 0 {
			for _, sc := range scs {
				r := simulate(n, st, sc, c.capacity, c.downtime, c.duration)
				printRun(w, r)
				rs = append(rs, r)
			}
			continue
		}
		got, err := runReal(ctx, w, c, st, scs)
		rs = append(rs, got...)
		if err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	table(w, rs)
	fmt.Fprintf(w, "\ntotal %v\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// runReal runs every scenario for one strategy: one server, n clients.
func runReal(ctx context.Context, w io.Writer, c config, st strategy, scs []scenario) ([]result, error) {
	srv, err := newServer(c.capacity)
	if err != nil {
		return nil, err
	}
	defer srv.close()
	dctx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	f, err := dialFleet(dctx, srv.url(), c.n, st.policy, c.minUptime)
	if err != nil {
		return nil, fmt.Errorf("failed to connect the fleet: %w", err)
	}
	defer f.close()
	var rs []result
	for _, sc := range scs {
		// Let every connection pass MinUptime, so backoffs start over.
		<-time.After(c.minUptime + 100*time.Millisecond)
		f.resetCounts()
		if err := srv.restart(sc.close1012, c.downtime); err != nil {
			return rs, err
		}
		deadline := time.Now().Add(c.duration)
		tick := time.NewTicker(20 * time.Millisecond)
		for time.Now().Before(deadline) {
			if a, _ := srv.stats(); len(a) >= c.n {
				break
			}
			<-tick.C
		}
		tick.Stop()
		accepts, rejected := srv.stats()
		r := result{scenario: sc.name, strategy: st.name, n: c.n, accepts: accepts, rejected: rejected,
			refused: f.refused.Load(), attempts: f.attempts.Load(), downtime: c.downtime}
		printRun(w, r)
		rs = append(rs, r)
	}
	return rs, nil
}
