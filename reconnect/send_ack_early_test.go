package reconnect_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// gatePacer is a WritePacer whose waits the test lets through: one per
// token on gate, all once gate is closed. entered receives as a wait
// starts.
type gatePacer struct{ entered, gate chan struct{} }

func (g gatePacer) Wait(ctx context.Context) error {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	select {
	case <-g.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestAckBeforeWrite: an ack that comes for a tracked message while it
// still waits for the WritePacer does not settle it when the server cannot
// have it yet (a live Send, a buffered Send flushed on reconnect): the
// message is written and waits for an ack that comes after it. A message
// written on an earlier connection may be acknowledged before its resend
// goes out, since the server may have it; the resend is then skipped.
func TestAckBeforeWrite(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   reconnect.SendMode
		resent bool // written on a first connection that then closed
	}{
		{"live Send", reconnect.SendBlock, false},
		{"buffered Send flushed", reconnect.SendBuffer, false},
		{"resend", reconnect.SendBlock, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan string, 16)
			push := make(chan string, 4)
			release := make(chan struct{})
			releaseOnce := sync.OnceFunc(func() { close(release) })
			defer releaseOnce()
			twoConns := tc.mode == reconnect.SendBuffer || tc.resent
			url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n > 1 {
					<-release
				}
				ws, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				defer ws.CloseNow()
				if twoConns && n == 1 {
					if tc.resent {
						if f, err := readFrame(r.Context(), ws); err == nil {
							got <- f.String()
						}
					}
					ws.Close(websocket.StatusServiceRestart, "")
					return
				}
				go func() {
					for {
						select {
						case l := <-push:
							ws.Write(r.Context(), websocket.MessageText, []byte(l))
						case <-r.Context().Done():
							return
						}
					}
				}()
				for {
					f, err := readFrame(r.Context(), ws)
					if err != nil {
						return
					}
					got <- f.String()
				}
			})
			p := gatePacer{entered: make(chan struct{}, 16), gate: make(chan struct{})}
			o := &reconnect.Options{PingInterval: -1, AckTimeout: -1, Codec: lineCodec{}, WritePacer: p, SendMode: tc.mode}
			if tc.mode != reconnect.SendBuffer {
				releaseOnce()
			}
			c, rec, err := wstest.Dial(t, url, o, true)
			if err != nil {
				t.Fatal(err)
			}
			var r *reconnect.Receipt
			done := make(chan *reconnect.Receipt, 1)
			if tc.mode == reconnect.SendBuffer {
				rec.Next(t, reconnect.EventDisconnected)
				r = sendText(t, c, "a") // tracked while down
				releaseOnce()
			} else {
				go func() {
					r, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("a")})
					if err != nil {
						t.Errorf("Send: %v", err)
					}
					done <- r
				}()
			}
			wstest.Wait(t, p.entered, "the pacer before the first write")
			if tc.resent {
				p.gate <- struct{}{}
				recv(t, got, "a on the first connection")
				wstest.Wait(t, p.entered, "the pacer before the resend")
			}
			push <- "ack 1"
			push <- "marker"
			if s, err := wstest.Read(t, c); s != "marker" || err != nil {
				t.Fatalf("Read = %q, %v; want the marker after the ack", s, err)
			}
			close(p.gate)
			if r == nil {
				r = wstest.Wait(t, done, "the Send")
			}
			if tc.resent {
				if f := wait(t, r); f != reconnect.FateAcked {
					t.Fatalf("fate %v, want acked by the ack that came before the resend", f)
				}
				if err := c.Write(context.Background(), websocket.MessageText, []byte("probe")); err != nil {
					t.Fatal(err)
				}
				if s, want := recv(t, got, "the probe"), fmt.Sprint(frame{data: "probe"}); s != want {
					t.Fatalf("server read %q, want %q: an acknowledged message went out again", s, want)
				}
				return
			}
			if s := recv(t, got, "a"); s != "1|false|a" {
				t.Fatalf("server read %q, want the first write of id 1", s)
			}
			if f := r.Fate(); f != reconnect.FatePending {
				t.Fatalf("fate %v before the server answered the write, want pending: the early ack counted", f)
			}
			push <- "ack 1"
			if f := wait(t, r); f != reconnect.FateAcked {
				t.Fatalf("fate %v after the ack, want acked", f)
			}
		})
	}
}

// TestUnsentWhilePaced: a buffered Send given to a new connection but
// still waiting for the WritePacer when the Conn closes was never written:
// its fate is unsent, not unconfirmed.
func TestUnsentWhilePaced(t *testing.T) {
	got := make(chan string, 16)
	release := make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce()
	url := serveOutage(t, got, release)
	p := gatePacer{entered: make(chan struct{}, 16), gate: make(chan struct{})}
	o := &reconnect.Options{PingInterval: -1, AckTimeout: -1, Codec: lineCodec{}, WritePacer: p}
	c, rec, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	rec.Next(t, reconnect.EventDisconnected)
	r := sendText(t, c, "a")
	releaseOnce()
	wstest.Wait(t, p.entered, "the pacer before the flush writes a")
	c.CloseNow()
	if f := wait(t, r); f != reconnect.FateUnsent {
		t.Fatalf("fate %v, want unsent: it never left the pacer", f)
	}
}
