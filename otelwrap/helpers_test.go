package otelwrap_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/wsreconnect/wsreconnect/otelwrap"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// harness records what an observer produces with SDK providers.
type harness struct {
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	obs    reconnect.Observer
}

func newHarness(t *testing.T, opts ...otelwrap.Option) *harness {
	t.Helper()
	h := &harness{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	h.obs = otelwrap.New(append([]otelwrap.Option{otelwrap.WithTracerProvider(tp), otelwrap.WithMeterProvider(mp)}, opts...)...)
	return h
}

// tree renders every started span as an indented tree: children under
// their parent, in start order; times as offsets from epoch; attributes
// sorted by key; then replacements (old, new pairs) are applied.
func (h *harness) tree(epoch time.Time, replace ...string) string {
	started := h.spans.Started()
	ended := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range h.spans.Ended() {
		ended[s.SpanContext().SpanID()] = s
	}
	var b strings.Builder
	var walk func(parent trace.SpanID, depth int)
	walk = func(parent trace.SpanID, depth int) {
		for _, s := range started {
			if s.Parent().SpanID() != parent {
				continue
			}
			id := s.SpanContext().SpanID()
			e, ok := ended[id]
			if !ok {
				fmt.Fprintf(&b, "%s%s NOT ENDED\n", indent(depth), s.Name())
				continue
			}
			writeSpan(&b, e, epoch, depth)
			walk(id, depth+1)
		}
	}
	walk(trace.SpanID{}, 0)
	return strings.NewReplacer(replace...).Replace(b.String())
}

func writeSpan(b *strings.Builder, s sdktrace.ReadOnlySpan, epoch time.Time, depth int) {
	status := s.Status().Code.String()
	if s.Status().Description != "" {
		status += fmt.Sprintf(" %q", s.Status().Description)
	}
	fmt.Fprintf(b, "%s%s %s %s..%s %s\n", indent(depth), s.Name(), s.SpanKind(),
		offset(s.StartTime(), epoch), offset(s.EndTime(), epoch), status)
	fmt.Fprintf(b, "%s  %s\n", indent(depth), attrs(s.Attributes()))
	for _, e := range s.Events() {
		fmt.Fprintf(b, "%s  event %s %s %s\n", indent(depth), e.Name, offset(e.Time, epoch), attrs(e.Attributes))
	}
}

func indent(depth int) string { return strings.Repeat("    ", depth) }

func offset(t, epoch time.Time) string { return "+" + t.Sub(epoch).String() }

func attrs(kvs []attribute.KeyValue) string {
	kvs = slices.Clone(kvs)
	slices.SortFunc(kvs, func(a, b attribute.KeyValue) int { return strings.Compare(string(a.Key), string(b.Key)) })
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		parts[i] = fmt.Sprintf("%s=%s", kv.Key, kv.Value.String())
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// metrics collects the observer's scope metrics.
func (h *harness) metrics(t *testing.T) metricdata.ScopeMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect() = %v", err)
	}
	if len(rm.ScopeMetrics) != 1 {
		t.Fatalf("got %d scopes, want 1", len(rm.ScopeMetrics))
	}
	return rm.ScopeMetrics[0]
}

// assertMetrics compares the collected metrics with want, exactly but for
// timestamps.
func (h *harness) assertMetrics(t *testing.T, want ...metricdata.Metrics) {
	t.Helper()
	w := metricdata.ScopeMetrics{
		Scope:   scope,
		Metrics: want,
	}
	metricdatatest.AssertEqual(t, w, h.metrics(t), metricdatatest.IgnoreTimestamp())
}

var scope = instrumentationScope()

