package reconnect_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Rotations whose new connection or whose MessageKey fails.

// TestPanickingMessageKeyEndsTheConn: MessageKey is a hook like the
// others; its panic, on the reader or a rotation's goroutine, ends the
// Conn with a *PanicError instead of crashing the process.
func TestPanickingMessageKeyEndsTheConn(t *testing.T) {
	tests := []struct {
		name    string
		handler bool
	}{
		{"receive buffer", false},
		{"OnMessage", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, url := newSeqFeed(t)
			var armed atomic.Bool
			key := func(m reconnect.Message) (string, bool) {
				if armed.Load() {
					panic("bad key")
				}
				return seqKey(m)
			}
			o := &reconnect.Options{OnConnect: subscribe, PingInterval: -1, MessageKey: key}
			if tt.handler {
				o.OnMessage = func(*reconnect.Conn, reconnect.Message) {}
			}
			c, _, err := wstest.Dial(t, url, o, true)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.handler {
				go func() { // keep the buffer from filling
					for {
						if _, _, err := c.Read(context.Background()); err != nil {
							return
						}
					}
				}()
			}
			armed.Store(true)
			c.Rotate()
			select {
			case <-c.Done():
			case <-time.After(wstest.Guard):
				t.Fatal("TestPanickingMessageKeyEndsTheConn: the Conn did not end")
			}
			var pe *reconnect.PanicError
			if !errors.As(c.Err(), &pe) || pe.Hook != "MessageKey" || pe.Value != "bad key" {
				t.Fatalf("Err = %v, want a panic from MessageKey", c.Err())
			}
		})
	}
}

// TestRotationToAConnectionThatEndsAtOnce: the server accepts the
// rotation's connection and closes it (1011) before its first message,
// with no OnConnect to notice. The rotation fails, reports the 1011, and
// the old connection goes on delivering.
func TestRotationToAConnectionThatEndsAtOnce(t *testing.T) {
	tests := []struct {
		name string
		key  bool
	}{
		{"with a key", true},
		{"without a key", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
				ws, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				defer ws.CloseNow()
				if n > 1 {
					ws.Close(websocket.StatusInternalError, "restarting")
					return
				}
				for i := 0; ; i++ { // a continuous stream, for the whole test
					if ws.Write(r.Context(), websocket.MessageText, []byte(strconv.Itoa(i))) != nil {
						return
					}
					time.Sleep(100 * time.Microsecond) // the stream's pace, not a synchronisation
				}
			})
			o := &reconnect.Options{PingInterval: -1}
			if tt.key {
				o.MessageKey = seqKey
			}
			c, rec, err := wstest.Dial(t, url, o, true)
			if err != nil {
				t.Fatal(err)
			}
			read := func() reconnect.Message {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), wstest.Guard)
				defer cancel()
				m, err := c.ReadMessage(ctx)
				if err != nil {
					t.Fatalf("read: %v; events %v", err, wstest.Kinds(rec.Events()))
				}
				return m
			}
			read()
			c.Rotate()
			e := rec.Next(t, reconnect.EventRotated)
			if websocket.CloseStatus(e.Err) != websocket.StatusInternalError || e.Decision.Label != "close_1011" {
				t.Fatalf("EventRotated: %v (label %q), want the server's 1011", e.Err, e.Decision.Label)
			}
			last := -1
			for range 200 { // the old connection, without a gap
				m := read()
				n, _ := strconv.Atoi(string(m.Data))
				if m.Generation != 1 || last >= 0 && n != last+1 {
					t.Fatalf("got %q on connection %d after %d", m.Data, m.Generation, last)
				}
				last = n
			}
			if n := rec.Count(reconnect.EventDisconnected); n != 0 || c.State() != reconnect.Connected {
				t.Fatalf("%d disconnects, state %v: %v", n, c.State(), wstest.Kinds(rec.Events()))
			}
		})
	}
}
