package envelope_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/wsreconnect/wsreconnect/codec/envelope"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func text(s string) reconnect.Message {
	return reconnect.Message{Type: websocket.MessageText, Data: []byte(s)}
}

func TestEncode(t *testing.T) {
	custom := envelope.Settings{ID: "seq", Dup: "possible_duplicate"}
	for _, tc := range []struct {
		name     string
		settings envelope.Settings
		in       string
		id       uint64
		resend   bool
		want     string
		err      error
	}{
		{name: "object", in: `{"text":"hi"}`, id: 7, want: `{"id":7,"text":"hi"}`},
		{name: "resend marked", in: `{"text":"hi"}`, id: 7, resend: true, want: `{"id":7,"dup":true,"text":"hi"}`},
		{name: "empty object", in: `{}`, id: 1, want: `{"id":1}`},
		{name: "empty object resent", in: ` { } `, id: 1, resend: true, want: `{"id":1,"dup":true}`},
		{name: "leading space", in: "\n {\"a\":1}", id: 2, want: `{"id":2,"a":1}`},
		{name: "custom names", settings: custom, in: `{"a":1}`, id: 3, resend: true, want: `{"seq":3,"possible_duplicate":true,"a":1}`},
		{name: "wrapped array", settings: envelope.Settings{Wrap: "data"}, in: `[1,2]`, id: 4, want: `{"id":4,"data":[1,2]}`},
		{name: "wrapped object resent", settings: envelope.Settings{Wrap: "data"}, in: `{"id":9}`, id: 4, resend: true, want: `{"id":4,"dup":true,"data":{"id":9}}`},
		{name: "not an object", in: `[1,2]`, id: 1, err: envelope.ErrNotObject},
		{name: "string", in: `"hi"`, id: 1, err: envelope.ErrNotObject},
		{name: "invalid", in: `{"a":`, id: 1, err: envelope.ErrInvalid},
		{name: "empty", in: ``, id: 1, err: envelope.ErrInvalid},
		{name: "id taken", in: `{"id":5,"a":1}`, id: 1, err: envelope.ErrFieldTaken},
		{name: "dup taken", in: `{"dup":false}`, id: 1, err: envelope.ErrFieldTaken},
		{name: "id only as a value", in: `{"name":"id"}`, id: 1, want: `{"id":1,"name":"id"}`},
		{name: "nested id is fine", in: `{"user":{"id":5}}`, id: 1, want: `{"id":1,"user":{"id":5}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := envelope.New(tc.settings).Encode(tc.id, text(tc.in), tc.resend)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Encode(%q) error = %v, want %v", tc.in, err, tc.err)
			}
			if err != nil {
				return
			}
			if string(got.Data) != tc.want || got.Type != websocket.MessageText {
				t.Errorf("Encode(%q) = %s (%v), want %s", tc.in, got.Data, got.Type, tc.want)
			}
			if !json.Valid(got.Data) {
				t.Errorf("Encode(%q) = %s: not valid JSON", tc.in, got.Data)
			}
			dst := append(make([]byte, 0, 64), "kept"...)
			app, err := envelope.New(tc.settings).AppendEncode(dst, tc.id, text(tc.in), tc.resend)
			if err != nil || string(app.Data) != "kept"+tc.want || &app.Data[0] != &dst[0] {
				t.Errorf("AppendEncode(%q) = %s, %v; want kept%s in dst's storage", tc.in, app.Data, err, tc.want)
			}
		})
	}
}

// TestEncodeAllocations: Encode allocates its frame and nothing else;
// AppendEncode into a buffer with room allocates nothing.
func TestEncodeAllocations(t *testing.T) {
	c := envelope.New(envelope.Settings{})
	m := text(`{"text":"hello","n":1}`)
	if n := testing.AllocsPerRun(100, func() { c.Encode(7, m, true) }); n != 1 {
		t.Errorf("Encode: %v allocations, want 1", n)
	}
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { c.AppendEncode(buf, 7, m, true) }); n != 0 {
		t.Errorf("AppendEncode: %v allocations, want 0", n)
	}
}

// decoded is what one Decode call did.
type decoded struct {
	acks      []reconnect.Ack
	delivered []string
	err       error
}

func decode(c *envelope.Codec, m reconnect.Message) decoded {
	var d decoded
	d.err = c.Decode(m, func(a reconnect.Ack) { d.acks = append(d.acks, a) },
		func(m reconnect.Message) { d.delivered = append(d.delivered, string(m.Data)) })
	return d
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings envelope.Settings
		in       reconnect.Message
		acks     []reconnect.Ack
		deliver  bool
		err      error
	}{
		{name: "ack", in: text(`{"ack":7}`), acks: []reconnect.Ack{{ID: 7}}},
		{name: "ack list", in: text(`{"ack":[3,4]}`), acks: []reconnect.Ack{{ID: 3}, {ID: 4}}},
		{name: "cumulative", in: text(`{"ack_upto":9}`), acks: []reconnect.Ack{{ID: 9, Upto: true}}},
		{name: "nack", in: text(`{"nack":5,"reason":"too long"}`), acks: []reconnect.Ack{{ID: 5, Reject: true, Reason: "too long"}}},
		{name: "nack without reason", in: text(`{"nack":5}`), acks: []reconnect.Ack{{ID: 5, Reject: true}}},
		{name: "nack with an odd reason", in: text(`{"nack":5,"reason":{"code":3}}`), acks: []reconnect.Ack{{ID: 5, Reject: true, Reason: `{"code":3}`}}},
		{name: "piggy-backed ack", in: text(`{"ack":2,"text":"hi"}`), acks: []reconnect.Ack{{ID: 2}}, deliver: true},
		{name: "plain message", in: text(`{"text":"hi"}`), deliver: true},
		{name: "ack as a value only", in: text(`{"text":"ack"}`), deliver: true},
		{name: "not JSON", in: text(`"ack" said the server`), deliver: true},
		{name: "binary", in: reconnect.Message{Type: websocket.MessageBinary, Data: []byte(`{"ack":1}`)}, deliver: true},
		{name: "custom ack name", settings: envelope.Settings{Ack: "ok"}, in: text(`{"ok":4}`), acks: []reconnect.Ack{{ID: 4}}},
		{name: "default name unused when renamed", settings: envelope.Settings{Ack: "ok"}, in: text(`{"ack":4}`), deliver: true},
		{name: "id 0", in: text(`{"ack":0}`), err: envelope.ErrBadAck},
		{name: "negative id", in: text(`{"ack":-1}`), err: envelope.ErrBadAck},
		{name: "string id", in: text(`{"ack":"7"}`), err: envelope.ErrBadAck},
		{name: "fraction", in: text(`{"ack_upto":1.5}`), err: envelope.ErrBadAck},
		{name: "list with 0", in: text(`{"ack":[1,0]}`), err: envelope.ErrBadAck},
		{name: "bad nack with good ack", in: text(`{"ack":1,"nack":null}`), err: envelope.ErrBadAck},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decode(envelope.New(tc.settings), tc.in)
			if !errors.Is(d.err, tc.err) {
				t.Fatalf("Decode(%s) error = %v, want %v", tc.in.Data, d.err, tc.err)
			}
			if !slices.Equal(d.acks, tc.acks) {
				t.Errorf("Decode(%s) acks = %+v, want %+v", tc.in.Data, d.acks, tc.acks)
			}
			var want []string
			if tc.deliver {
				want = []string{string(tc.in.Data)}
			}
			if !slices.Equal(d.delivered, want) {
				t.Errorf("Decode(%s) delivered %q, want %q", tc.in.Data, d.delivered, want)
			}
		})
	}
}

// TestServerSide checks that a server reads what Encode wrote and that
// Decode reads what the server answers.
func TestServerSide(t *testing.T) {
	for _, s := range []envelope.Settings{{}, {ID: "n", Dup: "again", Ack: "ok", Nack: "no", Reason: "why"}, {Wrap: "payload"}} {
		c := envelope.New(s)
		for _, resend := range []bool{false, true} {
			frame, err := c.Encode(42, text(`{"text":"hi"}`), resend)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Parse(frame.Data)
			if err != nil || got.ID != 42 || got.Dup != resend {
				t.Errorf("%+v: Parse(%s) = %+v, %v; want id 42, dup %v", s, frame.Data, got, err, resend)
			}
			if s.Wrap != "" && string(got.Body) != `{"text":"hi"}` {
				t.Errorf("%+v: Parse(%s) body %s, want the wrapped object", s, frame.Data, got.Body)
			}
		}
		for _, tc := range []struct {
			frame []byte
			want  reconnect.Ack
		}{
			{s.AckFrame(3), reconnect.Ack{ID: 3}},
			{s.AckUptoFrame(8), reconnect.Ack{ID: 8, Upto: true}},
			{s.NackFrame(5, `say "no"`), reconnect.Ack{ID: 5, Reject: true, Reason: `say "no"`}},
		} {
			d := decode(c, text(string(tc.frame)))
			if d.err != nil || len(d.delivered) != 0 || !slices.Equal(d.acks, []reconnect.Ack{tc.want}) {
				t.Errorf("%+v: Decode(%s) = %+v, want only %+v", s, tc.frame, d, tc.want)
			}
		}
	}
	for _, bad := range []string{`{"text":"hi"}`, `{"id":0}`, `{"id":"1"}`, `[1]`, `{"id":1,"dup":"yes"}`} {
		if got, err := (envelope.Settings{}).Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%s) = %+v, want an error", bad, got)
		}
	}
}

func TestPosition(t *testing.T) {
	s := envelope.Settings{}
	for _, tc := range []struct {
		name string
		in   string
		want reconnect.Position
		ok   bool
	}{
		{"full", `{"stream":"a","offset":3,"epoch":"e1","text":"x"}`, reconnect.Position{Stream: "a", Offset: 3, Epoch: "e1"}, true},
		{"no epoch", `{"stream":"a","offset":3}`, reconnect.Position{Stream: "a", Offset: 3}, true},
		{"no stream", `{"offset":3}`, reconnect.Position{}, false},
		{"offset 0", `{"stream":"a","offset":0}`, reconnect.Position{}, false},
		{"bad offset", `{"stream":"a","offset":"3"}`, reconnect.Position{}, false},
		{"bad epoch", `{"stream":"a","offset":3,"epoch":7}`, reconnect.Position{}, false},
		{"an ack", `{"ack":3}`, reconnect.Position{}, false},
		{"not JSON", `x`, reconnect.Position{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := s.Position(text(tc.in))
			if got != tc.want || ok != tc.ok {
				t.Errorf("Position(%s) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
