package reconnect_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// The application matrix, continued: hooks that are slow or ignore their
// ctx, Dialers that return odd things, and contexts that are already done.

const matrixDialTimeout = 200 * time.Millisecond

// ackServer answers each connection's "hello" with "ack", except the
// connections listed in silent, where it never answers (and says so on
// hushed); it closes the connections listed in drop with 1001 once they
// are up. It reports each connection's end on ended.
func ackServer(t *testing.T, silent, drop map[int]bool) (url string, hushed, ended <-chan int) {
	hush, end := make(chan int, 16), make(chan int, 16)
	url, _ = wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		defer func() { end <- n }()
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx := r.Context()
		if _, _, err := ws.Read(ctx); err != nil {
			return
		}
		if silent[n] {
			hush <- n
			drain(ctx, ws)
			return
		}
		if ws.Write(ctx, websocket.MessageText, []byte("ack")) != nil {
			return
		}
		if drop[n] {
			ws.Close(websocket.StatusGoingAway, "")
			return
		}
		wstest.Echo(ctx, ws)
	})
	return url, hush, end
}

// authOnConnect sends "hello" and waits for "ack", reading with readCtx's
// result rather than the attempt's ctx when set (a hook that ignores it).
func authOnConnect(readCtx func(context.Context) context.Context) func(context.Context, *websocket.Conn) error {
	return func(ctx context.Context, ws *websocket.Conn) error {
		if err := ws.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
			return err
		}
		_, p, err := ws.Read(readCtx(ctx))
		if err == nil && string(p) != "ack" {
			err = errors.New("no ack")
		}
		return err
	}
}

// timeOutAttempt moves clock over the attempt timeout once the server has
// gone silent on a connection.
func timeOutAttempt(clock *fakeclock.Clock, hushed <-chan int) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	select {
	case <-hushed:
	case <-ctx.Done():
		return
	}
	if clock.WaitTimer(ctx, matrixDialTimeout) {
		clock.Advance(matrixDialTimeout)
	}
}

func TestSlowOrDeafOnConnectIsRetried(t *testing.T) {
	own := func(ctx context.Context) context.Context { return ctx }
	deaf := func(context.Context) context.Context { return context.Background() }
	tests := []struct {
		name         string
		silent, drop map[int]bool
		readCtx      func(context.Context) context.Context
		timedOut     int // the attempt that must time out and be retried
	}{
		{"ack late in the first Dial", map[int]bool{1: true}, nil, own, 1},
		{"ack late after a 1001", map[int]bool{2: true}, map[int]bool{1: true}, own, 2},
		{"hook ignoring its ctx in the first Dial", map[int]bool{1: true}, nil, deaf, 1},
		{"hook ignoring its ctx after a 1001", map[int]bool{2: true}, map[int]bool{1: true}, deaf, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, hushed, _ := ackServer(t, tt.silent, tt.drop)
			clock := fakeclock.New(wstest.Epoch)
			rec := wstest.NewRecorder(clock, true)
			go timeOutAttempt(clock, hushed)
			o := &reconnect.Options{Clock: clock, Observer: rec, DialTimeout: matrixDialTimeout, PingInterval: -1,
				OnConnect: authOnConnect(tt.readCtx)}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := reconnect.Dial(ctx, url, o)
			if err != nil {
				t.Fatalf("Dial = %v", err)
			}
			defer c.CloseNow()
			for {
				e := rec.Next(t, reconnect.EventAttemptDone)
				if e.Attempt != tt.timedOut || e.Err == nil {
					continue
				}
				if !e.Decision.Retry() || e.Decision.Label != "timeout" {
					t.Fatalf("timed-out attempt %d: %v (%v), want a retried timeout", e.Attempt, e.Decision, e.Err)
				}
				break
			}
			if up := rec.Next(t, reconnect.EventConnected); up.Attempt != tt.timedOut+1 {
				t.Fatalf("connected on attempt %d, want %d", up.Attempt, tt.timedOut+1)
			}
		})
	}
}

func TestDialerReturns(t *testing.T) {
	tests := []struct {
		name   string
		dialer func(url string, n int) (*websocket.Conn, *http.Response, error)
		label  string
	}{
		{"no connection and no error", func(string, int) (*websocket.Conn, *http.Response, error) {
			return nil, nil, nil
		}, reconnect.LabelDialer},
		{"a connection and an error", func(url string, _ int) (*websocket.Conn, *http.Response, error) {
			ws, resp, err := websocket.Dial(context.Background(), url, nil)
			if err != nil {
				return nil, nil, err
			}
			return ws, resp, errors.New("post-dial check failed")
		}, reconnect.LabelDialer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, _, ended := ackServer(t, nil, nil)
			calls := 0
			o := &reconnect.Options{PingInterval: -1, OnConnect: authOnConnect(func(ctx context.Context) context.Context { return ctx }),
				Dialer: func(ctx context.Context, u string, opts *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
					if calls++; calls == 1 {
						return tt.dialer(u, calls)
					}
					return websocket.Dial(ctx, u, opts)
				}}
			c, rec, err := wstest.Dial(t, url, o, true)
			if err != nil {
				t.Fatalf("Dial = %v", err)
			}
			first := rec.Events()[1]
			if first.Kind != reconnect.EventAttemptDone || !first.Decision.Retry() || first.Decision.Label != tt.label || first.Status != 0 {
				t.Fatalf("first attempt: %v %v status %d (%v); want a retried %s", first.Kind, first.Decision, first.Status, first.Err, tt.label)
			}
			if tt.name == "a connection and an error" {
				select {
				case n := <-ended: // the Conn closed the connection it did not use
					if n != 1 {
						t.Fatalf("connection %d ended first", n)
					}
				case <-time.After(20 * time.Second):
					t.Fatal("the Dialer's connection was never closed")
				}
			}
			c.CloseNow()
		})
	}
}

