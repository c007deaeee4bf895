package reconnect

import (
	"sync/atomic"
	"testing"
	"time"
)

// Close waits for the Conn's goroutines but not for a reader inside
// OnMessage, which stays counted busy. When another goroutine finishes
// after Close began waiting, the count drops to the reader alone, not to
// zero: Close must still return.
func TestWaitQuietWithTheReaderInOnMessage(t *testing.T) {
	g := newGate()
	inHook, release := make(chan struct{}), make(chan struct{})
	g.spawn(func() { // the reader, inside OnMessage
		g.onMessage.Add(1)
		close(inHook)
		<-release
		g.onMessage.Add(1)
	})
	other := make(chan struct{})
	g.spawn(func() { <-other }) // library code still at work when Close starts
	<-inHook
	g.waiting = func() { // waitQuiet is about to block: now the other ends
		select {
		case <-other:
		default:
			go close(other)
		}
	}
	quiet := make(chan struct{})
	go func() { g.waitQuiet(); close(quiet) }()
	select {
	case <-quiet:
	case <-time.After(20 * time.Second):
		t.Fatal("waitQuiet did not return with only the reader, inside OnMessage, left")
	}
	close(release)
	g.finish()
}

// Two Closes can wait at once (the application's, and one from a hook
// such as OnFate while the Conn ends): the one wake-up of the last busy
// goroutine must reach both.
func TestWaitQuietWakesEveryWaiter(t *testing.T) {
	g := newGate()
	busy := make(chan struct{})
	g.spawn(func() { <-busy })
	var blocked atomic.Int32
	g.waiting = func() { // both are about to block: now the busy one ends
		if blocked.Add(1) == 2 {
			close(busy)
		}
	}
	quiet := make(chan struct{}, 2)
	for range 2 {
		go func() { g.waitQuiet(); quiet <- struct{}{} }()
	}
	for i := range 2 {
		select {
		case <-quiet:
		case <-time.After(20 * time.Second):
			t.Fatalf("waiter %d of 2 did not return from waitQuiet", i+1)
		}
	}
	g.finish()
}
