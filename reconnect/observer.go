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
	// EventConnected: the connection is up, OnConnect succeeded and the
	// state is Connected (a Write from the Observer goes to it).
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
	// or a backoff that returned backoff.Stop) ended the Conn. Limit says
	// which; Duration is the outage so far and Delay the wait that would
	// have come next.
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
	// nothing changed, if it was abandoned: a decision stopped it, the old
	// connection ended first, or the new one ended before the switch
	// (Decision then classifies that end, a 1011 as close_1011).
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
	// Kind says what happened, and so which fields are set.
	Kind EventKind
	// Time is when the event happened, on the Conn's Clock.
	Time time.Time
	// Generation numbers connections from 1: events about the n-th
	// connection, including the attempts and waits that lead to it, carry n.
	Generation uint64
	// Target is the URL of the endpoint the event is about, without
	// userinfo, query or fragment.
	Target string
	// Endpoint is the index of that endpoint (Attempt.Endpoint).
	Endpoint int
	// Attempt is the number of a dial attempt, counted as Policy.MaxAttempts
	// counts them: the one starting or ended (EventAttempt,
	// EventAttemptDone), the next one (EventWaiting), or how many were made
	// (EventConnected, EventGaveUp, EventClosed).
	Attempt int
	// Status is the HTTP status of an attempt's handshake, in
	// EventAttemptDone: 101 on success, 0 when no response came back.
	Status int
	// Duration is how long something took, as each EventKind says: an
	// attempt, the outage before a connection, a connection's uptime, the
	// outage before a give-up, a rotation.
	Duration time.Duration
	// Delay is the wait before the next attempt (EventWaiting), or the
	// time an attempt waited for Options.DialBudget (EventAttempt).
	Delay time.Duration
	// Decision is the policy's classification of a failed attempt or an
	// ended connection, and the reason for a wait, a give-up or the end;
	// the zero Decision where nothing was classified.
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
	// credential, the EventAttempt that follows (Attempt.Refresh), and the
	// EventDisconnected whose credential failure leads to them: the
	// Conn reconnects then, whatever Decision.Outcome says.
	Refresh bool
	// Limit names the limit that ended an outage, in EventGaveUp:
	// LimitMaxAttempts (Attempt reached Policy.MaxAttempts),
	// LimitMaxOutage (Duration, the outage so far, plus Delay, the next
	// wait, would pass Policy.MaxOutage) or LimitBackoff.
	Limit string
	// Stream names the stream of an EventGap or EventReset.
	Stream string
	// From and To are the positions of an EventGap or EventReset: the last
	// delivered, and the one that arrived.
	From, To Position
	// ID is the tracked send of an EventFate.
	ID uint64
	// Fate is the fate that send got, in EventFate.
	Fate Fate
}

// The limits that end an outage (Event.Limit, Error.Limit).
const (
	LimitMaxAttempts = "MaxAttempts"
	LimitMaxOutage   = "MaxOutage"
	// LimitBackoff: the backoff of Policy.NewBackoff returned Stop.
	LimitBackoff = "backoff"
)

// emit calls the Observer on the calling goroutine, outside any lock. A
// panicking Observer ends the Conn.
func (c *Conn) emit(e Event) { c.emitVia(e, c.callHook) }

// emitForeign is emit on a goroutine the gate does not count.
func (c *Conn) emitForeign(e Event) { c.emitVia(e, c.foreignHook) }

func (c *Conn) emitVia(e Event, run func(string, func()) *PanicError) {
	obs := c.opts.Observer
	if obs == nil {
		return
	}
	e.Time = c.now()
	if e.Target == "" {
		e.Target = c.target
	}
	call := func() {
		c.emitMu.Lock() // one event at a time, whichever goroutine it is from
		defer c.emitMu.Unlock()
		if c.closedEvents { // EventClosed is the last
			return
		}
		c.closedEvents = e.Kind == EventClosed
		obs.OnEvent(e)
	}
	if p := run("Observer", call); p != nil && e.Kind != EventClosed {
		c.fail(p)
	}
}

// emitFrom emits e from a goroutine the gate counts or not.
func (c *Conn) emitFrom(counted bool, e Event) {
	if counted {
		c.emit(e)
		return
	}
	c.gate.live.Add(1)
	defer c.gate.exitHook()
	c.emitForeign(e)
}
