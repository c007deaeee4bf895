package conformance

import (
	"fmt"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
)

func opcodeCases() []Case {
	var cs []Case
	for i, op := range []byte{3, 4, 5, 6, 7} {
		cs = append(cs, bad(fmt.Sprintf("4.1.%d", i+1), "4 opcodes", fmt.Sprintf("reserved data opcode %d", op),
			frame(op, []byte("reserved"))))
	}
	for i, op := range []byte{0xb, 0xc, 0xd, 0xe, 0xf} {
		cs = append(cs, bad(fmt.Sprintf("4.2.%d", i+1), "4 opcodes", fmt.Sprintf("reserved control opcode %d", op),
			frame(op, []byte("reserved"))))
	}
	return append(cs, echoThenBad("4.3", "4 opcodes", "text, then reserved opcode 5, then ping", "Hello",
		text("Hello"), frame(5, nil), frame(wstest.OpPing, nil)))
}

func fragmentCases() []Case {
	g := "5 fragmentation"
	frag := func(fin bool, op byte, s string) []byte { return raw(fin, 0, op, []byte(s)) }
	const cont = wstest.OpContinuation
	return []Case{
		bad("5.1", g, "ping in 2 fragments", frag(false, wstest.OpPing, "frag1"), frag(true, cont, "frag2")),
		bad("5.2", g, "pong in 2 fragments", frag(false, wstest.OpPong, "frag1"), frag(true, cont, "frag2")),
		echo("5.3", g, "text in 2 fragments", wstest.OpText, []byte("fragment1fragment2"),
			frag(false, wstest.OpText, "fragment1"), frag(true, cont, "fragment2")),
		echo("5.4", g, "binary in 3 fragments, the first and last empty", wstest.OpBinary, []byte{1, 2, 3},
			raw(false, 0, wstest.OpBinary, nil), raw(false, 0, cont, []byte{1, 2, 3}), raw(true, 0, cont, nil)),
		pingBetween("5.6", "text in 2 fragments, a ping between", 1),
		pingBetween("5.19", "text in 5 fragments, 2 pings between", 2),
		bad("5.9", g, "continuation with FIN, nothing to continue", frag(true, cont, "non-continuation payload"), text("Hello")),
		bad("5.10", g, "continuation without FIN, nothing to continue", frag(false, cont, "non-continuation payload"), text("Hello")),
		echoThenBad("5.15", g, "text in 2 fragments, then a stray continuation", "fragment1fragment2",
			frag(false, wstest.OpText, "fragment1"), frag(true, cont, "fragment2"), frag(false, cont, "fragment3"), text("fragment4")),
		bad("5.18", g, "text fragment, then a new text frame", frag(false, wstest.OpText, "fragment1"), frag(true, wstest.OpText, "fragment2")),
	}
}

// pingBetween sends a text message in fragments with pings between them:
// the client must answer each ping at once and echo the whole message.
func pingBetween(id, desc string, pings int) Case {
	frames := [][]byte{raw(false, 0, wstest.OpText, []byte("fragment0"))}
	msg := "fragment0"
	var payloads [][]byte
	for i := range pings {
		pl := []byte(fmt.Sprintf("ping-%d", i))
		payloads = append(payloads, pl)
		frames = append(frames, frame(wstest.OpPing, pl), raw(i == pings-1, 0, wstest.OpContinuation, []byte(fmt.Sprintf("fragment%d", i+1))))
		msg += fmt.Sprintf("fragment%d", i+1)
	}
	c := pingPong(id, desc, payloads, msg, (*Peer).Send, frames...)
	c.Group = "5 fragmentation"
	return c
}

// Invalid UTF-8: RFC 6455 8.1 fails the connection with 1007;
// coder/websocket delivers the bytes as they came.
const utf8Why = "coder/websocket does not validate UTF-8 (its Autobahn run excludes 6.* and 7.5.1)"

