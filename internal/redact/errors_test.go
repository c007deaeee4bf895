package redact_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/redact"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
)

// connURL is the URL the errors in these tests come from; it has no
// secrets, so whatever is redacted was found in the error itself.
const connURL = "ws://app.example/ws"

func TestScrubText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, in, want string
	}{
		{"url.Error text", connURL,
			`Get "ws://u:p4ss@h/x?token=abc": dial tcp 127.0.0.1:1: connect: connection refused`,
			`Get "ws://h/x": dial tcp 127.0.0.1:1: connect: connection refused`},
		{"net/http's starred password and fragment", connURL,
			`Get "http://user:***@127.0.0.1:9/x?token=abc#frag": EOF`,
			`Get "http://127.0.0.1:9/x": EOF`},
		{"https userinfo only", connURL, `proxy https://alice:pw@proxy.example:8443 refused`,
			`proxy https://proxy.example:8443 refused`},
		{"wss fragment only", connURL, `open wss://h/feed#sess-42`, `open wss://h/feed`},
		{"upper-case scheme", connURL, `dial WSS://u:p@H/x?t=abc failed`, `dial WSS://H/x failed`},
		{"unquoted url ends at a space", connURL, `failed to dial ws://h/x?token=abc: got 401 for abc`,
			`failed to dial ws://h/x got 401 for REDACTED`},
		{"percent-encoded value, decoded copy too", connURL,
			`Get "wss://h/x?sig=a%2Fsecret%20b": bad sig a/secret b`,
			`Get "wss://h/x": bad sig REDACTED`},
		{"escaped quote inside the query", connURL, `Get "ws://h/x?a=\"b&token=abc1": EOF`,
			`Get "ws://h/x": EOF`},
		{"quoted twice", connURL, `wrap: "Get \"ws://h/x?token=abc1\": EOF"`, `wrap: "Get \"ws://h/x\": EOF"`},
		{"json with escaped ampersand", connURL, `{"url":"ws://h/x?a=1\u0026token=abc1","ok":false}`,
			`{"url":"ws://h/x","ok":false}`},
		{"parenthesised", connURL, `see (ws://h/x?t=abc1) then retry`, `see (ws://h/x) then retry`},
		{"unbalanced bracket leans late", connURL, `see ws://h/x?t=abc1) then retry`, `see ws://h/x then retry`},
		{"two urls", connURL, `ws://a/x?t=one1 redirected to ws://b/y?t=two2`, `ws://a/x redirected to ws://b/y`},
		{"joined errors, one per line", connURL, "ws://a/x?t=one1\nws://b/y?t=two2", "ws://a/x\nws://b/y"},
		{"raw @ in the password", connURL, `dial ws://u:p@ss@h/x`, `dial ws://h/x`},
		{"ipv6 host kept", connURL, `dial ws://[::1]:80/x?t=abc1`, `dial ws://[::1]:80/x`},
		{"invalid escape still redacted", connURL, `parse "ws://h/x%zz?token=abc%zz": invalid URL escape "%zz"`,
			`parse "ws://h/x%zz": invalid URL escape "%zz"`},
		{"known url kept scrubbed", "ws://alice:hunter2@h/ws?token=tok3n",
			`failed to WebSocket dial: bad token tok3n for alice`,
			`failed to WebSocket dial: bad token REDACTED for REDACTED`},
		{"known url with a space in its query", "ws://h/ws?token=a b", `reason: token=a b`, `reason: REDACTED`},
		// Control rows: nothing to redact, so the text must come back as is.
		{"url without secrets readable", connURL,
			`Get "ws://127.0.0.1:8080/ws": dial tcp 127.0.0.1:8080: connect: connection refused`,
			`Get "ws://127.0.0.1:8080/ws": dial tcp 127.0.0.1:8080: connect: connection refused`},
		{"at sign in the path kept", connURL, `GET ws://h/users/@me: 404`, `GET ws://h/users/@me: 404`},
		{"ordinary text untouched", connURL, `read tcp 10.0.0.1:443->10.0.0.2:5555: i/o timeout? user@example.com #3`,
			`read tcp 10.0.0.1:443->10.0.0.2:5555: i/o timeout? user@example.com #3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := errors.New(tt.in)
			got := redact.Errors(tt.raw, nil)(in)
			if got.Error() != tt.want {
				t.Fatalf("scrubbed\n %s\nto\n %s\nwant\n %s", tt.in, got, tt.want)
			}
			if tt.in == tt.want && got != in {
				t.Fatalf("an error with nothing to redact was wrapped: %#v", got)
			}
		})
	}
}

func TestScrubKeepsTheChain(t *testing.T) {
	t.Parallel()
	const secretURL = "ws://usr-SECRET:pw-SECRET@h/x?token=tok-SECRET"
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	ue := &url.Error{Op: "Get", URL: secretURL, Err: refused}
	closeWith := func(reason string) error {
		return fmt.Errorf("failed to read: %w", websocket.CloseError{Code: 4001, Reason: reason})
	}
	tests := []struct {
		name, raw string
		err       error
		is        error
	}{
		{"url.Error wrapped", connURL, fmt.Errorf("failed to WebSocket dial: %w", ue), syscall.ECONNREFUSED},
		{"joined", connURL, errors.Join(errors.New("first"), ue), syscall.ECONNREFUSED},
		{"several %w", connURL, fmt.Errorf("dial %s: %w, then %w", secretURL, context.DeadlineExceeded, refused), syscall.ECONNREFUSED},
		{"quiet wrapper over a loud cause", connURL, quiet{ue}, syscall.ECONNREFUSED},
		{"close reason quoting a url", connURL, closeWith("go to wss://h/y?token=tok-SECRET"), nil},
		{"close reason quoting the known token", secretURL, closeWith("bad token tok-SECRET"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if len(wstest.Leaks(tt.err, "SECRET")) == 0 {
				t.Fatal("control: the unscrubbed chain does not carry the secret")
			}
			got := redact.Errors(tt.raw, nil)(tt.err)
			if bad := wstest.Leaks(got, "SECRET"); len(bad) > 0 {
				t.Fatalf("secrets in the chain:\n%s", strings.Join(bad, "\n"))
			}
			if n, want := len(wstest.Chain(got)), len(wstest.Chain(tt.err)); n != want {
				t.Fatalf("chain has %d errors, want %d", n, want)
			}
			if tt.is != nil && !errors.Is(got, tt.is) {
				t.Fatalf("errors.Is(%v, %v) = false", got, tt.is)
			}
			var u *url.Error
			if errors.As(tt.err, &u) {
				if !errors.As(got, &u) || strings.Contains(u.URL, "SECRET") || strings.Contains(u.Error(), "SECRET") {
					t.Fatalf("errors.As *url.Error = %v", u)
				}
				if !errors.Is(u, syscall.ECONNREFUSED) {
					t.Fatalf("the *url.Error from errors.As lost its cause: %v", u)
				}
			}
			var ce websocket.CloseError
			if errors.As(tt.err, &ce) {
				if !errors.As(got, &ce) || ce.Code != 4001 || strings.Contains(ce.Reason, "SECRET") {
					t.Fatalf("errors.As CloseError = %+v", ce)
				}
			}
		})
	}
}

// quiet wraps an error without quoting it, as some wrappers do.
type quiet struct{ err error }

func (q quiet) Error() string { return "dial failed" }
func (q quiet) Unwrap() error { return q.err }

// FuzzScrubURLInText embeds a URL with a secret query value, user,
// password and fragment in random text, the way error texts quote URLs,
// and checks that none of them survives, while the rest of the text does.
func FuzzScrubURLInText(f *testing.F) {
	f.Add("failed to send handshake request: Get", "127.0.0.1:9", "/x", "token", "tok3n-abc", "usr", "pw-123", "frag-1", "dial tcp: connection refused", uint8(0))
	f.Add("", "h", "", "", "a b&c=d#e", "", "", "", "", uint8(5))
	f.Add(`\`, "h", `/p"q`, "k", `"; x`, "u", "p@ss:w/d", "#f", `"\`, uint8(2))
	f.Add("(", "h.example", "/a b", "sig", "a/SECRET b", "", "", "", ")", uint8(11))
	f.Fuzz(func(t *testing.T, prefix, host, path, key, secret, user, pass, frag, suffix string, form uint8) {
		u := &url.URL{Scheme: []string{"ws", "wss", "http", "https"}[form%4], Host: hostChars(host), Path: path,
			RawQuery: url.Values{key: {secret}}.Encode(), Fragment: frag}
		if user != "" || pass != "" {
			u.User = url.UserPassword(user, pass)
		}
		raw := u.String()
		text := embed(form/4, prefix, raw, suffix)
		if strings.Count(text, "://") != 1 {
			return // one URL; other texts with several are table rows
		}
		bare := *u
		bare.User, bare.RawQuery, bare.Fragment = nil, "", ""
		kept := embed(form/4, prefix, bare.String(), suffix)
		got := redact.Errors(connURL, nil)(errors.New(text)).Error()
		forms := []string{secret, url.QueryEscape(secret), user, pass, frag, u.EscapedFragment()}
		if u.User != nil {
			forms = append(forms, u.User.String())
		}
		for _, s := range forms {
			if s == "" || strings.Contains(kept, s) {
				continue // not a secret of the URL alone
			}
			for _, piece := range strings.Split(got, "REDACTED") {
				if strings.Contains(piece, s) {
					t.Fatalf("%q survives in\n %q\nfrom\n %q", s, got, text)
				}
			}
		}
		if !strings.Contains(got, "REDACTED") && got != kept {
			t.Fatalf("scrubbed\n %q\nto\n %q\nwant\n %q", text, got, kept)
		}
	})
}

// hostChars keeps the bytes of s that a host name may hold.
func hostChars(s string) string {
	h := strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '.' || r == '-' || r == ':' {
			return r
		}
		return -1
	}, strings.ToLower(s))
	if h == "" {
		return "h"
	}
	return h
}

// embed puts u in text the ways error texts do.
func embed(form uint8, prefix, u, suffix string) string {
	switch form % 5 {
	case 0:
		return fmt.Sprintf("%s %q: %s", prefix, u, suffix) // *url.Error
	case 1:
		return prefix + " " + u + " " + suffix
	case 2:
		return prefix + " (" + u + ") " + suffix
	case 3:
		return prefix + "\n" + u + "\n" + suffix // errors.Join
	}
	return prefix + " " + u
}
