// Command feed is a market-data client that keeps every symbol's sequence
// in order while the exchange expires its token, warns it of a shutdown and
// lets its data go stale, in about 6 seconds.
//
//	go run ./examples/feed
//	go run ./examples/feed -h
//
// One process runs a small exchange on loopback (exchange.go, faults.go)
// and the client (client.go, the part to copy). The exchange streams BTC,
// ETH and SOL updates, each with its own sequence number, and plays a
// script: a serverShutdown warning, one symbol that stops while the others
// flow, a token that expires (close 4401), a connection whose data stops
// while it still answers pings, another warning, another expiry. The client
// prints what it sees and ends with a table. Every reconnect resumes from
// the Conn's stream positions, the last seq per symbol (resume.go): the
// exchange replays what was missed, so no reconnect needs a resync.
//
// Exit status: 0 when every update followed the one before it on its
// connection and across every rotation; 1 on a gap, or when the client
// ended before the script did; 2 on a bad command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// options are the run's timings; the test shortens them.
type options struct {
	symbols    []string
	tick       time.Duration // the exchange sends each symbol once per tick
	tokenTTL   time.Duration // how long a token is valid
	warnLead   time.Duration // from serverShutdown to the close
	settle     time.Duration // streaming before each fault
	staleAfter time.Duration // Options.StaleAfter: no data at all this long
	quietAfter time.Duration // one symbol silent this long: MarkStale
	minUptime  time.Duration // Options.MinUptime, less than tokenTTL
	limit      time.Duration // the whole run
	script     []step
}

func defaultOptions() options {
	return options{
		symbols:    []string{"BTC", "ETH", "SOL"},
		tick:       20 * time.Millisecond,
		tokenTTL:   3 * time.Second,
		warnLead:   time.Second,
		settle:     400 * time.Millisecond,
		staleAfter: time.Second,
		quietAfter: 400 * time.Millisecond,
		minUptime:  250 * time.Millisecond,
		limit:      18 * time.Second,
		script:     script,
	}
}

func main() {
	if err := parseArgs(os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Stdout, defaultOptions())
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "feed:", err)
		os.Exit(1)
	}
}

// parseArgs reads the command line: there are no flags but -h, which
// prints what the command does (flag.ErrHelp).
func parseArgs(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("feed", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, `Usage: feed

A market-data client that keeps every symbol's sequence in order while a
scripted exchange on loopback expires its token, warns it of shutdowns and
lets its data go stale; about 6 seconds. It prints what it sees, then a
table. Exit status 0 when no update was missed, 1 on a gap.
`)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return nil
}

// header says what the run is about to show.
func header(w io.Writer) {
	fmt.Fprint(w, `feed: a market-data client (client) against a scripted exchange on loopback
(exchange). Each line: seconds since the start, who, what. "gen N" is the
client's N-th connection; a "baseline" is the first sequence number of each
symbol on a connection.

`)
}

// errGaps is run's error when an update did not follow the one before.
var errGaps = errors.New("sequence gaps")

// run is main without the process: the exchange, the client, the script,
// then the table.
func run(ctx context.Context, out io.Writer, o options) error {
	ctx, cancel := context.WithTimeout(ctx, o.limit)
	defer cancel()
	header(out)
	p := &printer{w: out, start: time.Now()}
	ex, err := startExchange(exchangeConfig{symbols: o.symbols, tick: o.tick, tokenTTL: o.tokenTTL,
		warnLead: o.warnLead}, p.logger("exchange"))
	if err != nil {
		return err
	}
	defer ex.close()
	f := newClient(o.symbols, ex.tokenURL(), o.quietAfter, p.logger("client"))
	defer f.close()
	c, err := f.dial(ctx, ex.url(), o)
	if err != nil {
		return fmt.Errorf("failed to connect: %w", err)
	}

	playing, stopPlaying := context.WithCancel(ctx)
	defer stopPlaying()
	followed := make(chan error, 1)
	go func() {
		followed <- f.follow(c)
		stopPlaying() // the client ended: the script has no one to play to
	}()
	playErr := ex.play(playing, o.script, o.settle)
	c.Close(websocket.StatusNormalClosure, "done") //nolint:errcheck // it may have ended already
	followErr := <-followed
	<-c.Done()
	f.close()
	ex.close()

	st := f.stats()
	st.print(out)
	switch {
	case followErr != nil:
		return fmt.Errorf("the feed ended: %w", followErr)
	case playErr != nil:
		return fmt.Errorf("the script did not finish: %w", playErr)
	case st.gaps > 0:
		return fmt.Errorf("%w: %d", errGaps, st.gaps)
	}
	return nil
}

// stats are the counts the table shows.
type stats struct {
	updates, gaps, resyncs, dropped, rotations, refreshes, stale, plain int
}

func (s stats) print(w io.Writer) {
	fmt.Fprintln(w)
	for _, row := range []struct {
		name string
		n    int
	}{
		{"updates received", s.updates},
		{"gaps", s.gaps},
		{"new baselines", s.resyncs},
		{"duplicates dropped", s.dropped},
		{"rotations", s.rotations},
		{"token refreshes", s.refreshes},
		{"stale reconnects", s.stale},
		{"plain reconnects", s.plain},
	} {
		fmt.Fprintf(w, "%-20s %6d\n", row.name, row.n)
	}
	fmt.Fprint(w, `
gaps: an update that did not follow the one before on a connection or
across a rotation. new baselines: a symbol's stream restarted after a
reconnect, where a real client would fetch a snapshot. duplicates dropped:
updates both connections of a rotation delivered, given once.
`)
}

// printer writes one short line per event, from any goroutine, with the
// time since the start.
type printer struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func (p *printer) logger(who string) func(format string, a ...any) {
	return func(format string, a ...any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		fmt.Fprintf(p.w, "%5.2fs %-8s %s\n", time.Since(p.start).Seconds(), who, fmt.Sprintf(format, a...))
	}
}
