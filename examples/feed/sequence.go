package main

import (
	"fmt"
	"strings"
)

// Sequence numbers and freshness, per symbol, on the read loop's goroutine.

// book is where one symbol's stream is.
type book struct {
	gen uint64 // the connection its last update came on
	seq int64
}

// check follows u's symbol and returns a symbol that has gone quiet on
// this connection while others flow. Within a connection and across a
// rotation, each seq must follow the last: anything else is a gap. After
// a plain reconnect the feed resumes wherever the exchange is: take the
// first seq as the new baseline (a real client would fetch a snapshot).
// Quiet is measured in the exchange's event time, so that a pause of the
// client's own (GC, a full buffer) does not look like a quiet symbol.
func (f *client) check(gen uint64, u update) (quiet string) {
	f.st.updates++
	if gen != f.gen { // a new connection: no symbol's clock starts before it
		f.flushResync()
		f.gen = gen
		for _, s := range f.symbols {
			f.seen[s] = max(f.seen[s], u.T) // u may be an old update, replayed
		}
	}
	b, ok := f.books[u.S]
	switch {
	case ok && u.Seq == b.seq+1: // the same connection, a rotation, or a resume
	case ok && f.continues(b.gen, gen):
		if u.Seq != b.seq+1 {
			f.st.gaps++
			f.logf("gen %d: GAP: %s seq %d after %d", gen, u.S, u.Seq, b.seq)
		}
	case ok:
		f.st.resyncs++
		f.resync = append(f.resync, fmt.Sprintf("%s %d (%d missed while down)", u.S, u.Seq, u.Seq-b.seq-1))
	default:
		f.resync = append(f.resync, fmt.Sprintf("%s %d", u.S, u.Seq))
	}
	if len(f.resync) == len(f.symbols) {
		f.flushResync()
	}
	f.books[u.S], f.seen[u.S] = book{gen, u.Seq}, u.T
	if f.marked != gen {
		for _, s := range f.symbols {
			if u.T-f.seen[s] > f.quietAfter.Milliseconds() {
				f.marked = gen
				return s
			}
		}
	}
	return ""
}

func (f *client) flushResync() {
	if len(f.resync) > 0 {
		f.logf("gen %d: baseline %s", f.gen, strings.Join(f.resync, ", "))
		f.resync = nil
	}
}

// continues reports whether the stream of generation from goes on,
// without a break, in generation to: the same connection, or rotations.
// It relies on a connection's EventConnected reaching the observer
// before its first message reaches Read, which the Conn does.
func (f *client) continues(from, to uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for g := from + 1; g <= to; g++ {
		if !f.rotated[g] {
			return false
		}
	}
	return true
}
