package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
)

// TestAppCodeRules checks, for every application code, what each mode and
// flag combination decides.
func TestAppCodeRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string // after -url, except for the showcase
		rules string   // describeRules of the result: every code 3000-4999
	}{
		{name: "the showcase keeps the chat's codes", args: nil,
			rules: "retry 4000,4002-4499; stop 3000-3999,4001,4500-4999"},
		{name: "a -url client stops on every code by default", args: []string{},
			rules: "retry none; stop 3000-4999"},
		{name: "-preset none is the default", args: []string{"-preset", "none"},
			rules: "retry none; stop 3000-4999"},
		{name: "-preset centrifugo", args: []string{"-preset", "centrifugo"},
			rules: "retry 3000-3499,4000-4499; stop 3500-3999,4500-4999"},
		{name: "-preset graphql-ws", args: []string{"-preset", "graphql-ws"},
			rules: "retry 3000-4003,4006-4399,4402-4405,4407-4408,4410-4428,4430-4499,4501-4999; stop 4004-4005,4400-4401,4406,4409,4429,4500"},
		{name: "-retry-codes takes ranges and single codes", args: []string{"-retry-codes", "4000-4499, 3001"},
			rules: "retry 3001,4000-4499; stop 3000,3002-3999,4500-4999"},
		{name: "repeated -retry-codes add up", args: []string{"-retry-codes", "3001", "-retry-codes", "3002-3003"},
			rules: "retry 3001-3003; stop 3000,3004-4999"},
		{name: "-stop-codes wins over a -retry-codes range", args: []string{"-retry-codes", "4000-4499", "-stop-codes", "4001"},
			rules: "retry 4000,4002-4499; stop 3000-3999,4001,4500-4999"},
		{name: "-stop-codes wins whatever the order", args: []string{"-stop-codes", "4001", "-retry-codes", "4000-4499"},
			rules: "retry 4000,4002-4499; stop 3000-3999,4001,4500-4999"},
		{name: "-stop-codes wins for the same code", args: []string{"-retry-codes", "3100", "-stop-codes", "3100"},
			rules: "retry none; stop 3000-4999"},
		{name: "the flags override a preset's ranges", args: []string{"-preset", "centrifugo", "-stop-codes", "3001", "-retry-codes", "3500-3501"},
			rules: "retry 3000,3002-3501,4000-4499; stop 3001,3502-3999,4500-4999"},
		{name: "the flags override a preset's single codes", args: []string{"-preset", "graphql-ws", "-retry-codes", "4400", "-stop-codes", "4403"},
			rules: "retry 3000-4003,4006-4400,4402,4404-4405,4407-4408,4410-4428,4430-4499,4501-4999; stop 4004-4005,4401,4403,4406,4409,4429,4500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := tt.args
			if args != nil {
				args = append([]string{"-url", "ws://localhost/chat"}, args...)
			}
			cfg, err := parseFlags(args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if err := cfg.policy.Validate(); err != nil {
				t.Errorf("policy: %v", err)
			}
			if got := describeRules(cfg.policy.App); got != tt.rules {
				t.Errorf("rules:\n got %s\nwant %s", got, tt.rules)
			}
		})
	}
}

