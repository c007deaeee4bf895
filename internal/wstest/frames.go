package wstest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// More opcodes, for RawFrame and ReadFrame.
const (
	OpContinuation = 0x0
	OpPong         = 0xA
)

// RSV bits for RawFrame.
const (
	RSV1 = 0x40
	RSV2 = 0x20
	RSV3 = 0x10
)

// RawFrame returns an unmasked server frame with any FIN, RSV bits
// (RSV1|RSV2|RSV3) and opcode, valid or not.
func RawFrame(fin bool, rsv, opcode byte, payload []byte) []byte {
	b := Frame(opcode, payload)
	b[0] = rsv&0x70 | opcode&0x0f
	if fin {
		b[0] |= 0x80
	}
	return b
}

// ClientFrame is a frame read from a client, unmasked.
type ClientFrame struct {
	Fin     bool
	RSV     byte // the RSV bits as in the first byte: RSV1|RSV2|RSV3
	Opcode  byte
	Masked  bool
	Payload []byte
}

// ReadFrame reads one frame from a client and unmasks it. It refuses a
// payload over limit bytes.
func ReadFrame(r *bufio.Reader, limit int64) (ClientFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return ClientFrame{}, fmt.Errorf("failed to read frame header: %w", err)
	}
	f := ClientFrame{Fin: h[0]&0x80 != 0, RSV: h[0] & 0x70, Opcode: h[0] & 0x0f, Masked: h[1]&0x80 != 0}
	n := int64(h[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return f, fmt.Errorf("failed to read frame length: %w", err)
		}
		n = int64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return f, fmt.Errorf("failed to read frame length: %w", err)
		}
		n = int64(binary.BigEndian.Uint64(ext[:]) & (1<<63 - 1))
	}
	if n > limit {
		return f, fmt.Errorf("failed to read frame: payload of %d bytes is over %d", n, limit)
	}
	var mask [4]byte
	if f.Masked {
		if _, err := io.ReadFull(r, mask[:]); err != nil {
			return f, fmt.Errorf("failed to read frame mask: %w", err)
		}
	}
	f.Payload = make([]byte, n)
	if _, err := io.ReadFull(r, f.Payload); err != nil {
		return f, fmt.Errorf("failed to read frame payload: %w", err)
	}
	if f.Masked {
		unmask(f.Payload, mask)
	}
	return f, nil
}

// unmask XORs p with the mask, eight bytes at a time: a 16 MiB payload
// byte by byte is slow under the race detector.
func unmask(p []byte, mask [4]byte) {
	m := uint64(binary.LittleEndian.Uint32(mask[:]))
	m |= m << 32
	i := 0
	for ; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(p[i:])^m)
	}
	for ; i < len(p); i++ {
		p[i] ^= mask[i&3]
	}
}
