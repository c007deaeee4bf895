package centrifugo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Errors the codec returns.
var (
	// ErrNotCommand: a tracked message is not a JSON object, or already
	// has an id.
	ErrNotCommand = errors.New("centrifugo: message is not a command without an id")
	// ErrIDRange: a tracked id is beyond the protocol's ids for commands.
	ErrIDRange = errors.New("centrifugo: tracked id out of range")
	// ErrBadFrame: a line of a frame is not a reply or a push.
	ErrBadFrame = errors.New("centrifugo: bad frame")
	// ErrConnect: the server refused the connect command.
	ErrConnect = errors.New("centrifugo: connect refused")
)

// ownIDs is where the codec's own commands (connect, subscribe) are
// numbered, above every tracked id.
const ownIDs = 1 << 31

// Settings says how to connect and what to subscribe to.
type Settings struct {
	// Token is the connection JWT sent with connect. Defaults to "" (for
	// a server that allows anonymous clients or authenticates by header).
	Token string
	// TokenFunc, when set, returns the token for each connect instead, so
	// that a fresh one is used on every reconnect; its ctx is OnConnect's.
	TokenFunc func(ctx context.Context) (string, error)
	// Name is the client name sent with connect. Defaults to "".
	Name string
	// Channels are subscribed to on every connection, in order. Defaults
	// to none.
	Channels []string
	// RejectUnrecovered asks the server to answer a subscribe whose
	// position cannot be recovered with error 112 instead of a live
	// subscription from the stream's top. Defaults to false.
	RejectUnrecovered bool
	// PongWithin bounds how long a pong may wait to be written. Defaults
	// to 5 s.
	PongWithin time.Duration
}

// Codec is the Centrifugo reconnect.Codec. One per Conn: it keeps the
// channels' epochs and the ids of its own commands.
type Codec struct {
	s       Settings
	nextID  atomic.Uint64 // the codec's own command ids, from ownIDs
	conn    atomic.Pointer[reconnect.Conn]
	ponging atomic.Bool

	mu     sync.Mutex
	subs   map[uint64]string // own subscribe id -> channel
	epochs map[string]string // channel -> epoch from its last subscribe reply
}

// New returns a Codec for one Conn.
func New(s Settings) *Codec {
	s.Channels = append([]string(nil), s.Channels...)
	c := &Codec{s: s, subs: map[uint64]string{}, epochs: map[string]string{}}
	c.nextID.Store(ownIDs)
	return c
}

// Apply sets o's Codec, Position and OnConnect to the codec's. An
// OnConnect already in o runs after the codec's (connected and subscribed).
func (c *Codec) Apply(o *reconnect.Options) {
	o.Codec = c
	o.Position = c.Position
	next := o.OnConnect
	o.OnConnect = func(ctx context.Context, ws *websocket.Conn) error {
		if err := c.OnConnect(ctx, ws); err != nil {
			return err
		}
		if next != nil {
			return next(ctx, ws)
		}
		return nil
	}
}

// Publish returns the publish command for data (raw JSON), for Send.
func Publish(channel string, data json.RawMessage) []byte {
	b, _ := json.Marshal(map[string]any{"publish": map[string]any{"channel": channel, "data": data}})
	return b
}

// Encode puts the tracked id in front of a command: {"id":N,...}.
func (c *Codec) Encode(id uint64, m reconnect.Message, _ bool) (reconnect.Message, error) {
	if id == 0 || id >= ownIDs {
		return m, fmt.Errorf("%w: %d", ErrIDRange, id)
	}
	body := bytes.TrimSpace(m.Data)
	if len(body) < 2 || body[0] != '{' || !json.Valid(body) {
		return m, ErrNotCommand
	}
	var probe struct {
		ID *json.RawMessage `json:"id"`
	}
	if bytes.Contains(body, []byte(`"id"`)) || bytes.Contains(body, []byte(`\u`)) {
		if json.Unmarshal(body, &probe) != nil || probe.ID != nil {
			return m, ErrNotCommand
		}
	}
	return reconnect.Message{Type: websocket.MessageText, Data: withField(body, "id", strconv.AppendUint(nil, id, 10))}, nil
}

// withField returns the object obj with "name":value first.
func withField(obj []byte, name string, value []byte) []byte {
	rest := bytes.TrimLeft(obj[1:], " \t\r\n")
	out := make([]byte, 0, len(obj)+len(name)+len(value)+8)
	out = append(out, '{')
	q, _ := json.Marshal(name)
	out = append(out, q...)
	out = append(out, ':')
	out = append(out, value...)
	if rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, rest...)
}
