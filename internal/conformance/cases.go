package conformance

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
)

// Case is one conformance case.
type Case struct {
	ID, Group, Desc string
	// Play is the server's side, on a connection just accepted.
	Play func(p *Peer)
	// Want is the trace of what the client does on this stack; RFC, when
	// set, the trace RFC 6455 asks for instead, and Why says why they differ.
	Want, RFC, Why string
	// NonStrict, when set, is a trace that Autobahn accepts as NON-STRICT:
	// the client failed the connection before it echoed what came first.
	NonStrict string
	// Decision is the policy's decision on how a reconnect.Conn's
	// connection ended, as "outcome label"; RawDecision, when set, the
	// decision on raw coder/websocket's error instead.
	Decision, RawDecision string
	// Big marks a message over the default 1 MiB read limit.
	Big bool
}

// Decisions the cases end in.
const (
	endNormal = "stop close_1000" // the server's close 1000 after a good case
	// violation is a Conn that found the server's frames broken and sent
	// 1002: terminal, as a server's own 1002.
	violation = "stop protocol_violation"
	// rawViolation is the same end through coder/websocket alone: its
	// error has no type to tell it from a drop.
	rawViolation = "retry close_1006"
)

// Traces.
const (
	echoed    = "echo, close 1000"
	protoFail = "close 1002"
)

// Frame shorthands.
var (
	frame = wstest.Frame
	raw   = wstest.RawFrame
)

func text(s string) []byte { return frame(wstest.OpText, []byte(s)) }

func closeFrame(code uint16, reason string) []byte {
	return frame(wstest.OpClose, wstest.ClosePayload(code, reason))
}

// Cases returns every case, in report order.
func Cases() []Case {
	var cs []Case
	cs = append(cs, echoCases()...)
	cs = append(cs, pingCases()...)
	cs = append(cs, rsvCases()...)
	cs = append(cs, opcodeCases()...)
	cs = append(cs, fragmentCases()...)
	cs = append(cs, utf8Cases()...)
	cs = append(cs, closeCases()...)
	return cs
}

// echo is a case whose frames carry one message (op, data) that the client
// must echo.
func echo(id, group, desc string, op byte, data []byte, frames ...[]byte) Case {
	if frames == nil {
		frames = [][]byte{frame(op, data)}
	}
	return Case{ID: id, Group: group, Desc: desc, Want: echoed, Decision: endNormal, Big: len(data) > 1<<20,
		Play: func(p *Peer) {
			p.Send(frames...)
			p.ExpectEcho(op, data)
			p.Finish()
		}}
}

// bad is a case whose frames break the protocol: the client must fail the
// connection with 1002.
func bad(id, group, desc string, frames ...[]byte) Case {
	return Case{ID: id, Group: group, Desc: desc, Want: protoFail, Decision: violation, RawDecision: rawViolation,
		Play: func(p *Peer) {
			p.Send(frames...)
			p.ExpectClose()
		}}
}

var sizes = []int{0, 125, 126, 127, 128, 65535, 65536, 16 << 20}

func echoCases() []Case {
	var cs []Case
	for i, n := range sizes {
		data := bytes.Repeat([]byte("BAsd7&jh23"), n/10+1)[:n]
		cs = append(cs, echo(fmt.Sprintf("1.1.%d", i+1), "1 framing", fmt.Sprintf("text, %s", size(n)), wstest.OpText, data))
	}
	for i, n := range sizes {
		data := bytes.Repeat([]byte{0xfe}, n)
		cs = append(cs, echo(fmt.Sprintf("1.2.%d", i+1), "1 framing", fmt.Sprintf("binary, %s", size(n)), wstest.OpBinary, data))
	}
	return cs
}

