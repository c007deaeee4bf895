package otelwrap

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Span and event names.
const (
	spanConnect   = "websocket.connect"
	spanReconnect = "websocket.reconnect"
	spanSession   = "websocket.session"
	eventBackoff  = "websocket.backoff"
)

// New returns an Observer that turns the events of one reconnect.Conn into
// spans and metrics. Give each Conn its own: the observer follows one
// connection's outages and sessions, and events carry no Conn identity.
// It is safe for concurrent use, but events of several Conns would mix
// their spans. Instruments are created here, once.
func New(opts ...Option) reconnect.Observer {
	c := newConfig(opts)
	return &observer{
		tracer: c.tracerProvider.Tracer(ScopeName,
			trace.WithInstrumentationVersion(Version()),
			trace.WithSchemaURL(semconv.SchemaURL)),
		inst: newInstruments(c.meterProvider.Meter(ScopeName,
			metric.WithInstrumentationVersion(Version()),
			metric.WithSchemaURL(semconv.SchemaURL))),
		dinst: newDeliveryInstruments(c.meterProvider.Meter(ScopeName,
			metric.WithInstrumentationVersion(Version()),
			metric.WithSchemaURL(semconv.SchemaURL))),
		sessions:    c.sessions,
		reasonBytes: c.reasonBytes,
	}
}

type observer struct {
	tracer      trace.Tracer
	inst        *instruments
	dinst       *deliveryInstruments // delivery.go
	sessions    bool
	reasonBytes int

	mu          sync.Mutex
	target      string
	attrs       []attribute.KeyValue // of target
	outage      trace.Span           // websocket.reconnect, nil while connected
	outageCtx   context.Context      // carries outage, the parent of attempts
	outageStart time.Time
	connect     trace.Span // websocket.connect of the attempt under way
	session     trace.Span // websocket.session, with WithSessionSpans
	up          bool       // counted in open connections

	rotation    trace.Span      // websocket.rotation under way
	rotationCtx context.Context // carries rotation, the parent of its attempts
	rconnect    trace.Span      // websocket.connect of the rotation's attempt
}

// OnEvent records e. It runs on the Conn's supervisor goroutine, never on
// the Read or Write path. Spans are stamped with e.Time, the Conn's clock.
func (o *observer) OnEvent(e reconnect.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.attrs == nil || e.Target != o.target {
		o.target, o.attrs = e.Target, targetAttrs(e.Target)
	}
	switch e.Kind {
	case reconnect.EventAttempt, reconnect.EventAttemptDone, reconnect.EventWaiting:
		if e.Rotation {
			o.rotationStep(e)
			return
		}
	}
	switch e.Kind {
	case reconnect.EventAttempt:
		o.attempt(e)
	case reconnect.EventAttemptDone:
		o.attemptDone(e, &o.connect)
	case reconnect.EventConnected:
		o.connected(e)
	case reconnect.EventDisconnected:
		o.delivery(e)
		o.disconnected(e)
	case reconnect.EventWaiting:
		o.waiting(e)
	case reconnect.EventGaveUp:
		o.endOutage(e.Time, "gave_up", e.Err)
	case reconnect.EventClosed:
		o.closed(e)
	case reconnect.EventHeartbeat:
		o.inst.ping.Record(context.Background(), e.RTT.Seconds())
	case reconnect.EventRotating:
		o.rotating(e)
	case reconnect.EventRotated:
		o.rotated(e)
	default:
		o.delivery(e)
	}
}

func (o *observer) attempt(e reconnect.Event) {
	if o.outage == nil {
		o.startOutage(e.Time, nil)
	}
	o.endConnect(e.Time) // an attempt without its attempt_done
	_, o.connect = o.tracer.Start(o.outageCtx, spanConnect,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(e.Time),
		trace.WithAttributes(o.with(attemptAttrs(e)...)...))
}

// attemptDone counts the attempt and ends its span, *connect.
func (o *observer) attemptDone(e reconnect.Event, connect *trace.Span) {
	var spanAttrs, metricAttrs []attribute.KeyValue
	if e.Status != 0 {
		spanAttrs = append(spanAttrs, semconv.HTTPResponseStatusCode(e.Status))
		if class := statusClass(e.Status); class != "" {
			metricAttrs = append(metricAttrs, HandshakeStatusClassKey.String(class))
		}
	}
	if e.Err != nil {
		d := decisionAttrs(e.Decision)
		spanAttrs = append(spanAttrs, d...)
		metricAttrs = append(metricAttrs, d...)
		metricAttrs = append(metricAttrs, semconv.ErrorTypeKey.String(label(e.Decision)))
	}
	o.inst.attempts.Add(context.Background(), 1, metric.WithAttributes(metricAttrs...))
	s := *connect
	if s == nil {
		return
	}
	*connect = nil
	s.SetAttributes(spanAttrs...)
	if e.Err != nil {
		o.fail(s, e.Time, label(e.Decision), e.Err)
	}
	s.End(trace.WithTimestamp(e.Time))
}

