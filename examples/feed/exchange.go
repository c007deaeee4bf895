package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// The exchange is the demo's market-data server, on loopback in the same
// process. It behaves like the venues a trading client meets:
//   - POST /token hands out bearer tokens that expire after tokenTTL;
//   - /ws wants one (401 without a valid one), a subscribe message first,
//     then streams every symbol's updates with the exchange's own sequence
//     numbers and event time, the same on every connection;
//   - it closes a connection whose token expired with 4401;
//   - it can warn a connection with serverShutdown before closing it 1001,
//     stop one symbol's updates on it, or stop all of its data while still
//     answering pings (faults.go).

// codeTokenExpired is the exchange's close code for an expired token.
const codeTokenExpired websocket.StatusCode = 4401

type exchange struct {
	cfg    exchangeConfig
	logf   func(format string, a ...any)
	hs     *http.Server
	addr   string
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // the server, the market and every handler

	mu       sync.Mutex
	closed   bool
	tokens   map[string]issued
	nTokens  int
	nConns   int
	sessions map[*session]struct{}
	latest   *session      // the newest subscribed session
	changed  chan struct{} // closed and replaced when a session subscribes
	seq      map[string]int64
	px       map[string]float64
	skip     bool     // a bug the test plants: the next tick skips a seq
	history  []logged // the last updates, for replays (resume.go)
}

type exchangeConfig struct {
	symbols  []string
	tick     time.Duration // one update per symbol per tick
	tokenTTL time.Duration
	warnLead time.Duration // from serverShutdown to the close
}

type issued struct {
	n       int // the token's number, from 1
	expires time.Time
}

// session is one client connection, on the exchange's side.
type session struct {
	id, tok int
	ws      *websocket.Conn
	subs    map[string]bool
	out     chan []byte   // updates for it, in the market's order
	warn    chan struct{} // a serverShutdown to send
	// Under exchange.mu:
	muted  map[string]bool // symbols it no longer gets
	silent bool            // no data at all, pings still answered
}

func startExchange(cfg exchangeConfig, logf func(string, ...any)) (*exchange, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("failed to listen: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &exchange{
		cfg: cfg, logf: logf, ctx: ctx, cancel: cancel,
		addr:   ln.Addr().String(),
		tokens: map[string]issued{}, sessions: map[*session]struct{}{}, changed: make(chan struct{}),
		seq: map[string]int64{}, px: map[string]float64{},
	}
	for i, s := range cfg.symbols {
		e.px[s] = 100 * math.Pow(10, float64(len(cfg.symbols)-i))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", e.issueToken)
	mux.HandleFunc("GET /ws", e.serveWS)
	// http.Server.Close does not wait for handlers, and the WebSocket ones
	// outlive it: the exchange counts them itself.
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.enter() {
			defer e.wg.Done()
			mux.ServeHTTP(w, r)
		}
	})
	e.hs = &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	e.wg.Go(func() { e.hs.Serve(ln) }) //nolint:errcheck // ends with Close
	e.wg.Go(e.market)
	return e, nil
}

// url is the feed; tokenURL is where a client gets a token.
func (e *exchange) url() string      { return "ws://" + e.addr + "/ws" }
func (e *exchange) tokenURL() string { return "http://" + e.addr + "/token" }

// enter counts a handler in, unless the exchange is closing.
func (e *exchange) enter() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.closed {
		e.wg.Add(1)
	}
	return !e.closed
}

// close stops the exchange and waits for all of its goroutines.
func (e *exchange) close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.cancel()
	e.hs.Close()
	e.wg.Wait()
}

func (e *exchange) issueToken(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.nTokens++
	n := e.nTokens
	tok := fmt.Sprintf("tok-%d-%x", n, rand.Uint64())
	e.tokens[tok] = issued{n: n, expires: time.Now().Add(e.cfg.tokenTTL)}
	e.mu.Unlock()
	e.logf("token %d issued, valid %v", n, e.cfg.tokenTTL)
	json.NewEncoder(w).Encode(map[string]any{"token": tok, "expires_in_ms": e.cfg.tokenTTL.Milliseconds()}) //nolint:errcheck // the client retries
}

