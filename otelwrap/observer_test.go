package otelwrap_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/otelwrap"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// exampleTarget is how the target's attributes render; the trees show
// them as TARGET.
const exampleTarget = "server.address=example.com server.port=443 url.full=wss://example.com/ws url.scheme=wss"

// script builds events for one Conn at offsets from wstest.Epoch.
type script []reconnect.Event

func (s script) at(d time.Duration, e reconnect.Event) script {
	e.Time = wstest.Epoch.Add(d)
	e.Target = "wss://example.com/ws"
	return append(s, e)
}

// connect appends a first attempt that succeeds at d: attempt,
// attempt_done with 101, connected.
func (s script) connect(d time.Duration, gen uint64) script {
	return s.
		at(d, reconnect.Event{Kind: reconnect.EventAttempt, Generation: gen, Attempt: 1}).
		at(d, reconnect.Event{Kind: reconnect.EventAttemptDone, Generation: gen, Attempt: 1, Status: 101}).
		at(d, reconnect.Event{Kind: reconnect.EventConnected, Generation: gen, Attempt: 1})
}

var (
	refused    = policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Label: "dial_refused"}
	dropped    = policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Code: 1006, Label: "close_1006"}
	busy       = policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Status: 503, Label: "handshake_503"}
	denied     = policy.Decision{Category: policy.Terminal, Outcome: policy.Stop, Status: 401, Label: "handshake_401"}
	closedByUs = policy.Decision{Category: policy.Terminal, Outcome: policy.Stop, Label: "closed"}
	requested  = policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Label: "reconnect"}

	errRefused = errors.New("dial tcp 10.0.0.1:443: connect: connection refused")
	errEOF     = fmt.Errorf("failed to get reader: %w", websocket.CloseError{Code: 1006, Reason: "gone"})
	errBusy    = errors.New("failed to WebSocket dial: expected handshake response status code 101 but got 503")
	errDenied  = errors.New("failed to WebSocket dial: expected handshake response status code 101 but got 401")
	errClosed  = errors.New("reconnect: use of closed network connection")
)

func final(k reconnect.Kind, d policy.Decision, attempts int, cause error) error {
	return &reconnect.Error{Kind: k, Decision: d, Attempts: attempts, Err: cause}
}

