package reconnect_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestResendAfterReconnect: what the first connection took and never
// acknowledged goes out again on the next, with the same ids and marked
// as resends, after OnConnect and before the send buffer; a Send made
// during the outage follows the resends, and the buffered Write comes
// last.
func TestResendAfterReconnect(t *testing.T) {
	got := make(chan string, 16)
	release := make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce() // a failed test must not leave the handler waiting
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 2 {
			<-release // the outage lasts until the test has queued
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for i := 0; ; i++ {
			f, err := readFrame(r.Context(), ws)
			if err != nil {
				return
			}
			got <- f.String()
			switch {
			case n == 1 && i == 2: // hello, a and b read, none acked
				ws.Close(websocket.StatusServiceRestart, "")
				return
			case n == 2 && f.id != 0:
				ws.Write(r.Context(), websocket.MessageText, fmt.Appendf(nil, "ack %d", f.id))
			}
		}
	})
	onConnect := func(ctx context.Context, ws *websocket.Conn) error {
		return ws.Write(ctx, websocket.MessageText, []byte("hello"))
	}
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: lineCodec{}, OnConnect: onConnect}, true)
	if err != nil {
		t.Fatal(err)
	}
	if s := recv(t, got, "hello"); s != "0|false|hello" {
		t.Fatalf("server read %q first", s)
	}
	r1, r2 := sendText(t, c, "a"), sendText(t, c, "b")
	recv(t, got, "a")
	recv(t, got, "b")
	rec.Next(t, reconnect.EventDisconnected)
	r3 := sendText(t, c, "c") // while the next handshake waits
	if err := c.Write(context.Background(), websocket.MessageText, []byte("w")); err != nil {
		t.Fatal(err)
	}
	releaseOnce()
	var seq []string
	for range 5 {
		seq = append(seq, recv(t, got, "the next connection's frames"))
	}
	want := []string{"0|false|hello", "1|true|a", "2|true|b", "3|false|c", "0|false|w"}
	if !slices.Equal(seq, want) {
		t.Fatalf("second connection read %q; want %q", seq, want)
	}
	for _, r := range []*reconnect.Receipt{r1, r2, r3} {
		if f := wait(t, r); f != reconnect.FateAcked {
			t.Errorf("receipt %d: %v, want acked", r.ID(), f)
		}
	}
}

// TestFatesWhenTheConnEnds: a message written and never acknowledged is
// unconfirmed, one that never went out unsent, both with the Conn's end
// as Err; OnFate may call Close, and Send after the end fails.
func TestFatesWhenTheConnEnds(t *testing.T) {
	got := make(chan string, 16)
	release := make(chan struct{})
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 2 {
			<-release
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		f, err := readFrame(r.Context(), ws)
		if err != nil {
			return
		}
		got <- f.String()
		ws.Close(websocket.StatusServiceRestart, "")
	})
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: lineCodec{}}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer close(release)
	closed := make(chan error, 2)
	onFate := func(r *reconnect.Receipt) { closed <- c.Close(websocket.StatusNormalClosure, "") }
	r1, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("a"), OnFate: onFate})
	if err != nil {
		t.Fatal(err)
	}
	recv(t, got, "a")
	rec.Next(t, reconnect.EventDisconnected)
	r2, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("b"), OnFate: onFate})
	if err != nil {
		t.Fatal(err)
	}
	wstest.ReturnsWithin(t, "CloseNow", func() { c.CloseNow() })
	for r, want := range map[*reconnect.Receipt]reconnect.Fate{r1: reconnect.FateUnconfirmed, r2: reconnect.FateUnsent} {
		if f := wait(t, r); f != want {
			t.Errorf("receipt %d: %v, want %v", r.ID(), f, want)
		}
		if !errors.Is(r.Err(), net.ErrClosed) {
			t.Errorf("receipt %d: Err = %v, want the Conn's end", r.ID(), r.Err())
		}
	}
	for range 2 {
		if err := wstest.Wait(t, closed, "Close from OnFate"); err == nil {
			t.Error("Close from OnFate after the end returned nil")
		}
	}
	if _, err := c.Send(context.Background(), reconnect.Outgoing{Data: []byte("c")}); err == nil {
		t.Error("Send after the end succeeded")
	}
	wstest.ReturnsWithin(t, "Done", func() { <-c.Done() })
}

// TestOnFateDuringTheFlush: a message the Codec cannot frame again after
// a reconnect is rejected while the Conn flushes; its OnFate may make a
// SendBlock Write, which goes out once the flush is over.
func TestOnFateDuringTheFlush(t *testing.T) {
	got := make(chan string, 16)
	url := serveFrames(t, got, func(n int, f frame) string {
		if n == 1 {
			return "close"
		}
		return ""
	})
	o := &reconnect.Options{PingInterval: -1, Codec: lineCodec{}, SendMode: reconnect.SendBlock}
	c, _, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	wrote := make(chan error, 1)
	r, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("no resend"), OnFate: func(*reconnect.Receipt) {
		wrote <- c.Write(context.Background(), websocket.MessageText, []byte("after"))
	}})
	if err != nil {
		t.Fatal(err)
	}
	recv(t, got, "the first write")
	if f := wait(t, r); f != reconnect.FateRejected {
		t.Fatalf("fate %v, want rejected: Encode refused the resend", f)
	}
	wstest.ReturnsWithin(t, "the Write from OnFate", func() { err = <-wrote })
	if err != nil {
		t.Fatalf("Write from OnFate = %v", err)
	}
	if s := recv(t, got, "the Write from OnFate"); s != "0|false|after" {
		t.Fatalf("server read %q", s)
	}
}
