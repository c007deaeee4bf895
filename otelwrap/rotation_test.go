package otelwrap_test

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/wsreconnect/wsreconnect/otelwrap"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

var rotatedEnd = policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Label: reconnect.LabelRotated}

// rotationRows are TestObserverEvents rows for a rotation and the heartbeat.
func rotationRows() []struct {
	name     string
	opts     []otelwrap.Option
	events   script
	wantTree string
	want     []metricdata.Metrics
} {
	const s, ms = time.Second, time.Millisecond
	return []struct {
		name     string
		opts     []otelwrap.Option
		events   script
		wantTree string
		want     []metricdata.Metrics
	}{{
		name: "heartbeat, then a rotation with a failed attempt, session spans",
		opts: []otelwrap.Option{otelwrap.WithSessionSpans()},
		events: script{}.connect(0, 1).
			at(30*s, reconnect.Event{Kind: reconnect.EventHeartbeat, Generation: 1, RTT: 2 * ms}).
			at(60*s, reconnect.Event{Kind: reconnect.EventRotating, Generation: 2}).
			at(60*s, reconnect.Event{Kind: reconnect.EventAttempt, Generation: 2, Attempt: 1, Rotation: true}).
			at(60*s, reconnect.Event{Kind: reconnect.EventAttemptDone, Generation: 2, Attempt: 1, Status: 503, Decision: busy, Err: errBusy, Rotation: true}).
			at(60*s, reconnect.Event{Kind: reconnect.EventWaiting, Generation: 2, Attempt: 2, Delay: s, Decision: busy, Err: errBusy, Rotation: true}).
			at(61*s, reconnect.Event{Kind: reconnect.EventAttempt, Generation: 2, Attempt: 2, Rotation: true}).
			at(61*s, reconnect.Event{Kind: reconnect.EventAttemptDone, Generation: 2, Attempt: 2, Status: 101, Rotation: true}).
			at(62*s, reconnect.Event{Kind: reconnect.EventDisconnected, Generation: 1, Duration: 62 * s, Decision: rotatedEnd, Err: errClosed}).
			at(62*s, reconnect.Event{Kind: reconnect.EventConnected, Generation: 2, Attempt: 0, Rotation: true}).
			at(62*s, reconnect.Event{Kind: reconnect.EventRotated, Generation: 2, Duration: 2 * s, Dropped: 7}).
			at(70*s, reconnect.Event{Kind: reconnect.EventDisconnected, Generation: 2, Duration: 8 * s, Decision: closedByUs, Err: errClosed}).
			at(70*s, reconnect.Event{Kind: reconnect.EventClosed, Generation: 2, Decision: closedByUs, Err: final(reconnect.KindClosed, closedByUs, 0, errClosed)}),
		// The rotated session ends as no error and starts no outage; the
		// rotation is a root span with its attempts and its wait.
		wantTree: `
websocket.reconnect internal +0s..+0s Unset
  {TARGET}
    websocket.connect client +0s..+0s Unset
      {http.response.status_code=101 TARGET websocket.reconnect.attempt=1}
websocket.session internal +0s..+1m2s Unset
  {TARGET websocket.disconnect.category=retryable websocket.disconnect.label=rotated websocket.disconnect.outcome=retry}
websocket.rotation internal +1m0s..+1m2s Unset
  {TARGET websocket.rotation.dropped=7 websocket.rotation.duration=2}
  event websocket.backoff +1m0s {websocket.backoff.delay=1 websocket.disconnect.label=handshake_503 websocket.reconnect.attempt=2}
    websocket.connect client +1m0s..+1m0s Error "failed to WebSocket dial: expected handshake response status code 101 but got 503"
      {error.type=handshake_503 http.response.status_code=503 TARGET websocket.disconnect.category=retryable websocket.disconnect.outcome=retry websocket.reconnect.attempt=1}
      event exception +1m0s {exception.message=failed to WebSocket dial: expected handshake response status code 101 but got 503 exception.type=*errors.errorString}
    websocket.connect client +1m1s..+1m1s Unset
      {http.response.status_code=101 TARGET websocket.reconnect.attempt=2}
websocket.session internal +1m2s..+1m10s Unset
  {TARGET websocket.disconnect.category=terminal websocket.disconnect.label=closed websocket.disconnect.outcome=stop}
`,
		want: []metricdata.Metrics{
			sum("websocket.client.attempts", true, pt(2, statusClass("1xx")), pt(1, statusClass("5xx"), errType("handshake_503"), retryable, retry)),
			sum("websocket.client.disconnections", true, pt(1, retryable, retry, lbl("rotated")), pt(1, terminal, stop, lbl("closed"))),
			sum("websocket.client.connection.count", false, pt(0)),
			histogram("websocket.client.outage.duration", obs([]float64{0})),
			histogram("websocket.client.connection.duration", obs([]float64{62}, retryable, retry, lbl("rotated")), obs([]float64{8}, terminal, stop, lbl("closed"))),
			histogram("websocket.client.backoff.delay", obs([]float64{1}, retryable, retry, lbl("handshake_503"))),
			histogram("websocket.client.ping.duration", obs([]float64{0.002})),
			sum("websocket.client.rotations", true, pt(1, rotationOutcome("rotated"))),
		},
	}}
}

func rotationOutcome(o string) attribute.KeyValue { return otelwrap.RotationOutcomeKey.String(o) }
