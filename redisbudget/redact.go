package redisbudget

import (
	"errors"
	"net/url"
	"strings"
)

// secretsOf returns the parts of a Redis URL that no error may show: the
// userinfo and the password, found even in a URL that does not parse.
func secretsOf(raw string) []string {
	var out []string
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p)
		}
		out = append(out, u.User.String())
	}
	rest := raw
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if i := strings.LastIndex(rest, "@"); i > 0 {
		info := rest[:i]
		out = append(out, info)
		if j := strings.Index(info, ":"); j >= 0 && j+1 < len(info) {
			out = append(out, info[j+1:])
		}
	}
	return out
}

// scrubbed is an error whose text had secrets removed. It does not
// unwrap: the original would show them.
type scrubbed struct{ msg string }

func (e *scrubbed) Error() string { return e.msg }

// scrub returns err, or a copy of its text without secrets when it
// holds any.
func scrub(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // url.Error repeats the whole URL
	}
	msg := err.Error()
	dirty := false
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			msg, dirty = strings.ReplaceAll(msg, s, "xxxxx"), true
		}
	}
	if !dirty {
		return err
	}
	return &scrubbed{msg}
}
