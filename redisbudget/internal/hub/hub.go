// Package hub is a WebSocket server for fleet tests: it holds every
// connection, counts every handshake it is asked for with its time, and
// can close all connections with a code or drop them without one.
package hub

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Hub is the server.
type Hub struct {
	srv *httptest.Server

	mu    sync.Mutex
	conns map[*websocket.Conn]struct{}
	times []time.Time   // every handshake asked for
	taken int           // connections accepted
	live  chan struct{} // closed and replaced when conns or times change
}

// New starts a Hub on a loopback port; Close stops it.
func New() *Hub {
	h := &Hub{conns: make(map[*websocket.Conn]struct{}), live: make(chan struct{})}
	h.srv = httptest.NewServer(http.HandlerFunc(h.handle))
	return h
}

// URL returns the ws:// URL.
func (h *Hub) URL() string { return "ws" + strings.TrimPrefix(h.srv.URL, "http") }

func (h *Hub) handle(w http.ResponseWriter, r *http.Request) {
	h.change(func() { h.times = append(h.times, time.Now()) })
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	h.change(func() { h.conns[c] = struct{}{}; h.taken++ })
	defer h.change(func() { delete(h.conns, c) })
	<-c.CloseRead(context.Background()).Done() // held until the client or CloseAll ends it
}

func (h *Hub) change(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f()
	close(h.live)
	h.live = make(chan struct{})
}

// Live returns how many connections are open.
func (h *Hub) Live() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// WaitLive waits until n connections are open, or ctx ends.
func (h *Hub) WaitLive(ctx context.Context, n int) bool {
	return h.waitFor(ctx, func() bool { return len(h.conns) == n })
}

// WaitHandshakes waits until n handshakes have been asked for in all,
// or ctx ends.
func (h *Hub) WaitHandshakes(ctx context.Context, n int) bool {
	return h.waitFor(ctx, func() bool { return len(h.times) >= n })
}

// WaitAccepted waits until n connections have been accepted in all and
// one is open, or ctx ends.
func (h *Hub) WaitAccepted(ctx context.Context, n int) bool {
	return h.waitFor(ctx, func() bool { return h.taken >= n && len(h.conns) == 1 })
}

// Accepted returns how many connections have been accepted in all.
func (h *Hub) Accepted() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.taken
}

func (h *Hub) waitFor(ctx context.Context, ok func() bool) bool {
	for {
		h.mu.Lock()
		done, ch := ok(), h.live
		h.mu.Unlock()
		if done {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// CloseAll closes every connection with code, as a restarting server
// does with 1012.
func (h *Hub) CloseAll(code websocket.StatusCode) {
	for _, c := range h.snapshot() {
		go c.Close(code, "restart")
	}
}

// DropAll ends every connection without a close frame.
func (h *Hub) DropAll() {
	for _, c := range h.snapshot() {
		c.CloseNow()
	}
}

func (h *Hub) snapshot() []*websocket.Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*websocket.Conn, 0, len(h.conns))
	for c := range h.conns {
		out = append(out, c)
	}
	return out
}

// Handshakes returns the times of every handshake asked for so far.
func (h *Hub) Handshakes() []time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Time(nil), h.times...)
}

// MaxIn returns the most handshakes in any window of length w.
func MaxIn(times []time.Time, w time.Duration) int {
	best, j := 0, 0
	for i := range times { // times are in order of arrival
		for times[i].Sub(times[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// Close ends every connection and stops the server.
func (h *Hub) Close() {
	h.srv.CloseClientConnections()
	h.DropAll()
	h.srv.Close()
}
