package conformance_test

import (
	"testing"

	"github.com/wsreconnect/wsreconnect/internal/conformance"
)

// TestFailuresCatchEachDifference checks that the suite's verdicts can
// fail: each way a path can fall short is reported.
func TestFailuresCatchEachDifference(t *testing.T) {
	t.Parallel()
	c := conformance.Case{ID: "x", Want: "echo, close 1002", NonStrict: "close 1002", Decision: "retry close_1006",
		RawDecision: "retry raw"}
	raw := outcome{trace: "echo, close 1002", got: []string{"a"}, decision: "retry raw"}
	tests := []struct {
		name    string
		o       outcome
		verdict string
	}{
		{"as raw, the Conn's decision", outcome{trace: "echo, close 1002", got: []string{"a"}, decision: "retry close_1006"}, "OK"},
		{"non-strict trace", outcome{trace: "close 1002", got: []string{"a"}, decision: "retry close_1006"}, "NON-STRICT"},
		{"wrong trace", outcome{trace: "echo, close 1000", got: []string{"a"}, decision: "retry close_1006"}, "FAILED"},
		{"wrong decision", outcome{trace: "echo, close 1002", got: []string{"a"}, decision: "stop close_1002"}, "FAILED"},
		{"other messages", outcome{trace: "echo, close 1002", got: []string{"b"}, decision: "retry close_1006"}, "FAILED"},
		{"the raw path's decision", outcome{trace: "echo, close 1002", got: []string{"a"}, decision: "retry raw"}, "FAILED"},
		{"harness problem", outcome{trace: "echo, close 1002", got: []string{"a"}, decision: "retry close_1006", problem: "hung"}, "FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := verdict(c, []outcome{raw, tt.o}, 1); got != tt.verdict {
				t.Errorf("verdict = %s, want %s (failures %v)", got, tt.verdict, failures(c, raw, tt.o, true))
			}
		})
	}
	t.Run("raw path held to RawDecision", func(t *testing.T) {
		t.Parallel()
		if got := verdict(c, []outcome{raw}, 0); got != "OK" {
			t.Errorf("raw verdict = %s, want OK (failures %v)", got, failures(c, raw, raw, false))
		}
		wrong := raw
		wrong.decision = c.Decision
		if got := verdict(c, []outcome{wrong}, 0); got != "FAILED" {
			t.Errorf("raw verdict with the Conn's decision = %s, want FAILED", got)
		}
	})
}
