package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// timeline plays the scripted faults. Each fault starts at its share of
// the run's duration, but never before the previous one is over: delivery
// resumed for every client still running, and the connections stayed up
// for MinUptime so the backoff starts over. That is also what the tests
// check, without looking at a clock.
type timeline struct {
	cfg     config
	srv     *chatServer
	clients []*demoClient
	out     *renderer
	tracer  trace.Tracer
}

// fault is one scripted event.
type fault struct {
	at   float64 // share of the duration
	name string
	say  string
	do   func(ctx context.Context) error
	kick bool // the fault ends one client instead of interrupting all
}

// faultResult is what happened after a fault.
type faultResult struct {
	Name      string
	Recovered bool          // delivery resumed (or, for the kick, the client stopped as told)
	After     time.Duration // from the fault to recovery
	Note      string
}

func (t *timeline) faults() []fault {
	return []fault{
		{at: 0.12, name: "restart", say: fmt.Sprintf("server restart: close 1012 to everyone, no listener for %s", round(t.cfg.restartDown)),
			do: func(ctx context.Context) error { return t.srv.restart(ctx, t.cfg.restartDown) }},
		{at: 0.32, name: "overload", say: fmt.Sprintf("overload: close 1013 to everyone, then %s of HTTP 503 with Retry-After: %d", round(t.cfg.overloadFor), t.srv.retryAfter),
			do: func(ctx context.Context) error { return t.srv.overload(ctx, t.cfg.overloadFor) }},
		{at: 0.55, name: "tcp-drop", say: "network: every TCP connection dropped, no close frame",
			do: func(context.Context) error { t.srv.dropTCP(); return nil }},
		{at: 0.66, name: "silence", say: "server goes silent: reads nothing, answers no ping, closes nothing",
			do: func(context.Context) error { t.srv.silence(); return nil }},
		{at: 0.84, name: "kick", say: fmt.Sprintf("moderator kicks %s with close %d", kicked, int(kickCode)), kick: true,
			do: func(context.Context) error { t.srv.kick(kicked); return nil }},
	}
}

// run plays every fault, then waits until the end of the run's duration
// (minus a moment to collect the last acks).
func (t *timeline) run(ctx context.Context) []faultResult {
	start := time.Now()
	var results []faultResult
	for i, f := range t.faults() {
		if sleep(ctx, time.Until(start.Add(scale(t.cfg.duration, f.at)))) != nil {
			return results
		}
		t.out.line("", t.traffic())
		t.out.line("", fmt.Sprintf("== fault %d/5: %s ==", i+1, f.say))
		r := t.play(ctx, f)
		results = append(results, r)
		mark := "-> ok"
		if !r.Recovered {
			mark = "-> NOT OK"
		}
		t.out.line("", mark+": "+r.Note)
		if !f.kick && sleep(ctx, t.cfg.minUptime) != nil {
			return results
		}
	}
	sleep(ctx, time.Until(start.Add(scale(t.cfg.duration, 0.95)))) //nolint:errcheck // ending anyway
	return results
}

func (t *timeline) play(ctx context.Context, f fault) faultResult {
	ctx, span := t.tracer.Start(ctx, "chat.fault", trace.WithAttributes(attribute.String("chat.fault", f.name)))
	defer span.End()
	began := time.Now()
	live := t.running()
	before := make(map[*demoClient]snapshot, len(live))
	for _, c := range live {
		c.mu.Lock()
		before[c] = snapshot{gen: c.gen, st: c.st}
		c.mu.Unlock()
	}
	res := faultResult{Name: f.name}
	if err := f.do(ctx); err != nil {
		res.Note = "the fault failed: " + err.Error()
		span.SetStatus(codes.Error, res.Note)
		return res
	}
	wctx, cancel := context.WithTimeout(ctx, t.cfg.recoverCap)
	defer cancel()
	if f.kick {
		return t.waitKicked(wctx, res, began)
	}
	var late, ended []string
	for _, c := range live {
		if !c.waitDelivering(wctx, before[c].gen) {
			if c.conn.Err() != nil {
				ended = append(ended, c.name)
			} else {
				late = append(late, c.name)
			}
		}
	}
	res.After = time.Since(began)
	res.Recovered = len(late) == 0 && len(ended) < len(live)
	res.Note = recoveryNote(res.After, live, before, ended)
	if len(late) > 0 {
		res.Note = fmt.Sprintf("no delivery within %s for %s", round(t.cfg.recoverCap), strings.Join(late, ", "))
		span.SetStatus(codes.Error, res.Note)
	}
	return res
}

// snapshot is a client's state when a fault began.
type snapshot struct {
	gen uint64
	st  clientStats
}

// recoveryNote says how delivery resumed, with what the clients buffered
// and re-sent since the fault.
func recoveryNote(after time.Duration, live []*demoClient, before map[*demoClient]snapshot, ended []string) string {
	buffered, resent := 0, 0
	for _, c := range live {
		c.mu.Lock()
		buffered += c.st.BufferedDelivered - before[c].st.BufferedDelivered
		resent += c.st.Resent - before[c].st.Resent
		c.mu.Unlock()
	}
	note := fmt.Sprintf("delivery resumed %s after the fault; %d buffered messages delivered, %d lost in flight re-sent",
		round(after), buffered, resent)
	if len(ended) > 0 {
		note += "; ended meanwhile: " + strings.Join(ended, ", ")
	}
	return note
}

func (t *timeline) waitKicked(ctx context.Context, res faultResult, began time.Time) faultResult {
	for _, c := range t.clients {
		if c.name != kicked {
			continue
		}
		select {
		case <-c.conn.Done():
			res.After, res.Recovered = time.Since(began), true
			res.Note = fmt.Sprintf("%s stopped for good: %s", kicked, finalState(c.conn.Err()))
		case <-ctx.Done():
			res.Note = fmt.Sprintf("%s still running %s after the kick", kicked, round(t.cfg.recoverCap))
		}
	}
	return res
}

// traffic sums up the chat so far.
func (t *timeline) traffic() string {
	var sent, acked, received int
	for _, c := range t.clients {
		c.mu.Lock()
		sent, acked, received = sent+c.st.Sent, acked+c.st.Acked, received+c.st.Received
		c.mu.Unlock()
	}
	return fmt.Sprintf("chat so far: %d messages sent, %d acknowledged by the server, %d delivered to the other members", sent, acked, received)
}

// running returns the clients whose Conn has not ended.
func (t *timeline) running() []*demoClient {
	var live []*demoClient
	for _, c := range t.clients {
		if c.conn.Err() == nil {
			live = append(live, c)
		}
	}
	return live
}

func scale(d time.Duration, share float64) time.Duration {
	return time.Duration(float64(d) * share)
}
