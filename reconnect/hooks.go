package reconnect

import (
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// gate counts a Conn's goroutines so that Close can wait for them all
// without waiting for one that is inside an application hook: that hook
// may be the caller of Close, or may block for ever.
type gate struct {
	busy    atomic.Int64 // goroutines running library code
	live    atomic.Int64 // goroutines, hooks included
	closing atomic.Bool
	quiet   chan struct{} // a token when busy reaches 0 while closing
	ended   atomic.Bool   // the supervisor has finished
	done    chan struct{} // closed when live reaches 0 after the end
	once    sync.Once

	// onMessage is odd while the reader runs OnMessage: the reader is
	// then inside a hook, though counted busy. Two adds per message are
	// cheaper than leaving and entering the busy count.
	onMessage atomic.Uint64

	waiting func() // tests: called each time waitQuiet is about to block
}

func newGate() gate {
	return gate{quiet: make(chan struct{}, 1), done: make(chan struct{})}
}

// spawn runs f on a new goroutine that the gate counts.
func (g *gate) spawn(f func()) {
	g.busy.Add(1)
	g.live.Add(1)
	go func() {
		defer g.exit()
		f()
	}()
}

func (g *gate) exit() {
	g.leave()
	g.exitHook()
}

// exitHook ends a goroutine that ran only a hook, never counted busy.
func (g *gate) exitHook() {
	if g.live.Add(-1) == 0 && g.ended.Load() {
		g.once.Do(func() { close(g.done) })
	}
}

// finish marks the supervisor's end; done closes once every goroutine,
// the caller's included, has exited.
func (g *gate) finish() { g.ended.Store(true) }

// leave is called when a goroutine enters a hook or exits. While closing
// every leave wakes waitQuiet, not only the last: a reader inside
// OnMessage stays counted busy, so the count Close waits for need not be 0.
func (g *gate) leave() {
	if g.busy.Add(-1) <= int64(g.onMessage.Load()&1) && g.closing.Load() {
		select {
		case g.quiet <- struct{}{}:
		default:
		}
	}
}

// await waits for ch, closed by another goroutine of the Conn that may be
// inside a hook. Meanwhile the caller counts as inside a hook too: Close
// must not wait for a hook through it.
func (g *gate) await(ch <-chan struct{}) {
	select {
	case <-ch:
		return
	default:
	}
	g.leave()
	<-ch
	g.busy.Add(1)
}

// waitQuiet returns once every goroutine has exited or is inside a hook.
func (g *gate) waitQuiet() {
	g.closing.Store(true)
	defer token(g.quiet) // another Close may be waiting for the same wake-up
	for g.busy.Load()-int64(g.onMessage.Load()&1) > 0 {
		if g.waiting != nil {
			g.waiting()
		}
		select {
		case <-g.quiet:
		case <-g.done:
			return
		}
	}
}

// PanicError is the cause of a Conn that ended because an application
// hook panicked. The Conn ends as KindTerminal with the label "panic": a
// panic is a bug, and retrying would run into it again.
type PanicError struct {
	// Hook names the hook: "OnConnect", "OnMessage", "MessageKey", "Observer",
	// "Dialer", "Classifier" (AppRules.Func too), "Target", "Codec",
	// "Position", "OnFate", the Wait of "DialBudget" or of "WritePacer"
	// (when the Conn flushes its send buffer; in Write the panic reaches
	// the caller), or the Policy's "Rand", "Now" or "NewBackoff" (the
	// backoff it returns too).
	Hook  string
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("reconnect: %s panicked: %v", e.Hook, e.Value)
}

// callHook runs an application hook on the calling goroutine, outside the
// gate's busy count, and turns a panic into a *PanicError.
func (c *Conn) callHook(name string, f func()) *PanicError {
	c.gate.leave()
	defer c.gate.busy.Add(1)
	return contain(name, f)
}

// contain runs f and turns a panic into a *PanicError.
func contain(name string, f func()) (perr *PanicError) {
	defer func() {
		if v := recover(); v != nil {
			perr = &PanicError{Hook: name, Value: v, Stack: debug.Stack()}
		}
	}()
	f()
	return nil
}

// readerHook runs a hook on a connection's reader path; every hook there
// goes through it (MessageKey, Codec.Decode, Position, OnFate). The caller holds no lock: a panic unwinds through its
// frames only, and a hook that blocks blocks no other goroutine. own says
// the caller is one of the Conn's goroutines, which Close must not wait
// for while it is in the hook; a Read's goroutine is the application's.
// A panic ends the Conn and is returned: the caller stops reading.
func (c *Conn) readerHook(name string, own bool, f func()) *PanicError {
	var p *PanicError
	if own {
		p = c.callHook(name, f)
	} else {
		p = contain(name, f)
	}
	if p != nil {
		c.fail(p)
	}
	return p
}

// msgKey is a message's Options.MessageKey, taken once per message.
type msgKey struct {
	k  string
	ok bool
}

// keyOf returns m's MessageKey, taken through readerHook.
func (c *Conn) keyOf(m Message, own bool) (msgKey, *PanicError) {
	f := c.opts.MessageKey
	if f == nil {
		return msgKey{}, nil
	}
	var k msgKey
	p := c.readerHook("MessageKey", own, func() { k.k, k.ok = f(m) })
	return k, p
}

// guardPolicy wraps the Policy's functions the application supplied
// (Rand, Now, NewBackoff and the backoffs it makes) so that a panic in one
// ends the Conn as any hook's does, whichever goroutine it runs on: a
// heartbeat's timer has no caller for it to reach. Rand is kept in
// [0, 1]. The defaults cannot panic and stay as they are. app is the
// Options given to Dial, before defaults.
func (c *Conn) guardPolicy(app *Options) {
	if app == nil {
		return
	}
	p, a := &c.opts.Policy, app.Policy
	if f := a.Rand; f != nil {
		p.Rand = func() (r float64) {
			if perr := contain("Rand", func() { r = f() }); perr != nil {
				c.fail(perr)
			}
			switch { // out of [0, 1): the nearest end, as pingWait takes it
			case r >= 1:
				return 1
			case r >= 0:
				return r
			}
			return 0 // negative or NaN
		}
	}
	if f := a.Now; f != nil {
		p.Now = func() (t time.Time) {
			if perr := contain("Now", func() { t = f() }); perr != nil {
				c.fail(perr)
				return c.now()
			}
			return t
		}
	}
	if f := a.NewBackoff; f != nil {
		p.NewBackoff = func() (b backoff.BackOff) {
			if perr := contain("NewBackoff", func() { b = f() }); perr != nil {
				c.fail(perr)
				return &backoff.StopBackOff{} // the Conn ends before it is used
			}
			if b == nil {
				return nil
			}
			return &guardedBackoff{c, b}
		}
	}
	c.policyHooks = a.Rand != nil || a.Now != nil || a.NewBackoff != nil
}

// guardedBackoff is a backoff made by the application's NewBackoff.
type guardedBackoff struct {
	c *Conn
	b backoff.BackOff
}

func (g *guardedBackoff) NextBackOff() (d time.Duration) {
	if p := contain("NewBackoff", func() { d = g.b.NextBackOff() }); p != nil {
		g.c.fail(p)
		return 0 // the caller finds the Conn ended
	}
	return d
}

func (g *guardedBackoff) Reset() {
	if p := contain("NewBackoff", g.b.Reset); p != nil {
		g.c.fail(p)
	}
}

// policyCall runs f, which may call the application's Policy functions,
// on a goroutine the gate counts. With any such function it runs outside
// the busy count, as a hook does: one that blocks must not hold Close.
func (c *Conn) policyCall(f func()) {
	if !c.policyHooks {
		f()
		return
	}
	c.gate.leave()
	defer c.gate.busy.Add(1)
	f()
}
