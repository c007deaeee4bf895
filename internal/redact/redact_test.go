package redact_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wsreconnect/wsreconnect/internal/redact"
)

func TestURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"secrets removed", "wss://alice:pw@example.com:8443/feed?token=t#frag", "wss://example.com:8443/feed"},
		{"plain kept", "ws://127.0.0.1/ws", "ws://127.0.0.1/ws"},
		{"relative path kept", "/elsewhere?x=1", "/elsewhere"},
		{"ambiguous path refused", "//@//x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			before := u.String()
			if got := redact.URL(u); got != tt.want {
				t.Fatalf("URL(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if u.String() != before {
				t.Fatalf("URL changed its argument to %q", u.String())
			}
		})
	}
}

func TestRawURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"secrets removed", "wss://alice:pw@example.com/feed?token=t#frag", "wss://example.com/feed"},
		{"does not parse", "ws://h/%zz", "invalid-url"},
		{"ambiguous path refused", "//@//x", "invalid-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redact.RawURL(tt.in); got != tt.want {
				t.Fatalf("RawURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLocation(t *testing.T) {
	tests := []struct {
		name, location, want string
	}{
		{"secrets removed", "wss://u:p@other.example/ws?token=t", "wss://other.example/ws"},
		{"relative, resolved against the request", "/moved?x=1", "ws://example.com/moved"},
		{"none", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &http.Request{URL: &url.URL{Scheme: "ws", Host: "example.com", Path: "/ws"}}
			resp := &http.Response{StatusCode: http.StatusFound, Header: http.Header{}, Request: req}
			if tt.location != "" {
				resp.Header.Set("Location", tt.location)
			}
			if got := redact.Location(resp); got != tt.want {
				t.Fatalf("Location(%q) = %q, want %q", tt.location, got, tt.want)
			}
		})
	}
}

func TestReason(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"kept whole", "héllo", 64, "héllo"},
		{"cut on a rune boundary", "héllo", 2, "h"},
		{"control characters and invalid UTF-8 replaced", "a\nb\xffc", 64, "a\uFFFDb\uFFFDc"},
		{"a run of invalid bytes is one replacement", "a\xff\xfeb", 64, "a\uFFFDb"},
		{"cut at n", strings.Repeat("x", 200), 123, strings.Repeat("x", 123)},
		{"nothing left", "héllo", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redact.Reason(tt.in, tt.n); got != tt.want {
				t.Fatalf("Reason(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}
