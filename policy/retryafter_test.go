package policy_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/wsreconnect/wsreconnect/policy"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"seconds", "120", 120 * time.Second, true},
		{"seconds with spaces", "  3 ", 3 * time.Second, true},
		{"zero is no hint", "0", 0, false},
		{"leading zeros", "007", 7 * time.Second, true},
		{"RFC 1123 date", epoch.Add(time.Minute).Format(http.TimeFormat), time.Minute, true},
		{"RFC 850 date", epoch.Add(time.Minute).Format(time.RFC850), time.Minute, true},
		{"ANSI C date", epoch.Add(time.Minute).Format(time.ANSIC), time.Minute, true},
		{"past date", epoch.Add(-time.Second).Format(http.TimeFormat), 0, false},
		{"now", epoch.Format(http.TimeFormat), 0, false},
		{"far future date", "Fri, 31 Dec 9999 23:59:59 GMT", 0, false},
		{"empty", "", 0, false},
		{"negative", "-5", 0, false},
		{"plus sign", "+5", 0, false},
		{"fraction", "1.5", 0, false},
		{"hex", "0x10", 0, false},
		{"words", "soon", 0, false},
		{"overflow", "99999999999999999999999", 0, false},
		{"eleven digits", "10000000000", 0, false},
		{"just under the bound", "4294967295", 4294967295 * time.Second, true},
		{"at the bound", "4294967296", 0, false},
		{"unicode digits", "１２", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := policy.ParseRetryAfter(tt.value, epoch)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.value, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "1", "120", "-1", "", " 5 ", "99999999999999999999",
		"Wed, 21 Oct 2026 07:28:00 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "1e3", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := policy.ParseRetryAfter(v, epoch)
		if !ok {
			if d != 0 {
				t.Fatalf("ParseRetryAfter(%q) = %v with ok false, want 0", v, d)
			}
			return
		}
		if d <= 0 || d > 4294967296*time.Second {
			t.Fatalf("ParseRetryAfter(%q) = %v, outside (0, 2^32 s]", v, d)
		}
		// Through a handshake, the delay is always capped.
		p := policy.Policy{Now: fixedNow}
		got := p.Classify(handshakeErr(503), handshakeResp(503, "Retry-After", v))
		if got.MinDelay <= 0 || got.MinDelay > policy.DefaultMaxRetryAfter {
			t.Fatalf("MinDelay for %q = %v, want (0, %v]", v, got.MinDelay, policy.DefaultMaxRetryAfter)
		}
	})
}
