package reconnect_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

func TestInvalidOptionsAreRefused(t *testing.T) {
	tests := []struct {
		name  string
		opts  reconnect.Options
		field string
	}{
		{"unknown send mode", reconnect.Options{SendMode: 7}, "SendMode"},
		{"jitter above 1", reconnect.Options{MaxAgeJitter: 1.5}, "MaxAgeJitter"},
		{"invalid policy", reconnect.Options{Policy: policy.Policy{Backoff: policy.Backoff{Multiplier: 0.5}}}, "Multiplier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := reconnect.Dial(context.Background(), "ws://127.0.0.1:1/", &tt.opts)
			var re *reconnect.Error
			if c != nil || !errors.As(err, &re) || re.Kind != reconnect.KindInvalid || !errors.Is(err, reconnect.ErrInvalid) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("Dial = %v, %v; want an invalid *Error naming %s", c, err, tt.field)
			}
		})
	}
}

func TestBadURLIsInvalid(t *testing.T) {
	for _, url := range []string{"ftp://example.com/", "://nope", "http://[::1"} {
		c, err := reconnect.Dial(context.Background(), url, nil)
		if c != nil || !errors.Is(err, reconnect.ErrInvalid) {
			t.Fatalf("Dial(%q) = %v, %v; want invalid", url, c, err)
		}
	}
	_, err := reconnect.Dial(context.Background(), "ws://example.com/", &reconnect.Options{Endpoints: []string{"ftp://backup/"}})
	if !errors.Is(err, reconnect.ErrInvalid) {
		t.Fatalf("Dial with a bad endpoint = %v; want invalid", err)
	}
}

// TestNegativeMeansNone: one rule for every number: zero is the default,
// negative is none.
func TestNegativeMeansNone(t *testing.T) {
	url, served := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		if n < 8 {
			ws.Close(websocket.StatusGoingAway, "")
			return
		}
		ws.Close(websocket.StatusPolicyViolation, "enough")
	})
	o := &reconnect.Options{DialTimeout: -1, MinUptime: -1, PingTimeout: -1, PingInterval: -1,
		ReceiveMessages: -1, ReceiveBytes: -1, BufferMessages: -1, BufferBytes: -1, MaxAge: -1, StaleAfter: -1,
		Policy: policy.Policy{MaxAttempts: 6, MaxRetryAfter: -1, MaxOutage: -1, Backoff: policy.Backoff{Initial: -1, Max: -1, Multiplier: -1}}}
	c, rec, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	wstest.Wait(t, c.Done(), "the Conn to end")
	// MinUptime none: every connection is healthy, so the attempt count
	// starts over and MaxAttempts is never reached; Initial none: no
	// first wait.
	for _, e := range rec.Events() {
		if e.Kind == reconnect.EventWaiting && (e.Attempt != 1 || e.Delay != 0) {
			t.Fatalf("wait %v before attempt %d", e.Delay, e.Attempt)
		}
	}
	if websocket.CloseStatus(c.Err()) != websocket.StatusPolicyViolation || served.Load() != 8 {
		t.Fatalf("ended after %d connections with %v; want the 8th's 1008, past MaxAttempts 6", served.Load(), c.Err())
	}
}

func TestEachAttemptGetsFreshDialOptions(t *testing.T) {
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.Write(r.Context(), websocket.MessageText, []byte(r.Header.Get("X-Token")))
		wstest.Echo(r.Context(), ws)
	})
	tokens := 0
	o := &reconnect.Options{
		DialOptions: &websocket.DialOptions{HTTPHeader: http.Header{"X-Token": {"base"}}},
		Dialer: func(ctx context.Context, url string, d *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
			tokens++
			if got := d.HTTPHeader.Get("X-Token"); got != "base" {
				return nil, nil, backoff.Permanent(errors.New("header leaked between attempts: " + got))
			}
			d.HTTPHeader.Set("X-Token", strings.Repeat("t", tokens)) // fresh credentials
			return websocket.Dial(ctx, url, d)
		},
	}
	c, _, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := wstest.Read(t, c); got != "tt" {
		t.Fatalf("token on the second attempt = %q, %v; want tt", got, err)
	}
	o.DialOptions.HTTPHeader.Set("X-Token", "changed after Dial")
	c.Reconnect()
	if got, err := wstest.Read(t, c); got != "ttt" {
		t.Fatalf("token after Reconnect = %q, %v; Options must be copied", got, err)
	}
}

func TestDialerReturningNothingIsAFailedAttempt(t *testing.T) {
	o := &reconnect.Options{
		Policy: policy.Policy{MaxAttempts: 2},
		Dialer: func(context.Context, string, *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
			return nil, nil, nil
		},
	}
	_, _, err := wstest.Dial(t, "ws://127.0.0.1:1/", o, true)
	var re *reconnect.Error
	if !errors.As(err, &re) || re.Kind != reconnect.KindGaveUp || re.Attempts != 2 {
		t.Fatalf("Dial = %v, want gave up after 2 attempts", err)
	}
}

func TestDialTimeoutBoundsAnAttempt(t *testing.T) {
	clock := fakeclock.New(wstest.Epoch)
	o := &reconnect.Options{
		Clock:       clock,
		Policy:      policy.Policy{MaxAttempts: 1},
		DialTimeout: 4 * time.Second,
		Dialer: func(ctx context.Context, _ string, _ *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
			<-ctx.Done() // a server that never answers
			return nil, nil, ctx.Err()
		},
	}
	result := make(chan error, 1)
	go func() {
		_, err := reconnect.Dial(context.Background(), "ws://127.0.0.1:1/", o)
		result <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if !clock.WaitTimer(ctx, 4*time.Second) {
		t.Fatal("no attempt timer")
	}
	clock.Advance(4 * time.Second)
	err := wstest.Wait(t, result, "Dial to give up")
	var ne interface{ Timeout() bool }
	if !errors.Is(err, reconnect.ErrGaveUp) || !errors.As(err, &ne) || !ne.Timeout() || !strings.Contains(err.Error(), "within 4s") {
		t.Fatalf("Dial = %v, want gave up on an attempt timeout", err)
	}
}
