package redact

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/wsreconnect/wsreconnect/internal/wsproto"
)

// URL returns u without userinfo, query or fragment, safe for logs,
// events and spans; u is not changed. It returns "" when the result would
// read back as something else: a path that starts with "//" and has no
// host ("//@//x" once the userinfo is gone) would parse as a host or a
// userinfo.
func URL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = nil, "", false, "", ""
	s := c.String()
	if v, err := url.Parse(s); err != nil || v.User != nil || v.Host != c.Host || v.Path != c.Path {
		return ""
	}
	return s
}

// RawURL returns raw without userinfo, query or fragment, or
// "invalid-url" when raw does not parse or URL refuses it.
func RawURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		if s := URL(u); s != "" {
			return s
		}
	}
	return "invalid-url"
}

// Location returns the Location of a redirect without userinfo, query or
// fragment; "" when there is none or it does not parse.
func Location(resp *http.Response) string {
	u, err := resp.Location()
	if err != nil {
		return ""
	}
	return URL(u)
}

// Reason makes a close reason safe to record: valid UTF-8, control
// characters replaced by U+FFFD, at most n bytes, cut on a rune boundary.
func Reason(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return wsproto.TrimTo(s, n)
}
