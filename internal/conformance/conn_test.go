package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsreconnect/wsreconnect/internal/conformance"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// watch is the Observer of a path's Conn: it keeps the decision on the
// first end that is not a rotation (or of the connection a rotation gave
// up on), and counts heartbeats and rotations.
type watch struct {
	ends                  chan string
	heartbeats, rotations atomic.Int32
	keptOld               atomic.Bool   // the end was a rotation's, before its switch
	ended                 atomic.Bool   // an end has been recorded
	retried               chan struct{} // closed on a wait or attempt after the end
	retriedOnce           sync.Once
}

func (w *watch) OnEvent(e reconnect.Event) {
	switch {
	case (e.Kind == reconnect.EventWaiting || e.Kind == reconnect.EventAttempt) && w.ended.Load():
		w.retriedOnce.Do(func() { close(w.retried) })
	case e.Kind == reconnect.EventHeartbeat:
		w.heartbeats.Add(1)
	case e.Kind == reconnect.EventRotated:
		w.rotations.Add(1)
		if e.Err != nil { // the case's connection ended before the switch
			w.keptOld.Store(true)
			w.end(e.Decision)
		}
	case e.Kind == reconnect.EventDisconnected && e.Decision.Label != reconnect.LabelRotated:
		w.end(e.Decision)
	}
}

func (w *watch) end(d policy.Decision) {
	w.ended.Store(true)
	select {
	case w.ends <- decisionText(d):
	default:
	}
}

// runConn echoes through a reconnect.Conn read the way m says. The Conn
// is closed once its first connection has ended and the server has
// finished the case.
func runConn(t *testing.T, srv *conformance.Server, c conformance.Case, m mode) outcome {
	url, trace := srv.Start(c, conformance.RunOptions{Hold: m.rotate, AwaitPing: m.heartbeat})
	ctx, cancel := context.WithTimeout(context.Background(), conformance.Deadline)
	defer cancel()
	w := &watch{ends: make(chan string, 1), retried: make(chan struct{})}
	o := &reconnect.Options{Observer: w, ReadLimit: readLimit(c), PingInterval: -1}
	if m.heartbeat {
		// A pong waits behind a long frame (16 MiB under -race takes
		// seconds): the timeout is the case's, so the path checks that
		// pings interleave, not how fast a frame is read.
		o.PingInterval, o.PingTimeout = time.Millisecond, conformance.Deadline
	}
	e := &echoer{ctx: ctx}
	if m.handler {
		o.OnMessage = e.echo // the handler gets its Conn, even before Dial returns
	}
	conn, err := reconnect.Dial(ctx, url, o)
	if err != nil {
		return outcome{problem: "dial: " + err.Error()}
	}
	defer conn.CloseNow()
	if m.rotate {
		conn.Rotate()
	}
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		if !m.handler {
			readLoop(ctx, conn, e, m.direct)
		}
	}()
	wantConns := 1 // the case's connection, after the held one on a rotation
	if m.rotate {
		wantConns = 2
	}
	out := finish(conn, w, trace, readDone, func() int { return srv.Conns(url) }, wantConns)
	out.got = e.messages()
	if m.rotate && w.rotations.Load() != 1 && out.problem == "" {
		out.problem = "the case did not play on a rotation's connection"
	}
	return out
}

// finish waits for the end's decision and the server's trace, checks that
// a stop ended the Conn with no attempt after it, closes the Conn and
// waits for its reader.
func finish(conn *reconnect.Conn, w *watch, trace <-chan string, readDone <-chan struct{},
	conns func() int, wantConns int) outcome {
	var out outcome
	select {
	case out.decision = <-w.ends:
	case <-time.After(conformance.Deadline + 5*time.Second):
		out.problem = "the connection never ended"
	}
	var problem string
	out.trace, problem = waitTrace(trace)
	out.problem += problem
	if out.problem == "" {
		out.problem = endProblem(out.decision, settle(conn, w, out.decision, conns, wantConns))
	}
	conn.CloseNow()
	select {
	case <-readDone:
	case <-time.After(wstest.Guard):
		out.problem += "Read did not return after CloseNow"
	}
	out.heartbeats = int(w.heartbeats.Load())
	return out
}

// settle says how the Conn stands once the case has played, waiting for
// it to end by itself after a stop that did not come from a rotation's
// new connection (a failed rotation keeps the old one).
func settle(conn *reconnect.Conn, w *watch, decision string, conns func() int, wantConns int) connEnd {
	e := connEnd{wantConns: wantConns, keptOld: w.keptOld.Load()}
	if strings.HasPrefix(decision, "stop ") && !e.keptOld {
		select {
		case <-conn.Done():
		case <-w.retried: // the count of connections tells
		case <-time.After(wstest.Guard):
		}
	}
	select {
	case <-conn.Done():
		e.ended, e.err = true, conn.Err()
	default:
	}
	e.connected = conn.State() == reconnect.Connected
	e.conns = conns()
	return e
}

// readLoop reads and echoes until the Conn ends. direct reads with a ctx
// that cannot end, which lets Read read the connection itself.
func readLoop(ctx context.Context, c *reconnect.Conn, e *echoer, direct bool) {
	rctx := ctx
	if direct {
		rctx = context.Background()
	}
	for {
		m, err := c.ReadMessage(rctx)
		if err != nil {
			return
		}
		e.echo(c, m)
	}
}

// connEnd is how a Conn stood once the case had played.
type connEnd struct {
	ended     bool
	err       error
	conns     int // connections the server accepted or refused for the run
	wantConns int
	keptOld   bool // the end was a rotation's new connection, before the switch
	connected bool
}

// endProblem says how e falls short of decision: a stop ends the Conn by
// itself, terminal, on that decision and with no attempt after the case's
// connection; a stop on a rotation's new connection before the switch
// keeps the old one, connected, with no attempt after it; a retry leaves
// the Conn running.
func endProblem(decision string, e connEnd) string {
	if strings.HasPrefix(decision, "stop ") && e.keptOld {
		switch {
		case e.ended:
			return fmt.Sprintf("a failed rotation ended the Conn: %v", e.err)
		case !e.connected:
			return "a failed rotation left the Conn without its old connection"
		case e.conns != e.wantConns:
			return fmt.Sprintf("the server was dialled %d times, want %d: a failed rotation's stop was retried", e.conns, e.wantConns)
		}
		return ""
	}
	if !strings.HasPrefix(decision, "stop ") {
		if e.ended {
			return fmt.Sprintf("the Conn ended on a retry decision: %v", e.err)
		}
		return ""
	}
	var re *reconnect.Error
	switch {
	case !e.ended:
		return "the Conn did not end on a stop decision"
	case !errors.Is(e.err, reconnect.ErrTerminal) || !errors.As(e.err, &re):
		return fmt.Sprintf("the Conn ended with %v, not terminal", e.err)
	case decisionText(re.Decision) != decision:
		return fmt.Sprintf("the Conn ended on %q, the end was %q", decisionText(re.Decision), decision)
	case e.conns != e.wantConns:
		return fmt.Sprintf("the server was dialled %d times, want %d: a stop was retried", e.conns, e.wantConns)
	}
	return ""
}
