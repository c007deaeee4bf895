package reconnect_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

func TestHeartbeatReportsTheRoundTrip(t *testing.T) {
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		if ws, err := websocket.Accept(w, r, nil); err == nil {
			defer ws.CloseNow()
			drain(r.Context(), ws)
		}
	})
	rec := wstest.NewRecorder(nil, false)
	// The real clock: a round trip on the fake one is always 0.
	c, err := reconnect.Dial(context.Background(), url, &reconnect.Options{PingInterval: 20 * time.Millisecond, Observer: rec})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	e := rec.Next(t, reconnect.EventHeartbeat)
	if e.RTT <= 0 || e.Generation != 1 || c.RTT() <= 0 {
		t.Fatalf("heartbeat event RTT %v gen %d, Conn.RTT %v", e.RTT, e.Generation, c.RTT())
	}
	rtt, err := c.Ping(wstest.Context(t))
	if err != nil || rtt <= 0 {
		t.Fatalf("Ping = %v, %v", rtt, err)
	}
}

func TestPingCtxCostsOnlyThePing(t *testing.T) {
	release := make(chan struct{})
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		if ws, err := websocket.Accept(w, r, nil); err == nil {
			defer ws.CloseNow()
			<-release // no reading, so no pong, until released
			drain(r.Context(), ws)
		}
	})
	t.Cleanup(func() { close(release) })
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Ping(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Ping with a canceled ctx = %v", err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := c.Ping(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ping with no pong = %v", err)
	}
	if n := rec.Count(reconnect.EventDisconnected); n != 0 || c.State() != reconnect.Connected {
		t.Fatalf("%d drops, state %v: a Ping's ctx cost the connection", n, c.State())
	}
	c.CloseNow()
	if _, err := c.Ping(wstest.Context(t)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Ping after Close = %v", err)
	}
}
