package otelwrap

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// spanRotation covers one rotation, EventRotating to EventRotated; its
// attempts are websocket.connect children, its waits websocket.backoff
// events. It is a root span: a rotation is no outage.
const spanRotation = "websocket.rotation"

func (o *observer) rotating(e reconnect.Event) {
	o.endRotation(e.Time, nil) // one without its end
	o.rotationCtx, o.rotation = o.tracer.Start(context.Background(), spanRotation,
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithTimestamp(e.Time),
		trace.WithAttributes(o.attrs...))
}

// rotationStep records an attempt or a wait of the rotation under way.
func (o *observer) rotationStep(e reconnect.Event) {
	if o.rotation == nil {
		o.rotating(e)
	}
	switch e.Kind {
	case reconnect.EventAttempt:
		if o.rconnect != nil {
			o.rconnect.End(trace.WithTimestamp(e.Time))
		}
		_, o.rconnect = o.tracer.Start(o.rotationCtx, spanConnect,
			trace.WithSpanKind(trace.SpanKindClient),
			trace.WithTimestamp(e.Time),
			trace.WithAttributes(o.with(attemptAttrs(e)...)...))
	case reconnect.EventAttemptDone:
		o.attemptDone(e, &o.rconnect)
	case reconnect.EventWaiting:
		o.rotation.AddEvent(eventBackoff, trace.WithTimestamp(e.Time), trace.WithAttributes(
			BackoffDelayKey.Float64(e.Delay.Seconds()),
			DisconnectLabelKey.String(label(e.Decision)),
			ReconnectAttemptKey.Int(e.Attempt)))
		o.inst.backoff.Record(context.Background(), e.Delay.Seconds(), metric.WithAttributes(endAttrs(e.Decision)...))
	}
}

func (o *observer) rotated(e reconnect.Event) {
	s := o.rotation
	if s == nil {
		return
	}
	s.SetAttributes(RotationDurationKey.Float64(e.Duration.Seconds()), RotationDroppedKey.Int(e.Dropped))
	o.endRotation(e.Time, e.Err)
}

// endRotation ends the rotation span, as a failure when err is set.
func (o *observer) endRotation(t time.Time, err error) {
	s := o.rotation
	if s == nil {
		return
	}
	o.rotation, o.rotationCtx = nil, nil
	if o.rconnect != nil {
		o.rconnect.End(trace.WithTimestamp(t))
		o.rconnect = nil
	}
	outcome := "rotated"
	if err != nil {
		outcome = "abandoned"
		o.fail(s, t, endType(err), err)
	}
	s.End(trace.WithTimestamp(t))
	o.inst.rotations.Add(context.Background(), 1, metric.WithAttributes(RotationOutcomeKey.String(outcome)))
}
