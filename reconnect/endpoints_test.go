package reconnect_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

var _ reconnect.Limiter = (*rate.Limiter)(nil)

// refusedURL is a loopback port nothing listens on.
func refusedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "ws://" + addr + "/"
}

func statusURL(t *testing.T, status int) string {
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", status) })
	return url
}

// upURL echoes; it closes the first connection with close when set.
func upURL(t *testing.T, close websocket.StatusCode) string {
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		if n == 1 && close != 0 {
			ws.Close(close, "")
			return
		}
		wstest.Echo(r.Context(), ws)
	})
	return url
}

// attempts lists the endpoints of the attempts, and "wait" for each wait.
func attempts(rec *wstest.Recorder) []string {
	var out []string
	for _, e := range rec.Events() {
		switch e.Kind {
		case reconnect.EventAttempt:
			out = append(out, e.Target)
		case reconnect.EventWaiting:
			out = append(out, "wait")
		}
	}
	return out
}

func TestEndpointFailover(t *testing.T) {
	refused, busy, missing := refusedURL(t), statusURL(t, 503), statusURL(t, 404)
	denied, up := statusURL(t, 401), upURL(t, 0)
	tests := []struct {
		name      string
		urls      []string
		max       int
		want      []string // endpoints of the attempts, and waits
		connected int      // endpoint index, -1: the Conn ends
	}{
		{"refused and 503 move on at once", []string{refused, busy, up}, 0, []string{refused, busy, up}, 2},
		{"a full round, then the backoff", []string{refused, busy}, 4, []string{refused, busy, "wait", refused, busy}, -1},
		{"a 404 is passed over", []string{missing, up}, 0, []string{missing, up}, 1},
		{"a 404 everywhere stops", []string{missing, missing}, 0, []string{missing, missing}, -1},
		{"a 401 stops everywhere", []string{denied, up}, 0, []string{denied}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := &reconnect.Options{Endpoints: tt.urls[1:], PingInterval: -1, Policy: policy.Policy{MaxAttempts: tt.max}}
			c, rec, err := wstest.Dial(t, tt.urls[0], o, true)
			got := attempts(rec)
			want := tt.want
			if len(got) != len(want) {
				t.Fatalf("attempts %v, want %v", got, want)
			}
			for i := range got {
				if got[i] != want[i] && !(want[i] != "wait" && got[i]+"/" == want[i]) {
					t.Fatalf("attempts %v, want %v", got, want)
				}
			}
			if tt.connected < 0 {
				if err == nil {
					wstest.Wait(t, c.Done(), "the Conn to end")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e := rec.Next(t, reconnect.EventConnected); e.Endpoint != tt.connected {
				t.Fatalf("connected on endpoint %d, want %d", e.Endpoint, tt.connected)
			}
		})
	}
}

func TestDropRetriesTheSameEndpointFirst(t *testing.T) {
	refused, up := refusedURL(t), upURL(t, websocket.StatusGoingAway)
	_, rec, err := wstest.Dial(t, refused, &reconnect.Options{Endpoints: []string{up}, PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	rec.Next(t, reconnect.EventDisconnected) // the 1001 on endpoint 1
	if e := rec.Next(t, reconnect.EventAttempt); e.Endpoint != 1 {
		t.Fatalf("after a drop the attempt went to endpoint %d, want 1", e.Endpoint)
	}
}

func TestShuffleEndpoints(t *testing.T) {
	a, b := upURL(t, 0), upURL(t, 0)
	// Rand 0 moves the last endpoint first: the shuffled order is b, a.
	o := &reconnect.Options{Endpoints: []string{b}, ShuffleEndpoints: true, PingInterval: -1,
		Policy: policy.Policy{Rand: func() float64 { return 0 }}}
	_, rec, err := wstest.Dial(t, a, o, true)
	if err != nil {
		t.Fatal(err)
	}
	if e := rec.Events()[0]; e.Kind != reconnect.EventAttempt || e.Target+"/" != b && e.Target != b {
		t.Fatalf("first attempt to %s, want %s", e.Target, b)
	}
}

func TestFailbackToThePreferredEndpoint(t *testing.T) {
	var preferredUp atomic.Bool
	preferred, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		if !preferredUp.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		wstest.Echo(r.Context(), ws)
	})
	backup := upURL(t, 0)
	o := &reconnect.Options{Endpoints: []string{backup}, FailbackAfter: time.Minute, PingInterval: -1}
	_, rec, err := wstest.Dial(t, preferred, o, true)
	if err != nil {
		t.Fatal(err)
	}
	if e := rec.Next(t, reconnect.EventConnected); e.Endpoint != 1 {
		t.Fatalf("connected on %d, want the backup", e.Endpoint)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, up := range []bool{false, true} { // the first failback finds it still down
		preferredUp.Store(up)
		if !rec.Clock.WaitTimer(ctx, time.Minute) {
			t.Fatal("no failback timer")
		}
		rec.Clock.Advance(time.Minute)
		e := rec.Next(t, reconnect.EventRotated)
		if up != (e.Err == nil) {
			t.Fatalf("failback with the preferred endpoint up=%v: %v", up, e.Err)
		}
	}
	var last reconnect.Event
	for _, e := range rec.Events() {
		if e.Kind == reconnect.EventConnected {
			last = e
		}
	}
	if last.Endpoint != 0 || !last.Rotation {
		t.Fatalf("connected on %d (rotation %v), want the preferred endpoint", last.Endpoint, last.Rotation)
	}
}

// countLimiter counts Wait calls.
type countLimiter struct{ n atomic.Int32 }

func (l *countLimiter) Wait(ctx context.Context) error { l.n.Add(1); return ctx.Err() }

func TestWritePacerPacesWritesAndTheFlush(t *testing.T) {
	got := make(chan string, 16)
	url := restartThen(t, collect(got))
	pacer := &countLimiter{}
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{WritePacer: pacer, PingInterval: -1}, false)
	if err != nil {
		t.Fatal(err)
	}
	wait := rec.Next(t, reconnect.EventWaiting) // after the 1012: writes are buffered
	for _, m := range []string{"a", "b", "c"} {
		write(c, m)
	}
	rec.Clock.Advance(wait.Delay)
	for range 3 {
		wstest.Wait(t, got, "the server to get a buffered message")
	}
	write(c, "d") // on the live connection
	wstest.Wait(t, got, "the server to get d")
	if n := pacer.n.Load(); n != 4 {
		t.Fatalf("pacer waited %d times for 4 messages", n)
	}
}

// failOncePacer fails its first Wait with an error of its own, not a ctx's.
type failOncePacer struct{ n atomic.Int32 }

func (l *failOncePacer) Wait(ctx context.Context) error {
	if l.n.Add(1) == 1 {
		return errPacer
	}
	return ctx.Err()
}

var errPacer = errors.New("pacer out of tokens")

// TestWritePacerErrorInTheFlush: a pacer error during the flush after a
// reconnect ends that connection, which the policy classifies like any
// failure, and the buffered messages go out on the next one.
func TestWritePacerErrorInTheFlush(t *testing.T) {
	got := make(chan string, 16)
	url := restartThen(t, collect(got))
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{WritePacer: &failOncePacer{}, PingInterval: -1}, false)
	if err != nil {
		t.Fatal(err)
	}
	wait := rec.Next(t, reconnect.EventWaiting) // after the 1012: writes are buffered
	for _, m := range []string{"a", "b", "c"} {
		if err := write(c, m); err != nil {
			t.Fatal(err)
		}
	}
	rec.Clock.Advance(wait.Delay)
	rec.Next(t, reconnect.EventConnected) // gen 2: its flush fails in the pacer
	e := rec.Next(t, reconnect.EventDisconnected)
	if !errors.Is(e.Err, errPacer) || e.Decision.Label != reconnect.LabelWritePacer {
		t.Fatalf("gen 2 ended with %v (label %q), want the pacer's error, label %q", e.Err, e.Decision.Label, reconnect.LabelWritePacer)
	}
	rec.Clock.Advance(rec.Next(t, reconnect.EventWaiting).Delay)
	guard := time.After(wstest.Guard)
	for _, want := range []string{"a", "b", "c"} {
		select {
		case m := <-got:
			if m != want {
				t.Fatalf("got %q, want %q", m, want)
			}
		case <-guard:
			t.Fatalf("TestWritePacerErrorInTheFlush: %q never arrived after the pacer failed", want)
		}
	}
}
