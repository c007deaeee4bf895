package reconnect_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// A Wait whose ctx cannot end reads the connection itself in Read mode.
// These tests pin down what that must not change: every message reaches
// Read once and in order, and the hooks it runs keep their contract.

// onWait reports whether the caller runs on a Wait's goroutine.
func onWait() bool {
	buf := make([]byte, 8<<10)
	return strings.Contains(string(buf[:runtime.Stack(buf, false)]), "awaitFate")
}

// serveLagged answers tracked message i only when message i+1 arrives, so
// that each Wait starts before its ack does; before ack i it sends
// data(i) lines (none if empty). "close" closes with 1012.
func serveLagged(t *testing.T, data func(n int, id uint64) []string) string {
	t.Helper()
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		var last uint64
		for {
			f, err := readFrame(r.Context(), ws)
			if err != nil {
				return
			}
			if f.id == 0 {
				continue
			}
			if last != 0 {
				for _, line := range data(n, last) {
					if line == "close" {
						ws.Close(websocket.StatusServiceRestart, "")
						return
					}
					if ws.Write(r.Context(), websocket.MessageText, []byte(line)) != nil {
						return
					}
				}
				if ws.Write(r.Context(), websocket.MessageText, fmt.Appendf(nil, "ack %d", last)) != nil {
					return
				}
			}
			last = f.id
		}
	})
	return url
}

// sendWait sends tracked messages two at a time ahead of their Waits
// (serveLagged acks each when the next arrives) and returns the fates.
func sendWait(t *testing.T, c *reconnect.Conn, n int, stop func() bool) []reconnect.Fate {
	t.Helper()
	var fates []reconnect.Fate
	prev := sendText(t, c, "m1")
	for i := 2; i <= n+1 && !stop(); i++ {
		next, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: fmt.Appendf(nil, "m%d", i)})
		if err != nil {
			break // the Conn ended: the caller checks why
		}
		var f reconnect.Fate
		wstest.ReturnsWithin(t, "Wait", func() { f, _ = prev.Wait(context.Background()) })
		fates = append(fates, f)
		prev = next
	}
	return fates
}

// everyThird sends two messages before every third ack.
func everyThird(_ int, id uint64) []string {
	if id%3 != 1 {
		return nil
	}
	return []string{fmt.Sprintf("d%d.a", id), fmt.Sprintf("d%d.b", id)}
}

func everyThirdUpTo(n uint64) string {
	var want []string
	for id := uint64(1); id <= n; id++ {
		want = append(want, everyThird(0, id)...)
	}
	return strings.Join(want, " ")
}

// TestWaitReadsItself: after the first few round trips, the ack that
// settles a Wait is decoded on the Wait's own goroutine (no hand-off), and
// the messages it read wait in the buffer for Read, in order.
func TestWaitReadsItself(t *testing.T) {
	url := serveLagged(t, everyThird)
	var onWaits atomic.Int32
	codec := lineCodec{onDecode: func(m reconnect.Message) {
		if strings.HasPrefix(string(m.Data), "ack ") && onWait() {
			onWaits.Add(1)
		}
	}}
	c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: codec, ReceiveMessages: 256}, false)
	if err != nil {
		t.Fatal(err)
	}
	const n = 150
	for i, f := range sendWait(t, c, n, func() bool { return false }) {
		if f != reconnect.FateAcked {
			t.Fatalf("message %d: fate %v, want acked", i+1, f)
		}
	}
	if onWaits.Load() == 0 {
		t.Errorf("no ack of %d was decoded on a Wait's goroutine", n)
	}
	want := everyThirdUpTo(n)
	var read []string
	for range strings.Fields(want) {
		s, err := wstest.Read(t, c)
		if err != nil {
			t.Fatal(err)
		}
		read = append(read, s)
	}
	if got := strings.Join(read, " "); got != want {
		t.Errorf("Read got %s\nwant %s", got, want)
	}
}

// TestWaitsAndReadsTogether: a Read loop and Waits share the connection;
// every message reaches Read once, in order, and every send is acked.
func TestWaitsAndReadsTogether(t *testing.T) {
	url := serveLagged(t, everyThird)
	c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: lineCodec{}}, false)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1024)
	go func() {
		defer close(got)
		for {
			_, p, err := c.Read(context.Background())
			if err != nil {
				return
			}
			got <- string(p)
		}
	}()
	const n = 200
	for i, f := range sendWait(t, c, n, func() bool { return false }) {
		if f != reconnect.FateAcked {
			t.Fatalf("message %d: fate %v, want acked", i+1, f)
		}
	}
	c.Close(websocket.StatusNormalClosure, "")
	var read []string
	for s := range got {
		read = append(read, s)
	}
	if got, want := strings.Join(read, " "), everyThirdUpTo(n); got != want {
		t.Errorf("Read got %s\nwant %s", got, want)
	}
}

