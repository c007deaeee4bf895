package reconnect

import (
	"log/slog"

	"github.com/wsreconnect/wsreconnect/policy"
)

// LogValue makes an Event read well in log/slog: slog.Info("websocket",
// "event", e) logs a group with the kind, the generation and only the
// fields that are set (attempt, status, duration, delay, rtt, target,
// endpoint, decision, err...). Time is left out: the log record has its
// own. Nothing secret is logged: Target and Err carry no URL userinfo or
// query values, and events hold no headers.
func (e Event) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs, slog.String("kind", e.Kind.String()), slog.Uint64("gen", e.Generation))
	attrs = appendInt(attrs, "attempt", e.Attempt)
	attrs = appendInt(attrs, "status", e.Status)
	if e.Duration != 0 {
		attrs = append(attrs, slog.Duration("duration", e.Duration))
	}
	if e.Delay != 0 {
		attrs = append(attrs, slog.Duration("delay", e.Delay))
	}
	if e.RTT != 0 {
		attrs = append(attrs, slog.Duration("rtt", e.RTT))
	}
	if e.Target != "" {
		attrs = append(attrs, slog.String("target", e.Target), slog.Int("endpoint", e.Endpoint))
	}
	if e.Decision != (policy.Decision{}) {
		attrs = append(attrs, slog.Any("decision", decisionValue(e.Decision)))
	}
	if e.Err != nil {
		attrs = append(attrs, slog.String("err", e.Err.Error()))
	}
	attrs = appendFlag(attrs, "rotation", e.Rotation)
	attrs = appendFlag(attrs, "refresh", e.Refresh)
	attrs = appendInt(attrs, "dropped", e.Dropped)
	return slog.GroupValue(attrs...)
}

// LogValue makes an *Error read well in log/slog: a group with the kind,
// the decision, the attempts and the error text (which holds no URL
// userinfo or query values). A nil *Error logs as "<nil>".
func (e *Error) LogValue() slog.Value {
	if e == nil {
		return slog.StringValue("<nil>")
	}
	attrs := []slog.Attr{slog.String("kind", e.Kind.String())}
	if e.Decision != (policy.Decision{}) {
		attrs = append(attrs, slog.Any("decision", decisionValue(e.Decision)))
	}
	attrs = appendInt(attrs, "attempts", e.Attempts)
	return slog.GroupValue(append(attrs, slog.String("msg", e.Error()))...)
}

// decisionValue is a policy.Decision as a group: outcome, label, category
// and the fields that are set.
func decisionValue(d policy.Decision) slog.Value {
	attrs := []slog.Attr{
		slog.String("outcome", d.Outcome.String()),
		slog.String("label", d.Label),
		slog.String("category", d.Category.String()),
	}
	attrs = appendInt(attrs, "code", int(d.Code))
	attrs = appendInt(attrs, "status", d.Status)
	if d.MinDelay != 0 {
		attrs = append(attrs, slog.Duration("min_delay", d.MinDelay))
	}
	if d.Spread != 0 {
		attrs = append(attrs, slog.Duration("spread", d.Spread))
	}
	if d.Location != "" {
		attrs = append(attrs, slog.String("location", d.Location))
	}
	attrs = appendFlag(attrs, "auth", d.Auth)
	return slog.GroupValue(attrs...)
}

func appendInt(attrs []slog.Attr, key string, v int) []slog.Attr {
	if v == 0 {
		return attrs
	}
	return append(attrs, slog.Int(key, v))
}

func appendFlag(attrs []slog.Attr, key string, v bool) []slog.Attr {
	if !v {
		return attrs
	}
	return append(attrs, slog.Bool(key, true))
}
