package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// The client: the part to copy. It subscribes on every connection, gets a
// fresh token when the exchange says the old one expired, rotates without
// a gap when warned of a shutdown, reconnects when the data goes stale,
// and checks every symbol's sequence numbers across all of it.

// update is one message: {"s":"BTC","seq":123,"px":64000.5,"E":<ms>},
// or an event such as {"e":"subscribed"} or {"e":"serverShutdown","E":<ms>}.
// encoding/json matches keys without regard to case, so "E" needs a
// field of its own, or it lands in E and fails the decoding.
type update struct {
	E   string  `json:"e,omitempty"`
	T   int64   `json:"E,omitempty"` // the exchange's event time, Unix ms
	S   string  `json:"s,omitempty"`
	Seq int64   `json:"seq,omitempty"`
	Px  float64 `json:"px,omitempty"`
}

// client follows one feed. Target and the observer run on the Conn's
// goroutines; what they share with the read loop is under mu. The rest
// (st.updates, gaps and resyncs too) belongs to the read loop.
type client struct {
	symbols    []string
	tokenURL   string
	http       *http.Client
	quietAfter time.Duration // one symbol silent this long while others flow: stale
	logf       func(format string, a ...any)

	tokMu sync.Mutex // held while fetching, so one attempt fetches at a time
	token string

	mu      sync.Mutex
	current uint64          // the generation last connected
	rotated map[uint64]bool // generations a rotation made: no gap allowed
	st      stats

	books  map[string]book  // per symbol, the last update
	seen   map[string]int64 // and its event time
	gen    uint64           // the generation of the last update
	marked uint64           // the last generation marked stale
	resync []string         // new baselines of gen, printed in one line
}

func newClient(symbols []string, tokenURL string, quietAfter time.Duration, logf func(string, ...any)) *client {
	return &client{symbols: symbols, tokenURL: tokenURL, quietAfter: quietAfter, logf: logf,
		http: &http.Client{Transport: &http.Transport{}, Timeout: time.Second}, rotated: map[uint64]bool{},
		books: map[string]book{}, seen: map[string]int64{}}
}

func (f *client) dial(ctx context.Context, url string, o options) (*reconnect.Conn, error) {
	return reconnect.Dial(ctx, url, &reconnect.Options{
		Target:     f.target,
		OnConnect:  f.subscribe,
		MessageKey: messageKey, // "BTC:123": a rotation drops the overlap's duplicates
		Position:   position,   // resume.go: the subscribe resumes after the last seq
		StaleAfter: o.staleAfter,
		MinUptime:  o.minUptime,
		Policy: policy.Policy{
			Backoff: policy.Backoff{Initial: 50 * time.Millisecond, Max: time.Second},
			App:     policy.AppRules{AuthCodes: []websocket.StatusCode{codeTokenExpired}},
		},
		PingInterval: 500 * time.Millisecond,
		PingTimeout:  500 * time.Millisecond,
		DialTimeout:  2 * time.Second,
		Observer:     reconnect.ObserverFunc(f.observe),
	})
}

// target puts the token in every attempt, and fetches a fresh one first
// when the last was rejected (401) or expired (4401).
func (f *client) target(ctx context.Context, a reconnect.Attempt) (reconnect.Target, error) {
	f.tokMu.Lock()
	defer f.tokMu.Unlock()
	if f.token == "" || a.Refresh {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.tokenURL, nil)
		resp, err := f.http.Do(req)
		if err != nil {
			return reconnect.Target{}, fmt.Errorf("failed to get a token: %w", err)
		}
		defer resp.Body.Close()
		var body struct{ Token string }
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return reconnect.Target{}, fmt.Errorf("failed to read the token: %w", err)
		}
		f.token = body.Token
		if a.Refresh {
			f.mu.Lock()
			f.st.refreshes++
			f.mu.Unlock()
			f.logf("gen %d: fresh token after %s", a.Generation, a.Last.Label)
		}
	}
	return reconnect.Target{Header: http.Header{"Authorization": {"Bearer " + f.token}}}, nil
}

