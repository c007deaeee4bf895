package redisbudget_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/redisbudget"
	"github.com/wsreconnect/wsreconnect/redisbudget/internal/redistest"
)

// TestFallbackLocal: with Redis down, Wait uses this process's share,
// starting empty, and asks Redis again only after Probe.
func TestFallbackLocal(t *testing.T) {
	clk := fakeclock.New(start())
	var ev events
	l, err := redisbudget.New(redisbudget.Options{URL: "redis://" + deadPort(t), Key: t.Name(), Clock: clk,
		Timeout: callTimeout, Rate: 10, Period: time.Second, Burst: 8, Processes: 4, Probe: 5 * time.Second,
		Observe: ev.observe})
	if err != nil {
		t.Fatalf("%s: New: %v", t.Name(), err)
	}
	defer l.Close()
	for i := range 3 {
		ch := waitAsync(context.Background(), l)
		if d := pending(t, clk, "the local share"); d != 400*time.Millisecond {
			t.Errorf("%s: local wait %d sleeps %v; want 400ms (10/s shared by 4, starting empty)", t.Name(), i, d)
		}
		clk.Advance(400 * time.Millisecond)
		if err := result(t, ch, "a local wait"); err != nil {
			t.Fatalf("%s: local wait %d: %v", t.Name(), i, err)
		}
	}
	if n := ev.count(redisbudget.EventRedisError); n != 1 {
		t.Errorf("%s: %d Redis errors before Probe passed; want 1 (no asking while in the fallback)", t.Name(), n)
	}
	if n := ev.count(redisbudget.EventFallback); n != 1 {
		t.Errorf("%s: %d switches to the fallback; want 1", t.Name(), n)
	}
	clk.Advance(5 * time.Second)
	if err := l.Wait(context.Background()); err != nil { // a full local bucket after the quiet 5 s
		t.Fatalf("%s: Wait after Probe: %v", t.Name(), err)
	}
	if n := ev.count(redisbudget.EventRedisError); n != 2 {
		t.Errorf("%s: %d Redis errors after Probe passed; want 2 (one more ask)", t.Name(), n)
	}
	for _, e := range ev.list() {
		if e.Kind == redisbudget.EventWait && e.Err == nil && e.Source != redisbudget.SourceLocal {
			t.Errorf("%s: a wait went through %v with Redis down", t.Name(), e.Source)
		}
	}
}

// TestFallbackClosed: with Redis down, Wait refuses with ErrUnavailable.
func TestFallbackClosed(t *testing.T) {
	l, err := redisbudget.New(redisbudget.Options{URL: "redis://" + deadPort(t), Key: t.Name(),
		Rate: 10, Fallback: redisbudget.FallbackClosed})
	if err != nil {
		t.Fatalf("%s: New: %v", t.Name(), err)
	}
	defer l.Close()
	for i := range 2 {
		if err := l.Wait(context.Background()); !errors.Is(err, redisbudget.ErrUnavailable) {
			t.Errorf("%s: Wait %d with Redis down = %v; want ErrUnavailable", t.Name(), i, err)
		}
	}
}

// TestSlowRedis: a Redis that accepts and never answers costs Timeout,
// then the fallback.
func TestSlowRedis(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("%s: listen: %v", t.Name(), err)
	}
	defer ln.Close()
	go func() { // accept and hold: a Redis that hangs
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	clk := fakeclock.New(start())
	var ev events
	l, err := redisbudget.New(redisbudget.Options{URL: "redis://" + ln.Addr().String(), Key: t.Name(), Clock: clk,
		Timeout: callTimeout, Rate: 1, Fallback: redisbudget.FallbackClosed, Observe: ev.observe})
	if err != nil {
		t.Fatalf("%s: New: %v", t.Name(), err)
	}
	defer l.Close()
	ch := waitAsync(context.Background(), l)
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	if !clk.WaitTimer(ctx, callTimeout) {
		t.Fatalf("%s: no Timeout timer within %v", t.Name(), bound)
	}
	clk.Advance(callTimeout)
	if err := result(t, ch, "a Wait on a hung Redis"); !errors.Is(err, redisbudget.ErrUnavailable) {
		t.Errorf("%s: Wait on a hung Redis = %v; want ErrUnavailable", t.Name(), err)
	}
	for _, e := range ev.list() {
		if e.Kind == redisbudget.EventRedisError && !errors.Is(e.Err, redisbudget.ErrTimeout) {
			t.Errorf("%s: Redis error %v; want ErrTimeout", t.Name(), e.Err)
		}
	}
	if ev.count(redisbudget.EventRedisError) != 1 {
		t.Errorf("%s: %d Redis errors; want 1", t.Name(), ev.count(redisbudget.EventRedisError))
	}
}

