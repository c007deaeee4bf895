package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// renderer prints the demo's human-readable lines: one per reconnect step,
// stamped with the time since the start.
type renderer struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func newRenderer(w io.Writer) *renderer {
	return &renderer{w: w, start: time.Now()}
}

// line prints "  3.01s  alice  text".
func (r *renderer) line(who, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, "%6.2fs  %-6s %s\n", time.Since(r.start).Seconds(), who, text)
}

// printf prints a line without a time stamp.
func (r *renderer) printf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, format, args...)
}

// observer returns an Observer that prints the events of who's Conn.
func (r *renderer) observer(who string) reconnect.Observer {
	return reconnect.ObserverFunc(func(e reconnect.Event) {
		if s := describe(e); s != "" {
			r.line(who, s)
		}
	})
}

// describe turns an event into a sentence; "" for the ones not worth a line
// (an attempt starting, an attempt that succeeded: "connected" follows).
func describe(e reconnect.Event) string {
	switch e.Kind {
	case reconnect.EventAttemptDone:
		if e.Err == nil {
			return ""
		}
		return fmt.Sprintf("attempt %d failed: %s -> %s", e.Attempt, cause(e.Decision, e.Err), verdict(e.Decision))
	case reconnect.EventConnected:
		if e.Generation == 1 {
			return fmt.Sprintf("connected (attempt %d)", e.Attempt)
		}
		return fmt.Sprintf("reconnected: connection #%d on attempt %d, outage %s", e.Generation, e.Attempt, round(e.Duration))
	case reconnect.EventDisconnected:
		return fmt.Sprintf("disconnected: %s -> %s (was up %s)", cause(e.Decision, e.Err), verdict(e.Decision), round(e.Duration))
	case reconnect.EventWaiting:
		return fmt.Sprintf("waiting %s before attempt %d (%s)", round(e.Delay), e.Attempt, waitReason(e.Decision))
	case reconnect.EventGaveUp:
		return "GAVE UP: " + giveUp(e) + "; last cause " + cause(e.Decision, e.Err)
	case reconnect.EventClosed:
		return "finished: " + finalState(e.Err)
	}
	return ""
}

// cause says in words what ended a connection or an attempt.
func cause(d policy.Decision, err error) string {
	switch {
	case d.Label == reconnect.LabelClosed:
		return "closed by the app"
	case d.Status != 0:
		s := fmt.Sprintf("HTTP %d", d.Status)
		if d.MinDelay > 0 {
			s += fmt.Sprintf(" with Retry-After %s", round(d.MinDelay))
		}
		return s
	case d.Code == websocket.StatusAbnormalClosure:
		var ce websocket.CloseError
		if errors.As(err, &ce) && ce.Reason != "" {
			return fmt.Sprintf("1006, %s (no pong: the server went silent)", ce.Reason)
		}
		return "1006, connection lost without a close frame"
	case d.Code != 0:
		s := fmt.Sprintf("close %d", int(d.Code))
		if n := codeName(d.Code); n != "" {
			s += " " + n
		}
		if r := closeReason(err); r != "" && r != codeName(d.Code) {
			s += fmt.Sprintf(" %q", r)
		}
		return s
	}
	switch d.Label {
	case "dial_refused":
		return "connection refused"
	case "timeout":
		return "timed out"
	}
	return d.Label
}

// verdict is the policy's classification: category and outcome.
func verdict(d policy.Decision) string {
	return d.Category.String() + ", " + d.Outcome.String()
}

// waitReason explains where a wait comes from.
func waitReason(d policy.Decision) string {
	switch {
	case d.Status != 0 && d.MinDelay > 0:
		return fmt.Sprintf("%s: Retry-After is a floor, plus up to %s jitter", d.Label, round(d.Spread))
	case d.MinDelay > 0:
		return fmt.Sprintf("%s: %s floor plus up to %s jitter", d.Label, round(d.MinDelay), round(d.Spread))
	case d.Spread > 0:
		return fmt.Sprintf("%s: backoff plus up to %s spread, so the clients do not return together", d.Label, round(d.Spread))
	}
	return d.Label + ": backoff"
}

