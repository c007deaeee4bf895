package conformance_test

import (
	"context"
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
}

func (w *watch) OnEvent(e reconnect.Event) {
	switch {
	case e.Kind == reconnect.EventHeartbeat:
		w.heartbeats.Add(1)
	case e.Kind == reconnect.EventRotated:
		w.rotations.Add(1)
		if e.Err != nil { // the case's connection ended before the switch
			w.end(e.Decision)
		}
	case e.Kind == reconnect.EventDisconnected && e.Decision.Label != reconnect.LabelRotated:
		w.end(e.Decision)
	}
}

func (w *watch) end(d policy.Decision) {
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
	w := &watch{ends: make(chan string, 1)}
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
	out := finish(conn, w, trace, readDone)
	out.got = e.messages()
	if m.rotate && w.rotations.Load() != 1 && out.problem == "" {
		out.problem = "the case did not play on a rotation's connection"
	}
	return out
}

// finish waits for the end's decision and the server's trace, closes the
// Conn and waits for its reader.
func finish(conn *reconnect.Conn, w *watch, trace <-chan string, readDone <-chan struct{}) outcome {
	var out outcome
	select {
	case out.decision = <-w.ends:
	case <-time.After(conformance.Deadline + 5*time.Second):
		out.problem = "the connection never ended"
	}
	var problem string
	out.trace, problem = waitTrace(trace)
	out.problem += problem
	conn.CloseNow()
	select {
	case <-readDone:
	case <-time.After(wstest.Guard):
		out.problem += "Read did not return after CloseNow"
	}
	out.heartbeats = int(w.heartbeats.Load())
	return out
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
