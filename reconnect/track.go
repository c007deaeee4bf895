package reconnect

import (
	"slices"
	"sync"
	"time"
)

// tracker holds the tracked sends not yet resolved, in id order: a
// receipt leaves it exactly once, with its fate, under mu. Lock order:
// Conn.mu before tracker.mu.
type tracker struct {
	mu                sync.Mutex
	list              []*Receipt // unresolved, ids increasing
	bytes             int
	nextID            uint64
	maxMsgs, maxBytes int
	room              chan struct{} // a token when a receipt leaves (SendBlock)
	ended             bool

	timer      Timer     // the next expiry or ack timeout (expiry.go)
	due        time.Time // when timer fires
	clock      Clock
	ackTimeout time.Duration // 0: none
	tick       func()
}

func newTracker(o *Options, tick func()) tracker {
	return tracker{maxMsgs: o.TrackMessages, maxBytes: o.TrackBytes, room: make(chan struct{}, 1),
		clock: o.Clock, ackTimeout: max(o.AckTimeout, 0), tick: tick}
}

// fullLocked reports whether r must wait for room. A message larger than
// the byte bound still goes into an empty tracker.
func (t *tracker) fullLocked(r *Receipt) bool {
	return len(t.list) >= t.maxMsgs || len(t.list) > 0 && t.bytes+len(r.msg.Data) > t.maxBytes
}

// addLocked gives r its id and tracks it; on, if not nil, is the live
// connection Send writes it to.
func (t *tracker) addLocked(r *Receipt, on *link) {
	t.nextID++
	r.id = t.nextID
	r.on = on
	t.list = append(t.list, r)
	t.bytes += len(r.msg.Data)
}

// expireUntracked settles r, whose deadline passed while Send waited to
// track it: it takes the next id, so that its EventFate names it, but the
// Codec never sees it.
func (t *tracker) expireUntracked(r *Receipt) {
	t.mu.Lock()
	t.nextID++
	r.id = t.nextID
	r.settle(FateExpired, ErrExpired)
	t.mu.Unlock()
}

// removeLocked drops the receipt at index i.
func (t *tracker) removeLocked(i int) *Receipt {
	r := t.list[i]
	t.bytes -= len(r.msg.Data)
	t.list = slices.Delete(t.list, i, i+1)
	token(t.room)
	return r
}

// find returns the index of the receipt id, -1 if it is not tracked.
func (t *tracker) findLocked(id uint64) int {
	i, ok := slices.BinarySearchFunc(t.list, id, func(r *Receipt, id uint64) int {
		switch {
		case r.id < id:
			return -1
		case r.id > id:
			return 1
		}
		return 0
	})
	if !ok {
		return -1
	}
	return i
}

// claim checks that r, which Send tracked for lk, is still lk's to write:
// ok is false if r is settled or a flush took it to a newer connection.
// resend says whether it was written before. Nothing is marked written
// yet: see mark.
func (t *tracker) claim(r *Receipt, lk *link) (resend, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r.on != lk || t.findLocked(r.id) < 0 {
		return false, false
	}
	return r.written, true
}

// mark records that r goes to lk's writer now, once encoded and paced:
// from here an ack for it counts, since the server may read it before the
// write returns. Until then an ack for r counts only if r was written on
// an earlier connection. ok is false if r must not be written: it is
// settled, was taken to another connection, or has expired (then gone
// holds it).
func (t *tracker) mark(r *Receipt, lk *link, now time.Time) (ok bool, gone []*Receipt) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := t.findLocked(r.id)
	if r.on != lk || i < 0 {
		return false, nil
	}
	if r.expired(now) {
		t.removeLocked(i).settle(FateExpired, ErrExpired)
		return false, []*Receipt{r}
	}
	r.written, r.sentAt = true, now
	if t.ackTimeout > 0 {
		t.armLocked(now.Add(t.ackTimeout))
	}
	return true, nil
}

// nextFor gives lk the oldest receipt it has not been given yet, for a
// flush or a resend after a rotation; the expired ones it meets are
// settled and returned in gone. The caller marks it before writing it.
func (t *tracker) nextFor(lk *link, now time.Time) (next *Receipt, resend bool, gone []*Receipt) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := 0; i < len(t.list); {
		r := t.list[i]
		switch {
		case r.on == lk:
			i++
		case r.expired(now):
			t.removeLocked(i).settle(FateExpired, ErrExpired)
			gone = append(gone, r)
		default:
			// sentAt restarts so that the AckTimeout of a resend counts
			// on lk, not from the write on an earlier connection.
			resend, r.sentAt, r.on = r.written, now, lk
			if t.ackTimeout > 0 {
				t.armLocked(now.Add(t.ackTimeout))
			}
			return r, resend, gone
		}
	}
	return nil, false, gone
}

// reject settles r as refused: the Codec could not frame it for a resend.
func (t *tracker) reject(r *Receipt, err error) []*Receipt {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := t.findLocked(r.id)
	if i < 0 {
		return nil
	}
	t.removeLocked(i).settle(FateRejected, err)
	return []*Receipt{r}
}

// pendingFor reports whether a receipt waits to be given to lk.
func (t *tracker) pendingFor(lk *link) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range t.list {
		if r.on != lk {
			return true
		}
	}
	return false
}

// withdraw removes r if it was never written: a Send whose ctx ended
// before its turn to write. It reports false if r is tracked after all.
func (t *tracker) withdraw(r *Receipt, lk *link) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := t.findLocked(r.id)
	if i < 0 || r.on != lk || r.written {
		return false
	}
	t.removeLocked(i)
	return true
}

// unclaim undoes a mark whose write never started (its turn to write did
// not come).
func (t *tracker) unclaim(r *Receipt, lk *link, resend bool) {
	t.mu.Lock()
	if r.on == lk {
		r.written = resend
	}
	t.mu.Unlock()
}

// ack applies one acknowledgement and appends the receipts it settled.
// An ack for an id never written, or settled already, changes nothing: a
// server cannot acknowledge what it was never sent. written counts a
// write on an earlier connection: the server may have it from there, so
// an ack that comes before the resend goes out settles it.
func (t *tracker) ack(a Ack, out []*Receipt) []*Receipt {
	t.mu.Lock()
	defer t.mu.Unlock()
	fate, err := FateAcked, error(nil)
	if a.Reject {
		fate, err = FateRejected, &NackError{ID: a.ID, Reason: a.Reason}
	}
	if !a.Upto {
		if i := t.findLocked(a.ID); i >= 0 && t.list[i].written {
			r := t.removeLocked(i)
			r.settle(fate, err)
			out = append(out, r)
		}
		return out
	}
	for i := 0; i < len(t.list) && t.list[i].id <= a.ID; {
		if !t.list[i].written {
			i++
			continue
		}
		r := t.removeLocked(i)
		if a.Reject {
			err = &NackError{ID: r.id, Reason: a.Reason}
		}
		r.settle(fate, err)
		out = append(out, r)
	}
	return out
}

// end settles every receipt left when the Conn ends: expired if its
// deadline has passed, else unconfirmed if it was ever written, unsent if
// not.
func (t *tracker) end(err error, now time.Time) []*Receipt {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended = true
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	rs := t.list
	for _, r := range rs {
		switch {
		case r.expired(now):
			r.settle(FateExpired, ErrExpired)
		case r.written:
			r.settle(FateUnconfirmed, err)
		default:
			r.settle(FateUnsent, err)
		}
	}
	t.list, t.bytes = nil, 0
	token(t.room)
	return rs
}
