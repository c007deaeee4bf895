package reconnect

import (
	"context"
	"fmt"
	"sync"

	"github.com/coder/websocket"
)

// link is one established connection. Whoever decides it must end
// (Reconnect, Close, the heartbeat, a failed Write, a panicking hook) kills
// it: dead closes first, so a reader waiting for room in the receive buffer
// returns at once, then the socket closes, so a reader inside ws.Read
// returns too.
type link struct {
	ws   *websocket.Conn
	gen  uint64
	ep   int    // the endpoint it is on
	url  string // that endpoint's URL
	tgt  string // and without secrets
	dead chan struct{}
	wmu  chan struct{} // serialises writes; a ctx can give up waiting for it
	hb   *heartbeat
	wire *wire // its transport; nil if a custom Dialer's client made it

	readErr error // how a Read reading it directly saw it end (inbox.mu)
	flow    *flow // the inbound pipeline (inbound.go); nil without one

	linkRotation // its part in rotations (rotate.go)

	once  sync.Once
	cause error // why it was killed; set before dead is closed
}

func newLink(ws *websocket.Conn, gen uint64, ep int, e endpoint) *link {
	return &link{ws: ws, gen: gen, ep: ep, url: e.url, tgt: e.target, dead: make(chan struct{}), wmu: make(chan struct{}, 1),
		linkRotation: linkRotation{drained: make(chan struct{})}}
}

// kill ends the link without a close handshake. Only the first call counts.
func (l *link) kill(cause error) {
	l.end(cause, (*websocket.Conn).CloseNow)
}

// end records cause, wakes the reader and closes the socket with shut.
func (l *link) end(cause error, shut func(*websocket.Conn) error) {
	first := false
	l.once.Do(func() {
		l.cause = cause
		close(l.dead)
		first = true
	})
	if first {
		shut(l.ws)
	}
}

// delivering reports whether a message lk read may be delivered (not once
// lk is retired), and notes it for a rotation in progress.
func (l *link) delivering(k msgKey) bool {
	if l.retired.Load() {
		return false
	}
	if f := l.flow; f != nil && f.mark.set {
		f.commit()
	}
	l.noteDelivered(k)
	return true
}

// killedBy returns the cause given to the first kill, nil if none.
func (l *link) killedBy() error {
	select {
	case <-l.dead:
		return l.cause
	default:
		return nil
	}
}

// write sends one message. ctx bounds only the wait for other writers:
// once the frame is being written it is not interrupted, because
// coder/websocket would close the shared connection to stop it.
func (l *link) write(ctx context.Context, typ websocket.MessageType, p []byte) error {
	select {
	case l.wmu <- struct{}{}:
	default:
		select {
		case l.wmu <- struct{}{}:
		case <-ctx.Done():
			return &waitError{fmt.Errorf("failed to write: %w", ctx.Err())}
		case <-l.dead:
			return errLinkDead
		}
	}
	err := l.ws.Write(context.Background(), typ, p)
	<-l.wmu
	return err
}

// waitError is a Write whose ctx ended before its turn came: nothing was
// written and the connection is unharmed.
type waitError struct{ err error }

func (e *waitError) Error() string { return e.err.Error() }
func (e *waitError) Unwrap() error { return e.err }
