package conformance

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
)

// frameLimit bounds what the server reads from a client: the largest
// echo is 16 MiB.
const frameLimit = 32 << 20

// Peer is the server's end of one case's connection: it writes raw frames
// and reads the client's, answering the client's pings (the heartbeat) as
// it goes.
type Peer struct {
	conn  net.Conn
	r     *bufio.Reader
	w     *bufio.Writer
	trace []string
	done  bool // the client closed or the connection failed
	sent  bool // the server sent a close frame
}

// Send writes frames and flushes them in one go.
func (p *Peer) Send(frames ...[]byte) {
	for _, f := range frames {
		p.sent = p.sent || len(f) > 0 && f[0]&0x0f == wstest.OpClose
		p.w.Write(f)
	}
	p.w.Flush()
}

// SendChopped writes frames a few bytes at a time, each flushed, so that
// the client sees them in pieces.
func (p *Peer) SendChopped(chunk int, frames ...[]byte) {
	for _, f := range frames {
		p.sent = p.sent || len(f) > 0 && f[0]&0x0f == wstest.OpClose
	}
	b := bytes.Join(frames, nil)
	for len(b) > 0 {
		n := min(chunk, len(b))
		p.w.Write(b[:n])
		p.w.Flush()
		b = b[n:]
	}
}

// note adds what the client did to the trace.
func (p *Peer) note(s string) { p.trace = append(p.trace, s) }

// next returns the client's next frame other than a ping, answering pings
// with pongs. It notes the end of the connection and returns false then.
func (p *Peer) next() (wstest.ClientFrame, bool) {
	for !p.done {
		f, err := wstest.ReadFrame(p.r, frameLimit)
		switch {
		case err != nil:
			p.fail(err)
		case f.Opcode == wstest.OpPing:
			p.Send(wstest.Frame(wstest.OpPong, f.Payload))
		case !f.Masked:
			p.note("unmasked frame")
			p.done = true
		case f.Opcode == wstest.OpClose:
			p.noteClose(f.Payload)
			if !p.sent { // the client started the close handshake
				p.Send(wstest.Frame(wstest.OpClose, f.Payload))
			}
			p.done = true
		default:
			return f, true
		}
	}
	return wstest.ClientFrame{}, false
}

// awaitPing reads until the client pings, and answers it.
func (p *Peer) awaitPing() bool {
	for {
		f, err := wstest.ReadFrame(p.r, frameLimit)
		if err != nil {
			p.fail(err)
			return false
		}
		if f.Opcode == wstest.OpPing {
			p.Send(wstest.Frame(wstest.OpPong, f.Payload))
			return true
		}
		p.note(fmt.Sprintf("opcode %d", f.Opcode))
	}
}

// fail notes how the connection failed without a close frame.
func (p *Peer) fail(err error) {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		p.note("EOF")
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		p.note("timeout")
	default:
		p.note("error")
	}
	p.done = true
}

func (p *Peer) noteClose(payload []byte) {
	if len(payload) < 2 {
		p.note("close (empty)")
		return
	}
	p.note(fmt.Sprintf("close %d", binary.BigEndian.Uint16(payload)))
}

// ExpectEcho reads the client's next message and notes "echo" if it is op
// with data, "bad echo" if not.
func (p *Peer) ExpectEcho(op byte, data []byte) {
	gotOp, got, ok := p.message()
	if !ok {
		return
	}
	if gotOp != op || !bytes.Equal(got, data) {
		p.note(fmt.Sprintf("bad echo (opcode %d, %d bytes)", gotOp, len(got)))
		return
	}
	p.note("echo")
}

// message reads one data message, joining its fragments.
func (p *Peer) message() (byte, []byte, bool) {
	f, ok := p.next()
	if !ok {
		return 0, nil, false
	}
	op, data := f.Opcode, f.Payload
	for !f.Fin {
		if f, ok = p.next(); !ok {
			return 0, nil, false
		}
		data = append(data, f.Payload...)
	}
	return op, data, true
}

// ExpectPong notes "pong" if the client's next frame is a pong with
// payload.
func (p *Peer) ExpectPong(payload []byte) {
	f, ok := p.next()
	switch {
	case !ok:
	case f.Opcode != wstest.OpPong:
		p.note(fmt.Sprintf("opcode %d", f.Opcode))
	case !bytes.Equal(f.Payload, payload):
		p.note("bad pong")
	default:
		p.note("pong")
	}
}

// ExpectClose reads until the client closes or the connection ends,
// noting any data frame on the way.
func (p *Peer) ExpectClose() {
	for {
		f, ok := p.next()
		if !ok {
			return
		}
		p.note(fmt.Sprintf("opcode %d", f.Opcode))
	}
}

// Finish ends a case that went well: a close 1000, then the client's
// answer.
func (p *Peer) Finish() {
	if p.done {
		return
	}
	p.Send(wstest.Frame(wstest.OpClose, wstest.ClosePayload(1000, "done")))
	p.ExpectClose()
}

// Trace is what the client did, in order.
func (p *Peer) Trace() string { return strings.Join(p.trace, ", ") }

// newPeer wraps a hijacked connection; every read and write is bounded by
// deadline.
func newPeer(conn net.Conn, brw *bufio.ReadWriter, deadline time.Duration) *Peer {
	conn.SetDeadline(time.Now().Add(deadline))
	return &Peer{conn: conn, r: brw.Reader, w: bufio.NewWriterSize(conn, 64<<10)}
}
