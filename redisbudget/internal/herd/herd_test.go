package herd

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsreconnect/wsreconnect/redisbudget/internal/redistest"
)

var (
	procs = flag.Int("herd.procs", 4, "processes in the herd")
	conns = flag.Int("herd.conns", 40, "Conns in each process")
	rateF = flag.Int("herd.rate", 40, "the budget: handshakes per second")
	burst = flag.Int("herd.burst", 5, "the budget's burst")
)

func TestMain(m *testing.M) {
	if os.Getenv(envChild) != "" {
		os.Exit(runChild(os.Stdin, os.Stdout))
	}
	goleak.VerifyTestMain(m)
}

// TestHerd: with the budget in Redis the server sees at most Rate+Burst
// handshakes in any second of a reconnect wave, and every Conn comes
// back; with a rate.Limiter of the same budget in each process it sees
// more. The first connect is in the table but not checked: children that
// start slowly on a busy machine bunch their admitted dials.
func TestHerd(t *testing.T) {
	srv := redistest.Start(t)
	limit := *rateF + *burst
	tolerance := *rateF / 4 // dials admitted 250 ms apart may reach the server together on a busy machine
	cfg := Config{Procs: *procs, Conns: *conns, Rate: *rateF, Burst: *burst, Period: time.Second,
		Redis: srv.URL(), Key: t.Name(), Self: []string{os.Args[0], "-test.run=^$"}}
	var table strings.Builder
	fmt.Fprintf(&table, "%d processes x %d Conns, budget %d/s + burst %d (limit %d per second)\n", *procs, *conns, *rateF, *burst, limit)
	fmt.Fprintf(&table, "| budget | phase | handshakes | max in any 1 s | all back after |\n|---|---|---|---|---|\n")
	worst := map[string]int{}
	for _, budget := range []string{"redis", "local"} {
		cfg.Budget = budget
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		phases, err := Run(ctx, cfg)
		cancel()
		if err != nil {
			t.Fatalf("%s: %s budget: %v", t.Name(), budget, err)
		}
		for _, p := range phases {
			fmt.Fprintf(&table, "| %s | %s | %d | %d | %.2f s |\n", budget, p.Name, p.Handshakes, p.MaxWindow, p.Back.Seconds())
			if p.Name != "connect" {
				worst[budget] = max(worst[budget], p.MaxWindow)
			}
		}
	}
	t.Log("\n" + table.String())
	if worst["redis"] > limit+tolerance {
		t.Errorf("%s: with the budget in Redis the server saw %d handshakes in one second of a wave; limit %d (+%d)", t.Name(), worst["redis"], limit, tolerance)
	}
	if worst["local"] <= limit+tolerance {
		t.Errorf("%s: with a limiter per process the server saw at most %d in one second; the herd should overrun %d", t.Name(), worst["local"], limit)
	}
}
