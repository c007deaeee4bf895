package reconnect_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// A Reconnect (or a heartbeat or a failed Write) that races the server's
// close frame must not hide it: the server's verdict comes first.
func TestServersCloseBeatsTheConnsOwnKill(t *testing.T) {
	kicked := fmt.Errorf("failed to get reader: %w", websocket.CloseError{Code: websocket.StatusPolicyViolation, Reason: "kicked"})
	killed := errors.New("killed by the Conn")
	closed := fmt.Errorf("failed to get reader: %w", net.ErrClosed)
	tests := []struct {
		name             string
		kill, read, want error
	}{
		{"server's close read, then killed", killed, kicked, kicked},
		{"killed, then the read failed", killed, closed, killed},
		{"not killed: the read error", nil, io.EOF, io.EOF},
		{"killed while waiting for room", killed, nil, killed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reconnect.EndCause(nil, tt.kill, tt.read); got != tt.want {
				t.Fatalf("end cause %v, want %v", got, tt.want)
			}
		})
	}
}
