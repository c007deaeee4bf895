package policy

import (
	"fmt"
	"time"

	"github.com/coder/websocket"
)

// Category says who owns the meaning of the way a connection ended.
type Category int

const (
	// Terminal ends that will not get better by retrying: a protocol
	// violation, a policy violation, a rejected handshake, a bad certificate.
	Terminal Category = iota
	// Retryable ends are transient: a restart, an overload, a dropped TCP
	// connection, a refused dial.
	Retryable
	// AppDefined ends carry an application close code (3000-4999) whose
	// meaning the application's rules (Policy.App) decide.
	AppDefined
)

// String returns "terminal", "retryable" or "application-defined".
func (c Category) String() string {
	switch c {
	case Terminal:
		return "terminal"
	case Retryable:
		return "retryable"
	case AppDefined:
		return "application-defined"
	}
	return fmt.Sprintf("Category(%d)", int(c))
}

// Outcome is what to do next. The zero value is Stop, so an unset outcome
// never causes a reconnect.
type Outcome int

const (
	// Stop ends the connection for good.
	Stop Outcome = iota
	// Retry reconnects after a delay.
	Retry
)

// String returns "stop" or "retry".
func (o Outcome) String() string {
	switch o {
	case Stop:
		return "stop"
	case Retry:
		return "retry"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Decision is the classification of one end of a connection or one failed
// attempt. It is a comparable value; the zero Decision stops.
type Decision struct {
	// Category is terminal, retryable or application-defined.
	Category Category
	// Outcome is Retry or Stop, with the policy's rules applied.
	Outcome Outcome
	// Code is the close code behind the decision: the code the peer sent,
	// 1006 when the connection ended without a valid close frame, 1015 for
	// a TLS failure. 0 when no close code applies (a failed dial or handshake).
	Code websocket.StatusCode
	// Status is the HTTP status of a failed handshake, 0 otherwise.
	Status int
	// MinDelay is the shortest wait before the next attempt, from a server's
	// Retry-After or the 1013 floor. 0 when the backoff alone decides.
	MinDelay time.Duration
	// Spread is a random extra wait in [0, Spread) added on top of the
	// longer of MinDelay and the backoff, so that clients told the same
	// thing do not return together.
	Spread time.Duration
	// Location is the target of a 3xx handshake answer, with userinfo and
	// query removed so that no credential leaks into logs.
	Location string
	// Label is a short, low-cardinality name for the cause, fit for a metric
	// attribute: "close_1012", "close_app", "handshake_503", "dial_refused",
	// "tls", "canceled". The full list is in the package documentation.
	Label string
	// Auth marks a rejected or expired credential: a 401 or 403 handshake,
	// or one of Policy.App.AuthCodes. The outcome still says what to do
	// without a fresh credential.
	Auth bool
	// EndpointOnly marks a failure that concerns the dialed endpoint, not
	// the service: a handshake redirected or answered 404, 410 or 421, a
	// protocol mismatch (handshake_protocol), a name that does not resolve,
	// a certificate that fails. Another endpoint may well succeed, so
	// reconnect.Options.Endpoints fails over at once. A Classifier that
	// builds its own Decision sets it as it sees fit.
	EndpointOnly bool
	// Drop marks an end in which the connection went away under the
	// caller: a close frame arrived, or the transport ended (EOF, a reset,
	// a broken pipe, a closed socket). An error without a close code that
	// is none of these is an abnormal closure too (close_1006), without
	// Drop: reconnect then names the hook that returned it instead.
	Drop bool
}

// Retry reports whether the decision is to reconnect.
func (d Decision) Retry() bool { return d.Outcome == Retry }

// String returns a one-line summary, for example
// "retry close_1012 (retryable, spread 5s)" or
// "stop handshake_401 (terminal, credential)", or "none" for the zero
// Decision, which events that classify nothing (a connect) carry.
func (d Decision) String() string {
	if d == (Decision{}) {
		return "none"
	}
	s := d.Outcome.String() + " " + d.Label + " (" + d.Category.String()
	if d.MinDelay > 0 {
		s += ", min delay " + d.MinDelay.String()
	}
	if d.Spread > 0 {
		s += ", spread " + d.Spread.String()
	}
	if d.Location != "" {
		s += ", location " + d.Location
	}
	if d.Auth {
		s += ", credential"
	}
	return s + ")"
}
