package policy_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
)

var epoch = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return epoch }

// handshakeResp is what websocket.Dial returns with a non-101 answer.
func handshakeResp(status int, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	req, _ := http.NewRequest(http.MethodGet, "http://example.com/ws", nil)
	return &http.Response{StatusCode: status, Header: h, Request: req}
}

func handshakeErr(status int) error {
	return fmt.Errorf("failed to WebSocket dial: expected handshake response status code 101 but got %d", status)
}

func TestClassifyHandshake(t *testing.T) {
	t.Parallel()
	p := policy.Policy{Now: fixedNow}
	hs := func(status int, o policy.Outcome, minDelay, spread time.Duration) policy.Decision {
		c := policy.Terminal
		if o == policy.Retry {
			c = policy.Retryable
		}
		return policy.Decision{Category: c, Outcome: o, Status: status, MinDelay: minDelay, Spread: spread, Label: fmt.Sprintf("handshake_%d", status)}
	}
	redirect := endpointOnly(hs(307, policy.Stop, 0, 0))
	redirect.Location = "https://other.example.com/ws"
	tests := []struct {
		name string
		resp *http.Response
		want policy.Decision
	}{
		{"200 not a websocket endpoint", handshakeResp(200), hs(200, policy.Stop, 0, 0)},
		{"307 redirect noted without secrets", handshakeResp(307, "Location", "https://u:p@other.example.com/ws?token=s3cret#f"), redirect},
		{"400 bad request", handshakeResp(400), hs(400, policy.Stop, 0, 0)},
		{"401 unauthorized", handshakeResp(401, "Retry-After", "5"), auth(hs(401, policy.Stop, 0, 0))},
		{"403 forbidden", handshakeResp(403), auth(hs(403, policy.Stop, 0, 0))},
		{"404 not found", handshakeResp(404), endpointOnly(hs(404, policy.Stop, 0, 0))},
		{"405 method not allowed", handshakeResp(405), hs(405, policy.Stop, 0, 0)},
		{"408 request timeout retries", handshakeResp(408), hs(408, policy.Retry, 0, 0)},
		{"410 gone", handshakeResp(410), endpointOnly(hs(410, policy.Stop, 0, 0))},
		{"421 misdirected", handshakeResp(421), endpointOnly(hs(421, policy.Stop, 0, 0))},
		{"425 too early retries", handshakeResp(425), hs(425, policy.Retry, 0, 0)},
		{"426 upgrade required", handshakeResp(426), hs(426, policy.Stop, 0, 0)},
		{"429 with delta seconds", handshakeResp(429, "Retry-After", "7"), hs(429, policy.Retry, 7*time.Second, 1400*time.Millisecond)},
		{"429 without Retry-After", handshakeResp(429), hs(429, policy.Retry, 0, 0)},
		{"500 internal", handshakeResp(500), hs(500, policy.Retry, 0, 0)},
		{"502 bad gateway", handshakeResp(502), hs(502, policy.Retry, 0, 0)},
		{"503 with HTTP-date", handshakeResp(503, "Retry-After", epoch.Add(90*time.Second).Format(http.TimeFormat)), hs(503, policy.Retry, 90*time.Second, 18*time.Second)},
		{"503 with past date", handshakeResp(503, "Retry-After", epoch.Add(-time.Hour).Format(http.TimeFormat)), hs(503, policy.Retry, 0, 0)},
		{"503 with garbage", handshakeResp(503, "Retry-After", "soon"), hs(503, policy.Retry, 0, 0)},
		{"503 with negative", handshakeResp(503, "Retry-After", "-5"), hs(503, policy.Retry, 0, 0)},
		{"503 with a day is capped", handshakeResp(503, "Retry-After", "86400"), hs(503, policy.Retry, 5*time.Minute, time.Minute)},
		{"503 with overflow is ignored", handshakeResp(503, "Retry-After", "99999999999999999999999"), hs(503, policy.Retry, 0, 0)},
		{"504 gateway timeout", handshakeResp(504), hs(504, policy.Retry, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := p.Classify(handshakeErr(tt.resp.StatusCode), tt.resp)
			if got != tt.want {
				t.Fatalf("Classify(%d) = %+v, want %+v", tt.resp.StatusCode, got, tt.want)
			}
		})
	}
}

func TestClassifyHandshakeProtocolViolation(t *testing.T) {
	t.Parallel()
	err := errors.New("failed to WebSocket dial: WebSocket protocol violation: invalid Sec-WebSocket-Accept")
	got := policy.Policy{}.Classify(err, handshakeResp(101))
	want := policy.Decision{Category: policy.Terminal, Outcome: policy.Stop, Status: 101, Label: "handshake_protocol", EndpointOnly: true}
	if got != want {
		t.Fatalf("Classify(101 + error) = %+v, want %+v", got, want)
	}
}

func opErr(op string, err error) error {
	return &url.Error{Op: "Get", URL: "http://127.0.0.1:1", Err: &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, err)}}
}

