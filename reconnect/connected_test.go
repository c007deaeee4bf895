package reconnect_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestConnectedMeansWritable: when EventConnected reaches the Observer
// the Conn is Connected and a SendFail Write goes to the new connection,
// so an application that waits for the event can write at once.
func TestConnectedMeansWritable(t *testing.T) {
	got := make(chan string, 4)
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		if n == 1 { // the first connection ends when the test says so
			ws.Read(r.Context())
			ws.Close(websocket.StatusGoingAway, "")
			return
		}
		wstest.Collect(r.Context(), ws, got)
	})
	var conn atomic.Pointer[reconnect.Conn]
	type seen struct {
		state reconnect.State
		err   error
	}
	onConnected := make(chan seen, 4)
	obs := reconnect.ObserverFunc(func(e reconnect.Event) {
		c := conn.Load()
		if e.Kind != reconnect.EventConnected || c == nil {
			return
		}
		onConnected <- seen{c.State(), c.Write(context.Background(), websocket.MessageText, []byte("at once"))}
	})
	c, _, err := wstest.Dial(t, url, &reconnect.Options{SendMode: reconnect.SendFail, PingInterval: -1, Observer: obs}, true)
	if err != nil {
		t.Fatal(err)
	}
	conn.Store(c)
	if err := c.Write(context.Background(), websocket.MessageText, []byte("go away")); err != nil {
		t.Fatal(err)
	}
	s := wstest.Wait(t, onConnected, "EventConnected of the second connection")
	if s.state != reconnect.Connected || s.err != nil {
		t.Fatalf("on EventConnected: State %v, Write %v; want Connected and nil", s.state, s.err)
	}
	if m := wstest.Wait(t, got, "the Write made on EventConnected at the server"); m != "at once" {
		t.Fatalf("server got %q, want %q", m, "at once")
	}
}
