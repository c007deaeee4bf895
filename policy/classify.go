package policy

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/redact"
)

// DefaultClassifier is the built-in classification, documented in the
// package overview. It reads types only (close codes, HTTP status, error
// types), never error text. A custom Policy.Classifier may call it for the
// cases it does not handle.
func DefaultClassifier(p Policy, err error, resp *http.Response) Decision {
	p = p.WithDefaults() // the zero Policy classifies as Default() does
	switch {
	case errors.Is(err, context.Canceled):
		return Decision{Category: Terminal, Outcome: Stop, Label: LabelCanceled}
	case isPermanent(err):
		return Decision{Category: Terminal, Outcome: Stop, Label: LabelPermanent}
	case resp != nil && resp.StatusCode != http.StatusSwitchingProtocols:
		return p.classifyHandshake(resp)
	case resp != nil:
		// 101 and an error: bad Sec-WebSocket-Accept, subprotocol or
		// extension. The server is not speaking the protocol we asked for.
		return Decision{Category: Terminal, Outcome: Stop, Status: resp.StatusCode, Label: LabelHandshakeProtocol,
			EndpointOnly: true}
	}
	if errors.Is(err, ErrProtocolViolation) {
		// The client sent 1002 (its CloseError, if it carries one): a server that broke the protocol once
		// will break it again.
		return Decision{Category: Terminal, Outcome: Stop, Code: websocket.StatusProtocolError,
			Label: LabelProtocolViolation, Drop: true}
	}
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		d := p.classifyClose(ce.Code, ce.Reason)
		d.Drop = true
		return d
	}
	if errors.Is(err, websocket.ErrMessageTooBig) {
		// A message over our read limit: coder/websocket sent 1009.
		return p.classifyClose(websocket.StatusMessageTooBig, "")
	}
	return p.classifyNetwork(err)
}

// ErrProtocolViolation marks a connection the client failed with 1002
// because the server's frames broke the protocol. coder/websocket reports
// such a violation with an error that has no type to tell it from a drop;
// a client that can tell (reconnect does) wraps the error with it.
var ErrProtocolViolation = errors.New("policy: the server broke the WebSocket protocol")

func isPermanent(err error) bool {
	var pe *backoff.PermanentError
	return errors.As(err, &pe)
}

// classifyClose applies the close-code table of the package documentation.
func (p Policy) classifyClose(code websocket.StatusCode, reason string) Decision {
	d := Decision{Category: Retryable, Outcome: Retry, Code: code}
	switch code {
	case websocket.StatusNormalClosure:
		if !p.RetryNormalClosure {
			d.Category, d.Outcome = Terminal, Stop
		}
	case websocket.StatusGoingAway, websocket.StatusNoStatusRcvd,
		websocket.StatusAbnormalClosure, websocket.StatusInternalError,
		websocket.StatusBadGateway:
	case websocket.StatusServiceRestart:
		d.Spread = max(p.RestartSpread, 0)
	case websocket.StatusTryAgainLater:
		d.MinDelay = max(p.TryAgainLaterDelay, 0)
		d.Spread = p.floorSpread(d.MinDelay)
	case websocket.StatusProtocolError, websocket.StatusUnsupportedData,
		websocket.StatusInvalidFramePayloadData, websocket.StatusPolicyViolation,
		websocket.StatusMessageTooBig, websocket.StatusMandatoryExtension,
		websocket.StatusTLSHandshake:
		d.Category, d.Outcome = Terminal, Stop
	default:
		if isAppCode(code) {
			d := Decision{Category: AppDefined, Outcome: p.App.Decide(code, reason), Code: code, Label: LabelCloseApp,
				Auth: slices.Contains(p.App.AuthCodes, code)}
			if d.Retry() && slices.Contains(p.App.SpreadCodes, code) {
				d.Spread = max(p.RestartSpread, 0) // all clients got it at once, as with 1012
			}
			return d
		}
		// Not valid on the wire (0-999, 1004, 1016-2999, 5000+): coder/websocket
		// rejects it as a protocol error, so it is an abnormal closure.
		d.Code, d.Label = websocket.StatusAbnormalClosure, LabelCloseInvalid
		return d
	}
	d.Label = closeLabels[code-1000]
	return d
}

// classifyHandshake classifies a non-101 answer to the upgrade request.
func (p Policy) classifyHandshake(resp *http.Response) Decision {
	s := resp.StatusCode
	d := Decision{Category: Terminal, Outcome: Stop, Status: s, Label: handshakeLabel(s)}
	switch {
	case s == http.StatusRequestTimeout, s == http.StatusTooEarly,
		s == http.StatusTooManyRequests, s >= 500 && s <= 599:
		d.Category, d.Outcome = Retryable, Retry
		d.MinDelay = p.retryAfter(resp)
		d.Spread = p.floorSpread(d.MinDelay)
	case s >= 300 && s <= 399:
		// Another endpoint of the service may not redirect.
		d.Location, d.EndpointOnly = redact.Location(resp), true
	case s == http.StatusNotFound, s == http.StatusGone, s == http.StatusMisdirectedRequest:
		d.EndpointOnly = true
	case s == http.StatusUnauthorized, s == http.StatusForbidden:
		d.Auth = true
	}
	return d
}

// floorSpread is the random extra wait over a server-imposed floor.
func (p Policy) floorSpread(floor time.Duration) time.Duration {
	if floor <= 0 || p.FloorJitter <= 0 {
		return 0
	}
	return time.Duration(p.FloorJitter * float64(floor))
}
