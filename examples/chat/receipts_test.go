package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
)

// TestReceipts: a -url -receipts client gets a receipt for a line sent
// while connected, and for a line typed while the server restarts, once
// the server has it; the other member sees the first line once.
func TestReceipts(t *testing.T) {
	srv := newChatServer()
	joined := make(chan string, 8)
	srv.logf = func(format string, a ...any) { // the server adds a member after the handshake
		if strings.HasSuffix(format, "joined from %s") {
			select {
			case joined <- a[0].(string):
			default: // rejoins after the restart are not waited for
			}
		}
	}
	if err := srv.listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.shutdown(1001, "test over")
	cfg := shortConfig(t)
	cfg.url, cfg.name, cfg.receipts, cfg.logJSON = srv.URL(), "ann", true, false
	in, typing := io.Pipe()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- runClient(context.Background(), cfg, in, &stdout, &stderr) }()

	watcher := cfg
	watcher.name, watcher.receipts = "bob", false
	seenIn, seenW := io.Pipe()
	var bobOut, bobErr lockedBuffer
	bobDone := make(chan int, 1)
	go func() { bobDone <- runClient(context.Background(), watcher, seenIn, &bobOut, &bobErr) }()
	waitFor(t, &bobErr, "connected")
	for who := ""; who != "bob"; {
		who = wstest.Wait(t, joined, "bob to join at the server")
	}

	io.WriteString(typing, "hello\n")
	waitFor(t, &stderr, "line 1 delivered: hello")

	restarted := make(chan error, 1)
	go func() { restarted <- srv.restart(context.Background(), time.Second) }()
	waitFor(t, &stderr, "disconnected")
	io.WriteString(typing, "typed during the outage\n")
	waitFor(t, &stderr, "line 2 queued while offline")
	waitFor(t, &stderr, "line 2 delivered: typed during the outage")
	if err := wstest.Wait(t, restarted, "the server's restart"); err != nil {
		t.Fatal(err)
	}
	if !srv.hasReceived("ann (envelope)", 2) {
		t.Error("line 2 acked, but the server has no record of it")
	}
	typing.Close()
	seenW.Close()
	for _, ch := range []chan int{done, bobDone} {
		select {
		case code := <-ch:
			if code != 0 {
				t.Errorf("client exit status %d, want 0; stderr:\n%s", code, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a client did not end 10 s after its stdin closed")
		}
	}
	if n := strings.Count(bobOut.String(), "ann: hello\n"); n != 1 {
		t.Errorf("bob saw ann's first line %d times, want once:\n%s", n, bobOut.String())
	}
}