func utf8Cases() []Case {
	g := "6 UTF-8"
	valid := "κόσμε"
	invalid := func(id, desc string, data []byte, frames ...[]byte) Case {
		c := echo(id, g, desc, wstest.OpText, data, frames...)
		c.RFC, c.Why = "close 1007", utf8Why
		return c
	}
	surrogate := []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited")
	return []Case{
		echo("6.1", g, "valid UTF-8", wstest.OpText, []byte(valid)),
		echo("6.2", g, "valid UTF-8, fragmented inside a code point", wstest.OpText, []byte(valid),
			raw(false, 0, wstest.OpText, []byte(valid)[:3]), raw(true, 0, wstest.OpContinuation, []byte(valid)[3:])),
		invalid("6.3", "invalid UTF-8: a surrogate", surrogate),
		invalid("6.4", "invalid UTF-8: a lone 0xff", []byte{0xff}),
		invalid("6.5", "invalid UTF-8 split over fragments", []byte("ab\xf4\x90\x80\x80cd"),
			raw(false, 0, wstest.OpText, []byte("ab\xf4\x90")), raw(true, 0, wstest.OpContinuation, []byte("\x80\x80cd"))),
	}
}

// closeBy is a case in which the server closes with payload and the
// client answers with trace want.
func closeBy(id, desc string, want, decision string, frames ...[]byte) Case {
	c := Case{ID: id, Group: "7 close", Desc: desc, Want: want, Decision: decision,
		Play: func(p *Peer) {
			p.Send(frames...)
			p.ExpectClose()
		}}
	if decision == violation {
		c.RawDecision = rawViolation
	}
	return c
}

func closeCases() []Case {
	reason123 := fmt.Sprintf("%0123d", 0)
	cs := []Case{
		echoThenClose("7.1.1", "text, then close 1000"),
		closeBy("7.1.2", "close 1000, then text after it", "close 1000", endNormal, closeFrame(1000, ""), text("after close")),
		closeBy("7.1.3", "close 1000, then ping after it", "close 1000", endNormal, closeFrame(1000, ""), frame(wstest.OpPing, nil)),
		closeBy("7.3.1", "close, empty payload", "close (empty)", "retry close_1005", frame(wstest.OpClose, nil)),
		closeBy("7.3.2", "close, 1-byte payload", protoFail, violation, frame(wstest.OpClose, []byte{0x03})),
		closeBy("7.3.3", "close 1000, no reason", "close 1000", endNormal, closeFrame(1000, "")),
		closeBy("7.3.4", "close 1000, short reason", "close 1000", endNormal, closeFrame(1000, "Hello World!")),
		closeBy("7.3.5", "close 1000, 123-byte reason", "close 1000", endNormal, closeFrame(1000, reason123)),
		closeBy("7.3.6", "close 1000, 124-byte reason (126-byte payload)", protoFail, violation, closeFrame(1000, reason123+"x")),
	}
	c := closeBy("7.5.1", "close 1000, invalid UTF-8 reason", "close 1000", endNormal, closeFrame(1000, "\xce\xba\xe1\xbd\xb9\xed\xa0\x80"))
	c.RFC, c.Why = "close 1007", utf8Why
	cs = append(cs, c)
	for i, code := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		cs = append(cs, closeBy(fmt.Sprintf("7.7.%d", i+1), fmt.Sprintf("close %d, valid", code),
			fmt.Sprintf("close %d", code), closeDecision(code), closeFrame(code, "")))
	}
	for i, code := range []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		cs = append(cs, closeBy(fmt.Sprintf("7.9.%d", i+1), fmt.Sprintf("close %d, invalid", code),
			protoFail, violation, closeFrame(code, "")))
	}
	return cs
}

// closeDecision is the default policy's decision on a valid close code.
func closeDecision(code uint16) string {
	switch {
	case code >= 3000:
		return "stop close_app"
	case code == 1000, code == 1002, code == 1003, code >= 1007 && code <= 1010:
		return fmt.Sprintf("stop close_%d", code)
	}
	return fmt.Sprintf("retry close_%d", code)
}

// echoThenClose echoes "Hello", then the server closes with 1000.
func echoThenClose(id, desc string) Case {
	c := echo(id, "7 close", desc, wstest.OpText, []byte("Hello"))
	c.Want = "echo, close 1000"
	return c
}
