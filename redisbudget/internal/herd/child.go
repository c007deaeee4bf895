package herd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/wsreconnect/wsreconnect/reconnect"
	"github.com/wsreconnect/wsreconnect/redisbudget"
	"github.com/wsreconnect/wsreconnect/redisbudget/internal/hub"
)

// envChild names the environment variable that makes the test binary a
// child: its value is the child's configuration.
const envChild = "HERD_CHILD"

// child is one process of the herd: its configuration travels in the
// environment, "ready" goes to stdout when its Conns are up, and it ends
// when stdin closes.
type child struct {
	URL, Redis, Budget, Key string
	Conns, Rate, Burst      int
	Period                  time.Duration
	Procs                   int
}

func (c child) env() []string {
	return append(os.Environ(), envChild+"=1", "HERD_URL="+c.URL, "HERD_REDIS="+c.Redis,
		"HERD_BUDGET="+c.Budget, "HERD_KEY="+c.Key, "HERD_CONNS="+strconv.Itoa(c.Conns),
		"HERD_RATE="+strconv.Itoa(c.Rate), "HERD_BURST="+strconv.Itoa(c.Burst),
		"HERD_PERIOD="+c.Period.String(), "HERD_PROCS="+strconv.Itoa(c.Procs))
}

func childFromEnv() child {
	n := func(k string) int { v, _ := strconv.Atoi(os.Getenv(k)); return v }
	p, _ := time.ParseDuration(os.Getenv("HERD_PERIOD"))
	return child{URL: os.Getenv("HERD_URL"), Redis: os.Getenv("HERD_REDIS"), Budget: os.Getenv("HERD_BUDGET"),
		Key: os.Getenv("HERD_KEY"), Conns: n("HERD_CONNS"), Rate: n("HERD_RATE"), Burst: n("HERD_BURST"),
		Period: p, Procs: n("HERD_PROCS")}
}

// runChild is the child's main; it returns the exit code.
func runChild(stdin io.Reader, stdout io.Writer) int {
	c := childFromEnv()
	var budget reconnect.Limiter
	switch c.Budget {
	case "redis":
		l, err := redisbudget.New(redisbudget.Options{URL: c.Redis, Key: c.Key, Rate: c.Rate, Period: c.Period,
			Burst: c.Burst, Processes: c.Procs})
		if err != nil {
			fmt.Fprintln(stdout, "error:", err)
			return 1
		}
		defer l.Close()
		budget = l
	case "local":
		budget = rate.NewLimiter(rate.Every(c.Period/time.Duration(c.Rate)), c.Burst)
	}
	ctx := context.Background()
	conns, err := hub.Fleet(ctx, c.URL, c.Conns, func(int) *reconnect.Options {
		return &reconnect.Options{DialBudget: budget, PingInterval: -1}
	})
	if err != nil {
		fmt.Fprintln(stdout, "error:", err)
		return 1
	}
	fmt.Fprintln(stdout, "ready")
	io.Copy(io.Discard, bufio.NewReader(stdin)) // until the parent closes stdin
	hub.CloseFleet(conns)
	return 0
}
