package reconnect_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// onMessages is an OnMessage that forwards messages to a channel.
func onMessages() (func(*reconnect.Conn, reconnect.Message), <-chan reconnect.Message) {
	ch := make(chan reconnect.Message, 64)
	return func(_ *reconnect.Conn, m reconnect.Message) { ch <- m }, ch
}

func next(t *testing.T, ch <-chan reconnect.Message) reconnect.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no message")
		return reconnect.Message{}
	}
}

func TestOnMessageGetsEveryMessageWithItsGeneration(t *testing.T) {
	url := sendThen(t, []string{"a", "b"}, func(ctx context.Context, ws *websocket.Conn) {
		ws.Close(websocket.StatusGoingAway, "")
	})
	h, got := onMessages()
	c, _, err := wstest.Dial(t, url, &reconnect.Options{OnMessage: h, PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	var ms []reconnect.Message
	for range 3 {
		ms = append(ms, next(t, got))
	}
	if s := texts(ms); s != "a@1 b@1 next@2" {
		t.Fatalf("OnMessage got %s", s)
	}
	if _, _, err := c.Read(wstest.Context(t)); !errors.Is(err, reconnect.ErrHandlerMode) {
		t.Fatalf("Read in handler mode = %v", err)
	}
}

func TestOnMessageMayWriteAndUseEveryControl(t *testing.T) {
	tests := []struct {
		name string
		act  func(c *reconnect.Conn) error
		kind reconnect.Kind // -1: the Conn goes on
	}{
		{"Write", func(c *reconnect.Conn) error {
			return c.Write(context.Background(), websocket.MessageText, []byte("echo"))
		}, -1},
		{"Reconnect", func(c *reconnect.Conn) error { c.Reconnect(); return nil }, -1},
		{"ResetBackoff", func(c *reconnect.Conn) error { c.ResetBackoff(); return nil }, -1},
		{"Close", func(c *reconnect.Conn) error { return c.Close(websocket.StatusNormalClosure, "bye") }, reconnect.KindClosed},
		{"CloseNow", func(c *reconnect.Conn) error { return c.CloseNow() }, reconnect.KindClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := sendThen(t, []string{"go"}, func(context.Context, *websocket.Conn) {})
			acted := make(chan error, 1)
			h := func(c *reconnect.Conn, m reconnect.Message) {
				if string(m.Data) == "go" {
					acted <- tt.act(c)
				}
			}
			c, _, err := wstest.Dial(t, url, &reconnect.Options{OnMessage: h, PingInterval: -1}, true)
			if err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-acted:
				if err != nil {
					t.Fatalf("%s from OnMessage = %v", tt.name, err)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("%s from OnMessage did not return", tt.name)
			}
			if tt.kind < 0 {
				if s := c.State(); s == reconnect.Closed {
					t.Fatalf("state %v", s)
				}
				return
			}
			wstest.Wait(t, c.Done(), "the Conn to end")
			var re *reconnect.Error
			if !errors.As(c.Err(), &re) || re.Kind != tt.kind {
				t.Fatalf("Err = %v, want %v", c.Err(), tt.kind)
			}
		})
	}
}

func TestPanickingOnMessageEndsTheConn(t *testing.T) {
	url := sendThen(t, []string{"boom"}, func(context.Context, *websocket.Conn) {})
	h := func(_ *reconnect.Conn, m reconnect.Message) { panic("bad " + string(m.Data)) }
	c, _, err := wstest.Dial(t, url, &reconnect.Options{OnMessage: h, PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	wstest.Wait(t, c.Done(), "the Conn to end after the panic")
	var re *reconnect.Error
	var pe *reconnect.PanicError
	if !errors.As(c.Err(), &re) || re.Kind != reconnect.KindTerminal || re.Decision.Label != reconnect.LabelPanic ||
		!errors.As(c.Err(), &pe) || pe.Hook != "OnMessage" || pe.Value != "bad boom" || !strings.Contains(string(pe.Stack), "handler_test.go") {
		t.Fatalf("Err = %v, want a terminal panic from OnMessage with its stack", c.Err())
	}
}

func TestSlowOnMessageIsNotADeadPeer(t *testing.T) {
	// The server never answers pings (it does not read): while OnMessage
	// holds the reader, the missed pong is the application's doing.
	release := make(chan struct{})
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.Write(r.Context(), websocket.MessageText, []byte("slow"))
		<-release
	})
	t.Cleanup(func() { close(release) })
	entered := make(chan struct{})
	held := make(chan struct{})
	h := func(*reconnect.Conn, reconnect.Message) {
		close(entered)
		<-held
	}
	o := &reconnect.Options{OnMessage: h, PingInterval: 7 * time.Second, PingTimeout: 3 * time.Second}
	c, rec, err := wstest.Dial(t, url, o, false)
	if err != nil {
		t.Fatal(err)
	}
	wstest.Wait(t, entered, "OnMessage to be entered")
	for range 3 { // three ping ticks while the handler runs: all skipped
		wstest.PingTimer(t, rec.Clock, 7*time.Second)
		rec.Clock.Advance(10 * time.Second)
	}
	wstest.PingTimer(t, rec.Clock, 7*time.Second) // the heartbeat goes on
	close(held)
	if n := rec.Count(reconnect.EventDisconnected); n != 0 || c.State() != reconnect.Connected {
		t.Fatalf("%d disconnects, state %v: a slow handler was taken for a dead peer", n, c.State())
	}
}

// TestOnMessageRepliesOnItsConn: OnMessage gets its Conn, so a handler
// that replies needs no plumbing, even for a message that comes before
// Dial has returned.
func TestOnMessageRepliesOnItsConn(t *testing.T) {
	got := make(chan string, 4)
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.Write(r.Context(), websocket.MessageText, []byte("ping 1")) // before Dial returns, often
		wstest.Collect(r.Context(), ws, got)
	})
	var conns atomic.Pointer[reconnect.Conn]
	h := func(c *reconnect.Conn, m reconnect.Message) {
		conns.Store(c)
		if err := c.Write(context.Background(), websocket.MessageText, []byte("re: "+string(m.Data))); err != nil {
			t.Errorf("Write from OnMessage: %v", err)
		}
	}
	c, _, err := wstest.Dial(t, url, &reconnect.Options{OnMessage: h, PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "re: ping 1" {
			t.Fatalf("server got %q", s)
		}
	case <-time.After(wstest.Guard):
		t.Fatal("TestOnMessageRepliesOnItsConn: no reply from OnMessage")
	}
	if conns.Load() != c {
		t.Fatal("OnMessage got another Conn than Dial returned")
	}
}
