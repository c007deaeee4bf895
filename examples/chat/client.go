package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// demoClient is one chat member of the showcase. It sends a numbered
// message every tick and counts what the server acknowledged. A message
// written while disconnected goes to the library's send buffer and is
// flushed after the reconnect; a message that was on the wire when the
// connection died is lost in flight, which only an application ack can
// tell, so the client re-sends unacknowledged messages after a reconnect
// (the server drops duplicates by id). Conn.Send does this in the library
// (-receipts, receipts.go); here it is by hand, on plain Write.
type demoClient struct {
	name string
	conn *reconnect.Conn
	out  *renderer
	up   chan struct{} // a new connection is up: time to re-send

	mu      sync.Mutex
	gen     uint64 // connections so far, from the observer
	live    bool   // between connected and disconnected, from the observer
	nextID  uint64
	msgs    map[uint64]*outMsg
	st      clientStats
	lastAck uint64        // highest connection generation that carried an acked message
	ackCh   chan struct{} // closed and replaced on every ack
}

// outMsg is what the client knows about one message it sent.
type outMsg struct {
	carrier  uint64 // the connection meant to carry it
	buffered bool   // written while there was no connection
	acked    bool
	returned bool // handed back by Undelivered
}

// clientStats are the columns of the summary table.
type clientStats struct {
	Sent              int // accepted by Write
	Acked             int // acknowledged by the server
	BufferedDelivered int // written while disconnected, acknowledged later
	Resent            int // lost in flight, sent again after a reconnect
	Returned          int // still buffered at the end, handed back by Undelivered
	Lost              int // neither acknowledged nor returned
	Refused           int // Write said the buffer was full
	Received          int // messages from the other members
	Reconnects        int
}

func newDemoClient(name string, out *renderer) *demoClient {
	return &demoClient{
		name:  name,
		out:   out,
		up:    make(chan struct{}, 1),
		msgs:  make(map[uint64]*outMsg),
		ackCh: make(chan struct{}),
	}
}

// OnEvent keeps the generation and the reconnect count. It is one of the
// observers the client's Conn fans out to.
func (c *demoClient) OnEvent(e reconnect.Event) {
	switch e.Kind {
	case reconnect.EventConnected:
		c.mu.Lock()
		c.gen, c.live = e.Generation, true
		if e.Generation > 1 {
			c.st.Reconnects++
		}
		c.mu.Unlock()
		select {
		case c.up <- struct{}{}:
		default:
		}
	case reconnect.EventDisconnected:
		c.mu.Lock()
		c.live = false
		c.mu.Unlock()
	}
}

// sendLoop sends a message every tick until stop is closed or the Conn
// ends, and re-sends what was lost in flight after each reconnect.
func (c *demoClient) sendLoop(stop <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			// A reconnect may have come with the stop: re-send what it
			// lost before the final count.
			c.resendLost()
			return
		case <-c.conn.Done():
			return
		case <-c.up:
			c.resendLost()
		case <-t.C:
			if !c.sendNew() {
				return
			}
		}
	}
}

// sendNew writes the next message; false once the Conn has ended.
func (c *demoClient) sendNew() bool {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	c.msgs[id] = &outMsg{carrier: c.carrierLocked(), buffered: !c.live}
	c.mu.Unlock()
	err := c.write(id, chatLine(c.name, id))
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err == nil:
		c.st.Sent++
		return true
	case errors.Is(err, reconnect.ErrBufferFull):
		c.st.Refused++
		delete(c.msgs, id)
		return true
	}
	delete(c.msgs, id) // the Conn has ended: Write refused it
	return false
}

// carrierLocked is the connection a message written now will go out on:
// the current one, or while there is none the next one, which flushes the
// send buffer. A message written as a connection dies is counted on the
// dying one and may be re-sent needlessly; the server drops the duplicate.
// c.mu must be held.
func (c *demoClient) carrierLocked() uint64 {
	if c.live {
		return c.gen
	}
	return c.gen + 1
}

func (c *demoClient) write(id uint64, text string) error {
	p, _ := json.Marshal(wire{Type: "msg", ID: id, Text: text})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.conn.Write(ctx, websocket.MessageText, p)
}

// resendLost sends again every unacknowledged message that an earlier
// connection was carrying.
func (c *demoClient) resendLost() {
	c.mu.Lock()
	var ids []uint64
	for id, m := range c.msgs {
		if !m.acked && m.carrier < c.gen {
			ids = append(ids, id)
			m.carrier = c.carrierLocked()
		}
	}
	c.st.Resent += len(ids)
	c.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	slices.Sort(ids)
	c.out.line(c.name, fmt.Sprintf("re-sending %d lost in flight: %s", len(ids), idList(ids)))
	for _, id := range ids {
		if c.write(id, chatLine(c.name, id)) != nil {
			return
		}
	}
}

// readLoop reads acks and chat lines until the Conn ends.
func (c *demoClient) readLoop() {
	for {
		_, p, err := c.conn.Read(context.Background())
		if err != nil {
			return
		}
		var m wire
		if json.Unmarshal(p, &m) != nil {
			continue
		}
		switch m.Type {
		case "ack":
			c.onAck(m.ID)
		case "msg":
			c.mu.Lock()
			c.st.Received++
			c.mu.Unlock()
		}
	}
}

func (c *demoClient) onAck(id uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.msgs[id]
	if m == nil || m.acked {
		return // the ack of a duplicate
	}
	m.acked = true
	c.st.Acked++
	if m.buffered {
		c.st.BufferedDelivered++
	}
	c.lastAck = max(c.lastAck, m.carrier)
	close(c.ackCh)
	c.ackCh = make(chan struct{})
}

// waitDelivering waits until a message carried by a connection newer than
// gen is acknowledged: delivery has resumed after a fault. It returns false
// if the Conn ended or ctx ended first.
func (c *demoClient) waitDelivering(ctx context.Context, gen uint64) bool {
	return c.waitAcks(ctx, func() bool { return c.lastAck > gen })
}

// waitAllAcked waits until every message sent is acknowledged.
func (c *demoClient) waitAllAcked(ctx context.Context) bool {
	return c.waitAcks(ctx, func() bool { return c.st.Acked == c.st.Sent })
}

func (c *demoClient) waitAcks(ctx context.Context, done func() bool) bool {
	for {
		c.mu.Lock()
		ok, ch := done(), c.ackCh
		c.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-c.conn.Done():
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// settle counts what Undelivered handed back and what is lost, once the
// Conn has ended.
func (c *demoClient) settle() clientStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, u := range c.conn.Undelivered() {
		var m wire
		if json.Unmarshal(u.Data, &m) == nil {
			if om := c.msgs[m.ID]; om != nil && !om.acked && !om.returned {
				om.returned = true
				c.st.Returned++
			}
		}
	}
	c.st.Lost = c.st.Sent - c.st.Acked - c.st.Returned
	return c.st
}

// ackedIDs returns the ids the server acknowledged.
func (c *demoClient) ackedIDs() []uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []uint64
	for id, m := range c.msgs {
		if m.acked {
			ids = append(ids, id)
		}
	}
	return ids
}
