package thirdparty_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/internal/thirdparty/toxy"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// proxied starts an echo server that greets each connection with its
// number, behind an embedded toxiproxy, and dials it through the proxy
// with a fake clock the test moves by hand.
// rig is a Conn dialed through a proxy on a fake clock.
type rig struct {
	c      *reconnect.Conn
	p      *toxy.Proxy
	clock  *fakeclock.Clock
	rec    *wstest.Recorder
	bypass *atomic.Bool // later attempts go straight to the server
}

func proxied(t *testing.T) *rig {
	t.Helper()
	bypass := new(atomic.Bool)
	var handlers sync.WaitGroup
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.Write(r.Context(), websocket.MessageText, []byte{'0' + byte(n)})
		wstest.Echo(r.Context(), ws)
	})
	p, err := toxy.Start(strings.TrimPrefix(url, "ws://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	// toxiproxy 2.5.0 strands a toxic's goroutine when a link is torn
	// down with data in flight: stop the proxy once every server
	// connection has ended (the Conn is closed first).
	t.Cleanup(func() { waitGroup(&handlers, 5*time.Second) })
	// Once a fault has done its work, later attempts bypass the proxy:
	// removing a toxic from a dying link strands toxiproxy's goroutines.
	o := &reconnect.Options{
		PingInterval: 7 * time.Second, PingTimeout: 3 * time.Second,
		Dialer: func(ctx context.Context, u string, d *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
			if bypass.Load() {
				u = url
			}
			return websocket.Dial(ctx, u, d)
		},
	}
	c, rec, err := wstest.Dial(t, p.URL(url), o, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := wstest.Read(t, c); got != "1" {
		t.Fatalf("greeting = %q, %v", got, err)
	}
	return &rig{c: c, p: p, clock: rec.Clock, rec: rec, bypass: bypass}
}

// recoverFrom routes around the fault once the drop is seen, lets the wait
// pass and checks the Conn is reading from a new connection.
func (r *rig) recoverFrom(t *testing.T) reconnect.Event {
	t.Helper()
	end := r.rec.Next(t, reconnect.EventDisconnected)
	r.bypass.Store(true)
	wait := r.rec.Next(t, reconnect.EventWaiting)
	r.clock.Advance(wait.Delay)
	if got, err := wstest.Read(t, r.c); got != "2" {
		t.Fatalf("greeting after the fault = %q, %v", got, err)
	}
	return end
}

func TestToxicResetPeerReconnects(t *testing.T) {
	r := proxied(t)
	if err := r.p.Add("reset", "reset_peer", "upstream", 1, `{"timeout":0}`); err != nil {
		t.Fatal(err)
	}
	// The next bytes the client sends meet the reset.
	r.c.Write(context.Background(), websocket.MessageText, []byte("x"))
	end := r.recoverFrom(t)
	if end.Decision.Code != 1006 || !end.Decision.Retry() {
		t.Fatalf("decision = %v, want retry 1006", end.Decision)
	}
}

func TestToxicBlackholeCaughtByHeartbeat(t *testing.T) {
	r := proxied(t)
	if err := r.p.Add("hole", "timeout", "downstream", 1, `{"timeout":0}`); err != nil {
		t.Fatal(err)
	}
	wstest.MissPong(t, r.clock, 7*time.Second, 3*time.Second)
	end := r.recoverFrom(t)
	if end.Decision.Code != 1006 || !end.Decision.Retry() || !strings.Contains(end.Err.Error(), "ping") {
		t.Fatalf("decision = %v (%v), want retry 1006 from the ping", end.Decision, end.Err)
	}
}
