package centrifugo_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/codec/centrifugo"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

func send(t *testing.T, c *client, channel string, n int) *reconnect.Receipt {
	t.Helper()
	data, _ := json.Marshal(map[string]int{"n": n})
	r, err := c.conn.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: centrifugo.Publish(channel, data)})
	if err != nil {
		t.Fatalf("Send %d: %v", n, err)
	}
	return r
}

func wait(t *testing.T, r *reconnect.Receipt, what string) reconnect.Fate {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := r.Wait(ctx)
	if err != nil && f == reconnect.FatePending {
		t.Fatalf("%s: no fate within 10 s", what)
	}
	return f
}

// TestPublishAcked: every publish is acked by its reply, and the client's
// own publications come back in order with offsets 1, 2, ...
func TestPublishAcked(t *testing.T) {
	s := startServer(t)
	c := dial(t, s, "u-acks", []string{"rec:acks"})
	c.reply(t, "first subscribe")
	var rs []*reconnect.Receipt
	for n := 1; n <= 20; n++ {
		rs = append(rs, send(t, c, "rec:acks", n))
	}
	for i, r := range rs {
		if f := wait(t, r, "publish"); f != reconnect.FateAcked {
			t.Errorf("publish %d: fate %v (%v), want acked", i+1, f, r.Err())
		}
	}
	for n := 1; n <= 20; n++ {
		if p := c.next(t, "own publications"); p.n != n || p.offset != uint64(n) {
			t.Errorf("publication %d: got n=%d offset %d", n, p.n, p.offset)
		}
	}
}

// TestPublishRejected: a publish the server refuses (103) is a nack with
// the code and message; the connection serves the next publish.
func TestPublishRejected(t *testing.T) {
	s := startServer(t)
	c := dial(t, s, "u-nack", nil)
	r := send(t, c, "locked:x", 1)
	if f := wait(t, r, "refused publish"); f != reconnect.FateRejected || r.Err() == nil || !strings.Contains(r.Err().Error(), "103 permission denied") {
		t.Errorf("publish to a locked channel: fate %v, err %v; want rejected with 103 permission denied", f, r.Err())
	}
	if f := wait(t, send(t, c, "rec:after", 2), "publish after a nack"); f != reconnect.FateAcked {
		t.Errorf("publish after the nack: fate %v, want acked", f)
	}
}

// TestResumeAcrossDrops: the stream goes on while the client's TCP
// connection is cut five times; recovery gives every publication exactly
// once, in order, with no gap or reset reported.
func TestResumeAcrossDrops(t *testing.T) {
	s := startServer(t)
	c := dial(t, s, "u-resume", []string{"rec:stream"})
	c.reply(t, "first subscribe")
	const total = 300
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 1; n <= total; n++ {
			s.publish("rec:stream", map[string]int{"n": n})
			time.Sleep(3 * time.Millisecond)
		}
	}()
	for range 5 {
		time.Sleep(100 * time.Millisecond)
		c.cut(false)
	}
	wstest.Wait(t, done, "the publisher to finish")
	for n := 1; n <= total; n++ {
		if p := c.next(t, "stream"); p.n != n {
			t.Fatalf("publication %d: got %d (a gap or a duplicate)", n, p.n)
		}
	}
	select {
	case p := <-c.pubs:
		t.Errorf("publication %d delivered after the last one", p.n)
	case <-time.After(200 * time.Millisecond):
	}
	if ev := c.gapsAndResets(); len(ev) != 0 {
		t.Errorf("gaps or resets reported: %+v", ev)
	}
	c.mu.Lock()
	connects := c.connects
	c.mu.Unlock()
	if connects < 2 {
		t.Errorf("%d connections: the cuts did not reconnect", connects)
	}
	if p := c.conn.Positions()["rec:stream"]; p.Offset != total || p.Epoch == "" {
		t.Errorf("Positions()[rec:stream] = %+v, want offset %d with an epoch", p, total)
	}
}

// TestGapReported: while the client is away the stream moves beyond its
// history (3 kept), so the resubscribe is not recovered: the application
// sees the reply and a gap from the last offset it got to the top.
func TestGapReported(t *testing.T) {
	s := startServer(t)
	c := dial(t, s, "u-gap", []string{"short:g"})
	c.reply(t, "first subscribe")
	for n := 1; n <= 2; n++ {
		s.publish("short:g", map[string]int{"n": n})
		c.next(t, "before the cut")
	}
	c.cut(true)
	for n := 3; n <= 12; n++ {
		s.publish("short:g", map[string]int{"n": n})
	}
	c.cut(false)
	if r := c.reply(t, "resubscribe"); !strings.Contains(r, `"was_recovering":true`) || strings.Contains(r, `"recovered":true`) {
		t.Errorf("resubscribe reply %s, want was_recovering without recovered", r)
	}
	s.publish("short:g", map[string]int{"n": 13})
	if p := c.next(t, "after the gap"); p.n != 13 {
		t.Errorf("after the gap got n=%d, want 13", p.n)
	}
	ev := c.gapsAndResets()
	if len(ev) != 1 || ev[0].Kind != reconnect.EventGap || ev[0].Stream != "short:g" || ev[0].From.Offset != 2 || ev[0].To.Offset != 12 {
		t.Errorf("events %+v, want one gap on short:g from 2 to 12", ev)
	}
}

// TestServerRestart: a memory-engine restart starts the stream over in a
// new epoch; the resubscribe is not recovered and the Conn reports a
// reset, then the new stream is delivered from offset 1.
func TestServerRestart(t *testing.T) {
	s := startServer(t)
	c := dial(t, s, "u-restart", []string{"rec:r"})
	c.reply(t, "first subscribe")
	var oldEpoch string
	for n := 1; n <= 3; n++ {
		_, oldEpoch = s.publish("rec:r", map[string]int{"n": n})
		c.next(t, "before the restart")
	}
	s.restart()
	c.reply(t, "resubscribe after the restart")
	_, newEpoch := s.publish("rec:r", map[string]int{"n": 100})
	if p := c.next(t, "after the restart"); p.n != 100 || p.offset != 1 {
		t.Errorf("after the restart got n=%d offset %d, want 100 at offset 1", p.n, p.offset)
	}
	ev := c.gapsAndResets()
	if len(ev) != 1 || ev[0].Kind != reconnect.EventReset || ev[0].From.Epoch != oldEpoch || ev[0].To.Epoch != newEpoch || newEpoch == oldEpoch {
		t.Errorf("events %+v, want one reset from epoch %q to %q", ev, oldEpoch, newEpoch)
	}
}

// TestPingAnswered: the server pings every 2 s and drops a client that
// does not answer within a second; the codec's pongs keep one connection
// for five seconds.
func TestPingAnswered(t *testing.T) {
	s := startServer(t)
	c := dial(t, s, "u-ping", []string{"rec:ping"})
	c.reply(t, "subscribe")
	time.Sleep(5 * time.Second)
	c.mu.Lock()
	connects := c.connects
	c.mu.Unlock()
	if connects != 1 {
		t.Errorf("%d connections in 5 s, want 1: pings not answered", connects)
	}
}
