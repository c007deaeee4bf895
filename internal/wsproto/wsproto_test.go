package wsproto_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/coder/websocket"

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

func TestSendableCode(t *testing.T) {
	tests := []struct {
		name string
		code websocket.StatusCode
		want bool
	}{
		{"999 below range", 999, false},
		{"1000 normal", 1000, true},
		{"1003 unsupported data", 1003, true},
		{"1004 reserved", 1004, false},
		{"1005 no status is never sent", 1005, false},
		{"1006 abnormal is never sent", 1006, false},
		{"1007 invalid data", 1007, true},
		{"1014 bad gateway", 1014, true},
		{"1015 TLS is never sent", 1015, false},
		{"1016 unassigned", 1016, false},
		{"2999 unassigned", 2999, false},
		{"3000 registered", 3000, true},
		{"4999 private", 4999, true},
		{"5000 beyond range", 5000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wsproto.SendableCode(tt.code); got != tt.want {
				t.Fatalf("SendableCode(%d) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

func TestTrimReason(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"short kept", "bye", "bye"},
		{"123 bytes kept", strings.Repeat("a", 123), strings.Repeat("a", 123)},
		{"124 bytes cut", strings.Repeat("a", 124), strings.Repeat("a", 123)},
		{"rune not split", strings.Repeat("a", 122) + "é", strings.Repeat("a", 122)},
		{"3-byte rune not split", strings.Repeat("a", 121) + "€", strings.Repeat("a", 121)},
		{"invalid UTF-8 replaced", "a\xffb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wsproto.TrimReason(tt.in)
			if got != tt.want || len(got) > 123 || !utf8.ValidString(got) {
				t.Fatalf("TrimReason(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzTrimReason checks that any reason a user passes to Close becomes
// one a close frame can carry, losing no more than it must.
func FuzzTrimReason(f *testing.F) {
	for _, s := range []string{"", "bye", strings.Repeat("a", 123), strings.Repeat("a", 124),
		strings.Repeat("é", 62), strings.Repeat("a", 122) + "€", "\xff\xfe", "a\x00b", strings.Repeat("\xff", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reason string) {
		got := wsproto.TrimReason(reason)
		if !utf8.ValidString(got) || len(got) > 123 {
			t.Fatalf("TrimReason(%q) = %q: invalid UTF-8 or %d bytes", reason, got, len(got))
		}
		valid := strings.ToValidUTF8(reason, "\uFFFD")
		if !strings.HasPrefix(valid, got) {
			t.Fatalf("TrimReason(%q) = %q, not a prefix of %q", reason, got, valid)
		}
		// Cut only as much as it must: the next rune would not have fit.
		if got != valid {
			_, size := utf8.DecodeRuneInString(valid[len(got):])
			if len(got)+size <= 123 {
				t.Fatalf("TrimReason(%q) = %q cut early", reason, got)
			}
		}
		if again := wsproto.TrimReason(got); again != got {
			t.Fatalf("TrimReason not idempotent: %q then %q", got, again)
		}
	})
}
