package wsreconnect_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/coder/websocket"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/otelwrap"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Every planted secret contains this marker, and nothing else does.
const marker = "SECRET"

// secretURL puts secrets in the userinfo, the query (plain and escaped)
// and the fragment of a ws:// URL for addr.
func secretURL(scheme, addr string) string {
	return scheme + "://alice-SECRETuser:pw-SECRETpass@" + addr + "/feed?token=tok-SECRETquery&sig=a%2FSECRET%20b#frag-SECRET"
}

// secretHeaders are handshake headers that must never be recorded.
func secretHeaders() http.Header {
	return http.Header{
		"Authorization": {"Bearer auth-SECRETheader"},
		"Cookie":        {"session=cookie-SECRETcookie"},
	}
}

// recordAll is an Observer that keeps every event as text and passes it
// on to an otelwrap observer.
type recordAll struct {
	mu    sync.Mutex
	lines []string
	errs  []error
	next  reconnect.Observer
}

func (r *recordAll) OnEvent(e reconnect.Event) {
	line := fmt.Sprintf("%+v | decision %s | location %s", e, e.Decision, e.Decision.Location)
	if e.Err != nil {
		line += " | err " + e.Err.Error()
	}
	r.mu.Lock()
	r.lines = append(r.lines, line)
	if e.Err != nil {
		r.errs = append(r.errs, e.Err)
	}
	r.mu.Unlock()
	r.next.OnEvent(e)
}

// TestNoSecretsRecorded runs every way a connection can fail with secrets
// in the URL and the headers, and greps everything recorded: events,
// final errors and every error in their chains (error reporters walk
// them), spans (names, attributes, events, status) and metrics.
func TestNoSecretsRecorded(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer tp.Shutdown(context.Background())
	defer mp.Shutdown(context.Background())

	closedPort := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}()
	serve := func(h func(n int, w http.ResponseWriter, r *http.Request)) string {
		url, _ := wstest.Serve(t, h)
		return strings.TrimPrefix(url, "ws://")
	}
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(echoHandler))
	defer tlsSrv.Close()

	scenarios := []struct {
		name, scheme, addr string
		session            bool // Dial succeeds; the Conn ends later
	}{
		{"refused", "ws", closedPort, false},
		{"handshake_401", "ws", serve(wstest.Refuse(401, "")), false},
		{"handshake_503", "ws", serve(wstest.Refuse(503, "1")), false},
		{"redirect_with_secrets", "ws", serve(func(_ int, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://bob:loc-SECRETpass@elsewhere.example/ws?token=loc-SECRETquery#x-SECRET", http.StatusFound)
		}), false},
		{"tls_untrusted", "wss", strings.TrimPrefix(tlsSrv.URL, "https://"), false},
		{"never_answers", "ws", serve(func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }), false},
		{"close_1008", "ws", serve(wstest.CloseWith(1008, "bye")), true},
		{"drop_then_1001", "ws", serve(func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				wstest.AcceptThenDrop(n, w, r)
				return
			}
			wstest.CloseWith(1001, "")(n, w, r)
		}), true},
	}
	var recorded []string
	for _, sc := range scenarios {
		rec := &recordAll{next: otelwrap.New(otelwrap.WithTracerProvider(tp), otelwrap.WithMeterProvider(mp))}
		o := &reconnect.Options{Observer: rec, PingInterval: -1, DialTimeout: 200 * time.Millisecond,
			Policy: policy.Policy{Backoff: policy.Backoff{Initial: time.Millisecond, Max: 4 * time.Millisecond}, MaxAttempts: 3}}
		o.DialOptions = &websocket.DialOptions{HTTPHeader: secretHeaders()}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := reconnect.Dial(ctx, secretURL(sc.scheme, sc.addr), o)
		if sc.session {
			if err != nil {
				t.Fatalf("%s: Dial = %v", sc.name, err)
			}
			select {
			case <-c.Done():
				err = c.Err()
			case <-ctx.Done():
				c.CloseNow()
				t.Fatalf("%s: Conn did not end", sc.name)
			}
		} else if c != nil {
			c.CloseNow()
			t.Fatalf("%s: Dial succeeded", sc.name)
		}
		cancel()
		if err == nil {
			t.Fatalf("%s: no final error", sc.name)
		}
		if sc.name == "refused" && !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("refused: errors.Is(%v, ECONNREFUSED) = false through the scrubbed chain", err)
		}
		recorded = append(recorded, fmt.Sprintf("%s: final %+v", sc.name, err))
		recorded = append(recorded, chainText(sc.name+": final", err)...)
		rec.mu.Lock()
		recorded = append(recorded, rec.lines...)
		for _, e := range rec.errs {
			recorded = append(recorded, chainText(sc.name+": event", e)...)
		}
		rec.mu.Unlock()
	}
	recorded = append(recorded, dumpSpans(spans.Ended())...)
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	recorded = append(recorded, dumpMetrics(rm)...)

	all := strings.Join(recorded, "\n")
	// The grep can fail: what was recorded holds the URLs and causes.
	for _, want := range []string{"127.0.0.1", "/feed", "handshake_401", "tls", "dial_refused", "elsewhere.example", "close_1008", "websocket.connect"} {
		if !strings.Contains(all, want) {
			t.Fatalf("recorded text lacks %q, so the grep proves nothing:\n%s", want, all)
		}
	}
	for _, line := range recorded {
		if strings.Contains(line, marker) {
			t.Errorf("secret recorded: %s", line)
		}
	}
}

