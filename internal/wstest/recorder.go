package wstest

import (
	"sync"
	"testing"
	"time"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Recorder is a reconnect.Observer that keeps every event and lets a test
// wait for the next one of a kind. With a Clock and AutoAdvance, it moves
// the fake clock over every wait between attempts, so retries run at once
// while event times still show the waits.
type Recorder struct {
	Clock       *fakeclock.Clock
	AutoAdvance bool

	mu  sync.Mutex
	all []reconnect.Event
	ch  chan reconnect.Event
}

// NewRecorder returns a Recorder; clock may be nil.
func NewRecorder(clock *fakeclock.Clock, autoAdvance bool) *Recorder {
	return &Recorder{Clock: clock, AutoAdvance: autoAdvance, ch: make(chan reconnect.Event, 4096)}
}

// OnEvent records e.
func (r *Recorder) OnEvent(e reconnect.Event) {
	r.mu.Lock()
	r.all = append(r.all, e)
	r.mu.Unlock()
	r.ch <- e
	if r.AutoAdvance && r.Clock != nil && e.Kind == reconnect.EventWaiting {
		r.Clock.Advance(e.Delay)
	}
}

// Events returns a copy of every event so far.
func (r *Recorder) Events() []reconnect.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]reconnect.Event(nil), r.all...)
}

// Count returns how many events of kind were recorded.
func (r *Recorder) Count(kind reconnect.EventKind) int {
	n := 0
	for _, e := range r.Events() {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// Next returns the next event of one of kinds, skipping others. It fails
// the test if none comes within a generous real-time guard, which only
// trips on a hang.
func (r *Recorder) Next(t testing.TB, kinds ...reconnect.EventKind) reconnect.Event {
	t.Helper()
	guard := time.NewTimer(Guard)
	defer guard.Stop()
	for {
		select {
		case e := <-r.ch:
			for _, k := range kinds {
				if e.Kind == k {
					return e
				}
			}
		case <-guard.C:
			t.Fatalf("no %v event; got %v", kinds, Kinds(r.Events()))
			return reconnect.Event{}
		}
	}
}

// Kinds lists the kinds of events, for failure messages.
func Kinds(events []reconnect.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Kind.String()
	}
	return out
}
