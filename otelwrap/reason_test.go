package otelwrap_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"go.opentelemetry.io/otel/attribute"

	"github.com/wsreconnect/wsreconnect/otelwrap"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestCloseReason checks how a close reason reaches the session span: not
// at all by default, else sanitised and cut on a rune boundary.
func TestCloseReason(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 200)
	tests := []struct {
		name       string
		opts       []otelwrap.Option
		reason     string
		wantAttr   string // "" means no attribute
		wantInDesc string
	}{
		{name: "off by default", reason: "héllo", wantInDesc: `reason = [redacted]`},
		{name: "zero is off", opts: []otelwrap.Option{otelwrap.WithCloseReason(0)}, reason: "héllo", wantInDesc: `reason = [redacted]`},
		{name: "kept whole", opts: []otelwrap.Option{otelwrap.WithCloseReason(64)}, reason: "héllo", wantAttr: "héllo", wantInDesc: `reason = "héllo"`},
		{name: "cut on a rune boundary", opts: []otelwrap.Option{otelwrap.WithCloseReason(2)}, reason: "héllo", wantAttr: "h", wantInDesc: `reason = "h"`},
		{name: "control characters and invalid UTF-8 replaced", opts: []otelwrap.Option{otelwrap.WithCloseReason(64)}, reason: "a\nb\xffc", wantAttr: "a\uFFFDb\uFFFDc", wantInDesc: "reason = \"a\uFFFDb\uFFFDc\""},
		{name: "capped at 123 bytes", opts: []otelwrap.Option{otelwrap.WithCloseReason(1000)}, reason: long, wantAttr: long[:123], wantInDesc: fmt.Sprintf("reason = %q", long[:123])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, append(tt.opts, otelwrap.WithSessionSpans())...)
			d := policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Code: 1011, Label: "close_1011"}
			err := fmt.Errorf("failed to get reader: %w", websocket.CloseError{Code: 1011, Reason: tt.reason})
			for _, e := range (script{}).
				at(0, reconnect.Event{Kind: reconnect.EventConnected, Generation: 1}).
				at(0, reconnect.Event{Kind: reconnect.EventDisconnected, Generation: 1, Decision: d, Err: err}) {
				h.obs.OnEvent(e)
			}
			var session []attribute.KeyValue
			var desc string
			for _, s := range h.spans.Ended() {
				if s.Name() == "websocket.session" {
					session, desc = s.Attributes(), s.Status().Description
				}
			}
			var got string
			for _, kv := range session {
				if kv.Key == otelwrap.CloseReasonKey {
					got = kv.Value.AsString()
				}
			}
			if got != tt.wantAttr {
				t.Errorf("websocket.close.reason = %q, want %q", got, tt.wantAttr)
			}
			if !strings.Contains(desc, tt.wantInDesc) {
				t.Errorf("status description %q does not hold %q", desc, tt.wantInDesc)
			}
		})
	}
}