func size(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// pingPong is a case that sends frames and expects a pong for each
// payload, then an echo of after if set.
func pingPong(id, desc string, payloads [][]byte, after string, send func(p *Peer, frames ...[]byte), frames ...[]byte) Case {
	want := strings.TrimSuffix(strings.Repeat("pong, ", len(payloads)), ", ")
	if after != "" {
		want = strings.TrimPrefix(want+", echo", ", ")
	}
	return Case{ID: id, Group: "2 ping/pong", Desc: desc, Want: want + ", close 1000", Decision: endNormal,
		Play: func(p *Peer) {
			send(p, frames...)
			for _, pl := range payloads {
				p.ExpectPong(pl)
			}
			if after != "" {
				p.ExpectEcho(wstest.OpText, []byte(after))
			}
			p.Finish()
		}}
}

func pingCases() []Case {
	ping := func(b []byte) []byte { return frame(wstest.OpPing, b) }
	pong := func(b []byte) []byte { return frame(wstest.OpPong, b) }
	all := (*Peer).Send
	chopped := func(p *Peer, frames ...[]byte) { p.SendChopped(1, frames...) }
	bin := []byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}
	p125 := bytes.Repeat([]byte{0xfe}, 125)
	var ten [][]byte
	var tenPings [][]byte
	for i := range 10 {
		pl := []byte(fmt.Sprintf("payload-%d", i))
		ten, tenPings = append(ten, pl), append(tenPings, ping(pl))
	}
	return []Case{
		pingPong("2.1", "ping, no payload", [][]byte{nil}, "", all, ping(nil)),
		pingPong("2.2", "ping, text payload", [][]byte{[]byte("Hello, world!")}, "", all, ping([]byte("Hello, world!"))),
		pingPong("2.3", "ping, binary payload", [][]byte{bin}, "", all, ping(bin)),
		pingPong("2.4", "ping, 125-byte payload", [][]byte{p125}, "", all, ping(p125)),
		bad("2.5", "2 ping/pong", "ping, 126-byte payload", ping(bytes.Repeat([]byte{0xfe}, 126))),
		pingPong("2.6", "ping, 125-byte payload, sent a byte at a time", [][]byte{p125}, "", chopped, ping(p125)),
		pingPong("2.7", "unsolicited pong, no payload, then a message", nil, "after", all, pong(nil), text("after")),
		pingPong("2.8", "unsolicited pong with payload, then a message", nil, "after", all, pong([]byte("unsolicited")), text("after")),
		pingPong("2.9", "unsolicited pong, then a ping", [][]byte{[]byte("ping")}, "", all, pong([]byte("unsolicited")), ping([]byte("ping"))),
		pingPong("2.10", "10 pings in a row", ten, "", all, tenPings...),
		pingPong("2.11", "10 pings in a row, a byte at a time", ten, "", chopped, tenPings...),
	}
}

func rsvCases() []Case {
	g := "3 reserved bits"
	return []Case{
		bad("3.1", g, "text with RSV1", raw(true, wstest.RSV1, wstest.OpText, []byte("Hello"))),
		echoThenBad("3.2", g, "text, then text with RSV2, then ping", "Hello", text("Hello"),
			raw(true, wstest.RSV2, wstest.OpText, []byte("Hello")), frame(wstest.OpPing, nil)),
		bad("3.3", g, "text with RSV1|RSV2", raw(true, wstest.RSV1|wstest.RSV2, wstest.OpText, []byte("Hello"))),
		bad("3.4", g, "text with RSV3", raw(true, wstest.RSV3, wstest.OpText, []byte("Hello"))),
		bad("3.5", g, "binary with RSV1|RSV3", raw(true, wstest.RSV1|wstest.RSV3, wstest.OpBinary, []byte{0xff})),
		bad("3.6", g, "ping with RSV2|RSV3", raw(true, wstest.RSV2|wstest.RSV3, wstest.OpPing, []byte("Hello"))),
		bad("3.7", g, "close with RSV1|RSV2|RSV3", raw(true, wstest.RSV1|wstest.RSV2|wstest.RSV3, wstest.OpClose, wstest.ClosePayload(1000, ""))),
	}
}

// NonStrictWhy says why a reconnect.Conn path may be NON-STRICT.
const NonStrictWhy = "the Conn reads ahead of the application, so it can meet the violation " +
	"and fail the connection before the application has echoed the message that came first"

// echoThenBad is a bad case whose frames start with a good text message,
// first, that the client echoes before it fails; failing before the echo
// is NON-STRICT.
func echoThenBad(id, group, desc, first string, frames ...[]byte) Case {
	c := bad(id, group, desc)
	c.Want, c.NonStrict = "echo, "+protoFail, protoFail
	c.Play = func(p *Peer) {
		p.Send(frames...)
		p.ExpectEcho(wstest.OpText, []byte(first))
		p.ExpectClose()
	}
	return c
}
