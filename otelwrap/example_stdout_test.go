package otelwrap_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/coder/websocket"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/wsreconnect/wsreconnect/otelwrap"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// refuse401 is a Dialer standing in for a server that rejects the token:
// the example needs no network.
func refuse401(context.Context, string, *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
	resp := &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{}, Body: http.NoBody}
	return nil, resp, errors.New("failed to WebSocket dial: expected handshake response status code 101 but got 401")
}

// onClosed closes ch on the Conn's last event, which may come after Dial
// has returned its error.
func onClosed(ch chan struct{}) reconnect.Observer {
	return reconnect.ObserverFunc(func(e reconnect.Event) {
		if e.Kind == reconnect.EventClosed {
			close(ch)
		}
	})
}

// countingIDs numbers traces and spans from 1, so that the output does
// not change from run to run; an application keeps the SDK's random IDs.
type countingIDs struct{ n atomic.Uint64 }

func (g *countingIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	var t trace.TraceID
	binary.BigEndian.PutUint64(t[8:], g.n.Add(1))
	return t, g.NewSpanID(ctx, t)
}

func (g *countingIDs) NewSpanID(context.Context, trace.TraceID) trace.SpanID {
	var s trace.SpanID
	binary.BigEndian.PutUint64(s[:], g.n.Add(1))
	return s
}

// With the stdout exporter, each span prints as one JSON object when it
// ends. A rejected token (401) stops the Conn: one websocket.connect span
// inside one websocket.reconnect span, both failed, and the token in the
// query string recorded nowhere. Timestamps and random IDs are left out
// here so that the output is stable.
func ExampleWithTracerProvider_stdout() {
	exp, err := stdouttrace.New(stdouttrace.WithWriter(os.Stdout), stdouttrace.WithoutTimestamps())
	if err != nil {
		fmt.Println(err)
		return
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSyncer(exp), // WithBatcher in production
		sdktrace.WithResource(resource.Empty()),
		sdktrace.WithIDGenerator(&countingIDs{}),
	)
	defer tp.Shutdown(context.Background())

	closed := make(chan struct{}) // EventClosed ends the last span
	_, err = reconnect.Dial(context.Background(), "wss://feed.example.com/ws?token=s3cret", &reconnect.Options{
		Dialer:   refuse401,
		Observer: reconnect.Observers(otelwrap.New(otelwrap.WithTracerProvider(tp)), onClosed(closed)),
	})
	<-closed
	fmt.Println(err)
	// Output:
	// {"Name":"websocket.connect","SpanContext":{"TraceID":"00000000000000000000000000000001","SpanID":"0000000000000003","TraceFlags":"01","TraceState":"","Remote":false},"Parent":{"TraceID":"00000000000000000000000000000001","SpanID":"0000000000000002","TraceFlags":"01","TraceState":"","Remote":false},"SpanKind":3,"StartTime":"0001-01-01T00:00:00Z","EndTime":"0001-01-01T00:00:00Z","Attributes":[{"Key":"url.full","Value":{"Type":"STRING","Value":"wss://feed.example.com/ws"}},{"Key":"url.scheme","Value":{"Type":"STRING","Value":"wss"}},{"Key":"server.address","Value":{"Type":"STRING","Value":"feed.example.com"}},{"Key":"server.port","Value":{"Type":"INT64","Value":443}},{"Key":"websocket.reconnect.attempt","Value":{"Type":"INT64","Value":1}},{"Key":"http.response.status_code","Value":{"Type":"INT64","Value":401}},{"Key":"websocket.disconnect.category","Value":{"Type":"STRING","Value":"terminal"}},{"Key":"websocket.disconnect.outcome","Value":{"Type":"STRING","Value":"stop"}},{"Key":"error.type","Value":{"Type":"STRING","Value":"handshake_401"}}],"Events":[{"Name":"exception","Attributes":[{"Key":"exception.type","Value":{"Type":"STRING","Value":"*reconnect.hookError"}},{"Key":"exception.message","Value":{"Type":"STRING","Value":"failed to dial: failed to WebSocket dial: expected handshake response status code 101 but got 401"}}],"DroppedAttributeCount":0,"Time":"0001-01-01T00:00:00Z"}],"Links":null,"Status":{"Code":"Error","Description":"failed to dial: failed to WebSocket dial: expected handshake response status code 101 but got 401"},"DroppedAttributes":0,"DroppedEvents":0,"DroppedLinks":0,"ChildSpanCount":0,"Resource":null,"InstrumentationScope":{"Name":"github.com/wsreconnect/wsreconnect/otelwrap","Version":"0.1.0","SchemaURL":"https://opentelemetry.io/schemas/1.43.0","Attributes":null},"InstrumentationLibrary":{"Name":"github.com/wsreconnect/wsreconnect/otelwrap","Version":"0.1.0","SchemaURL":"https://opentelemetry.io/schemas/1.43.0","Attributes":null}}
	// {"Name":"websocket.reconnect","SpanContext":{"TraceID":"00000000000000000000000000000001","SpanID":"0000000000000002","TraceFlags":"01","TraceState":"","Remote":false},"Parent":{"TraceID":"00000000000000000000000000000000","SpanID":"0000000000000000","TraceFlags":"00","TraceState":"","Remote":false},"SpanKind":1,"StartTime":"0001-01-01T00:00:00Z","EndTime":"0001-01-01T00:00:00Z","Attributes":[{"Key":"url.full","Value":{"Type":"STRING","Value":"wss://feed.example.com/ws"}},{"Key":"url.scheme","Value":{"Type":"STRING","Value":"wss"}},{"Key":"server.address","Value":{"Type":"STRING","Value":"feed.example.com"}},{"Key":"server.port","Value":{"Type":"INT64","Value":443}},{"Key":"error.type","Value":{"Type":"STRING","Value":"handshake_401"}}],"Events":[{"Name":"exception","Attributes":[{"Key":"exception.type","Value":{"Type":"STRING","Value":"*reconnect.Error"}},{"Key":"exception.message","Value":{"Type":"STRING","Value":"reconnect: terminal (handshake_401) after 1 attempt: failed to dial: failed to WebSocket dial: expected handshake response status code 101 but got 401"}}],"DroppedAttributeCount":0,"Time":"0001-01-01T00:00:00Z"}],"Links":null,"Status":{"Code":"Error","Description":"reconnect: terminal (handshake_401) after 1 attempt: failed to dial: failed to WebSocket dial: expected handshake response status code 101 but got 401"},"DroppedAttributes":0,"DroppedEvents":0,"DroppedLinks":0,"ChildSpanCount":1,"Resource":null,"InstrumentationScope":{"Name":"github.com/wsreconnect/wsreconnect/otelwrap","Version":"0.1.0","SchemaURL":"https://opentelemetry.io/schemas/1.43.0","Attributes":null},"InstrumentationLibrary":{"Name":"github.com/wsreconnect/wsreconnect/otelwrap","Version":"0.1.0","SchemaURL":"https://opentelemetry.io/schemas/1.43.0","Attributes":null}}
	// reconnect: terminal (handshake_401) after 1 attempt: failed to dial: failed to WebSocket dial: expected handshake response status code 101 but got 401
}