func TestClassifyNetwork(t *testing.T) {
	t.Parallel()
	r := func(label string) policy.Decision {
		return policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Label: label}
	}
	s := func(label string) policy.Decision {
		return policy.Decision{Category: policy.Terminal, Outcome: policy.Stop, Label: label}
	}
	tlsStop := endpointOnly(s("tls"))
	tlsStop.Code = 1015
	dial := func(err error) error {
		return fmt.Errorf("failed to WebSocket dial: failed to send handshake request: %w", err)
	}
	tests := []struct {
		name string
		err  error
		want policy.Decision
	}{
		{"refused", dial(opErr("connect", syscall.ECONNREFUSED)), refused(policy.DefaultRefusedSpread)},
		{"reset while reading", fmt.Errorf("failed to read frame header: %w", opErr("read", syscall.ECONNRESET)), retry(1006)},
		{"EOF", fmt.Errorf("failed to get reader: failed to read frame header: %w", io.EOF), retry(1006)},
		{"unexpected EOF", fmt.Errorf("failed to read: %w", io.ErrUnexpectedEOF), retry(1006)},
		{"broken pipe", opErr("write", syscall.EPIPE), retry(1006)},
		{"use of closed connection", fmt.Errorf("failed to get reader: %w", net.ErrClosed), retry(1006)},
		{"invalid close payload", errors.New("failed to get reader: received invalid close payload: invalid status code StatusCode(5000)"), notDropped(retry(1006))},
		{"nil error", nil, notDropped(retry(1006))},
		{"unreachable", dial(opErr("connect", syscall.ENETUNREACH)), r("dial_unreachable")},
		{"host unreachable", dial(opErr("connect", syscall.EHOSTUNREACH)), r("dial_unreachable")},
		{"dns temporary", dial(&net.DNSError{Err: "server misbehaving", Name: "x", IsTemporary: true}), r("dial_dns")},
		{"dns timeout", dial(&net.DNSError{Err: "timeout", Name: "x", IsTimeout: true}), r("dial_dns")},
		{"dns not found", dial(&net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}), endpointOnly(s("dial_dns_not_found"))},
		{"attempt deadline", dial(context.DeadlineExceeded), r("timeout")},
		{"net timeout", dial(&net.OpError{Op: "dial", Err: timeoutErr{}}), r("timeout")},
		{"canceled", dial(context.Canceled), s("canceled")},
		{"permanent from a hook", fmt.Errorf("failed to subscribe: %w", backoff.Permanent(errors.New("no such room"))), s("permanent")},
		{"unknown authority", dial(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), tlsStop},
		{"hostname mismatch", dial(x509.HostnameError{Host: "x"}), tlsStop},
		{"not TLS", dial(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), tlsStop},
		{"TLS alert", dial(tls.AlertError(40)), tlsStop},
		{"unsupported scheme", fmt.Errorf("failed to dial: %w", policy.ErrUnsupportedScheme), s("dial_scheme")},
		{"bad URL", fmt.Errorf("failed to parse url: %w", &url.Error{Op: "parse", URL: "ws://%zz", Err: errors.New("invalid escape")}), s("dial_url")},
		{"read limit", fmt.Errorf("failed to read: %w", websocket.ErrMessageTooBig), notDropped(stop(1009))},
		{"violation the client found", fmt.Errorf("failed to read: %w", errors.Join(policy.ErrProtocolViolation,
			errors.New("received header with unexpected rsv bits set"))), violation},
		{"violation with the client's 1002", errors.Join(policy.ErrProtocolViolation,
			websocket.CloseError{Code: websocket.StatusProtocolError}), violation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := (policy.Policy{}).Classify(tt.err, nil); got != tt.want {
				t.Fatalf("Classify(%v) = %+v, want %+v", tt.err, got, tt.want)
			}
		})
	}
}

// violation is the client's own 1002.
var violation = policy.Decision{Category: policy.Terminal, Outcome: policy.Stop, Code: 1002,
	Label: policy.LabelProtocolViolation, Drop: true}

func refused(spread time.Duration) policy.Decision {
	return policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Spread: spread, Label: "dial_refused"}
}

// TestRefusedSpread checks that only a refused dial gets RefusedSpread:
// a drop or an unreachable network (a lone client's trouble) waits the
// backoff alone.
func TestRefusedSpread(t *testing.T) {
	t.Parallel()
	dial := func(errno syscall.Errno) error {
		return fmt.Errorf("failed to WebSocket dial: failed to send handshake request: %w", opErr("connect", errno))
	}
	drop := fmt.Errorf("failed to get reader: failed to read frame header: %w", io.EOF)
	tests := []struct {
		name   string
		spread time.Duration
		err    error
		want   time.Duration
	}{
		{"refused, default", 0, dial(syscall.ECONNREFUSED), 500 * time.Millisecond},
		{"refused, set", 2 * time.Second, dial(syscall.ECONNREFUSED), 2 * time.Second},
		{"refused, off", -1, dial(syscall.ECONNREFUSED), 0},
		{"drop", 0, drop, 0},
		{"unreachable", 0, dial(syscall.ENETUNREACH), 0},
		{"reset", 0, dial(syscall.ECONNRESET), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := policy.Policy{RefusedSpread: tt.spread}.Classify(tt.err, nil)
			if d.Spread != tt.want || !d.Retry() {
				t.Fatalf("Classify(%v) = %+v, want retry with spread %v", tt.err, d, tt.want)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassifierHook(t *testing.T) {
	t.Parallel()
	p := policy.Policy{}
	p.Classifier = func(p policy.Policy, err error, resp *http.Response) policy.Decision {
		d := policy.DefaultClassifier(p, err, resp)
		if d.Label == "dial_dns_not_found" {
			d.Category, d.Outcome = policy.Retryable, policy.Retry
		}
		return d
	}
	got := p.Classify(&net.DNSError{Err: "no such host", IsNotFound: true}, nil)
	if !got.Retry() || got.Label != "dial_dns_not_found" {
		t.Fatalf("wrapped classifier = %+v, want retry dial_dns_not_found", got)
	}
	if got := p.Classify(closeErr(1008, ""), nil); got != stop(1008) {
		t.Fatalf("wrapped classifier on 1008 = %+v, want %+v", got, stop(1008))
	}
}

// auth marks d as a credential failure.
func auth(d policy.Decision) policy.Decision {
	d.Auth = true
	return d
}
