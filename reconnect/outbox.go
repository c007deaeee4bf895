package reconnect

import "github.com/coder/websocket"

// outbox is the bounded, ordered send buffer. It is guarded by Conn.mu.
type outbox struct {
	msgs          []queued
	bytes         int
	maxMsgs, maxB int
	seq           uint64
}

// queued is a buffered message with an id, so that the flusher removes
// exactly the message it wrote, whatever happened to the buffer meanwhile.
type queued struct {
	Message
	id uint64
}

// push appends a copy of p, or reports that the buffer is full.
func (o *outbox) push(typ websocket.MessageType, p []byte) bool {
	if len(o.msgs)+1 > o.maxMsgs || o.bytes+len(p) > o.maxB {
		return false
	}
	o.seq++
	o.msgs = append(o.msgs, queued{Message{Type: typ, Data: append([]byte(nil), p...)}, o.seq})
	o.bytes += len(p)
	return true
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

// drain empties the buffer and returns what it held, in order.
func (o *outbox) drain() []Message {
	if len(o.msgs) == 0 {
		return nil
	}
	m := make([]Message, len(o.msgs))
	for i, q := range o.msgs {
		m[i] = q.Message
	}
	o.msgs, o.bytes = nil, 0
	return m
}
