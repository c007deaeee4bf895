package policy

import (
	"net/http"
	"strings"
	"time"
)

// maxDeltaSeconds bounds what ParseRetryAfter accepts as delta-seconds; a
// larger number is not a delay anyone means (and would overflow Duration).
const maxDeltaSeconds = 1 << 32

// ParseRetryAfter parses a Retry-After header value, either delta-seconds
// ("120") or an HTTP-date ("Wed, 21 Oct 2026 07:28:00 GMT"), into a delay
// from now. It returns ok false for an empty, malformed, negative, zero,
// absurdly large or past value; the caller then ignores the header.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, ok := parseDelta(v); ok {
		if secs == 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d = t.Sub(now)
	// Sub saturates instead of overflowing; treat a saturated or past
	// value as no hint.
	if d <= 0 || d >= time.Duration(maxDeltaSeconds)*time.Second {
		return 0, false
	}
	return d, true
}

// parseDelta parses 1*DIGIT (RFC 9110 delay-seconds) without overflow.
func parseDelta(v string) (int64, bool) {
	if len(v) > 10 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n < maxDeltaSeconds
}

// retryAfter returns the capped Retry-After delay of resp, or 0.
func (p Policy) retryAfter(resp *http.Response) time.Duration {
	d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), p.Now())
	if !ok {
		return 0
	}
	if p.MaxRetryAfter < 0 { // no cap
		return d
	}
	return min(d, p.MaxRetryAfter)
}
