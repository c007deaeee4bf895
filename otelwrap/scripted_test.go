package otelwrap_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/otelwrap"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// scriptedPolicy makes every wait deterministic: no jitter, no spread, and
// the first wait after a drop is half of Backoff.Initial.
var scriptedPolicy = policy.Policy{
	RestartSpread: -1,
	FloorJitter:   -1,
	Backoff:       policy.Backoff{Jitter: -1},
	Rand:          func() float64 { return 0.5 },
}

// closer is a server script step: accept, wait for the test, close.
type closer struct {
	code   websocket.StatusCode
	reason string
	now    chan struct{}
}

// scriptedServer answers 503 with Retry-After: 1 to the first busy
// requests, then accepts one connection per closer and closes it when the
// test closes its channel.
func scriptedServer(t *testing.T, busy int, closers ...closer) string {
	t.Helper()
	done := make(chan struct{})
	u, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n <= busy {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if n-busy > len(closers) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		cl := closers[n-busy-1]
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		select {
		case <-cl.now:
			ws.Close(cl.code, cl.reason)
		case <-done:
			ws.CloseNow()
		}
	})
	t.Cleanup(func() { close(done) }) // runs before the server closes
	return u
}

// scriptedConn dials u on a fake clock, with h's observer and a Recorder
// that moves the clock over every wait.
func scriptedConn(t *testing.T, h *harness, u string, o reconnect.Options) (*reconnect.Conn, *wstest.Recorder, *fakeclock.Clock) {
	t.Helper()
	app := o.Policy.App // the only part of o.Policy kept
	o.Policy = scriptedPolicy
	o.Policy.App = app
	o.PingInterval = -1
	o.Observer = h.obs
	c, rec, err := wstest.Dial(t, u, &o, true)
	if err != nil {
		t.Fatalf("Dial() = %v", err)
	}
	return c, rec, rec.Clock
}

// waitDone waits for c to end, with a real-time guard against a hang.
func waitDone(t *testing.T, c *reconnect.Conn) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("Conn did not end")
	}
}

// runScript drives the sequence against a real server: two 503s
// with Retry-After: 1, connect, up 10 s, close 1012, reconnect, up 3 s,
// close 1008 (terminal).
func runScript(t *testing.T, h *harness) (target string) {
	t.Helper()
	restart := closer{websocket.StatusServiceRestart, "restart\x00now, bye", make(chan struct{})}
	kick := closer{websocket.StatusPolicyViolation, "kicked", make(chan struct{})}
	u := scriptedServer(t, 2, restart, kick)
	c, rec, clock := scriptedConn(t, h, u, reconnect.Options{})

	rec.Next(t, reconnect.EventConnected)
	clock.Advance(10 * time.Second)
	close(restart.now)
	rec.Next(t, reconnect.EventConnected)
	clock.Advance(3 * time.Second)
	close(kick.now)
	waitDone(t, c)

	var re *reconnect.Error
	if err := c.Err(); !errors.As(err, &re) || re.Kind != reconnect.KindTerminal || re.Decision.Code != websocket.StatusPolicyViolation {
		t.Fatalf("Err() = %v, want a terminal 1008", err)
	}
	p, _ := url.Parse(u)
	return "server.address=127.0.0.1 server.port=" + p.Port() + " url.full=" + u + " url.scheme=ws"
}

const wantScriptTree = `
websocket.reconnect internal +0s..+2s Unset
  {TARGET}
  event websocket.backoff +0s {websocket.backoff.delay=1 websocket.disconnect.label=handshake_503 websocket.reconnect.attempt=2}
  event websocket.backoff +1s {websocket.backoff.delay=1 websocket.disconnect.label=handshake_503 websocket.reconnect.attempt=3}
    websocket.connect client +0s..+0s Error "failed to WebSocket dial: expected handshake response status code 101 but got 503"
      {error.type=handshake_503 http.response.status_code=503 TARGET websocket.disconnect.category=retryable websocket.disconnect.outcome=retry websocket.reconnect.attempt=1}
      event exception +0s {exception.message=failed to WebSocket dial: expected handshake response status code 101 but got 503 exception.type=*fmt.wrapError}
    websocket.connect client +1s..+1s Error "failed to WebSocket dial: expected handshake response status code 101 but got 503"
      {error.type=handshake_503 http.response.status_code=503 TARGET websocket.disconnect.category=retryable websocket.disconnect.outcome=retry websocket.reconnect.attempt=2}
      event exception +1s {exception.message=failed to WebSocket dial: expected handshake response status code 101 but got 503 exception.type=*fmt.wrapError}
    websocket.connect client +2s..+2s Unset
      {http.response.status_code=101 TARGET websocket.reconnect.attempt=3}
websocket.session internal +2s..+12s Error "failed to get reader: received close frame: status = StatusServiceRestart and reason = \"restart�now, b\""
  {error.type=close_1012 TARGET websocket.close.code=1012 websocket.close.reason=restart�now, b websocket.disconnect.category=retryable websocket.disconnect.label=close_1012 websocket.disconnect.outcome=retry}
  event exception +12s {exception.message=failed to get reader: received close frame: status = StatusServiceRestart and reason = "restart�now, b" exception.type=*errors.errorString}
websocket.reconnect internal +12s..+12.25s Unset
  {TARGET websocket.close.code=1012 websocket.close.reason=restart�now, b websocket.disconnect.category=retryable websocket.disconnect.label=close_1012 websocket.disconnect.outcome=retry}
  event websocket.backoff +12s {websocket.backoff.delay=0.25 websocket.disconnect.label=close_1012 websocket.reconnect.attempt=1}
    websocket.connect client +12.25s..+12.25s Unset
      {http.response.status_code=101 TARGET websocket.reconnect.attempt=1}
websocket.session internal +12.25s..+15.25s Error "failed to get reader: received close frame: status = StatusPolicyViolation and reason = \"kicked\""
  {error.type=close_1008 TARGET websocket.close.code=1008 websocket.close.reason=kicked websocket.disconnect.category=terminal websocket.disconnect.label=close_1008 websocket.disconnect.outcome=stop}
  event exception +15.25s {exception.message=failed to get reader: received close frame: status = StatusPolicyViolation and reason = "kicked" exception.type=*fmt.wrapError}
`

