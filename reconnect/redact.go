package reconnect

import (
	"net/url"
	"strings"
)

// redactURL returns u without userinfo, query or fragment: safe for logs,
// events and spans.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "invalid-url"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
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
	return func(err error) error {
		if err == nil {
			return nil
		}
		msg := err.Error()
		clean := strings.ReplaceAll(msg, raw, target)
		for _, s := range secrets {
			clean = strings.ReplaceAll(clean, s, "REDACTED")
		}
		if clean == msg {
			return err
		}
		return &scrubbedError{msg: clean, err: err}
	}
}

// safeWords are fragments of every error message; never treated as secrets.
const safeWords = "failed to WebSocket dial: send handshake request Get http https ws wss tcp dial read write"

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
