package wsreconnect_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// closeThenEcho closes the first connection with code after one message,
// and echoes on every later one.
func closeThenEcho(code websocket.StatusCode) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		if n == 1 {
			ws.Write(r.Context(), websocket.MessageText, []byte("first"))
			ws.Close(code, "scripted")
			return
		}
		ws.Write(r.Context(), websocket.MessageText, []byte("again"))
		wstest.Echo(r.Context(), ws)
	}
}

func TestCloseCodes(t *testing.T) {
	tests := []struct {
		name     string
		code     websocket.StatusCode
		retry    bool
		minDelay time.Duration
	}{
		{"1001 going away reconnects", 1001, true, 0},
		{"1011 internal error reconnects", 1011, true, 0},
		{"1012 service restart reconnects", 1012, true, 0},
		{"1013 try again later waits its floor", 1013, true, policy.DefaultTryAgainLaterDelay},
		{"1014 bad gateway reconnects", 1014, true, 0},
		{"1002 protocol error stops", 1002, false, 0},
		{"1003 unsupported data stops", 1003, false, 0},
		{"1008 policy violation stops", 1008, false, 0},
		{"1010 mandatory extension stops", 1010, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, served := wstest.Serve(t, closeThenEcho(tt.code))
			c, rec, err := wstest.Dial(t, url, nil, true)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := wstest.Read(t, c); got != "first" {
				t.Fatalf("first read = %q, %v", got, err)
			}
			end := rec.Next(t, reconnect.EventDisconnected)
			if end.Decision.Code != tt.code || end.Decision.Retry() != tt.retry {
				t.Fatalf("decision = %v, want code %d retry %v", end.Decision, tt.code, tt.retry)
			}
			got, err := wstest.Read(t, c)
			if !tt.retry {
				var re *reconnect.Error
				if !errors.As(err, &re) || re.Kind != reconnect.KindTerminal || !errors.Is(err, reconnect.ErrTerminal) {
					t.Fatalf("read after %d = %v, want a terminal *reconnect.Error", tt.code, err)
				}
				if websocket.CloseStatus(err) != tt.code {
					t.Fatalf("CloseStatus(%v) = %d, want %d", err, websocket.CloseStatus(err), tt.code)
				}
				if n := served.Load(); n != 1 {
					t.Fatalf("server saw %d connections, want 1", n)
				}
				return
			}
			if got != "again" {
				t.Fatalf("read after reconnect = %q, %v", got, err)
			}
			wait := rec.Next(t, reconnect.EventWaiting)
			if wait.Delay < tt.minDelay {
				t.Fatalf("waited %v after %d, want at least %v", wait.Delay, tt.code, tt.minDelay)
			}
			if rec.Count(reconnect.EventConnected) != 2 {
				t.Fatalf("events %v, want 2 connections", wstest.Kinds(rec.Events()))
			}
		})
	}
}

func TestHandshake401StopsAfterOneAttempt(t *testing.T) {
	url, served := wstest.Serve(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusUnauthorized)
	})
	c, rec, err := wstest.Dial(t, url, nil, true)
	var re *reconnect.Error
	if c != nil || !errors.As(err, &re) {
		t.Fatalf("Dial = %v, %v; want an *Error", c, err)
	}
	if re.Kind != reconnect.KindTerminal || re.Decision.Status != 401 || re.Attempts != 1 {
		t.Fatalf("error = %+v, want terminal 401 after 1 attempt", re)
	}
	if n := served.Load(); n != 1 || rec.Count(reconnect.EventAttempt) != 1 {
		t.Fatalf("server saw %d requests, %d attempt events; want 1", n, rec.Count(reconnect.EventAttempt))
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		wstest.Echo(r.Context(), ws)
	})
	c, rec, err := wstest.Dial(t, url, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	failed := rec.Next(t, reconnect.EventAttemptDone)
	if failed.Status != 503 || failed.Decision.MinDelay != 2*time.Second || !failed.Decision.Retry() {
		t.Fatalf("first attempt = status %d decision %v", failed.Status, failed.Decision)
	}
	second := rec.Next(t, reconnect.EventAttempt)
	if gap := second.Time.Sub(failed.Time); gap < 2*time.Second {
		t.Fatalf("second attempt %v after the 503, want at least 2s", gap)
	}
	if c.State() != reconnect.Connected {
		t.Fatalf("state = %v", c.State())
	}
}

func TestTCPDropIsAbnormalClosureAndReconnects(t *testing.T) {
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			conn, _, err := wstest.Accept(w, r)
			if err == nil {
				conn.Close() // no close frame
			}
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.Write(r.Context(), websocket.MessageText, []byte("back"))
		wstest.Echo(r.Context(), ws)
	})
	c, rec, err := wstest.Dial(t, url, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	end := rec.Next(t, reconnect.EventDisconnected)
	if end.Decision.Code != 1006 || !end.Decision.Retry() {
		t.Fatalf("decision = %v, want retry 1006", end.Decision)
	}
	if got, err := wstest.Read(t, c); got != "back" {
		t.Fatalf("read after drop = %q, %v", got, err)
	}
}
