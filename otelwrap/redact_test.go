package otelwrap_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/coder/websocket"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/wsreconnect/wsreconnect/otelwrap"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// refuseOnce fails the first round trip as a refused connection, whose
// error quotes the request URL, query and all.
type refuseOnce struct {
	http.Transport
	n atomic.Int32
}

func (rt *refuseOnce) RoundTrip(r *http.Request) (*http.Response, error) {
	if rt.n.Add(1) == 1 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	return rt.Transport.RoundTrip(r)
}

// TestRedaction checks that URL credentials, query, fragment and headers
// reach no span, event or metric attribute, and the close reason only with
// WithCloseReason.
func TestRedaction(t *testing.T) {
	t.Parallel()
	secrets := []string{"alice", "hunter2pw", "tok3nSECRET", "fragSECRET", "authSECRET"}
	const reason = "reasonSECRET"
	tests := []struct {
		name       string
		opts       []otelwrap.Option
		wantReason bool
	}{
		{name: "defaults"},
		{name: "session spans", opts: []otelwrap.Option{otelwrap.WithSessionSpans()}},
		{name: "close reason", opts: []otelwrap.Option{otelwrap.WithSessionSpans(), otelwrap.WithCloseReason(123)}, wantReason: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.opts...)
			restart := closer{websocket.StatusInternalError, reason, make(chan struct{})}
			kick := closer{websocket.StatusPolicyViolation, reason + " bye", make(chan struct{})}
			u := scriptedServer(t, 0, restart, kick)
			u = strings.Replace(u, "ws://", "ws://alice:hunter2pw@", 1) + "/ws?token=tok3nSECRET#fragSECRET"
			rt := &refuseOnce{}
			t.Cleanup(rt.CloseIdleConnections)
			c, rec, _ := scriptedConn(t, h, u, reconnect.Options{DialOptions: &websocket.DialOptions{
				HTTPClient: &http.Client{Transport: rt},
				HTTPHeader: http.Header{"Authorization": {"Bearer authSECRET"}},
			}})
			rec.Next(t, reconnect.EventConnected)
			close(restart.now)
			rec.Next(t, reconnect.EventConnected)
			close(kick.now)
			waitDone(t, c)

			recorded := h.recorded(t)
			if len(recorded) < 20 {
				t.Fatalf("only %d strings recorded: %q", len(recorded), recorded)
			}
			for _, s := range recorded {
				for _, secret := range secrets {
					if strings.Contains(s, secret) {
						t.Errorf("recorded %q, which holds %q", s, secret)
					}
				}
			}
			if got := containsAny(recorded, reason); got != tt.wantReason {
				t.Errorf("close reason recorded = %v, want %v", got, tt.wantReason)
			}
		})
	}
}

// recorded returns every string the observer recorded: span names, status
// descriptions, span and event attributes, metric attributes.
func (h *harness) recorded(t *testing.T) []string {
	t.Helper()
	var out []string
	add := func(kvs ...attribute.KeyValue) {
		for _, kv := range kvs {
			out = append(out, string(kv.Key)+"="+kv.Value.String())
		}
	}
	for _, s := range h.spans.Ended() {
		out = append(out, s.Name(), s.Status().Description)
		add(s.Attributes()...)
		for _, e := range s.Events() {
			out = append(out, e.Name)
			add(e.Attributes...)
		}
		for _, l := range s.Links() {
			add(l.Attributes...)
		}
	}
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect() = %v", err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out = append(out, m.Name, m.Description)
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					add(p.Attributes.ToSlice()...)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					add(p.Attributes.ToSlice()...)
				}
			default:
				t.Fatalf("metric %s has unexpected data %T", m.Name, m.Data)
			}
		}
	}
	return out
}

func containsAny(ss []string, sub string) bool {
	for _, s := range ss {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
