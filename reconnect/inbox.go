package reconnect

import (
	"sync"

	"github.com/coder/websocket"
)

// Message is one WebSocket message.
type Message struct {
	Type websocket.MessageType
	Data []byte
	// Generation is the connection the message arrived on, numbered from 1
	// as in Event.Generation: a change tells the application that a
	// sequence may restart. It is 0 for messages never received
	// (Undelivered).
	Generation uint64
	// Expired marks a message of Undelivered whose deadline passed
	// (Options.Expiry, WriteUntil): it was never written.
	Expired bool
}

// inbox is the bounded receive buffer between the connection's reader and
// Read. The reader waits only when it is full; that is the backpressure.
type inbox struct {
	mu       sync.Mutex
	ring     []Message
	head, n  int
	bytes    int
	maxMsgs  int
	maxBytes int
	readers  int           // Reads waiting for a message
	pushers  int           // connection readers waiting for room
	arrived  chan struct{} // a token wakes a waiting Read
	room     chan struct{} // a token wakes a waiting connection reader

	// The reader role of the current connection (reader.go).
	lk     *link
	role   int
	direct int           // waiting Reads that may take the role
	stamp  uint64        // messages Reads read themselves, for the lease
	back   chan struct{} // a token wakes the Conn's reader: the role may be back
	fates  int           // Waits (awaitFate) that may take the role
	fated  chan struct{} // a token wakes one of them; made by the first
}

func newInbox(maxMsgs, maxBytes int) inbox {
	return inbox{maxMsgs: maxMsgs, maxBytes: maxBytes,
		arrived: make(chan struct{}, 1), room: make(chan struct{}, 1), back: make(chan struct{}, 1)}
}

// fullLocked reports whether a message of size must wait. A message larger
// than the byte bound still goes into an empty buffer.
func (in *inbox) fullLocked(size int) bool {
	return in.n >= in.maxMsgs || in.n > 0 && in.bytes+size > in.maxBytes
}

// put adds m, waiting while the buffer is full. If dead closes first it
// adds m all the same, past the bound, and returns false: a message that
// was read from the network is never dropped.
func (in *inbox) put(m Message, k msgKey, lk *link, hb *heartbeat) bool {
	alive := true
	in.mu.Lock()
	for alive && in.fullLocked(len(m.Data)) {
		in.pushers++
		in.mu.Unlock()
		hb.pause()
		select {
		case <-in.room:
		case <-lk.dead:
			alive = false
		}
		hb.resume()
		in.mu.Lock()
		in.pushers--
	}
	if !lk.delivering(k) { // a rotation retired lk meanwhile
		in.mu.Unlock()
		return alive
	}
	in.pushLocked(m)
	wake := in.readers > 0
	in.mu.Unlock()
	if wake {
		token(in.arrived)
	}
	return alive
}

// next removes the oldest message. With the buffer empty, a Read that may
// read itself (direct) takes the reader role if a Read holds it unused,
// and gets the connection to read.
func (in *inbox) next(direct bool) (m Message, lk *link, ok bool) {
	in.mu.Lock()
	if in.n == 0 {
		if direct && in.role == roleIdle && in.lk != nil {
			in.role, lk = roleRead, in.lk
		}
		in.mu.Unlock()
		return Message{}, lk, false
	}
	m = in.popLocked()
	more := in.n > 0 && in.readers > 0
	room := in.pushers > 0
	in.mu.Unlock()
	if more {
		token(in.arrived) // pass the wake-up on to the next Read
	}
	if room {
		token(in.room)
	}
	return m, nil, true
}

// wait registers a Read as waiting; it reports false, without
// registering, if the Read should try next again. A Read that cannot read
// itself takes the role back from a Read that left it unused.
func (in *inbox) wait(direct bool) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.n > 0 || direct && in.role == roleIdle && in.lk != nil {
		return false
	}
	in.readers++
	if direct {
		in.direct++
	} else if in.role == roleIdle {
		in.role = roleConn
		token(in.back)
	}
	return true
}

func (in *inbox) unwait(direct bool) {
	in.mu.Lock()
	in.readers--
	if direct {
		in.direct--
	}
	in.mu.Unlock()
}

func (in *inbox) pushLocked(m Message) {
	if in.n == len(in.ring) {
		in.grow()
	}
	i := in.head + in.n
	if i >= len(in.ring) {
		i -= len(in.ring)
	}
	in.ring[i] = m
	in.n++
	in.bytes += len(m.Data)
}

// grow doubles the ring, up to the message bound: an idle Conn holds no
// ring at all, a busy one keeps the one it grew.
func (in *inbox) grow() {
	size := min(max(8, 2*len(in.ring)), max(in.maxMsgs, in.n+1))
	r := make([]Message, size)
	for i := range in.n {
		r[i] = in.ring[(in.head+i)%len(in.ring)]
	}
	in.ring, in.head = r, 0
}

func (in *inbox) popLocked() Message {
	m := in.ring[in.head]
	in.ring[in.head] = Message{}
	in.head++
	if in.head == len(in.ring) {
		in.head = 0
	}
	in.n--
	in.bytes -= len(m.Data)
	return m
}

// token sends a wake-up on ch unless one is already pending.
func token(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
