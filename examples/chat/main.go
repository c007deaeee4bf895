// Command chat shows what wsreconnect does, in about 20 seconds.
//
// With no flags it runs the showcase: an embedded chat server, five
// clients, and a scripted series of faults (a restart announced with 1012,
// an overload answered with 503 and Retry-After, TCP connections dropped
// without a close frame, a server that goes silent, a client kicked with
// an application close code). Each reconnect is printed as it happens and
// a table per client ends the run.
//
//	go run ./examples/chat                      # the showcase
//	go run ./examples/chat -serve :8080         # the chat server alone
//	go run ./examples/chat -url ws://localhost:8080/chat -name ann
//	go run ./examples/chat -url wss://example.com/connection/websocket -preset centrifugo
//
// A -url client follows the library's defaults for application close codes
// (3000-4999: every one stops) unless -preset, -retry-codes or -stop-codes
// say otherwise; the showcase uses the chat's own (4001 stops, the rest of
// 4000-4499 retries).
//
// Exit status: 0 after a clean close, 1 when a connection ended as
// terminal or gave up (or the showcase saw something unexpected), 2 on bad
// flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/wsreconnect/wsreconnect/policy"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// config is everything the flags set, plus the showcase's fault timings
// (which tests shorten).
type config struct {
	duration time.Duration
	serve    string
	url      string
	name     string
	headers  http.Header
	logJSON  bool
	receipts bool // -url: lines are tracked sends in the JSON envelope
	trace    string

	policy       policy.Policy
	minUptime    time.Duration
	pingInterval time.Duration
	pingTimeout  time.Duration
	buffer       int

	sendEvery   time.Duration // one chat message per client per tick
	restartDown time.Duration // how long the restarting server refuses dials
	overloadFor time.Duration // how long the server answers 503
	giveUpAfter time.Duration // the impatient client's MaxOutage
	recoverCap  time.Duration // how long the timeline waits for delivery to resume
}

// headerFlag collects repeated -header "K: V" flags.
type headerFlag struct{ h http.Header }

func (f headerFlag) String() string { return "" }

func (f headerFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return errors.New(`want "Key: Value"`)
	}
	f.h.Add(strings.TrimSpace(k), strings.TrimSpace(val))
	return nil
}

