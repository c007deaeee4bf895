package main

import (
	"go.opentelemetry.io/otel/trace"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// connectionSpans returns the Observer that turns a Conn's events into
// websocket.reconnect and websocket.connect spans.
//
// SEAM: package otelwrap is not in the tree yet. Until it is, this returns
// nil and the trace file holds only the demo's own spans (chat.run and one
// chat.fault per fault). When it lands, this becomes:
//
//	return otelwrap.New(otelwrap.WithTracerProvider(tp))
func connectionSpans(tp trace.TracerProvider) reconnect.Observer {
	_ = tp
	return nil
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
