package conformance

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
)

// Deadline bounds one case's connection on the server's side. It is a
// bound for a stuck case, not a speed: a 16 MiB echo under -race on a busy
// 2-core machine has taken over 30 s.
const Deadline = 90 * time.Second

// Server plays cases, one run per URL.
type Server struct {
	srv  *httptest.Server
	mu   sync.Mutex
	runs map[string]*run
	n    int
}

type run struct {
	c      Case
	opts   RunOptions
	conns  int
	result chan string
}

// RunOptions say how a run plays its case.
type RunOptions struct {
	// Hold keeps the first connection to the URL open, as a plain one,
	// until the client closes it (the connection a rotation replaces); the
	// case plays on the second.
	Hold bool
	// AwaitPing starts the case only once the client has pinged (a
	// heartbeat) and got its pong.
	AwaitPing bool
}

// NewServer starts a Server on loopback; Close stops it.
func NewServer() *Server {
	s := &Server{runs: map[string]*run{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the server; runs still open fail.
func (s *Server) Close() { s.srv.Close() }

// Start registers a run of c and returns its URL and the channel that
// gets the case's trace. Connections after the one the case plays on are
// refused with 503.
func (s *Server) Start(c Case, o RunOptions) (url string, trace <-chan string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	path := fmt.Sprintf("/%s/%d", c.ID, s.n)
	r := &run{c: c, opts: o, result: make(chan string, 1)}
	s.runs[path] = r
	return s.base() + path, r.result
}

func (s *Server) serve(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	r := s.runs[req.URL.Path]
	n := 0
	if r != nil {
		r.conns++
		n = r.conns
	}
	s.mu.Unlock()
	switch {
	case r == nil:
		http.NotFound(w, req)
	case r.opts.Hold && n == 1:
		hold(w, req)
	case r.opts.Hold && n == 2, !r.opts.Hold && n == 1:
		r.result <- play(w, req, r.c, r.opts.AwaitPing)
	default:
		http.Error(w, "the case has been played", http.StatusServiceUnavailable)
	}
}

// hold accepts and reads until the client closes.
func hold(w http.ResponseWriter, req *http.Request) {
	ws, err := websocket.Accept(w, req, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	for {
		if _, _, err := ws.Read(req.Context()); err != nil {
			return
		}
	}
}

// play accepts by hand and plays c.
func play(w http.ResponseWriter, req *http.Request, c Case, awaitPing bool) string {
	conn, brw, err := wstest.Accept(w, req)
	if err != nil {
		return "handshake failed: " + err.Error()
	}
	defer conn.Close()
	p := newPeer(conn, brw, Deadline)
	if awaitPing && !p.awaitPing() {
		return "no ping before the case: " + p.Trace()
	}
	c.Play(p)
	return p.Trace()
}

// Conns returns how many connections the run at url has had, the ones
// refused after the case included.
func (s *Server) Conns(url string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.runs[strings.TrimPrefix(url, s.base())]; r != nil {
		return r.conns
	}
	return 0
}

// base is the ws:// URL that the runs' paths follow.
func (s *Server) base() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") }
