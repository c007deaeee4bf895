package otelwrap_test

import (
	"testing"

	"go.opentelemetry.io/otel/sdk/instrumentation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.uber.org/goleak"

	"github.com/wsreconnect/wsreconnect/otelwrap"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func instrumentationScope() instrumentation.Scope {
	return instrumentation.Scope{Name: otelwrap.ScopeName, Version: otelwrap.Version(), SchemaURL: semconv.SchemaURL}
}
