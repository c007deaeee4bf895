package reconnect

import (
	"context"
	"time"
)

// The reader role. A connection has one reader at a time: normally the
// Conn's reader goroutine, which reads into the receive buffer. A Read
// whose ctx cannot end (its Done is nil, as for context.Background) may
// take the role over at a message boundary, once the buffer is empty,
// and read the connection on its own goroutine: a tight Read loop then
// costs no goroutine hand-off at all. Such a Read cannot be interrupted
// without closing the connection, which is why a ctx that can end never
// gets the role. The role goes back to the Conn's reader when the Read
// fails (the connection ended), when another Read waits, or when no Read
// has used it for a lease, so closes and pings are never left unread for
// long while the application is away.
const (
	roleConn = iota // the Conn's reader goroutine reads
	roleIdle        // a Read holds the role and is away: nobody reads
	roleRead        // a Read is reading
)

// lease is how long a Read may hold the role unused before the Conn's
// reader takes it back (after one to two leases).
const lease = 20 * time.Millisecond

// handOver puts m in the buffer and gives the role to the Reads, if the
// buffer is empty and a Read that can read itself is waiting.
func (in *inbox) handOver(lk *link, m Message, k msgKey) bool {
	in.mu.Lock()
	if in.n > 0 || in.direct == 0 || in.lk != lk || lk.retired.Load() {
		in.mu.Unlock()
		return false
	}
	lk.delivering(k) // notes its key for a rotation in progress
	in.pushLocked(m)
	in.role = roleIdle
	in.mu.Unlock()
	lk.hb.pause()
	token(in.arrived)
	return true
}

// awaitRole parks the Conn's reader while the Reads hold the role. It
// returns the read error a Read ended the connection with, or ok false if
// lk is dead.
func (c *Conn) awaitRole(lk *link) (readErr error, ok bool) {
	in := &c.in
	last := in.stampNow()
	t := c.opts.Clock.NewTimer(lease)
	defer func() { t.Stop() }()
	for {
		tick := false
		select {
		case <-in.back:
		case <-t.C():
			tick = true
		case <-lk.dead:
			return nil, false
		}
		c.rotatedEvent() // if a Read ended a rotation's overlap
		in.mu.Lock()
		switch {
		case in.role == roleConn:
			err := lk.readErr
			in.mu.Unlock()
			lk.hb.resume()
			return err, err == nil
		case tick && in.role == roleIdle && in.stamp == last: // unused for a lease
			in.role = roleConn
			in.mu.Unlock()
			lk.hb.resume()
			return nil, true
		}
		if tick {
			last = in.stamp
			t = c.opts.Clock.NewTimer(lease)
		}
		in.mu.Unlock()
	}
}

func (in *inbox) stampNow() uint64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.stamp
}

// readDirect reads one message on the calling Read's goroutine, which
// holds the role; ok is false if the connection ended instead.
func (c *Conn) readDirect(lk *link) (m Message, ok bool) {
	in := &c.in
	lk.hb.resume()
	typ, p, err := lk.ws.Read(context.Background())
	m = Message{Type: typ, Data: p, Generation: lk.gen}
	piped := err == nil && lk.flow != nil
	var k msgKey
	if piped {
		// The frame goes through the pipeline while this Read still holds
		// the role: the Conn's reader shares the flow and must not take the
		// role back (as the switch below lets it) before the frame is done.
		lk.hb.seen.Add(1)
		c.directFrame(lk, m)
	} else if err == nil {
		var perr *PanicError
		if k, perr = c.keyOf(m, false); perr != nil {
			err = perr // the Conn ends: hand the role back as for a read error
		}
	}
	in.mu.Lock()
	current := in.lk == lk
	switch {
	case err != nil:
		if current {
			in.role, lk.readErr = roleConn, err
		}
		in.mu.Unlock()
		token(in.back)
		return Message{}, false
	case !current: // the Conn has moved on; the message counts unless retired
	case in.readers > 0: // let the Conn's reader share out the next ones
		in.role = roleConn
		defer token(in.back)
	default:
		in.role = roleIdle
		in.stamp++
		defer lk.hb.pause()
	}
	if piped { // the Read takes what it delivered from the buffer
		in.mu.Unlock()
		return Message{}, false
	}
	dup, done := lk.duplicate(k)
	deliver := !dup && lk.delivering(k)
	in.mu.Unlock()
	if done {
		token(in.back) // the Conn's reader reports the overlap's end
	}
	lk.hb.seen.Add(1)
	return m, deliver
}

// attach makes lk the connection whose role may pass to Read; detach ends
// that, for whichever Read still reads it.
func (in *inbox) attach(lk *link) {
	in.mu.Lock()
	in.lk, in.role = lk, roleConn
	in.mu.Unlock()
	select { // a token from the previous connection is stale
	case <-in.back:
	default:
	}
}

func (in *inbox) detach(lk *link) {
	in.mu.Lock()
	if in.lk == lk {
		in.lk, in.role = nil, roleConn
	}
	in.mu.Unlock()
}