// chainText returns the text of err and of every error in its chain, as
// an error reporter that walks the chain would record them.
func chainText(prefix string, err error) []string {
	if err == nil {
		return nil
	}
	out := []string{prefix + " " + err.Error()}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		out = append(out, chainText(prefix+" >", u.Unwrap())...)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, chainText(prefix+" >", e)...)
		}
	}
	return out
}

func echoHandler(w http.ResponseWriter, r *http.Request) { wstest.EchoServer(0, w, r) }

func dumpSpans(ended []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range ended {
		b := &strings.Builder{}
		fmt.Fprintf(b, "span %s status %v %q", s.Name(), s.Status().Code, s.Status().Description)
		for _, kv := range s.Attributes() {
			fmt.Fprintf(b, " %s=%s", kv.Key, kv.Value.String())
		}
		for _, ev := range s.Events() {
			fmt.Fprintf(b, " event %s", ev.Name)
			for _, kv := range ev.Attributes {
				fmt.Fprintf(b, " %s=%s", kv.Key, kv.Value.String())
			}
		}
		out = append(out, b.String())
	}
	return out
}

var defaultEncoder = attribute.DefaultEncoder()

func dumpMetrics(rm metricdata.ResourceMetrics) []string {
	var out []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			line := "metric " + m.Name
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					line += " {" + p.Attributes.Encoded(defaultEncoder) + "}"
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					line += " {" + p.Attributes.Encoded(defaultEncoder) + "}"
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					line += " {" + p.Attributes.Encoded(defaultEncoder) + "}"
				}
			default:
				line += fmt.Sprintf(" %+v", d)
			}
			out = append(out, line)
		}
	}
	return out
}

// TestTLSVerificationIsOnAndTerminal dials a TLS server whose certificate
// the client does not trust: the failure is terminal after one attempt,
// and the same server is reachable once the client trusts it.
func TestTLSVerificationIsOnAndTerminal(t *testing.T) {
	t.Parallel()
	var handshakes atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(echoHandler))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			handshakes.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	url := "wss://" + strings.TrimPrefix(srv.URL, "https://")

	rec := wstest.NewRecorder(nil, false)
	o := &reconnect.Options{Observer: rec} // default policy: unlimited attempts
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := reconnect.Dial(ctx, url, o)
	var re *reconnect.Error
	if c != nil || !errors.As(err, &re) {
		t.Fatalf("Dial = %v, %v; want a terminal *reconnect.Error", c, err)
	}
	if re.Kind != reconnect.KindTerminal || re.Decision.Label != "tls" || re.Decision.Code != websocket.StatusTLSHandshake || re.Attempts != 1 {
		t.Fatalf("Dial = %+v (%v); want terminal tls 1015 after 1 attempt", re, err)
	}
	if n := rec.Count(reconnect.EventAttempt); n != 1 || handshakes.Load() != 1 {
		t.Fatalf("%d attempts, %d TLS connections; want 1", n, handshakes.Load())
	}

	// Control: trusting the certificate, the same server works.
	c, err = reconnect.Dial(ctx, url, &reconnect.Options{DialOptions: &websocket.DialOptions{HTTPClient: srv.Client()}})
	if err != nil {
		t.Fatalf("Dial trusting the server = %v", err)
	}
	wstest.RoundTrip(t, ctx, c, "trusted")
	c.Close(websocket.StatusNormalClosure, "")
}

