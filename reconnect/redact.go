package reconnect

import (
	"errors"
	"net/url"
	"strings"

	"github.com/wsreconnect/wsreconnect/policy"
)

// redactURL returns raw without userinfo, query or fragment: safe for
// logs, events and spans.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "invalid-url"
	}
	if s := policy.RedactURL(u); s != "" {
		return s
	}
	return "invalid-url"
}

// scrubber returns a func that removes the secrets of raw (userinfo, query,
// fragment) from an error's text, keeping the error chain for errors.Is
// and errors.As. net/http quotes the request URL in its errors, query and
// all, so a token in the URL would otherwise reach logs.
func scrubber(raw string) func(error) error {
	var secrets []string
	add := func(s string) {
		if len(s) >= 3 && !strings.Contains(safeWords, s) {
			secrets = append(secrets, s)
		}
	}
	if u, err := url.Parse(raw); err == nil {
		if u.User != nil {
			add(u.User.String())
			add(u.User.Username())
			if p, ok := u.User.Password(); ok {
				add(p)
			}
		}
		add(u.RawQuery)
		add(u.Fragment)
		for _, vs := range u.Query() {
			for _, v := range vs {
				add(v)
				add(url.QueryEscape(v))
			}
		}
	}
	target := redactURL(raw)
	clean := func(msg string) string {
		msg = strings.ReplaceAll(msg, raw, target)
		for _, s := range secrets {
			msg = strings.ReplaceAll(msg, s, "REDACTED")
		}
		return msg
	}
	return func(err error) error {
		if err == nil {
			return nil
		}
		msg := err.Error()
		if c := clean(msg); c != msg {
			return &scrubbedError{msg: c, err: err, clean: clean}
		}
		return err
	}
}

// safeWords are fragments of every error message; never treated as secrets.
const safeWords = "failed to WebSocket dial: send handshake request Get http https ws wss tcp dial read write"

// scrubbedError is err with secrets removed from its text and from the
// text of every error in its chain, for code that walks the chain (error
// reporters do). errors.Is and errors.As still see the original chain.
type scrubbedError struct {
	msg   string
	err   error
	clean func(string) string
}

func (e *scrubbedError) Error() string { return e.msg }

// Unwrap returns the next error of the chain, scrubbed too.
func (e *scrubbedError) Unwrap() error {
	next := errors.Unwrap(e.err)
	if next == nil {
		return nil
	}
	return &scrubbedError{msg: e.clean(next.Error()), err: next, clean: e.clean}
}

func (e *scrubbedError) Is(target error) bool { return errors.Is(e.err, target) }
func (e *scrubbedError) As(target any) bool   { return errors.As(e.err, target) }
