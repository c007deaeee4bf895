package reconnect

import (
	"context"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
)

// Options configure a Conn. A nil *Options is valid and means the defaults;
// Dial copies the Options, so the caller may reuse or change them after.
// One rule holds for every number: zero means the default, and a negative
// value means none (no timeout, no limit, no wait, off), as each field
// says.
type Options struct {
	// DialOptions are passed to every dial attempt, cloned each time
	// (HTTPHeader and Subprotocols included), so a Dialer may change its
	// copy. Defaults to nil, websocket.Dial's defaults, except that without
	// an HTTPClient redirects are not followed: a 3xx answer fails the
	// attempt and the policy stops on it, with the target (minus userinfo
	// and query) in Decision.Location. Set HTTPClient to follow them.
	// Dial uses a copy of the HTTPClient whose Transport reports a
	// connection that ends inside a message as a drop: coder/websocket
	// would return the part it read as a whole message.
	DialOptions *websocket.DialOptions

	// Dialer dials one attempt. It has websocket.Dial's signature and is
	// the seam for fresh credentials on each attempt and for fault
	// injection. It runs on a goroutine of its own. A call that ignores
	// its ctx is abandoned when the attempt times out or the Conn closes,
	// and the connection it returns later is closed; the next call may
	// then start while it still runs, so a Dialer must be safe for
	// concurrent use. Defaults to websocket.Dial.
	Dialer func(ctx context.Context, url string, opts *websocket.DialOptions) (*websocket.Conn, *http.Response, error)

	// Endpoints are more URLs of the same service, after the one given to
	// Dial, in order of preference. An attempt that fails on one endpoint
	// moves to the next at once; the backoff wait comes after a full round
	// of them. A failure only one endpoint can have (a 404, 410 or 421
	// handshake, a redirect, a protocol mismatch, a name that does not
	// resolve, a bad certificate) passes it over for the rest of the
	// outage; a credential failure or a close that says stop ends the Conn
	// as with one URL. After a drop the Conn first retries the endpoint it
	// was on. Each must pass the checks the Dial URL does. Defaults to
	// none.
	Endpoints []string
	// ShuffleEndpoints shuffles the URL given to Dial and Endpoints once,
	// in Dial, so that a fleet does not all start on the first; the
	// shuffled first is then the preferred one. Defaults to false.
	ShuffleEndpoints bool
	// FailbackAfter, when positive, moves a Conn that is on an endpoint
	// other than the preferred one back to it once it has been there that
	// long, with a rotation (no gap), one attempt at a time: a failed one
	// keeps the connection and tries again after FailbackAfter. Defaults
	// to 0: off; negative is off too.
	FailbackAfter time.Duration

	// DialBudget, when set, is waited for before every attempt: share one
	// between Conns to keep a process under a server's limit on new
	// connections (a *rate.Limiter from golang.org/x/time/rate will do).
	// The wait is not part of DialTimeout and is no failure; EventAttempt
	// carries it as Delay. Defaults to nil: no budget.
	DialBudget Limiter
	// WritePacer, when set, is waited for before every message Write sends
	// and before each buffered message the Conn flushes after a
	// reconnect, for servers that limit messages per second: give each
	// Conn its own. OnConnect writes to ws directly; call
	// WritePacer.Wait there before each resubscribe. Write's ctx bounds
	// the wait, and Write returns its error. An error during the flush
	// ends that connection (label "write_pacer"); the messages stay
	// buffered for the next one. Defaults to nil.
	WritePacer Limiter

	// Target, when set, is called before every attempt, on the Dialer's
	// goroutine and within DialTimeout (one that ignores its ctx is
	// abandoned then, and may run concurrently with the next attempt's
	// call), and returns what to dial: the
	// place to put a fresh token in a header or the URL for each attempt,
	// with no state shared across attempts. a says which attempt it is and
	// why the last one ended. When the policy marks an end as a credential
	// failure (policy.Decision.Auth: a 401 or 403 handshake, or an
	// AppRules.AuthCodes close), the Conn skips the wait and calls Target
	// with a.Refresh set, once; if that attempt, or the connection it
	// makes before it stays up MinUptime, fails on its credential again,
	// the Conn stops (ErrCredentialRejected) instead of looping on a dead
	// one. Without Target a credential failure follows the policy's
	// outcome (stop, by default). An error fails the attempt and is
	// classified (backoff.Permanent stops). The secrets of what it returns
	// (URL userinfo and query, long header values) are removed from error
	// texts like those of the Dial URL. Defaults to nil.
	Target func(ctx context.Context, a Attempt) (Target, error)

	// Policy classifies every end and failed attempt and shapes the waits.
	// The zero value is policy.Default(). Policy.Now defaults to Clock.Now.
	Policy policy.Policy

	// DialTimeout bounds one attempt: the handshake and OnConnect.
	// Defaults to 10 s; negative means no bound but Close and the ctx
	// given to Dial.
	DialTimeout time.Duration

	// OnConnect runs on every new connection, after the handshake and
	// before the connection counts as up or any buffered message is sent:
	// the place to authenticate and resubscribe. It runs on the supervisor
	// goroutine and may read and write ws. Its ctx ends, and ws is closed,
	// when DialTimeout passes or the Conn closes, so an OnConnect blocked
	// on ws returns whatever ctx it uses; one blocked on anything else
	// holds up the Conn (not Close) until it returns. An error fails the
	// attempt and is classified like any other (return
	// backoff.Permanent(err) to stop for good). Defaults to nil.
	OnConnect func(ctx context.Context, ws *websocket.Conn) error

	// OnMessage, when set, receives every message on the connection's
	// reader goroutine as it is read: no hand-off to another goroutine,
	// the lowest latency the Conn offers. Read and ReadMessage then return
	// ErrHandlerMode. While OnMessage runs the connection is not read:
	// pongs, the server's pings and closes wait, and a slow OnMessage
	// backpressures the server. It gets the Conn, as an http.Handler gets
	// its ResponseWriter, because it may run before Dial has returned it;
	// it may call Write and every control of c. m.Data is the
	// application's to keep. Defaults to nil: messages go to the receive
	// buffer and Read.
	OnMessage func(c *Conn, m Message)

	// MinUptime is how long a connection must stay up before the backoff,
	// the attempt count and the outage clock start over. A server that
	// accepts and then closes at once climbs the backoff curve instead of
	// being hammered at the first delay. Defaults to 5 s; negative means
	// every connection counts as healthy.
	MinUptime time.Duration

	// PingInterval is the time between pings that check the peer is
	// alive. Pongs are only seen while the connection is read, so a ping
	// is skipped while the receive buffer is full or OnMessage runs: an
	// application that is slow would otherwise be taken for a dead peer.
	// Each wait is PingInterval less a random part of up to a tenth of it
	// (from Policy.Rand), so that Conns dialled together do not ping in
	// step; PingInterval is the longest gap. Defaults to 30 s; negative
	// disables the heartbeat.
	PingInterval time.Duration

	// PingTimeout is how long to wait for the pong. A missed pong ends the
	// connection as a 1006 abnormal closure, and it reconnects, unless
	// bytes arrived meanwhile (any inbound frame counts as life, a part
	// of a long message too) or the application held the reader up: then
	// the pong may be queued behind them, and the wait goes on for another
	// PingTimeout. Defaults to 10 s; negative means
	// no timeout: only a failed read or write ends a silent connection.
	PingTimeout time.Duration

	// MaxAge, when positive, rotates a connection (Rotate: make before
	// break, no gap) once it has been up for MaxAge, less a random part of
	// MaxAgeJitter of it, so that a fleet does not rotate in step and the
	// hour does not drift to the same time every day: for servers that cap
	// a connection's age (24 h) or rotate tokens. Defaults to 0: off;
	// negative is off too.
	MaxAge time.Duration
	// MaxAgeJitter is the fraction of MaxAge taken off at random, at most
	// 1. Defaults to 0.1; negative means none.
	MaxAgeJitter float64

	// MessageKey, when set, names a message (a sequence number, "symbol
	// seq"), so that a rotation drops the overlap's duplicates: a message
	// of the new connection is dropped if the old one delivered its key
	// since the rotation began. It checks the new connection's messages
	// until every such key was met, or as many unmatched messages as there
	// are keys plus 1,000 went by (keys it cannot name, ok false, are never
	// dropped; at most 65,536 keys are remembered). Without it a rotation
	// can deliver the same update from both connections; Message.Generation
	// tells them apart. It is a hook: it runs for every message, before
	// OnMessage or the receive buffer, on whichever goroutine reads the
	// connection (a Read's own, in the loop the package docs describe),
	// outside any lock, and must be fast. Defaults to nil.
	MessageKey func(m Message) (key string, ok bool)

	// StaleAfter, when positive, ends a connection that delivered no data
	// message for that long, between StaleAfter and 1.25 StaleAfter after
	// the last one: a feed whose data stopped while it still answers
	// pings. Pings, pongs and other control frames do not count; time the
	// application holds the reader up (a full receive buffer, a running
	// OnMessage) does not either. The end is labelled "stale", retryable,
	// and counts as a failure: the backoff starts over only if the
	// connection had delivered data for MinUptime before it went stale,
	// so a server that is always stale backs off. See also MarkStale.
	// Defaults to 0: off; negative is off too.
	StaleAfter time.Duration

	// ReadLimit is the largest message accepted, in bytes; a larger one
	// ends the connection as 1009, which stops by default (the server
	// would send it again), with an error naming this option. Defaults to
	// 1 MiB: room for the order-book snapshots of market-data feeds
	// (tens to hundreds of KiB), while a hostile server still cannot make
	// the client allocate much. Negative means no limit.
	ReadLimit int64

	// ReceiveMessages and ReceiveBytes bound the receive buffer, where
	// messages wait for Read. The connection is read while the
	// application is away, so closes, pings and drops are seen at once;
	// only when the buffer is full does the Conn stop reading, and then
	// pongs, the server's pings, its close and a dead peer go unseen until
	// Read makes room, and the server is backpressured. A message larger
	// than ReceiveBytes still goes into an empty buffer. Defaults to 1024
	// messages and 4 MiB; negative means no bound.
	ReceiveMessages int
	ReceiveBytes    int

	// SendMode is what Write does while there is no connection.
	// Defaults to SendBuffer.
	SendMode SendMode

	// BufferMessages and BufferBytes bound the send buffer in SendBuffer
	// mode. Defaults to 1024 messages and 1 MiB; negative means no bound.
	BufferMessages int
	BufferBytes    int

	// Codec frames tracked sends (Send) and finds their acks in incoming
	// messages. Defaults to nil: Send returns ErrNoCodec and every message
	// is delivered as it is read.
	Codec Codec
	// TrackMessages and TrackBytes bound the tracked sends not yet
	// resolved; when full, Send follows SendMode as Write does with a full
	// send buffer. Defaults to 1024 messages and 1 MiB; negative means no
	// bound.
	TrackMessages int
	TrackBytes    int
	// AckTimeout is how long a tracked message written on a live
	// connection may wait for its ack. When it passes, the connection is
	// taken for suspect and ends (label "ack_timeout", retryable), and the
	// message is resent on the next one. Defaults to 30 s; negative means
	// no timeout.
	AckTimeout time.Duration
	// Expiry is the default deadline of buffered writes and tracked
	// sends, counted from Write or Send. Defaults to 0: none; negative is
	// none too.
	Expiry time.Duration
	// Position, when set, names where a message stands in a server stream:
	// the Conn keeps the last position delivered per stream, drops a
	// message at or below it, and reports a jump (EventGap) or a new epoch
	// (EventReset). It runs on the reader's goroutine, must be fast, and
	// joins the hook contract (a panic ends the Conn, Hook "Position").
	// Defaults to nil.
	Position func(m Message) (Position, bool)
	// Positions seeds the last positions at Dial (copied), for a process
	// that resumes where an earlier one stopped. Defaults to none.
	Positions map[string]Position

	// Observer receives lifecycle events. Defaults to nil, none.
	Observer Observer

	// Clock is the time source. Defaults to SystemClock{}. It is a seam
	// for tests, not a hook: it is called under the Conn's locks and is
	// not contained, so it must not block, panic or call the Conn.
	Clock Clock
}

// SendMode is what Write does while the Conn has no connection.
type SendMode int

const (
	// SendBuffer queues the message in a bounded, ordered buffer that is
	// flushed after the next OnConnect. Write returns ErrBufferFull when the
	// buffer is full. Messages still queued when the Conn ends are handed
	// back by Undelivered.
	SendBuffer SendMode = iota
	// SendFail returns ErrNotConnected at once.
	SendFail
	// SendBlock waits until a connection is up, the Conn ends, ctx ends
	// or the message's deadline passes (ErrExpired, FateExpired for Send).
	SendBlock
)
