package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
)

// TestMain fails the package if a goroutine outlives the tests: the
// exchange, the client and the token fetcher must all be joined.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// shortOptions is the demo at twice the speed. The script waits for each
// connection before its fault, so shorter timings only make it faster;
// the token still outlives each fault with room to spare.
func shortOptions() options {
	o := defaultOptions()
	o.tick = 10 * time.Millisecond
	o.tokenTTL = 1500 * time.Millisecond
	o.settle = 200 * time.Millisecond
	o.staleAfter = 400 * time.Millisecond
	o.quietAfter = 200 * time.Millisecond
	o.minUptime = 100 * time.Millisecond
	return o
}

func TestRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(wstest.Context(t), &out, shortOptions())
	defer logOnFailure(t, &out)
	if err != nil {
		t.Fatal(err)
	}
	got := table(t, out.String())
	for _, c := range []struct {
		row  string
		want func(int) bool
		says string
	}{
		{"gaps", func(n int) bool { return n == 0 }, "0"},
		{"resyncs", func(n int) bool { return n == 0 }, "0 (every reconnect resumes from the positions)"},
		{"updates received", func(n int) bool { return n > 0 }, "> 0"},
		{"rotations", func(n int) bool { return n >= 1 }, ">= 1"},
		{"token refreshes", func(n int) bool { return n >= 1 }, ">= 1"},
		{"stale reconnects", func(n int) bool { return n >= 1 }, ">= 1"},
		{"plain reconnects", func(n int) bool { return n >= 1 }, ">= 1"},
	} {
		if n := got[c.row]; !c.want(n) {
			t.Errorf("%s = %d, want %s", c.row, n, c.says)
		}
	}
	// Both detectors fired: the application's per-symbol check and
	// Options.StaleAfter for the whole stream.
	for _, want := range []string{"stale: marked by the application", "stale: no data message for"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no line says %q", want)
		}
	}
}

// TestGap plants a gap in the exchange's stream: run must report it, or
// the check above could not fail.
func TestGap(t *testing.T) {
	t.Parallel()
	o := shortOptions()
	o.script = []step{{fault: (*exchange).skipSeq}, {newToken: true}}
	var out bytes.Buffer
	err := run(wstest.Context(t), &out, o)
	defer logOnFailure(t, &out)
	if !errors.Is(err, errGaps) {
		t.Fatalf("run = %v, want %v", err, errGaps)
	}
	if n := table(t, out.String())["gaps"]; n != 1 {
		t.Errorf("gaps = %d, want 1", n)
	}
}

var row = regexp.MustCompile(`^([a-z][a-z ]*[a-z])\s+(\d+)$`)

// table reads the rows of the table at the end of the output.
func table(t *testing.T, out string) map[string]int {
	t.Helper()
	rows := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if m := row.FindStringSubmatch(sc.Text()); m != nil {
			rows[m[1]], _ = strconv.Atoi(m[2])
		}
	}
	if len(rows) != 8 {
		t.Fatalf("table has %d rows, want 8", len(rows))
	}
	return rows
}

func logOnFailure(t *testing.T, out *bytes.Buffer) {
	if t.Failed() {
		t.Logf("output:\n%s", out.String())
	}
}

// TestHelp: -h prints what the command does and its flags, and runs
// nothing.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	if err := parseArgs([]string{"-h"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("parseArgs(-h) = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"Usage: feed", "market-data client"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage does not say %q:\n%s", want, out.String())
		}
	}
}

// TestOutputExplainsItself: a header says what runs, and the table's
// words are explained under it.
func TestOutputExplainsItself(t *testing.T) {
	var out bytes.Buffer
	st := stats{updates: 10, resyncs: 2}
	header(&out)
	st.print(&out)
	s := out.String()
	for _, want := range []string{"exchange on loopback", "new baselines", "a symbol's stream restarted"} {
		if !strings.Contains(s, want) {
			t.Errorf("output does not say %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "resyncs") {
		t.Errorf("the table still says resyncs:\n%s", s)
	}
}

// TestBaselineSaysWhatWasMissed: after a plain reconnect that did not
// resume, the baseline line says in words how many updates the outage
// cost, not as a bare "(+21)".
func TestBaselineSaysWhatWasMissed(t *testing.T) {
	t.Parallel()
	var lines []string
	f := newClient([]string{"AAA"}, "", time.Second, func(format string, a ...any) {
		lines = append(lines, fmt.Sprintf(format, a...))
	})
	defer f.close()
	f.check(1, update{S: "AAA", Seq: 5})
	f.check(2, update{S: "AAA", Seq: 27})
	want := []string{"gen 1: baseline AAA 5", "gen 2: baseline AAA 27 (21 missed while down)"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("lines %q, want %q", lines, want)
	}
	if f.st.resyncs != 1 {
		t.Fatalf("%d new baselines counted, want 1", f.st.resyncs)
	}
}
