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
func (r *rotation) record(m Message) {
	k, ok := r.key(m)
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
func (r *rotation) duplicate(m Message) (dup, done bool) {
	k, ok := r.key(m)
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

// meet reads the new connection's first message and waits, up to
// DialTimeout, until the old connection has delivered its key.
func (c *Conn) meet(r *rotation, nl *link) bool {
	t := c.opts.Clock.NewTimer(c.alignBound())
	defer t.Stop()
	first := make(chan *Message, 1)
	c.gate.spawn(func() { // nobody reads nl yet; this read may outlast the wait
		typ, p, err := nl.ws.Read(context.Background())
		if err != nil {
			first <- nil
			return
		}
		first <- &Message{Type: typ, Data: p, Generation: nl.gen}
	})
	var m *Message
	select {
	case m = <-first:
		if m == nil {
			return false // the read failed; the new reader sees why
		}
	case <-t.C():
	case <-r.old.dead:
	case <-c.ctx.Done():
	}
	if m == nil {
		// No data yet: the old connection drains instead. The read goes
		// on; the new reader takes its message, as a second concurrent
		// read would corrupt the stream.
		nl.reading = first
		return false
	}
	nl.first = m
	k, ok := r.key(*m)
	if !ok {
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
