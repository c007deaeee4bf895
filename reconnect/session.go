package reconnect

import (
	"context"
	"errors"

	"github.com/coder/websocket"
)

// serve reads from lk until it ends and returns why. connected is called
// once lk is the current connection and the state Connected (it emits
// EventConnected); up, if not nil, once lk is also read.
func (c *Conn) serve(lk *link, connected, up func()) error {
	hb := newHeartbeat(&c.opts, &c.gate.onMessage)
	hb.report = c.reportRTT(hb, lk.gen)
	lk.hb = hb
	flushed := c.register(lk)
	if flushed == nil {
		lk.kill(errClosed) // Close came first
		return errClosed
	}
	connected() // the state is Connected: a Write from the Observer goes out
	lk.flow = c.newFlow(lk)
	c.in.attach(lk)
	if up != nil && c.ctx.Err() == nil { // an Observer may have ended it on the event
		up() // Dial returns now, with the state Connected
	}
	var r float64
	if hb.interval >= 0 {
		c.policyCall(func() { r = hb.rand() })
	}
	hb.start(lk, r)
	stale := c.watchStale(lk)
	age := c.startAge(lk)
	c.armFailback(lk)
	err := c.readLoop(lk, hb)
	if age != nil {
		age.Stop()
	}
	c.stopFailback(lk)
	c.in.detach(lk)
	// coder/websocket can leave the socket open after a read error.
	lk.kill(nil)
	c.unregister(lk)
	c.afterReplaced(lk)
	hb.stop()
	stale.stop()
	c.gate.await(flushed) // the flush may be inside WritePacer
	return c.endCause(lk, err)
}

// readLoop is the connection's one reader: it keeps reading while the
// application is away, so control frames, closes and drops are seen,
// until the receive buffer is full.
func (c *Conn) readLoop(lk *link, hb *heartbeat) error {
	// A context that cannot be cancelled keeps coder/websocket from
	// arming a timer on every read; killing the link ends the read.
	ctx := context.Background()
	h := c.opts.OnMessage
	for {
		var m Message
		if f := lk.takeFirst(); f != nil { // started by the rotation that made lk
			<-f.done // a killed link's socket is closed: the read returns
			if f.err != nil {
				return f.err
			}
			m = f.m
		} else {
			// A killed link's socket is closed, so Read returns at once;
			// a Close handshake in progress needs the reading to go on.
			typ, p, err := lk.ws.Read(ctx)
			if err != nil {
				return err
			}
			m = Message{Type: typ, Data: p, Generation: lk.gen}
		}
		var err error
		var stop bool
		if lk.flow == nil {
			err, stop = c.dispatch(lk, hb, h, m, true)
		} else {
			err, stop = c.pipeline(lk, hb, h, m)
		}
		if stop {
			return err
		}
	}
}

// dispatch delivers one message the reader read: to OnMessage, the receive
// buffer, or (hand) a Read that takes the reader role. stop means the
// reader must return err.
func (c *Conn) dispatch(lk *link, hb *heartbeat, h func(*Conn, Message), m Message, hand bool) (err error, stop bool) {
	k, p := c.keyOf(m, true)
	if p != nil {
		return nil, true
	}
	if dup, done := lk.duplicate(k); done || dup {
		if done {
			c.rotatedEvent() // the overlap is over
		}
		if dup { // the old connection delivered it before a rotation
			return nil, false
		}
	}
	if h != nil {
		if p := c.handle(lk, h, m, k); p != nil {
			c.fail(p)
			return nil, true
		}
		return nil, false
	}
	hb.seen.Add(1)
	switch {
	case hand && c.in.handOver(lk, m, k):
		if err, ok := c.awaitRole(lk); !ok {
			return err, true
		}
	case !c.in.put(m, k, lk, hb):
		return nil, true
	}
	return nil, false
}

// handle runs OnMessage on the reader goroutine: no hand-off, and while it
// runs the connection is not read. The gate's onMessage count tells Close
// and the heartbeat that the application holds the reader.
func (c *Conn) handle(lk *link, h func(*Conn, Message), m Message, k msgKey) *PanicError {
	c.gate.onMessage.Add(1)
	if c.gate.closing.Load() {
		token(c.gate.quiet) // a Close waiting need not wait for this hook
	}
	defer c.gate.onMessage.Add(1)
	if !lk.delivering(k) { // checked while counted in: see retire
		return nil
	}
	return contain("OnMessage", func() { h(c, m) })
}

// endCause picks why lk ended: a close frame from the server is its
// verdict, whatever else happened; then a message over the read limit;
// then why the Conn killed it; then a 1002 the client sent, a protocol
// violation it found; then the read error.
func (c *Conn) endCause(lk *link, readErr error) error {
	var ce websocket.CloseError
	switch {
	case errors.As(readErr, &ce):
		return readErr
	case errors.Is(readErr, websocket.ErrMessageTooBig):
		return &readLimitError{c.opts.ReadLimit, readErr}
	}
	if cause := lk.killedBy(); cause != nil {
		return cause
	}
	if readErr != nil && lk.wire.sentClose() == websocket.StatusProtocolError {
		// coder/websocket found the server's frames broken and sent 1002.
		return &violationError{readErr}
	}
	return readErr
}

// register makes lk the current connection and starts flushing the send
// buffer to it. The returned channel closes when the flush is over; nil
// means the Conn is closing and lk must not be used.
func (c *Conn) register(lk *link) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return nil
	}
	c.cur = lk
	c.setStateLocked(Connected)
	select { // a wake-up from before this connection is stale
	case <-c.wake:
	default:
	}
	done := make(chan struct{})
	if _, ok := c.out.peek(); !ok && !c.trackedFor(lk) {
		c.makeWritableLocked(lk)
		close(done)
		return done
	}
	c.gate.spawn(func() {
		defer close(done)
		c.flush(lk)
	})
	return done
}

// unregister forgets lk once it has ended.
func (c *Conn) unregister(lk *link) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropWritableLocked(lk)
	if c.cur != lk { // a rotation replaced it
		return
	}
	c.cur = nil
	if !c.closing {
		c.setStateLocked(Reconnecting)
	}
}
