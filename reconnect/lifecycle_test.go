package reconnect_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

func acceptThenClose(code websocket.StatusCode) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		ws.Close(code, "")
	}
}

func TestAcceptThenCloseLoopClimbsTheBackoff(t *testing.T) {
	url, _ := wstest.Serve(t, acceptThenClose(websocket.StatusGoingAway))
	half := func() float64 { return 0.5 }
	o := &reconnect.Options{Policy: policy.Policy{Rand: half, MaxAttempts: 8}}
	c, rec, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	wstest.Wait(t, c.Done(), "the Conn to give up")
	var delays []time.Duration
	for _, e := range rec.Events() {
		if e.Kind == reconnect.EventWaiting {
			delays = append(delays, e.Delay)
		}
	}
	if len(delays) != 7 {
		t.Fatalf("waits %v, want 7 before giving up at attempt 8", delays)
	}
	for i := 1; i < len(delays); i++ {
		if delays[i] <= delays[i-1] {
			t.Fatalf("delays %v do not climb", delays)
		}
	}
	if !errors.Is(c.Err(), reconnect.ErrGaveUp) {
		t.Fatalf("Err = %v, want gave up", c.Err())
	}
	var re *reconnect.Error
	if !errors.As(c.Err(), &re) || re.Attempts != 8 || websocket.CloseStatus(c.Err()) != websocket.StatusGoingAway {
		t.Fatalf("Err = %+v, want 8 attempts and the 1001 close", re)
	}
}

func TestMinUptimeDecidesWhenTheBackoffStartsOver(t *testing.T) {
	tests := []struct {
		name        string
		uptime      time.Duration
		nextAttempt int
	}{
		{"healthy connection starts over", reconnect.DefaultMinUptime, 1},
		{"short connection keeps counting", reconnect.DefaultMinUptime - time.Millisecond, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			drop := make(chan struct{})
			url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
				ws, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				if n == 1 {
					<-drop
				}
				ws.Close(websocket.StatusGoingAway, "")
			})
			_, rec, err := wstest.Dial(t, url, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			rec.Clock.Advance(tt.uptime)
			close(drop)
			end := rec.Next(t, reconnect.EventDisconnected)
			w := rec.Next(t, reconnect.EventWaiting)
			if end.Duration != tt.uptime || w.Attempt != tt.nextAttempt {
				t.Fatalf("after %v up: waiting for attempt %d, want %d", end.Duration, w.Attempt, tt.nextAttempt)
			}
			if tt.nextAttempt == 1 && w.Delay > policy.DefaultInitial {
				t.Fatalf("first wait after a healthy connection = %v, want full jitter in [0, %v]", w.Delay, policy.DefaultInitial)
			}
		})
	}
}

func TestOnConnectFailureIsAFailedAttempt(t *testing.T) {
	url, served := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		wstest.Echo(r.Context(), ws)
	})
	calls := 0
	o := &reconnect.Options{OnConnect: func(ctx context.Context, ws *websocket.Conn) error {
		calls++
		if calls == 1 {
			return errors.New("auth rejected")
		}
		return ws.Write(ctx, websocket.MessageText, []byte("hello"))
	}}
	c, rec, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	first := rec.Next(t, reconnect.EventAttemptDone)
	if first.Err == nil || !strings.Contains(first.Err.Error(), "auth rejected") || !first.Decision.Retry() {
		t.Fatalf("first attempt = %v, %v; want a retryable OnConnect failure", first.Err, first.Decision)
	}
	up := rec.Next(t, reconnect.EventConnected)
	if up.Attempt != 2 || up.Generation != 1 || served.Load() != 2 {
		t.Fatalf("connected on attempt %d gen %d after %d dials; want attempt 2 gen 1", up.Attempt, up.Generation, served.Load())
	}
	if got, err := wstest.Read(t, c); got != "hello" {
		t.Fatalf("echo of OnConnect's message = %q, %v", got, err)
	}
}

func TestSilentPeerCaughtByPing(t *testing.T) {
	quit := make(chan struct{})
	t.Cleanup(func() { close(quit) })
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		if n == 1 {
			<-quit // never reads, so never answers a ping
			return
		}
		ws.Write(r.Context(), websocket.MessageText, []byte("alive"))
		wstest.Echo(r.Context(), ws)
	})
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: 7 * time.Second, PingTimeout: 3 * time.Second}, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wstest.PingTick(t, rec.Clock, 7*time.Second)
	if !rec.Clock.WaitTimer(ctx, 3*time.Second) {
		t.Fatal("no pong timeout")
	}
	rec.Clock.Advance(3 * time.Second)
	end := rec.Next(t, reconnect.EventDisconnected)
	if end.Decision.Code != websocket.StatusAbnormalClosure || !end.Decision.Retry() {
		t.Fatalf("decision = %v (%v), want retry 1006", end.Decision, end.Err)
	}
	if got, err := wstest.Read(t, c); got != "alive" {
		t.Fatalf("read after the ping timeout = %q, %v", got, err)
	}
}

