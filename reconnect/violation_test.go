package reconnect_test

import (
	"bufio"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// rawThenEcho sends frames on the first connection, then (unless drop)
// reads the client's frames until it hangs up, reporting the close code
// the client sent; later connections echo.
func rawThenEcho(t *testing.T, drop bool, frames ...[]byte) (url string, sent <-chan uint16) {
	ch := make(chan uint16, 1)
	url, _ = wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n > 1 {
			wstest.EchoServer(n, w, r)
			return
		}
		conn, brw, err := wstest.Accept(w, r)
		if err != nil {
			return
		}
		defer conn.Close()
		for _, f := range frames {
			brw.Write(f)
		}
		if brw.Flush() != nil || drop {
			ch <- 0
			return
		}
		conn.SetReadDeadline(time.Now().Add(wstest.Guard))
		code := uint16(0)
		for br := bufio.NewReader(conn); ; {
			f, err := wstest.ReadFrame(br, 1<<20)
			if err != nil {
				break
			}
			if f.Opcode == wstest.OpClose && len(f.Payload) >= 2 && code == 0 {
				code = uint16(f.Payload[0])<<8 | uint16(f.Payload[1])
			}
		}
		ch <- code
	})
	return url, ch
}

// A violation the client finds in the server's frames is coder's 1002:
// terminal, as the server's own 1002, never a retried 1006.
func TestClientFoundViolationIsTerminal(t *testing.T) {
	stop := "stop " + policy.LabelProtocolViolation
	tests := []struct {
		name   string
		frames [][]byte
		want   string // "outcome label" of the disconnect
		sent   uint16 // the close code the client sent, 0 for none
		drop   bool   // the server drops the connection after frames
	}{
		{"reserved bit", [][]byte{wstest.RawFrame(true, wstest.RSV2, wstest.OpText, []byte("x"))}, stop, 1002, false},
		{"reserved data opcode", [][]byte{wstest.RawFrame(true, 0, 0x3, nil)}, stop, 1002, false},
		{"reserved control opcode", [][]byte{wstest.RawFrame(true, 0, 0xb, nil)}, stop, 1002, false},
		{"fragmented ping", [][]byte{wstest.RawFrame(false, 0, wstest.OpPing, nil)}, stop, 1002, false},
		{"ping over 125 bytes", [][]byte{wstest.Frame(wstest.OpPing, make([]byte, 126))}, stop, 1002, false},
		{"continuation first", [][]byte{wstest.RawFrame(true, 0, wstest.OpContinuation, []byte("x"))}, stop, 1002, false},
		{"text inside a fragmented message", [][]byte{wstest.RawFrame(false, 0, wstest.OpText, []byte("a")),
			wstest.RawFrame(true, 0, wstest.OpText, []byte("b"))}, stop, 1002, false},
		{"close code 1005 on the wire", [][]byte{wstest.Frame(wstest.OpClose, wstest.ClosePayload(1005, ""))}, stop, 1002, false},
		{"1-byte close payload", [][]byte{wstest.Frame(wstest.OpClose, []byte{3})}, stop, 1002, false},
		{"the server's own 1002", [][]byte{wstest.Frame(wstest.OpClose, wstest.ClosePayload(1002, "bad"))}, "stop close_1002", 1002, false},
		{"the server's 1011 echoed", [][]byte{wstest.Frame(wstest.OpClose, wstest.ClosePayload(1011, ""))}, "retry close_1011", 1011, false},
		{"a long message, then a drop", [][]byte{wstest.Frame(wstest.OpText, []byte(strings.Repeat("x", 300)))[:100]},
			"retry close_1006", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, sent := rawThenEcho(t, tt.drop, tt.frames...)
			c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, true)
			if err != nil {
				t.Fatal(err)
			}
			end := rec.Next(t, reconnect.EventDisconnected)
			if got := end.Decision.Outcome.String() + " " + end.Decision.Label; got != tt.want {
				t.Fatalf("disconnect decided %q (%v), want %q", got, end.Err, tt.want)
			}
			select {
			case code := <-sent:
				if code != tt.sent {
					t.Fatalf("the client sent close %d, want %d", code, tt.sent)
				}
			case <-time.After(wstest.Guard):
				t.Fatal("the server never saw the client hang up")
			}
			if !end.Decision.Retry() {
				rec.Next(t, reconnect.EventClosed)
				var e *reconnect.Error
				if err := c.Err(); !errors.As(err, &e) || e.Decision != end.Decision {
					t.Fatalf("Err = %v, want the disconnect's decision", err)
				}
				if v := tt.want == stop; errors.Is(c.Err(), policy.ErrProtocolViolation) != v {
					t.Fatalf("Err = %v: errors.Is ErrProtocolViolation = %v, want %v", c.Err(), !v, v)
				}
				if got := websocket.CloseStatus(c.Err()); got != websocket.StatusProtocolError {
					t.Fatalf("CloseStatus(%v) = %d, want 1002", c.Err(), got)
				}
			}
		})
	}
}
