package reconnect

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
)

// Make-before-break rotation. A rotation dials a new connection and runs
// OnConnect on it on a goroutine of its own, while the current connection
// keeps delivering. Then it finds where the two streams meet and switches
// there, under the Conn's lock: the new connection becomes current and
// writable, the old one is closed, and the rotation's goroutine becomes
// the supervisor, with the loop's state, and reads the new connection.
//
// With Options.MessageKey the meeting point is exact: the rotation reads
// the new connection's first message and lets the old connection deliver
// until it delivers that message's key too; nothing the old one reads
// after that is delivered, and the new one's messages the old one
// delivered already are dropped. Without a key, or if the streams do not
// meet within DialTimeout, the old connection delivers until its close
// handshake ends; coder/websocket discards data that arrives while it
// reads the handshake itself, so the switch may then lose or repeat a few
// messages. Either way the new connection's first read starts before the
// switch (readFirst), and a connection that ended is never switched to.

// linkRotation is a connection's part in rotations: as the old one
// (replaced, retired, drained, rot), as the new one (rotated, first,
// filter), and its failback timer. The atomics need no lock, but retired
// is set under the receive buffer's lock, so that the buffer takes
// nothing from the connection after it (inbox.put); Conn.mu guards
// failbackTimer; first and rotated are set before the rotation's
// goroutine becomes the connection's reader, and only that reader reads
// them.
type linkRotation struct {
	replaced atomic.Bool   // a rotation made another connection current
	retired  atomic.Bool   // nothing it reads is delivered any more
	drained  chan struct{} // closed when its reader is done after replaced

	rot    atomic.Pointer[rotation] // recording the keys it delivers
	filter atomic.Pointer[rotation] // checking its messages for duplicates

	rotated bool       // it came from a rotation
	first   *firstRead // started by the rotation that made it, taken first

	failbackTimer Timer // Conn.mu
}

// connRotation is the Conn's part in rotations. mu guards rotating and
// retired; preferred is set before the first connection, which any
// rotation follows.
type connRotation struct {
	rotating  bool     // a rotation is dialling
	retired   []*link  // connections a rotation replaced, still closing
	preferred endpoint // the first endpoint, for failbacks
	// pending is a rotation whose EventRotated the supervisor still owes.
	pending atomic.Pointer[rotation]
}

var (
	errRotated = errors.New("reconnect: replaced by a rotation")
	// errOvertaken abandons a rotation whose old connection ended first:
	// the supervisor reconnects as after any end.
	errOvertaken = errors.New("reconnect: rotation abandoned: the connection ended first")
)

// Rotate replaces the current connection without a gap: it dials a new
// one and runs OnConnect on it (resubscribe there) while the current one
// keeps delivering, then switches: writes go to the new connection, the
// old one is closed with a normal close, every message the server sent on
// it before it saw the close is delivered, and then the new connection's.
// A server that does not finish the close within DialTimeout has the old
// connection cut, and whatever it still had in flight is lost. A failed attempt keeps the old connection and
// retries with backoff until one succeeds, the old connection ends (the
// Conn then reconnects as usual) or a decision stops; a new connection
// that ends before the switch fails the rotation, with its end on
// EventRotated. A rotation never leaves the application without a
// connection. It does nothing while a
// rotation runs or there is no connection, and does not wait, so it is safe
// from every hook. Events: EventRotating, the new connection's attempts
// (Rotation set), its EventConnected, the old one's EventDisconnected
// (label "rotated"), and EventRotated.
func (c *Conn) Rotate() {
	c.mu.Lock()
	lk := c.cur
	c.mu.Unlock()
	c.rotateFrom(lk)
}

// rotateFrom rotates lk, on the endpoint it is on, if it is still the
// current connection.
func (c *Conn) rotateFrom(lk *link) {
	if lk != nil {
		c.rotateTo(lk, lk.ep, endpoint{url: lk.url, target: lk.tgt}, false)
	}
}

// failback rotates lk to the preferred endpoint, once.
func (c *Conn) failback(lk *link) {
	c.rotateTo(lk, 0, c.preferred, true)
}

// rotateTo rotates lk to the endpoint ep, e.
func (c *Conn) rotateTo(lk *link, ep int, e endpoint, once bool) {
	c.mu.Lock()
	ok := lk != nil && c.cur == lk && !c.closing && !c.rotating && lk.killedBy() == nil
	if ok {
		c.rotating = true
	}
	c.mu.Unlock()
	if ok {
		c.gate.spawn(func() {
			c.rotate(&rotation{old: lk, gen: lk.gen + 1, start: c.now(), key: c.opts.MessageKey, ep: ep, epv: e, once: once})
		})
	}
}

func (c *Conn) rotate(r *rotation) {
	old := r.old
	if r.key != nil {
		r.keys = map[string]struct{}{}
		r.order = []string{}
		old.rot.Store(r)
	}
	c.emit(Event{Kind: EventRotating, Generation: r.gen})
	nl, err := c.rotationDial(r)
	met, d := false, policy.Decision{}
	if nl != nil {
		if met, err = c.vet(r, nl); err != nil { // never switch to a dead one
			d = c.classify(err, nil)
			nl.ws.CloseNow()
			nl = nil
		}
	}
	if nl == nil || !c.switchTo(old, nl, met) {
		old.rot.Store(nil)
		if nl != nil {
			nl.ws.CloseNow()
		}
		c.mu.Lock()
		c.rotating = false
		c.mu.Unlock()
		if err == nil {
			err = errOvertaken
		}
		c.emit(Event{Kind: EventRotated, Generation: r.gen, Duration: c.now().Sub(r.start), Err: err, Decision: d, Target: r.epv.target, Endpoint: r.ep})
		if r.once {
			c.armFailback(old) // try again later
		}
		return
	}
	c.drain(old)
	old.rot.Store(nil) // old has delivered all it will: the keys are final
	r.mu.Lock()
	if len(r.keys) > 0 {
		r.scan = len(r.keys) + 1000
		nl.filter.Store(r)
	} else {
		r.done = true
	}
	r.mu.Unlock()
	if prev := c.pending.Swap(r); prev != nil { // nobody else is the supervisor now
		c.emit(Event{Kind: EventRotated, Generation: prev.gen, Duration: c.now().Sub(prev.start), Dropped: prev.duplicates()})
	}
	c.loop.supervise(nl, nil) // this goroutine is the supervisor now
}

