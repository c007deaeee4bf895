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

// fanout returns an Observer that passes each event to every non-nil
// observer, in order. The reconnect package takes one Observer; this is
// how a program logs, counts and traces at the same time.
func fanout(obs ...reconnect.Observer) reconnect.Observer {
	var list []reconnect.Observer
	for _, o := range obs {
		if o != nil {
			list = append(list, o)
		}
	}
	return reconnect.ObserverFunc(func(e reconnect.Event) {
		for _, o := range list {
			o.OnEvent(e)
		}
	})
}
