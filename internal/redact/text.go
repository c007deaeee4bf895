package redact

// Finding URLs in free text, so their secrets can be removed from error
// texts that quote them (net/http does, query and all).

import (
	"net/url"
	"slices"
	"strings"
)

// redactText returns s with the userinfo, query and fragment removed from
// every URL in it: anything of the form scheme://, up to where the text
// around it ends it (see urlEnd). The rest of s is kept.
func redactText(s string) string {
	var b strings.Builder
	last := 0
	for _, sp := range urlSpans(s) {
		host, path, _, _ := splitURL(s[sp.from:sp.to])
		b.WriteString(s[last:sp.from] + host + path)
		last = sp.to
	}
	return b.String() + s[last:]
}

// span is the part of a text after a "://", up to the end of that URL.
type span struct{ from, to int }

// urlSpans returns the spans of the URLs in s, in order.
func urlSpans(s string) []span {
	var spans []span
	for i := 0; ; {
		j := strings.Index(s[i:], "://")
		if j < 0 {
			return spans
		}
		scheme := i + j
		for scheme > 0 && strings.IndexByte(schemeBytes, s[scheme-1]) >= 0 {
			scheme--
		}
		sp := span{from: i + j + 3}
		sp.to = urlEnd(s, scheme, sp.from)
		spans = append(spans, sp)
		i = sp.to
	}
}

const schemeBytes = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-."

// closers maps a byte that opens a quotation to the byte that closes it.
var closers = map[byte]byte{'\'': '\'', '`': '`', '(': ')', '[': ']', '<': '>', '{': '}'}

// urlEnd returns where the URL whose scheme starts at start, and whose
// text after "://" starts at from, ends. The byte before the scheme
// decides: after a double quote (Go's %q, as in *url.Error, or JSON), the
// URL runs to the closing quote, skipping backslash escapes; after \" (a
// quoted text quoted again) to the next \"; after another opening
// bracket or quote, to a space, less the closer just before it;
// otherwise to a space, a quote or an angle bracket. A control byte (a
// line break: errors.Join puts one between errors) ends it in every case.
// Ending late only costs text; ending early would leak, so the rules lean
// late.
func urlEnd(s string, start, from int) int {
	var open byte
	if start > 0 {
		open = s[start-1]
	}
	escaped := open == '"' && start > 1 && s[start-2] == '\\'
	closer := closers[open]
	i := from
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 || c == 0x7f:
			return i
		case open == '"' && c == '\\':
			if escaped && i+1 < len(s) && s[i+1] == '"' {
				return i
			}
			i++ // an escaped byte, part of the URL
		case open == '"':
			if c == '"' && !escaped {
				return i
			}
		case c == ' ':
			return trimCloser(s, from, i, closer)
		case closer == 0 && (c == '"' || c == '<' || c == '>' || c == '`'):
			return i
		}
	}
	return trimCloser(s, from, min(i, len(s)), closer)
}

// trimCloser leaves a closing bracket or quote at the end of s[from:to]
// out of the URL; one inside it ("?a=(b)c") stays in.
func trimCloser(s string, from, to int, closer byte) int {
	if closer != 0 && to > from && s[to-1] == closer {
		return to - 1
	}
	return to
}

// splitURL splits the text after "://" into the host (with port), the
// path, the userinfo and what follows a '?' or '#' (query and fragment).
// The host ends at '/', '?', '#', a space or a backslash, and the
// userinfo at the last '@' before that: a password with a raw '@' goes
// too.
func splitURL(u string) (host, path, userinfo, rest string) {
	h := strings.IndexAny(u, "/?# \\")
	if h < 0 {
		h = len(u)
	}
	host, path = u[:h], u[h:]
	if at := strings.LastIndexByte(host, '@'); at >= 0 {
		userinfo, host = host[:at], host[at+1:]
	}
	if q := strings.IndexAny(path, "?#"); q >= 0 {
		path, rest = path[:q], path[q:]
	}
	return host, path, userinfo, rest
}

// spanSecrets appends the secrets of u, a URL after its "://", to
// secrets: the userinfo, user name and password, the query, each query
// value and the fragment, as written and decoded. Too short or too common
// a value is left out: replacing "1" or "tcp" everywhere would wreck the
// text.
func spanSecrets(secrets []string, u string) []string {
	add := func(v string) {
		// Text that ends a URL may end in punctuation ("?token=abc: EOF").
		t := strings.TrimRight(v, ":;,.)")
		for _, w := range []string{v, unescape(v), url.QueryEscape(unescape(v)), t, unescape(t)} {
			if len(w) >= 3 && !strings.Contains(safeWords, w) && !slices.Contains(secrets, w) {
				secrets = append(secrets, w)
			}
		}
	}
	_, _, userinfo, rest := splitURL(u)
	if userinfo != "" {
		add(userinfo)
		user, pass, _ := strings.Cut(userinfo, ":")
		add(user)
		add(pass)
	}
	query, fragment, _ := strings.Cut(rest, "#")
	if q, ok := strings.CutPrefix(query, "?"); ok {
		add(q)
		for _, kv := range strings.FieldsFunc(q, func(r rune) bool { return r == '&' || r == ';' }) {
			_, v, _ := strings.Cut(kv, "=")
			add(v)
		}
	}
	add(fragment)
	return secrets
}

// unescape decodes %XX and '+' in v, or returns v if it does not decode.
func unescape(v string) string {
	if d, err := url.QueryUnescape(v); err == nil {
		return d
	}
	return v
}

// safeWords are fragments of every error message; never treated as secrets.
const safeWords = "failed to WebSocket dial: send handshake request Get http https ws wss tcp dial read write REDACTED"
