package reconnect_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestEveryWriteEndsInOneClass follows one message into each class the
// docs promise: delivered, written just before a drop, buffered and
// flushed, refused with an error, handed back by Undelivered.
func TestEveryWriteEndsInOneClass(t *testing.T) {
	got := make(chan string, 16)
	read1, drop := make(chan struct{}), make(chan struct{})
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n > 2 {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		_, p, err := ws.Read(r.Context())
		if err != nil {
			return
		}
		got <- string(p)
		if n == 1 {
			close(read1)
			<-drop // m2 arrives but is never read: the drop loses it
			return
		}
		ws.Close(websocket.StatusServiceRestart, "")
	})
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, false)
	if err != nil {
		t.Fatal(err)
	}
	results := map[string]error{}
	w := func(ctx context.Context, m string) {
		results[m] = c.Write(ctx, websocket.MessageText, []byte(m))
	}
	bg := wstest.Context(t)
	canceled, cancel := context.WithCancel(bg)
	cancel()

	w(bg, "m1")
	wstest.Wait(t, read1, "the server to read m1")
	w(bg, "m2")
	close(drop)
	rec.Next(t, reconnect.EventDisconnected)
	wait := rec.Next(t, reconnect.EventWaiting)
	w(bg, "m3")
	w(canceled, "m4")
	rec.Clock.Advance(wait.Delay)
	rec.Next(t, reconnect.EventDisconnected) // conn 2 read m3, then 1012
	wait = rec.Next(t, reconnect.EventWaiting)
	w(bg, "m5")
	rec.Clock.Advance(wait.Delay)
	wstest.Wait(t, c.Done(), "the Conn to end")
	w(bg, "m6")

	delivered := []string{wstest.Wait(t, got, "the first delivered message"), wstest.Wait(t, got, "the second delivered message")}
	var back []string
	for _, m := range c.Undelivered() {
		back = append(back, string(m.Data))
	}
	for _, tt := range []struct {
		msg       string
		class     string
		writeErr  bool
		delivered bool
		back      bool
	}{
		{"m1", "delivered", false, true, false},
		{"m2", "written just before a drop", false, false, false},
		{"m3", "buffered, then delivered", false, true, false},
		{"m4", "refused: ctx already done", true, false, false},
		{"m5", "buffered, handed back by Undelivered", false, false, true},
		{"m6", "refused: the Conn has ended", true, false, false},
	} {
		if (results[tt.msg] != nil) != tt.writeErr || slices.Contains(delivered, tt.msg) != tt.delivered || slices.Contains(back, tt.msg) != tt.back {
			t.Errorf("%s (%s): Write = %v, delivered %v, undelivered %v", tt.msg, tt.class, results[tt.msg], delivered, back)
		}
	}
	if len(got) != 0 {
		t.Errorf("server got more: %q", <-got)
	}
}
