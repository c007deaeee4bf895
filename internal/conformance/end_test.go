package conformance_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestEndProblemCatchesARetryAfterStop checks the check behind "terminal,
// not retried": a stop must end the Conn by itself with ErrTerminal and
// the same decision, after no connection but the case's; a retry must
// leave it running.
func TestEndProblemCatchesARetryAfterStop(t *testing.T) {
	t.Parallel()
	stop := policy.Decision{Outcome: policy.Stop, Label: "protocol_violation"}
	terminal := &reconnect.Error{Kind: reconnect.KindTerminal, Decision: stop, Err: errors.New("x")}
	other := &reconnect.Error{Kind: reconnect.KindTerminal, Decision: policy.Decision{Outcome: policy.Stop, Label: "close_1000"}}
	closed := &reconnect.Error{Kind: reconnect.KindClosed, Err: errors.New("closed")}
	tests := []struct {
		name     string
		decision string
		end      connEnd
		want     string // "" or a part of the problem
	}{
		{"stop, ended terminal, one connection", "stop protocol_violation", connEnd{true, terminal, 1, 1, false, false}, ""},
		{"stop, a rotation's two connections", "stop protocol_violation", connEnd{true, terminal, 2, 2, false, false}, ""},
		{"stop, still running", "stop protocol_violation", connEnd{false, nil, 1, 1, false, false}, "did not end"},
		{"stop, dialled again", "stop protocol_violation", connEnd{true, terminal, 2, 1, false, false}, "dialled 2"},
		{"stop, ended closed", "stop protocol_violation", connEnd{true, closed, 1, 1, false, false}, "not terminal"},
		{"stop, ended on another decision", "stop protocol_violation", connEnd{true, other, 1, 1, false, false}, "close_1000"},
		{"retry, still running", "retry close_1001", connEnd{false, nil, 2, 1, false, true}, ""},
		{"retry, ended", "retry close_1001", connEnd{true, terminal, 1, 1, false, false}, "ended on a retry"},
		{"failed rotation, old kept", "stop protocol_violation", connEnd{false, nil, 2, 2, true, true}, ""},
		{"failed rotation, ended", "stop protocol_violation", connEnd{true, terminal, 2, 2, true, false}, "ended the Conn"},
		{"failed rotation, not connected", "stop protocol_violation", connEnd{false, nil, 2, 2, true, false}, "without its old"},
		{"failed rotation, dialled again", "stop protocol_violation", connEnd{false, nil, 3, 2, true, true}, "dialled 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := endProblem(tt.decision, tt.end)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("endProblem(%q, %+v) = %q, want %s", tt.decision, tt.end, got, fmt.Sprintf("%q", tt.want))
			}
		})
	}
}