// TestWaitAcrossAReconnect: the connection a Wait reads ends with 1012;
// the message is written again on the next one and the Wait gets its ack.
func TestWaitAcrossAReconnect(t *testing.T) {
	url := serveLagged(t, func(n int, id uint64) []string {
		if n == 1 && id == 20 {
			return []string{"close"}
		}
		return nil
	})
	o := &reconnect.Options{PingInterval: -1, Codec: lineCodec{}}
	o.Policy.Backoff.Initial = -1
	c, _, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range sendWait(t, c, 40, func() bool { return false }) {
		if f != reconnect.FateAcked {
			t.Fatalf("message %d: fate %v, want acked", i+1, f)
		}
	}
}

// TestHooksOnAWait: Decode and OnFate run on a Wait's goroutine once it
// reads; what they do there keeps the contract of every hook.
func TestHooksOnAWait(t *testing.T) {
	type act func(c *reconnect.Conn)
	rows := []struct {
		name, hook string // hook: where act runs, "Codec" or "OnFate"
		act        act
		panics     bool
	}{
		{"Decode panics", "Codec", func(*reconnect.Conn) { panic("decode") }, true},
		{"OnFate panics", "OnFate", func(*reconnect.Conn) { panic("fate") }, true},
		{"Decode calls Close", "Codec", func(c *reconnect.Conn) { c.Close(websocket.StatusNormalClosure, "") }, false},
		{"OnFate calls Close", "OnFate", func(c *reconnect.Conn) { c.Close(websocket.StatusNormalClosure, "") }, false},
		{"OnFate calls CloseNow", "OnFate", func(c *reconnect.Conn) { c.CloseNow() }, false},
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := serveLagged(t, func(int, uint64) []string { return nil })
			var c *reconnect.Conn
			ready := make(chan struct{})
			var fired atomic.Bool
			var once sync.Once
			run := func() {
				if onWait() {
					once.Do(func() {
						fired.Store(true)
						<-ready
						tt.act(c)
					})
				}
			}
			codec := lineCodec{}
			if tt.hook == "Codec" {
				codec.onDecode = func(reconnect.Message) { run() }
			}
			c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: codec}, false)
			if err != nil {
				t.Fatal(err)
			}
			close(ready)
			for range 200 {
				r, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("x"),
					OnFate: func(*reconnect.Receipt) {
						if tt.hook == "OnFate" {
							run()
						}
					}})
				if err != nil {
					break
				}
				sendText(t, c, "push") // its frame makes the server ack r
				wstest.ReturnsWithin(t, "Wait", func() { r.Wait(context.Background()) })
				if fired.Load() {
					break
				}
			}
			if !fired.Load() {
				t.Fatalf("%s never ran on a Wait's goroutine", tt.hook)
			}
			wstest.ReturnsWithin(t, "Done", func() { <-c.Done() })
			var p *reconnect.PanicError
			if got := errors.As(c.Err(), &p) && p.Hook == tt.hook; got != tt.panics {
				t.Fatalf("Err = %v; want a PanicError of %s: %v", c.Err(), tt.hook, tt.panics)
			}
		})
	}
}

// TestBlockedDecodeOnAWait: Close returns while Decode blocks on a Wait's
// goroutine; the Wait returns with a fate once Decode does.
func TestBlockedDecodeOnAWait(t *testing.T) {
	url := serveLagged(t, func(int, uint64) []string { return nil })
	inside, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	codec := lineCodec{onDecode: func(reconnect.Message) {
		if onWait() {
			once.Do(func() { close(inside) })
			<-release // ignores every ctx
		}
	}}
	c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: codec}, false)
	if err != nil {
		t.Fatal(err)
	}
	loop := make(chan []reconnect.Fate, 1)
	go func() {
		loop <- sendWait(t, c, 200, func() bool {
			select {
			case <-inside:
				return true
			default:
				return false
			}
		})
	}()
	wstest.Wait(t, inside, "Decode on a Wait's goroutine")
	wstest.ReturnsWithin(t, "Close while Decode blocks on a Wait", func() { c.Close(websocket.StatusNormalClosure, "") })
	close(release)
	for i, f := range wstest.Wait(t, loop, "the Waits") {
		if f == reconnect.FatePending {
			t.Errorf("message %d: pending after the end", i+1)
		}
	}
	wstest.ReturnsWithin(t, "Done", func() { <-c.Done() })
}
