package reconnect_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// serveOutage starts a server whose first connection closes with 1012 at
// once and whose second waits for release before it accepts, then acks
// every tracked frame it reads and sends it to got.
func serveOutage(t *testing.T, got chan<- string, release <-chan struct{}) string {
	t.Helper()
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 2 {
			<-release
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		if n == 1 {
			ws.Close(websocket.StatusServiceRestart, "")
			return
		}
		for {
			f, err := readFrame(r.Context(), ws)
			if err != nil {
				return
			}
			got <- f.String()
			if ws.Write(r.Context(), websocket.MessageText, fmt.Appendf(nil, "ack %d", f.id)) != nil {
				return
			}
		}
	})
	return url
}

// TestSendWhileDown: without a connection Send follows SendMode as Write
// does: SendFail refuses with ErrNotConnected and tracks nothing,
// SendBlock waits for the next connection and goes out on it.
func TestSendWhileDown(t *testing.T) {
	for _, mode := range []reconnect.SendMode{reconnect.SendFail, reconnect.SendBlock} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			got := make(chan string, 16)
			release := make(chan struct{})
			releaseOnce := sync.OnceFunc(func() { close(release) })
			defer releaseOnce()
			url := serveOutage(t, got, release)
			o := &reconnect.Options{PingInterval: -1, Codec: lineCodec{}, SendMode: mode}
			c, rec, err := wstest.Dial(t, url, o, true)
			if err != nil {
				t.Fatal(err)
			}
			rec.Next(t, reconnect.EventDisconnected)
			if mode == reconnect.SendFail {
				r, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("x")})
				if !errors.Is(err, reconnect.ErrNotConnected) || r != nil {
					t.Fatalf("Send while down = %v, %v; want ErrNotConnected", r, err)
				}
				releaseOnce()
				rec.Next(t, reconnect.EventConnected)
			}
			done := make(chan *reconnect.Receipt, 1)
			go func() { done <- sendText(t, c, "a") }()
			releaseOnce()
			r := wstest.Wait(t, done, "the Send")
			if s := recv(t, got, "the Send"); s != "1|false|a" {
				t.Fatalf("server read %q; want the first id, once", s)
			}
			if f := wait(t, r); f != reconnect.FateAcked {
				t.Errorf("fate %v, want acked", f)
			}
		})
	}
}

// TestTrackBytes: TrackBytes bounds the unresolved sends; a message
// larger than the bound still goes into an empty tracker, and the next
// one is refused with ErrBufferFull in the modes that do not wait.
func TestTrackBytes(t *testing.T) {
	for _, mode := range []reconnect.SendMode{reconnect.SendBuffer, reconnect.SendFail} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			got := make(chan string, 16)
			url := serveFrames(t, got, func(int, frame) string { return "" }) // never acks
			o := &reconnect.Options{PingInterval: -1, Codec: lineCodec{}, TrackBytes: 4, SendMode: mode}
			c, _, err := wstest.Dial(t, url, o, false)
			if err != nil {
				t.Fatal(err)
			}
			big := sendText(t, c, "larger than four")
			recv(t, got, "the large message")
			if _, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("a")}); !errors.Is(err, reconnect.ErrBufferFull) {
				t.Fatalf("Send over TrackBytes = %v, want ErrBufferFull", err)
			}
			c.CloseNow()
			if f := wait(t, big); f != reconnect.FateUnconfirmed {
				t.Errorf("fate %v, want unconfirmed", f)
			}
		})
	}
}

// TestWrittenMessageExpires: a tracked message written on a live
// connection whose deadline passes before its ack is expired, not
// unconfirmed, and is not resent after a reconnect.
func TestWrittenMessageExpires(t *testing.T) {
	got := make(chan string, 16)
	url := serveFrames(t, got, func(n int, f frame) string {
		if n == 1 {
			return "" // never acks
		}
		return fmt.Sprintf("ack %d", f.id)
	})
	o := &reconnect.Options{PingInterval: -1, Codec: lineCodec{}, AckTimeout: -1}
	c, rec, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("a"), Deadline: rec.Clock.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	recv(t, got, "a")
	ctx := wstest.Context(t)
	if !rec.Clock.WaitTimer(ctx, time.Minute) {
		t.Fatal("no expiry timer")
	}
	rec.Clock.Advance(time.Minute)
	if f := wait(t, r); f != reconnect.FateExpired || !errors.Is(r.Err(), reconnect.ErrExpired) {
		t.Fatalf("fate %v (%v), want expired", f, r.Err())
	}
	if e := rec.Next(t, reconnect.EventExpired); e.Dropped != 1 {
		t.Errorf("EventExpired.Dropped = %d, want 1", e.Dropped)
	}
	c.Reconnect()
	rec.Next(t, reconnect.EventConnected)
	probe := sendText(t, c, "probe")
	if s := recv(t, got, "the probe"); s != "2|false|probe" {
		t.Fatalf("next connection read %q first; the expired message went out again", s)
	}
	if f := wait(t, probe); f != reconnect.FateAcked {
		t.Errorf("probe %v, want acked", f)
	}
}

// resendBlocker is lineCodec with an Encode that blocks on a resend until
// release closes.
type resendBlocker struct {
	lineCodec
	inside  func()
	release chan struct{}
}

func (b resendBlocker) Encode(id uint64, m reconnect.Message, resend bool) (reconnect.Message, error) {
	if resend {
		b.inside()
		<-b.release
	}
	return b.lineCodec.Encode(id, m, resend)
}

// TestBlockingEncodeDoesNotWedgeClose: Close returns while Encode blocks
// in the resend after a reconnect; the receipt settles once Encode
// returns.
func TestBlockingEncodeDoesNotWedgeClose(t *testing.T) {
	got := make(chan string, 16)
	url := serveFrames(t, got, func(n int, f frame) string {
		if n == 1 {
			return "close"
		}
		return fmt.Sprintf("ack %d", f.id)
	})
	inside := make(chan struct{})
	codec := resendBlocker{inside: sync.OnceFunc(func() { close(inside) }), release: make(chan struct{})}
	c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: codec}, true)
	if err != nil {
		t.Fatal(err)
	}
	r := sendText(t, c, "a")
	recv(t, got, "a")
	wstest.Wait(t, inside, "the resend's Encode")
	wstest.ReturnsWithin(t, "Close with Encode blocked", func() { c.Close(websocket.StatusNormalClosure, "") })
	close(codec.release)
	wstest.ReturnsWithin(t, "Done", func() { <-c.Done() })
	if f := wait(t, r); f != reconnect.FateUnconfirmed {
		t.Errorf("fate %v, want unconfirmed", f)
	}
}
