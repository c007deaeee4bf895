package reconnect

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/coder/websocket"
)

// errCut ends a connection whose stream stopped without a close frame.
//
// coder/websocket (v1.8.15) takes an io.EOF met where a frame's payload or
// a continuation header should begin for the end of the message, and
// returns what it read so far with a nil error: an empty or truncated
// message. Any other error ends the read. A stream that ends without a
// close frame is a drop wherever it ends, so every such end is reported
// as errCut; the policy classifies it as 1006, as it does an EOF. It wraps
// neither io.EOF nor io.ErrUnexpectedEOF: coder takes the latter for the
// end of a compressed message.
var errCut = errors.New("reconnect: connection ended without a close frame")

// guardClient returns a copy of hc whose upgraded connections are wires:
// they report their end as errCut instead of io.EOF, count what arrives
// and note the close frame the client sends.
func guardClient(hc *http.Client) *http.Client {
	g := *hc
	g.Transport = cutGuard{base: hc.Transport}
	return &g
}

type cutGuard struct{ base http.RoundTripper }

func (g cutGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	base := g.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		return resp, err
	}
	if rwc, ok := resp.Body.(io.ReadWriteCloser); ok {
		w := &wire{ReadWriteCloser: rwc}
		resp.Body = w
		if tap, ok := r.Context().Value(tapKey{}).(*wireTap); ok {
			tap.w.Store(w)
		}
	}
	return resp, nil
}

// wireTap carries, in a dial's context, the wire its upgrade made.
type wireTap struct{ w atomic.Pointer[wire] }

type tapKey struct{}

// withTap returns ctx carrying a new tap.
func withTap(ctx context.Context) (context.Context, *wireTap) {
	t := new(wireTap)
	return context.WithValue(ctx, tapKey{}, t), t
}

// wire is the upgraded connection. It sits above TLS, so a TLS
// close_notify in the middle of a message is caught too.
//
// It counts the bytes that arrive, which the heartbeat takes for life: a
// pong queued behind a long message is no death while the message moves.
// It also reads the client's own frames as they go out, for the close
// code in the close frame it sends. coder/websocket fails a read whose
// frames break the protocol with an error of no particular type, after
// writing a 1002 close: that close frame, which nothing else in this
// package sends without killing the link first, is the typed signal.
// Reading the frames costs a few header bytes per frame and no
// allocation; coder serialises its writes, so the scanner needs no lock.
type wire struct {
	io.ReadWriteCloser
	rx   atomic.Uint64 // bytes read
	sent atomic.Uint32 // the code of the first close frame written, 0 if none

	out frameScan // written frames; only Write touches it
}

func (w *wire) Read(p []byte) (int, error) {
	n, err := w.ReadWriteCloser.Read(p)
	if n > 0 {
		w.rx.Add(uint64(n))
	}
	if errors.Is(err, io.EOF) {
		err = errCut
	}
	return n, err
}

func (w *wire) Write(p []byte) (int, error) {
	n, err := w.ReadWriteCloser.Write(p)
	if code := w.out.scan(p[:n]); code != 0 {
		w.sent.CompareAndSwap(0, uint32(code))
	}
	return n, err
}

// received returns the bytes read so far; 0 without a wire (a custom
// Dialer with its own HTTP client).
func (w *wire) received() uint64 {
	if w == nil {
		return 0
	}
	return w.rx.Load()
}

// sentClose returns the code of the close frame the client wrote, 0 if
// none or unknown (an empty close, no wire).
func (w *wire) sentClose() websocket.StatusCode {
	if w == nil {
		return 0
	}
	return websocket.StatusCode(w.sent.Load())
}

// frameScan follows a stream of client frames (masked, RFC 6455 5.2)
// across Writes.
type frameScan struct {
	hdr  [14]byte
	hn   int    // header bytes so far
	left uint64 // payload bytes still to come
	cl   bool   // the payload is a close frame's
	cn   int    // close code bytes so far
	code [2]byte
	mask [4]byte
}

// scan takes the next bytes written and returns the code of the first
// close frame whose code they complete, 0 otherwise.
func (s *frameScan) scan(p []byte) (code uint16) {
	for len(p) > 0 {
		if s.left == 0 {
			s.hdr[s.hn] = p[0]
			s.hn++
			p = p[1:]
			s.header()
			continue
		}
		k := min(s.left, uint64(len(p)))
		if s.cl && s.cn < 2 {
			k = 1
			s.code[s.cn] = p[0] ^ s.mask[s.cn]
			s.cn++
			if s.cn == 2 && code == 0 {
				code = binary.BigEndian.Uint16(s.code[:])
			}
		}
		s.left -= k
		p = p[k:]
		if s.left == 0 {
			s.hn = 0
		}
	}
	return code
}

// header completes a header once all its bytes are in: the payload
// follows, or the next frame if it has none.
func (s *frameScan) header() {
	if s.hn < 2 {
		return
	}
	n, need := uint64(s.hdr[1]&0x7f), 2
	switch n {
	case 126:
		need += 2
	case 127:
		need += 8
	}
	masked := s.hdr[1]&0x80 != 0
	if masked {
		need += 4
	}
	if s.hn < need {
		return
	}
	s.mask = [4]byte{}
	if masked {
		copy(s.mask[:], s.hdr[need-4:need])
	}
	switch n {
	case 126:
		n = uint64(binary.BigEndian.Uint16(s.hdr[2:]))
	case 127:
		n = binary.BigEndian.Uint64(s.hdr[2:])
	}
	s.left, s.cl, s.cn = n, s.hdr[0]&0x0f == 0x8, 0
	if n == 0 {
		s.hn = 0
	}
}
