package reconnect_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// pipeServer answers each dial over net.Pipe, inside the test's synctest
// bubble: the first connection is closed with 1012, later ones echo.
type pipeServer struct {
	mu    sync.Mutex
	dials int
}

// hijacker hands websocket.Accept the server end of the pipe.
type hijacker struct {
	*httptest.ResponseRecorder
	conn net.Conn
}

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return h.conn, bufio.NewReadWriter(bufio.NewReader(h.conn), bufio.NewWriter(h.conn)), nil
}

func (s *pipeServer) RoundTrip(r *http.Request) (*http.Response, error) {
	client, server := net.Pipe()
	h := hijacker{httptest.NewRecorder(), server}
	ws, err := websocket.Accept(h, r, nil)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.dials++
	first := s.dials == 1
	s.mu.Unlock()
	go func() {
		if first {
			ws.Close(websocket.StatusServiceRestart, "restart")
			return
		}
		_ = wstestEcho(ws)
	}()
	resp := h.Result()
	resp.Body = client
	return resp, nil
}

func wstestEcho(ws *websocket.Conn) error {
	for {
		typ, msg, err := ws.Read(context.Background())
		if err != nil {
			return err
		}
		if err := ws.Write(context.Background(), typ, msg); err != nil {
			return err
		}
	}
}

// TestSynctestWithSystemClock checks what the package documentation
// promises under "Testing with time": with an in-memory network, a Conn on
// the default SystemClock runs in a synctest bubble, its backoff wait and
// heartbeats on the bubble's fake time.
func TestSynctestWithSystemClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var kinds []string
		second := make(chan struct{})
		srv := &pipeServer{}
		c, err := reconnect.Dial(t.Context(), "ws://example.com/ws", &reconnect.Options{
			DialOptions: &websocket.DialOptions{HTTPClient: &http.Client{Transport: srv}},
			Observer: reconnect.ObserverFunc(func(e reconnect.Event) {
				mu.Lock()
				kinds = append(kinds, e.Kind.String())
				mu.Unlock()
				if e.Kind == reconnect.EventConnected && e.Generation == 2 {
					close(second)
				}
			}),
		})
		if err != nil {
			t.Fatal(err)
		}
		// Every wait is bounded in fake time: a Conn whose timers kept
		// firing would otherwise move the bubble's clock for ever.
		select {
		case <-second:
		case <-time.After(time.Hour):
			t.Fatal("no second connection within an hour of fake time")
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		if err := c.Write(ctx, websocket.MessageText, []byte("hi")); err != nil {
			t.Fatal(err)
		}
		if _, msg, err := c.Read(ctx); err != nil || string(msg) != "hi" {
			t.Fatalf("Read = %q, %v; want the echo", msg, err)
		}
		time.Sleep(2 * time.Minute) // fake: four 30 s heartbeats
		c.Close(websocket.StatusNormalClosure, "bye")
		<-c.Done()
		mu.Lock()
		defer mu.Unlock()
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if srv.dials != 2 {
			t.Fatalf("%d dials, want 2 (the first closed with 1012)", srv.dials)
		}
		if n := len(slices.DeleteFunc(slices.Clone(kinds), func(k string) bool { return k != "heartbeat" })); n < 3 {
			t.Fatalf("%d heartbeats in two fake minutes, want at least 3; events %v", n, kinds)
		}
		if !slices.Contains(kinds, "waiting") {
			t.Fatalf("no backoff wait before the second connection; events %v", kinds)
		}
	})
}
