package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/coder/websocket"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// The showcase's cast. dave gets kicked with 4001; erin is impatient: her
// policy gives up after an outage of cfg.giveUpAfter, which the overload
// window outlasts.
const (
	kicked    = "dave"
	impatient = "erin"
)

var cast = []string{"alice", "bob", "carol", kicked, impatient}

// clientResult is one row of the summary.
type clientResult struct {
	Name  string
	Stats clientStats
	Err   error // the Conn's final error
	// Unreceived counts acknowledged messages the server has no record
	// of: it must be 0.
	Unreceived int
}

// report is what a showcase run observed; tests check it.
type report struct {
	Clients []clientResult
	Faults  []faultResult
}

// showcase runs the embedded server, the clients and the timeline, then
// prints the summary and the span tree.
func showcase(ctx context.Context, cfg config, stdout, stderr io.Writer) (*report, error) {
	spans, err := newSpanSink(cfg.trace)
	if err != nil {
		return nil, err
	}
	ctx, root := spans.tracer().Start(ctx, "chat.run", trace.WithAttributes(attribute.Int("chat.clients", len(cast))))
	rep, err := play(ctx, cfg, newRenderer(stdout), stderr, spans)
	root.End()
	if serr := spans.shutdown(context.Background()); err == nil && serr != nil {
		err = fmt.Errorf("failed to write the spans: %w", serr)
	}
	if err != nil {
		return rep, err
	}
	fmt.Fprintln(stdout)
	spans.summary(stdout)
	fmt.Fprint(stdout, "\nNext: -log json for one JSON object per event on stderr; -serve and -url to run the server and\n"+
		"clients in separate terminals and kill the server yourself (examples/chat/README.md).\n")
	return rep, nil
}

// play runs the server, the clients and the timeline, and prints the
// summary table.
func play(ctx context.Context, cfg config, out *renderer, stderr io.Writer, spans *spanSink) (*report, error) {
	srv := newChatServer()
	if err := srv.listen("127.0.0.1:0"); err != nil {
		return nil, err
	}
	out.printf("wsreconnect chat demo: an embedded chat server, %d clients, %s of scripted faults.\n", len(cast), cfg.duration)
	out.printf("%s\n", policyLines(cfg))
	out.printf("%s is impatient (Policy.MaxOutage %s); %s will be kicked with %d, which this policy marks terminal.\n",
		impatient, round(cfg.giveUpAfter), kicked, int(kickCode))
	out.printf("server %s; spans go to %s\n\n", srv.URL(), spans.where())

	var jl *jsonLogger
	if cfg.logJSON {
		jl = newJSONLogger(stderr)
	}
	clients, err := dialCast(ctx, cfg, srv.URL(), out, jl, spans)
	if err != nil {
		srv.shutdown(websocket.StatusGoingAway, "demo failed")
		return nil, err
	}
	stop := make(chan struct{})
	var readers, senders sync.WaitGroup
	for _, c := range clients {
		readers.Go(c.readLoop)
		senders.Go(func() { c.sendLoop(stop, cfg.sendEvery) })
	}
	tl := &timeline{cfg: cfg, srv: srv, clients: clients, out: out, tracer: spans.tracer()}
	rep := &report{Faults: tl.run(ctx)}

	windDown(ctx, clients, stop, &senders, &readers, out)
	srv.shutdown(websocket.StatusGoingAway, "demo over")

	for _, c := range clients {
		r := clientResult{Name: c.name, Stats: c.settle(), Err: c.conn.Err()}
		for _, id := range c.ackedIDs() {
			if !srv.hasReceived(c.name, id) {
				r.Unreceived++
			}
		}
		rep.Clients = append(rep.Clients, r)
	}
	out.printf("\n")
	summary(out.w, rep.Clients)
	return rep, ctx.Err()
}

// windDown stops the chat, collects the last acks and closes every client.
func windDown(ctx context.Context, clients []*demoClient, stop chan struct{}, senders, readers *sync.WaitGroup, out *renderer) {
	close(stop)
	senders.Wait() // no Write in progress: Sent is final
	drainCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	for _, c := range clients {
		c.waitAllAcked(drainCtx)
	}
	out.line("", "== end: every client closes with 1000 ==")
	for _, c := range clients {
		c.conn.Close(websocket.StatusNormalClosure, "demo over") //nolint:errcheck // an ended Conn says so in Err
	}
	readers.Wait()
}

// dialCast connects every member of the cast.
func dialCast(ctx context.Context, cfg config, url string, out *renderer, jl *jsonLogger, spans *spanSink) ([]*demoClient, error) {
	var clients []*demoClient
	fail := func(err error) ([]*demoClient, error) {
		for _, c := range clients {
			c.conn.CloseNow() //nolint:errcheck // failing anyway
		}
		return nil, err
	}
	for _, name := range cast {
		c := newDemoClient(name, out)
		opts := clientOptions(cfg, name)
		if name == impatient {
			opts.Policy.MaxOutage = cfg.giveUpAfter
		}
		var jsonObs reconnect.Observer
		if jl != nil {
			jsonObs = jl.observer(name)
		}
		opts.Observer = reconnect.Observers(c, out.observer(name), jsonObs, spans.observer())
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		conn, err := reconnect.Dial(dctx, url, opts)
		cancel()
		if err != nil {
			return fail(fmt.Errorf("failed to connect %s: %w", name, err))
		}
		c.conn = conn
		clients = append(clients, c)
	}
	return clients, nil
}

// clientOptions are the reconnect.Options the flags describe.
func clientOptions(cfg config, name string) *reconnect.Options {
	h := cfg.headers.Clone()
	if name != "" {
		h.Set("X-Chat-Name", name)
	}
	return &reconnect.Options{
		DialOptions:    &websocket.DialOptions{HTTPHeader: h},
		Policy:         cfg.policy,
		MinUptime:      cfg.minUptime,
		PingInterval:   cfg.pingInterval,
		PingTimeout:    cfg.pingTimeout,
		SendMode:       reconnect.SendBuffer,
		BufferMessages: cfg.buffer,
	}
}

// problems lists what the showcase expected and did not see: delivery
// resumed after every fault, the kicked client stopped with its code, the
// others were closed by the app, no acknowledged message went missing and
// the clients that stayed lost nothing.
func (r *report) problems() []string {
	var p []string
	for _, f := range r.Faults {
		if !f.Recovered {
			p = append(p, fmt.Sprintf("fault %q: %s", f.Name, f.Note))
		}
	}
	for _, c := range r.Clients {
		if c.Unreceived > 0 {
			p = append(p, fmt.Sprintf("%s: %d acknowledged messages the server never got", c.Name, c.Unreceived))
		}
		switch c.Name {
		case kicked:
			if websocket.CloseStatus(c.Err) != kickCode || !errors.Is(c.Err, reconnect.ErrTerminal) {
				p = append(p, fmt.Sprintf("%s: want terminal %d, got %v", c.Name, int(kickCode), c.Err))
			}
		case impatient:
			// Gave up or closed: either way nothing may vanish.
		default:
			if !errors.Is(c.Err, net.ErrClosed) {
				p = append(p, fmt.Sprintf("%s: want closed by the app, got %v", c.Name, c.Err))
			}
			if c.Stats.Lost > 0 {
				p = append(p, fmt.Sprintf("%s: %d messages neither acknowledged nor returned", c.Name, c.Stats.Lost))
			}
		}
	}
	return p
}
