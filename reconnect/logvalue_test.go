package reconnect_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// jsonLogger logs JSON without the time into buf.
func jsonLogger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

func TestEventLogValue(t *testing.T) {
	t.Parallel()
	stop := policy.Decision{Category: policy.Terminal, Outcome: policy.Stop, Code: 1008, Label: "close_1008"}
	retry := policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Status: 503, Label: "handshake_503", MinDelay: 7 * time.Second}
	tests := []struct {
		name string
		ev   any
		want string
	}{
		{"attempt", reconnect.Event{Kind: reconnect.EventAttempt, Generation: 2, Attempt: 3, Target: "wss://h/ws", Time: wstest.Epoch},
			`{"kind":"attempt","gen":2,"attempt":3,"target":"wss://h/ws","endpoint":0}`},
		{"waiting", reconnect.Event{Kind: reconnect.EventWaiting, Generation: 1, Attempt: 2, Delay: 1500 * time.Millisecond, Decision: retry},
			`{"kind":"waiting","gen":1,"attempt":2,"delay":1500000000,"decision":{"outcome":"retry","label":"handshake_503","category":"retryable","status":503,"min_delay":7000000000}}`},
		{"disconnected", reconnect.Event{Kind: reconnect.EventDisconnected, Generation: 4, Duration: time.Minute, Decision: stop, Err: errors.New("kicked")},
			`{"kind":"disconnected","gen":4,"duration":60000000000,"decision":{"outcome":"stop","label":"close_1008","category":"terminal","code":1008},"err":"kicked"}`},
		{"refresh", reconnect.Event{Kind: reconnect.EventDisconnected, Generation: 2, Decision: policy.Decision{Category: policy.AppDefined, Outcome: policy.Stop, Code: 4401, Label: "close_app", Auth: true}, Refresh: true},
			`{"kind":"disconnected","gen":2,"decision":{"outcome":"stop","label":"close_app","category":"application-defined","code":4401,"auth":true},"refresh":true}`},
		{"rotated", reconnect.Event{Kind: reconnect.EventRotated, Generation: 5, Rotation: true, Dropped: 3},
			`{"kind":"rotated","gen":5,"rotation":true,"dropped":3}`},
		{"error", &reconnect.Error{Kind: reconnect.KindTerminal, Decision: stop, Attempts: 1, Err: errors.New("kicked")},
			`{"kind":"terminal","decision":{"outcome":"stop","label":"close_1008","category":"terminal","code":1008},"attempts":1,"msg":"reconnect: terminal (close_1008) after 1 attempt: kicked"}`},
		{"nil error", (*reconnect.Error)(nil), `"<nil>"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			jsonLogger(&buf).Info("ws", "v", tt.ev)
			want := `{"level":"INFO","msg":"ws","v":` + tt.want + "}\n"
			if got := buf.String(); got != want {
				t.Errorf("logged\n%s want\n%s", got, want)
			}
		})
	}
}

// Every event and the final error of a Conn whose URL and header carry
// credentials log without them, and still say what happened.
func TestLogValueKeepsSecretsOut(t *testing.T) {
	t.Parallel()
	url, _ := wstest.Serve(t, wstest.Refuse(http.StatusUnauthorized, ""))
	url = strings.Replace(url, "ws://", "ws://alice:pa55word@", 1) + "/feed?token=t0ken-value&x=1"
	var buf bytes.Buffer // written by the Observer until EventClosed
	log := jsonLogger(&buf)
	closed := make(chan struct{})
	obs := func(e reconnect.Event) {
		log.Info("ws", "event", e)
		if e.Kind == reconnect.EventClosed {
			close(closed)
		}
	}
	o := &reconnect.Options{
		DialOptions: &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer h3ader-secret"}}},
		Observer:    reconnect.ObserverFunc(obs),
	}
	ctx, cancel := context.WithTimeout(context.Background(), wstest.Guard)
	defer cancel()
	_, err := reconnect.Dial(ctx, url, o)
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("no EventClosed after a terminal Dial")
	}
	log.Info("ws", "err", err)
	out := buf.String()
	for _, secret := range []string{"alice", "pa55word", "t0ken-value", "h3ader-secret", "token="} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{`"kind":"attempt_done"`, `"status":401`, `"label":"handshake_401"`, `"kind":"terminal"`, "/feed"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}
