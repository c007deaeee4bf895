package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Errors Encode and Decode return.
var (
	// ErrNotObject: the message is not a JSON object and Settings.Wrap is "".
	ErrNotObject = errors.New("envelope: message is not a JSON object")
	// ErrInvalid: the message is not valid JSON.
	ErrInvalid = errors.New("envelope: message is not valid JSON")
	// ErrFieldTaken: the application's object already has the id or dup field.
	ErrFieldTaken = errors.New("envelope: message already has the envelope's field")
	// ErrBadAck: an ack field holds something other than ids >= 1.
	ErrBadAck = errors.New("envelope: bad ack")
)

// Settings names the envelope's fields. The zero value uses the defaults;
// every empty field takes its default.
type Settings struct {
	ID      string // the tracked id on a sent message; default "id"
	Dup     string // set to true on a resend; default "dup"
	Ack     string // acknowledges one id or a list of ids; default "ack"
	AckUpto string // acknowledges every id up to it; default "ack_upto"
	Nack    string // refuses one id; default "nack"
	Reason  string // the reason of a nack; default "reason"
	// Wrap, when set, sends the message as the value of this field
	// ({"id":N,"<Wrap>":<message>}) so that any JSON value can be sent.
	// Default "": the id is added to the application's object.
	Wrap string

	Stream string // a push's stream name, for Position; default "stream"
	Offset string // a push's position in its stream; default "offset"
	Epoch  string // a push's stream epoch; default "epoch"
}

func (s Settings) withDefaults() Settings {
	def := func(f *string, d string) {
		if *f == "" {
			*f = d
		}
	}
	def(&s.ID, "id")
	def(&s.Dup, "dup")
	def(&s.Ack, "ack")
	def(&s.AckUpto, "ack_upto")
	def(&s.Nack, "nack")
	def(&s.Reason, "reason")
	def(&s.Stream, "stream")
	def(&s.Offset, "offset")
	def(&s.Epoch, "epoch")
	return s
}

// Codec is the envelope's reconnect.Codec. It holds no state and is safe
// for concurrent use by any number of Conns.
type Codec struct {
	s                   Settings
	idKey, dupKey       []byte // `"id":`, `"dup":true,`
	ackKeys             [][]byte
	wrapKey             []byte // `"data":` when wrapping
	ackOnly             map[string]bool
	quotedID, quotedDup []byte
}

// New returns a Codec with the given field names (zero fields: defaults).
func New(s Settings) *Codec {
	s = s.withDefaults()
	q := func(name string) []byte { b, _ := json.Marshal(name); return b }
	c := &Codec{s: s, quotedID: q(s.ID), quotedDup: q(s.Dup)}
	c.idKey = append(append([]byte(nil), c.quotedID...), ':')
	c.dupKey = append(append([]byte(nil), c.quotedDup...), ":true,"...)
	c.ackKeys = [][]byte{q(s.Ack), q(s.AckUpto), q(s.Nack)}
	if s.Wrap != "" {
		c.wrapKey = append(q(s.Wrap), ':')
	}
	c.ackOnly = map[string]bool{s.Ack: true, s.AckUpto: true, s.Nack: true, s.Reason: true}
	return c
}

// Settings returns the codec's field names, defaults filled in.
func (c *Codec) Settings() Settings { return c.s }

// Encode adds the id (and the dup mark on a resend) to a JSON object, or
// wraps the message when Settings.Wrap is set.
func (c *Codec) Encode(id uint64, m reconnect.Message, resend bool) (reconnect.Message, error) {
	n := len(m.Data) + len(c.idKey) + len(c.dupKey) + len(c.wrapKey) + 24
	return c.AppendEncode(make([]byte, 0, n), id, m, resend)
}

// AppendEncode is Encode appending to dst (reconnect.AppendEncoder): the
// Conn reuses its frame buffers.
func (c *Codec) AppendEncode(dst []byte, id uint64, m reconnect.Message, resend bool) (reconnect.Message, error) {
	body := bytes.TrimSpace(m.Data)
	if !json.Valid(body) {
		return m, ErrInvalid
	}
	out := append(dst, '{')
	out = append(out, c.idKey...)
	out = strconv.AppendUint(out, id, 10)
	out = append(out, ',')
	if resend {
		out = append(out, c.dupKey...)
	}
	if c.s.Wrap != "" {
		out = append(append(out, c.wrapKey...), body...)
		out = append(out, '}')
		return reconnect.Message{Type: websocket.MessageText, Data: out}, nil
	}
	if body[0] != '{' {
		return m, ErrNotObject
	}
	if err := c.checkFree(body); err != nil {
		return m, err
	}
	rest := bytes.TrimLeft(body[1:], " \t\r\n")
	if rest[0] == '}' { // an empty object: no comma after the envelope's fields
		out = out[:len(out)-1]
	}
	out = append(out, rest...)
	return reconnect.Message{Type: websocket.MessageText, Data: out}, nil
}

// checkFree fails when the object already has the id or dup field. The
// full parse runs only when a quoted name appears at all.
func (c *Codec) checkFree(obj []byte) error {
	if !bytes.Contains(obj, c.quotedID) && !bytes.Contains(obj, c.quotedDup) && !bytes.Contains(obj, []byte(`\u`)) {
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(obj, &fields); err != nil {
		return fmt.Errorf("failed to read the message's fields: %w", err)
	}
	for _, k := range []string{c.s.ID, c.s.Dup} {
		if _, ok := fields[k]; ok {
			return fmt.Errorf("%w: %q", ErrFieldTaken, k)
		}
	}
	return nil
}
