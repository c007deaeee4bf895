package reconnect_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestUnmetRotationDeliversTheOldConnectionUntilItsClose: with a
// MessageKey, when the new stream sends nothing within DialTimeout the
// two never meet. The old connection then delivers until its close
// handshake ends: here "a2", which its reader holds for room in a full
// receive buffer at the switch, is delivered, not cut off.
func TestUnmetRotationDeliversTheOldConnectionUntilItsClose(t *testing.T) {
	const dialTimeout = 4 * time.Second
	full, publish := make(chan error, 1), make(chan struct{})
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx := r.Context()
		if n == 1 {
			ws.Write(ctx, websocket.MessageText, []byte("a1"))
			ws.Write(ctx, websocket.MessageText, []byte("a2"))
			drained := make(chan struct{})
			go func() { drain(ctx, ws); close(drained) }() // Ping needs a reader
			full <- ping(ctx, ws, 300*time.Millisecond)    // fails: the client holds a2
			<-drained
			return
		}
		select { // the new stream is quiet until the test publishes
		case <-publish:
			ws.Write(ctx, websocket.MessageText, []byte("b1"))
		case <-ctx.Done():
		}
		drain(ctx, ws)
	})
	o := &reconnect.Options{PingInterval: -1, DialTimeout: dialTimeout, MessageKey: seqKey, ReceiveMessages: 1}
	c, rec, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := wstest.Wait(t, full, "the server's ping to a full receive buffer"); err == nil {
		t.Fatal("a ping was answered while a2 waited for room")
	}
	c.Rotate()
	rec.Next(t, reconnect.EventRotating)
	if e := rec.Next(t, reconnect.EventAttemptDone); !e.Rotation || e.Err != nil {
		t.Fatalf("rotation attempt %+v", e)
	}
	if !rec.Clock.WaitTimer(wstest.Context(t), dialTimeout) {
		t.Fatalf("no %v meeting timer: %v", dialTimeout, rec.Clock.Pending())
	}
	rec.Clock.Advance(dialTimeout) // the streams did not meet: switch
	rec.Next(t, reconnect.EventConnected)
	read := func(want string, gen uint64) {
		t.Helper()
		m, err := c.ReadMessage(wstest.Context(t))
		if err != nil || string(m.Data) != want || m.Generation != gen {
			t.Fatalf("read %q gen %d, %v; want %q gen %d", m.Data, m.Generation, err, want, gen)
		}
	}
	read("a1", 1)
	read("a2", 1)
	close(publish)
	read("b1", 2)
}
