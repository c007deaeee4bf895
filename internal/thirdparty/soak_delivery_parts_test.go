package thirdparty_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/codec/envelope"
)

// The delivery soak's server (see soak_delivery_test.go): it reads
// tracked messages in the JSON envelope, acknowledges each, and publishes
// every message it reads for the first time on the client's stream,
// numbered from 1, after a ticker's own publications. It keeps each
// stream's history and replays it from the offset a connection asks for;
// the history_lost fault empties a history, so the next resume has a gap
// the server records.

var env = envelope.Settings{}

// dpub is one publication of a client's stream.
type dpub struct {
	Stream string `json:"stream"`
	Offset uint64 `json:"offset"`
	Epoch  string `json:"epoch"`
	Seq    int    `json:"seq"` // the client's message, 0 for the ticker's
}

// dstream is one client's stream and what the server read from it.
type dstream struct {
	mu       sync.Mutex
	base     uint64 // offsets <= base are no longer in history
	history  []dpub // offsets base+1 ...
	received map[int]int
	conns    map[*dconn]bool
	gaps     []uint64 // the from-offset of every gap the server caused
}

func (s *dstream) top() uint64 { return s.base + uint64(len(s.history)) }

// dconn is one connection of a stream, with the offset sent on it.
type dconn struct {
	mu   sync.Mutex
	ws   *websocket.Conn
	sent uint64
}

type deliveryServer struct {
	mu       sync.Mutex
	streams  map[int]*dstream
	reject   map[int]int
	handlers sync.WaitGroup
	closers  sync.WaitGroup
}

func newDeliveryServer() *deliveryServer {
	return &deliveryServer{streams: map[int]*dstream{}, reject: map[int]int{}}
}

func (s *deliveryServer) stream(id int) *dstream {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[id]
	if st == nil {
		st = &dstream{received: map[int]int{}, conns: map[*dconn]bool{}}
		s.streams[id] = st
	}
	return st
}

func (s *deliveryServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handlers.Add(1)
	defer s.handlers.Done()
	id, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/c/"))
	s.mu.Lock()
	if s.reject[id] > 0 {
		s.reject[id]--
		s.mu.Unlock()
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
		return
	}
	s.mu.Unlock()
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	st := s.stream(id)
	dc := &dconn{ws: ws}
	ctx := context.Background()
	// The first frame is the resume request: {"resume":offset}.
	_, p, err := ws.Read(ctx)
	var req struct{ Resume uint64 }
	if err != nil || json.Unmarshal(p, &req) != nil {
		return
	}
	st.mu.Lock()
	dc.sent = min(req.Resume, st.top())
	st.conns[dc] = true
	st.mu.Unlock()
	defer func() {
		st.mu.Lock()
		delete(st.conns, dc)
		st.mu.Unlock()
	}()
	st.feed(dc)
	for {
		_, p, err := ws.Read(ctx)
		if err != nil {
			return
		}
		sent, err := env.Parse(p)
		var body struct{ Seq int }
		if err != nil || json.Unmarshal(sent.Body, &body) != nil || body.Seq <= 0 {
			ws.Close(websocket.StatusUnsupportedData, "bad message")
			return
		}
		st.mu.Lock()
		st.received[body.Seq]++
		first := st.received[body.Seq] == 1
		if first {
			st.publishLocked(strconv.Itoa(id), body.Seq)
		}
		st.mu.Unlock()
		if first {
			st.feedAll()
		}
		if ws.Write(ctx, websocket.MessageText, env.AckFrame(sent.ID)) != nil {
			return
		}
	}
}

func (st *dstream) publishLocked(name string, seq int) {
	st.history = append(st.history, dpub{Stream: "c" + name, Offset: st.top() + 1, Epoch: "e1", Seq: seq})
}

// feedAll sends the new publications on every connection of the stream.
func (st *dstream) feedAll() {
	st.mu.Lock()
	conns := make([]*dconn, 0, len(st.conns))
	for dc := range st.conns {
		conns = append(conns, dc)
	}
	st.mu.Unlock()
	for _, dc := range conns {
		st.feed(dc)
	}
}

// feed sends dc what it has not had, in order.
func (st *dstream) feed(dc *dconn) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	for {
		st.mu.Lock()
		if dc.sent < st.base {
			st.gaps = append(st.gaps, dc.sent) // lost with the history: the client sees a gap
			dc.sent = st.base
		}
		if dc.sent >= st.top() {
			st.mu.Unlock()
			return
		}
		p := st.history[dc.sent-st.base]
		st.mu.Unlock()
		b, _ := json.Marshal(p)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := dc.ws.Write(ctx, websocket.MessageText, b)
		cancel()
		if err != nil {
			// A consumer this slow is cut off, as servers do, so that the
			// next publications do not wait on it too.
			dc.ws.CloseNow()
			st.mu.Lock()
			delete(st.conns, dc)
			st.mu.Unlock()
			return
		}
		dc.sent = p.Offset
	}
}

// tick publishes a server message on every stream.
func (s *deliveryServer) tick() {
	s.mu.Lock()
	ids := make([]int, 0, len(s.streams))
	for id := range s.streams {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	for _, id := range ids {
		st := s.stream(id)
		st.mu.Lock()
		st.publishLocked(strconv.Itoa(id), 0)
		st.mu.Unlock()
		st.feedAll()
	}
}

// loseHistory publishes three messages no connection is sent, drops
// them with the history, publishes one more and kicks the client's
// connections: the next resume (or feed) skips the three, a gap the
// server records.
func (s *deliveryServer) loseHistory(id int) bool {
	st := s.stream(id)
	st.mu.Lock()
	for range 3 {
		st.publishLocked(strconv.Itoa(id), 0)
	}
	st.base = st.top()
	st.history = nil
	st.publishLocked(strconv.Itoa(id), 0)
	st.mu.Unlock()
	return s.kick(id, 0)
}

// kick ends every connection of client id (code 0: TCP dropped).
func (s *deliveryServer) kick(id int, code websocket.StatusCode) bool {
	st := s.stream(id)
	st.mu.Lock()
	var wss []*websocket.Conn
	for dc := range st.conns {
		wss = append(wss, dc.ws)
	}
	st.mu.Unlock()
	for _, ws := range wss {
		if code == 0 {
			ws.CloseNow()
			continue
		}
		s.closers.Add(1)
		go func() { defer s.closers.Done(); ws.Close(code, "chaos") }()
	}
	return len(wss) > 0
}
