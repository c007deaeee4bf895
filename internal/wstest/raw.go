package wstest

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Accept completes a WebSocket handshake by hand and returns the hijacked
// connection, so that the caller can write any bytes it likes.
func Accept(w http.ResponseWriter, r *http.Request) (net.Conn, *bufio.ReadWriter, error) {
	key := r.Header.Get("Sec-WebSocket-Key")
	if key == "" {
		http.Error(w, "not a websocket handshake", http.StatusBadRequest)
		return nil, nil, fmt.Errorf("failed to accept: no Sec-WebSocket-Key")
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, nil, fmt.Errorf("failed to hijack: %w", err)
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		base64.StdEncoding.EncodeToString(sum[:]))
	if err := brw.Flush(); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("failed to write handshake: %w", err)
	}
	return conn, brw, nil
}

// Frame returns an unmasked server frame with FIN set.
func Frame(opcode byte, payload []byte) []byte {
	b := []byte{0x80 | opcode}
	switch n := len(payload); {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xffff:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

// ClosePayload returns a close frame payload with any code and reason,
// valid or not.
func ClosePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// Opcodes used with Frame.
const (
	OpText   = 0x1
	OpBinary = 0x2
	OpClose  = 0x8
	OpPing   = 0x9
)

// RawClose accepts by hand and sends a close frame with any payload, valid
// or not, then waits for the client to hang up.
func RawClose(payload []byte) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, r *http.Request) {
		conn, brw, err := Accept(w, r)
		if err != nil {
			return
		}
		defer conn.Close()
		brw.Write(Frame(OpClose, payload))
		if brw.Flush() != nil {
			return
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		io.Copy(io.Discard, conn)
	}
}

// CloseWith is RawClose with a close code and reason.
func CloseWith(code uint16, reason string) func(int, http.ResponseWriter, *http.Request) {
	return RawClose(ClosePayload(code, reason))
}

// AcceptThenDrop completes the handshake and drops TCP at once, with no
// close frame: the accept-then-close flap.
func AcceptThenDrop(_ int, w http.ResponseWriter, r *http.Request) {
	if conn, _, err := Accept(w, r); err == nil {
		conn.Close()
	}
}