// drain waits for the old connection to deliver what it has and end,
// cutting it if its close takes longer than DialTimeout.
func (c *Conn) drain(old *link) {
	t := c.opts.Clock.NewTimer(c.alignBound())
	defer t.Stop()
	select {
	case <-old.drained:
		return
	case <-t.C():
		old.kill(errRotated)
	case <-c.ctx.Done():
	}
	select { // Close or the cut ends its reader at once, unless a hook holds it
	case <-old.drained:
	case <-c.ctx.Done():
	}
}

// rotationDial dials the new connection, retrying with a backoff of its
// own; nil with a nil error means the old connection or the Conn ended.
func (c *Conn) rotationDial(r *rotation) (*link, error) {
	var b backoff.BackOff
	c.policyCall(func() { b = c.opts.Policy.FreshBackoff() })
	if b == nil { // the application's NewBackoff; Dial checked its first only
		return nil, errors.New("Policy.NewBackoff returned nil")
	}
	var t tries
	for {
		if c.ctx.Err() != nil || r.old.killedBy() != nil {
			return nil, nil
		}
		if nl := c.dialNext(&t, r.gen, r.ep, r.epv, true); nl != nil {
			return nl, nil
		}
		switch {
		case t.refreshOnce(c):
			continue
		case !t.last.Retry(), r.once:
			return nil, t.err
		}
		next, delay := backoff.Stop, time.Duration(0)
		c.policyCall(func() { next = b.NextBackOff(); delay = c.opts.Policy.Delay(t.last, next) })
		if next == backoff.Stop { // the backoff gave up: the old connection stays
			return nil, t.err
		}
		c.pause(t.waiting(r.gen, delay, true), r.old.dead)
	}
}

// switchTo makes nl the current connection in old's place, if old still
// is, and closes old; retire: nothing old reads from now on is delivered.
func (c *Conn) switchTo(old, nl *link, retire bool) bool {
	c.mu.Lock()
	if c.cur != old || c.closing || old.killedBy() != nil {
		c.mu.Unlock()
		return false
	}
	if retire {
		c.in.mu.Lock() // the receive buffer takes nothing more from old
		old.retired.Store(true)
		c.in.mu.Unlock()
	}
	old.replaced.Store(true)
	nl.rotated = true
	c.cur = nl
	if c.writable.Load() == old { // there is a connection all along: up stays closed
		c.writable.Store(nl)
	}
	c.rotating = false
	c.retired = append(c.retired, old)
	c.mu.Unlock()
	c.gate.spawn(func() {
		old.end(errRotated, func(ws *websocket.Conn) error { return ws.Close(websocket.StatusNormalClosure, "rotated") })
	})
	return true
}

// replacedEnd reports the end of a connection a rotation replaced, on its
// reader's goroutine, which then exits.
func (c *Conn) replacedEnd(lk *link, uptime time.Duration, err error) {
	c.mu.Lock()
	c.retired = removeLink(c.retired, lk)
	c.mu.Unlock()
	c.emit(Event{Kind: EventDisconnected, Generation: lk.gen, Duration: uptime, Decision: rotatedDecision, Err: err, Dropped: c.takeDropped()})
	close(lk.drained)
}

func removeLink(ls []*link, lk *link) []*link {
	for i, l := range ls {
		if l == lk {
			return append(ls[:i], ls[i+1:]...)
		}
	}
	return ls
}

// startAge arms the rotation at Options.MaxAge, less up to MaxAgeJitter of
// it, so that a fleet does not rotate in step and the time of day drifts.
func (c *Conn) startAge(lk *link) Timer {
	if c.opts.MaxAge <= 0 {
		return nil
	}
	var r float64
	c.policyCall(func() { r = c.opts.Policy.Rand() }) // set by Dial
	age := time.Duration(float64(c.opts.MaxAge) * (1 - max(c.opts.MaxAgeJitter, 0)*r))
	return c.opts.Clock.AfterFunc(age, func() { c.rotateFrom(lk) })
}

// armFailback arms the failback of lk, on an endpoint other than the
// preferred one; startAge-like, the timer goes with the connection.
func (c *Conn) armFailback(lk *link) {
	if c.opts.FailbackAfter <= 0 || lk.ep == 0 {
		return
	}
	t := c.opts.Clock.AfterFunc(c.opts.FailbackAfter, func() { c.failback(lk) })
	c.mu.Lock()
	if old := lk.failbackTimer; old != nil {
		old.Stop()
	}
	lk.failbackTimer = t
	c.mu.Unlock()
}

// stopFailback stops the failback of lk, which ended.
func (c *Conn) stopFailback(lk *link) {
	c.mu.Lock()
	if t := lk.failbackTimer; t != nil {
		t.Stop()
	}
	c.mu.Unlock()
}
