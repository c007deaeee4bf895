package reconnect_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// sendThen accepts, sends msgs on the first connection, then runs then
// with a reader running (so its pings work); later connections send
// "next" and echo.
func sendThen(t *testing.T, msgs []string, then func(ctx context.Context, ws *websocket.Conn)) string {
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx := r.Context()
		if n > 1 {
			if ws.Write(ctx, websocket.MessageText, []byte("next")) == nil {
				wstest.Echo(ctx, ws)
			}
			return
		}
		for _, m := range msgs {
			if ws.Write(ctx, websocket.MessageText, []byte(m)) != nil {
				return
			}
		}
		drained := make(chan struct{})
		go func() { drain(ctx, ws); close(drained) }()
		then(ctx, ws)
		<-drained
	})
	return url
}

func ping(ctx context.Context, ws *websocket.Conn, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return ws.Ping(ctx)
}

func readAll(t *testing.T, c *reconnect.Conn, n int) []reconnect.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []reconnect.Message
	for range n {
		m, err := c.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("ReadMessage after %d messages: %v", len(out), err)
		}
		out = append(out, m)
	}
	return out
}

func texts(ms []reconnect.Message) string {
	var s []string
	for _, m := range ms {
		s = append(s, string(m.Data)+"@"+strconv.FormatUint(m.Generation, 10))
	}
	return strings.Join(s, " ")
}

func TestFullReceiveBufferStopsReadingUntilReadMakesRoom(t *testing.T) {
	// Two fit; the reader holds the third and stops reading, so the
	// server's ping goes unanswered until Read makes room.
	pings := make(chan error, 2)
	resume := make(chan struct{})
	url := sendThen(t, []string{"1", "2", "3"}, func(ctx context.Context, ws *websocket.Conn) {
		pings <- ping(ctx, ws, 300*time.Millisecond)
		<-resume
		pings <- ping(ctx, ws, 10*time.Second)
	})
	c, _, err := wstest.Dial(t, url, &reconnect.Options{ReceiveMessages: 2, PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := wstest.Wait(t, pings, "the server's ping to fail"); err == nil {
		t.Fatal("a ping was answered while the receive buffer was full")
	}
	if got := texts(readAll(t, c, 1)); got != "1@1" {
		t.Fatalf("first message %s", got)
	}
	close(resume)
	if err := wstest.Wait(t, pings, "the server's ping once Read made room"); err != nil {
		t.Fatalf("ping once Read made room: %v", err)
	}
	if got := texts(readAll(t, c, 2)); got != "2@1 3@1" {
		t.Fatalf("rest %s", got)
	}
}

func TestControlsEndAConnectionWithAFullReceiveBuffer(t *testing.T) {
	tests := []struct {
		name string
		act  func(c *reconnect.Conn) error
		want string // the next messages Read returns
		kind reconnect.Kind
	}{
		{"Reconnect", func(c *reconnect.Conn) error { c.Reconnect(); return nil }, "1@1 2@1 3@1 next@2", -1},
		{"Close", func(c *reconnect.Conn) error { return c.Close(websocket.StatusNormalClosure, "") }, "1@1 2@1 3@1", reconnect.KindClosed},
		{"CloseNow", func(c *reconnect.Conn) error { return c.CloseNow() }, "1@1 2@1 3@1", reconnect.KindClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			full := make(chan struct{})
			url := sendThen(t, []string{"1", "2", "3"}, func(ctx context.Context, ws *websocket.Conn) {
				ping(ctx, ws, 300*time.Millisecond) // fails: the client is not reading
				close(full)
			})
			c, rec, err := wstest.Dial(t, url, &reconnect.Options{ReceiveMessages: 2, PingInterval: -1}, true)
			if err != nil {
				t.Fatal(err)
			}
			wstest.Wait(t, full, "the server's ping to fail")
			if err := tt.act(c); err != nil {
				t.Fatalf("%s = %v", tt.name, err)
			}
			n := strings.Count(tt.want, " ") + 1
			if got := texts(readAll(t, c, n)); got != tt.want {
				t.Fatalf("read %s, want %s", got, tt.want)
			}
			if tt.kind < 0 {
				if e := rec.Next(t, reconnect.EventDisconnected); e.Decision.Label != reconnect.LabelReconnect {
					t.Fatalf("disconnect %v", e.Decision)
				}
				return
			}
			var re *reconnect.Error
			if _, err := c.ReadMessage(wstest.Context(t)); !errors.As(err, &re) || re.Kind != tt.kind {
				t.Fatalf("Read after the buffered messages = %v, want %v", err, tt.kind)
			}
		})
	}
}

func TestReadReturnsBufferedMessagesBeforeTheEnd(t *testing.T) {
	url := sendThen(t, []string{"a", "b"}, func(ctx context.Context, ws *websocket.Conn) {
		ws.Close(websocket.StatusPolicyViolation, "kicked")
	})
	c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	wstest.Wait(t, c.Done(), "the Conn to end")
	if got := texts(readAll(t, c, 2)); got != "a@1 b@1" {
		t.Fatalf("read %s after the end", got)
	}
	_, err = c.ReadMessage(wstest.Context(t))
	if !errors.Is(err, reconnect.ErrTerminal) || websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("then %v, want the terminal 1008", err)
	}
}