// parseFlags returns the config, or an error already printed with usage.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := config{headers: http.Header{}}
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "showcase: how long the scripted run lasts")
	fs.StringVar(&cfg.trace, "trace", "", "showcase: write spans to this file as JSON (default: none, the tree at the end only)")
	fs.StringVar(&cfg.serve, "serve", "", "run the chat server alone on `ADDR`, e.g. :8080")
	fs.StringVar(&cfg.url, "url", "", "run one client against `URL`: stdin lines are sent, messages printed")
	fs.StringVar(&cfg.name, "name", "", "client: your name in the chat (sent as X-Chat-Name)")
	fs.BoolVar(&cfg.receipts, "receipts", false, "client: send lines as tracked messages in the JSON envelope ({\"id\":N,...} acked by {\"ack\":N}) and print a receipt for each")
	fs.Var(headerFlag{cfg.headers}, "header", "client: add an HTTP header to the handshake, `\"K: V\"` (repeatable)")
	logFormat := fs.String("log", "text", "lifecycle events on stderr: text, or json (one object per event)")
	initial := fs.Duration("initial-backoff", 200*time.Millisecond, "first backoff interval")
	maxBackoff := fs.Duration("max-backoff", 2*time.Second, "backoff cap (jitter is applied after it)")
	fs.IntVar(&cfg.policy.MaxAttempts, "max-attempts", 0, "give up after this many failed attempts in one outage (0: never)")
	fs.DurationVar(&cfg.minUptime, "min-uptime", time.Second, "uptime after which the backoff starts over")
	fs.DurationVar(&cfg.pingInterval, "ping-interval", time.Second, "heartbeat interval (negative: off)")
	fs.DurationVar(&cfg.pingTimeout, "ping-timeout", time.Second, "how long to wait for a pong")
	fs.IntVar(&cfg.buffer, "buffer", 64, "messages buffered while disconnected")
	fs.BoolVar(&cfg.policy.RetryNormalClosure, "retry-1000", false, "treat a 1000 close as retryable (proxies that close 1000 on restart)")
	preset := fs.String("preset", "none", "client: start from the application close code rules of `PRESET`: none (every code 3000-4999 stops), centrifugo or graphql-ws")
	var retryCodes, stopCodes codeList
	fs.Var(&retryCodes, "retry-codes", "client: application close `CODES` that reconnect, on top of -preset, e.g. 4000-4499,3001 (repeatable)")
	fs.Var(&stopCodes, "stop-codes", "client: application close `CODES` that end the client, on top of -preset; they win over -retry-codes (repeatable)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	bad := func(format string, a ...any) (config, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintln(stderr, "chat:", err)
		fs.Usage()
		return cfg, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case cfg.url == "" && (set["preset"] || set["retry-codes"] || set["stop-codes"]):
		return bad("-preset, -retry-codes and -stop-codes are for a -url client; the showcase uses the chat's own codes")
	case presets[*preset] == nil:
		return bad("-preset must be none, centrifugo or graphql-ws, not %q", *preset)
	case cfg.serve != "" && cfg.url != "":
		return bad("-serve and -url are different modes: pick one")
	case *logFormat != "text" && *logFormat != "json":
		return bad("-log must be text or json, not %q", *logFormat)
	case cfg.duration < time.Second:
		return bad("-duration must be at least 1s")
	case *initial <= 0 || *maxBackoff < *initial:
		return bad("want 0 < -initial-backoff <= -max-backoff")
	case cfg.buffer < 1 || cfg.minUptime < 0 || cfg.pingTimeout <= 0 || cfg.policy.MaxAttempts < 0:
		return bad("-buffer must be at least 1; -min-uptime, -ping-timeout and -max-attempts must not be negative")
	}
	cfg.logJSON = *logFormat == "json"
	cfg.policy = demoPolicy(cfg.policy, *initial, *maxBackoff)
	cfg.policy.App = chatRules()
	if cfg.url != "" {
		cfg.policy.App = clientRules(presets[*preset](), retryCodes, stopCodes)
	}
	cfg.sendEvery = 400 * time.Millisecond
	cfg.restartDown = time.Second
	cfg.overloadFor = 2500 * time.Millisecond
	cfg.giveUpAfter = 1800 * time.Millisecond
	cfg.recoverCap = 10 * time.Second
	return cfg, nil
}

// demoPolicy is the default policy with waits short enough for a 20-second
// run. Application codes are set apart: the showcase uses the chat's own
// (chatRules), a -url client the library's default or what its flags say
// (clientRules).
func demoPolicy(p policy.Policy, initial, maxBackoff time.Duration) policy.Policy {
	p.Backoff = policy.Backoff{Initial: initial, Max: maxBackoff, Multiplier: 1.5, Jitter: 0.5}
	p.RestartSpread = 1500 * time.Millisecond
	p.TryAgainLaterDelay = time.Second
	d := policy.Default()
	p.MaxRetryAfter, p.FloorJitter = d.MaxRetryAfter, d.FloorJitter
	return p
}

// run is main without the process: tests call it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch {
	case cfg.serve != "":
		return runServer(ctx, cfg, stdout, stderr)
	case cfg.url != "":
		return runClient(ctx, cfg, stdin, stdout, stderr)
	}
	rep, err := showcase(ctx, cfg, stdout, stderr)
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "\nchat: interrupted")
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "chat:", err)
		return 1
	}
	if problems := rep.problems(); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stdout, "UNEXPECTED:", p)
		}
		return 1
	}
	return 0
}