func TestScriptedSequence(t *testing.T) {
	t.Parallel()
	h := newHarness(t, otelwrap.WithSessionSpans(), otelwrap.WithCloseReason(16))
	target := runScript(t, h)

	got := h.tree(wstest.Epoch, target, "TARGET")
	t.Logf("span tree (TARGET = %s):\n%s", target, got)
	if want := strings.TrimPrefix(wantScriptTree, "\n"); got != want {
		t.Errorf("span tree:\n%s\nwant:\n%s", got, want)
	}
	restarted := []attribute.KeyValue{code(1012), retryable, retry, lbl("close_1012")}
	kicked := []attribute.KeyValue{code(1008), terminal, stop, lbl("close_1008")}
	busy := []attribute.KeyValue{retryable, retry, lbl("handshake_503")}
	h.assertMetrics(t,
		sum("websocket.client.attempts", true,
			pt(2, statusClass("5xx"), errType("handshake_503"), retryable, retry),
			pt(2, statusClass("1xx"))),
		sum("websocket.client.disconnections", true, pt(1, restarted...), pt(1, kicked...)),
		sum("websocket.client.connection.count", false, pt(0)),
		histogram("websocket.client.outage.duration", obs([]float64{2, 0.25})),
		histogram("websocket.client.connection.duration", obs([]float64{10}, restarted...), obs([]float64{3}, kicked...)),
		histogram("websocket.client.backoff.delay", obs([]float64{1, 1}, busy...), obs([]float64{0.25}, restarted...)),
	)
}

// TestCredentialRefreshReadsAsARefresh: a 4401 listed in AuthCodes, with
// Target set, ends the session with outcome "refresh", and the outage
// span that follows carries its cause, as any retried end's does.
func TestCredentialRefreshReadsAsARefresh(t *testing.T) {
	t.Parallel()
	h := newHarness(t, otelwrap.WithSessionSpans())
	expire := closer{4401, "token expired", make(chan struct{})}
	stay := closer{websocket.StatusNormalClosure, "", make(chan struct{})}
	u := scriptedServer(t, 0, expire, stay)
	target := func(context.Context, reconnect.Attempt) (reconnect.Target, error) { return reconnect.Target{}, nil }
	auth := policy.Policy{App: policy.AppRules{AuthCodes: []websocket.StatusCode{4401}}}
	_, rec, _ := scriptedConn(t, h, u, reconnect.Options{Target: target, Policy: auth})
	rec.Next(t, reconnect.EventConnected)
	close(expire.now)
	if e := rec.Next(t, reconnect.EventDisconnected); !e.Refresh {
		t.Fatalf("EventDisconnected after the 4401: Refresh not set (%v)", e.Decision)
	}
	rec.Next(t, reconnect.EventConnected)
	refresh := otelwrap.DisconnectOutcomeKey.String("refresh")
	var outage, session bool
	reconnects := 0
	for _, s := range h.spans.Ended() {
		set := attribute.NewSet(s.Attributes()...)
		switch s.Name() {
		case "websocket.reconnect":
			if reconnects++; reconnects == 1 {
				continue // the first connect's: no cause
			}
			outage = true
			for _, kv := range []attribute.KeyValue{code(4401), lbl("close_app"), refresh} {
				if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
					t.Errorf("websocket.reconnect span: %s = %v, want %v", kv.Key, v.String(), kv.Value.String())
				}
			}
		case "websocket.session":
			session = true
			if v, _ := set.Value(refresh.Key); v != refresh.Value {
				t.Errorf("websocket.session span: outcome %v, want refresh", v.String())
			}
		}
	}
	if !outage || !session {
		t.Fatalf("spans: outage %v, session %v", outage, session)
	}
	if !disconnectedAs(t, h, refresh) {
		t.Errorf("websocket.client.disconnections: no point with %v", refresh.Value.String())
	}
}

// disconnectedAs reports whether a point of websocket.client.disconnections
// carries kv.
func disconnectedAs(t *testing.T, h *harness, kv attribute.KeyValue) bool {
	t.Helper()
	for _, m := range h.metrics(t).Metrics {
		if s, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "websocket.client.disconnections" {
			for _, p := range s.DataPoints {
				if v, ok := p.Attributes.Value(kv.Key); ok && v == kv.Value {
					return true
				}
			}
		}
	}
	return false
}
