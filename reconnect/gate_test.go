package reconnect

import (
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
	select {
	case <-inHook:
	case <-time.After(20 * time.Second):
		t.Fatal("the reader did not enter OnMessage")
	}
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
