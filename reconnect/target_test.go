package reconnect_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// tokens is a token service and the server that checks its tokens: the
// server accepts only the newest token issued, and expires it on demand.
type tokens struct {
	mu       sync.Mutex
	issued   int
	revoked  int // tokens up to this one have expired
	refreshs int
	calls    []reconnect.Attempt
	expire   chan struct{} // closes the current connection with 4401
	deadCred bool          // the service hands out the same token for ever
}

func (tk *tokens) target(_ context.Context, a reconnect.Attempt) (reconnect.Target, error) {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	tk.calls = append(tk.calls, a)
	if a.Refresh {
		tk.refreshs++
	}
	if tk.issued == 0 || a.Refresh && !tk.deadCred {
		tk.issued++
	}
	h := http.Header{"Authorization": {fmt.Sprintf("Bearer tok-%d-secret", tk.issued)}}
	return reconnect.Target{Header: h}, nil
}

func (tk *tokens) serve(t *testing.T, rejectWith int) string {
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		tk.mu.Lock()
		ok := r.Header.Get("Authorization") == fmt.Sprintf("Bearer tok-%d-secret", tk.issued) && tk.issued > tk.revoked && !tk.deadCred
		tk.mu.Unlock()
		if !ok {
			http.Error(w, "bad token", rejectWith)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.Write(r.Context(), websocket.MessageText, []byte("hello"))
		drained := make(chan struct{})
		go func() { drain(r.Context(), ws); close(drained) }()
		select {
		case <-tk.expire:
			tk.mu.Lock()
			tk.revoked = tk.issued
			tk.mu.Unlock()
			ws.Close(4401, "token expired")
		case <-drained:
		}
		<-drained
	})
	return url
}

func TestTargetRefreshesOncePerExpiry(t *testing.T) {
	tk := &tokens{expire: make(chan struct{})}
	url := tk.serve(t, http.StatusUnauthorized)
	o := &reconnect.Options{Target: tk.target, PingInterval: -1,
		Policy: policy.Policy{App: policy.AppRules{AuthCodes: []websocket.StatusCode{4401}}}}
	c, rec, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	rec.Next(t, reconnect.EventConnected)
	for gen := uint64(2); gen <= 3; gen++ {
		rec.Clock.Advance(reconnect.DefaultMinUptime) // healthy before it expires
		tk.expire <- struct{}{}
		// The 4401 is a credential failure: the next attempt refreshes at
		// once. One refresh per expiry, no loop.
		if up := rec.Next(t, reconnect.EventConnected); up.Generation != gen {
			t.Fatalf("connected as generation %d, want %d", up.Generation, gen)
		}
	}
	tk.mu.Lock()
	defer tk.mu.Unlock()
	if tk.refreshs != 2 {
		t.Fatalf("%d refreshes for 2 expiries; attempts %+v", tk.refreshs, tk.calls)
	}
	if c.State() != reconnect.Connected {
		t.Fatalf("state %v", c.State())
	}
}

func TestDeadCredentialStopsAfterOneRefresh(t *testing.T) {
	tests := []struct {
		name   string
		target bool
		want   int // attempts
	}{
		{"with Target: one refresh, then stop", true, 2},
		{"without Target: stop at once", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tk := &tokens{deadCred: true}
			url := tk.serve(t, http.StatusUnauthorized)
			// One attempt past the limit ends the Dial, so a missed stop
			// fails at once instead of when a ctx runs out.
			ctx, cancel := context.WithCancel(wstest.Context(t))
			defer cancel()
			var attempts atomic.Int32
			rec := wstest.NewRecorder(fakeclock.New(wstest.Epoch), true)
			o := &reconnect.Options{PingInterval: -1, Clock: rec.Clock, Observer: reconnect.ObserverFunc(func(e reconnect.Event) {
				if e.Kind == reconnect.EventAttempt && attempts.Add(1) > int32(tt.want) {
					cancel()
				}
				rec.OnEvent(e)
			})}
			if tt.target {
				o.Target = tk.target
			}
			c, err := reconnect.Dial(ctx, url, o)
			if c != nil {
				c.CloseNow()
			}
			if n := int(attempts.Load()); n > tt.want {
				t.Fatalf("%d attempts (Dial = %v), want a stop after %d", n, err, tt.want)
			}
			var re *reconnect.Error
			if !errors.As(err, &re) || re.Kind != reconnect.KindTerminal || re.Decision.Status != 401 || !re.Decision.Auth || re.Attempts != tt.want {
				t.Fatalf("Dial = %v (%+v); want terminal 401 after %d attempts", err, re, tt.want)
			}
			if tt.target != errors.Is(err, reconnect.ErrCredentialRejected) {
				t.Fatalf("Dial = %v; ErrCredentialRejected %v", err, tt.target)
			}
			if n := rec.Count(reconnect.EventAttempt); n != tt.want {
				t.Fatalf("%d attempts", n)
			}
		})
	}
}

