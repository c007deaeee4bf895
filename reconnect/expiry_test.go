package reconnect_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestAckTimeoutEndsTheConnection: a message the server read and never
// acknowledged ends the connection after AckTimeout, labelled
// ack_timeout, and goes out again, marked, on the next one.
func TestAckTimeoutEndsTheConnection(t *testing.T) {
	got := make(chan string, 16)
	url := serveFrames(t, got, func(n int, f frame) string {
		if n == 1 {
			return "" // never acks
		}
		return "ack 1"
	})
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: lineCodec{}, AckTimeout: 5 * time.Second}, true)
	if err != nil {
		t.Fatal(err)
	}
	r := sendText(t, c, "a")
	recv(t, got, "a")
	ctx, cancel := context.WithTimeout(context.Background(), wstest.Guard)
	defer cancel()
	if !rec.Clock.WaitTimer(ctx, 5*time.Second) {
		t.Fatal("no AckTimeout timer")
	}
	rec.Clock.Advance(5 * time.Second)
	if e := rec.Next(t, reconnect.EventDisconnected); e.Decision.Label != reconnect.LabelAckTimeout {
		t.Fatalf("ended %q, want %q", e.Decision.Label, reconnect.LabelAckTimeout)
	}
	if s := recv(t, got, "the resend"); s != "1|true|a" {
		t.Fatalf("next connection read %q", s)
	}
	if f := wait(t, r); f != reconnect.FateAcked {
		t.Errorf("fate %v, want acked", f)
	}
}

// TestExpiry: messages queued during an outage whose deadline passes are
// never written: a tracked one gets FateExpired at its deadline, a
// buffered one comes back from Undelivered marked Expired.
func TestExpiry(t *testing.T) {
	tests := []struct {
		name   string
		expiry time.Duration // Options.Expiry
		queue  func(c *reconnect.Conn, at time.Time) (*reconnect.Receipt, error)
	}{
		{"tracked, Outgoing.Deadline", 0, func(c *reconnect.Conn, at time.Time) (*reconnect.Receipt, error) {
			return c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("old"), Deadline: at.Add(time.Minute)})
		}},
		{"tracked, Options.Expiry", time.Minute, func(c *reconnect.Conn, _ time.Time) (*reconnect.Receipt, error) {
			return c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("old")})
		}},
		{"buffered, WriteUntil", 0, func(c *reconnect.Conn, at time.Time) (*reconnect.Receipt, error) {
			return nil, c.WriteUntil(context.Background(), at.Add(time.Minute), websocket.MessageText, []byte("old"))
		}},
		{"buffered, Options.Expiry", time.Minute, func(c *reconnect.Conn, _ time.Time) (*reconnect.Receipt, error) {
			return nil, c.Write(context.Background(), websocket.MessageText, []byte("old"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan string, 16)
			release := make(chan struct{})
			releaseOnce := sync.OnceFunc(func() { close(release) })
			defer releaseOnce()
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
				wstest.Collect(r.Context(), ws, got)
			})
			o := &reconnect.Options{PingInterval: -1, DialTimeout: -1, Codec: lineCodec{}, Expiry: tt.expiry}
			c, rec, err := wstest.Dial(t, url, o, true)
			if err != nil {
				t.Fatal(err)
			}
			rec.Next(t, reconnect.EventDisconnected)
			r, err := tt.queue(c, rec.Clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			fresh := rec.Clock.Now().Add(time.Hour)
			if err := c.WriteUntil(context.Background(), fresh, websocket.MessageText, []byte("fresh")); err != nil {
				t.Fatal(err)
			}
			if r != nil { // the tracker's timer settles it at the deadline
				ctx, cancel := context.WithTimeout(context.Background(), wstest.Guard)
				defer cancel()
				rec.Clock.WaitTimer(ctx, time.Minute)
			}
			rec.Clock.Advance(time.Minute)
			if r != nil {
				if f := wait(t, r); f != reconnect.FateExpired {
					t.Fatalf("fate %v, want expired", f)
				}
				if e := rec.Next(t, reconnect.EventExpired); e.Dropped != 1 {
					t.Errorf("EventExpired.Dropped = %d", e.Dropped)
				}
			}
			releaseOnce()
			if s := recv(t, got, "the first message after the outage"); s != "fresh" {
				t.Fatalf("server read %q first: an expired message went out", s)
			}
			if r == nil {
				if e := rec.Next(t, reconnect.EventExpired); e.Dropped != 1 {
					t.Errorf("EventExpired.Dropped = %d", e.Dropped)
				}
			}
			c.CloseNow()
			wstest.ReturnsWithin(t, "Done", func() { <-c.Done() }) // Undelivered is set by then
			u := c.Undelivered()
			switch {
			case r != nil && len(u) != 0:
				t.Errorf("Undelivered = %v; a tracked message has its receipt", u)
			case r == nil && (len(u) != 1 || !u[0].Expired || string(u[0].Data) != "old"):
				t.Errorf("Undelivered = %+v; want the old message, Expired", u)
			}
		})
	}
}
