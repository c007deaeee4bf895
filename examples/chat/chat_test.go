package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// runWithin is run for a client mode, failing the test if it has not
// exited within wstest.Guard (a retried end that should be terminal).
func runWithin(t *testing.T, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	t.Helper()
	var code int
	wstest.ReturnsWithin(t, fmt.Sprintf("run(%q)", args), func() { code = run(args, stdin, stdout, stderr) })
	return code
}

// TestMain fails the package if any goroutine outlives the tests: the
// showcase's server, clients and exporter must all be joined.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// shortConfig is the showcase squeezed into a few seconds. The timeline
// waits for each fault to be over before the next, so nothing below is a
// timing assertion: shorter waits only make the run faster.
func shortConfig(t *testing.T) config {
	t.Helper()
	cfg, err := parseFlags([]string{
		"-duration", "3s", "-ping-interval", "200ms", "-ping-timeout", "200ms",
		"-min-uptime", "200ms", "-trace", filepath.Join(t.TempDir(), "spans.json"), "-log", "json",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.policy.RestartSpread = 300 * time.Millisecond
	cfg.restartDown = 300 * time.Millisecond
	cfg.overloadFor = 1500 * time.Millisecond // > erin's first wait (the 1 s 1013 floor)
	cfg.sendEvery = 100 * time.Millisecond
	return cfg
}

func TestShowcase(t *testing.T) {
	var stdout, stderr lockedBuffer
	rep, err := showcase(wstest.Context(t), shortConfig(t), &stdout, &stderr)
	if err != nil {
		t.Fatalf("showcase: %v\n%s", err, stdout.String())
	}
	defer func() {
		if t.Failed() {
			t.Logf("output:\n%s", stdout.String())
		}
	}()

	var names []string
	for _, f := range rep.Faults {
		names = append(names, f.Name)
		if !f.Recovered {
			t.Errorf("fault %s: %s", f.Name, f.Note)
		}
	}
	if want := []string{"restart", "overload", "tcp-drop", "silence", "kick"}; !slices.Equal(names, want) {
		t.Errorf("faults played = %v, want %v", names, want)
	}
	for _, c := range rep.Clients {
		s := c.Stats
		if c.Unreceived != 0 {
			t.Errorf("%s: %d acknowledged messages missing on the server", c.Name, c.Unreceived)
		}
		if s.Sent != s.Acked+s.Returned+s.Lost || s.Acked == 0 {
			t.Errorf("%s: sent %d, acked %d, returned %d, lost %d: does not add up", c.Name, s.Sent, s.Acked, s.Returned, s.Lost)
		}
		switch c.Name {
		case kicked:
			if got := websocket.CloseStatus(c.Err); got != kickCode || !errors.Is(c.Err, reconnect.ErrTerminal) {
				t.Errorf("%s: final error %v (code %d), want terminal %d", c.Name, c.Err, got, kickCode)
			}
		case impatient:
			if !errors.Is(c.Err, reconnect.ErrGaveUp) {
				t.Errorf("%s: final error %v, want gave up during the overload", c.Name, c.Err)
			}
		default:
			if s.Lost != 0 || s.Reconnects < 4 {
				t.Errorf("%s: lost %d, reconnects %d; want 0 lost and a reconnect per fault", c.Name, s.Lost, s.Reconnects)
			}
		}
	}
	if p := rep.problems(); len(p) > 0 {
		t.Errorf("problems: %q", p)
	}
	for _, want := range []string{"client  sent  acked", "close 1012", "HTTP 503", "1006, connection lost", "ping timeout", "close 4001", "websocket.reconnect x", "websocket.connect x"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	checkJSONLines(t, stderr.String())
}

// TestClientMode drives -url against httptest servers and checks the exit
// status and the JSON lines.
func TestClientMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		args    []string
		stdin   string
		want    int
		event   map[string]any // fields of one expected line
	}{
		{
			name: "1008 is terminal",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Chat-Name") != "tess" || r.Header.Get("X-Token") != "abc" {
					http.Error(w, "missing headers", http.StatusBadRequest)
					return
				}
				ws, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				ws.Close(websocket.StatusPolicyViolation, "no spam")
			},
			args: []string{"-name", "tess", "-header", "X-Token: abc"},
			want: 1,
			event: map[string]any{"event": "disconnected", "code": 1008.0, "category": "terminal",
				"decision": "stop", "label": "close_1008", "reason": "no spam"},
		},
		{
			name: "1000 from the server is a clean end",
			handler: func(w http.ResponseWriter, r *http.Request) {
				ws, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				ws.Close(websocket.StatusNormalClosure, "done")
			},
			want:  0,
			event: map[string]any{"event": "closed", "code": 1000.0, "category": "terminal", "decision": "stop"},
		},
		{
			name:    "503 until it gives up",
			handler: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", http.StatusServiceUnavailable) },
			args:    []string{"-max-attempts", "2", "-initial-backoff", "10ms", "-max-backoff", "20ms"},
			want:    1,
			event:   map[string]any{"event": "gave_up", "status": 503.0, "category": "retryable", "attempt": 2.0},
		},
		{
			name: "end of stdin closes cleanly",
			handler: func(w http.ResponseWriter, r *http.Request) {
				ws, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				defer ws.CloseNow()
				ctx := context.Background()
				for {
					_, p, err := ws.Read(ctx)
					if err != nil || ws.Write(ctx, websocket.MessageText, p) != nil {
						return
					}
				}
			},
			stdin: "hello\n",
			want:  0,
			event: map[string]any{"event": "closed", "label": "closed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			pr, pw := io.Pipe()
			defer pw.Close() // ends the stdin reader once run has returned
			if tt.stdin != "" {
				go func() {
					io.WriteString(pw, tt.stdin)
					pw.Close()
				}()
			}
			var stdout, stderr lockedBuffer
			args := append([]string{"-url", srv.URL, "-log", "json"}, tt.args...)
			if got := runWithin(t, args, pr, &stdout, &stderr); got != tt.want {
				t.Errorf("exit status %d, want %d; stderr:\n%s", got, tt.want, stderr.String())
			}
			lines := checkJSONLines(t, stderr.String())
			if !slices.ContainsFunc(lines, func(l map[string]any) bool { return matches(l, tt.event) }) {
				t.Errorf("no line with %v in:\n%s", tt.event, stderr.String())
			}
		})
	}
}

func TestBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-log", "xml"},
		{"-serve", ":0", "-url", "ws://localhost/chat"},
		{"stray"},
		{"-no-such-flag"},
		{"-header", "no colon"},
		{"-initial-backoff", "3s", "-max-backoff", "1s"},
		{"-duration", "10ms"},
	} {
		var stderr bytes.Buffer
		if got := run(args, strings.NewReader(""), io.Discard, &stderr); got != 2 {
			t.Errorf("run(%q) = %d, want 2", args, got)
		}
		if stderr.Len() == 0 {
			t.Errorf("run(%q) printed no usage", args)
		}
	}
}

var jsonKeys = []string{"time", "client", "event", "generation", "attempt", "code", "reason", "category",
	"decision", "label", "status", "delay_ms", "duration_ms", "error"}

// checkJSONLines checks that every line is one JSON object with the stable
// keys, and that the events end with "closed" for each client.
func checkJSONLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	last := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Errorf("not a JSON object: %q", sc.Text())
			continue
		}
		for _, k := range jsonKeys {
			if _, ok := l[k]; !ok {
				t.Errorf("line lacks %q: %s", k, sc.Text())
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, l["time"].(string)); err != nil {
			t.Errorf("time: %v", err)
		}
		last[l["client"].(string)] = l["event"].(string)
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		t.Error("no JSON lines")
	}
	for client, ev := range last {
		if ev != "closed" {
			t.Errorf("%s: last event %q, want closed", client, ev)
		}
	}
	return lines
}

func matches(line, want map[string]any) bool {
	for k, v := range want {
		if line[k] != v {
			return false
		}
	}
	return true
}

// TestGiveUpLineNamesTheLimit: the give-up line says which limit ended
// the outage and by what figure.
func TestGiveUpLineNamesTheLimit(t *testing.T) {
	tests := []struct {
		name string
		e    reconnect.Event
		want string
	}{
		{"MaxOutage", reconnect.Event{Kind: reconnect.EventGaveUp, Attempt: 4, Duration: 1190 * time.Millisecond, Delay: 800 * time.Millisecond, Limit: reconnect.LimitMaxOutage},
			"GAVE UP: 1.19s of outage and the next wait of 800ms would pass MaxOutage (4 failed attempts)"},
		{"MaxAttempts", reconnect.Event{Kind: reconnect.EventGaveUp, Attempt: 3, Duration: 2 * time.Second, Limit: reconnect.LimitMaxAttempts},
			"GAVE UP: 3 failed attempts reached MaxAttempts (2s of outage)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(tt.e); !strings.HasPrefix(got, tt.want) {
				t.Fatalf("describe = %q, want it to start %q", got, tt.want)
			}
		})
	}
}

// TestNoTraceFileByDefault: without -trace the spans stay in memory, for
// the tree printed at the end; nothing is left in the temp directory.
func TestNoTraceFileByDefault(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	s, err := newSpanSink("")
	if err != nil {
		t.Fatal(err)
	}
	_, span := s.tracer().Start(context.Background(), "chat.run")
	span.End()
	if err := s.shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	s.summary(&out)
	if !strings.Contains(out.String(), "chat.run x1") {
		t.Errorf("the span tree lost the span:\n%s", out.String())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Fatalf("files left behind: %v", left)
	}
}
