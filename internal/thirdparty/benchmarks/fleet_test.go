package benchmarks_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// fleetWindow is how long BenchmarkFleet leaves each fleet idle.
var fleetWindow = flag.Duration("fleet.window", time.Minute, "how long BenchmarkFleet's fleets stay idle")

// BenchmarkFleet dials 1,000 and 10,000 Conns, at the default ping
// interval and at 5 s, and leaves them idle for -fleet.window. It reports
// the live heap and goroutines per Conn, and the CPU time per Conn per
// minute of idling, of this process (the clients) and of the server's.
// Run it with -benchtime=1x.
func BenchmarkFleet(b *testing.B) {
	url := serverURL(b) + "/echo"
	for _, n := range []int{1000, 10000} {
		for _, interval := range []time.Duration{reconnect.DefaultPingInterval, 5 * time.Second} {
			b.Run(fmt.Sprintf("conns=%d/ping=%v", n, interval), func(b *testing.B) {
				for range b.N {
					fleet(b, url, n, interval)
				}
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

func fleet(b *testing.B, url string, n int, interval time.Duration) {
	b.StopTimer()
	g0, m0 := snapshot()
	conns := make([]*reconnect.Conn, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64) // dial in parallel, not all at once
	for i := range conns {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := reconnect.Dial(context.Background(), url, &reconnect.Options{PingInterval: interval})
			if err != nil {
				b.Error(err)
				return
			}
			conns[i] = c
		})
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.CloseNow()
			}
		}
	}()
	if b.Failed() {
		b.FailNow()
	}
	g1, m1 := snapshot()
	// Idle: CPU spent from here is the heartbeat's, on both sides.
	c0, s0 := selfCPU(b), serverCPU(b)
	time.Sleep(*fleetWindow)
	c1, s1 := selfCPU(b), serverCPU(b)
	perConnMinute := func(d time.Duration) float64 {
		return float64(d) / float64(time.Millisecond) / float64(n) / fleetWindow.Minutes()
	}
	b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/float64(n), "heap-B/conn")
	b.ReportMetric(float64(g1-g0)/float64(n), "goroutines/conn")
	b.ReportMetric(perConnMinute(c1-c0), "client-cpu-ms/conn/min")
	b.ReportMetric(perConnMinute(s1-s0), "server-cpu-ms/conn/min")
}

// selfCPU returns the user and system CPU time of this process so far.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("failed to get the CPU time: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU returns the user and system CPU time of the server process so
// far, from /proc, in clock ticks of 10 ms: the idle window makes that
// fine enough.
func serverCPU(b *testing.B) time.Duration {
	p, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", server.cmd.Process.Pid))
	if err != nil {
		b.Fatalf("failed to read the server's CPU time: %v", err)
	}
	// The fields after the command, which may hold spaces: state first,
	// then utime and stime as the 12th and 13th.
	f := strings.Fields(string(p[strings.LastIndexByte(string(p), ')')+1:]))
	if len(f) < 13 {
		b.Fatalf("failed to read the server's CPU time: %q", p)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("failed to read the server's CPU time: %q", p)
	}
	return time.Duration(u+s) * time.Second / 100
}
