package policy_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wsproto"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
)

// TestClassifyRealServers builds every input the way coder/websocket really
// produces it: a real server, a real Dial, a real Read.
func TestClassifyRealServers(t *testing.T) {
	t.Parallel()
	closeWith := func(code websocket.StatusCode) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			c.Close(code, "closing")
		}
	}
	status := func(code int, header ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			w.WriteHeader(code)
		}
	}
	raw := func(frame []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := wstest.Accept(w, r)
			if err != nil {
				return
			}
			defer conn.Close()
			conn.Write(frame)
			// Wait for the client's reply or its close, then go.
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			conn.Read(make([]byte, 512))
		}
	}
	spread := func(d policy.Decision, s time.Duration) policy.Decision { d.Spread = s; return d }
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    policy.Decision
	}{
		{"close 1001", closeWith(websocket.StatusGoingAway), retry(1001)},
		{"close 1008", closeWith(websocket.StatusPolicyViolation), stop(1008)},
		{"close 1012", closeWith(websocket.StatusServiceRestart), spread(retry(1012), 5*time.Second)},
		{"close 4000", closeWith(4000), app(4000, policy.Stop)},
		{"empty close frame", closeWith(websocket.StatusNoStatusRcvd), retry(1005)},
		{"TCP drop without close frame", func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err == nil {
				c.CloseNow()
			}
		}, retry(1006)},
		{"invalid code 5000 on the wire", raw(wstest.Frame(wstest.OpClose, wstest.ClosePayload(5000, "x"))), notDropped(retry(1006))},
		{"1-byte close payload", raw(wstest.Frame(wstest.OpClose, []byte{3})), notDropped(retry(1006))},
		{"non-UTF-8 reason", raw(wstest.Frame(wstest.OpClose, wstest.ClosePayload(1008, "\xff\xfe"))), stop(1008)},
		{"handshake 401", status(401, "WWW-Authenticate", `Bearer realm="x"`), policy.Decision{Category: policy.Terminal, Outcome: policy.Stop, Status: 401, Label: "handshake_401", Auth: true}},
		{"handshake 429 Retry-After 3", status(429, "Retry-After", "3"), policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Status: 429, MinDelay: 3 * time.Second, Spread: 600 * time.Millisecond, Label: "handshake_429"}},
		{"handshake 503 garbage Retry-After", status(503, "Retry-After", "tomorrow"), policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Status: 503, Label: "handshake_503"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tt.handler)
			t.Cleanup(srv.Close)
			if got := classifyDialAndRead(t, srv.URL); got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// classifyDialAndRead dials u, reads until an error, and classifies it.
func classifyDialAndRead(t *testing.T, u string) policy.Decision {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		return policy.Policy{}.Classify(err, resp)
	}
	defer c.CloseNow()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return policy.Policy{}.Classify(err, nil)
		}
	}
}

func TestClassifyRealDialFailures(t *testing.T) {
	t.Parallel()
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		got := classifyDialAndRead(t, "ws://"+addr)
		if got.Label != "dial_refused" || !got.Retry() {
			t.Fatalf("got %+v, want retry dial_refused", got)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewTLSServer(http.NotFoundHandler())
		t.Cleanup(srv.Close)
		got := classifyDialAndRead(t, "wss"+strings.TrimPrefix(srv.URL, "https"))
		if got.Label != "tls" || got.Retry() || got.Code != websocket.StatusTLSHandshake {
			t.Fatalf("got %+v, want stop tls 1015", got)
		}
	})
	t.Run("unsupported scheme", func(t *testing.T) {
		t.Parallel()
		err := wsproto.CheckURL("ftp://example.com/ws")
		if got := (policy.Policy{}).Classify(err, nil); got.Label != "dial_scheme" || got.Retry() {
			t.Fatalf("got %+v, want stop dial_scheme", got)
		}
		if err := wsproto.CheckURL("wss://example.com/ws"); err != nil {
			t.Fatalf("CheckURL(wss) = %v, want nil", err)
		}
	})
}