func (e *exchange) serveWS(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	tok, ok := e.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	e.mu.Unlock()
	if !ok || !time.Now().Before(tok.expires) {
		e.logf("handshake refused: 401, no valid token")
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, "invalid or expired token", http.StatusUnauthorized)
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	e.mu.Lock()
	e.nConns++
	s := &session{id: e.nConns, tok: tok.n, ws: ws, out: make(chan []byte, 4096),
		warn: make(chan struct{}, 1), muted: map[string]bool{}}
	e.mu.Unlock()
	defer ws.CloseNow()
	if err := e.subscribe(s); err != nil {
		e.logf("conn %d: %v", s.id, err)
		ws.Close(websocket.StatusPolicyViolation, "subscribe first")
		return
	}
	defer e.leave(s)
	e.stream(s, tok.expires)
}

// subscribe reads the subscribe message, acknowledges it, and has the
// market send the session updates from the next tick on.
func (e *exchange) subscribe(s *session) error {
	ctx, cancel := context.WithTimeout(e.ctx, 2*time.Second)
	defer cancel()
	_, p, err := s.ws.Read(ctx)
	if err != nil {
		return fmt.Errorf("no subscribe message: %w", err)
	}
	var req struct {
		Op    string            `json:"op"`
		Args  []string          `json:"args"`
		Since map[string]uint64 `json:"since"` // resume after these seqs
	}
	if json.Unmarshal(p, &req) != nil || req.Op != "subscribe" {
		return errors.New("first message is not a subscribe")
	}
	s.subs = map[string]bool{}
	for _, sym := range req.Args {
		s.subs[sym] = true
	}
	if err := s.ws.Write(ctx, websocket.MessageText, []byte(`{"e":"subscribed"}`)); err != nil {
		return fmt.Errorf("failed to acknowledge: %w", err)
	}
	e.mu.Lock()
	if n := e.replayLocked(s, req.Since); n > 0 {
		e.logf("conn %d: replayed %d updates", s.id, n)
	}
	e.sessions[s] = struct{}{}
	e.latest = s
	close(e.changed)
	e.changed = make(chan struct{})
	e.mu.Unlock()
	return nil
}

func (e *exchange) leave(s *session) {
	e.mu.Lock()
	delete(e.sessions, s)
	e.mu.Unlock()
}

// stream sends the session its updates until it ends, its token expires
// or a shutdown it warned about is due.
func (e *exchange) stream(s *session, expires time.Time) {
	// CloseRead keeps reading, so pings are answered and the client's
	// close is seen; ctx ends with the connection or the exchange.
	ctx := s.ws.CloseRead(e.ctx)
	expiry := time.NewTimer(time.Until(expires))
	defer expiry.Stop()
	shutdown := time.NewTimer(time.Hour)
	shutdown.Stop()
	defer shutdown.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-s.out:
			wctx, cancel := context.WithTimeout(ctx, time.Second)
			err := s.ws.Write(wctx, websocket.MessageText, p)
			cancel()
			if err != nil {
				return
			}
		case <-expiry.C:
			e.logf("conn %d: token %d expired: close %d", s.id, s.tok, codeTokenExpired)
			s.ws.Close(codeTokenExpired, "token expired")
			return
		case <-s.warn:
			msg := fmt.Sprintf(`{"e":"serverShutdown","E":%d}`, time.Now().UnixMilli())
			if s.ws.Write(ctx, websocket.MessageText, []byte(msg)) != nil {
				return
			}
			shutdown.Reset(e.cfg.warnLead)
		case <-shutdown.C:
			e.logf("conn %d: shutting down: close 1001", s.id)
			s.ws.Close(websocket.StatusGoingAway, "server shutdown")
			return
		}
	}
}

// market moves every symbol once per tick and hands the update to every
// session that should get it, in the same order for all of them.
func (e *exchange) market() {
	t := time.NewTicker(e.cfg.tick)
	defer t.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-t.C:
			e.tick()
		}
	}
}

func (e *exchange) tick() {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now().UnixMilli()
	for i, sym := range e.cfg.symbols {
		e.seq[sym]++
		if i == 0 && e.skip {
			e.seq[sym]++
			e.skip = false
		}
		e.px[sym] *= 1 + (rand.Float64()-0.5)/500
		p, _ := json.Marshal(update{S: sym, Seq: e.seq[sym], Px: math.Round(e.px[sym]*100) / 100, T: now})
		e.logLocked(sym, e.seq[sym], p)
		for s := range e.sessions {
			if !s.subs[sym] || s.muted[sym] || s.silent {
				continue
			}
			select {
			case s.out <- p:
			default: // a consumer this slow gets cut off
				s.ws.CloseNow()
			}
		}
	}
}
