package policy_test

import (
	"net/url"
	"testing"

	"github.com/wsreconnect/wsreconnect/internal/wsproto"
)

func TestRedactURL(t *testing.T) {
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
			if got := wsproto.RedactURL(u); got != tt.want {
				t.Fatalf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if u.String() != before {
				t.Fatalf("RedactURL changed its argument to %q", u.String())
			}
		})
	}
}
