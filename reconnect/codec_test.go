package reconnect_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestHostileDeliveryHooks: a Codec or OnFate that panics ends the Conn
// with a *PanicError naming it, and every receipt still gets its fate.
func TestHostileDeliveryHooks(t *testing.T) {
	tests := []struct {
		name  string
		codec lineCodec
		fate  func(*reconnect.Receipt)
		hook  string
	}{
		{"decode panics", lineCodec{onDecode: func(reconnect.Message) { panic("decode") }}, nil, "Codec"},
		{"encode panics", lineCodec{onEncode: func(id uint64) {
			if id == 2 {
				panic("encode")
			}
		}}, nil, "Codec"},
		{"OnFate panics", lineCodec{}, func(*reconnect.Receipt) { panic("fate") }, "OnFate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan string, 16)
			url := serveFrames(t, got, nil)
			c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: tt.codec}, false)
			if err != nil {
				t.Fatal(err)
			}
			r1, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("a"), OnFate: tt.fate})
			if err != nil {
				t.Fatal(err)
			}
			r2, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("b")})
			wstest.ReturnsWithin(t, "Done", func() { <-c.Done() })
			var p *reconnect.PanicError
			if !errors.As(c.Err(), &p) || p.Hook != tt.hook {
				t.Fatalf("Err = %v; want a PanicError of %s", c.Err(), tt.hook)
			}
			if f := wait(t, r1); f == reconnect.FatePending {
				t.Errorf("receipt 1 pending after the end")
			}
			if tt.name == "encode panics" && (err == nil || r2 != nil) {
				t.Errorf("Send with a panicking Encode = %v, %v; want an error and no receipt", r2, err)
			}
			if r2 != nil && wait(t, r2) == reconnect.FatePending {
				t.Errorf("receipt 2 pending after the end")
			}
		})
	}
}

// TestSlowCodecDoesNotWedgeClose: Close returns while Decode blocks on
// the reader; the Conn's last goroutine returns once Decode does.
func TestSlowCodecDoesNotWedgeClose(t *testing.T) {
	got := make(chan string, 16)
	url := serveFrames(t, got, nil)
	inside, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	codec := lineCodec{onDecode: func(reconnect.Message) {
		once.Do(func() { close(inside) })
		<-release
	}}
	c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: codec}, false)
	if err != nil {
		t.Fatal(err)
	}
	r := sendText(t, c, "a")
	wstest.Wait(t, inside, "Decode to block")
	wstest.ReturnsWithin(t, "Close with Decode blocked", func() { c.Close(websocket.StatusNormalClosure, "") })
	close(release)
	wstest.ReturnsWithin(t, "Done", func() { <-c.Done() })
	// The frame Decode held was the ack, read before the end: it counts.
	if f := wait(t, r); f != reconnect.FateAcked {
		t.Errorf("fate %v, want acked", f)
	}
}

// TestCodecErrors: a frame Decode fails on is delivered as it came and
// reported; a message Encode refuses fails Send and is not tracked.
func TestCodecErrors(t *testing.T) {
	got := make(chan string, 16)
	url := serveFrames(t, got, func(_ int, f frame) string { return "bad frame\nack 2" })
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: lineCodec{}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("unframable")}); err == nil {
		t.Fatal("Send of a message Encode refuses succeeded")
	}
	r := sendText(t, c, "a")
	recv(t, got, "a")
	if s, err := wstest.Read(t, c); err != nil || s != "bad frame" {
		t.Fatalf("Read = %q, %v; want the frame Decode failed on", s, err)
	}
	if e := rec.Next(t, reconnect.EventCodecError); e.Err == nil {
		t.Error("EventCodecError without Err")
	}
	if f := wait(t, r); f != reconnect.FateAcked || r.ID() != 2 {
		t.Errorf("receipt %d: %v; want 2 acked", r.ID(), f)
	}
}

