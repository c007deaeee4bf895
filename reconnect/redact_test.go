package reconnect_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// connURL is the URL a Conn is dialled to in these tests; it has no
// secrets, so whatever is redacted was found in the error itself.
const connURL = "ws://app.example/ws"

// TestCustomDialerSecretsRedacted dials, through a custom Dialer, URLs
// that the Conn does not know (another host, a token, a user and
// password) and checks every error the Conn hands out.
func TestCustomDialerSecretsRedacted(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedAddr := ln.Addr().String()
	ln.Close() // refused from now on
	srv, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	})
	authAddr := strings.TrimPrefix(srv, "ws://")
	secret := func(addr string) string {
		return "ws://usr-SECRET:pw-SECRET@" + addr + "/x?token=tok-SECRET&sig=a%2FSECRET%20b#frag-SECRET"
	}
	tests := []struct {
		name  string
		addr  string
		wrap  func(u string, err error) error
		label string
		is    error
	}{
		{"refused, net/http's url.Error", refusedAddr, func(_ string, err error) error { return err }, "dial_refused", syscall.ECONNREFUSED},
		{"refused, dialer quotes the url", refusedAddr, func(u string, err error) error { return fmt.Errorf("dial %q: %w", u, err) }, "dial_refused", syscall.ECONNREFUSED},
		{"401, dialer names the url", authAddr, func(u string, err error) error { return fmt.Errorf("failed to dial %s: %w", u, err) }, "handshake_401", nil},
		{"401, joined", authAddr, func(u string, err error) error { return errors.Join(err, fmt.Errorf("auth at %s refused", u)) }, "handshake_401", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw := make(chan error, 2)
			o := &reconnect.Options{
				Policy: policy.Policy{MaxAttempts: 2},
				Dialer: func(ctx context.Context, _ string, do *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
					u := secret(tt.addr)
					ws, resp, err := websocket.Dial(ctx, u, do)
					if err != nil {
						err = tt.wrap(u, err)
						select {
						case raw <- err:
						default:
						}
					}
					return ws, resp, err
				},
			}
			c, rec, err := wstest.Dial(t, connURL, o, true)
			if c != nil || err == nil {
				t.Fatalf("Dial = %v, %v; want an error", c, err)
			}
			if len(wstest.Leaks(wstest.Wait(t, raw, "the Dialer's raw error"), "SECRET")) == 0 {
				t.Fatal("control: the Dialer's error does not carry the secret")
			}
			errs := []error{err}
			for _, e := range rec.Events() {
				if e.Err != nil {
					errs = append(errs, e.Err)
				}
			}
			for _, e := range errs {
				if bad := wstest.Leaks(e, "SECRET"); len(bad) > 0 {
					t.Fatalf("secrets in the chain of %v:\n%s", e, strings.Join(bad, "\n"))
				}
			}
			var re *reconnect.Error
			if !errors.As(err, &re) || re.Decision.Label != tt.label {
				t.Fatalf("final error %v, want label %s", err, tt.label)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.addr) {
				t.Fatalf("%q lost the address it dialled", err)
			}
		})
	}
}

// TestAppFuncSeesRedactedReason checks what AppRules.Func documents: a
// close reason that quotes the token reaches it redacted.
func TestAppFuncSeesRedactedReason(t *testing.T) {
	t.Parallel()
	srv, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		ws.Close(4001, "bad token "+r.URL.Query().Get("token"))
	})
	reasons := make(chan string, 1)
	p := policy.Policy{App: policy.AppRules{Func: func(_ websocket.StatusCode, reason string) (policy.Outcome, bool) {
		select {
		case reasons <- reason:
		default: // only the first matters
		}
		return policy.Stop, true
	}}}
	c, _, err := wstest.Dial(t, srv+"?token=tok3n-abc", &reconnect.Options{Policy: p}, true)
	if err != nil {
		t.Fatal(err)
	}
	wstest.Wait(t, c.Done(), "the Conn to end after the 1008")
	if got := wstest.Wait(t, reasons, "the server to log the close reason"); got != "bad token REDACTED" {
		t.Fatalf("Func got reason %q, want %q", got, "bad token REDACTED")
	}
}
