package benchmarks_test

import (
	"context"
	"net"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// conn is what the message benchmarks need from a raw *websocket.Conn and
// from a *reconnect.Conn.
type conn interface {
	Write(ctx context.Context, typ websocket.MessageType, p []byte) error
	Read(ctx context.Context) (websocket.MessageType, []byte, error)
}

// side is one side of a comparison: how to dial it, and how to close.
type side struct {
	name string
	dial func(tb testing.TB, url string) (conn, func())
}

// impls are the two sides of every comparison: raw coder/websocket and
// the reconnecting wrapper with its defaults (heartbeat on).
var impls = []side{
	{"raw", dialRaw},
	{"wrapped", dialWrapped},
}

func dialRaw(tb testing.TB, url string) (conn, func()) {
	tb.Helper()
	ws, _, err := websocket.Dial(context.Background(), url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return ws, func() { ws.Close(websocket.StatusNormalClosure, "") }
}

func dialWrapped(tb testing.TB, url string) (conn, func()) {
	tb.Helper()
	c, err := reconnect.Dial(context.Background(), url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return c, func() { c.Close(websocket.StatusNormalClosure, "") }
}

// BenchmarkEcho measures the round trip of one 64 B text message: write
// it, read the echo; p50-ns and p99-ns are per round trip. raw is
// coder/websocket; read is a Conn read with Read, which takes each
// message from the Conn's reader goroutine; handler is a Conn with
// OnMessage, which writes the next message from the reader goroutine, as
// a client reacting to the market would. raw-hop is raw coder/websocket
// read by its own goroutine that hands each message over an unbuffered
// channel: the cost of a hand-off alone.
func BenchmarkEcho(b *testing.B) {
	url := serverURL(b) + "/echo"
	msg := make([]byte, 64)
	pull := func(dial func(testing.TB, string) (conn, func())) func(b *testing.B) {
		return func(b *testing.B) {
			c, done := dial(b, url)
			defer done()
			ctx := context.Background()
			rtt := make([]time.Duration, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				t0 := time.Now()
				if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
					b.Fatal(err)
				}
				if _, _, err := c.Read(ctx); err != nil {
					b.Fatal(err)
				}
				rtt[i] = time.Since(t0)
			}
			b.StopTimer()
			reportQuantiles(b, rtt, time.Nanosecond, "ns", 50, 99)
		}
	}
	b.Run("raw", pull(dialRaw))
	b.Run("read", pull(dialWrapped))
	b.Run("handler", func(b *testing.B) { echoHandler(b, url, msg) })
	b.Run("raw-hop", pull(dialRawHop))
}

// echoHandler runs the round trips from OnMessage: each echo is timed and
// answered with the next message on the reader goroutine.
func echoHandler(b *testing.B, url string, msg []byte) {
	ctx := context.Background()
	rtt := make([]time.Duration, b.N)
	var sent atomic.Int64 // when the message in flight was written, ns
	done := make(chan error, 1)
	i := 0
	h := func(c *reconnect.Conn, _ reconnect.Message) {
		rtt[i] = time.Duration(time.Now().UnixNano() - sent.Load())
		if i++; i == b.N {
			done <- nil
			return
		}
		sent.Store(time.Now().UnixNano())
		if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
			done <- err
		}
	}
	c, err := reconnect.Dial(ctx, url, &reconnect.Options{OnMessage: h})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(websocket.StatusNormalClosure, "")
	b.ReportAllocs()
	b.ResetTimer()
	sent.Store(time.Now().UnixNano())
	if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
		b.Fatal(err)
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportQuantiles(b, rtt, time.Nanosecond, "ns", 50, 99)
}

// hopConn reads a raw connection on its own goroutine and hands messages
// to Read over an unbuffered channel.
type hopConn struct {
	*websocket.Conn
	msgs chan []byte
}

func (h hopConn) Read(ctx context.Context) (websocket.MessageType, []byte, error) {
	p, ok := <-h.msgs
	if !ok {
		return 0, nil, net.ErrClosed
	}
	return websocket.MessageText, p, nil
}

func dialRawHop(tb testing.TB, url string) (conn, func()) {
	ws, done := dialRaw(tb, url)
	h := hopConn{Conn: ws.(*websocket.Conn), msgs: make(chan []byte)}
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		defer close(h.msgs)
		for {
			_, p, err := h.Conn.Read(context.Background())
			if err != nil {
				return
			}
			h.msgs <- p
		}
	}()
	return h, func() {
		done()
		<-exited
	}
}

// BenchmarkStream writes messages back to back; the server discards them
// and confirms the count, and the timer stops on the confirmation.
func BenchmarkStream(b *testing.B) {
	url := serverURL(b) + "/discard"
	for _, size := range []struct {
		name string
		n    int
	}{{"64B", 64}, {"4KiB", 4096}} {
		b.Run(size.name, func(b *testing.B) {
			msg := make([]byte, size.n)
			for _, impl := range impls {
				b.Run(impl.name, func(b *testing.B) {
					c, done := impl.dial(b, url)
					defer done()
					ctx := context.Background()
					b.SetBytes(int64(size.n))
					b.ReportAllocs()
					b.ResetTimer()
					for range b.N {
						if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
							b.Fatal(err)
						}
					}
					if err := c.Write(ctx, websocket.MessageText, nil); err != nil {
						b.Fatal(err)
					}
					_, p, err := c.Read(ctx)
					b.StopTimer()
					if err != nil {
						b.Fatal(err)
					}
					if got := string(p); got != strconv.Itoa(b.N) {
						b.Fatalf("server counted %s messages, want %d", got, b.N)
					}
				})
			}
		})
	}
}

// BenchmarkDial measures connect, handshake and close handshake.
func BenchmarkDial(b *testing.B) {
	url := serverURL(b) + "/echo"
	for _, impl := range impls {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				_, done := impl.dial(b, url)
				done()
			}
		})
	}
}

// reportQuantiles reports the given percentiles of d in unit.
func reportQuantiles(b *testing.B, d []time.Duration, unit time.Duration, name string, ps ...int) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	for _, p := range ps {
		i := min(len(d)*p/100, len(d)-1)
		b.ReportMetric(float64(d[i])/float64(unit), "p"+strconv.Itoa(p)+"-"+name)
	}
}
