package benchmarks_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// BenchmarkFeed measures a receive-only feed: once asked, the server
// pushes b.N binary 64 B messages as fast as the client takes them;
// msgs/s is the client's rate. raw reads with coder/websocket's Read, read
// with a Conn's Read, handler with a Conn's OnMessage.
func BenchmarkFeed(b *testing.B) {
	url := serverURL(b) + "/feed?n="
	ctx := context.Background()
	b.Run("raw", func(b *testing.B) {
		ws, _, err := websocket.Dial(ctx, url+strconv.Itoa(b.N), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer ws.CloseNow()
		startFeed(b, ws)
		for range b.N {
			if _, _, err := ws.Read(ctx); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b)
	})
	b.Run("read", func(b *testing.B) {
		c, err := reconnect.Dial(ctx, url+strconv.Itoa(b.N), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.CloseNow()
		startFeed(b, c)
		for range b.N {
			if _, _, err := c.Read(ctx); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b)
	})
	b.Run("handler", func(b *testing.B) {
		done := make(chan struct{})
		n := 0
		h := func(*reconnect.Conn, reconnect.Message) {
			if n++; n == b.N {
				close(done)
			}
		}
		c, err := reconnect.Dial(ctx, url+strconv.Itoa(b.N), &reconnect.Options{OnMessage: h})
		if err != nil {
			b.Fatal(err)
		}
		defer c.CloseNow()
		startFeed(b, c)
		<-done
		reportRate(b)
	})
}

// startFeed starts the timer and asks the server to push.
func startFeed(b *testing.B, c conn) {
	b.ReportAllocs()
	b.ResetTimer()
	if err := c.Write(context.Background(), websocket.MessageText, []byte("go")); err != nil {
		b.Fatal(err)
	}
}

func reportRate(b *testing.B) {
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
