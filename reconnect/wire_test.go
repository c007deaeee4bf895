package reconnect_test

import (
	"encoding/binary"
	"testing"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// clientFrame is a client frame with FIN, masked with mask (unmasked if
// it is nil).
func clientFrame(op byte, payload []byte, mask []byte) []byte {
	b := []byte{0x80 | op, 0}
	switch n := len(payload); {
	case n < 126:
		b[1] = byte(n)
	case n <= 0xffff:
		b[1] = 126
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b[1] = 127
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if mask == nil {
		return append(b, payload...)
	}
	b[1] |= 0x80
	b = append(b, mask...)
	for i, c := range payload {
		b = append(b, c^mask[i%4])
	}
	return b
}

// TestWireFindsTheClientsCloseCode checks the scanner of the client's
// frames on any split of the stream into Writes.
func TestWireFindsTheClientsCloseCode(t *testing.T) {
	mask := []byte{0xa1, 0xb2, 0xc3, 0xd4}
	closeWith := func(code uint16, reason string) []byte {
		return clientFrame(0x8, append(binary.BigEndian.AppendUint16(nil, code), reason...), mask)
	}
	cat := func(frames ...[]byte) (b []byte) {
		for _, f := range frames {
			b = append(b, f...)
		}
		return b
	}
	tests := []struct {
		name   string
		stream []byte
		want   uint16
	}{
		{"close 1002", closeWith(1002, "received unknown opcode"), 1002},
		{"close 1000", closeWith(1000, ""), 1000},
		{"empty close", clientFrame(0x8, nil, mask), 0},
		{"unmasked close", clientFrame(0x8, []byte{0x03, 0xea}, nil), 1002},
		{"after a ping, a pong and text", cat(clientFrame(0x9, []byte("p"), mask), clientFrame(0xa, nil, mask),
			clientFrame(0x1, []byte("hello"), mask), closeWith(1002, "")), 1002},
		{"after 126 bytes", cat(clientFrame(0x2, make([]byte, 126), mask), closeWith(1002, "x")), 1002},
		{"after 64 KiB", cat(clientFrame(0x2, make([]byte, 1<<16), mask), closeWith(1002, "x")), 1002},
		{"a data payload shaped like a close", clientFrame(0x2, closeWith(1002, ""), mask), 0},
		{"the first close counts", cat(closeWith(1009, ""), closeWith(1002, "")), 1009},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := reconnect.ScanClose(tt.stream); got != tt.want {
				t.Fatalf("one Write: close %d, want %d", got, tt.want)
			}
			for cut := range len(tt.stream) {
				if cut > 300 && cut < len(tt.stream)-300 {
					continue // the middle of a long payload is all alike
				}
				if got := reconnect.ScanClose(tt.stream[:cut], tt.stream[cut:]); got != tt.want {
					t.Fatalf("split at %d: close %d, want %d", cut, got, tt.want)
				}
			}
			bytewise := make([][]byte, 0, 400)
			for i := range min(len(tt.stream), 400) {
				bytewise = append(bytewise, tt.stream[i:i+1])
			}
			bytewise = append(bytewise, tt.stream[min(len(tt.stream), 400):])
			if got := reconnect.ScanClose(bytewise...); got != tt.want {
				t.Fatalf("byte by byte: close %d, want %d", got, tt.want)
			}
		})
	}
}