// Metric descriptions, units and buckets, as documented.
var metricInfo = map[string]struct {
	desc, unit string
	bounds     []float64
}{
	"websocket.client.attempts":            {"Dial attempts, each covering the handshake and OnConnect.", "{attempt}", nil},
	"websocket.client.disconnections":      {"Established connections that ended.", "{disconnection}", nil},
	"websocket.client.connection.count":    {"Connections that are up.", "{connection}", nil},
	"websocket.client.outage.duration":     {"Time without a connection, from the drop or the first attempt to the next connection or the end.", "s", waitBuckets},
	"websocket.client.connection.duration": {"How long established connections stayed up.", "s", lifetimeBuckets},
	"websocket.client.backoff.delay":       {"Waits before a reconnect attempt.", "s", waitBuckets},
	"websocket.client.ping.duration":       {"Round trips of the heartbeat's pings.", "s", pingBuckets},
	"websocket.client.rotations":           {"Connections replaced without a gap, and rotations abandoned.", "{rotation}", nil},
	"websocket.client.delivery.fates":      {"Tracked sends by fate.", "{fate}", nil},
	"websocket.client.stream.gaps":         {"Jumps in a stream's positions.", "{gap}", nil},
	"websocket.client.stream.resets":       {"Epoch changes of a stream.", "{reset}", nil},
	"websocket.client.expired.messages":    {"Queued messages whose deadline passed before they were written or acknowledged.", "{message}", nil},
	"websocket.client.stream.duplicates":   {"Messages at or below their stream's last position, dropped.", "{duplicate}", nil},
}

var (
	waitBuckets     = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800}
	lifetimeBuckets = []float64{1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400}
	pingBuckets     = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}
)

func pt(v int64, kv ...attribute.KeyValue) metricdata.DataPoint[int64] {
	return metricdata.DataPoint[int64]{Attributes: attribute.NewSet(kv...), Value: v}
}

// sum is a counter (monotonic) or up-down counter.
func sum(name string, monotonic bool, pts ...metricdata.DataPoint[int64]) metricdata.Metrics {
	i := metricInfo[name]
	return metricdata.Metrics{Name: name, Description: i.desc, Unit: i.unit, Data: metricdata.Sum[int64]{
		DataPoints: pts, Temporality: metricdata.CumulativeTemporality, IsMonotonic: monotonic,
	}}
}

type hpoint struct {
	values []float64
	attrs  []attribute.KeyValue
}

func obs(values []float64, kv ...attribute.KeyValue) hpoint { return hpoint{values, kv} }

// histogram builds the data points a histogram has after recording each
// point's values.
func histogram(name string, pts ...hpoint) metricdata.Metrics {
	i := metricInfo[name]
	var dps []metricdata.HistogramDataPoint[float64]
	for _, p := range pts {
		dp := metricdata.HistogramDataPoint[float64]{
			Attributes:   attribute.NewSet(p.attrs...),
			Bounds:       i.bounds,
			BucketCounts: make([]uint64, len(i.bounds)+1),
			Count:        uint64(len(p.values)),
			Min:          metricdata.NewExtrema(slices.Min(p.values)),
			Max:          metricdata.NewExtrema(slices.Max(p.values)),
		}
		for _, v := range p.values {
			dp.Sum += v
			n, _ := slices.BinarySearch(i.bounds, v) // buckets are (lower, upper]
			dp.BucketCounts[n]++
		}
		dps = append(dps, dp)
	}
	return metricdata.Metrics{Name: name, Description: i.desc, Unit: i.unit, Data: metricdata.Histogram[float64]{
		DataPoints: dps, Temporality: metricdata.CumulativeTemporality,
	}}
}

// Attribute shorthands for expectations.
var (
	retryable = otelwrap.DisconnectCategoryKey.String("retryable")
	terminal  = otelwrap.DisconnectCategoryKey.String("terminal")
	retry     = otelwrap.DisconnectOutcomeKey.String("retry")
	stop      = otelwrap.DisconnectOutcomeKey.String("stop")
)

func code(c int) attribute.KeyValue           { return otelwrap.CloseCodeKey.Int(c) }
func lbl(s string) attribute.KeyValue         { return otelwrap.DisconnectLabelKey.String(s) }
func errType(s string) attribute.KeyValue     { return semconv.ErrorTypeKey.String(s) }
func statusClass(s string) attribute.KeyValue { return otelwrap.HandshakeStatusClassKey.String(s) }