// TestObserverEvents feeds hand-built event sequences to the observer and
// checks every span and metric point.
func TestObserverEvents(t *testing.T) {
	t.Parallel()
	const s, ms = time.Second, time.Millisecond
	tests := []struct {
		name     string
		opts     []otelwrap.Option
		events   script
		wantTree string
		want     []metricdata.Metrics
	}{
		{
			name: "refused, connected, dropped, Close during the wait",
			events: script{}.
				at(0, reconnect.Event{Kind: reconnect.EventAttempt, Generation: 1, Attempt: 1}).
				at(100*ms, reconnect.Event{Kind: reconnect.EventAttemptDone, Generation: 1, Attempt: 1, Duration: 100 * ms, Decision: refused, Err: errRefused}).
				at(100*ms, reconnect.Event{Kind: reconnect.EventWaiting, Generation: 1, Attempt: 2, Delay: 500 * ms, Decision: refused, Err: errRefused}).
				at(600*ms, reconnect.Event{Kind: reconnect.EventAttempt, Generation: 1, Attempt: 2}).
				at(700*ms, reconnect.Event{Kind: reconnect.EventAttemptDone, Generation: 1, Attempt: 2, Status: 101, Duration: 100 * ms}).
				at(700*ms, reconnect.Event{Kind: reconnect.EventConnected, Generation: 1, Attempt: 2, Duration: 700 * ms}).
				at(10700*ms, reconnect.Event{Kind: reconnect.EventDisconnected, Generation: 1, Duration: 10 * s, Decision: dropped, Err: errEOF}).
				at(10700*ms, reconnect.Event{Kind: reconnect.EventWaiting, Generation: 2, Attempt: 1, Delay: 250 * ms, Decision: dropped, Err: errEOF}).
				at(10800*ms, reconnect.Event{Kind: reconnect.EventClosed, Generation: 1, Decision: dropped, Err: final(reconnect.KindClosed, dropped, 0, errClosed)}),
			wantTree: `
websocket.reconnect internal +0s..+700ms Unset
  {TARGET}
  event websocket.backoff +100ms {websocket.backoff.delay=0.5 websocket.disconnect.label=dial_refused websocket.reconnect.attempt=2}
    websocket.connect client +0s..+100ms Error "dial tcp 10.0.0.1:443: connect: connection refused"
      {error.type=dial_refused TARGET websocket.disconnect.category=retryable websocket.disconnect.outcome=retry websocket.reconnect.attempt=1}
      event exception +100ms {exception.message=dial tcp 10.0.0.1:443: connect: connection refused exception.type=*errors.errorString}
    websocket.connect client +600ms..+700ms Unset
      {http.response.status_code=101 TARGET websocket.reconnect.attempt=2}
websocket.reconnect internal +10.7s..+10.8s Error "reconnect: closed (close_1006): reconnect: use of closed network connection"
  {error.type=closed TARGET websocket.close.code=1006 websocket.disconnect.category=retryable websocket.disconnect.label=close_1006 websocket.disconnect.outcome=retry}
  event websocket.backoff +10.7s {websocket.backoff.delay=0.25 websocket.disconnect.label=close_1006 websocket.reconnect.attempt=1}
  event exception +10.8s {exception.message=reconnect: closed (close_1006): reconnect: use of closed network connection exception.type=*reconnect.Error}
`,
			want: []metricdata.Metrics{
				sum("websocket.client.attempts", true, pt(1, errType("dial_refused"), retryable, retry), pt(1, statusClass("1xx"))),
				sum("websocket.client.disconnections", true, pt(1, code(1006), retryable, retry, lbl("close_1006"))),
				sum("websocket.client.connection.count", false, pt(0)),
				histogram("websocket.client.outage.duration", obs([]float64{0.7}), obs([]float64{0.1}, errType("closed"))),
				histogram("websocket.client.connection.duration", obs([]float64{10}, code(1006), retryable, retry, lbl("close_1006"))),
				histogram("websocket.client.backoff.delay",
					obs([]float64{0.5}, retryable, retry, lbl("dial_refused")),
					obs([]float64{0.25}, code(1006), retryable, retry, lbl("close_1006"))),
			},
		},
		{
			name: "gave up after two 503s",
			events: script{}.
				at(0, reconnect.Event{Kind: reconnect.EventAttempt, Generation: 1, Attempt: 1}).
				at(0, reconnect.Event{Kind: reconnect.EventAttemptDone, Generation: 1, Attempt: 1, Status: 503, Decision: busy, Err: errBusy}).
				at(0, reconnect.Event{Kind: reconnect.EventWaiting, Generation: 1, Attempt: 2, Delay: s, Decision: busy, Err: errBusy}).
				at(s, reconnect.Event{Kind: reconnect.EventAttempt, Generation: 1, Attempt: 2}).
				at(s, reconnect.Event{Kind: reconnect.EventAttemptDone, Generation: 1, Attempt: 2, Status: 503, Decision: busy, Err: errBusy}).
				at(s, reconnect.Event{Kind: reconnect.EventGaveUp, Generation: 1, Attempt: 2, Duration: s, Decision: busy, Err: errBusy}).
				at(s, reconnect.Event{Kind: reconnect.EventClosed, Decision: busy, Attempt: 2, Err: final(reconnect.KindGaveUp, busy, 2, errBusy)}),
			wantTree: `
websocket.reconnect internal +0s..+1s Error "failed to WebSocket dial: expected handshake response status code 101 but got 503"
  {error.type=gave_up TARGET}
  event websocket.backoff +0s {websocket.backoff.delay=1 websocket.disconnect.label=handshake_503 websocket.reconnect.attempt=2}
  event exception +1s {exception.message=failed to WebSocket dial: expected handshake response status code 101 but got 503 exception.type=*errors.errorString}
    websocket.connect client +0s..+0s Error "failed to WebSocket dial: expected handshake response status code 101 but got 503"
      {error.type=handshake_503 http.response.status_code=503 TARGET websocket.disconnect.category=retryable websocket.disconnect.outcome=retry websocket.reconnect.attempt=1}
      event exception +0s {exception.message=failed to WebSocket dial: expected handshake response status code 101 but got 503 exception.type=*errors.errorString}
    websocket.connect client +1s..+1s Error "failed to WebSocket dial: expected handshake response status code 101 but got 503"
      {error.type=handshake_503 http.response.status_code=503 TARGET websocket.disconnect.category=retryable websocket.disconnect.outcome=retry websocket.reconnect.attempt=2}
      event exception +1s {exception.message=failed to WebSocket dial: expected handshake response status code 101 but got 503 exception.type=*errors.errorString}
`,
			want: []metricdata.Metrics{
				sum("websocket.client.attempts", true, pt(2, statusClass("5xx"), errType("handshake_503"), retryable, retry)),
				histogram("websocket.client.outage.duration", obs([]float64{1}, errType("gave_up"))),
				histogram("websocket.client.backoff.delay", obs([]float64{1}, retryable, retry, lbl("handshake_503"))),
			},
		},
		{
			name: "terminal handshake",
			events: script{}.
				at(0, reconnect.Event{Kind: reconnect.EventAttempt, Generation: 1, Attempt: 1}).
				at(0, reconnect.Event{Kind: reconnect.EventAttemptDone, Generation: 1, Attempt: 1, Status: 401, Decision: denied, Err: errDenied}).
				at(0, reconnect.Event{Kind: reconnect.EventClosed, Decision: denied, Attempt: 1, Err: final(reconnect.KindTerminal, denied, 1, errDenied)}),
			wantTree: `
websocket.reconnect internal +0s..+0s Error "reconnect: terminal (handshake_401) after 1 attempt: failed to WebSocket dial: expected handshake response status code 101 but got 401"
  {error.type=handshake_401 TARGET}
  event exception +0s {exception.message=reconnect: terminal (handshake_401) after 1 attempt: failed to WebSocket dial: expected handshake response status code 101 but got 401 exception.type=*reconnect.Error}
    websocket.connect client +0s..+0s Error "failed to WebSocket dial: expected handshake response status code 101 but got 401"
      {error.type=handshake_401 http.response.status_code=401 TARGET websocket.disconnect.category=terminal websocket.disconnect.outcome=stop websocket.reconnect.attempt=1}
      event exception +0s {exception.message=failed to WebSocket dial: expected handshake response status code 101 but got 401 exception.type=*errors.errorString}
`,
			want: []metricdata.Metrics{
				sum("websocket.client.attempts", true, pt(1, statusClass("4xx"), errType("handshake_401"), terminal, stop)),
				histogram("websocket.client.outage.duration", obs([]float64{0}, errType("handshake_401"))),
			},
		},
		{
			name: "session span, Close while connected",
			opts: []otelwrap.Option{otelwrap.WithSessionSpans()},
			events: script{}.connect(0, 1).
				at(90*s, reconnect.Event{Kind: reconnect.EventDisconnected, Generation: 1, Duration: 90 * s, Decision: closedByUs, Err: errClosed}).
				at(90*s, reconnect.Event{Kind: reconnect.EventClosed, Generation: 1, Decision: closedByUs, Err: final(reconnect.KindClosed, closedByUs, 0, errClosed)}),
			wantTree: `
websocket.reconnect internal +0s..+0s Unset
  {TARGET}
    websocket.connect client +0s..+0s Unset
      {http.response.status_code=101 TARGET websocket.reconnect.attempt=1}
websocket.session internal +0s..+1m30s Unset
  {TARGET websocket.disconnect.category=terminal websocket.disconnect.label=closed websocket.disconnect.outcome=stop}
`,
			want: []metricdata.Metrics{
				sum("websocket.client.attempts", true, pt(1, statusClass("1xx"))),
				sum("websocket.client.disconnections", true, pt(1, terminal, stop, lbl("closed"))),
				sum("websocket.client.connection.count", false, pt(0)),
				histogram("websocket.client.outage.duration", obs([]float64{0})),
				histogram("websocket.client.connection.duration", obs([]float64{90}, terminal, stop, lbl("closed"))),
			},
		},
		{
			name: "Reconnect then Close, session spans",
			opts: []otelwrap.Option{otelwrap.WithSessionSpans()},
			events: script{}.connect(0, 1).
				at(5*s, reconnect.Event{Kind: reconnect.EventDisconnected, Generation: 1, Duration: 5 * s, Decision: requested, Err: errClosed}).
				connect(5*s, 2).
				at(6*s, reconnect.Event{Kind: reconnect.EventDisconnected, Generation: 2, Duration: s, Decision: closedByUs, Err: errClosed}).
				at(6*s, reconnect.Event{Kind: reconnect.EventClosed, Generation: 2, Decision: closedByUs, Err: final(reconnect.KindClosed, closedByUs, 0, errClosed)}),
			wantTree: `
websocket.reconnect internal +0s..+0s Unset
  {TARGET}
    websocket.connect client +0s..+0s Unset
      {http.response.status_code=101 TARGET websocket.reconnect.attempt=1}
websocket.session internal +0s..+5s Unset
  {TARGET websocket.disconnect.category=retryable websocket.disconnect.label=reconnect websocket.disconnect.outcome=retry}
websocket.reconnect internal +5s..+5s Unset
  {TARGET websocket.disconnect.category=retryable websocket.disconnect.label=reconnect websocket.disconnect.outcome=retry}
    websocket.connect client +5s..+5s Unset
      {http.response.status_code=101 TARGET websocket.reconnect.attempt=1}
websocket.session internal +5s..+6s Unset
  {TARGET websocket.disconnect.category=terminal websocket.disconnect.label=closed websocket.disconnect.outcome=stop}
`,
			want: []metricdata.Metrics{
				sum("websocket.client.attempts", true, pt(2, statusClass("1xx"))),
				sum("websocket.client.disconnections", true, pt(1, retryable, retry, lbl("reconnect")), pt(1, terminal, stop, lbl("closed"))),
				sum("websocket.client.connection.count", false, pt(0)),
				histogram("websocket.client.outage.duration", obs([]float64{0, 0})),
				histogram("websocket.client.connection.duration", obs([]float64{5}, retryable, retry, lbl("reconnect")), obs([]float64{1}, terminal, stop, lbl("closed"))),
			},
		},
		{
			name: "Close during a dial, no attempt_done",
			events: script{}.
				at(0, reconnect.Event{Kind: reconnect.EventAttempt, Generation: 1, Attempt: 1}).
				at(2*s, reconnect.Event{Kind: reconnect.EventClosed, Err: final(reconnect.KindClosed, policy.Decision{}, 1, errClosed)}),
			wantTree: `
websocket.reconnect internal +0s..+2s Error "reconnect: closed: reconnect: use of closed network connection"
  {error.type=closed TARGET}
  event exception +2s {exception.message=reconnect: closed: reconnect: use of closed network connection exception.type=*reconnect.Error}
    websocket.connect client +0s..+2s Error "reconnect: closed: reconnect: use of closed network connection"
      {error.type=closed TARGET websocket.reconnect.attempt=1}
      event exception +2s {exception.message=reconnect: closed: reconnect: use of closed network connection exception.type=*reconnect.Error}
`,
			want: []metricdata.Metrics{
				histogram("websocket.client.outage.duration", obs([]float64{2}, errType("closed"))),
			},
		},
	}
	tests = append(tests, rotationRows()...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.opts...)
			for _, e := range tt.events {
				h.obs.OnEvent(e)
			}
			if got, want := h.tree(wstest.Epoch, exampleTarget, "TARGET"), strings.TrimPrefix(tt.wantTree, "\n"); got != want {
				t.Errorf("span tree:\n%s\nwant:\n%s", got, want)
			}
			h.assertMetrics(t, tt.want...)
		})
	}
}
