package reconnect

import (
	"context"
	"slices"
	"sync"
	"time"
)

// The overlap of a rotation: with Options.MessageKey the old connection
// delivers until it has delivered the new one's first key, and the new
// one's messages that the old one delivered are dropped.

// rotation is one rotation in progress.
type rotation struct {
	old   *link
	gen   uint64
	start time.Time
	key   func(Message) (string, bool)
	ep    int      // the endpoint it dials
	epv   endpoint // and its URLs
	once  bool     // one attempt: a failback

	mu      sync.Mutex
	keys    map[string]struct{} // keys the old connection delivered since start
	order   []string            // the same keys, in delivery order, until met
	want    string              // the new connection's first key
	met     chan struct{}       // closed when the old connection delivered want
	metOnce sync.Once
	scan    int  // messages of the new connection still to check
	dups    int  // of them dropped as duplicates
	done    bool // checking is over: EventRotated is due
}

// maxOverlapKeys bounds the keys a rotation remembers.
const maxOverlapKeys = 1 << 16

// record notes the key of a message the old connection delivered.
func (r *rotation) record(mk msgKey) {
	k, ok := mk.k, mk.ok
	if !ok {
		return
	}
	r.mu.Lock()
	if len(r.keys) < maxOverlapKeys {
		r.keys[k] = struct{}{}
		if r.order != nil {
			r.order = append(r.order, k)
		}
	}
	if r.met != nil && k == r.want {
		r.metOnce.Do(func() { r.forgetBefore(k); close(r.met) })
	}
	r.mu.Unlock()
}

// forgetBefore drops the keys delivered before k, the new connection's
// first: its stream starts at k, so it will never repeat them, and
// waiting for them would keep the rotation checking for nothing.
func (r *rotation) forgetBefore(k string) {
	if i := slices.Index(r.order, k); i > 0 {
		r.keys = make(map[string]struct{}, len(r.order)-i)
		for _, o := range r.order[i:] {
			r.keys[o] = struct{}{}
		}
	}
	r.order = nil
}

// duplicate reports whether a message of the new connection was delivered
// already; done is set once nothing more needs checking.
func (r *rotation) duplicate(mk msgKey) (dup, done bool) {
	k, ok := mk.k, mk.ok
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, seen := r.keys[k]; ok && seen {
		delete(r.keys, k)
		r.dups++
		dup = true
	} else {
		r.scan--
	}
	r.done = len(r.keys) == 0 || r.scan <= 0
	return dup, r.done
}

func (r *rotation) duplicates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dups
}

// noteDelivered records the key of a message l delivers, for a rotation
// that replaces l.
func (l *linkRotation) noteDelivered(k msgKey) {
	if r := l.rot.Load(); r != nil {
		r.record(k)
	}
}

// duplicate reports whether a message l read after a rotation was
// delivered by the old connection already; done is set by the call that
// ends the checking.
func (l *linkRotation) duplicate(k msgKey) (dup, done bool) {
	r := l.filter.Load()
	if r == nil {
		return false, false
	}
	dup, done = r.duplicate(k)
	if done {
		l.filter.Store(nil)
	}
	return dup, done
}

// firstRead is the first read of a rotation's new connection, started
// before the switch: its end, or its first message, which the
// connection's reader delivers first.
type firstRead struct {
	done chan struct{} // closed when the read returned
	m    Message
	err  error
}

// readFirst starts the first read of nl. It may outlast the rotation's
// waits: nl's reader takes its result.
func (c *Conn) readFirst(nl *link) *firstRead {
	f := &firstRead{done: make(chan struct{})}
	nl.first = f
	c.gate.spawn(func() {
		defer close(f.done)
		typ, p, err := nl.ws.Read(context.Background())
		f.m, f.err = Message{Type: typ, Data: p, Generation: nl.gen}, err
	})
	return f
}

// takeFirst returns the first read a rotation started on l, once; only
// l's reader calls it.
func (l *linkRotation) takeFirst() *firstRead {
	f := l.first
	l.first = nil
	return f
}