// TestSendCtxAndBounds: a Send whose ctx has ended sends nothing; with
// TrackMessages reached SendBuffer refuses and SendBlock waits for an ack
// or its ctx.
func TestSendCtxAndBounds(t *testing.T) {
	tests := []struct {
		name string
		mode reconnect.SendMode
	}{
		{"buffer", reconnect.SendBuffer},
		{"block", reconnect.SendBlock},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan string, 16)
			acks := make(chan string, 4)
			url := serveFrames(t, got, func(_ int, f frame) string {
				if f.id == 9 { // the test's plain write, below
					return <-acks
				}
				return ""
			})
			c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: lineCodec{}, TrackMessages: 2, SendMode: tt.mode}, false)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if r, err := c.Send(ctx, reconnect.Outgoing{Data: []byte("x")}); err == nil || r != nil {
				t.Fatalf("Send with an ended ctx = %v, %v", r, err)
			}
			sendText(t, c, "a")
			r2 := sendText(t, c, "b")
			if r2.ID() != 2 {
				t.Fatalf("id %d after a cancelled Send, want 2", r2.ID())
			}
			recv(t, got, "a")
			recv(t, got, "b")
			if tt.mode == reconnect.SendBuffer {
				if _, err := c.Send(context.Background(), reconnect.Outgoing{Data: []byte("c")}); !errors.Is(err, reconnect.ErrBufferFull) {
					t.Fatalf("Send over TrackMessages = %v, want ErrBufferFull", err)
				}
				return
			}
			wctx, wcancel := context.WithCancel(context.Background())
			wcancel()
			if _, err := c.Send(wctx, reconnect.Outgoing{Data: []byte("c")}); !errors.Is(err, context.Canceled) {
				t.Fatalf("blocked Send with an ended ctx = %v", err)
			}
			done := make(chan *reconnect.Receipt)
			go func() { done <- sendText(t, c, "c") }()
			// c waits for room; the server acks 1 when it reads the plain
			// write "9|0|c" that follows.
			acks <- "ack 1"
			select {
			case <-done:
				t.Fatal("Send did not wait for room")
			default:
			}
			if err := c.Write(context.Background(), websocket.MessageText, []byte(fmt.Sprintf("%d|0|c", 9))); err != nil {
				t.Fatal(err)
			}
			r3 := wstest.Wait(t, done, "the Send that waited for room")
			if r3.ID() != 3 {
				t.Errorf("id %d, want 3", r3.ID())
			}
		})
	}
}

// TestSendRacesClose: Sends racing Close each return an error or a
// receipt, and every receipt gets exactly one fate.
func TestSendRacesClose(t *testing.T) {
	got := make(chan string, 1024)
	url := serveFrames(t, got, nil)
	c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: lineCodec{}}, false)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	rs := make(chan *reconnect.Receipt, 400)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				r, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("m")})
				if err != nil {
					return
				}
				rs <- r
			}
		}()
	}
	wstest.ReturnsWithin(t, "Close", func() { c.Close(websocket.StatusNormalClosure, "") })
	wstest.WaitGroup(t, &wg, "the Sends to return after Close")
	close(rs)
	for r := range rs {
		if f := wait(t, r); f == reconnect.FatePending || f == reconnect.FateRejected || f == reconnect.FateExpired {
			t.Errorf("receipt %d: %v", r.ID(), f)
		}
	}
}

// TestCloseFromOnFate: OnFate runs on the reader goroutine when the ack
// arrives, and may write and close the Conn there.
func TestCloseFromOnFate(t *testing.T) {
	got := make(chan string, 16)
	url := serveFrames(t, got, nil)
	c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: lineCodec{}}, false)
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	_, err = c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("a"), OnFate: func(r *reconnect.Receipt) {
		if err := c.Write(context.Background(), websocket.MessageText, []byte("bye")); err != nil {
			closed <- err
			return
		}
		closed <- c.Close(websocket.StatusNormalClosure, "")
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wstest.Wait(t, closed, "Write and Close from OnFate"); err != nil {
		t.Fatalf("Write or Close from OnFate = %v", err)
	}
	wstest.ReturnsWithin(t, "Done", func() { <-c.Done() })
	if !errors.Is(c.Err(), net.ErrClosed) {
		t.Fatalf("Err = %v, want closed", c.Err())
	}
	recv(t, got, "a")
	if s := recv(t, got, "bye"); s != "0|false|bye" {
		t.Errorf("server read %q, want the Write from OnFate", s)
	}
}

// TestSendBlockedInOnFateEndsWithClose: a SendBlock Send from OnFate
// that waits for room, which only the reader it blocks could make, ends
// when the Conn is closed, so the Conn's goroutines all return.
func TestSendBlockedInOnFateEndsWithClose(t *testing.T) {
	got := make(chan string, 16)
	url := serveFrames(t, got, func(_ int, f frame) string {
		if f.id == 1 {
			return "ack 1"
		}
		return ""
	})
	o := &reconnect.Options{PingInterval: -1, Codec: lineCodec{}, TrackMessages: 1, SendMode: reconnect.SendBlock}
	c, _, err := wstest.Dial(t, url, o, false)
	if err != nil {
		t.Fatal(err)
	}
	blocked := make(chan error, 1)
	_, err = c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("a"), OnFate: func(*reconnect.Receipt) {
		sendText(t, c, "b") // fills the tracker: b is never acked
		_, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("c")})
		blocked <- err
	}})
	if err != nil {
		t.Fatal(err)
	}
	recv(t, got, "a")
	recv(t, got, "b")
	wstest.ReturnsWithin(t, "Close", func() { c.Close(websocket.StatusNormalClosure, "") })
	wstest.ReturnsWithin(t, "Done", func() { <-c.Done() })
	if err := wstest.Wait(t, blocked, "the blocked Send to return"); err == nil {
		t.Error("the blocked Send succeeded after Close")
	}
}