// TestReturnWithoutBurst: back from the fallback, a restarted Redis
// allows an even pace for one Period, not the burst again.
func TestReturnWithoutBurst(t *testing.T) {
	srv := redistest.Start(t)
	clk := fakeclock.New(start())
	var ev events
	opts := redisbudget.Options{URL: srv.URL(), Key: t.Name(), Clock: clk, Timeout: callTimeout,
		Rate: 1, Period: time.Hour, Burst: 5, Probe: time.Minute, Observe: ev.observe}
	l, err := redisbudget.New(opts)
	if err != nil {
		t.Fatalf("%s: New: %v", t.Name(), err)
	}
	defer l.Close()
	srv.Kill()
	ch := waitAsync(context.Background(), l) // falls back: the local share starts empty
	pending(t, clk, "the local share")
	srv.Restart()
	clk.Advance(time.Hour)
	if err := result(t, ch, "the local wait"); err != nil {
		t.Fatalf("%s: local wait: %v", t.Name(), err)
	}
	if err := l.Wait(context.Background()); err != nil { // Probe has passed: asks the restarted Redis
		t.Fatalf("%s: first Wait back on Redis: %v", t.Name(), err)
	}
	if ev.count(redisbudget.EventRecovered) != 1 {
		t.Fatalf("%s: no EventRecovered after Redis came back: %v", t.Name(), ev.list())
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch = waitAsync(ctx, l)
	if d := pending(t, clk, "the second wait back on Redis"); d <= 0 {
		t.Errorf("%s: second Wait sleeps %v; want a retry-after: no burst on return", t.Name(), d)
	}
	cancel()
	if err := result(t, ch, "the cancelled wait"); !errors.Is(err, context.Canceled) {
		t.Errorf("%s: cancelled Wait = %v", t.Name(), err)
	}
}

// TestSecrets: the URL's password reaches no error and no Event.
func TestSecrets(t *testing.T) {
	srv := redistest.Start(t, "--requirepass", "another-pw")
	const secret = "s3cr3t-pw"
	tests := []struct{ name, url string }{
		{"bad port", "redis://user:" + secret + "@127.0.0.1:99999999/0"},
		{"bad scheme", "htp://user:" + secret + "@127.0.0.1/0"},
		{"bad escape", "redis://user:" + secret + "%zz@127.0.0.1/0"},
		{"refused", "redis://:" + secret + "@" + deadPort(t) + "/0"},
		{"wrong password", "redis://default:" + secret + "@" + srv.Addr() + "/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev events
			l, err := redisbudget.New(redisbudget.Options{URL: tt.url, Key: "k", Rate: 1,
				Fallback: redisbudget.FallbackClosed, Observe: ev.observe})
			var texts []string
			if err != nil {
				texts = append(texts, err.Error())
			} else {
				defer l.Close()
				err := l.Wait(context.Background())
				if err == nil {
					t.Fatalf("%s: Wait succeeded through %s", t.Name(), tt.name)
				}
				texts = append(texts, err.Error())
				for _, e := range ev.list() {
					if e.Err != nil {
						texts = append(texts, e.Err.Error())
					}
				}
			}
			for _, s := range texts {
				if strings.Contains(s, secret) {
					t.Errorf("%s: the password leaked: %q", t.Name(), s)
				}
			}
			t.Logf("%s: %q", t.Name(), texts)
		})
	}
}
