package wsreconnect_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/internal/toxy"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// proxied starts an echo server that greets each connection with its
// number, behind an embedded toxiproxy, and dials it through the proxy
// with a fake clock the test moves by hand.
func proxied(t *testing.T) (*reconnect.Conn, *toxy.Proxy, *fakeclock.Clock, *wstest.Recorder) {
	t.Helper()
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
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
	c, rec, err := wstest.Dial(t, p.URL(url), &reconnect.Options{PingInterval: 7 * time.Second, PingTimeout: 3 * time.Second}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := wstest.Read(t, c); got != "1" {
		t.Fatalf("greeting = %q, %v", got, err)
	}
	return c, p, rec.Clock, rec
}

// recoverFrom removes the fault once the drop is seen, lets the wait pass and
// checks the Conn is reading from a new connection.
func recoverFrom(t *testing.T, c *reconnect.Conn, p *toxy.Proxy, clock *fakeclock.Clock, rec *wstest.Recorder) reconnect.Event {
	t.Helper()
	end := rec.Next(t, reconnect.EventDisconnected)
	p.Reset()
	wait := rec.Next(t, reconnect.EventWaiting)
	clock.Advance(wait.Delay)
	if got, err := wstest.Read(t, c); got != "2" {
		t.Fatalf("greeting after the fault = %q, %v", got, err)
	}
	return end
}

func TestToxicResetPeerReconnects(t *testing.T) {
	c, p, clock, rec := proxied(t)
	if err := p.Add("reset", "reset_peer", "upstream", 1, `{"timeout":0}`); err != nil {
		t.Fatal(err)
	}
	// The next bytes the client sends meet the reset.
	c.Write(context.Background(), websocket.MessageText, []byte("x"))
	end := recoverFrom(t, c, p, clock, rec)
	if end.Decision.Code != 1006 || !end.Decision.Retry() {
		t.Fatalf("decision = %v, want retry 1006", end.Decision)
	}
}

func TestToxicBlackholeCaughtByHeartbeat(t *testing.T) {
	c, p, clock, rec := proxied(t)
	if err := p.Add("hole", "timeout", "downstream", 1, `{"timeout":0}`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if !clock.WaitTimer(ctx, 7*time.Second) {
		t.Fatal("no ping timer armed")
	}
	clock.Advance(7 * time.Second)
	if !clock.WaitTimer(ctx, 3*time.Second) {
		t.Fatal("no pong timeout armed")
	}
	clock.Advance(3 * time.Second)
	end := recoverFrom(t, c, p, clock, rec)
	if end.Decision.Code != 1006 || !end.Decision.Retry() || !strings.Contains(end.Err.Error(), "ping") {
		t.Fatalf("decision = %v (%v), want retry 1006 from the ping", end.Decision, end.Err)
	}
}
