package envelope_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/codec/envelope"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// FuzzDecode: any frame either fails with nothing acked or delivered, or
// yields acks with ids >= 1 and delivers the frame itself at most once,
// always when it carries no ack.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"ack":1}`, `{"ack":[1,2]}`, `{"ack_upto":3}`, `{"nack":4,"reason":"x"}`,
		`{"ack":1,"text":"y"}`, `{"text":"ack"}`, `{"ack":-1}`, `[]`, ``, `{"ack":1e3}`, `{"nack":2,"reason":null}`} {
		f.Add([]byte(s), true)
	}
	f.Add([]byte(`{"ack":1}`), false)
	c := envelope.New(envelope.Settings{})
	f.Fuzz(func(t *testing.T, data []byte, isText bool) {
		typ := websocket.MessageBinary
		if isText {
			typ = websocket.MessageText
		}
		in := reconnect.Message{Type: typ, Data: bytes.Clone(data)}
		var acks []reconnect.Ack
		var delivered []reconnect.Message
		err := c.Decode(in, func(a reconnect.Ack) { acks = append(acks, a) },
			func(m reconnect.Message) { delivered = append(delivered, m) })
		if err != nil {
			if len(acks) != 0 || len(delivered) != 0 {
				t.Fatalf("Decode(%q) failed (%v) but acked %v and delivered %d", data, err, acks, len(delivered))
			}
			return
		}
		for _, a := range acks {
			if a.ID == 0 {
				t.Fatalf("Decode(%q) acked id 0", data)
			}
		}
		if len(delivered) > 1 || (len(acks) == 0 && len(delivered) != 1) {
			t.Fatalf("Decode(%q): %d acks, delivered %d times", data, len(acks), len(delivered))
		}
		if len(delivered) == 1 && !bytes.Equal(delivered[0].Data, data) {
			t.Fatalf("Decode(%q) delivered %q, want the frame unchanged", data, delivered[0].Data)
		}
	})
}

// FuzzEncode: whatever the application's message, Encode either refuses
// it or produces valid JSON that the server side reads back with the id.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, ` {"b":[1,2]} `, `[1]`, `"x"`, `{"id":1}`, `{"x":"\"id\""}`} {
		f.Add([]byte(s), uint64(1), false)
	}
	c := envelope.New(envelope.Settings{})
	f.Fuzz(func(t *testing.T, data []byte, id uint64, resend bool) {
		if id == 0 {
			id = 1
		}
		out, err := c.Encode(id, reconnect.Message{Type: websocket.MessageText, Data: data}, resend)
		if err != nil {
			return
		}
		if !json.Valid(out.Data) {
			t.Fatalf("Encode(%q) = %q: not valid JSON", data, out.Data)
		}
		got, err := envelope.Settings{}.Parse(out.Data)
		if err != nil || got.ID != id || got.Dup != resend {
			t.Fatalf("Parse(Encode(%q)) = %+v, %v; want id %d dup %v", data, got, err, id, resend)
		}
	})
}
