package wsproto

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// MaxCloseReason is the longest close reason, in bytes, that fits a close
// frame: coder/websocket enforces 123 (125 less the code's two bytes).
const MaxCloseReason = 123

// ErrUnsupportedScheme reports a URL whose scheme is not ws, wss, http or
// https. Users know it as policy.ErrUnsupportedScheme, hence its "policy: "
// prefix: it is defined here, below both packages, because reconnect
// makes it (CheckURL) and policy classifies it.
var ErrUnsupportedScheme = errors.New("policy: unsupported URL scheme")

// CheckURL reports a URL that websocket.Dial cannot use: one that does not
// parse (a *url.Error) or whose scheme is not ws, wss, http or https (wraps
// ErrUnsupportedScheme). Classify stops on both. coder/websocket reports a
// bad scheme as untyped text, which Classify would take for an abnormal
// closure; check URLs with CheckURL before dialing.
func CheckURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("failed to parse url: %w", err)
	}
	switch u.Scheme {
	case "ws", "wss", "http", "https":
		return nil
	}
	return fmt.Errorf("failed to dial %q URL: %w", u.Scheme, ErrUnsupportedScheme)
}

// SendableCode reports whether code may be sent in a close frame: 1000-1003,
// 1007-1014 and 3000-4999. 1004-1006 and 1015 are reserved for reporting.
func SendableCode(code websocket.StatusCode) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	}
	return code >= 3000 && code <= 4999
}

// TrimReason makes reason valid UTF-8 and cuts it to the 123 bytes a close
// frame can carry, without splitting a rune.
func TrimReason(reason string) string {
	return TrimTo(reason, MaxCloseReason)
}

// TrimTo makes s valid UTF-8 and cuts it to at most n bytes, without
// splitting a rune.
func TrimTo(s string, n int) string {
	s, n = strings.ToValidUTF8(s, "\uFFFD"), max(n, 0)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
