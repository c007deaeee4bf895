package reconnect_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// A Read whose ctx cannot end reads the connection itself once the Conn
// hands it the reader role, and gives the role back when it stops.

// steps is a server whose first connection runs one step per signal on
// go; later connections send "next" and echo.
func steps(t *testing.T, do ...func(ctx context.Context, ws *websocket.Conn)) (url string, step chan<- struct{}) {
	next := make(chan struct{})
	url, _ = wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
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
		drained := make(chan struct{})
		go func() { drain(ctx, ws); close(drained) }()
		for _, f := range do {
			select {
			case <-next:
			case <-drained:
				return
			}
			f(ctx, ws)
		}
		<-drained
	})
	return url, next
}

func send(s string) func(context.Context, *websocket.Conn) {
	return func(ctx context.Context, ws *websocket.Conn) { ws.Write(ctx, websocket.MessageText, []byte(s)) }
}

func waitRole(t *testing.T, c *reconnect.Conn, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for reconnect.Role(c) != want {
		if time.Now().After(deadline) {
			t.Fatalf("role %s, want %s", reconnect.Role(c), want)
		}
		runtime.Gosched()
	}
}

// goRead starts a Read with ctx and returns where its result goes.
func goRead(ctx context.Context, c *reconnect.Conn) <-chan reconnect.Message {
	out := make(chan reconnect.Message, 1)
	go func() {
		m, err := c.ReadMessage(ctx)
		if err != nil {
			m.Data = []byte("error: " + err.Error())
		}
		out <- m
	}()
	return out
}

func TestReadTakesTheReaderRoleAndTheConnTakesItBack(t *testing.T) {
	pings := make(chan error, 2)
	url, step := steps(t, send("a"),
		func(ctx context.Context, ws *websocket.Conn) { pings <- ping(ctx, ws, 300*time.Millisecond) },
		func(ctx context.Context, ws *websocket.Conn) { pings <- ping(ctx, ws, 10*time.Second) })
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	got := goRead(context.Background(), c)
	reconnect.WaitForReaders(c, 1)
	step <- struct{}{}
	if m := wstest.Wait(t, got, "the direct Read"); string(m.Data) != "a" {
		t.Fatalf("Read = %q", m.Data)
	}
	if r := reconnect.Role(c); r != "idle" {
		t.Fatalf("role after the hand-over: %s", r)
	}
	step <- struct{}{}
	if err := wstest.Wait(t, pings, "the server's ping to fail"); err == nil {
		t.Fatal("a ping was answered while the Read that holds the role was away")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if !rec.Clock.WaitTimer(ctx, reconnect.Lease) {
		t.Fatal("no lease timer")
	}
	rec.Clock.Advance(reconnect.Lease)
	waitRole(t, c, "conn")
	step <- struct{}{}
	if err := wstest.Wait(t, pings, "the server's ping once the Conn took the role back"); err != nil {
		t.Fatalf("ping once the Conn took the role back: %v", err)
	}
}

func TestTheConnectionEndsDuringADirectRead(t *testing.T) {
	tests := []struct {
		name  string
		end   func(c *reconnect.Conn, step chan<- struct{})
		label string
		then  string // what the Read in progress returns
	}{
		{"server closes with 1012", func(_ *reconnect.Conn, step chan<- struct{}) { step <- struct{}{} }, "close_1012", "next@2"},
		{"Reconnect", func(c *reconnect.Conn, _ chan<- struct{}) { c.Reconnect() }, reconnect.LabelReconnect, "next@2"},
		{"CloseNow", func(c *reconnect.Conn, _ chan<- struct{}) { c.CloseNow() }, reconnect.LabelClosed, "error: reconnect: closed: use of closed network connection@0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, step := steps(t, send("a"), func(ctx context.Context, ws *websocket.Conn) {
				ws.Close(websocket.StatusServiceRestart, "")
			})
			c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, true)
			if err != nil {
				t.Fatal(err)
			}
			first := goRead(context.Background(), c)
			reconnect.WaitForReaders(c, 1)
			step <- struct{}{}
			wstest.Wait(t, first, "the first Read")
			inProgress := goRead(context.Background(), c)
			waitRole(t, c, "read")
			tt.end(c, step)
			if d := rec.Next(t, reconnect.EventDisconnected).Decision; d.Label != tt.label {
				t.Fatalf("disconnect %v, want %s", d, tt.label)
			}
			if got := texts([]reconnect.Message{wstest.Wait(t, inProgress, "the Read in progress")}); got != tt.then {
				t.Fatalf("the Read in progress returned %s, want %s", got, tt.then)
			}
		})
	}
}

func TestDirectReadAnswersTheHeartbeat(t *testing.T) {
	url, step := steps(t, send("a"))
	o := &reconnect.Options{PingInterval: 7 * time.Second, PingTimeout: 3 * time.Second}
	c, rec, err := wstest.Dial(t, url, o, false)
	if err != nil {
		t.Fatal(err)
	}
	first := goRead(context.Background(), c)
	reconnect.WaitForReaders(c, 1)
	step <- struct{}{}
	wstest.Wait(t, first, "the first Read")
	goRead(context.Background(), c) // reads until the test ends
	waitRole(t, c, "read")
	for range 3 {
		wstest.PingTick(t, rec.Clock, 7*time.Second)
		// The pong is read by the Read in progress; had nobody read it,
		// the next wait would find the 3 s timeout instead.
	}
	if n := rec.Count(reconnect.EventDisconnected); n != 0 {
		t.Fatalf("%d disconnects: the direct reader did not see the pongs", n)
	}
}

func TestConcurrentReadsGetEveryMessageOnceInOrder(t *testing.T) {
	const total = 3000
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for i := range total {
			if ws.Write(r.Context(), websocket.MessageText, []byte(strconv.Itoa(i))) != nil {
				return
			}
			if i%100 == 0 {
				runtime.Gosched()
			}
		}
		ws.Close(websocket.StatusNormalClosure, "done")
	})
	c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	cancelable, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctxs := []context.Context{context.Background(), context.Background(), cancelable}
	got := make([][]int, len(ctxs))
	var wg sync.WaitGroup
	for i, ctx := range ctxs {
		wg.Go(func() {
			for {
				m, err := c.ReadMessage(ctx)
				if err != nil {
					return
				}
				n, _ := strconv.Atoi(string(m.Data))
				got[i] = append(got[i], n)
			}
		})
	}
	wstest.ReturnsWithin(t, "the readers", wg.Wait)
	var all []int
	for i, g := range got {
		if !slices.IsSorted(g) {
			t.Fatalf("reader %d got messages out of order", i)
		}
		all = append(all, g...)
	}
	slices.Sort(all)
	if len(all) != total || all[0] != 0 || all[total-1] != total-1 || len(slices.Compact(all)) != total {
		t.Fatalf("readers got %d messages (%d, %d, %d), want each of %d once", len(all), len(got[0]), len(got[1]), len(got[2]), total)
	}
	if !errors.Is(c.Err(), reconnect.ErrTerminal) {
		t.Fatalf("Err = %v, want the server's 1000", c.Err())
	}
}
