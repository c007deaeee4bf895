package reconnect

import "sync"

// The inbound pipeline, on every read path when Options.Codec or
// Options.Position is set: frame -> Codec.Decode (acks settle receipts,
// deliver yields the messages) -> for each message, the position check ->
// the rotation's MessageKey check -> the receive buffer or OnMessage.
// Without either option the read paths skip it with one nil check.

// flow is a connection's pipeline state, touched only by whoever holds
// its reader role, so it needs no lock.
type flow struct {
	batch   []Message // what Decode delivered from the current frame
	acks    []Ack     // and the acks it found
	settled []*Receipt
	ack     func(Ack)
	deliver func(Message)
	mark    posMark    // the position of the message being delivered
	dueMu   sync.Mutex // due is shared with a Read the reader role was handed to
	due     []Event    // gaps and resets committed, not yet reported
	pos     *positions
}

// commit records the position of the message being delivered, and keeps
// its gap or reset apart from the mark: a Read the message is handed to
// checks its own frames with the same flow before the reader reports.
func (f *flow) commit() {
	f.pos.commit(&f.mark)
	if e, ok := f.mark.event(); ok {
		f.dueMu.Lock()
		f.due = append(f.due, e)
		f.dueMu.Unlock()
	}
}

// newFlow returns the pipeline state of lk, nil when there is no pipeline.
func (c *Conn) newFlow(lk *link) *flow {
	if c.opts.Codec == nil && c.pos == nil {
		return nil
	}
	f := &flow{pos: c.pos}
	f.ack = func(a Ack) { f.acks = append(f.acks, a) }
	f.deliver = func(m Message) {
		m.Generation = lk.gen
		f.batch = append(f.batch, m)
	}
	return f
}

// decode runs the Codec on one frame and settles the receipts its acks
// resolve; it leaves the messages to deliver in f.batch. It reports false
// if the Codec panicked: the Conn is ending.
func (c *Conn) decode(f *flow, m Message, counted bool) bool {
	f.batch = f.batch[:0]
	codec := c.opts.Codec
	if codec == nil {
		f.batch = append(f.batch, m)
		return true
	}
	f.acks = f.acks[:0]
	var err error
	if c.readerHook("Codec", counted, func() { err = codec.Decode(m, f.ack, f.deliver) }) != nil {
		return false
	}
	if err != nil { // the frame as it came, and what acks it had
		f.batch = append(f.batch[:0], m)
		c.emitFrom(counted, Event{Kind: EventCodecError, Generation: m.Generation, Err: err})
	}
	f.settled = f.settled[:0]
	for _, a := range f.acks {
		f.settled = c.track.ack(a, f.settled)
	}
	if len(f.settled) > 0 {
		c.announce(f.settled, counted)
		clear(f.settled)
	}
	return true
}

// position checks m against its stream's last position, leaving the mark
// for delivering to commit. It reports false if m is to be dropped, and
// stop if the hook panicked.
func (c *Conn) position(f *flow, m Message, counted bool) (ok, stop bool) {
	hook := c.opts.Position
	if hook == nil {
		return true, false
	}
	var p Position
	var has bool
	if c.readerHook("Position", counted, func() { p, has = hook(m) }) != nil {
		return false, true
	}
	if !has {
		return true, false
	}
	return c.pos.check(p, &f.mark), false
}

// positionEvent reports the gaps and resets of the messages delivered.
func (c *Conn) positionEvent(f *flow, gen uint64, counted bool) {
	f.dueMu.Lock()
	if len(f.due) == 0 {
		f.dueMu.Unlock()
		return
	}
	due := f.due
	f.due = nil
	f.dueMu.Unlock()
	for _, e := range due {
		e.Generation = gen
		c.emitFrom(counted, e)
	}
}

// pipeline runs one frame the Conn's reader read through the pipeline;
// stop and err are as for dispatch.
func (c *Conn) pipeline(lk *link, hb *heartbeat, h func(*Conn, Message), m Message) (err error, stop bool) {
	f := lk.flow
	if !c.decode(f, m, true) {
		return nil, true
	}
	if len(f.batch) == 0 {
		hb.seen.Add(1) // a pure ack is life too
		if h == nil && c.in.handToFates(lk) {
			if err, ok := c.awaitRole(lk); !ok {
				return err, true
			}
		}
		return nil, false
	}
	for i, d := range f.batch {
		ok, stop := c.position(f, d, true)
		if stop {
			return nil, true
		}
		if !ok {
			hb.seen.Add(1)
			continue
		}
		// Only the last message may hand the reader role to a Read: the
		// rest of the frame must be delivered before what follows it.
		err, stop = c.dispatch(lk, hb, h, d, i == len(f.batch)-1)
		c.positionEvent(f, lk.gen, true)
		if stop {
			return err, true
		}
	}
	clear(f.batch)
	return nil, false
}

// directFrame runs a frame that a Read read itself through the pipeline
// and puts what it delivers in the receive buffer, past its bound if need
// be: a message read from the network is never dropped. The Read then
// takes the messages from the buffer.
func (c *Conn) directFrame(lk *link, m Message) {
	f := lk.flow
	if !c.decode(f, m, false) {
		return
	}
	in := &c.in
	for _, d := range f.batch {
		ok, stop := c.position(f, d, false)
		if stop {
			return
		}
		if !ok {
			continue
		}
		k, p := c.keyOf(d, false)
		if p != nil {
			return
		}
		in.mu.Lock()
		dup, done := lk.duplicate(k)
		if !dup && lk.delivering(k) {
			in.pushLocked(d)
		}
		wake := in.readers > 0
		in.mu.Unlock()
		if done {
			token(in.back) // the Conn's reader reports the overlap's end
		}
		if wake {
			token(in.arrived)
		}
		c.positionEvent(f, lk.gen, false)
	}
	clear(f.batch)
}
