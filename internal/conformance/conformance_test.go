package conformance_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/wsreconnect/wsreconnect/internal/conformance"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestClientConformance plays every case through every path. A path
// passes a case when the server saw what Want says, the policy decided
// Decision, and (for the reconnect.Conn paths) the application received
// exactly what raw coder/websocket received. go test -v prints the report.
func TestClientConformance(t *testing.T) {
	srv := conformance.NewServer()
	defer srv.Close()
	cases := conformance.Cases()
	results := make([][]outcome, len(cases))
	t.Run("case", func(t *testing.T) {
		for i, c := range cases {
			t.Run(c.ID, func(t *testing.T) {
				if raceEnabled && c.Big && c.Group == "1 framing" && strings.HasPrefix(c.Desc, "text") {
					t.Skip("16 MiB of text under -race: 1.2.8 covers 16 MiB, and coder/websocket reads text and binary alike")
				}
				t.Parallel()
				res := make([]outcome, len(paths))
				var wg sync.WaitGroup
				for j, p := range paths { // at once: a 16 MiB echo is slow under -race
					wg.Go(func() { res[j] = p.run(t, srv, c) })
				}
				wg.Wait()
				results[i] = res
				for j, p := range paths {
					for _, f := range failures(c, res[0], res[j], j > 0) {
						t.Errorf("%s %s (%s) via %s: %s", c.ID, c.Desc, c.Group, p.name, f)
					}
				}
			})
		}
	})
	t.Log("\n" + report(cases, results))
}

// failures lists how o falls short of c; wrapped paths must also match raw.
func failures(c conformance.Case, raw, o outcome, wrapped bool) []string {
	var f []string
	if o.problem != "" {
		f = append(f, o.problem)
	}
	if o.trace != c.Want && (c.NonStrict == "" || o.trace != c.NonStrict) {
		f = append(f, fmt.Sprintf("server saw %q, want %q", o.trace, c.Want))
	}
	want := c.Decision
	if !wrapped && c.RawDecision != "" {
		want = c.RawDecision
	}
	if o.decision != want {
		f = append(f, fmt.Sprintf("decision %q, want %q", o.decision, want))
	}
	if wrapped && !slices.Equal(o.got, raw.got) {
		f = append(f, fmt.Sprintf("application got %v, raw got %v", o.got, raw.got))
	}
	return f
}

// report renders the results like the Autobahn report: one row per case,
// a verdict per path, what the client did and what the policy decided.
func report(cases []conformance.Case, results [][]outcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-7s %-52s", "case", "description")
	for _, p := range paths {
		fmt.Fprintf(&b, " %-10s", p.name)
	}
	fmt.Fprintf(&b, " %-26s %s\n", "client did", "decision")
	count := map[string]int{}
	var notes []string
	pongs := 0
	for i, c := range cases {
		for _, o := range results[i] {
			pongs += o.heartbeats
		}
		fmt.Fprintf(&b, "%-7s %-52s", c.ID, c.Desc)
		for j := range paths {
			v := verdict(c, results[i], j)
			count[v]++
			fmt.Fprintf(&b, " %-10s", v)
		}
		fmt.Fprintf(&b, " %-26s %s\n", c.Want, c.Decision)
		if c.RFC != "" {
			notes = append(notes, fmt.Sprintf("%s: RFC 6455 wants %q; %s", c.ID, c.RFC, c.Why))
		}
	}
	fmt.Fprintf(&b, "\n%d cases x %d paths: %d OK, %d NON-STRICT, %d INFORMATIONAL, %d FAILED, %d not run\n",
		len(cases), len(paths), count["OK"], count["NON-STRICT"], count["INFO"], count["FAILED"], count["-"])
	b.WriteString("NON-STRICT: " + conformance.NonStrictWhy + "\n")
	b.WriteString("decision: the Conn's; raw coder/websocket's error on a violation the client found has no type " +
		"to tell it from a drop, so it is held to " + rawDecisions(cases) + "\n")
	fmt.Fprintf(&b, "heartbeat: every case started after a ping's pong; %d EventHeartbeat in all\n", pongs)
	if count["-"] > 0 {
		b.WriteString("not run: 16 MiB of text under -race (1.2.8 has the 16 MiB binary message)\n")
	}
	for _, n := range notes {
		b.WriteString("INFORMATIONAL " + n + "\n")
	}
	return b.String()
}

// rawDecisions lists the decisions the raw path is held to instead.
func rawDecisions(cases []conformance.Case) string {
	var ds []string
	for _, c := range cases {
		if c.RawDecision != "" && !slices.Contains(ds, c.RawDecision) {
			ds = append(ds, c.RawDecision)
		}
	}
	return strings.Join(ds, ", ")
}

func verdict(c conformance.Case, res []outcome, j int) string {
	switch {
	case res == nil:
		return "-"
	case len(failures(c, res[0], res[j], j > 0)) > 0:
		return "FAILED"
	case res[j].trace != c.Want:
		return "NON-STRICT"
	case c.RFC != "":
		return "INFO"
	}
	return "OK"
}
