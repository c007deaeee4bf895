package reconnect

import (
	"fmt"
	"time"

	"github.com/wsreconnect/wsreconnect/policy"
)

// Observer receives the lifecycle events of a Conn. OnEvent is called one
// event at a time and in order, never under a lock of the Conn and never on
// the Read or Write path: on the supervisor goroutine, except
// EventHeartbeat (on the heartbeat's timer goroutine) and the events of a
// rotation (on its goroutine). It may block and may call any method of the
// Conn, but while it blocks, the goroutine that sent the event waits, and
// so does the next event: keep it fast.
type Observer interface {
	OnEvent(Event)
}

// ObserverFunc adapts a func to an Observer.
type ObserverFunc func(Event)

// OnEvent calls f(e).
func (f ObserverFunc) OnEvent(e Event) { f(e) }

// EventKind says what happened.
type EventKind int

const (
	// EventAttempt: a dial attempt starts; Delay is the time it waited
	// for Options.DialBudget. Attempt counts from 1 since
	// Dial or since the last connection that stayed up for MinUptime (or
	// ResetBackoff), so after a short-lived connection it keeps rising:
	// that is the count Policy.MaxAttempts applies to.
	EventAttempt EventKind = iota
	// EventAttemptDone: an attempt ended. Err is nil on success; on failure
	// Decision classifies it. Status is the HTTP status (101 on success, 0
	// when no response came back); Duration covers dial and OnConnect.
	EventAttemptDone
	// EventConnected: the connection is up and OnConnect succeeded.
	// Duration is the time since the previous connection ended, or since
	// Dial for the first connection.
	EventConnected
	// EventDisconnected: an established connection ended. Decision
	// classifies why, Err is the cause, Duration the connection's uptime.
	EventDisconnected
	// EventWaiting: the Conn waits Delay before attempt number Attempt;
	// Decision is the reason.
	EventWaiting
	// EventGaveUp: a give-up limit (Policy.MaxAttempts, Policy.MaxOutage,
	// or a backoff that returned backoff.Stop) ended the Conn. Duration is
	// the outage so far.
	EventGaveUp
	// EventClosed: the Conn is finished; Err is its final error. Always the
	// last event.
	EventClosed
	// EventHeartbeat: a heartbeat ping got its pong; RTT is the round
	// trip. It never comes after its connection's EventDisconnected.
	EventHeartbeat
	// EventRotating: a rotation starts (Rotate, Options.MaxAge);
	// Generation is the connection it is to make. Its attempts follow with
	// Rotation set, then, on success, the old connection's
	// EventDisconnected (label "rotated") once it has delivered all it had
	// and closed, the new one's EventConnected (Rotation set) as it starts
	// delivering, and EventRotated.
	EventRotating
	// EventRotated: a rotation is over. Duration is its length from
	// EventRotating; Dropped counts the new connection's messages dropped
	// as duplicates of the old one's (Options.MessageKey). Err is set, and
	// nothing changed, if it was abandoned: a decision stopped it, or the
	// old connection ended first.
	EventRotated
	// EventGap: a message of stream Stream skipped positions
	// (Options.Position): From is the last delivered, To the one that
	// arrived. It comes on the goroutine that read the message.
	EventGap
	// EventReset: stream Stream changed epoch: From is the last delivered
	// position, To the first of the new epoch.
	EventReset
	// EventExpired: Dropped messages passed their deadline (Options.Expiry,
	// WriteUntil, Outgoing.Deadline) before they were written or acked.
	EventExpired
	// EventCodecError: Options.Codec could not decode a frame, which was
	// delivered unchanged; Err says why. It comes on the goroutine that
	// read the frame.
	EventCodecError
	// EventFate: tracked send ID got its Fate; Err is the receipt's Err.
	// It comes on the goroutine that settled it, before OnFate runs.
	EventFate
)

var eventNames = [...]string{"attempt", "attempt_done", "connected", "disconnected", "waiting", "gave_up", "closed", "heartbeat", "rotating", "rotated", "gap", "reset", "expired", "codec_error", "fate"}

// String returns a snake_case name: "attempt", "attempt_done", "connected",
// "disconnected", "waiting", "gave_up", "closed", "heartbeat", "rotating",
// "rotated", "gap", "reset", "expired", "codec_error" or "fate".
func (k EventKind) String() string {
	if k >= 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one lifecycle event. Which fields are set depends on Kind.
type Event struct {
	Kind EventKind
	// Time is when the event happened, on the Conn's Clock.
	Time time.Time
	// Generation numbers connections from 1: events about the n-th
	// connection, including the attempts and waits that lead to it, carry n.
	Generation uint64
	// Target is the URL of the endpoint the event is about, without
	// userinfo, query or fragment; Endpoint is its index (Attempt.Endpoint).
	Target   string
	Endpoint int
	Attempt  int
	Status   int
	Duration time.Duration
	Delay    time.Duration
	Decision policy.Decision
	// Err is the cause; URL secrets are removed from its text.
	Err error
	// RTT is the heartbeat's round trip, in EventHeartbeat.
	RTT time.Duration
	// Rotation marks the attempts, the waits between them and the
	// EventConnected of a rotation: the old connection is still up.
	Rotation bool
	// Dropped counts the duplicates a rotation dropped, in EventRotated;
	// the messages at or below their stream's last position
	// (Options.Position) dropped during the connection, in
	// EventDisconnected; the messages that expired, in EventExpired.
	Dropped int
	// Refresh marks an EventWaiting that skips the wait to fetch a fresh
	// credential, and the EventAttempt that follows (Attempt.Refresh).
	Refresh bool
	// Stream, From and To describe EventGap and EventReset.
	Stream   string
	From, To Position
	// ID and Fate describe EventFate.
	ID   uint64
	Fate Fate
}