func TestReceiveBytesBound(t *testing.T) {
	big := strings.Repeat("x", 100)
	pings := make(chan error, 1)
	url := sendThen(t, []string{"123456", "abcdef", big}, func(ctx context.Context, ws *websocket.Conn) {
		pings <- ping(ctx, ws, 300*time.Millisecond)
	})
	// 10 bytes: "abcdef" waits behind "123456"; the 100-byte message still
	// fits once the buffer is empty.
	c, _, err := wstest.Dial(t, url, &reconnect.Options{ReceiveBytes: 10, PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := wstest.Wait(t, pings, "the server's ping to fail"); err == nil {
		t.Fatal("a ping was answered with 16 bytes waiting for a 10-byte buffer")
	}
	got := readAll(t, c, 3)
	if string(got[0].Data) != "123456" || string(got[1].Data) != "abcdef" || string(got[2].Data) != big {
		t.Fatalf("read %s", texts(got))
	}
}

func TestGenerationsAcrossAReconnect(t *testing.T) {
	url := sendThen(t, []string{"a", "b"}, func(ctx context.Context, ws *websocket.Conn) {
		ws.Close(websocket.StatusGoingAway, "")
	})
	c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(readAll(t, c, 3)); got != "a@1 b@1 next@2" {
		t.Fatalf("read %s", got)
	}
}

func TestReadLimit(t *testing.T) {
	tests := []struct {
		name  string
		limit int64
		size  int
		ok    bool
	}{
		{"40 KiB snapshot under the default", 0, 40 << 10, true},
		{"1 MiB under the default", 0, 1 << 20, true},
		{"over the default", 0, 1<<20 + 1, false},
		{"over a set limit", 1000, 1001, false},
		{"no limit", -1, 2 << 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := sendThen(t, []string{strings.Repeat("s", tt.size)}, func(context.Context, *websocket.Conn) {})
			c, _, err := wstest.Dial(t, url, &reconnect.Options{ReadLimit: tt.limit, PingInterval: -1}, true)
			if err != nil {
				t.Fatal(err)
			}
			m, err := c.ReadMessage(wstest.Context(t))
			if tt.ok {
				if err != nil || len(m.Data) != tt.size {
					t.Fatalf("read %d bytes, %v", len(m.Data), err)
				}
				return
			}
			if !errors.Is(err, reconnect.ErrTerminal) || websocket.CloseStatus(err) != websocket.StatusMessageTooBig ||
				!strings.Contains(err.Error(), "Options.ReadLimit") {
				t.Fatalf("Read = %v; want terminal 1009 naming Options.ReadLimit", err)
			}
		})
	}
}
