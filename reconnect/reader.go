package reconnect

import (
	"context"
	"time"
)

// The reader role: who reads the current connection, and when. A tight
// loop of Reads that reads the connection itself costs no goroutine
// hand-off per message (BENCHMARKS.md); the Conn's reader keeps reading
// whenever the application is away.
//
// Invariants, all under inbox.mu (inbox.lk, role, direct, stamp, and
// link.readErr):
//
//   - One reader at a time. role says who may call ws.Read on inbox.lk:
//     roleConn, the Conn's reader goroutine (readLoop), which reads into
//     the receive buffer; roleRead, one Read on its own goroutine
//     (readDirect); roleIdle, nobody: the Reads hold the role but none
//     is reading, and the Conn's reader is parked in awaitRole.
//   - Only a Read whose ctx cannot end (Done is nil) gets the role, and
//     it reads with context.Background: such a read cannot be interrupted
//     without closing the connection, so a ctx that can end never gets it.
//     inbox.direct counts the waiting Reads that may take it.
//   - The role leaves the Conn's reader only at a message boundary, with
//     the buffer empty, for a connection that is current (inbox.lk) and
//     not retired by a rotation, while such a Read waits (handOver). The
//     message just read goes into the buffer for that Read, and the role
//     becomes roleIdle. A Read takes roleIdle to roleRead only once the
//     buffer is empty again (next). So messages keep their order.
//   - The role returns to roleConn, with a token on inbox.back, when a Read
//     sees the connection end (its error goes to link.readErr, for the
//     Conn's reader to return as its own read error; a panicking
//     MessageKey ends it the same way), when other Reads wait as a Read
//     finishes a message (readDirect), or when a Read that may not read itself
//     waits while the role is idle (wait). attach and detach reset it to
//     roleConn with each connection; a Read still reading an old one
//     then delivers what it read, unless that one is retired, and leaves
//     the role alone.
//   - The lease: stamp counts the messages Reads read themselves. The
//     Conn's reader, parked, looks at it every lease; when a lease passed
//     in which no Read read a message and the role is idle at its end, it
//     takes the role back: one to two leases after the last use. Closes
//     and pings are so never left unread for long while the application
//     is away. It stops waiting at once when the connection dies: its
//     socket is then closed, so a Read inside ws.Read returns too.
//   - The heartbeat is paused while nobody reads, since no pong can be
//     seen then: handOver and a Read going idle pause it (its ticks send
//     no ping, and the pause is counted, so a ping in flight across it is
//     spared). Whoever reads next resumes it: readDirect before ws.Read,
//     awaitRole as the Conn's reader takes the role back.
//   - With a pipeline (inbound.go; lk.flow set by Options.Codec or
//     Options.Position) a Read runs each frame it read through directFrame
//     while it still holds roleRead: the flow (its due events aside) has
//     no lock and is shared with the Conn's reader, which therefore gets
//     the role back only once the frame is done. directFrame puts what the
//     frame delivers in the buffer, past the bound if need be, and the
//     Read takes it from there. The Conn's reader hands the role over only
//     on a frame's last message, so a frame is delivered whole before what
//     follows it.
//   - A rotation's overlap that a Read ends (its duplicate check done) is
//     reported by the Conn's reader: the Read sends a token on inbox.back
//     and awaitRole calls rotatedEvent.
//   - A Receipt.Wait whose ctx cannot end, in Read mode, takes an idle
//     role as such a Read does (awaitFate), but it never takes a message:
//     what it reads goes through directFrame to the end of the buffer, for
//     Read, so it needs room in the buffer rather than an empty one, and
//     with the buffer full it gives the role back to the Conn's reader,
//     which waits for room. So a Wait reads at most one frame past the
//     bound, as a Read does. inbox.fates counts the Waits waiting; the
//     Conn's reader hands them the role after a frame that delivered
//     nothing (an ack), with room in the buffer (handToFates).

// The roles; see above.
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

// handToFates gives the role to the Waits, after a frame that delivered
// nothing, if one waits and the buffer has room.
func (in *inbox) handToFates(lk *link) bool {
	in.mu.Lock()
	if in.fates == 0 || in.fullLocked(0) || in.lk != lk || lk.retired.Load() {
		in.mu.Unlock()
		return false
	}
	in.role = roleIdle
	in.mu.Unlock()
	lk.hb.pause()
	token(in.fated)
	return true
}

// awaitFate is a Wait for r whose ctx cannot end, in Read mode: while r is
// pending it reads the connection itself whenever it may, so the ack it
// reads settles r with no goroutine hand-off. It returns once r's fate is
// known, or when it must leave the wait to r's channel.
func (c *Conn) awaitFate(r *Receipt) {
	in := &c.in
	for !r.settled() {
		lk, wake := in.takeForFate()
		if lk != nil {
			c.readDirect(lk) // a piped frame: what it delivers is buffered
			continue
		}
		select {
		case <-r.Done():
		case <-wake:
		}
		in.unwaitFate()
	}
}

// takeForFate gives a Wait the role if it is idle and the buffer has
// room (a Wait only adds to it, so order holds); otherwise it registers
// the Wait and returns the channel that wakes it.
func (in *inbox) takeForFate() (*link, chan struct{}) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.role == roleIdle && in.lk != nil {
		if !in.fullLocked(0) {
			in.role = roleRead
			return in.lk, nil
		}
		in.role = roleConn // full: the reader waits for room instead
		token(in.back)
	}
	if in.fated == nil {
		in.fated = make(chan struct{}, 1)
	}
	in.fates++
	return nil, in.fated
}

// unwaitFate unregisters a Wait; an idle role passes on to the next one.
func (in *inbox) unwaitFate() {
	in.mu.Lock()
	in.fates--
	if in.fates > 0 && in.role == roleIdle {
		token(in.fated)
	}
	in.mu.Unlock()
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
		if in.fates > 0 { // a Wait may read next
			defer token(in.fated)
		}
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
