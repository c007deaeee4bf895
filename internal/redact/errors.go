package redact

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/coder/websocket"
)

// Errors returns a func that removes URL secrets (userinfo, query,
// fragment) from the text of an error and of every error in its chain,
// keeping the chain for errors.Is and errors.As. It knows raw, the URL
// the caller dials, and finds any other URL in the texts: net/http quotes
// the URL it requested in its errors, and a custom Dialer may dial
// another URL, with its own token, than the one it was given.
//
// book, if not nil, holds more secrets learned since (reconnect keeps
// there what Options.Target returned for recent attempts).
func Errors(raw string, book *Book) func(error) error {
	// All of raw is the URL, spaces and quotes included.
	_, afterScheme, _ := strings.Cut(raw, "://")
	known := spanSecrets(nil, afterScheme)
	target := RawURL(raw)
	return func(err error) error {
		if err == nil {
			return nil
		}
		secrets := slices.Clone(known) // newScrub sorts it
		for _, s := range book.list() {
			if !slices.Contains(secrets, s) {
				secrets = append(secrets, s)
			}
		}
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

// Book keeps the secrets of the most recent attempts' targets. The zero
// value is ready to use; a Book is safe for concurrent use.
type Book struct {
	mu     sync.Mutex
	recent []string
}

// maxSecrets bounds the book: a token refreshed every hour for months
// must not grow it without end.
const maxSecrets = 64

// Learn adds the secrets of a target: those of its URL, and its header
// values long enough to be credentials (whole, and each word, for
// "Bearer <token>").
func (b *Book) Learn(rawURL string, h http.Header) {
	var add []string
	if _, afterScheme, ok := strings.Cut(rawURL, "://"); ok {
		add = spanSecrets(add, afterScheme)
	}
	for _, vs := range h {
		for _, v := range vs {
			for _, w := range append(strings.Fields(v), v) {
				if len(w) >= 8 && !slices.Contains(add, w) {
					add = append(add, w)
				}
			}
		}
	}
	if len(add) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range add {
		if !slices.Contains(b.recent, s) {
			b.recent = append(b.recent, s)
		}
	}
	if n := len(b.recent) - maxSecrets; n > 0 {
		b.recent = slices.Delete(b.recent, 0, n)
	}
}

func (b *Book) list() []string {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.recent)
}
