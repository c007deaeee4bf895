package reconnect

import (
	"cmp"
	"slices"
	"time"

	"github.com/coder/websocket"
)

// outbox is the bounded, ordered send buffer. It is guarded by Conn.mu.
type outbox struct {
	msgs          []queued
	bytes         int
	maxMsgs, maxB int
	seq           uint64
	// expired holds the messages whose deadline passed, for Undelivered;
	// it keeps at most maxMsgs of them, the newest (expiry.go).
	expired []queued
	lost    int // expired messages beyond that bound
}

// queued is a buffered message with an id, so that the flusher removes
// exactly the message it wrote, whatever happened to the buffer meanwhile.
type queued struct {
	Message
	id       uint64
	deadline time.Time // zero: none
}

// push appends a copy of p, or reports that the buffer is full. A full
// buffer first sets aside what has expired; expired counts those.
func (o *outbox) push(typ websocket.MessageType, p []byte, deadline, now time.Time) (ok bool, expired int) {
	if o.fullFor(len(p)) {
		expired = o.expire(now, true)
	}
	if o.fullFor(len(p)) {
		return false, expired
	}
	o.seq++
	o.msgs = append(o.msgs, queued{Message{Type: typ, Data: append([]byte(nil), p...)}, o.seq, deadline})
	o.bytes += len(p)
	return true, expired
}

func (o *outbox) fullFor(size int) bool {
	return len(o.msgs)+1 > o.maxMsgs || o.bytes+size > o.maxB
}

func (o *outbox) peek() (queued, bool) {
	if len(o.msgs) == 0 {
		return queued{}, false
	}
	return o.msgs[0], true
}

// remove drops the head of the buffer if it is still the message id: the
// flusher writes the head and removes it only after the write succeeded.
func (o *outbox) remove(id uint64) {
	if len(o.msgs) == 0 || o.msgs[0].id != id {
		return
	}
	o.bytes -= len(o.msgs[0].Data)
	o.msgs[0] = queued{}
	o.msgs = o.msgs[1:]
}

// drain empties the buffer and returns what it held and what expired, in
// the order of the writes.
func (o *outbox) drain(now time.Time) []Message {
	o.expire(now, true)
	all := append(o.expired, o.msgs...)
	if len(all) == 0 {
		return nil
	}
	slices.SortStableFunc(all, func(a, b queued) int { return cmp.Compare(a.id, b.id) })
	m := make([]Message, len(all))
	for i, q := range all {
		m[i] = q.Message
	}
	o.msgs, o.expired, o.bytes = nil, nil, 0
	return m
}
