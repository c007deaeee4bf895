package reconnect_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// appendCodec is lineCodec framing into the Conn's reused buffers.
type appendCodec struct{ lineCodec }

func (appendCodec) AppendEncode(dst []byte, id uint64, m reconnect.Message, resend bool) (reconnect.Message, error) {
	r := 0
	if resend {
		r = 1
	}
	return reconnect.Message{Type: m.Type, Data: fmt.Appendf(dst, "%d|%d|%s", id, r, m.Data)}, nil
}

// TestAppendEncoderFramesIntact: Sends from several goroutines share the
// reused frame buffers; every frame reaches the server as it was framed,
// short and long messages alike, and every send is acked.
func TestAppendEncoderFramesIntact(t *testing.T) {
	const senders, each = 8, 25
	got := make(chan string, senders*each)
	url := serveFrames(t, got, nil)
	c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: appendCodec{}}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(websocket.StatusNormalClosure, "")
	var mu sync.Mutex
	want := map[string]bool{}
	var rs []*reconnect.Receipt
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				data := fmt.Sprintf("s%d-%d-%s", s, i, strings.Repeat("x", i*40)) // up to ~1 KiB
				r, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte(data)})
				if err != nil {
					t.Errorf("Send: %v", err)
					return
				}
				mu.Lock()
				want[fmt.Sprintf("%d|false|%s", r.ID(), data)] = true
				rs = append(rs, r)
				mu.Unlock()
			}
		}()
	}
	wstest.ReturnsWithin(t, "the Sends", wg.Wait)
	for range senders * each {
		f := recv(t, got, "a frame")
		if !want[f] {
			t.Errorf("frame %.60q was not framed by the codec", f)
		}
		delete(want, f)
	}
	for _, r := range rs {
		if f := wait(t, r); f != reconnect.FateAcked {
			t.Errorf("receipt %d: %v, want acked", r.ID(), f)
		}
	}
}
