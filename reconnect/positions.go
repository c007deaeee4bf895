package reconnect

import (
	"maps"
	"sync"
	"sync/atomic"
)

// Stream positions: Options.Position names where a message stands, and
// the Conn keeps the last position delivered per stream. A message is
// checked when it is read and its position is committed when it is
// delivered (link.delivering), so a message a rotation drops never moves
// a stream on: the copy the new connection brings is then delivered.

// positions is the last delivered position per stream.
type positions struct {
	mu      sync.Mutex
	last    map[string]Position
	dropped atomic.Int64 // messages at or below their stream's last position
}

func newPositions(seed map[string]Position) *positions {
	p := &positions{last: make(map[string]Position, len(seed))}
	for k, v := range seed {
		v.Stream = k
		p.last[k] = v
	}
	return p
}

// Positions returns a copy of the last delivered position per stream
// (Options.Position), seeded by Options.Positions: persist it, and give it
// back to Dial, to resume where this process stopped. It is nil without
// Options.Position.
func (c *Conn) Positions() map[string]Position {
	if c.pos == nil {
		return nil
	}
	c.pos.mu.Lock()
	defer c.pos.mu.Unlock()
	return maps.Clone(c.pos.last)
}

// posMark is a checked message's position, committed if it is delivered.
type posMark struct {
	set  bool
	p    Position
	kind EventKind // EventGap or EventReset when ev is set
	ev   bool
	from Position
	done bool // committed: the event is due
}

// check decides what the message at p does: ok false means it is at or
// below its stream's last position and is dropped.
func (t *positions) check(p Position, mk *posMark) (ok bool) {
	t.mu.Lock()
	last, seen := t.last[p.Stream]
	t.mu.Unlock()
	*mk = posMark{set: true, p: p}
	switch {
	case !seen:
	case last.Epoch != p.Epoch:
		mk.ev, mk.kind, mk.from = true, EventReset, last
	case p.Offset <= last.Offset:
		t.dropped.Add(1)
		*mk = posMark{}
		return false
	case p.Offset > last.Offset+1:
		mk.ev, mk.kind, mk.from = true, EventGap, last
	}
	return true
}

// commit records a delivered message's position.
func (t *positions) commit(mk *posMark) {
	if !mk.set {
		return
	}
	t.mu.Lock()
	t.last[mk.p.Stream] = mk.p
	t.mu.Unlock()
	mk.set, mk.done = false, true
}

// event returns the gap or reset a committed mark reports, and clears it.
func (mk *posMark) event() (Event, bool) {
	m := *mk
	*mk = posMark{}
	if !m.done || !m.ev {
		return Event{}, false
	}
	return Event{Kind: m.kind, Stream: m.p.Stream, From: m.from, To: m.p}, true
}

// takeDropped returns the position drops since the last call, for the
// connection's EventDisconnected.
func (c *Conn) takeDropped() int {
	if c.pos == nil {
		return 0
	}
	return int(c.pos.dropped.Swap(0))
}