// ended returns how the new connection ended, nil if it has not yet.
func (f *firstRead) ended() error {
	select {
	case <-f.done:
		return f.err
	default:
		return nil
	}
}

// vet readies nl for the switch: it starts nl's first read, then finds
// where the streams meet (met) or, without a key, waits for a sign of
// life. It returns nl's end if that came first.
func (c *Conn) vet(r *rotation, nl *link) (met bool, err error) {
	c.readFirst(nl)
	if r.key != nil {
		met = c.meet(r, nl)
	} else {
		c.awaitLife(r, nl)
	}
	if e := nl.first.ended(); e != nil {
		return false, c.scrub(c.endCause(nl, e)) // a 1002 it sent, as for any end
	}
	return met, nil
}

// awaitLife waits, up to DialTimeout, until the new connection shows that
// it is alive (a message or a pong) or that it ended. A server that
// closes at once closes before it answers the ping.
func (c *Conn) awaitLife(r *rotation, nl *link) {
	t := c.opts.Clock.NewTimer(c.alignBound())
	defer t.Stop()
	pong := make(chan error, 1)
	// Not cancelled on return: coder/websocket closes a connection whose
	// frame write is cancelled. nl's reader reads the pong, or nl ends.
	c.gate.spawn(func() { pong <- nl.ws.Ping(c.ctx) })
	select {
	case <-nl.first.done:
		return
	case err := <-pong:
		if err == nil {
			return
		}
	case <-t.C():
		return
	case <-r.old.dead:
		return
	case <-c.ctx.Done():
		return
	}
	select { // the ping failed: the read is ending too
	case <-nl.first.done:
	case <-t.C():
	case <-r.old.dead:
	case <-c.ctx.Done():
	}
}

// meet takes the new connection's first message and waits, up to
// DialTimeout, until the old connection has delivered its key.
func (c *Conn) meet(r *rotation, nl *link) bool {
	t := c.opts.Clock.NewTimer(c.alignBound())
	defer t.Stop()
	select {
	case <-nl.first.done:
	case <-t.C():
	case <-r.old.dead:
	case <-c.ctx.Done():
	}
	select {
	case <-nl.first.done:
	default:
		return false // no data yet: the old connection drains instead
	}
	if nl.first.err != nil {
		return false // it ended: the rotation fails
	}
	m := &nl.first.m
	mk, p := c.keyOf(*m, true)
	k, ok := mk.k, mk.ok
	if p != nil || !ok {
		return false
	}
	r.mu.Lock()
	r.want, r.met = k, make(chan struct{})
	if _, seen := r.keys[k]; seen { // the old connection was ahead
		r.metOnce.Do(func() { r.forgetBefore(k); close(r.met) })
	}
	r.mu.Unlock()
	select {
	case <-r.met:
		return true
	case <-t.C():
	case <-r.old.dead:
	case <-c.ctx.Done():
	}
	return false
}

// rotatedEvent sends EventRotated once the rotation that made the current
// connection has finished checking for duplicates. Only the supervisor
// calls it.
func (c *Conn) rotatedEvent() {
	r := c.pending.Load()
	if r == nil {
		return
	}
	r.mu.Lock()
	done, dups := r.done, r.dups
	r.mu.Unlock()
	if !done && c.cur0() == r.gen { // still checking the connection it made
		return
	}
	if !c.pending.CompareAndSwap(r, nil) {
		return
	}
	c.emit(Event{Kind: EventRotated, Generation: r.gen, Duration: c.now().Sub(r.start), Dropped: dups})
}

// cur0 is the generation of the current connection, 0 without one.
func (c *Conn) cur0() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		return 0
	}
	return c.cur.gen
}

// alignBound bounds the waits of a switch: DialTimeout, or its default
// when it is off.
func (c *Conn) alignBound() time.Duration {
	if c.opts.DialTimeout > 0 {
		return c.opts.DialTimeout
	}
	return DefaultDialTimeout
}
