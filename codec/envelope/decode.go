package envelope

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Decode finds the acks in a frame. A frame whose fields are all ack
// fields is consumed; any other frame is delivered unchanged. A binary
// frame, or a text frame that names no ack field, is delivered without
// being parsed. On an error the frame is neither acked nor consumed: the
// Conn delivers it unchanged.
func (c *Codec) Decode(frame reconnect.Message, ack func(reconnect.Ack), deliver func(reconnect.Message)) error {
	if frame.Type != websocket.MessageText || !c.mayAck(frame.Data) {
		deliver(frame)
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(frame.Data, &fields); err != nil {
		deliver(frame) // not an object: not ours to judge
		return nil
	}
	acks, err := c.acks(fields)
	if err != nil {
		return err
	}
	for _, a := range acks {
		ack(a)
	}
	if len(acks) == 0 || !c.onlyAcks(fields) {
		deliver(frame)
	}
	return nil
}

func (c *Codec) mayAck(p []byte) bool {
	for _, k := range c.ackKeys {
		if bytes.Contains(p, k) {
			return true
		}
	}
	return false
}

func (c *Codec) onlyAcks(fields map[string]json.RawMessage) bool {
	for k := range fields {
		if !c.ackOnly[k] {
			return false
		}
	}
	return true
}

// acks reads the ack, ack_upto and nack fields; it fails on any that is
// not an id >= 1 (or, for ack, a list of them).
func (c *Codec) acks(fields map[string]json.RawMessage) ([]reconnect.Ack, error) {
	var out []reconnect.Ack
	if raw, ok := fields[c.s.Ack]; ok {
		ids, err := idList(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrBadAck, c.s.Ack, err)
		}
		for _, id := range ids {
			out = append(out, reconnect.Ack{ID: id})
		}
	}
	if raw, ok := fields[c.s.AckUpto]; ok {
		id, err := oneID(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrBadAck, c.s.AckUpto, err)
		}
		out = append(out, reconnect.Ack{ID: id, Upto: true})
	}
	if raw, ok := fields[c.s.Nack]; ok {
		id, err := oneID(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrBadAck, c.s.Nack, err)
		}
		var reason string
		if r, ok := fields[c.s.Reason]; ok && json.Unmarshal(r, &reason) != nil {
			reason = string(r) // not a string: keep what the server said
		}
		out = append(out, reconnect.Ack{ID: id, Reject: true, Reason: reason})
	}
	return out, nil
}

func oneID(raw json.RawMessage) (uint64, error) {
	var id uint64
	if err := json.Unmarshal(raw, &id); err != nil {
		return 0, err
	}
	if id == 0 {
		return 0, fmt.Errorf("id 0")
	}
	return id, nil
}

func idList(raw json.RawMessage) ([]uint64, error) {
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		var ids []uint64
		if err := json.Unmarshal(raw, &ids); err != nil {
			return nil, err
		}
		for _, id := range ids {
			if id == 0 {
				return nil, fmt.Errorf("id 0")
			}
		}
		return ids, nil
	}
	id, err := oneID(raw)
	return []uint64{id}, err
}