func TestTargetErrorsAndURLs(t *testing.T) {
	url, served := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.Write(r.Context(), websocket.MessageText, []byte(r.URL.RawQuery))
		wstest.Echo(r.Context(), ws)
	})
	tests := []struct {
		name   string
		target func(n int) (reconnect.Target, error)
		label  string // of the first attempt
		stops  bool
	}{
		{"an error is a failed attempt", func(n int) (reconnect.Target, error) {
			if n == 1 {
				return reconnect.Target{}, errors.New("token service down")
			}
			return reconnect.Target{URL: url + "?attempt=2"}, nil
		}, reconnect.LabelTarget, false},
		{"backoff.Permanent stops", func(int) (reconnect.Target, error) {
			return reconnect.Target{}, backoff.Permanent(errors.New("signed out"))
		}, "permanent", true},
		{"a bad URL stops", func(int) (reconnect.Target, error) {
			return reconnect.Target{URL: "ftp://example.com/"}, nil
		}, "dial_scheme", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			o := &reconnect.Options{PingInterval: -1, Target: func(context.Context, reconnect.Attempt) (reconnect.Target, error) {
				n++
				return tt.target(n)
			}}
			before := served.Load()
			c, rec, err := wstest.Dial(t, url, o, true)
			first := rec.Events()[1]
			if first.Kind != reconnect.EventAttemptDone || first.Decision.Label != tt.label {
				t.Fatalf("first attempt %v %v (%v), want %s", first.Kind, first.Decision, first.Err, tt.label)
			}
			if tt.stops {
				if err == nil || served.Load() != before {
					t.Fatalf("Dial = %v after %d requests; want it to stop without dialling", err, served.Load()-before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := wstest.Read(t, c); got != "attempt=2" {
				t.Fatalf("the server saw query %q, want the Target's URL", got)
			}
		})
	}
}

func TestTargetSecretsStayOutOfErrors(t *testing.T) {
	const token = "s3cr3t-token-from-target"
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		// The server quotes the credential back in its close reason.
		ws.Close(websocket.StatusPolicyViolation, "bad "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	})
	o := &reconnect.Options{PingInterval: -1, Target: func(context.Context, reconnect.Attempt) (reconnect.Target, error) {
		return reconnect.Target{Header: http.Header{"Authorization": {"Bearer " + token}}}, nil
	}}
	c, rec, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	wstest.Wait(t, c.Done(), "the Conn to end")
	texts := []string{c.Err().Error()}
	for e := errors.Unwrap(c.Err()); e != nil; e = errors.Unwrap(e) {
		texts = append(texts, e.Error())
	}
	for _, e := range rec.Events() {
		if e.Err != nil {
			texts = append(texts, e.Err.Error())
		}
	}
	if !strings.Contains(strings.Join(texts, "\n"), "bad REDACTED") {
		t.Fatalf("control: the close reason is not in the errors: %q", texts)
	}
	for _, s := range texts {
		if strings.Contains(s, token) {
			t.Fatalf("the Target's token leaked: %q", s)
		}
	}
}

// TestTargetIgnoringItsCtxIsAbandoned: Target runs with the Dialer, on a
// goroutine of its own; when it ignores its ctx the attempt ends at
// DialTimeout without it, and the next attempt's Target runs while it is
// still blocked, as the docs say.
func TestTargetIgnoringItsCtxIsAbandoned(t *testing.T) {
	url, _ := wstest.Serve(t, wstest.EchoServer)
	clock := fakeclock.New(wstest.Epoch)
	rec := wstest.NewRecorder(clock, true)
	first, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	var overlapped atomic.Bool
	target := func(context.Context, reconnect.Attempt) (reconnect.Target, error) {
		if calls.Add(1) == 1 {
			close(first)
			<-release // ignores its ctx
			return reconnect.Target{}, nil
		}
		select {
		case <-release:
		default:
			overlapped.Store(true)
		}
		return reconnect.Target{}, nil
	}
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), wstest.Guard)
	defer cancel()
	go func() {
		<-first
		if clock.WaitTimer(ctx, 5*time.Second) {
			clock.Advance(5 * time.Second)
		}
	}()
	c, err := reconnect.Dial(ctx, url, &reconnect.Options{Clock: clock, Observer: rec, Target: target, DialTimeout: 5 * time.Second, PingInterval: -1})
	if err != nil {
		t.Fatalf("Dial with a Target that ignores its ctx once: %v", err)
	}
	defer c.CloseNow()
	if !overlapped.Load() || calls.Load() != 2 {
		t.Fatalf("%d Target calls, overlapped %v: want the second while the first is blocked", calls.Load(), overlapped.Load())
	}
}
