package toxy_test

import (
	"io"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsreconnect/wsreconnect/internal/thirdparty/toxy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func TestProxyForwardsAndResets(t *testing.T) {
	p, err := toxy.Start(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo through proxy = %q, %v", buf, err)
	}
	if err := p.Add("rst", "reset_peer", "upstream", 1, `{"timeout":0}`); err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("x"))
	if _, err := io.ReadFull(c, buf); err == nil {
		t.Fatal("read after reset_peer succeeded")
	}
	if err := p.Add("rst", "reset_peer", "upstream", 1, ""); err == nil {
		t.Fatal("duplicate toxic name accepted")
	}
	if err := p.Remove("rst"); err != nil {
		t.Fatal(err)
	}
}
