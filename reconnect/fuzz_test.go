package reconnect_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/internal/wsproto"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// FuzzClose sends any code and reason through Close on a real connection
// and checks what the server receives: exactly the code and the trimmed
// reason for a sendable code; for any other code an error and nothing sent.
func FuzzClose(f *testing.F) {
	for _, s := range []struct {
		code   int
		reason string
	}{{1000, "bye"}, {1001, ""}, {1004, "x"}, {1005, ""}, {1006, ""}, {1015, ""}, {2999, ""}, {3000, "app"},
		{4999, strings.Repeat("é", 70)}, {5000, ""}, {-1, ""}, {65535 + 1000, ""}, {1008, "\xff\xfe"}} {
		f.Add(s.code, s.reason)
	}
	got := make(chan websocket.CloseError, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		_, _, err = ws.Read(context.Background())
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			got <- ce
		} else {
			got <- websocket.CloseError{Code: -1, Reason: fmt.Sprint(err)}
		}
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	f.Fuzz(func(t *testing.T, code int, reason string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := reconnect.Dial(ctx, url, &reconnect.Options{PingInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		sc := websocket.StatusCode(code)
		err = c.Close(sc, reason)
		if !wsproto.SendableCode(sc) {
			if err == nil {
				t.Fatalf("Close(%d) = nil, want an error for an unsendable code", code)
			}
			c.CloseNow()
			if ce := wstest.Wait(t, got, "the server to see the connection end"); ce.Code != -1 {
				t.Fatalf("server got close %d %q after Close(%d) was refused", ce.Code, ce.Reason, code)
			}
			return
		}
		if err != nil {
			t.Fatalf("Close(%d, %q) = %v", code, reason, err)
		}
		want := websocket.CloseError{Code: sc, Reason: wsproto.TrimReason(reason)}
		if ce := wstest.Wait(t, got, "the server to see the close frame"); ce != want {
			t.Fatalf("server got %+v, want %+v", ce, want)
		}
	})
}

// FuzzOptions feeds any option values to Dial against a server that
// refuses every connection: Dial must return a clear error for invalid
// options, never panic, and with valid ones wait between attempts
// without a hot loop.
func FuzzOptions(f *testing.F) {
	f.Add(int64(0), int64(0), int64(0), int64(0), int64(0), 0, 0, 0, int64(0), int64(0), 0.0, 0.0, 0.0, 0, int64(0), int64(0), int64(0), int64(0))
	f.Add(int64(-1), int64(-1), int64(-1), int64(-1), int64(-1), -1, -1, 9, int64(-1), int64(-1), -1.0, 0.5, -1.0, -1, int64(-1), int64(-1), int64(-1), int64(-1))
	f.Add(int64(time.Second), int64(time.Second), int64(time.Second), int64(time.Second), int64(1024), 10, 1024, 2,
		int64(time.Millisecond), int64(time.Hour), 2.0, 1.0, 1.0, 3, int64(time.Minute), int64(time.Second), int64(time.Second), int64(time.Minute))
	f.Add(int64(0), int64(0), int64(0), int64(0), int64(0), 0, 0, 0, int64(math.MaxInt64), int64(math.MaxInt64), 1e6, 0.9, 0.5, 0,
		int64(0), int64(math.MaxInt64), int64(math.MaxInt64), int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, dialTimeout, minUptime, pingInterval, pingTimeout, readLimit int64,
		bufMsgs, bufBytes, sendMode int, initial, maxInterval int64, multiplier, jitter, floorJitter float64,
		maxAttempts int, maxOutage, tryAgain, restartSpread, maxRetryAfter int64) {
		clock := fakeclock.New(time.Unix(1_700_000_000, 0))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var dials atomic.Int32 // an abandoned Dialer call may overlap the next
		o := &reconnect.Options{
			DialTimeout: time.Duration(dialTimeout), MinUptime: time.Duration(minUptime),
			PingInterval: time.Duration(pingInterval), PingTimeout: time.Duration(pingTimeout),
			ReadLimit: readLimit, BufferMessages: bufMsgs, BufferBytes: bufBytes, SendMode: reconnect.SendMode(sendMode),
			Policy: policy.Policy{
				Backoff:     policy.Backoff{Initial: time.Duration(initial), Max: time.Duration(maxInterval), Multiplier: multiplier, Jitter: jitter},
				FloorJitter: floorJitter, MaxAttempts: maxAttempts, MaxOutage: time.Duration(maxOutage),
				TryAgainLaterDelay: time.Duration(tryAgain), RestartSpread: time.Duration(restartSpread),
				RefusedSpread: time.Duration(restartSpread / 2),
				MaxRetryAfter: time.Duration(maxRetryAfter),
			},
			Clock: clock,
			Dialer: func(context.Context, string, *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
				if dials.Add(1) == 6 {
					cancel()
				}
				return nil, nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
			},
		}
		// Dial may return while the Observer still runs (it returns once
		// every goroutine has exited or is inside a hook).
		var mu sync.Mutex
		var waits []time.Duration
		o.Observer = reconnect.ObserverFunc(func(e reconnect.Event) {
			if e.Kind == reconnect.EventWaiting {
				mu.Lock()
				waits = append(waits, e.Delay)
				mu.Unlock()
				clock.Advance(e.Delay)
			}
		})
		c, err := reconnect.Dial(ctx, "ws://127.0.0.1:1/", o)
		if c != nil {
			c.CloseNow()
			t.Fatal("Dial succeeded against a refusing dialer")
		}
		var re *reconnect.Error
		if !errors.As(err, &re) {
			t.Fatalf("Dial = %v; want a *reconnect.Error", err)
		}
		if re.Kind == reconnect.KindInvalid {
			if !strings.HasPrefix(err.Error(), "reconnect: invalid: ") {
				t.Fatalf("Dial = %v; want a clear invalid-option error", err)
			}
			return
		}
		if re.Kind != reconnect.KindCanceled && re.Kind != reconnect.KindGaveUp {
			t.Fatalf("Dial = %v, kind %v; want canceled or gave up", err, re.Kind)
		}
		mu.Lock()
		defer mu.Unlock()
		checkWaits(t, o.Policy, waits)
	})
}

// checkWaits checks the waits between refused attempts: never negative,
// within the jittered cap plus the refused spread, and after the first (full-jitter) wait never
// collapsing below the jittered initial interval: no hot loop.
func checkWaits(t *testing.T, p policy.Policy, waits []time.Duration) {
	t.Helper()
	b := p.Backoff
	initial, maxI, jitter := b.Initial, b.Max, b.Jitter
	if initial <= 0 { // negative: no first wait, the curve starts at the default
		initial = policy.DefaultInitial
	}
	if maxI == 0 {
		maxI = policy.DefaultMax
	}
	if maxI < 0 || maxI > math.MaxInt64/2 { // the curve's cap is at most half the longest Duration
		maxI = math.MaxInt64 / 2
	}
	if jitter == 0 {
		jitter = policy.DefaultJitter
	}
	jitter = max(jitter, 0)
	spread := p.RefusedSpread // a refused dial's extra wait
	if spread == 0 {
		spread = policy.DefaultRefusedSpread
	}
	spread = max(spread, 0)
	lo := time.Duration(float64(min(initial, maxI)) * (1 - jitter))
	if b.Initial < 0 && b.Multiplier < 0 { // no growth from a curve that may start below
		lo = 0
	}
	hi := time.Duration(math.MaxInt64)
	if f := float64(maxI)*(1+jitter) + float64(spread); f < float64(math.MaxInt64)/2 {
		hi = time.Duration(f)
	}
	for i, w := range waits {
		if w < 0 || w-1 > hi {
			t.Fatalf("wait %d = %v, outside [0, %v]: %v", i, w, hi, waits)
		}
		if i > 0 && w < lo-1 {
			t.Fatalf("wait %d = %v, below %v: %v", i, w, lo, waits)
		}
	}
}