// finalState says how a Conn ended, from its final error.
func finalState(err error) string {
	var e *reconnect.Error
	if !errors.As(err, &e) {
		if err == nil {
			return "still connected"
		}
		return err.Error()
	}
	switch e.Kind {
	case reconnect.KindClosed:
		return "closed by the app"
	case reconnect.KindGaveUp:
		return fmt.Sprintf("gave up after %s (%s, %s)", plural(e.Attempts, "attempt"), e.Decision.Label, e.Limit)
	case reconnect.KindTerminal:
		return fmt.Sprintf("terminal: %s (%s)", cause(e.Decision, e.Err), e.Decision.Category)
	}
	return e.Error()
}

var codeNames = map[websocket.StatusCode]string{
	1000: "normal closure", 1001: "going away", 1002: "protocol error",
	1003: "unsupported data", 1005: "no status", 1007: "invalid payload",
	1008: "policy violation", 1009: "message too big", 1010: "mandatory extension",
	1011: "internal error", 1012: "service restart", 1013: "try again later",
	1014: "bad gateway", kickCode: "(app code)",
}

func codeName(c websocket.StatusCode) string { return codeNames[c] }

// round shortens a duration for display: 1.234s, 230ms.
func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(time.Millisecond).String()
	}
	return d.String()
}

// summary prints the per-client table.
func summary(w io.Writer, clients []clientResult) {
	head := []string{"client", "sent", "acked", "buffered+delivered", "lost in flight+re-sent", "returned", "unacked", "reconnects"}
	fmt.Fprintf(w, "%-6s", head[0])
	for _, h := range head[1:] {
		fmt.Fprintf(w, "  %s", h)
	}
	fmt.Fprintln(w, "  final state")
	refused := 0
	for _, c := range clients {
		s := c.Stats
		refused += s.Refused
		fmt.Fprintf(w, "%-6s", c.Name)
		for i, n := range []int{s.Sent, s.Acked, s.BufferedDelivered, s.Resent, s.Returned, s.Lost, s.Reconnects} {
			fmt.Fprintf(w, "  %*d", len(head[i+1]), n)
		}
		fmt.Fprintln(w, "  "+finalState(c.Err))
	}
	if refused > 0 {
		fmt.Fprintf(w, "(%d messages were refused with ErrBufferFull: raise -buffer)\n", refused)
	}
}

// policyLines describes the demo's policy in two lines.
func policyLines(cfg config) string {
	p := cfg.policy
	var b strings.Builder
	fmt.Fprintf(&b, "policy: backoff %s -> %s (x%.1f, +-%.0f%% jitter), 1012 spread %s, 1013 floor %s, max attempts %s\n",
		round(p.Backoff.Initial), round(p.Backoff.Max), p.Backoff.Multiplier, p.Backoff.Jitter*100,
		round(p.RestartSpread), round(p.TryAgainLaterDelay), orUnlimited(p.MaxAttempts))
	fmt.Fprintf(&b, "        ping every %s (timeout %s), backoff resets after %s up, buffer %d messages, close %d = terminal",
		round(cfg.pingInterval), round(cfg.pingTimeout), round(cfg.minUptime), cfg.buffer, int(kickCode))
	return b.String()
}

// giveUp says which limit ended an outage, and by what figure.
func giveUp(e reconnect.Event) string {
	switch e.Limit {
	case reconnect.LimitMaxOutage:
		return fmt.Sprintf("%s of outage and the next wait of %s would pass MaxOutage (%s)",
			round(e.Duration), round(e.Delay), plural(e.Attempt, "failed attempt"))
	case reconnect.LimitMaxAttempts:
		return fmt.Sprintf("%s reached MaxAttempts (%s of outage)", plural(e.Attempt, "failed attempt"), round(e.Duration))
	}
	return fmt.Sprintf("the backoff stopped after %s and %s of outage", plural(e.Attempt, "failed attempt"), round(e.Duration))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func orUnlimited(n int) string {
	if n <= 0 {
		return "unlimited"
	}
	return fmt.Sprint(n)
}

// closeReason is the reason of the close frame behind err, if any.
func closeReason(err error) string {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return ""
}

var phrases = []string{"hi all", "anyone there?", "brb", "lunch at noon?", "ship it", "+1", "looks good", "on my way"}

func chatLine(name string, id uint64) string {
	return fmt.Sprintf("%s #%d: %s", name, id, phrases[int(id)%len(phrases)])
}

func idList(ids []uint64) string {
	s := make([]string, 0, len(ids))
	for i, id := range ids {
		if i == 6 {
			s = append(s, "...")
			break
		}
		s = append(s, fmt.Sprintf("#%d", id))
	}
	return strings.Join(s, " ")
}