func TestDeafDialerIsAbandonedAndItsConnectionClosed(t *testing.T) {
	url, _, ended := ackServer(t, nil, nil)
	clock := fakeclock.New(wstest.Epoch)
	rec := wstest.NewRecorder(clock, true)
	late, deaf := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32 // an abandoned call overlaps the next
	o := &reconnect.Options{Clock: clock, Observer: rec, DialTimeout: matrixDialTimeout, PingInterval: -1,
		OnConnect: authOnConnect(func(ctx context.Context) context.Context { return ctx }),
		Dialer: func(ctx context.Context, u string, opts *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
			if calls.Add(1) == 1 {
				close(deaf)
				<-late // ignores ctx, then connects all the same
				return websocket.Dial(context.Background(), u, opts)
			}
			return websocket.Dial(ctx, u, opts)
		}}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		select {
		case <-deaf: // the deaf call's attempt is the one timing out
		case <-ctx.Done():
			return
		}
		if clock.WaitTimer(ctx, matrixDialTimeout) {
			clock.Advance(matrixDialTimeout)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := reconnect.Dial(ctx, url, o)
	if err != nil {
		t.Fatalf("Dial = %v", err)
	}
	defer c.CloseNow()
	if up := rec.Next(t, reconnect.EventConnected); up.Attempt != 2 {
		t.Fatalf("connected on attempt %d", up.Attempt)
	}
	close(late)
	select {
	case <-ended: // the abandoned call's connection
	case <-time.After(20 * time.Second):
		t.Fatal("the abandoned Dialer's connection was never closed")
	}
}

func TestCanceledContexts(t *testing.T) {
	got := make(chan string, 128)
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		wstest.Collect(r.Context(), ws, got)
	})
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for range 50 {
		if err := c.Write(done, websocket.MessageText, []byte("never")); !errors.Is(err, context.Canceled) {
			t.Fatalf("Write with a canceled ctx = %v", err)
		}
		if err := c.Write(wstest.Context(t), websocket.MessageText, []byte("sent")); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := c.Read(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read with a canceled ctx = %v", err)
	}
	for range 50 {
		if m := wstest.Wait(t, got, "the server to get a message"); m != "sent" {
			t.Fatalf("server got %q", m)
		}
	}
	if n := rec.Count(reconnect.EventDisconnected); n != 0 || c.State() != reconnect.Connected {
		t.Fatalf("%d drops, state %v: a canceled ctx cost the shared connection", n, c.State())
	}
	if _, err := reconnect.Dial(done, url, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial with a canceled ctx = %v", err)
	}
}

func TestDialReturnsWhenItsCtxEndsDuringAHookThatIgnoresIt(t *testing.T) {
	url, _, _ := ackServer(t, nil, nil)
	release := make(chan struct{})
	entered := make(chan struct{})
	o := &reconnect.Options{PingInterval: -1, OnConnect: func(context.Context, *websocket.Conn) error {
		close(entered)
		<-release
		return nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-entered; cancel() }()
	var err error
	wstest.ReturnsWithin(t, "Dial", func() { _, err = reconnect.Dial(ctx, url, o) })
	var re *reconnect.Error
	if !errors.As(err, &re) || re.Kind != reconnect.KindCanceled || !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial = %v, want canceled", err)
	}
	close(release)
}

func TestCtxEndingWhileWaitingForAnotherWriterCostsOnlyThatWrite(t *testing.T) {
	const big = 32 << 20 // far more than the socket buffers: its Write blocks
	read := make(chan struct{})
	var smalls atomic.Int32
	gotBig := make(chan struct{})
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.SetReadLimit(-1)
		<-read // a peer that stopped reading, for now
		for {
			_, p, err := ws.Read(r.Context())
			if err != nil {
				return
			}
			if len(p) == big {
				close(gotBig)
				continue
			}
			smalls.Add(1)
		}
	})
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	bigDone := make(chan error, 1)
	go func() { bigDone <- c.Write(wstest.Context(t), websocket.MessageBinary, make([]byte, big)) }()
	var small int32
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		err := c.Write(ctx, websocket.MessageText, []byte("b"))
		cancel()
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Write behind a stuck writer = %v", err)
			}
			break
		}
		small++ // went ahead of the big one
	}
	close(read)
	if err := wstest.Wait(t, bigDone, "the big Write to return"); err != nil {
		t.Fatalf("the big Write = %v", err)
	}
	wstest.Wait(t, gotBig, "the server to get the big message")
	// A last write behind everything: once it arrives, all before it have.
	if err := c.Write(wstest.Context(t), websocket.MessageText, []byte("b")); err != nil {
		t.Fatal(err)
	}
	wstest.ReturnsWithin(t, "the last write", func() {
		for smalls.Load() < small+1 {
			runtime.Gosched()
		}
	})
	if n := rec.Count(reconnect.EventDisconnected); n != 0 || c.State() != reconnect.Connected {
		t.Fatalf("%d drops, state %v: a ctx that ended while waiting cost the connection", n, c.State())
	}
	if n := smalls.Load(); n != small+1 {
		t.Fatalf("the server got %d small writes, want %d: the one whose ctx ended went out", n, small+1)
	}
}
