package reconnect_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestWritesWhileConnectionsDie writes without pause while the server
// drops every connection after a few messages, so writes keep failing on
// dying connections. It once panicked with "close of closed channel" and
// let SendBlock writers spin.
func TestWritesWhileConnectionsDie(t *testing.T) {
	tests := []struct {
		name string
		mode reconnect.SendMode
	}{
		{"buffer", reconnect.SendBuffer},
		{"block", reconnect.SendBlock},
		{"fail", reconnect.SendFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				ws, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				for range 3 {
					if _, _, err := ws.Read(r.Context()); err != nil {
						break
					}
				}
				ws.CloseNow() // no close frame
			})
			c, rec, err := wstest.Dial(t, url, &reconnect.Options{SendMode: tt.mode, BufferMessages: 8}, true)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			wrote := make(chan struct{})
			go func() {
				defer close(wrote)
				for ctx.Err() == nil {
					c.Write(ctx, websocket.MessageText, []byte("x"))
				}
			}()
			for range 30 {
				rec.Next(t, reconnect.EventConnected)
			}
			cancel()
			wstest.Wait(t, wrote, "the writer to stop")
			if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
				t.Fatalf("Close = %v", err)
			}
		})
	}
}
