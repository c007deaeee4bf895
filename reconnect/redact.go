package reconnect

import (
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
)

// redactURL returns raw without userinfo, query or fragment: safe for
// logs, events and spans.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		if s := policy.RedactURL(u); s != "" {
			return s
		}
	}
	return "invalid-url"
}

// scrubber returns a func that removes URL secrets (userinfo, query,
// fragment) from the text of an error and of every error in its chain,
// keeping the chain for errors.Is and errors.As. It knows raw, the URL
// given to Dial, and finds any other URL in the texts: net/http quotes
// the URL it requested in its errors, and a custom Dialer may dial
// another URL, with its own token, than the one it was given.
func scrubber(raw string) func(error) error {
	// All of raw is the URL, spaces and quotes included.
	_, afterScheme, _ := strings.Cut(raw, "://")
	known := spanSecrets(nil, afterScheme)
	target := redactURL(raw)
	return func(err error) error {
		if err == nil {
			return nil
		}
		secrets := slices.Clone(known) // newScrub sorts it
		for _, t := range chainTexts(err) {
			for _, sp := range urlSpans(t) {
				secrets = spanSecrets(secrets, t[sp.from:sp.to])
			}
		}
		return newScrub(raw, target, secrets).wrap(err)
	}
}

// maxChain bounds the walk of a chain, against an error that unwraps to
// itself.
const maxChain = 64

// chainTexts returns the text of err and of every error it wraps.
func chainTexts(err error) []string {
	var texts []string
	queue := []error{err}
	for len(queue) > 0 && len(texts) < maxChain {
		e := queue[0]
		queue = queue[1:]
		if e == nil {
			continue
		}
		texts = append(texts, e.Error())
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			queue = append(queue, u.Unwrap())
		case interface{ Unwrap() []error }:
			queue = append(queue, u.Unwrap()...)
		}
	}
	return texts
}

// scrub cleans texts: the known URL becomes its redacted form, every URL
// loses its userinfo, query and fragment, and any copy of a secret seen
// in them (a token quoted on its own, decoded) becomes REDACTED.
type scrub struct {
	raw, target string
	secrets     *strings.Replacer
}

func newScrub(raw, target string, secrets []string) *scrub {
	// Longest first, so that a secret wins over a shorter one inside it.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets { // no duplicates: spanSecrets skips them
		pairs = append(pairs, s, "REDACTED")
	}
	return &scrub{raw: raw, target: target, secrets: strings.NewReplacer(pairs...)}
}

func (s *scrub) clean(msg string) string {
	if s.raw != "" {
		msg = strings.ReplaceAll(msg, s.raw, s.target)
	}
	return s.secrets.Replace(redactText(msg))
}

// wrap returns err with its text and its chain's texts cleaned, or err
// itself when there is nothing to clean.
func (s *scrub) wrap(err error) error {
	if err == nil {
		return nil
	}
	texts := chainTexts(err)
	if len(texts) < maxChain && !slices.ContainsFunc(texts, func(t string) bool { return s.clean(t) != t }) {
		return err // seen to the end, and clean
	}
	e := scrubbedError{msg: s.clean(err.Error()), err: err, s: s}
	if _, ok := err.(interface{ Unwrap() []error }); ok {
		return &scrubbedJoin{e}
	}
	return &e
}

// scrubbedError is err with secrets removed from its text and from the
// text of every error in its chain, for code that walks the chain (error
// reporters do). errors.Is and errors.As still see the original chain.
type scrubbedError struct {
	msg string
	err error
	s   *scrub
}

func (e *scrubbedError) Error() string { return e.msg }

// Unwrap returns the next error of the chain, scrubbed too.
func (e *scrubbedError) Unwrap() error { return e.s.wrap(errors.Unwrap(e.err)) }

func (e *scrubbedError) Is(target error) bool { return errors.Is(e.err, target) }

// As finds target in the original chain. A *url.Error or a
// websocket.CloseError comes back cleaned, since both carry text that
// may quote a URL.
func (e *scrubbedError) As(target any) bool {
	if !errors.As(e.err, target) {
		return false
	}
	switch t := target.(type) {
	case **url.Error:
		if *t != nil {
			c := **t
			c.URL, c.Err = e.s.clean(c.URL), e.s.wrap(c.Err)
			*t = &c
		}
	case *websocket.CloseError:
		t.Reason = e.s.clean(t.Reason)
	}
	return true
}

// scrubbedJoin is a scrubbedError whose original wraps several errors
// (errors.Join, fmt.Errorf with several %w).
type scrubbedJoin struct{ scrubbedError }

// Unwrap returns the wrapped errors, scrubbed too.
func (e *scrubbedJoin) Unwrap() []error {
	errs := e.err.(interface{ Unwrap() []error }).Unwrap()
	out := make([]error, len(errs))
	for i, err := range errs {
		out[i] = e.s.wrap(err)
	}
	return out
}

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
