package wsproto_test

import (
	"strings"
	"testing"

	"github.com/wsreconnect/wsreconnect/internal/wsproto"
)

func TestTrimTo(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"short kept", "bye", 10, "bye"},
		{"cut at n", "abcdef", 3, "abc"},
		{"cut before a split rune", "aé", 2, "a"},
		{"invalid UTF-8 replaced first", "a\xffb", 10, "a\uFFFDb"},
		{"zero", "abc", 0, ""},
		{"negative is zero", "abc", -1, ""},
		{"close frame limit", strings.Repeat("a", 200), wsproto.MaxCloseReason, strings.Repeat("a", 123)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wsproto.TrimTo(tt.in, tt.n); got != tt.want {
				t.Fatalf("TrimTo(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}
