package centrifugo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// reply is the part of a server message the codec reads. Centrifugo omits
// every zero field, so absent means 0, false or "".
type reply struct {
	ID        uint64          `json:"id"`
	Error     *Error          `json:"error"`
	Push      json.RawMessage `json:"push"`
	Subscribe *subscribed     `json:"subscribe"`
}

// Error is a Centrifugo error reply.
type Error struct {
	Code      uint32 `json:"code"`
	Message   string `json:"message"`
	Temporary bool   `json:"temporary"`
}

func (e *Error) Error() string { return strconv.FormatUint(uint64(e.Code), 10) + " " + e.Message }

type subscribed struct {
	Recoverable   bool              `json:"recoverable"`
	Epoch         string            `json:"epoch"`
	Offset        uint64            `json:"offset"`
	Positioned    bool              `json:"positioned"`
	Recovered     bool              `json:"recovered"`
	WasRecovering bool              `json:"was_recovering"`
	Publications  []json.RawMessage `json:"publications"`
}

// Decode splits a frame into its lines: pings are answered, replies to
// tracked ids ack or nack them, replies to the codec's subscribes deliver
// what was recovered, and pushes are delivered. A line that is not JSON
// fails the frame: nothing of it is acked or delivered by the codec, and
// the Conn delivers it whole.
func (c *Codec) Decode(frame reconnect.Message, ack func(reconnect.Ack), deliver func(reconnect.Message)) error {
	if frame.Type != websocket.MessageText {
		deliver(frame)
		return nil
	}
	lines := bytes.Split(bytes.TrimRight(frame.Data, "\n"), []byte{'\n'})
	parsed := make([]reply, len(lines))
	for i, l := range lines {
		if err := json.Unmarshal(l, &parsed[i]); err != nil {
			return fmt.Errorf("%w: line %d: %v", ErrBadFrame, i+1, err)
		}
	}
	for i, r := range parsed {
		c.line(bytes.TrimSpace(lines[i]), r, ack, deliver)
	}
	return nil
}

func (c *Codec) line(l []byte, r reply, ack func(reconnect.Ack), deliver func(reconnect.Message)) {
	text := func(p []byte) reconnect.Message { return reconnect.Message{Type: websocket.MessageText, Data: p} }
	switch {
	case bytes.Equal(l, []byte("{}")):
		c.pong()
	case r.ID == 0:
		deliver(text(l))
	case r.ID >= ownIDs:
		c.own(l, r, deliver)
	case r.Error != nil:
		ack(reconnect.Ack{ID: r.ID, Reject: true, Reason: r.Error.Error()})
	default:
		ack(reconnect.Ack{ID: r.ID})
		if !emptyResult(l) {
			deliver(text(l))
		}
	}
}

// emptyResult reports a reply whose only result is {}: {"id":N,"publish":{}}.
func emptyResult(l []byte) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(l, &fields) != nil {
		return false
	}
	for k, v := range fields {
		if k != "id" && !bytes.Equal(bytes.ReplaceAll(v, []byte(" "), nil), []byte("{}")) {
			return false
		}
	}
	return true
}

// own handles the reply to one of the codec's subscribes (connect's reply
// is read by OnConnect; a late one is dropped here).
func (c *Codec) own(l []byte, r reply, deliver func(reconnect.Message)) {
	c.mu.Lock()
	ch, ok := c.subs[r.ID]
	delete(c.subs, r.ID)
	if ok && r.Subscribe != nil && r.Subscribe.Epoch != "" {
		c.epochs[ch] = r.Subscribe.Epoch
	}
	c.mu.Unlock()
	if !ok {
		return
	}
	q, _ := json.Marshal(ch)
	if r.Subscribe != nil && r.Subscribe.Recovered {
		for _, p := range r.Subscribe.Publications {
			push := fmt.Appendf(nil, `{"push":{"channel":%s,"pub":%s}}`, q, p)
			deliver(reconnect.Message{Type: websocket.MessageText, Data: push})
		}
		return
	}
	deliver(reconnect.Message{Type: websocket.MessageText, Data: withField(l, "channel", q)})
}
