package conformance_test

import (
	"context"
	"fmt"
	"hash/crc32"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/conformance"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// outcome is what one client path made of a case.
type outcome struct {
	trace    string   // the server's trace of the client
	got      []string // digests of the messages the application received
	decision string   // the policy's decision on the end, "outcome label"
	problem  string   // the harness could not run the path

	heartbeats int // pongs the heartbeat got while the case played
}

// path runs a case through one client.
type path struct {
	name string
	run  func(t *testing.T, srv *conformance.Server, c conformance.Case) outcome
}

var paths = []path{
	{"raw", runRaw},
	{"read", connPath(mode{})},
	{"direct", connPath(mode{direct: true})},
	{"handler", connPath(mode{handler: true})},
	{"heartbeat", connPath(mode{heartbeat: true})},
	{"rotation", connPath(mode{rotate: true})},
}

// readLimit is the same on every path: the Conn's default, or 32 MiB for
// the 16 MiB messages.
func readLimit(c conformance.Case) int64 {
	if c.Big {
		return 32 << 20
	}
	return reconnect.DefaultReadLimit
}

func digest(typ websocket.MessageType, p []byte) string {
	return fmt.Sprintf("%v:%d:%08x", typ, len(p), crc32.ChecksumIEEE(p))
}

func decisionText(d policy.Decision) string { return d.Outcome.String() + " " + d.Label }

// waitTrace returns the server's trace, or a problem if it never came.
func waitTrace(trace <-chan string) (string, string) {
	select {
	case tr := <-trace:
		return tr, ""
	case <-time.After(conformance.Deadline + 5*time.Second):
		return "", "the server never finished the case"
	}
}

// runRaw echoes with coder/websocket alone, as its Autobahn client does.
func runRaw(t *testing.T, srv *conformance.Server, c conformance.Case) outcome {
	url, trace := srv.Start(c, conformance.RunOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), conformance.Deadline)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return outcome{problem: "dial: " + err.Error()}
	}
	defer ws.CloseNow()
	ws.SetReadLimit(readLimit(c))
	var o outcome
	for {
		typ, p, err := ws.Read(ctx)
		if err != nil {
			o.decision = decisionText(policy.Default().Classify(err, nil))
			break
		}
		o.got = append(o.got, digest(typ, p))
		ws.Write(ctx, typ, p) // a failed write shows in the next Read
	}
	ws.CloseNow()
	o.trace, o.problem = waitTrace(trace)
	return o
}

// mode says how a reconnect.Conn path reads.
type mode struct {
	direct    bool // Read with a ctx that cannot end: Read reads the connection itself
	handler   bool // Options.OnMessage
	heartbeat bool // pings every millisecond; the case starts after the first pong
	rotate    bool // the case plays on the connection a rotation makes
}

// echoer records what the application receives and echoes it.
type echoer struct {
	ctx context.Context
	mu  sync.Mutex
	got []string
}

func (e *echoer) echo(c *reconnect.Conn, m reconnect.Message) {
	e.mu.Lock()
	e.got = append(e.got, digest(m.Type, m.Data))
	e.mu.Unlock()
	if c != nil {
		c.Write(e.ctx, m.Type, m.Data)
	}
}

// messages returns what the application received.
func (e *echoer) messages() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.got
}

func connPath(m mode) func(*testing.T, *conformance.Server, conformance.Case) outcome {
	return func(t *testing.T, srv *conformance.Server, c conformance.Case) outcome {
		return runConn(t, srv, c, m)
	}
}
