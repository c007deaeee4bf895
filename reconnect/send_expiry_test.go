package reconnect_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestBlockedSendExpires: in SendBlock mode a Write, WriteUntil or Send
// that waits (for a connection, or for room among the tracked messages)
// stops waiting at its deadline: the caller learns it expired, EventExpired
// counts it, and it is never written afterwards.
func TestBlockedSendExpires(t *testing.T) {
	const d = 90 * time.Second // no other timer of the Conn has this length
	type call func(c *reconnect.Conn, deadline time.Time) (*reconnect.Receipt, error)
	write := func(c *reconnect.Conn, _ time.Time) (*reconnect.Receipt, error) {
		return nil, c.Write(context.Background(), websocket.MessageText, []byte("late"))
	}
	writeUntil := func(c *reconnect.Conn, deadline time.Time) (*reconnect.Receipt, error) {
		return nil, c.WriteUntil(context.Background(), deadline, websocket.MessageText, []byte("late"))
	}
	send := func(c *reconnect.Conn, deadline time.Time) (*reconnect.Receipt, error) {
		return c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte("late"), Deadline: deadline})
	}
	for _, tc := range []struct {
		name   string
		down   bool // wait for a connection; else for room (TrackMessages 1)
		expiry time.Duration
		call   call
	}{
		{"Write/down/Expiry", true, d, write},
		{"WriteUntil/down", true, 0, writeUntil},
		{"Send/down", true, 0, send},
		{"Send/down/Expiry", true, d, func(c *reconnect.Conn, _ time.Time) (*reconnect.Receipt, error) {
			return send(c, time.Time{})
		}},
		{"Send/tracker full", false, 0, send},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan string, 16)
			release := make(chan struct{})
			releaseOnce := sync.OnceFunc(func() { close(release) })
			defer releaseOnce()
			o := &reconnect.Options{PingInterval: -1, DialTimeout: -1, AckTimeout: -1, Codec: lineCodec{},
				SendMode: reconnect.SendBlock, Expiry: tc.expiry, TrackMessages: 1}
			var url string
			if tc.down {
				url = serveOutage(t, got, release)
			} else {
				url = serveFrames(t, got, func(int, frame) string { return "" }) // never acks
			}
			c, rec, err := wstest.Dial(t, url, o, true)
			if err != nil {
				t.Fatal(err)
			}
			if tc.down {
				rec.Next(t, reconnect.EventDisconnected)
				rec.Next(t, reconnect.EventAttempt) // held by the server: the clock stays put
			} else {
				sendText(t, c, "first") // takes the only place
				recv(t, got, "first")
			}
			type result struct {
				r   *reconnect.Receipt
				err error
			}
			done := make(chan result, 1)
			deadline := rec.Clock.Now().Add(d)
			go func() {
				r, err := tc.call(c, deadline)
				done <- result{r, err}
			}()
			if !rec.Clock.WaitTimer(wstest.Context(t), d) {
				t.Fatalf("no timer for the deadline while the call waits; pending %v", rec.Clock.Pending())
			}
			rec.Clock.Advance(d)
			res := wstest.Wait(t, done, "the call to end at its deadline")
			if res.r == nil {
				if !errors.Is(res.err, reconnect.ErrExpired) {
					t.Fatalf("err %v, want ErrExpired", res.err)
				}
			} else if res.err != nil || res.r.Fate() != reconnect.FateExpired || !errors.Is(res.r.Err(), reconnect.ErrExpired) {
				t.Fatalf("Send = %v (fate %v, %v), want an expired receipt", res.err, res.r.Fate(), res.r.Err())
			}
			if e := rec.Next(t, reconnect.EventExpired); e.Dropped != 1 {
				t.Errorf("EventExpired.Dropped = %d, want 1", e.Dropped)
			}
			releaseOnce()
			if tc.down {
				rec.Next(t, reconnect.EventConnected)
			}
			if err := c.Write(context.Background(), websocket.MessageText, []byte("probe")); err != nil {
				t.Fatal(err)
			}
			if s, want := recv(t, got, "the probe"), fmt.Sprint(frame{data: "probe"}); s != want {
				t.Fatalf("server read %q, want %q: the expired message went out", s, want)
			}
		})
	}
}
