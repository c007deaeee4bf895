package otelwrap

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/coder/websocket"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/wsreconnect/wsreconnect/internal/redact"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Attribute keys of this package. No semantic convention covers WebSocket
// yet, so these are this package's own and may change before 1.0.
const (
	// CloseCodeKey is the close code behind a decision (int): the code the
	// peer sent, 1006 for a drop without a valid close frame. Absent when
	// no close code applies, as for a refused dial.
	CloseCodeKey = attribute.Key("websocket.close.code")
	// CloseReasonKey is the reason of a received close frame (string),
	// sanitised and cut; only with WithCloseReason. Spans only.
	CloseReasonKey = attribute.Key("websocket.close.reason")
	// DisconnectCategoryKey is the policy category (string): "terminal",
	// "retryable" or "application-defined".
	DisconnectCategoryKey = attribute.Key("websocket.disconnect.category")
	// DisconnectOutcomeKey is what the policy decided (string): "retry" or
	// "stop", or "refresh" for a credential failure after which the Conn
	// reconnects at once with a fresh credential (Event.Refresh).
	DisconnectOutcomeKey = attribute.Key("websocket.disconnect.outcome")
	// DisconnectLabelKey is the policy's low-cardinality name for the cause
	// (string): "close_1012", "handshake_503", "dial_refused", "closed"...
	DisconnectLabelKey = attribute.Key("websocket.disconnect.label")
	// ReconnectAttemptKey is the number of a dial attempt (int, from 1),
	// counted as reconnect counts them: since the last connection that
	// stayed up for Options.MinUptime, or since Dial.
	ReconnectAttemptKey = attribute.Key("websocket.reconnect.attempt")
	// BackoffDelayKey is the wait before the next attempt, in seconds
	// (float64).
	BackoffDelayKey = attribute.Key("websocket.backoff.delay")
	// HandshakeStatusClassKey is the class of the handshake's HTTP status
	// (string): "1xx" to "5xx". Metrics only; spans carry the exact
	// http.response.status_code.
	HandshakeStatusClassKey = attribute.Key("websocket.handshake.status_class")
	// DialBudgetWaitKey is how long an attempt waited for the shared dial
	// budget (reconnect.Options.DialBudget), in seconds (float64), on
	// websocket.connect when it waited.
	DialBudgetWaitKey = attribute.Key("websocket.dial.budget_wait")
	// RotationDurationKey is a rotation's length, in seconds (float64), on
	// websocket.rotation.
	RotationDurationKey = attribute.Key("websocket.rotation.duration")
	// RotationDroppedKey counts the duplicates a rotation dropped (int),
	// on websocket.rotation.
	RotationDroppedKey = attribute.Key("websocket.rotation.dropped")
	// RotationOutcomeKey says how a rotation ended (string): "rotated" or
	// "abandoned", on websocket.client.rotations.
	RotationOutcomeKey = attribute.Key("websocket.rotation.outcome")
)

// targetAttrs returns the attributes of the dialed URL. reconnect already
// removes userinfo, query and fragment; this removes them again so that no
// Observer input can put a credential on a span.
func targetAttrs(target string) []attribute.KeyValue {
	u, err := url.Parse(target)
	if err != nil {
		return nil
	}
	full := redact.URL(u)
	if full == "" {
		return nil
	}
	attrs := []attribute.KeyValue{semconv.URLFull(full)}
	if u.Scheme != "" {
		attrs = append(attrs, semconv.URLScheme(u.Scheme))
	}
	if h := u.Hostname(); h != "" {
		attrs = append(attrs, semconv.ServerAddress(h))
	}
	if p := port(u); p > 0 {
		attrs = append(attrs, semconv.ServerPort(p))
	}
	return attrs
}

// port returns the explicit port of u, else the scheme's default.
func port(u *url.URL) int {
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	switch u.Scheme {
	case "ws", "http":
		return 80
	case "wss", "https":
		return 443
	}
	return 0
}

// decisionAttrs returns the bounded attributes of d: code, category and
// outcome.
func decisionAttrs(d policy.Decision) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 4)
	if d.Code != 0 {
		attrs = append(attrs, CloseCodeKey.Int(int(d.Code)))
	}
	return append(attrs,
		DisconnectCategoryKey.String(d.Category.String()),
		DisconnectOutcomeKey.String(d.Outcome.String()))
}

// endAttrs returns decisionAttrs(d) and d's label: why a connection
// ended or a wait began.
func endAttrs(d policy.Decision) []attribute.KeyValue {
	return append(decisionAttrs(d), DisconnectLabelKey.String(label(d)))
}

// outcomeRefresh is the outcome of a credential failure the Conn answers
// with a fresh credential: the policy's Stop does not happen.
const outcomeRefresh = "refresh"

// eventEndAttrs is endAttrs of e's decision, with the outcome "refresh"
// when e says the Conn refreshes its credential.
func eventEndAttrs(e reconnect.Event) []attribute.KeyValue {
	attrs := endAttrs(e.Decision)
	if e.Refresh {
		for i, kv := range attrs {
			if kv.Key == DisconnectOutcomeKey {
				attrs[i] = DisconnectOutcomeKey.String(outcomeRefresh)
			}
		}
	}
	return attrs
}

// label returns d's label, or "_OTHER" for a classifier that set none.
func label(d policy.Decision) string {
	if d.Label == "" {
		return semconv.ErrorTypeOther.Value.AsString()
	}
	return d.Label
}

// statusClass returns "1xx" to "5xx", or "" when there was no response.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return ""
	}
	return strconv.Itoa(status/100) + "xx"
}

// endType names why a Conn ended, from its final *reconnect.Error.
func endType(err error) string {
	var re *reconnect.Error
	if !errors.As(err, &re) {
		return semconv.ErrorTypeOther.Value.AsString()
	}
	switch re.Kind {
	case reconnect.KindGaveUp:
		return "gave_up"
	case reconnect.KindClosed:
		return reconnect.LabelClosed
	case reconnect.KindCanceled:
		return reconnect.LabelCanceled
	}
	return label(re.Decision)
}

// closeReason returns the reason of the close frame in err's chain.
func closeReason(err error) (string, bool) {
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Reason == "" {
		return "", false
	}
	return ce.Reason, true
}

// errorText returns err's message with the close reason it quotes
// replaced: by the sanitised reason with WithCloseReason, else by
// "[redacted]", so that the reason reaches no span unless asked for.
func (o *observer) errorText(err error) string {
	msg := err.Error()
	reason, ok := closeReason(err)
	if !ok {
		return msg
	}
	repl := "[redacted]"
	if o.reasonBytes > 0 {
		repl = fmt.Sprintf("%q", redact.Reason(reason, o.reasonBytes))
	}
	// coder/websocket prints the reason with %q.
	return strings.ReplaceAll(msg, fmt.Sprintf("%q", reason), repl)
}

// attemptAttrs are the attributes of an attempt's websocket.connect span.
func attemptAttrs(e reconnect.Event) []attribute.KeyValue {
	attrs := []attribute.KeyValue{ReconnectAttemptKey.Int(e.Attempt)}
	if e.Delay > 0 {
		attrs = append(attrs, DialBudgetWaitKey.Float64(e.Delay.Seconds()))
	}
	return attrs
}
