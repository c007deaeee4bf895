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
//	go run ./examples/herd -simulate 1000000 -scenario drop -initial 1s        # ours and backoff-v4 from 1 s
//	go run ./examples/herd -csv herd.csv      # also write accepts per 50 ms, for internal/herdplot
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
	// initial replaces ours' Backoff.Initial and backoff-v4's
	// InitialInterval, refusedSpread ours' RefusedSpread, when not zero.
	initial, refusedSpread time.Duration
	// csv names a file for the accepts per 50 ms of every run; "" for none.
	csv string
}

const usage = `usage: go run ./examples/herd [flags]

herd restarts a local WebSocket server under N reconnecting clients and
shows how each client strategy (no jitter, cenkalti/backoff/v4 defaults,
our policy.Default) comes back: accepts per 100 ms as a histogram, the
peak/mean ratio, the time until every client is back, and the handshakes
wasted on a closed port or a 503. The server restarts announcing 1012
Service Restart ("1012") or drops every TCP connection ("drop"), stays
down for -downtime, then admits -capacity handshakes per 100 ms.
-simulate runs the same model for many clients without sockets; -csv
writes the accepts per 50 ms for internal/herdplot to draw.

flags:
`

func main() {
	c, err := parseArgs(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		os.Exit(2)
	}
	if err := run(context.Background(), os.Stdout, c); err != nil {
		fmt.Fprintln(os.Stderr, "herd:", err)
		os.Exit(1)
	}
}

// parseArgs reads the command line; -h prints what herd does and its
// flags to out and returns flag.ErrHelp.
func parseArgs(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("herd", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.IntVar(&c.n, "n", 2000, "number of clients")
	fs.StringVar(&c.scenario, "scenario", "both", "1012, drop or both")
	fs.StringVar(&c.strategy, "strategy", "all", "fixed, backoff-v4, ours or all")
	fs.IntVar(&c.capacity, "capacity", 0, "handshakes the server admits per 100 ms after the restart (0: n/8)")
	fs.DurationVar(&c.downtime, "downtime", 200*time.Millisecond, "how long the server is down")
	fs.DurationVar(&c.duration, "duration", 15*time.Second, "how long to wait for the clients to come back, per run")
	fs.IntVar(&c.simulate, "simulate", 0, "simulate this many clients instead of connecting any")
	fs.DurationVar(&c.minUptime, "min-uptime", time.Second, "the clients' MinUptime; the server restarts after it")
	fs.DurationVar(&c.initial, "initial", 0, "ours' Backoff.Initial and backoff-v4's InitialInterval (0: their defaults, 500 ms)")
	fs.DurationVar(&c.refusedSpread, "refused-spread", 0, "ours: RefusedSpread (0: the default, negative: none)")
	fs.StringVar(&c.csv, "csv", "", "also write the accepts per 50 ms of every run to this CSV file")
	fs.Usage = func() {
		fmt.Fprint(out, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return config{}, fmt.Errorf("failed to parse the command line: unexpected %q", fs.Arg(0))
	}
	return c, nil
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
	// Created before the runs, so that a bad path fails at once.
	var csvFile *os.File
	if c.csv != "" {
		f, err := os.Create(c.csv)
		if err != nil {
			return fmt.Errorf("failed to create the CSV file: %w", err)
		}
		defer f.Close()
		csvFile = f
	}
	fmt.Fprintf(w, "herd: %d clients, %s; server down %v, then admits %d handshakes per %v (503 beyond)\n",
		n, mode, c.downtime, c.capacity, window)
	printStrategies(w, sts)
	start := time.Now()
	rs, err := runAll(ctx, w, c, sts, scs)
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	table(w, rs)
	fmt.Fprintf(w, "\ntotal %v\n", time.Since(start).Round(100*time.Millisecond))
	if csvFile != nil {
		err := writeCSV(csvFile, rs, c.simulate > 0, c.capacity)
		return errors.Join(err, csvFile.Close())
	}
	return nil
}

// printStrategies says what each strategy does and how long its lone
// client waits.
func printStrategies(w io.Writer, sts []strategy) {
	for _, st := range sts {
		mean, median := loneBlip(st.policy, 100000)
		fmt.Fprintf(w, "  %-10s %s\n  %-10s lone drop (server fine): first attempt after %v mean, %v median\n",
			st.name, st.what, "", mean.Round(time.Millisecond), median.Round(time.Millisecond))
	}
}

// runAll runs every scenario for every strategy, simulated or real.
func runAll(ctx context.Context, w io.Writer, c config, sts []strategy, scs []scenario) ([]result, error) {
	var rs []result
	for _, st := range sts {
		if c.simulate > 0 {
			for _, sc := range scs {
				r := simulate(c.simulate, st, sc, c.capacity, c.downtime, c.duration)
				printRun(w, r)
				rs = append(rs, r)
			}
			continue
		}
		got, err := runReal(ctx, w, c, st, scs)
		rs = append(rs, got...)
		if err != nil {
			return rs, err
		}
	}
	return rs, nil
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
		r := result{scenario: sc.name, strategy: st.name, what: st.what, n: c.n, accepts: accepts, rejected: rejected,
			refused: f.refused.Load(), attempts: f.attempts.Load(), downtime: c.downtime}
		printRun(w, r)
		rs = append(rs, r)
	}
	return rs, nil
}