// subscribe runs on every new connection, rotations included.
func (f *client) subscribe(ctx context.Context, ws *websocket.Conn) error {
	req, _ := json.Marshal(map[string]any{"op": "subscribe", "args": f.symbols, "since": since(ctx)})
	if err := ws.Write(ctx, websocket.MessageText, req); err != nil {
		return fmt.Errorf("failed to subscribe: %w", err)
	}
	for {
		_, p, err := ws.Read(ctx)
		if err != nil {
			return fmt.Errorf("failed to read the subscription ack: %w", err)
		}
		var u update
		if json.Unmarshal(p, &u) == nil && u.E == "subscribed" {
			return nil
		}
	}
}

// messageKey names an update "symbol:seq"; events have no key.
func messageKey(m reconnect.Message) (string, bool) {
	var u update
	if json.Unmarshal(m.Data, &u) != nil || u.S == "" {
		return "", false
	}
	return u.S + ":" + strconv.FormatInt(u.Seq, 10), true
}

// follow reads the feed until the Conn ends; nil after Close.
func (f *client) follow(c *reconnect.Conn) error {
	for {
		m, err := c.ReadMessage(context.Background()) // the fast path: no hand-off
		if errors.Is(err, net.ErrClosed) {
			f.flushResync()
			return nil
		}
		if err != nil {
			return err
		}
		var u update
		if json.Unmarshal(m.Data, &u) != nil {
			continue
		}
		switch {
		case u.E == "serverShutdown":
			f.logf("gen %d: serverShutdown: rotate", m.Generation)
			c.Rotate() // make before break; nothing if one is running
		case u.S != "":
			if quiet := f.check(m.Generation, u); quiet != "" && m.Generation == f.connected() {
				f.logf("gen %d: no %s for %v while the others flow: mark stale", m.Generation, quiet, f.quietAfter)
				c.MarkStale()
			}
		}
	}
}

// connected is the generation last connected: a symbol quiet on an older
// one says nothing about the current connection.
func (f *client) connected() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.current
}

// observe counts the Conn's events and prints the interesting ones. A
// connection's EventConnected comes before any of its messages.
func (f *client) observe(e reconnect.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch e.Kind {
	case reconnect.EventConnected:
		f.current = e.Generation
		f.rotated[e.Generation] = e.Rotation
		if !e.Rotation && e.Generation > 1 {
			f.st.plain++
		}
		f.logf("gen %d: connected%s", e.Generation, map[bool]string{true: " (rotation)"}[e.Rotation])
	case reconnect.EventDisconnected:
		if e.Decision.Label == reconnect.LabelStale {
			f.st.stale++
		}
		f.logf("gen %d: down after %v: %s", e.Generation, e.Duration.Round(time.Millisecond), why(e))
	case reconnect.EventAttemptDone:
		if e.Err != nil {
			f.logf("gen %d: attempt %d failed: %s", e.Generation, e.Attempt, e.Decision.Label)
		}
	case reconnect.EventRotating:
		f.logf("gen %d: rotating: dialling while gen %d delivers", e.Generation, e.Generation-1)
	case reconnect.EventRotated:
		if e.Err != nil {
			f.logf("gen %d: rotation abandoned: %v", e.Generation, e.Err)
			break
		}
		f.st.rotations++
		f.st.dropped += e.Dropped
		f.logf("gen %d: rotated in %v, %d duplicates dropped", e.Generation, e.Duration.Round(time.Millisecond), e.Dropped)
	}
}

// why says in a few words why a connection ended.
func why(e reconnect.Event) string {
	var ce websocket.CloseError
	switch {
	case e.Decision.Label == reconnect.LabelStale:
		return strings.TrimPrefix(e.Err.Error(), "reconnect: ")
	case errors.As(e.Err, &ce):
		return fmt.Sprintf("%s (%d %q)", e.Decision.Label, ce.Code, ce.Reason)
	}
	return e.Decision.Label
}

// close releases the token fetcher's connections.
func (f *client) close() { f.http.CloseIdleConnections() }

// stats are the counts so far; call it after follow returned.
func (f *client) stats() stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}
