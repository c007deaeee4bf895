package otelwrap

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Delivery metrics, span events and attributes: the fates of tracked
// sends, the gaps and resets of stream positions, expired messages and
// the duplicates a position check dropped. Stream names are not metric
// attributes (there may be many); they are on the span events. The names
// follow the naming rules of doc.go: a counter is named for what it
// counts, in the plural of its unit's annotation.
const (
	metricFates      = "websocket.client.delivery.fates"
	metricGaps       = "websocket.client.stream.gaps"
	metricResets     = "websocket.client.stream.resets"
	metricExpired    = "websocket.client.expired.messages"
	metricDuplicates = "websocket.client.stream.duplicates"

	eventGap     = "websocket.stream.gap"
	eventReset   = "websocket.stream.reset"
	eventExpired = "websocket.messages.expired"
)

var (
	// DeliveryFateKey is the fate of a tracked send: "acked", "rejected",
	// "expired", "unsent" or "unconfirmed".
	DeliveryFateKey = attribute.Key("websocket.delivery.fate")
	// StreamNameKey names the stream of a gap or reset span event.
	StreamNameKey = attribute.Key("websocket.stream.name")
	// StreamFromKey and StreamToKey are the offsets around a gap.
	StreamFromKey = attribute.Key("websocket.stream.from")
	StreamToKey   = attribute.Key("websocket.stream.to")
	// StreamEpochKey is the new epoch of a reset.
	StreamEpochKey = attribute.Key("websocket.stream.epoch")
	// ExpiredCountKey counts the messages of an expiry span event.
	ExpiredCountKey = attribute.Key("websocket.messages.expired")
)

type deliveryInstruments struct {
	fates, gaps, resets, expired, duplicates metric.Int64Counter
}

func newDeliveryInstruments(m metric.Meter) *deliveryInstruments {
	var d deliveryInstruments
	var errs [5]error
	d.fates, errs[0] = m.Int64Counter(metricFates, metric.WithUnit("{fate}"),
		metric.WithDescription("Tracked sends by fate."))
	d.gaps, errs[1] = m.Int64Counter(metricGaps, metric.WithUnit("{gap}"),
		metric.WithDescription("Jumps in a stream's positions."))
	d.resets, errs[2] = m.Int64Counter(metricResets, metric.WithUnit("{reset}"),
		metric.WithDescription("Epoch changes of a stream."))
	d.expired, errs[3] = m.Int64Counter(metricExpired, metric.WithUnit("{message}"),
		metric.WithDescription("Queued messages whose deadline passed before they were written or acknowledged."))
	d.duplicates, errs[4] = m.Int64Counter(metricDuplicates, metric.WithUnit("{duplicate}"),
		metric.WithDescription("Messages at or below their stream's last position, dropped."))
	if err := errors.Join(errs[:]...); err != nil {
		otel.Handle(err)
	}
	for _, c := range []*metric.Int64Counter{&d.fates, &d.gaps, &d.resets, &d.expired, &d.duplicates} {
		if *c == nil {
			*c = noop.Int64Counter{}
		}
	}
	return &d
}

// delivery records the delivery events; the caller holds o.mu.
func (o *observer) delivery(e reconnect.Event) {
	ctx := context.Background()
	d := o.dinst
	switch e.Kind {
	case reconnect.EventFate:
		d.fates.Add(ctx, 1, metric.WithAttributes(DeliveryFateKey.String(e.Fate.String())))
	case reconnect.EventGap:
		d.gaps.Add(ctx, 1)
		o.spanEvent(e, eventGap, StreamNameKey.String(e.Stream),
			StreamFromKey.Int64(int64(e.From.Offset)), StreamToKey.Int64(int64(e.To.Offset)))
	case reconnect.EventReset:
		d.resets.Add(ctx, 1)
		o.spanEvent(e, eventReset, StreamNameKey.String(e.Stream), StreamEpochKey.String(e.To.Epoch))
	case reconnect.EventExpired:
		d.expired.Add(ctx, int64(e.Dropped))
		o.spanEvent(e, eventExpired, ExpiredCountKey.Int(e.Dropped))
	case reconnect.EventDisconnected:
		if e.Dropped > 0 {
			d.duplicates.Add(ctx, int64(e.Dropped))
		}
	}
}

// spanEvent adds a span event to the session span, or during an outage to
// the outage's span; with neither there is only the metric.
func (o *observer) spanEvent(e reconnect.Event, name string, attrs ...attribute.KeyValue) {
	s := o.session
	if s == nil {
		s = o.outage
	}
	if s != nil {
		s.AddEvent(name, trace.WithTimestamp(e.Time), trace.WithAttributes(attrs...))
	}
}
