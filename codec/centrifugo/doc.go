// Package centrifugo is a reconnect.Codec for the Centrifugo JSON client
// protocol (Centrifugo v6, the centrifuge library's protocol): tracked
// sends are commands, acknowledged by the reply with the same id, and the
// channels' publications carry stream positions that resume across
// reconnects without a gap or a duplicate.
//
// Wire it with Codec.Apply, which sets Options.Codec, Options.Position and
// Options.OnConnect:
//
//	cc := centrifugo.New(centrifugo.Settings{Token: token, Channels: []string{"news"}})
//	o := &reconnect.Options{}
//	cc.Apply(o)
//	c, err := reconnect.Dial(ctx, "wss://example.com/connection/websocket", o)
//	r, err := c.Send(ctx, reconnect.Outgoing{Type: websocket.MessageText, Data: centrifugo.Publish("news", data)})
//
// # Tracked sends
//
// The message given to Send is a command without an id, such as
// {"publish":{"channel":"news","data":{...}}} (Publish builds one); Encode
// puts the tracked id in front. A reply with that id is the ack; an error
// reply is a nack whose reason is "<code> <message>" (103 permission
// denied). A reply with an empty result ({"publish":{}}) is consumed; one
// with content (an rpc's data) is also delivered. A resend is the same
// command again: Centrifugo has no duplicate mark, so a publication a
// resend repeats needs an id of its own inside data for the readers to
// drop it. Tracked ids must stay below 2^31 (the protocol's ids are
// 32-bit; the codec's own commands use the upper half).
//
// # Frames
//
// Decode splits the server's newline-batched frames into one message per
// reply or push. The server's ping, the empty message {}, is answered
// with {} and not delivered (the server disconnects a client that does
// not answer).
//
// # Positions and recovery
//
// OnConnect sends connect (with Settings.Token) and waits for its reply,
// then subscribes to Settings.Channels. A channel with a known position
// (Conn.Positions, seeded with Options.Positions or learned from an
// earlier connection) is subscribed with recover, offset and epoch; one
// without is subscribed without recover, which on Centrifugo would replay
// the whole history. The subscribe replies arrive through Decode:
//
//   - recovered: the missed publications in the reply are delivered in
//     order, as pushes, and the position moves on through them;
//   - not recovered, or a first subscribe: the reply is delivered with
//     the channel added ({"channel":"news","id":...,"subscribe":{...}}),
//     and its epoch and offset (the stream's top) become the position: a
//     jump in the same epoch is reported by the Conn as a gap, a new
//     epoch (a server restart with the memory engine) as a reset;
//   - an error (103, 112 unrecoverable position with Settings.RejectUnrecovered):
//     the reply is delivered with the channel added, and nothing else.
//
// Centrifugo puts the epoch on a publication only at offset 1, so the
// codec keeps each channel's epoch from its subscribe reply and Position
// uses it. A Codec holds that state: give every Conn its own.
package centrifugo