// TestPresetKeepsSpreadAndAuth checks that codes added on top of a preset
// leave its spread and credential codes alone.
func TestPresetKeepsSpreadAndAuth(t *testing.T) {
	t.Parallel()
	cfg, err := parseFlags([]string{"-url", "ws://localhost/chat", "-preset", "centrifugo", "-stop-codes", "4001"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got, want := cfg.policy.App, policy.Centrifugo()
	if !slices.Equal(got.SpreadCodes, want.SpreadCodes) || !slices.Equal(got.AuthCodes, want.AuthCodes) {
		t.Errorf("spread %v, auth %v; want %v, %v", got.SpreadCodes, got.AuthCodes, want.SpreadCodes, want.AuthCodes)
	}
	if d := cfg.policy.Classify(websocket.CloseError{Code: 3001}, nil); d.Outcome != policy.Retry || d.Spread <= 0 {
		t.Errorf("3001: %v with spread %v, want a retry with a spread", d.Outcome, d.Spread)
	}
}

// TestAppCodeFlagErrors checks that bad codes and presets exit 2 and say why.
func TestAppCodeFlagErrors(t *testing.T) {
	t.Parallel()
	const url = "ws://localhost/chat"
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"2999 is not an application code", []string{"-url", url, "-stop-codes", "2999"}, "close code 2999 is outside 3000-4999"},
		{"5000 is not an application code", []string{"-url", url, "-retry-codes", "5000"}, "close code 5000 is outside 3000-4999"},
		{"a range must end by 4999", []string{"-url", url, "-retry-codes", "4000-5000"}, "close code 5000 is outside 3000-4999"},
		{"a range must ascend", []string{"-url", url, "-retry-codes", "4499-4000"}, "4499-4000 is not an ascending range"},
		{"a code is a number", []string{"-url", url, "-stop-codes", "kick"}, `"kick" is not a close code`},
		{"no empty items", []string{"-url", url, "-stop-codes", "4001,"}, "want close codes and ranges"},
		{"unknown preset", []string{"-url", url, "-preset", "socketio"}, `-preset must be none, centrifugo or graphql-ws, not "socketio"`},
		{"not for the showcase", []string{"-preset", "centrifugo"}, "are for a -url client"},
		{"not for the showcase, even -preset none", []string{"-preset", "none"}, "are for a -url client"},
		{"not for -serve", []string{"-serve", ":0", "-stop-codes", "4001"}, "are for a -url client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			if got := run(tt.args, strings.NewReader(""), io.Discard, &stderr); got != 2 {
				t.Errorf("exit status %d, want 2", got)
			}
			if !strings.Contains(stderr.String(), tt.want) || !strings.Contains(stderr.String(), "-stop-codes CODES") {
				t.Errorf("stderr lacks %q or the usage:\n%s", tt.want, stderr.String())
			}
		})
	}
}

// TestAppCodesFromServer runs -url clients against a server that closes
// its n-th connection with the n-th code, and checks what the client
// decided each time. The client must stop exactly at the last code.
func TestAppCodesFromServer(t *testing.T) {
	t.Parallel()
	retry := func(code int) map[string]any {
		return map[string]any{"event": "disconnected", "code": float64(code), "category": "application-defined",
			"decision": "retry", "label": "close_app"}
	}
	stop := func(code int) map[string]any {
		return map[string]any{"event": "disconnected", "code": float64(code), "category": "application-defined",
			"decision": "stop", "label": "close_app"}
	}
	tests := []struct {
		name   string
		args   []string
		closes []websocket.StatusCode
		events []map[string]any
	}{
		{name: "a default client stops on 4000", closes: []websocket.StatusCode{4000},
			events: []map[string]any{stop(4000), {"event": "closed", "code": 4000.0, "decision": "stop"}}},
		{name: "-preset centrifugo retries 3001 and stops on 3500", args: []string{"-preset", "centrifugo"},
			closes: []websocket.StatusCode{3001, 3500}, events: []map[string]any{retry(3001), stop(3500)}},
		{name: "-preset graphql-ws retries 4499 and stops on 4400", args: []string{"-preset", "graphql-ws"},
			closes: []websocket.StatusCode{4499, 4400}, events: []map[string]any{retry(4499), stop(4400)}},
		{name: "-retry-codes and -stop-codes apply", args: []string{"-retry-codes", "4000-4499,3001", "-stop-codes", "4001"},
			closes: []websocket.StatusCode{3001, 4000, 4001}, events: []map[string]any{retry(3001), retry(4000), stop(4001)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var conns atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(conns.Add(1))
				ws, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				if n > len(tt.closes) {
					ws.Close(websocket.StatusNormalClosure, "one connection too many")
					return
				}
				ws.Close(tt.closes[n-1], "closed by the test")
			}))
			defer srv.Close()
			pr, pw := io.Pipe()
			defer pw.Close() // ends the stdin reader once run has returned
			var stdout, stderr lockedBuffer
			args := append([]string{"-url", srv.URL, "-log", "json", "-initial-backoff", "10ms", "-max-backoff", "20ms"}, tt.args...)
			if got := runWithin(t, args, pr, &stdout, &stderr); got != 1 {
				t.Errorf("exit status %d, want 1 (terminal); stderr:\n%s", got, stderr.String())
			}
			if got := int(conns.Load()); got != len(tt.closes) {
				t.Errorf("%d connections, want %d", got, len(tt.closes))
			}
			var got []map[string]any
			for _, l := range checkJSONLines(t, stderr.String()) {
				if l["event"] == "disconnected" || l["event"] == "closed" {
					got = append(got, l)
				}
			}
			for i, want := range tt.events {
				if i >= len(got) || !matches(got[i], want) {
					t.Errorf("event %d: want %v in:\n%s", i, want, stderr.String())
				}
			}
		})
	}
}
