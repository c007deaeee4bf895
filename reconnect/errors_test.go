package reconnect_test

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

func TestErrorText(t *testing.T) {
	closed := websocket.CloseError{Code: 1008, Reason: "banned"}
	tests := []struct {
		name string
		err  *reconnect.Error
		want string
		is   error
	}{
		{
			"terminal close",
			&reconnect.Error{Kind: reconnect.KindTerminal, Decision: policy.Decision{Code: 1008, Label: "close_1008"}, Attempts: 1, Err: closed},
			`reconnect: terminal (close_1008) after 1 attempt: status = StatusPolicyViolation and reason = "banned"`,
			reconnect.ErrTerminal,
		},
		{
			"gave up",
			&reconnect.Error{Kind: reconnect.KindGaveUp, Decision: policy.Decision{Label: "dial_refused"}, Attempts: 3, Err: errors.New("refused")},
			"reconnect: gave up (dial_refused) after 3 attempts: refused",
			reconnect.ErrGaveUp,
		},
		{
			"closed by the application",
			&reconnect.Error{Kind: reconnect.KindClosed, Decision: policy.Decision{Label: "closed"}, Attempts: 2, Err: net.ErrClosed},
			"reconnect: closed: use of closed network connection",
			net.ErrClosed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Fatalf("Error() = %q, want %q", got, tt.want)
			}
			if !errors.Is(tt.err, tt.is) {
				t.Fatalf("errors.Is(%v, %v) = false", tt.err, tt.is)
			}
			for _, other := range []error{reconnect.ErrTerminal, reconnect.ErrGaveUp} {
				if other != tt.is && errors.Is(tt.err, other) {
					t.Fatalf("errors.Is(%v, %v) = true", tt.err, other)
				}
			}
		})
	}
	if got := websocket.CloseStatus(tests[0].err); got != 1008 {
		t.Fatalf("CloseStatus = %d, want 1008", got)
	}
}

func TestSecretsStayOutOfErrorsAndEvents(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // refused from now on
	url := "ws://alice:hunter2pass@" + addr + "/feed?token=tok3n-abc&x=1"
	_, rec, err := wstest.Dial(t, url, &reconnect.Options{Policy: policy.Policy{MaxAttempts: 2}}, true)
	if !errors.Is(err, reconnect.ErrGaveUp) {
		t.Fatalf("Dial = %v, want gave up", err)
	}
	texts := []string{err.Error()}
	for _, e := range rec.Events() {
		texts = append(texts, e.Target, e.Decision.String())
		if e.Err != nil {
			texts = append(texts, e.Err.Error())
		}
	}
	for _, s := range texts {
		for _, secret := range []string{"alice", "hunter2pass", "tok3n-abc"} {
			if strings.Contains(s, secret) {
				t.Fatalf("%q leaks %q", s, secret)
			}
		}
	}
	if got := rec.Events()[0].Target; got != "ws://"+addr+"/feed" {
		t.Fatalf("Target = %q", got)
	}
}

func TestCloseReasonQuotingTheURLIsScrubbed(t *testing.T) {
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		ws.Close(websocket.StatusPolicyViolation, "bad token "+r.URL.Query().Get("token"))
	})
	c, rec, err := wstest.Dial(t, url+"?token=tok3n-abc", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	wstest.Wait(t, c.Done(), "the Conn to end after the 1008")
	end := rec.Next(t, reconnect.EventDisconnected)
	for _, s := range []string{c.Err().Error(), end.Err.Error()} {
		if strings.Contains(s, "tok3n-abc") {
			t.Fatalf("%q leaks the token", s)
		}
	}
	if websocket.CloseStatus(c.Err()) != websocket.StatusPolicyViolation {
		t.Fatalf("CloseStatus(%v) = %d, want 1008", c.Err(), websocket.CloseStatus(c.Err()))
	}
}

// TestGiveUpNamesItsLimit: EventGaveUp and the final *Error say which
// limit ended the outage and the figure it reached.
func TestGiveUpNamesItsLimit(t *testing.T) {
	tests := []struct {
		name   string
		policy policy.Policy
		limit  string
		text   string
	}{
		{"MaxAttempts", policy.Policy{MaxAttempts: 3, MaxOutage: -1}, reconnect.LimitMaxAttempts, "after 3 attempts (MaxAttempts)"},
		{"MaxOutage", policy.Policy{MaxOutage: 2 * time.Second}, reconnect.LimitMaxOutage, "of outage (MaxOutage)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rec, err := wstest.Dial(t, refusedURL(t), &reconnect.Options{Policy: tt.policy}, true)
			var re *reconnect.Error
			if !errors.As(err, &re) || re.Kind != reconnect.KindGaveUp {
				t.Fatalf("Dial = %v, want a give-up", err)
			}
			e := rec.Next(t, reconnect.EventGaveUp)
			if e.Limit != tt.limit || re.Limit != tt.limit {
				t.Fatalf("EventGaveUp.Limit %q, Error.Limit %q; want %q", e.Limit, re.Limit, tt.limit)
			}
			if re.Outage != e.Duration {
				t.Fatalf("Error.Outage %v, EventGaveUp.Duration %v", re.Outage, e.Duration)
			}
			if tt.limit == reconnect.LimitMaxOutage && (e.Duration >= tt.policy.MaxOutage || e.Duration+e.Delay <= tt.policy.MaxOutage) {
				t.Fatalf("outage %v and next wait %v: the wait should be what passes %v", e.Duration, e.Delay, tt.policy.MaxOutage)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("Error() = %q, want it to say %q", err.Error(), tt.text)
			}
		})
	}
}
