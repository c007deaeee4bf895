package centrifugo_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/wsreconnect/wsreconnect/codec/centrifugo"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func text(s string) reconnect.Message {
	return reconnect.Message{Type: websocket.MessageText, Data: []byte(s)}
}

func TestEncode(t *testing.T) {
	c := centrifugo.New(centrifugo.Settings{})
	for _, tc := range []struct {
		name string
		in   string
		id   uint64
		want string
		err  error
	}{
		{name: "publish", in: string(centrifugo.Publish("news", []byte(`{"n":1}`))), id: 3, want: `{"id":3,"publish":{"channel":"news","data":{"n":1}}}`},
		{name: "resend is the same", in: `{"rpc":{"method":"m"}}`, id: 9, want: `{"id":9,"rpc":{"method":"m"}}`},
		{name: "has an id", in: `{"id":1,"publish":{}}`, id: 3, err: centrifugo.ErrNotCommand},
		{name: "escaped id", in: `{"\u0069d":1}`, id: 3, err: centrifugo.ErrNotCommand},
		{name: "not an object", in: `[1]`, id: 3, err: centrifugo.ErrNotCommand},
		{name: "invalid", in: `{"publish":`, id: 3, err: centrifugo.ErrNotCommand},
		{name: "id in the codec's range", in: `{"publish":{}}`, id: 1 << 31, err: centrifugo.ErrIDRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Encode(tc.id, text(tc.in), tc.name == "resend is the same")
			if !errors.Is(err, tc.err) {
				t.Fatalf("Encode(%s) error = %v, want %v", tc.in, err, tc.err)
			}
			if err == nil && string(got.Data) != tc.want {
				t.Errorf("Encode(%s) = %s, want %s", tc.in, got.Data, tc.want)
			}
		})
	}
}

type decoded struct {
	acks      []reconnect.Ack
	delivered []string
	err       error
}

func decode(c *centrifugo.Codec, m reconnect.Message) decoded {
	var d decoded
	d.err = c.Decode(m, func(a reconnect.Ack) { d.acks = append(d.acks, a) },
		func(m reconnect.Message) { d.delivered = append(d.delivered, string(m.Data)) })
	return d
}

func TestDecode(t *testing.T) {
	push := `{"push":{"channel":"news","pub":{"data":{"n":2},"offset":2}}}`
	for _, tc := range []struct {
		name    string
		in      string
		acks    []reconnect.Ack
		deliver []string
		err     bool
	}{
		{name: "publish ack", in: `{"id":3,"publish":{}}`, acks: []reconnect.Ack{{ID: 3}}},
		{name: "error is a nack", in: `{"id":4,"error":{"code":103,"message":"permission denied"}}`,
			acks: []reconnect.Ack{{ID: 4, Reject: true, Reason: "103 permission denied"}}},
		{name: "rpc reply delivered too", in: `{"id":5,"rpc":{"data":{"x":1}}}`, acks: []reconnect.Ack{{ID: 5}}, deliver: []string{`{"id":5,"rpc":{"data":{"x":1}}}`}},
		{name: "push", in: push, deliver: []string{push}},
		{name: "ping is not delivered", in: `{}`},
		{name: "batch", in: `{"id":3,"publish":{}}` + "\n" + push + "\n{}\n" + `{"id":6,"publish":{}}` + "\n",
			acks: []reconnect.Ack{{ID: 3}, {ID: 6}}, deliver: []string{push}},
		{name: "reply to an unknown own command", in: `{"id":2147483650,"subscribe":{}}`},
		{name: "bad line fails the frame", in: `{"id":3,"publish":{}}` + "\nnot json", err: true},
		{name: "empty frame", in: ``, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decode(centrifugo.New(centrifugo.Settings{}), text(tc.in))
			if (d.err != nil) != tc.err {
				t.Fatalf("Decode(%q) error = %v, want error %v", tc.in, d.err, tc.err)
			}
			if !slices.Equal(d.acks, tc.acks) || !slices.Equal(d.delivered, tc.deliver) {
				t.Errorf("Decode(%q) = acks %+v, delivered %q; want %+v, %q", tc.in, d.acks, d.delivered, tc.acks, tc.deliver)
			}
		})
	}
	bin := reconnect.Message{Type: websocket.MessageBinary, Data: []byte{1, 2}}
	if d := decode(centrifugo.New(centrifugo.Settings{}), bin); d.err != nil || len(d.delivered) != 1 {
		t.Errorf("Decode(binary) = %+v, want it delivered unchanged", d)
	}
}

func TestPosition(t *testing.T) {
	c := centrifugo.New(centrifugo.Settings{})
	for _, tc := range []struct {
		name string
		in   string
		want reconnect.Position
		ok   bool
	}{
		{"push with epoch", `{"push":{"channel":"a","pub":{"offset":1,"epoch":"E"}}}`, reconnect.Position{Stream: "a", Offset: 1, Epoch: "E"}, true},
		{"push without epoch, none known", `{"push":{"channel":"a","pub":{"offset":2}}}`, reconnect.Position{Stream: "a", Offset: 2}, true},
		{"join push", `{"push":{"channel":"a","join":{"info":{}}}}`, reconnect.Position{}, false},
		{"marked subscribe reply", `{"channel":"a","id":2147483649,"subscribe":{"epoch":"E","offset":7,"positioned":true}}`, reconnect.Position{Stream: "a", Offset: 7, Epoch: "E"}, true},
		{"reply not positioned", `{"channel":"a","id":2147483649,"subscribe":{}}`, reconnect.Position{}, false},
		{"an ack", `{"id":3,"publish":{}}`, reconnect.Position{}, false},
		{"garbage", `}{`, reconnect.Position{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := c.Position(text(tc.in))
			if got != tc.want || ok != tc.ok {
				t.Errorf("Position(%s) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