// Metrics go to any reader or exporter of the SDK; here a ManualReader
// collects them once and the example prints every counter and how many
// values each histogram holds.
func ExampleWithMeterProvider() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	closed := make(chan struct{})
	_, err := reconnect.Dial(context.Background(), "wss://feed.example.com/ws", &reconnect.Options{
		Dialer:   refuse401,
		Observer: reconnect.Observers(otelwrap.New(otelwrap.WithMeterProvider(mp)), onClosed(closed)),
	})
	<-closed
	fmt.Println(err)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		fmt.Println(err)
		return
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					fmt.Printf("%s %d %s %s\n", m.Name, p.Value, m.Unit, attrText(p.Attributes))
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					fmt.Printf("%s count=%d %s %s\n", m.Name, p.Count, m.Unit, attrText(p.Attributes))
				}
			}
		}
	}
	// Output:
	// reconnect: terminal (handshake_401) after 1 attempt: failed to dial: failed to WebSocket dial: expected handshake response status code 101 but got 401
	// websocket.client.attempts 1 {attempt} {error.type=handshake_401 websocket.disconnect.category=terminal websocket.disconnect.outcome=stop websocket.handshake.status_class=4xx}
	// websocket.client.outage.duration count=1 s {error.type=handshake_401}
}

// attrText prints a metric point's attributes as {key=value ...}, sorted.
func attrText(set attribute.Set) string {
	var kv []string
	for _, a := range set.ToSlice() {
		kv = append(kv, string(a.Key)+"="+a.Value.String())
	}
	slices.Sort(kv)
	return "{" + strings.Join(kv, " ") + "}"
}
