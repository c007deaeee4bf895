package otelwrap_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/coder/websocket"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/wsreconnect/wsreconnect/otelwrap"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// New without options uses the global providers: install them once at
// start-up, then give each Conn its own observer.
func ExampleNew() {
	// An application installs its exporters here; the example records.
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer tp.Shutdown(context.Background())
	defer mp.Shutdown(context.Background())
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		_, _, _ = ws.Read(r.Context()) // until the client closes
	}))
	defer srv.Close()

	c, err := reconnect.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), &reconnect.Options{
		Observer: otelwrap.New(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	c.Close(websocket.StatusNormalClosure, "bye")

	for _, s := range spans.Ended() {
		fmt.Println(s.Name(), s.Status().Code)
	}
	// Output:
	// websocket.connect Unset
	// websocket.reconnect Unset
}
