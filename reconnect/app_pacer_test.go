package reconnect_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Options.WritePacer is application code too: the Conn calls its Wait
// before each buffered message it flushes after a reconnect. A pacer that
// blocks, ignores its ctx, panics or closes the Conn must not wedge Close
// or lose the message.
func TestWritePacerWhileFlushing(t *testing.T) {
	tests := []struct {
		name  string
		wait  func(ctx context.Context, c *reconnect.Conn, release <-chan struct{}) error
		label string // of the Conn's end
	}{
		{"blocks, ignoring its ctx", func(_ context.Context, _ *reconnect.Conn, release <-chan struct{}) error {
			<-release
			return nil
		}, "closed"},
		{"waits for its ctx", func(ctx context.Context, _ *reconnect.Conn, _ <-chan struct{}) error {
			<-ctx.Done()
			return ctx.Err()
		}, "closed"},
		{"closes the Conn", func(ctx context.Context, c *reconnect.Conn, _ <-chan struct{}) error {
			c.Close(websocket.StatusNormalClosure, "from the pacer")
			return ctx.Err()
		}, "closed"},
		{"panics", func(context.Context, *reconnect.Conn, <-chan struct{}) error {
			panic("bug in the pacer")
		}, reconnect.LabelPanic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			drop, admit := make(chan struct{}), make(chan struct{})
			url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n > 1 {
					<-admit // the Conn stays down while the test writes
				}
				ws, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				defer ws.CloseNow()
				if n == 1 {
					<-drop
					ws.Close(websocket.StatusGoingAway, "")
					return
				}
				drain(r.Context(), ws)
			})
			entered, release := make(chan struct{}), make(chan struct{})
			var c *reconnect.Conn
			dialed := make(chan struct{})
			var once sync.Once
			pacer := waitFunc(func(ctx context.Context) error {
				<-dialed
				once.Do(func() { close(entered) })
				return tt.wait(ctx, c, release)
			})
			c, _, err := wstest.Dial(t, url, &reconnect.Options{WritePacer: pacer, PingInterval: -1}, true)
			close(dialed)
			if err != nil {
				t.Fatal(err)
			}
			close(drop)
			ctx, cancel := context.WithTimeout(context.Background(), wstest.Guard)
			defer cancel()
			for c.State() == reconnect.Connected && c.WaitForStateChange(ctx, reconnect.Connected) {
			}
			if err := c.Write(ctx, websocket.MessageText, []byte("queued")); err != nil {
				t.Fatalf("Write while down = %v", err)
			}
			close(admit)
			wstest.Wait(t, entered, "the flush to enter the pacer")
			if tt.label != reconnect.LabelPanic { // a panic ends the Conn by itself
				wstest.ReturnsWithin(t, "Close", func() { c.Close(websocket.StatusNormalClosure, "") })
			}
			close(release)
			wstest.ReturnsWithin(t, "Done", func() { <-c.Done() })
			var re *reconnect.Error
			if !errors.As(c.Err(), &re) || re.Decision.Label != tt.label {
				t.Fatalf("Err = %v, want label %q", c.Err(), tt.label)
			}
			if tt.label == "closed" && !errors.Is(c.Err(), net.ErrClosed) {
				t.Fatalf("Err = %v, want closed", c.Err())
			}
			if u := c.Undelivered(); len(u) != 1 || string(u[0].Data) != "queued" {
				t.Fatalf("Undelivered = %v, want the queued message", u)
			}
		})
	}
}
