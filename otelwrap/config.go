package otelwrap

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/wsreconnect/wsreconnect/internal/wsproto"
)

// config is what the options set; New reads it once.
type config struct {
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	sessions       bool
	reasonBytes    int
}

// Option configures the observer returned by New.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// newConfig applies opts over the defaults: global providers, no session
// span, no close reason.
func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.tracerProvider == nil {
		c.tracerProvider = otel.GetTracerProvider()
	}
	if c.meterProvider == nil {
		c.meterProvider = otel.GetMeterProvider()
	}
	return c
}

// WithTracerProvider sets the TracerProvider. A nil provider is ignored.
// Defaults to otel.GetTracerProvider() at the time New is called.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) {
		if tp != nil {
			c.tracerProvider = tp
		}
	})
}

// WithMeterProvider sets the MeterProvider. A nil provider is ignored.
// Defaults to otel.GetMeterProvider() at the time New is called.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) {
		if mp != nil {
			c.meterProvider = mp
		}
	})
}

// WithSessionSpans records a websocket.session span for the lifetime of
// every connection, from connected to disconnected. Off by default: such a
// span can last hours, and many backends show a span only once it ends.
func WithSessionSpans() Option {
	return optionFunc(func(c *config) { c.sessions = true })
}

// WithCloseReason records the reason of a received close frame in the
// websocket.close.reason span attribute, cut to maxBytes (at most 123, the
// longest a close frame carries) on a UTF-8 boundary, with invalid UTF-8
// and control characters replaced. maxBytes <= 0 turns it off, the
// default: a reason is free text a server may fill with anything. The
// reason is never a metric attribute.
func WithCloseReason(maxBytes int) Option {
	return optionFunc(func(c *config) { c.reasonBytes = min(max(maxBytes, 0), wsproto.MaxCloseReason) })
}
