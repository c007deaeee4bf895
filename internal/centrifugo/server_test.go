package centrifugo_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// binary is the Centrifugo server TestMain built.
var binary string

const secret = "test-secret-for-loopback-only"

// buildServer builds Centrifugo from the module this module's go.mod pins
// and returns its path and how long the build took.
func buildServer(dir string) (string, time.Duration, error) {
	out := filepath.Join(dir, "centrifugo")
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", out, "github.com/centrifugal/centrifugo/v6")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", 0, fmt.Errorf("failed to build centrifugo: %w", err)
	}
	return out, time.Since(start), nil
}

// server is one running Centrifugo on a loopback port.
type server struct {
	t    *testing.T
	dir  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// config is the server's configuration: "rec:" channels keep 100
// publications with recovery forced and clients may publish; "short:"
// keeps 3; "locked:" refuses client publishes.
func config(port int) []byte {
	ns := func(name string, size int, publish bool) map[string]any {
		return map[string]any{"name": name, "history_size": size, "history_ttl": "300s", "force_recovery": true,
			"allow_subscribe_for_client": true, "allow_publish_for_client": publish}
	}
	cfg := map[string]any{
		"http_server": map[string]any{"address": "127.0.0.1", "port": port},
		"log":         map[string]any{"level": "error"},
		"usage_stats": map[string]any{"disabled": true},
		"http_api":    map[string]any{"insecure": true},
		"client": map[string]any{"token": map[string]any{"hmac_secret_key": secret},
			"ping_interval": "2s", "pong_timeout": "1s"},
		"channel": map[string]any{"namespaces": []any{ns("rec", 100, true), ns("short", 3, true), ns("locked", 100, false)}},
	}
	b, _ := json.Marshal(cfg)
	return b
}

// startServer starts Centrifugo on a free loopback port and waits until
// it accepts WebSocket connections. The test kills it at its end.
func startServer(t *testing.T) *server {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &server{t: t, dir: t.TempDir(), port: port}
	if err := os.WriteFile(filepath.Join(s.dir, "config.json"), config(port), 0o600); err != nil {
		t.Fatal(err)
	}
	s.start()
	t.Cleanup(s.kill)
	return s
}

func (s *server) start() {
	s.cmd = exec.Command(binary, "--config", filepath.Join(s.dir, "config.json"))
	s.cmd.Dir = s.dir
	s.cmd.Stderr = os.Stderr
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("failed to start centrifugo: %v", err)
	}
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(s.cmd, s.done)
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		ws, _, err := websocket.Dial(ctx, s.url(), nil)
		cancel()
		if err == nil {
			ws.CloseNow()
			return
		}
		select {
		case <-s.done:
			s.cmd = nil
			s.t.Fatalf("centrifugo exited at start: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			s.kill()
			s.t.Fatalf("centrifugo did not accept connections within 20 s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the server with SIGKILL and reaps it.
func (s *server) kill() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.t.Errorf("centrifugo (pid %d) not reaped 10 s after SIGKILL", s.cmd.Process.Pid)
	}
	s.cmd = nil
}

// restart kills the server and starts it again on the same port: with
// the memory engine every stream starts over in a new epoch.
func (s *server) restart() {
	s.kill()
	s.start()
}

func (s *server) url() string {
	return "ws://127.0.0.1:" + strconv.Itoa(s.port) + "/connection/websocket"
}

// publish publishes data on channel through the server API and returns
// the publication's offset and epoch.
func (s *server) publish(channel string, data any) (uint64, string) {
	body, _ := json.Marshal(map[string]any{"channel": channel, "data": data})
	resp, err := http.Post("http://127.0.0.1:"+strconv.Itoa(s.port)+"/api/publish", "application/json", bytes.NewReader(body))
	if err != nil {
		s.t.Fatalf("publish: %v", err)
	}
	defer resp.Body.Close()
	var r struct {
		Error  *struct{ Message string } `json:"error"`
		Result struct {
			Offset uint64 `json:"offset"`
			Epoch  string `json:"epoch"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Error != nil {
		s.t.Fatalf("publish: %v %+v", err, r.Error)
	}
	return r.Result.Offset, r.Result.Epoch
}

// token returns an HS256 connection JWT for user.
func token(user string) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{"sub": user, "exp": time.Now().Add(time.Hour).Unix()})
	signed := head + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signed))
	return signed + "." + enc.EncodeToString(mac.Sum(nil))
}
