package benchmarks_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/thirdparty/toxy"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// BenchmarkRecover measures the time from asking the server to close with
// 1012 to reading the first message of the next connection, with a policy
// that waits zero. Compare it with BenchmarkDial/raw; the raw
// sub-benchmark is the same recovery done by hand: read the close, dial
// again, read the greeting.
func BenchmarkRecover(b *testing.B) {
	url := serverURL(b) + "/restart"
	b.Run("raw", func(b *testing.B) {
		ctx := context.Background()
		dial := func() *websocket.Conn {
			ws, _, err := websocket.Dial(ctx, url, nil)
			if err != nil {
				b.Fatal(err)
			}
			// Checked as the wrapped side checks it, so both do the same work.
			if _, p, err := ws.Read(ctx); err != nil || string(p) != "hello" {
				b.Fatalf("read %q, %v; want hello", p, err)
			}
			return ws
		}
		ws := dial()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := ws.Write(ctx, websocket.MessageText, []byte("restart")); err != nil {
				b.Fatal(err)
			}
			if _, _, err := ws.Read(ctx); websocket.CloseStatus(err) != websocket.StatusServiceRestart {
				b.Fatalf("read %v, want a 1012 close", err)
			}
			ws.CloseNow()
			ws = dial()
		}
		b.StopTimer()
		ws.CloseNow()
	})
	b.Run("wrapped", func(b *testing.B) {
		ctx := context.Background()
		c, err := reconnect.Dial(ctx, url, &reconnect.Options{Policy: policy.Policy{
			RestartSpread: -1,
			NewBackoff:    func() backoff.BackOff { return &backoff.ZeroBackOff{} },
		}})
		if err != nil {
			b.Fatal(err)
		}
		defer c.CloseNow()
		if _, _, err := c.Read(ctx); err != nil { // the first hello
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := c.Write(ctx, websocket.MessageText, []byte("restart")); err != nil {
				b.Fatal(err)
			}
			_, p, err := c.Read(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if string(p) != "hello" {
				b.Fatalf("read %q, want hello from a new connection", p)
			}
		}
	})
}

// BenchmarkDeadPeer blackholes a connection with a toxiproxy timeout toxic
// (no data either way, no FIN) at a random phase of the heartbeat and
// measures the time until the Conn reports the disconnection. The bound is
// PingInterval + PingTimeout + 10%. Each iteration is one sample.
func BenchmarkDeadPeer(b *testing.B) {
	const interval, timeout = 200 * time.Millisecond, 100 * time.Millisecond
	bound := (interval + timeout) * 11 / 10
	up := strings.TrimPrefix(serverURL(b), "ws://")
	b.Run("wrapped", func(b *testing.B) {
		p, err := toxy.Start(up)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Stop()
		url := p.URL("ws://" + up + "/echo")
		samples := make([]time.Duration, 0, b.N)
		for range b.N {
			samples = append(samples, deadPeerSample(b, p, url, interval, timeout))
		}
		b.StopTimer()
		over := 0
		for _, d := range samples {
			if d > bound {
				over++
			}
		}
		reportQuantiles(b, samples, time.Millisecond, "ms", 0, 50, 90, 100)
		b.ReportMetric(float64(bound)/float64(time.Millisecond), "bound-ms")
		b.ReportMetric(float64(over), "over-bound")
	})
}

func deadPeerSample(b *testing.B, p *toxy.Proxy, url string, interval, timeout time.Duration) time.Duration {
	down := make(chan time.Time, 1)
	obs := reconnect.ObserverFunc(func(e reconnect.Event) {
		if e.Kind == reconnect.EventDisconnected {
			select {
			case down <- time.Now():
			default:
			}
		}
	})
	c, err := reconnect.Dial(context.Background(), url, &reconnect.Options{
		PingInterval: interval, PingTimeout: timeout, Observer: obs,
		Policy: policy.Policy{MaxAttempts: 1},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseNow()
	defer p.Reset()
	// A random phase against the ping timer, which started at connect.
	<-time.After(rand.N(interval))
	t0 := time.Now()
	for _, stream := range []string{"downstream", "upstream"} {
		if err := p.Add("blackhole-"+stream, "timeout", stream, 1, `{"timeout":0}`); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case t := <-down:
		return t.Sub(t0)
	case <-time.After(10 * (interval + timeout)):
		b.Fatal("dead peer not detected")
		return 0
	}
}
