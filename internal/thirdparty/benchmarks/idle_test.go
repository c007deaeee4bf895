package benchmarks_test

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// idleConns is how many idle connections BenchmarkIdle holds at once.
const idleConns = 1000

// BenchmarkIdle dials 1,000 connections and leaves them idle, then reports
// the live heap, the goroutine stacks and the goroutines per connection.
// A raw connection has one goroutine blocked in Read, which coder/websocket
// needs to answer pings and close frames; a wrapped one has its supervisor
// (the heartbeat is a timer, not a goroutine). Run it with -benchtime=1x:
// each iteration holds 1,000 connections.
func BenchmarkIdle(b *testing.B) {
	url := serverURL(b) + "/echo"
	b.Run("raw", func(b *testing.B) {
		idle(b, func() func() {
			ws, _, err := websocket.Dial(context.Background(), url, nil)
			if err != nil {
				b.Fatal(err)
			}
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				ws.Read(context.Background())
			}()
			return func() {
				ws.CloseNow()
				wg.Wait()
			}
		})
	})
	b.Run("wrapped", func(b *testing.B) {
		idle(b, func() func() {
			c, err := reconnect.Dial(context.Background(), url, nil)
			if err != nil {
				b.Fatal(err)
			}
			return func() { c.CloseNow() }
		})
	})
}

func idle(b *testing.B, dial func() (closeFn func())) {
	closers := make([]func(), 0, idleConns)
	for i := range b.N {
		b.StopTimer()
		g0, m0 := snapshot()
		b.StartTimer()
		for range idleConns {
			closers = append(closers, dial())
		}
		b.StopTimer()
		g1, m1 := snapshot()
		// Later iterations reuse the bufio buffers coder/websocket pools,
		// so only the first one is measured.
		if i == 0 {
			b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/idleConns, "heap-B/conn")
			b.ReportMetric(float64(int64(m1.StackInuse)-int64(m0.StackInuse))/idleConns, "stack-B/conn")
			b.ReportMetric(float64(g1-g0)/idleConns, "goroutines/conn")
		}
		for _, f := range closers {
			f()
		}
		closers = closers[:0]
		b.StartTimer()
	}
	b.ReportMetric(0, "ns/op")
}

func snapshot() (goroutines int, m runtime.MemStats) {
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return runtime.NumGoroutine(), m
}
