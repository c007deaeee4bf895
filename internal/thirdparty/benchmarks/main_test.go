package benchmarks_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// serverEnv makes the test binary run the benchmark server instead of the
// tests.
const serverEnv = "WSBENCH_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(serverEnv) == "1" {
		if err := serve(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		stopServer()
		os.Exit(code)
	}))
}

var server struct {
	once  sync.Once
	cmd   *exec.Cmd
	stdin *os.File
	addr  string
	err   error
}

// serverURL returns the ws:// base URL of the server process, starting it
// on first use. The process lives until the tests end.
func serverURL(tb testing.TB) string {
	tb.Helper()
	server.once.Do(startServer)
	if server.err != nil {
		tb.Fatal(server.err)
	}
	return "ws://" + server.addr
}

func startServer() {
	// Pipes are *os.File so that exec starts no copying goroutines.
	inR, inW, err := os.Pipe()
	if err != nil {
		server.err = err
		return
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		server.err = err
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), serverEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		server.err = fmt.Errorf("failed to start server: %w", err)
		return
	}
	line, err := bufio.NewReader(outR).ReadString('\n')
	outR.Close()
	if err != nil {
		server.err = fmt.Errorf("failed to read server address: %w", err)
		return
	}
	server.cmd, server.stdin, server.addr = cmd, inW, strings.TrimSpace(line)
}

// stopServer closes the server's stdin, which makes it exit, and waits.
func stopServer() {
	if server.cmd == nil {
		return
	}
	server.stdin.Close()
	server.cmd.Wait()
}
