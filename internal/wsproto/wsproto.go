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
// https.
var ErrUnsupportedScheme = errors.New("policy: unsupported URL scheme")

// RedactURL returns u without userinfo, query or fragment, safe for logs,
// events and spans; u is not changed. It returns "" when the result would
// read back as something else: a path that starts with "//" and has no
// host ("//@//x" once the userinfo is gone) would parse as a host or a
// userinfo.
func RedactURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = nil, "", false, "", ""
	s := c.String()
	if v, err := url.Parse(s); err != nil || v.User != nil || v.Host != c.Host || v.Path != c.Path {
		return ""
	}
	return s
}

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
	reason = strings.ToValidUTF8(reason, "\uFFFD")
	if len(reason) <= MaxCloseReason {
		return reason
	}
	cut := MaxCloseReason
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut]
}
