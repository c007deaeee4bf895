package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// server is a WebSocket server that can restart on the same address. After
// a restart it admits at most capacity handshakes per window and answers
// the rest 503, like a server protecting itself from a reconnect storm.
type server struct {
	addr     string
	capacity int

	mu       sync.Mutex
	srv      *http.Server
	conns    map[*websocket.Conn]struct{}
	handlers sync.WaitGroup

	// Since the last restart:
	t0       time.Time
	limiting bool
	admitted map[int64]int // per window
	accepts  []time.Duration
	rejected atomic.Int64
	live     atomic.Int64
}

func newServer(capacity int) (*server, error) {
	s := &server{capacity: capacity, conns: make(map[*websocket.Conn]struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	return s, nil
}

func (s *server) url() string { return "ws://" + s.addr }

func (s *server) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(s.handle)}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

func (s *server) handle(w http.ResponseWriter, r *http.Request) {
	s.handlers.Add(1)
	defer s.handlers.Done()
	at, ok := s.admit()
	if !ok {
		s.rejected.Add(1)
		w.Header().Set("Connection", "close")
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
		return
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	if s.limiting {
		s.accepts = append(s.accepts, at)
	}
	s.mu.Unlock()
	s.live.Add(1)
	defer func() {
		s.live.Add(-1)
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	for {
		if _, _, err := c.Read(context.Background()); err != nil {
			c.CloseNow()
			return
		}
	}
}

// admit takes a handshake slot in the current window and returns the time
// since the restart.
func (s *server) admit() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.limiting {
		return 0, true
	}
	at := time.Since(s.t0)
	w := int64(at / window)
	if s.admitted[w] >= s.capacity {
		return at, false
	}
	s.admitted[w]++
	return at, true
}

// restart ends every connection (with a 1012 close frame or a TCP drop),
// stays down for downtime, then listens again on the same address with
// admission control on. Statistics start over at the restart.
func (s *server) restart(close1012 bool, downtime time.Duration) error {
	s.mu.Lock()
	s.t0 = time.Now()
	s.limiting = true
	s.admitted = make(map[int64]int)
	s.accepts = s.accepts[:0]
	s.rejected.Store(0)
	srv := s.srv
	conns := make([]*websocket.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	// Close stops the listener and any keep-alive connection; the
	// hijacked WebSocket connections are ours to end.
	srv.Close()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if close1012 {
				c.Close(websocket.StatusServiceRestart, "restarting")
			} else {
				c.CloseNow()
			}
		}()
	}
	// Back after downtime even if some closes are still in progress, as a
	// new process would be.
	<-time.After(time.Until(s.t0.Add(downtime)))
	ln, err := net.Listen("tcp", s.addr)
	if err == nil {
		s.serve(ln)
	}
	wg.Wait()
	if err != nil {
		return errors.Join(errors.New("failed to listen again"), err)
	}
	return nil
}

// stats returns the accept times since the restart and the 503 count.
func (s *server) stats() ([]time.Duration, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.accepts...), s.rejected.Load()
}

// close stops the server and waits for its handlers.
func (s *server) close() {
	s.mu.Lock()
	srv := s.srv
	conns := make([]*websocket.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	srv.Close()
	for _, c := range conns {
		c.CloseNow()
	}
	s.handlers.Wait()
}
