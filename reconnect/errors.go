package reconnect

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
)

// Sentinel errors. An *Error matches ErrTerminal, ErrGaveUp, ErrInvalid
// or net.ErrClosed with errors.Is, according to its Kind.
var (
	// ErrNotConnected is returned by Write in SendFail mode while there is
	// no connection.
	ErrNotConnected = errors.New("reconnect: not connected")
	// ErrBufferFull is returned by Write in SendBuffer mode when the send
	// buffer is at its message or byte limit.
	ErrBufferFull = errors.New("reconnect: send buffer full")
	// ErrTerminal matches an *Error of KindTerminal.
	ErrTerminal = errors.New("reconnect: terminal")
	// ErrGaveUp matches an *Error of KindGaveUp.
	ErrGaveUp = errors.New("reconnect: gave up")
	// ErrInvalid matches an *Error of KindInvalid.
	ErrInvalid = errors.New("reconnect: invalid")
	// ErrHandlerMode is returned by Read and ReadMessage when
	// Options.OnMessage is set: every message goes to OnMessage instead.
	ErrHandlerMode = errors.New("reconnect: Read with Options.OnMessage set")
	// ErrCredentialRejected matches the final error of a Conn whose
	// credential was rejected again right after Options.Target refreshed
	// it.
	ErrCredentialRejected = errors.New("reconnect: credential rejected again after a refresh")
	// ErrStale matches the cause of a connection that ended stale.
	ErrStale = errors.New("reconnect: stale")
	// ErrNoCodec is returned by Send on a Conn without Options.Codec.
	ErrNoCodec = errors.New("reconnect: Send without Options.Codec")
	// ErrExpired is the Err of a receipt whose deadline passed before an
	// ack.
	ErrExpired = errors.New("reconnect: message expired")
	// ErrAckTimeout matches the cause of a connection that ended because
	// an ack did not come in time.
	ErrAckTimeout = errors.New("reconnect: ack timeout")
)

// Kind says why a Conn ended. The zero Kind is none of them.
type Kind int

const (
	// KindTerminal: the policy classified an end or a failed attempt as Stop
	// (a 1008 close, a 401 handshake, a bad certificate...).
	KindTerminal Kind = iota + 1
	// KindGaveUp: a give-up limit was reached during an outage.
	KindGaveUp
	// KindClosed: Close or CloseNow was called. Err is net.ErrClosed.
	KindClosed
	// KindCanceled: the context given to Dial ended before the first
	// connection was up. Err is the context's error.
	KindCanceled
	// KindInvalid: Dial was given a URL or Options it cannot use; nothing
	// was dialled. Err says which and why.
	KindInvalid
)

var kindNames = [...]string{"", "terminal", "gave up", "closed", "canceled", "invalid"}

// String returns "terminal", "gave up", "closed", "canceled" or "invalid".
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is the final error of a Conn: returned by Dial when the first
// connection cannot be made, and by Read, Write and Err once the Conn has
// ended. It unwraps to the cause, so errors.Is(err, context.Canceled),
// errors.As(err, &websocket.CloseError{}) and websocket.CloseStatus(err)
// see through it.
type Error struct {
	Kind Kind
	// Decision is the last classification; its Label names the cause.
	Decision policy.Decision
	// Attempts counts the dial attempts since the last connection that
	// stayed up for MinUptime (or since Dial), the one that ended included.
	Attempts int
	// Err is the cause, with URL secrets removed from its text.
	Err error
	// Limit and Outage, for KindGaveUp: the limit reached (as in
	// Event.Limit) and how long the outage had lasted.
	Limit  string
	Outage time.Duration
}

func (e *Error) Error() string {
	s := "reconnect: " + e.Kind.String()
	if e.Decision.Label != "" && e.Decision.Label != e.Kind.String() {
		s += " (" + e.Decision.Label + ")"
	}
	if e.Attempts > 0 && (e.Kind == KindTerminal || e.Kind == KindGaveUp) {
		s += fmt.Sprintf(" after %d attempt", e.Attempts)
		if e.Attempts > 1 {
			s += "s"
		}
	}
	if e.Kind == KindGaveUp && e.Limit == LimitMaxOutage {
		s += fmt.Sprintf(" and %v of outage", e.Outage)
	}
	if e.Kind == KindGaveUp && e.Limit != "" {
		s += " (" + e.Limit + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches ErrTerminal, ErrGaveUp, ErrInvalid and net.ErrClosed by
// Kind.
func (e *Error) Is(target error) bool {
	return target == ErrTerminal && e.Kind == KindTerminal ||
		target == ErrGaveUp && e.Kind == KindGaveUp ||
		target == ErrInvalid && e.Kind == KindInvalid ||
		target == net.ErrClosed && e.Kind == KindClosed
}

// ErrorType returns a low-cardinality name for the cause, for
// semconv.ErrorType: the decision's label, or the kind.
func (e *Error) ErrorType() string {
	if e.Decision.Label != "" {
		return e.Decision.Label
	}
	return e.Kind.String()
}

// timeoutError reports an attempt or a ping that ran out of time.
type timeoutError struct{ what string }

func (e timeoutError) Error() string { return e.what + " timed out" }
func (e timeoutError) Timeout() bool { return true }

var (
	errClosed    = fmt.Errorf("%w", net.ErrClosed) // its own value, the same text
	errReconnect = errors.New("reconnect: Reconnect called")
	errLinkDead  = fmt.Errorf("reconnect: connection ended: %w", net.ErrClosed)
)

// canceledError is the stop cause when the ctx given to Dial ends during
// the first connect.
type canceledError struct{ err error }

func (e *canceledError) Error() string { return e.err.Error() }
func (e *canceledError) Unwrap() error { return e.err }

// readLimitError is a message over Options.ReadLimit; coder/websocket
// closed the connection with 1009, and websocket.CloseStatus reports it.
type readLimitError struct {
	limit int64
	err   error
}

func (e *readLimitError) Error() string {
	return fmt.Sprintf("reconnect: message over Options.ReadLimit (%d bytes): %v", e.limit, e.err)
}

func (e *readLimitError) Unwrap() []error {
	return []error{websocket.CloseError{Code: websocket.StatusMessageTooBig, Reason: "message over ReadLimit"}, e.err}
}

// violationError is a read that coder/websocket failed with 1002: the
// server broke the protocol. It wraps the 1002 as a CloseError, so that
// websocket.CloseStatus tells the application how the connection ended.
type violationError struct{ err error }

func (e *violationError) Error() string { return e.err.Error() }
func (e *violationError) Unwrap() []error {
	return []error{policy.ErrProtocolViolation, errClientSent1002, e.err}
}

var errClientSent1002 = websocket.CloseError{Code: websocket.StatusProtocolError, Reason: "protocol violation"}