func TestStates(t *testing.T) {
	c, rec, err := wstest.Dial(t, refuseAfterFirst(t), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rec.Next(t, reconnect.EventWaiting)
	if s := c.State(); s != reconnect.Reconnecting {
		t.Fatalf("state while waiting = %v", s)
	}
	go c.CloseNow()
	if !c.WaitForStateChange(ctx, reconnect.Reconnecting) || c.State() != reconnect.Closed {
		t.Fatalf("state after CloseNow = %v", c.State())
	}
	wstest.Wait(t, c.Done(), "the Conn to end after CloseNow")
	// Closed is final: waiting for a change ends only with ctx.
	done, stop := context.WithCancel(context.Background())
	stop()
	if c.WaitForStateChange(done, reconnect.Closed) {
		t.Fatal("WaitForStateChange reported a change after Closed")
	}
}

func TestDialContextBoundsFirstConnect(t *testing.T) {
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	ctx, cancel := context.WithCancel(context.Background())
	rec := wstest.NewRecorder(nil, false)
	go func() {
		rec.Next(t, reconnect.EventWaiting)
		cancel()
	}()
	c, err := reconnect.Dial(ctx, url, &reconnect.Options{Observer: rec})
	var re *reconnect.Error
	if c != nil || !errors.As(err, &re) || re.Kind != reconnect.KindCanceled || !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial = %v, %v; want canceled", c, err)
	}
	if re.Decision.Status != 503 {
		t.Fatalf("decision = %v, want the last failure (503)", re.Decision)
	}
}

func TestMessagesDuringAPingCountAsLife(t *testing.T) {
	send := make(chan struct{})
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		// Never reads, so never answers a ping, but talks when told.
		for range send {
			if ws.Write(context.Background(), websocket.MessageText, []byte("data")) != nil {
				return
			}
		}
	})
	t.Cleanup(func() { close(send) })
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: 7 * time.Second, PingTimeout: 3 * time.Second}, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wstest.PingTick(t, rec.Clock, 7*time.Second)
	if !rec.Clock.WaitTimer(ctx, 3*time.Second) {
		t.Fatal("no pong timeout")
	}
	send <- struct{}{}
	if got, err := wstest.Read(t, c); got != "data" {
		t.Fatalf("read = %q, %v", got, err)
	}
	rec.Clock.Advance(3 * time.Second)
	if !rec.Clock.WaitTimer(ctx, 3*time.Second) {
		t.Fatal("the pong wait did not go on after a window with data flowing")
	}
	if n := rec.Count(reconnect.EventDisconnected); n != 0 || c.State() != reconnect.Connected {
		t.Fatalf("%d disconnects, state %v; want the connection kept", n, c.State())
	}
}

// TestNoEventAfterDialFails: when Dial returns its error, the Observer
// has seen EventClosed; none comes after. The Observer gives a Dial that
// does not wait for it time to return first.
func TestNoEventAfterDialFails(t *testing.T) {
	url := refusedURL(t)
	returned := make(chan struct{})
	late := make(chan reconnect.EventKind, 16)
	closed := make(chan struct{})
	obs := reconnect.ObserverFunc(func(e reconnect.Event) {
		select {
		case <-returned:
			late <- e.Kind
			return
		default:
		}
		if e.Kind == reconnect.EventClosed {
			defer close(closed)
			select {
			case <-returned:
				late <- e.Kind
			case <-time.After(200 * time.Millisecond):
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), wstest.Guard)
	defer cancel()
	_, err := reconnect.Dial(ctx, url, &reconnect.Options{Observer: obs, Policy: policy.Policy{MaxAttempts: 1}})
	close(returned)
	if !errors.Is(err, reconnect.ErrGaveUp) {
		t.Fatalf("Dial = %v, want a give-up", err)
	}
	select {
	case <-closed:
	case <-time.After(wstest.Guard):
		t.Fatal("TestNoEventAfterDialFails: no EventClosed")
	}
	select {
	case k := <-late:
		t.Fatalf("%v reached the Observer after Dial returned", k)
	default:
	}
}
