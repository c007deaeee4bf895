package reconnect_test

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// stuckConn is a client socket whose writes, once hold is set, block until
// it is closed and its reader has seen the close: a ping stuck in the send
// path while the connection's reader races ahead.
type stuckConn struct {
	net.Conn
	hold                     atomic.Bool
	quick                    atomic.Bool // a held write fails at the close, not after the reader's
	held, closed, readFailed chan struct{}
	heldOnce, once, readOnce sync.Once
}

func newStuckConn() *stuckConn {
	return &stuckConn{held: make(chan struct{}), closed: make(chan struct{}), readFailed: make(chan struct{})}
}

func (s *stuckConn) Write(p []byte) (int, error) {
	if !s.hold.Load() {
		return s.Conn.Write(p)
	}
	s.heldOnce.Do(func() { close(s.held) })
	<-s.closed
	if s.quick.Load() {
		return 0, net.ErrClosed
	}
	select { // a guard, in case the reader never reads again
	case <-s.readFailed:
	case <-time.After(wstest.Guard):
	}
	return 0, net.ErrClosed
}

func (s *stuckConn) Read(p []byte) (int, error) {
	n, err := s.Conn.Read(p)
	if err != nil {
		select {
		case <-s.closed:
			s.readOnce.Do(func() { close(s.readFailed) })
		default:
		}
	}
	return n, err
}

func (s *stuckConn) Close() error {
	s.once.Do(func() { close(s.closed) })
	return s.Conn.Close()
}

// TestPingTimeoutDuringItsWriteIsThePingsEnd: coder/websocket closes the
// socket itself when a ping's ctx ends while its frame is being written,
// so the reader fails at once; the end must still be the missed pong, not
// the reader's "use of closed network connection".
func TestPingTimeoutDuringItsWriteIsThePingsEnd(t *testing.T) {
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		if ws, err := websocket.Accept(w, r, nil); err == nil {
			defer ws.CloseNow()
			drain(r.Context(), ws)
		}
	})
	c, rec, sc := dialStuck(t, url)
	defer c.CloseNow()
	sc.hold.Store(true)
	ctx := wstest.Context(t)
	wstest.PingTick(t, rec.Clock, 7*time.Second)
	wstest.Wait(t, sc.held, "the ping's write to be held")
	if !rec.Clock.WaitTimer(ctx, 3*time.Second) {
		t.Fatal("no pong timer")
	}
	rec.Clock.Advance(3 * time.Second)
	end := rec.Next(t, reconnect.EventDisconnected)
	if end.Decision.Code != websocket.StatusAbnormalClosure || !strings.Contains(end.Err.Error(), "no pong") {
		t.Fatalf("ended %v (%v), want 1006 from the missed pong", end.Decision, end.Err)
	}
}

// dialStuck dials url with a heartbeat of 7 s and a pong timeout of 3 s
// through a stuckConn.
func dialStuck(t *testing.T, url string) (*reconnect.Conn, *wstest.Recorder, *stuckConn) {
	t.Helper()
	sc := newStuckConn()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		sc.Conn = nc
		return sc, nil
	}}
	t.Cleanup(tr.CloseIdleConnections)
	o := &reconnect.Options{PingInterval: 7 * time.Second, PingTimeout: 3 * time.Second,
		Dialer: func(ctx context.Context, u string, d *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
			opts := &websocket.DialOptions{}
			if d != nil {
				*opts = *d
			}
			opts.HTTPClient = &http.Client{Transport: tr}
			return websocket.Dial(ctx, u, opts)
		}}
	c, rec, err := wstest.Dial(t, url, o, false)
	if err != nil {
		t.Fatal(err)
	}
	return c, rec, sc
}

// TestMessagesDuringAHeldPingWriteCountAsLife: a ping whose write is held
// up while messages arrive is spared when its pong timeout passes, and its
// ctx must not end then: coder/websocket would close the socket of a live
// connection. The wait goes on for another window instead; a window
// without life then ends the connection as the missed pong.
func TestMessagesDuringAHeldPingWriteCountAsLife(t *testing.T) {
	send := make(chan struct{})
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for range send {
			if ws.Write(context.Background(), websocket.MessageText, []byte("data")) != nil {
				return
			}
		}
	})
	t.Cleanup(func() { close(send) })
	c, rec, sc := dialStuck(t, url)
	defer c.CloseNow()
	// The reader, just back from a message, may see the end without
	// another read.
	sc.quick.Store(true)
	sc.hold.Store(true)
	ctx := wstest.Context(t)
	wstest.PingTick(t, rec.Clock, 7*time.Second)
	wstest.Wait(t, sc.held, "the ping's write to be held")
	for i := range 2 {
		nextPongWindow(t, ctx, rec, i)
		send <- struct{}{}
		if got, err := wstest.Read(t, c); got != "data" {
			t.Fatalf("window %d: read = %q, %v", i, got, err)
		}
		rec.Clock.Advance(3 * time.Second)
	}
	// Then nothing arrives: a window without life kills. The reader may
	// still have been handing the last message over to Read as the window
	// before it was armed, so that one may be spared too.
	ended := func() bool { return rec.Count(reconnect.EventDisconnected) > 0 }
	for w := 2; ; w++ {
		if !rec.Clock.WaitFor(ctx, func(p []time.Duration) bool { return slices.Contains(p, 3*time.Second) || ended() }) {
			t.Fatalf("window %d: neither a pong window nor a disconnect", w)
		}
		if ended() {
			break
		}
		if w == 4 {
			t.Fatalf("no disconnect after %d windows without data", w-2)
		}
		rec.Clock.Advance(3 * time.Second)
	}
	end := rec.Next(t, reconnect.EventDisconnected)
	if end.Decision.Code != websocket.StatusAbnormalClosure || !strings.Contains(end.Err.Error(), "no pong") {
		t.Fatalf("ended %v (%v), want 1006 from the missed pong", end.Decision, end.Err)
	}
}

// nextPongWindow waits for the pending ping's next pong window of 3 s, and
// fails if the connection ended instead.
func nextPongWindow(t *testing.T, ctx context.Context, rec *wstest.Recorder, i int) {
	t.Helper()
	ended := func() bool { return rec.Count(reconnect.EventDisconnected) > 0 }
	ok := rec.Clock.WaitFor(ctx, func(p []time.Duration) bool { return slices.Contains(p, 3*time.Second) || ended() })
	switch {
	case ended():
		end := rec.Next(t, reconnect.EventDisconnected)
		t.Fatalf("window %d: a live connection ended: %v (%v)", i, end.Decision, end.Err)
	case !ok:
		t.Fatalf("window %d: no pong window armed", i)
	}
}
