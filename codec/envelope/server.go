package envelope

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Sent is what a server reads from a tracked frame.
type Sent struct {
	ID   uint64          // the tracked id, >= 1
	Dup  bool            // a resend: the server may have seen this id before
	Body json.RawMessage // the whole frame, or the wrapped value with Settings.Wrap
}

// Parse reads a frame the client's Codec encoded, for a server.
func (s Settings) Parse(frame []byte) (Sent, error) {
	s = s.withDefaults()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(frame, &fields); err != nil {
		return Sent{}, fmt.Errorf("failed to parse the envelope: %w", err)
	}
	var out Sent
	raw, ok := fields[s.ID]
	if !ok {
		return Sent{}, fmt.Errorf("failed to parse the envelope: no %q field", s.ID)
	}
	id, err := oneID(raw)
	if err != nil {
		return Sent{}, fmt.Errorf("failed to parse the envelope's %q: %w", s.ID, err)
	}
	out.ID = id
	if d, ok := fields[s.Dup]; ok {
		if err := json.Unmarshal(d, &out.Dup); err != nil {
			return Sent{}, fmt.Errorf("failed to parse the envelope's %q: %w", s.Dup, err)
		}
	}
	out.Body = frame
	if s.Wrap != "" {
		out.Body = fields[s.Wrap]
	}
	return out, nil
}

// AckFrame returns the frame that acknowledges id.
func (s Settings) AckFrame(id uint64) []byte {
	return s.idFrame(s.withDefaults().Ack, id)
}

// AckUptoFrame returns the frame that acknowledges every id up to id.
func (s Settings) AckUptoFrame(id uint64) []byte {
	return s.idFrame(s.withDefaults().AckUpto, id)
}

// NackFrame returns the frame that refuses id, with a reason.
func (s Settings) NackFrame(id uint64, reason string) []byte {
	s = s.withDefaults()
	b, _ := json.Marshal(map[string]any{s.Nack: id, s.Reason: reason})
	return b
}

func (s Settings) idFrame(field string, id uint64) []byte {
	k, _ := json.Marshal(field)
	b := append([]byte{'{'}, k...)
	b = append(b, ':')
	b = strconv.AppendUint(b, id, 10)
	return append(b, '}')
}

// Position reads a push's stream position, for Options.Position: the
// Stream, Offset and Epoch fields of a JSON object. A message without a
// stream name or an offset >= 1 has none.
func (s Settings) Position(m reconnect.Message) (reconnect.Position, bool) {
	s = s.withDefaults()
	var fields map[string]json.RawMessage
	if json.Unmarshal(m.Data, &fields) != nil {
		return reconnect.Position{}, false
	}
	var p reconnect.Position
	if json.Unmarshal(fields[s.Stream], &p.Stream) != nil || p.Stream == "" {
		return reconnect.Position{}, false
	}
	if json.Unmarshal(fields[s.Offset], &p.Offset) != nil || p.Offset == 0 {
		return reconnect.Position{}, false
	}
	if e, ok := fields[s.Epoch]; ok && json.Unmarshal(e, &p.Epoch) != nil {
		return reconnect.Position{}, false
	}
	return p, true
}