// TestAuthFailuresAreNotRetried checks that 401 and 403 reach the server
// exactly as often as the policy allows: once by default, even with a
// Retry-After and no attempt limit; twice when a classifier grants one
// retry (a token refresh) and MaxAttempts is 2.
func TestAuthFailuresAreNotRetried(t *testing.T) {
	t.Parallel()
	refreshOnce := func(p policy.Policy, err error, resp *http.Response) policy.Decision {
		d := policy.DefaultClassifier(p, err, resp)
		if d.Status == http.StatusUnauthorized {
			d.Category, d.Outcome = policy.Retryable, policy.Retry
		}
		return d
	}
	tests := []struct {
		name     string
		status   int
		p        policy.Policy
		requests int32
		kind     reconnect.Kind
	}{
		{"401 default policy", 401, policy.Policy{}, 1, reconnect.KindTerminal},
		{"403 default policy", 403, policy.Policy{}, 1, reconnect.KindTerminal},
		{"401 one refresh allowed", 401, policy.Policy{Classifier: refreshOnce, MaxAttempts: 2, Backoff: policy.Backoff{Initial: time.Millisecond}}, 2, reconnect.KindGaveUp},
		{"403 not covered by the refresh", 403, policy.Policy{Classifier: refreshOnce, MaxAttempts: 2}, 1, reconnect.KindTerminal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, served := wstest.Serve(t, wstest.Refuse(tt.status, "1"))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := reconnect.Dial(ctx, url, &reconnect.Options{Policy: tt.p})
			var re *reconnect.Error
			if !errors.As(err, &re) || re.Kind != tt.kind || re.Decision.Status != tt.status {
				t.Fatalf("Dial = %v; want %v with status %d", err, tt.kind, tt.status)
			}
			if n := served.Load(); n != tt.requests || re.Attempts != int(tt.requests) {
				t.Fatalf("server saw %d requests, error says %d attempts; want %d", n, re.Attempts, tt.requests)
			}
		})
	}
}

// TestThrottledWithoutRetryAfterBacksOff answers every attempt with 429
// and no usable Retry-After, under the default policy and the real clock,
// and counts the attempts per second: backoff, never a hot loop.
func TestThrottledWithoutRetryAfterBacksOff(t *testing.T) {
	t.Parallel()
	const window = 2 * time.Second
	for _, retryAfter := range []string{"", "0", "-1", "soon"} {
		t.Run("retry_after="+retryAfter, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var at []time.Duration
			start := time.Now()
			url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				at = append(at, time.Since(start))
				mu.Unlock()
				wstest.Refuse(429, retryAfter)(0, w, r)
			})
			ctx, cancel := context.WithTimeout(context.Background(), window)
			defer cancel()
			_, err := reconnect.Dial(ctx, url, nil)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Dial = %v; want it still retrying when ctx ended", err)
			}
			mu.Lock()
			defer mu.Unlock()
			// Default curve: [0, 500ms), then 750ms ±50%, 1.125s ±50%...:
			// at most 4 attempts in the first second and 6 in two.
			perSecond := map[int]int{}
			for _, d := range at {
				perSecond[int(d/time.Second)]++
			}
			if len(at) < 2 || len(at) > 6 || perSecond[0] > 4 || perSecond[1] > 3 {
				t.Fatalf("%d attempts in %v at %v (per second %v); want 2-6, backing off", len(at), window, at, perSecond)
			}
		})
	}
}

// TestInvalidOptionsGetAnError checks that options Dial cannot use are
// refused with an error naming the field, never a panic in the
// supervisor goroutine (which no caller could recover).
func TestInvalidOptionsGetAnError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		o     reconnect.Options
		field string
	}{
		{"send mode out of range", reconnect.Options{SendMode: -1}, "SendMode"},
		{"initial above max", reconnect.Options{Policy: policy.Policy{Backoff: policy.Backoff{Initial: time.Hour, Max: time.Second}}}, "Backoff.Initial"},
		{"multiplier below 1", reconnect.Options{Policy: policy.Policy{Backoff: policy.Backoff{Multiplier: 0.5}}}, "Backoff.Multiplier"},
		{"NaN jitter", reconnect.Options{Policy: policy.Policy{FloorJitter: math.NaN()}}, "FloorJitter"},
		{"a bad endpoint", reconnect.Options{Endpoints: []string{"ftp://backup/"}}, "scheme"},
		{"app code out of range", reconnect.Options{Policy: policy.Policy{App: policy.AppRules{Codes: map[websocket.StatusCode]policy.Outcome{1000: policy.Retry}}}}, "App.Codes"},
		{"backoff factory returns nil", reconnect.Options{Policy: policy.Policy{NewBackoff: func() backoff.BackOff { return nil }}}, "NewBackoff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := tt.o
			o.Dialer = func(context.Context, string, *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
				return nil, nil, errors.New("dialed despite invalid options")
			}
			c, err := reconnect.Dial(context.Background(), "ws://127.0.0.1:1/", &o)
			if c != nil || err == nil || !strings.HasPrefix(err.Error(), "reconnect: invalid") || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("Dial = %v, %v; want a \"reconnect: invalid\" error naming %s", c, err, tt.field)
			}
		})
	}
}
