package main

import (
	"context"
	"time"

	"github.com/coder/websocket"
)

// The exchange's faults, and the script that plays them: one at a time,
// each on the connection the client made after the one before, so that
// the run shows every case once in a few seconds.

// step is one line of the script: wait for a newer connection (with a
// newer token if newToken), let it stream for settle, then do fault.
type step struct {
	newToken bool
	fault    func(e *exchange, s *session) // nil: nothing
}

// script is the default run:
//
//	conn 1  serverShutdown warning     -> the client rotates, no gap
//	conn 2  ETH stops, BTC and SOL flow -> the client marks it stale
//	conn 3  tokens revoked, close 1001 -> 401 on the redial -> a fresh token
//	conn 4  all data stops, pings go on -> StaleAfter
//	conn 5  serverShutdown warning     -> rotation
//	conn 6  its token expires: 4401    -> a fresh token; the run ends on conn 7
var script = []step{
	{fault: (*exchange).warnShutdown},
	{fault: func(e *exchange, s *session) { e.mute(s, "ETH") }},
	{fault: (*exchange).revoke},
	{fault: (*exchange).silence},
	{fault: (*exchange).warnShutdown},
	{newToken: true},
}

// play runs steps against the client's connections.
func (e *exchange) play(ctx context.Context, steps []step, settle time.Duration) error {
	var s *session
	for _, st := range steps {
		var err error
		if s, err = e.nextSession(ctx, s, st.newToken); err != nil {
			return err
		}
		t := time.NewTimer(settle)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		if st.fault != nil {
			st.fault(e, s)
		}
	}
	return nil
}

// nextSession waits for a session that subscribed after the one given
// (any, if nil), on a newer token if newToken.
func (e *exchange) nextSession(ctx context.Context, after *session, newToken bool) (*session, error) {
	for {
		e.mu.Lock()
		s, changed := e.latest, e.changed
		e.mu.Unlock()
		if s != nil && (after == nil || s.id > after.id && (!newToken || s.tok > after.tok)) {
			return s, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// warnShutdown sends serverShutdown on s, and closes it warnLead later.
func (e *exchange) warnShutdown(s *session) {
	e.logf("conn %d: serverShutdown warning, closing in %v", s.id, e.cfg.warnLead)
	select {
	case s.warn <- struct{}{}:
	default:
	}
}

// revoke forgets every token, as an exchange that lost its session store
// does, and closes s with 1001: the client learns at its next handshake.
func (e *exchange) revoke(s *session) {
	e.logf("conn %d: every token revoked, close 1001", s.id)
	e.mu.Lock()
	clear(e.tokens)
	e.mu.Unlock()
	s.ws.Close(websocket.StatusGoingAway, "restart") //nolint:errcheck // it may be gone
}

// skipSeq makes the first symbol skip a sequence number at the next tick:
// a gap the client must report.
func (e *exchange) skipSeq(s *session) {
	e.logf("conn %d: %s skips a sequence number", s.id, e.cfg.symbols[0])
	e.mu.Lock()
	e.skip = true
	e.mu.Unlock()
}

// mute stops sym's updates on s; the other symbols go on.
func (e *exchange) mute(s *session, sym string) {
	e.logf("conn %d: %s updates stop, the others go on", s.id, sym)
	e.mu.Lock()
	s.muted[sym] = true
	e.mu.Unlock()
}

// silence stops all data on s; pings are still answered.
func (e *exchange) silence(s *session) {
	e.logf("conn %d: all data stops, pings still answered", s.id)
	e.mu.Lock()
	s.silent = true
	e.mu.Unlock()
}
