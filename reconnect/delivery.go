package reconnect

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/coder/websocket"
)

// ErrNoCodec is returned by Send on a Conn without Options.Codec.
var ErrNoCodec = errors.New("reconnect: Send without Options.Codec")

// ErrExpired is the Err of a receipt whose deadline passed before an ack.
var ErrExpired = errors.New("reconnect: message expired")

// Fate is how a tracked send ended. Each send gets exactly one, exactly
// once.
type Fate int

const (
	// FatePending: not yet resolved.
	FatePending Fate = iota
	// FateAcked: the server acknowledged it.
	FateAcked
	// FateRejected: the server refused it (a nack).
	FateRejected
	// FateExpired: its deadline passed before an ack, sent or not.
	FateExpired
	// FateUnsent: the Conn ended before it was written.
	FateUnsent
	// FateUnconfirmed: it was written, the Conn ended, no ack came.
	FateUnconfirmed
)

var fateNames = [...]string{"pending", "acked", "rejected", "expired", "unsent", "unconfirmed"}

// String returns "pending", "acked", "rejected", "expired", "unsent" or
// "unconfirmed".
func (f Fate) String() string {
	if f >= 0 && int(f) < len(fateNames) {
		return fateNames[f]
	}
	return "Fate(" + strconv.Itoa(int(f)) + ")"
}

// Outgoing is a message for Send.
type Outgoing struct {
	Type websocket.MessageType
	Data []byte // copied by Send
	// Deadline is when the message expires if no ack came. Zero means
	// now + Options.Expiry (none if Expiry is none).
	Deadline time.Time
	// OnFate, when set, is called once when the fate is known, on a
	// goroutine of the Conn, outside its locks; it may call the Conn.
	OnFate func(*Receipt)
}

// Position is where a message stands in a server stream.
type Position struct {
	Stream string
	Offset uint64
	// Epoch is "" if the protocol has none; a change is a reset of the
	// stream.
	Epoch string
}

// Send writes m as a tracked message: the Codec gives it an id, and the
// Receipt resolves once with its fate. Without a connection it follows
// Options.SendMode as Write does; unacknowledged messages are resent after
// a reconnect. ctx bounds only the waits (SendBlock, other writers).
func (c *Conn) Send(ctx context.Context, m Outgoing) (*Receipt, error) {
	return nil, ErrNoCodec // implemented in the next commit
}

// WriteUntil is Write with an expiry for the buffered case: a message
// still in the send buffer at deadline is never flushed; Undelivered hands
// it back with Expired set. A zero deadline means none.
func (c *Conn) WriteUntil(ctx context.Context, deadline time.Time, typ websocket.MessageType, p []byte) error {
	return c.Write(ctx, typ, p)
}

// Positions returns a copy of the last delivered position per stream
// (Options.Position).
func (c *Conn) Positions() map[string]Position { return nil }

type connKey struct{}

// FromContext returns the Conn whose hook got ctx (OnConnect, Target,
// Dialer), so that a resubscribe can read Positions; nil for any other
// ctx.
func FromContext(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}
