package herd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/redisbudget/internal/hub"
)

// Config is one run.
type Config struct {
	Procs, Conns int           // processes, and Conns in each
	Rate, Burst  int           // the budget: Rate per Period, plus Burst
	Period       time.Duration // the window the server counts in
	Budget       string        // "redis" (shared) or "local" (a rate.Limiter per process)
	Redis, Key   string        // where the shared budget lives
	Self         []string      // the command that runs a child: the test binary
}

// Phase is what the server saw from one event to every Conn back.
type Phase struct {
	Name       string
	Handshakes int
	MaxWindow  int           // most handshakes in any Period
	Back       time.Duration // until every Conn was connected again
}

// Run starts the server and the children, connects, restarts every
// connection with 1012, drops every connection, and stops the children.
func Run(ctx context.Context, cfg Config) ([]Phase, error) {
	h := hub.New()
	defer h.Close()
	n := cfg.Procs * cfg.Conns
	var out strings.Builder // what the children said, for errors
	var outMu sync.Mutex
	var kids []*exec.Cmd
	var stdins []io.WriteCloser
	defer func() {
		for _, in := range stdins {
			in.Close()
		}
		for _, k := range kids {
			k.Wait()
		}
	}()
	var phases []Phase
	phase := func(name string, act func()) error {
		mark, start := len(h.Handshakes()), time.Now()
		act()
		if !h.WaitHandshakes(ctx, mark+n) || !h.WaitLive(ctx, n) {
			outMu.Lock()
			defer outMu.Unlock()
			return fmt.Errorf("failed to see all %d Conns back after %s: %d live; children said: %s", n, name, h.Live(), out.String())
		}
		times := h.Handshakes()[mark:]
		phases = append(phases, Phase{Name: name, Handshakes: len(times), MaxWindow: hub.MaxIn(times, cfg.Period), Back: time.Since(start)})
		return nil
	}
	err := phase("connect", func() {
		for range cfg.Procs {
			c := child{URL: h.URL(), Redis: cfg.Redis, Budget: cfg.Budget, Key: cfg.Key, Conns: cfg.Conns,
				Rate: cfg.Rate, Burst: cfg.Burst, Period: cfg.Period, Procs: cfg.Procs}
			k := exec.Command(cfg.Self[0], cfg.Self[1:]...)
			k.Env = c.env()
			in, _ := k.StdinPipe()
			stdout, _ := k.StdoutPipe()
			k.Stderr = k.Stdout
			if err := k.Start(); err != nil {
				outMu.Lock()
				out.WriteString("failed to start a child: " + err.Error() + "\n")
				outMu.Unlock()
				continue
			}
			kids, stdins = append(kids, k), append(stdins, in)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					if line := sc.Text(); line != "ready" && !strings.Contains(line, "pool.go") {
						outMu.Lock()
						out.WriteString(line + "\n")
						outMu.Unlock()
					}
				}
			}()
		}
	})
	if err != nil {
		return phases, err
	}
	if err := phase("restart 1012", func() { h.CloseAll(websocket.StatusServiceRestart) }); err != nil {
		return phases, err
	}
	return phases, phase("drop all", h.DropAll)
}
