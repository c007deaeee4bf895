package reconnect

import (
	"context"
	"time"

	"github.com/coder/websocket"
)

// serve reads from ws until it ends and returns why; up, if not nil, is
// called once ws is the current connection. The supervisor
// goroutine is the connection's one reader, so control frames are handled
// even when nobody calls Read.
func (c *Conn) serve(ws *websocket.Conn, hb *heartbeat, up func()) error {
	flushed := c.register(ws)
	if flushed == nil {
		ws.CloseNow() // Close came first
		return errClosed
	}
	if up != nil {
		up() // Dial returns now, with the state Connected
	}
	hb.start(ws)
	err := c.readLoop(ws, hb)
	// coder/websocket can leave the socket open after a read error.
	ws.CloseNow()
	c.unregister(ws)
	hb.stop()
	<-flushed
	if cause := hb.cause(); cause != nil {
		return cause
	}
	return err
}

func (c *Conn) readLoop(ws *websocket.Conn, hb *heartbeat) error {
	// A context that cannot be cancelled keeps coder/websocket from
	// arming a timer on every read; Close and CloseNow end the read.
	ctx := context.Background()
	for {
		typ, p, err := ws.Read(ctx)
		if err != nil {
			return err
		}
		hb.seen.Add(1)
		m := Message{Type: typ, Data: p}
		select {
		case c.inbox <- m: // a Read was waiting
			continue
		default:
		}
		hb.busy.Store(true)
		select {
		case c.inbox <- m:
		case <-c.ctx.Done():
			// Closing: drop it and keep reading so the close handshake
			// can complete.
		}
		hb.busy.Store(false)
	}
}

// register makes ws the current connection and starts flushing the send
// buffer to it. The returned channel closes when the flush is over; nil
// means the Conn is closing and ws must not be used.
func (c *Conn) register(ws *websocket.Conn) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return nil
	}
	c.cur = ws
	c.setStateLocked(Connected)
	select { // a wake-up from before this connection is stale
	case <-c.wake:
	default:
	}
	done := make(chan struct{})
	if _, ok := c.out.peek(); !ok {
		c.makeWritableLocked(ws)
		close(done)
		return done
	}
	c.helper.Add(1)
	go func() {
		defer c.helper.Done()
		defer close(done)
		c.flush(ws)
	}()
	return done
}

// flush writes the send buffer to ws in order, then lets Write use ws.
func (c *Conn) flush(ws *websocket.Conn) {
	for {
		c.mu.Lock()
		q, ok := c.out.peek()
		if !ok {
			if c.cur == ws && !c.closing {
				c.makeWritableLocked(ws)
			}
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		if ws.Write(context.Background(), q.Type, q.Data) != nil {
			return // the connection is dying; the message stays queued
		}
		c.mu.Lock()
		c.out.remove(q.id)
		c.mu.Unlock()
	}
}

// dropWritableLocked stops Write from using ws. writable is set and
// cleared only under mu, so up is closed exactly while writable is set.
func (c *Conn) dropWritableLocked(ws *websocket.Conn) {
	if c.writable.CompareAndSwap(ws, nil) {
		c.up = make(chan struct{})
	}
}

func (c *Conn) makeWritableLocked(ws *websocket.Conn) {
	c.writable.Store(ws)
	close(c.up)
}

// unregister forgets ws once it has ended.
func (c *Conn) unregister(ws *websocket.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropWritableLocked(ws)
	c.cur = nil
	if !c.closing {
		c.setStateLocked(Reconnecting)
	}
}

// finish records the final error and ends the Conn.
func (c *Conn) finish(err *Error, gen uint64) {
	c.mu.Lock()
	c.setStateLocked(Closed)
	c.final = err
	c.undelivered = c.out.drain()
	c.mu.Unlock()
	c.cancel()
	c.helper.Wait()
	c.emit(Event{Kind: EventClosed, Generation: gen, Decision: err.Decision, Attempt: err.Attempts, Err: err})
	close(c.done)
}

func (c *Conn) emit(e Event) {
	if c.opts.Observer == nil {
		return
	}
	e.Time = c.now()
	e.Target = c.target
	c.opts.Observer.OnEvent(e)
}

func (c *Conn) now() time.Time { return c.opts.Clock.Now() }
