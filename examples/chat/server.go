package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// chatServer is the demo's chat room: every text message is broadcast to
// the other members and acknowledged to its sender. It has a chaos side
// (chaos.go) that the timeline and the /fault endpoint drive.
type chatServer struct {
	mu         sync.Mutex
	addr       string // where it listens; kept across restarts
	hs         *http.Server
	sessions   map[*session]struct{}
	overloaded bool
	retryAfter int // seconds, on 503 answers while overloaded
	closed     bool
	anon       int
	received   map[string]map[uint64]bool    // sender -> ids received
	wg         sync.WaitGroup                // session handlers
	logf       func(format string, a ...any) // who joins and leaves; nil: quiet
}

// session is one member's connection, server side.
type session struct {
	name string
	ws   *websocket.Conn
	raw  *faultConn
}

// wire is the demo's JSON message format, both ways.
type wire struct {
	Type string `json:"type"`           // "msg" or "ack"
	ID   uint64 `json:"id,omitempty"`   // the sender's message id
	From string `json:"from,omitempty"` // set by the server on broadcasts
	Text string `json:"text,omitempty"`
}

func newChatServer() *chatServer {
	return &chatServer{
		sessions:   make(map[*session]struct{}),
		received:   make(map[string]map[uint64]bool),
		retryAfter: 1,
	}
}

// listen starts serving on addr ("127.0.0.1:0" picks a port); the address
// is kept so that a restart comes back on the same port.
func (s *chatServer) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("failed to listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/chat", s)
	mux.HandleFunc("/fault", s.serveFault)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return errors.New("chat: server is shut down")
	}
	s.addr, s.hs = ln.Addr().String(), hs
	s.mu.Unlock()
	go hs.Serve(ln) //nolint:errcheck // returns when hs is closed
	return nil
}

// Addr is the address the server listens on.
func (s *chatServer) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL is the chat endpoint.
func (s *chatServer) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "ws://" + s.addr + "/chat"
}

// ServeHTTP accepts one member and serves it until it leaves.
func (s *chatServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.overloaded || s.closed {
		ra := s.retryAfter
		s.mu.Unlock()
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		http.Error(w, "overloaded, come back later", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.anon++
	anon := s.anon
	s.mu.Unlock()
	defer s.wg.Done()

	name := r.Header.Get("X-Chat-Name")
	if name == "" {
		name = r.URL.Query().Get("name")
	}
	if name == "" {
		name = "anon-" + strconv.Itoa(anon)
	}
	hw := &hijackWriter{ResponseWriter: w}
	ws, err := websocket.Accept(hw, r, nil)
	if err != nil {
		return
	}
	sess := &session{name: name, ws: ws, raw: hw.conn}
	if !s.join(sess) {
		ws.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	s.note("%s joined from %s", name, r.RemoteAddr)
	defer s.leave(sess)
	s.serveSession(sess)
}

func (s *chatServer) join(sess *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.sessions[sess] = struct{}{}
	return true
}

func (s *chatServer) leave(sess *session) {
	s.mu.Lock()
	delete(s.sessions, sess)
	s.mu.Unlock()
	sess.ws.CloseNow()
	s.note("%s left", sess.name)
}

func (s *chatServer) note(format string, a ...any) {
	if s.logf != nil {
		s.logf(format, a...)
	}
}

// serveSession reads the member's messages until the connection ends.
func (s *chatServer) serveSession(sess *session) {
	ctx := context.Background()
	for {
		typ, p, err := sess.ws.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			continue
		}
		if s.envelopeFrame(sess, p) { // a -receipts client (receipts.go)
			continue
		}
		var m wire
		if json.Unmarshal(p, &m) != nil || m.Type != "msg" {
			// Plain text (a -url client against this server): broadcast
			// it, nothing to acknowledge.
			s.broadcast(sess, wire{Type: "msg", From: sess.name, Text: string(p)})
			continue
		}
		if s.record(sess.name, m.ID) {
			s.broadcast(sess, wire{Type: "msg", From: sess.name, ID: m.ID, Text: m.Text})
		}
		// A re-sent message is acknowledged again but not broadcast twice.
		send(sess, wire{Type: "ack", ID: m.ID})
	}
}

// record notes that sender's message id arrived; false if it had already.
func (s *chatServer) record(sender string, id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := s.received[sender]
	if ids == nil {
		ids = make(map[uint64]bool)
		s.received[sender] = ids
	}
	if ids[id] {
		return false
	}
	ids[id] = true
	return true
}

// hasReceived reports whether the server got sender's message id.
func (s *chatServer) hasReceived(sender string, id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received[sender][id]
}

func (s *chatServer) broadcast(from *session, m wire) {
	for _, sess := range s.members() {
		if sess != from {
			send(sess, m)
		}
	}
}

func (s *chatServer) members() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*session, 0, len(s.sessions))
	for sess := range s.sessions {
		out = append(out, sess)
	}
	return out
}

// send writes m to one member; a member whose connection is dying just
// misses it.
func send(sess *session, m wire) {
	p, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	sess.ws.Write(ctx, websocket.MessageText, p) //nolint:errcheck // see above
}

// shutdown stops listening, says goodbye to every member with code and
// waits for their handlers.
func (s *chatServer) shutdown(code websocket.StatusCode, reason string) {
	s.mu.Lock()
	s.closed = true
	hs := s.hs
	s.mu.Unlock()
	if hs != nil {
		hs.Close()
	}
	s.closeAll(code, reason)
	s.wg.Wait()
}

// closeAll closes every member's connection with code, concurrently.
func (s *chatServer) closeAll(code websocket.StatusCode, reason string) {
	var wg sync.WaitGroup
	for _, sess := range s.members() {
		wg.Go(func() { sess.ws.Close(code, reason) })
	}
	wg.Wait()
}
