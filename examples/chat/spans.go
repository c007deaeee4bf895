package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// spanSink keeps spans in memory for the span tree printed at the end
// and, with a path, exports them as JSON to that file with the stdout
// trace exporter.
type spanSink struct {
	tp   *sdktrace.TracerProvider
	rec  *spanRecorder
	file *os.File // nil without a path
	Path string
}

// newSpanSink writes spans to path; with path "" they stay in memory only,
// so that a run leaves no file behind.
func newSpanSink(path string) (*spanSink, error) {
	rec := &spanRecorder{}
	if path == "" {
		return &spanSink{tp: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)), rec: rec}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("failed to open the trace file: %w", err)
	}
	exp, err := stdouttrace.New(stdouttrace.WithWriter(f))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("failed to make the trace exporter: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithSpanProcessor(rec))
	return &spanSink{tp: tp, rec: rec, file: f, Path: f.Name()}, nil
}

// where says where the spans go.
func (s *spanSink) where() string {
	if s.file == nil {
		return "memory only (-trace FILE writes them)"
	}
	return s.Path
}

// tracer is for the demo's own spans: one per run, one per fault.
func (s *spanSink) tracer() trace.Tracer {
	return s.tp.Tracer("github.com/wsreconnect/wsreconnect/examples/chat")
}

// observer returns the Observer that turns a Conn's events into spans.
func (s *spanSink) observer() reconnect.Observer {
	return connectionSpans(s.tp)
}

// shutdown flushes the spans and closes the file.
func (s *spanSink) shutdown(ctx context.Context) error {
	err := s.tp.Shutdown(ctx)
	if s.file == nil {
		return err
	}
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	return err
}

// spanRecorder is a SpanProcessor that keeps every ended span.
type spanRecorder struct {
	mu    sync.Mutex
	spans []sdktrace.ReadOnlySpan
}

func (r *spanRecorder) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (r *spanRecorder) Shutdown(context.Context) error                  { return nil }
func (r *spanRecorder) ForceFlush(context.Context) error                { return nil }
func (r *spanRecorder) OnEnd(s sdktrace.ReadOnlySpan) {
	r.mu.Lock()
	r.spans = append(r.spans, s)
	r.mu.Unlock()
}

func (r *spanRecorder) ended() []sdktrace.ReadOnlySpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.spans)
}

// spanNode groups the spans that have the same name under the same parent
// group, for a compact tree: "websocket.reconnect x17 > websocket.connect x31".
type spanNode struct {
	name     string
	count    int
	errors   map[string]int // error.type or status description -> count
	children map[string]*spanNode
}

func newSpanNode(name string) *spanNode {
	return &spanNode{name: name, errors: map[string]int{}, children: map[string]*spanNode{}}
}

// summary prints the span tree, grouped by name.
func (s *spanSink) summary(w io.Writer) {
	spans := s.rec.ended()
	byID := make(map[trace.SpanID]sdktrace.ReadOnlySpan, len(spans))
	traces := map[trace.TraceID]bool{}
	for _, sp := range spans {
		byID[sp.SpanContext().SpanID()] = sp
		traces[sp.SpanContext().TraceID()] = true
	}
	root := newSpanNode("")
	for _, sp := range spans {
		node := root
		for _, name := range spanPath(sp, byID) {
			child := node.children[name]
			if child == nil {
				child = newSpanNode(name)
				node.children[name] = child
			}
			node = child
		}
		node.count++
		if sp.Status().Code == codes.Error {
			node.errors[errorType(sp)]++
		}
	}
	fmt.Fprintf(w, "spans: %d in %d traces, kept in %s\n", len(spans), len(traces), s.where())
	root.print(w, 0)
}

// spanPath is the names from the span's root down to the span.
func spanPath(sp sdktrace.ReadOnlySpan, byID map[trace.SpanID]sdktrace.ReadOnlySpan) []string {
	path := []string{sp.Name()}
	for p := sp.Parent(); p.IsValid(); {
		parent, ok := byID[p.SpanID()]
		if !ok {
			break
		}
		path = append(path, parent.Name())
		p = parent.Parent()
	}
	slices.Reverse(path)
	return path
}

// errorType names why a span failed: its error.type (otelwrap sets one on
// every failed span), else the status description (the demo's own spans).
func errorType(sp sdktrace.ReadOnlySpan) string {
	for _, kv := range sp.Attributes() {
		if kv.Key == semconv.ErrorTypeKey {
			return kv.Value.String()
		}
	}
	if d := sp.Status().Description; d != "" {
		return d
	}
	return "error"
}

func (n *spanNode) print(w io.Writer, depth int) {
	names := make([]string, 0, len(n.children))
	for name := range n.children {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := n.children[name]
		fmt.Fprintf(w, "  %s%s x%d%s\n", strings.Repeat("  ", depth), name, c.count, c.errorText())
		c.print(w, depth+1)
	}
}

func (n *spanNode) errorText() string {
	if len(n.errors) == 0 {
		return ""
	}
	total := 0
	parts := make([]string, 0, len(n.errors))
	for typ, k := range n.errors {
		total += k
		parts = append(parts, fmt.Sprintf("%s x%d", typ, k))
	}
	sort.Strings(parts)
	return fmt.Sprintf("  (%d failed: %s)", total, strings.Join(parts, ", "))
}
