package main

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// logLine is one lifecycle event as a JSON object (-log json). Every field
// is always present, so a consumer can rely on the names: zero values mean
// "does not apply to this event".
type logLine struct {
	Time       string `json:"time"`   // RFC 3339, nanoseconds
	Client     string `json:"client"` // -name, or the showcase member
	Event      string `json:"event"`  // attempt, attempt_done, connected, disconnected, waiting, gave_up, closed
	Generation uint64 `json:"generation"`
	Attempt    int    `json:"attempt"`  // attempt number within the outage
	Code       int    `json:"code"`     // close code behind the decision (1006 for a lost connection)
	Reason     string `json:"reason"`   // the close reason, when a close frame had one
	Category   string `json:"category"` // terminal, retryable, application-defined
	Decision   string `json:"decision"` // retry or stop
	Label      string `json:"label"`    // low-cardinality cause: close_1012, handshake_503, dial_refused...
	Status     int    `json:"status"`   // HTTP status of the handshake (101 on success)
	DelayMS    int64  `json:"delay_ms"` // the wait before the next attempt (waiting)
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error"`
}

// jsonLogger writes one JSON object per event, one per line.
type jsonLogger struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newJSONLogger(w io.Writer) *jsonLogger {
	return &jsonLogger{enc: json.NewEncoder(w)}
}

// observer returns the Observer for one client's Conn.
func (l *jsonLogger) observer(client string) reconnect.Observer {
	return reconnect.ObserverFunc(func(e reconnect.Event) {
		line := logLine{
			Time:       e.Time.UTC().Format(time.RFC3339Nano),
			Client:     client,
			Event:      e.Kind.String(),
			Generation: e.Generation,
			Attempt:    e.Attempt,
			Status:     e.Status,
			DelayMS:    e.Delay.Milliseconds(),
			DurationMS: e.Duration.Milliseconds(),
		}
		if hasDecision(e) {
			d := e.Decision
			line.Code, line.Category, line.Decision, line.Label = int(d.Code), d.Category.String(), d.Outcome.String(), d.Label
			if line.Status == 0 {
				line.Status = d.Status
			}
			line.Reason = closeReason(e.Err)
		}
		if e.Err != nil {
			line.Error = e.Err.Error()
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.enc.Encode(line) //nolint:errcheck // a log line that cannot be written is lost
	})
}

// hasDecision reports whether the event carries a classification.
func hasDecision(e reconnect.Event) bool {
	switch e.Kind {
	case reconnect.EventDisconnected, reconnect.EventWaiting, reconnect.EventGaveUp, reconnect.EventClosed:
		return true
	case reconnect.EventAttemptDone:
		return e.Err != nil
	}
	return false
}