func (o *observer) connected(e reconnect.Event) {
	o.endOutage(e.Time, "", nil)
	if !o.up {
		o.up = true
		o.inst.open.Add(context.Background(), 1)
	}
	if o.sessions {
		o.endSession(e.Time) // a connected without its disconnected
		_, o.session = o.tracer.Start(context.Background(), spanSession,
			trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithTimestamp(e.Time),
			trace.WithAttributes(o.attrs...))
	}
}

func (o *observer) disconnected(e reconnect.Event) {
	o.down()
	set := metric.WithAttributes(endAttrs(e.Decision)...)
	o.inst.disconnections.Add(context.Background(), 1, set)
	o.inst.lifetime.Record(context.Background(), e.Duration.Seconds(), set)
	cause := o.causeAttrs(e)
	if s := o.session; s != nil {
		o.session = nil
		s.SetAttributes(cause...)
		if !benign(e) {
			o.fail(s, e.Time, label(e.Decision), e.Err)
		}
		s.End(trace.WithTimestamp(e.Time))
	}
	if e.Decision.Retry() && e.Decision.Label != reconnect.LabelRotated {
		o.startOutage(e.Time, cause)
	}
}

func (o *observer) waiting(e reconnect.Event) {
	if o.outage == nil {
		o.startOutage(e.Time, nil)
	}
	o.outage.AddEvent(eventBackoff, trace.WithTimestamp(e.Time), trace.WithAttributes(
		BackoffDelayKey.Float64(e.Delay.Seconds()),
		DisconnectLabelKey.String(label(e.Decision)),
		ReconnectAttemptKey.Int(e.Attempt)))
	o.inst.backoff.Record(context.Background(), e.Delay.Seconds(), metric.WithAttributes(endAttrs(e.Decision)...))
}

// closed ends whatever is still open: the Conn is finished.
func (o *observer) closed(e reconnect.Event) {
	if o.connect != nil {
		o.fail(o.connect, e.Time, endType(e.Err), e.Err)
		o.endConnect(e.Time)
	}
	o.endOutage(e.Time, endType(e.Err), e.Err)
	o.endSession(e.Time)
	o.endRotation(e.Time, e.Err)
	o.down()
}

func (o *observer) down() {
	if o.up {
		o.up = false
		o.inst.open.Add(context.Background(), -1)
	}
}

func (o *observer) startOutage(t time.Time, cause []attribute.KeyValue) {
	o.endOutage(t, "", nil)
	o.outageCtx, o.outage = o.tracer.Start(context.Background(), spanReconnect,
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithTimestamp(t),
		trace.WithAttributes(o.with(cause...)...))
	o.outageStart = t
}

// endOutage ends the outage span, as a failure when errType is set.
func (o *observer) endOutage(t time.Time, errType string, err error) {
	s := o.outage
	if s == nil {
		return
	}
	o.outage, o.outageCtx = nil, nil
	var attrs []attribute.KeyValue
	if errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
		o.fail(s, t, errType, err)
	}
	s.End(trace.WithTimestamp(t))
	o.inst.outage.Record(context.Background(), t.Sub(o.outageStart).Seconds(), metric.WithAttributes(attrs...))
}

func (o *observer) endSession(t time.Time) {
	if o.session != nil {
		o.session.End(trace.WithTimestamp(t))
		o.session = nil
	}
}

func (o *observer) endConnect(t time.Time) {
	if o.connect != nil {
		o.connect.End(trace.WithTimestamp(t))
		o.connect = nil
	}
}

// fail marks s as failed: error.type, the error as an exception event,
// and codes.Error described by the error's text (errType without one).
func (o *observer) fail(s trace.Span, t time.Time, errType string, err error) {
	s.SetAttributes(semconv.ErrorTypeKey.String(errType))
	desc := errType
	if err != nil {
		desc = o.errorText(err)
		if desc != err.Error() {
			err = errors.New(desc) // keep the redacted text only
		}
		s.RecordError(err, trace.WithTimestamp(t))
	}
	s.SetStatus(codes.Error, desc)
}

// causeAttrs describes why a connection ended.
func (o *observer) causeAttrs(e reconnect.Event) []attribute.KeyValue {
	attrs := endAttrs(e.Decision)
	if reason, ok := closeReason(e.Err); ok && o.reasonBytes > 0 {
		attrs = append(attrs, CloseReasonKey.String(sanitize(reason, o.reasonBytes)))
	}
	return attrs
}

// with returns the target's attributes followed by attrs, in a new slice.
func (o *observer) with(attrs ...attribute.KeyValue) []attribute.KeyValue {
	return slices.Concat(o.attrs, attrs)
}

// benign reports whether a connection end is no error: the application
// closed it, asked for a reconnect or rotated it, or the server closed
// with 1000.
func benign(e reconnect.Event) bool {
	l := e.Decision.Label
	return l == reconnect.LabelClosed || l == reconnect.LabelReconnect || l == reconnect.LabelRotated || e.Decision.Code == 1000
}
