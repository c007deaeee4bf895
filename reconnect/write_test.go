package reconnect_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// restartThen closes the first connection with 1012; later connections are
// answered by then.
func restartThen(t *testing.T, then func(w http.ResponseWriter, r *http.Request)) string {
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n > 1 {
			then(w, r)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		ws.Close(websocket.StatusServiceRestart, "")
	})
	return url
}

// collect accepts and sends every message it reads to got.
func collect(got chan<- string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		wstest.Collect(r.Context(), ws, got)
	}
}

func write(c *reconnect.Conn, s string) error {
	ctx, cancel := context.WithTimeout(context.Background(), wstest.Guard)
	defer cancel()
	return c.Write(ctx, websocket.MessageText, []byte(s))
}

func TestBufferedWritesArriveInOrder(t *testing.T) {
	got := make(chan string, 64)
	c, rec, err := wstest.Dial(t, restartThen(t, collect(got)), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	wait := rec.Next(t, reconnect.EventWaiting)
	var want []string
	for i := range 10 {
		want = append(want, fmt.Sprint("m", i))
		if err := write(c, want[i]); err != nil {
			t.Fatalf("buffered Write = %v", err)
		}
	}
	rec.Clock.Advance(wait.Delay)
	// Written while the buffer may still be flushing: it must come last.
	want = append(want, "m10")
	if err := write(c, "m10"); err != nil {
		t.Fatal(err)
	}
	var seen []string
	for range want {
		seen = append(seen, wstest.Wait(t, got, "the server to get a message"))
	}
	if !slices.Equal(seen, want) {
		t.Fatalf("server got %v, want %v", seen, want)
	}
}

func TestBufferLimitsAndUndelivered(t *testing.T) {
	refuse := func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", http.StatusUnauthorized) }
	c, rec, err := wstest.Dial(t, restartThen(t, refuse), &reconnect.Options{BufferMessages: 2, BufferBytes: 5}, false)
	if err != nil {
		t.Fatal(err)
	}
	wait := rec.Next(t, reconnect.EventWaiting)
	for _, tt := range []struct {
		msg  string
		want error
	}{
		{"abcdef", reconnect.ErrBufferFull}, // over 5 bytes
		{"ab", nil},
		{"cd", nil},
		{"e", reconnect.ErrBufferFull}, // over 2 messages
	} {
		if err := write(c, tt.msg); !errors.Is(err, tt.want) {
			t.Fatalf("Write(%q) = %v, want %v", tt.msg, err, tt.want)
		}
	}
	rec.Clock.Advance(wait.Delay)
	wstest.Wait(t, c.Done(), "the Conn to end")
	if !errors.Is(c.Err(), reconnect.ErrTerminal) {
		t.Fatalf("Err = %v, want terminal", c.Err())
	}
	var left []string
	for _, m := range c.Undelivered() {
		left = append(left, string(m.Data))
	}
	if !slices.Equal(left, []string{"ab", "cd"}) {
		t.Fatalf("Undelivered = %q, want [ab cd]", left)
	}
}

func TestSendModes(t *testing.T) {
	got := make(chan string, 64)
	tests := []struct {
		name string
		mode reconnect.SendMode
	}{
		{"fail fast", reconnect.SendFail},
		{"block until connected", reconnect.SendBlock},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec, err := wstest.Dial(t, restartThen(t, collect(got)), &reconnect.Options{SendMode: tt.mode}, false)
			if err != nil {
				t.Fatal(err)
			}
			wait := rec.Next(t, reconnect.EventWaiting)
			if tt.mode == reconnect.SendFail {
				if err := write(c, "x"); !errors.Is(err, reconnect.ErrNotConnected) {
					t.Fatalf("Write while down = %v, want ErrNotConnected", err)
				}
				return
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := c.Write(ctx, websocket.MessageText, []byte("x")); !errors.Is(err, context.Canceled) {
				t.Fatalf("blocked Write with a cancelled ctx = %v", err)
			}
			done := make(chan error, 1)
			go func() { done <- write(c, "blocked") }()
			rec.Clock.Advance(wait.Delay)
			if err := wstest.Wait(t, done, "the blocked Write to return"); err != nil {
				t.Fatalf("blocked Write = %v", err)
			}
			if m := wstest.Wait(t, got, "the server to get the blocked message"); m != "blocked" {
				t.Fatalf("server got %q", m)
			}
		})
	}
}
