package reconnect

import (
	"context"
	"fmt"
	"net/http"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wsproto"
	"github.com/wsreconnect/wsreconnect/policy"
)

// Attempt describes the attempt about to be dialled, for Options.Target.
type Attempt struct {
	// Number counts the attempts since Dial or the last healthy
	// connection, from 1, as Event.Attempt does.
	Number int
	// Generation is the connection the attempt would make, as
	// Event.Generation.
	Generation uint64
	// Last is the decision on the attempt or connection before; the zero
	// Decision for the first attempt.
	Last policy.Decision
	// Refresh is set when Last is a credential failure (Last.Auth): the
	// credential was rejected or has expired, so return a fresh one.
	Refresh bool
	// Rotation is set when the attempt would replace a live connection
	// (Rotate, Options.MaxAge, Options.FailbackAfter).
	Rotation bool
	// Endpoint is the index of the endpoint it dials: 0 for the URL given
	// to Dial, then Options.Endpoints (in their shuffled order with
	// ShuffleEndpoints). URL is that endpoint's URL.
	Endpoint int
	URL      string
}

// Target is what one attempt dials. The zero Target dials the URL given to
// Dial with Options.DialOptions.
type Target struct {
	// URL replaces the URL given to Dial when not empty.
	URL string
	// Header is added to DialOptions.HTTPHeader; a key it has replaces
	// the values of that key.
	Header http.Header
	// Subprotocols replace DialOptions.Subprotocols when not nil.
	Subprotocols []string
}

// apply returns the URL and dial options one attempt uses; the secrets of
// what Target returned join those the Conn scrubs from errors.
func (c *Conn) apply(ctx context.Context, a Attempt) (string, *websocket.DialOptions, error) {
	url, opts := a.URL, cloneDialOptions(c.opts.DialOptions)
	f := c.opts.Target
	if f == nil {
		return url, opts, nil
	}
	var t Target
	var err error
	if p := c.callHook("Target", func() { t, err = f(ctx, a) }); p != nil {
		c.fail(p)
		return "", nil, p
	}
	c.secrets.Learn(t.URL, t.Header)
	if err != nil {
		return "", nil, &hookError{LabelTarget, "failed to run Target", err}
	}
	if t.URL != "" {
		if err := wsproto.CheckURL(t.URL); err != nil {
			return "", nil, fmt.Errorf("reconnect: Target returned a bad URL: %w", err)
		}
		url = t.URL
	}
	if len(t.Header) > 0 && opts.HTTPHeader == nil {
		opts.HTTPHeader = http.Header{}
	}
	for k, vs := range t.Header {
		opts.HTTPHeader[k] = vs
	}
	if t.Subprotocols != nil {
		opts.Subprotocols = t.Subprotocols
	}
	return url, opts, nil
}

// refreshError ends a Conn whose fresh credential was rejected too.
type refreshError struct{ err error }

func (e *refreshError) Error() string {
	return "reconnect: credential rejected again after a refresh: " + e.err.Error()
}
func (e *refreshError) Unwrap() error { return e.err }

func (e *refreshError) Is(target error) bool { return target == ErrCredentialRejected }
