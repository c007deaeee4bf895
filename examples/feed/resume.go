package main

import (
	"context"
	"encoding/json"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Resuming from positions: every update names its place in its symbol's
// stream (Options.Position: stream = symbol, offset = seq). The Conn keeps
// the last seq delivered per symbol, across reconnects and rotations; the
// client's subscribe asks the exchange for everything after it ("since"),
// the exchange replays that from its history, and the Conn drops what it
// has already delivered and reports a jump as EventGap. So a plain
// reconnect loses nothing and needs no resync.

// historyLen is how many updates the exchange keeps for replays.
const historyLen = 4096

// logged is one update in the exchange's history.
type logged struct {
	sym string
	seq int64
	p   []byte
}

// position names an update's place in its symbol's stream.
func position(m reconnect.Message) (reconnect.Position, bool) {
	var u update
	if json.Unmarshal(m.Data, &u) != nil || u.S == "" || u.Seq <= 0 {
		return reconnect.Position{}, false
	}
	return reconnect.Position{Stream: u.S, Offset: uint64(u.Seq)}, true
}

// since is the subscribe's resume point: the last seq delivered per
// symbol, from the Conn whose OnConnect this is.
func since(ctx context.Context) map[string]uint64 {
	c := reconnect.FromContext(ctx)
	if c == nil {
		return nil
	}
	out := map[string]uint64{}
	for sym, p := range c.Positions() {
		out[sym] = p.Offset
	}
	return out
}

// logLocked keeps an update for replays. Guarded by e.mu.
func (e *exchange) logLocked(sym string, seq int64, p []byte) {
	if len(e.history) == historyLen {
		copy(e.history, e.history[1:])
		e.history = e.history[:historyLen-1]
	}
	e.history = append(e.history, logged{sym, seq, p})
}

// replayLocked queues for s, in the market's order, the updates of its
// symbols after since. Guarded by e.mu, so no tick comes between.
func (e *exchange) replayLocked(s *session, since map[string]uint64) int {
	n := 0
	for _, l := range e.history {
		after, ok := since[l.sym]
		if !ok || !s.subs[l.sym] || uint64(l.seq) <= after {
			continue
		}
		select {
		case s.out <- l.p:
			n++
		default:
			return n // the client resumes with a gap, which its Conn reports
		}
	}
	return n
}
