package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// The chaos side of the chat server: the faults the timeline plays, also
// reachable on GET /fault?do=... when the server runs alone (-serve).

// kickCode is the application close code for "kicked by a moderator"; the
// demo's policy marks it terminal.
const kickCode websocket.StatusCode = 4001

// restart closes every connection with 1012 Service Restart, stops
// listening for down, and listens again on the same address.
func (s *chatServer) restart(ctx context.Context, down time.Duration) error {
	s.mu.Lock()
	hs, addr := s.hs, s.addr
	s.mu.Unlock()
	if hs != nil {
		hs.Close() // new dials are refused from now on
	}
	s.closeAll(websocket.StatusServiceRestart, "service restart")
	if err := sleep(ctx, down); err != nil {
		return err
	}
	// The port was ours a moment ago; retry briefly in case the kernel
	// still holds it.
	var err error
	for range 20 {
		if err = s.listen(addr); err == nil {
			return nil
		}
		if sleep(ctx, 50*time.Millisecond) != nil {
			break
		}
	}
	return err
}

// overload closes every connection with 1013 Try Again Later and answers
// every handshake with 503 and Retry-After for the given window.
func (s *chatServer) overload(ctx context.Context, window time.Duration) error {
	s.setOverloaded(true)
	defer s.setOverloaded(false)
	s.closeAll(websocket.StatusTryAgainLater, "overloaded, try again later")
	return sleep(ctx, window)
}

func (s *chatServer) setOverloaded(on bool) {
	s.mu.Lock()
	s.overloaded = on
	s.mu.Unlock()
}

// dropTCP closes every TCP connection without a close frame, as a crashed
// process or a NAT reset would.
func (s *chatServer) dropTCP() int {
	n := 0
	for _, sess := range s.members() {
		sess.raw.Conn.Close()
		n++
	}
	return n
}

// silence makes every current connection a black hole: nothing the client
// sends is read, nothing is written, pings get no pong. Only a client
// heartbeat notices. Connections made afterwards are served normally.
func (s *chatServer) silence() int {
	n := 0
	for _, sess := range s.members() {
		sess.raw.silent.Store(true)
		n++
	}
	return n
}

// kick closes the named member's connections with kickCode.
func (s *chatServer) kick(name string) int {
	n := 0
	for _, sess := range s.members() {
		if sess.name == name {
			sess.ws.Close(kickCode, "kicked by a moderator")
			n++
		}
	}
	return n
}

// serveFault is GET /fault?do=restart|overload|drop|silence|kick&name=N&for=2s,
// for trying the faults by hand against a server run with -serve.
func (s *chatServer) serveFault(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	window := 3 * time.Second
	if v := q.Get("for"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			http.Error(w, "bad for= duration", http.StatusBadRequest)
			return
		}
		window = d
	}
	switch q.Get("do") {
	case "restart":
		fmt.Fprintf(w, "restarting: 1012 to every client, down for %v\n", window)
		go func() {
			// Let this answer reach curl first: the restart closes
			// every connection of the HTTP server, this one included.
			if sleep(context.Background(), 100*time.Millisecond) == nil {
				s.restart(context.Background(), window) //nolint:errcheck // best effort
			}
		}()
	case "overload":
		go s.overload(context.Background(), window) //nolint:errcheck // best effort
		fmt.Fprintf(w, "overloaded for %v: 1013, then 503 with Retry-After: %d\n", window, s.retryAfter)
	case "drop":
		fmt.Fprintf(w, "dropped %d TCP connections\n", s.dropTCP())
	case "silence":
		fmt.Fprintf(w, "silenced %d connections\n", s.silence())
	case "kick":
		fmt.Fprintf(w, "kicked %d connections of %q with %d\n", s.kick(q.Get("name")), q.Get("name"), kickCode)
	default:
		http.Error(w, "do= one of restart, overload, drop, silence, kick (with name=)", http.StatusBadRequest)
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hijackWriter hands coder/websocket a faultConn instead of the raw TCP
// connection, so that the chaos side can black-hole or drop it.
type hijackWriter struct {
	http.ResponseWriter
	conn *faultConn
}

func (h *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("chat: response writer cannot hijack")
	}
	c, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	// net/http flushed the 101 before hijacking; keep any bytes the
	// client already sent.
	pre, _ := brw.Reader.Peek(brw.Reader.Buffered())
	h.conn = &faultConn{Conn: c, pre: append([]byte(nil), pre...)}
	return h.conn, bufio.NewReadWriter(bufio.NewReader(h.conn), bufio.NewWriter(h.conn)), nil
}

// faultConn is a TCP connection the chaos side can make silent: while
// silent it swallows what it is asked to write and discards what it reads,
// like a path that went dead without telling anyone. Pings get no pong.
type faultConn struct {
	net.Conn
	pre    []byte
	silent atomic.Bool
}

func (c *faultConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	for {
		n, err := c.Conn.Read(p)
		if err != nil || !c.silent.Load() {
			return n, err
		}
	}
}

func (c *faultConn) Write(p []byte) (int, error) {
	if c.silent.Load() {
		return len(p), nil
	}
	return c.Conn.Write(p)
}
