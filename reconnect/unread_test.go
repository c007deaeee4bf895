package reconnect_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// An application that has not read a message yet must not freeze the
// connection: the Conn keeps reading, so closes, pings and drops are seen.

// unreadServer sends "one" on its first connection, then runs then; later
// connections send "two" and echo.
func unreadServer(t *testing.T, then func(ctx context.Context, ws *websocket.Conn)) string {
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		if n == 1 {
			if ws.Write(r.Context(), websocket.MessageText, []byte("one")) == nil {
				then(r.Context(), ws)
			}
			return
		}
		if ws.Write(r.Context(), websocket.MessageText, []byte("two")) == nil {
			wstest.Echo(r.Context(), ws)
		}
	})
	return url
}

// drain reads until the connection ends, so the server sees a close.
func drain(ctx context.Context, ws *websocket.Conn) {
	for {
		if _, _, err := ws.Read(ctx); err != nil {
			return
		}
	}
}

func TestUnreadMessageDoesNotHideTheServersClose(t *testing.T) {
	url := unreadServer(t, func(ctx context.Context, ws *websocket.Conn) {
		ws.Close(websocket.StatusServiceRestart, "restart")
	})
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	end := rec.Next(t, reconnect.EventDisconnected)
	if end.Decision.Code != websocket.StatusServiceRestart {
		t.Fatalf("disconnect = %v (%v), want the server's 1012", end.Decision, end.Err)
	}
	rec.Next(t, reconnect.EventConnected)
	for _, want := range []string{"one", "two"} {
		if got, err := wstest.Read(t, c); got != want {
			t.Fatalf("Read = %q, %v; want %q", got, err, want)
		}
	}
}

func TestServerPingIsAnsweredWhileTheAppIsAway(t *testing.T) {
	pinged := make(chan error, 1)
	url := unreadServer(t, func(ctx context.Context, ws *websocket.Conn) {
		drained := make(chan struct{})
		go func() { drain(ctx, ws); close(drained) }() // Ping needs a reader
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		pinged <- ws.Ping(pctx)
		<-drained
	})
	if _, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, true); err != nil {
		t.Fatal(err)
	}
	if err := wstest.Wait(t, pinged, "the server's ping"); err != nil {
		t.Fatalf("server's ping with an unread message waiting: %v", err)
	}
}

func TestReconnectWithAnUnreadMessage(t *testing.T) {
	// The server's ping returns once the client has taken "one" off the
	// socket (or gave up trying), so Reconnect comes after that.
	pinged := make(chan struct{})
	url := unreadServer(t, func(ctx context.Context, ws *websocket.Conn) {
		drained := make(chan struct{})
		go func() { drain(ctx, ws); close(drained) }()
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		ws.Ping(pctx)
		close(pinged)
		<-drained
	})
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	wstest.Wait(t, pinged, "the server's ping")
	c.Reconnect()
	end := rec.Next(t, reconnect.EventDisconnected)
	if end.Decision.Label != reconnect.LabelReconnect {
		t.Fatalf("disconnect = %v, want %q", end.Decision, reconnect.LabelReconnect)
	}
	if up := rec.Next(t, reconnect.EventConnected); up.Generation != 2 {
		t.Fatalf("reconnected as generation %d", up.Generation)
	}
	for _, want := range []string{"one", "two"} {
		if got, err := wstest.Read(t, c); got != want {
			t.Fatalf("Read = %q, %v; want %q", got, err, want)
		}
	}
}

func TestWritesAfterTheServersCloseAreNotLost(t *testing.T) {
	got := make(chan string, 8)
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		if n == 1 {
			ws.Write(r.Context(), websocket.MessageText, []byte("one"))
			ws.Close(websocket.StatusServiceRestart, "restart")
			return
		}
		wstest.Collect(r.Context(), ws, got)
	})
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	rec.Next(t, reconnect.EventDisconnected)
	for _, m := range []string{"a", "b", "c"} {
		if err := c.Write(context.Background(), websocket.MessageText, []byte(m)); err != nil {
			t.Fatalf("Write(%s) = %v", m, err)
		}
	}
	guard := time.After(20 * time.Second)
	for _, want := range []string{"a", "b", "c"} {
		select {
		case m := <-got:
			if m != want {
				t.Fatalf("server got %q, want %q", m, want)
			}
		case <-guard:
			t.Fatalf("server never got %q; undelivered %v", want, c.Undelivered())
		}
	}
}
