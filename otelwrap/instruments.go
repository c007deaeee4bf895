package otelwrap

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Metric names, as listed in the package documentation.
const (
	metricAttempts       = "websocket.client.attempts"
	metricDisconnections = "websocket.client.disconnections"
	metricConnections    = "websocket.client.connection.count"
	metricOutage         = "websocket.client.outage.duration"
	metricLifetime       = "websocket.client.connection.duration"
	metricBackoff        = "websocket.client.backoff.delay"
	metricPing           = "websocket.client.ping.duration"
	metricRotations      = "websocket.client.rotations"
)

// Bucket boundaries in seconds: the SDK's default ones suit milliseconds.
var (
	waitBuckets     = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800}
	lifetimeBuckets = []float64{1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400}
	pingBuckets     = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}
)

// instruments are created once per observer, in New.
type instruments struct {
	attempts       metric.Int64Counter
	disconnections metric.Int64Counter
	open           metric.Int64UpDownCounter
	outage         metric.Float64Histogram
	lifetime       metric.Float64Histogram
	backoff        metric.Float64Histogram
	ping           metric.Float64Histogram
	rotations      metric.Int64Counter
}

// newInstruments creates the instruments. Errors go to otel.Handle, and an
// instrument that could not be made is a no-op, so recording never fails.
func newInstruments(m metric.Meter) *instruments {
	var in instruments
	var e [8]error
	in.attempts, e[0] = m.Int64Counter(metricAttempts, metric.WithUnit("{attempt}"),
		metric.WithDescription("Dial attempts, each covering the handshake and OnConnect."))
	in.disconnections, e[1] = m.Int64Counter(metricDisconnections, metric.WithUnit("{disconnection}"),
		metric.WithDescription("Established connections that ended."))
	in.open, e[2] = m.Int64UpDownCounter(metricConnections, metric.WithUnit("{connection}"),
		metric.WithDescription("Connections that are up."))
	in.outage, e[3] = m.Float64Histogram(metricOutage, metric.WithUnit("s"),
		metric.WithDescription("Time without a connection, from the drop or the first attempt to the next connection or the end."),
		metric.WithExplicitBucketBoundaries(waitBuckets...))
	in.lifetime, e[4] = m.Float64Histogram(metricLifetime, metric.WithUnit("s"),
		metric.WithDescription("How long established connections stayed up."),
		metric.WithExplicitBucketBoundaries(lifetimeBuckets...))
	in.backoff, e[5] = m.Float64Histogram(metricBackoff, metric.WithUnit("s"),
		metric.WithDescription("Waits before a reconnect attempt."),
		metric.WithExplicitBucketBoundaries(waitBuckets...))
	in.ping, e[6] = m.Float64Histogram(metricPing, metric.WithUnit("s"),
		metric.WithDescription("Round trips of the heartbeat's pings."),
		metric.WithExplicitBucketBoundaries(pingBuckets...))
	in.rotations, e[7] = m.Int64Counter(metricRotations, metric.WithUnit("{rotation}"),
		metric.WithDescription("Connections replaced without a gap, and rotations abandoned."))
	if err := errors.Join(e[:]...); err != nil {
		otel.Handle(fmt.Errorf("failed to create otelwrap instruments: %w", err))
	}
	in.attempts = orNoop(in.attempts, metric.Int64Counter(noop.Int64Counter{}))
	in.disconnections = orNoop(in.disconnections, metric.Int64Counter(noop.Int64Counter{}))
	in.open = orNoop(in.open, metric.Int64UpDownCounter(noop.Int64UpDownCounter{}))
	in.outage = orNoop(in.outage, metric.Float64Histogram(noop.Float64Histogram{}))
	in.lifetime = orNoop(in.lifetime, metric.Float64Histogram(noop.Float64Histogram{}))
	in.backoff = orNoop(in.backoff, metric.Float64Histogram(noop.Float64Histogram{}))
	in.ping = orNoop(in.ping, metric.Float64Histogram(noop.Float64Histogram{}))
	in.rotations = orNoop(in.rotations, metric.Int64Counter(noop.Int64Counter{}))
	return &in
}

// orNoop returns v, or nop when a failed creation returned nil.
func orNoop[T comparable](v, nop T) T {
	var zero T
	if v == zero {
		return nop
	}
	return v
}
