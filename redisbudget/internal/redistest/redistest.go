// Package redistest runs a real redis-server on a free loopback port for
// tests, and stops and reaps it when the test ends.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startBound bounds the wait for a redis-server to say it is ready.
const startBound = 20 * time.Second

// Server is a redis-server process the test owns.
type Server struct {
	t      testing.TB
	Port   int
	bin    string
	args   []string      // more redis-server arguments
	exited chan struct{} // closed when the process has been reaped
	cmd    *exec.Cmd
}

// Addr returns host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// URL returns a redis:// URL for the server.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Start starts a redis-server on a free loopback port, stopped by
// t.Cleanup. Without the binary the test fails when CI is set and is
// skipped otherwise.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: redis-server is not installed (CI is set): apt-get install -y redis-server", t.Name())
		}
		t.Skipf("%s: skipped: redis-server is not installed (apt-get install -y redis-server)", t.Name())
	}
	s := &Server{t: t, bin: bin, args: args}
	var last error
	for range 5 { // another process may take the port between the probe and the bind
		if last = s.start(freePort(t)); last == nil {
			t.Cleanup(s.Kill)
			return s
		}
	}
	t.Fatalf("%s: failed to start redis-server: %v", t.Name(), last)
	return nil
}

// Restart starts the server again on its port after Kill.
func (s *Server) Restart() {
	s.t.Helper()
	var last error
	for range 5 {
		if last = s.start(s.Port); last == nil {
			return
		}
	}
	s.t.Fatalf("%s: failed to restart redis-server on %d: %v", s.t.Name(), s.Port, last)
}

func (s *Server) start(port int) error {
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice"}
	cmd := exec.Command(s.bin, append(args, s.args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("failed to pipe redis-server's output: %w", err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("failed to run redis-server: %w", err)
	}
	ready, exited := make(chan struct{}), make(chan struct{})
	var log strings.Builder
	go func() {
		sc, said := bufio.NewScanner(out), false
		for sc.Scan() {
			if log.Len() < 4096 {
				log.WriteString(sc.Text() + "\n")
			}
			if !said && strings.Contains(sc.Text(), "Ready to accept connections") {
				close(ready)
				said = true
			}
		}
		cmd.Wait() // reaps it; its exit status is the log's business
		close(exited)
	}()
	select {
	case <-ready:
		s.Port, s.cmd, s.exited = port, cmd, exited
		return nil
	case <-exited:
		return errors.New("redis-server exited: " + log.String())
	case <-time.After(startBound):
		cmd.Process.Kill()
		<-exited
		return fmt.Errorf("redis-server was not ready within %v", startBound)
	}
}

// Kill ends the server with SIGKILL, as a crash would, and reaps it.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("%s: failed to find a free port: %v", t.Name(), err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
