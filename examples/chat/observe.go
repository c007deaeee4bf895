package main

import (
	"go.opentelemetry.io/otel/trace"

	"github.com/wsreconnect/wsreconnect/otelwrap"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// connectionSpans returns the Observer that turns one Conn's events into
// spans: websocket.reconnect per outage with a websocket.connect child per
// dial attempt, and (WithSessionSpans) websocket.session per connection.
// Each Conn needs its own.
func connectionSpans(tp trace.TracerProvider) reconnect.Observer {
	return otelwrap.New(
		otelwrap.WithTracerProvider(tp),
		otelwrap.WithSessionSpans(),
		otelwrap.WithCloseReason(64),
	)
}
