package fakeclock_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestTimers(t *testing.T) {
	start := time.Unix(1000, 0)
	c := fakeclock.New(start)
	t1 := c.NewTimer(2 * time.Second)
	fired := make(chan struct{})
	c.AfterFunc(time.Second, func() { close(fired) })
	t3 := c.NewTimer(3 * time.Second)
	if got, want := c.Pending(), []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}; !slices.Equal(got, want) {
		t.Fatalf("Pending = %v, want %v", got, want)
	}
	c.Advance(1500 * time.Millisecond)
	wstest.Wait(t, fired, "the 1 s AfterFunc")
	select {
	case <-t1.C():
		t.Fatal("2 s timer fired at 1.5 s")
	default:
	}
	if !t3.Stop() || t3.Stop() {
		t.Fatal("Stop should report true once, then false")
	}
	c.Advance(500 * time.Millisecond)
	if got := wstest.Wait(t, t1.C(), "the 2 s timer"); !got.Equal(start.Add(2 * time.Second)) {
		t.Fatalf("timer fired at %v", got)
	}
	if got := c.Pending(); len(got) != 0 {
		t.Fatalf("Pending after all fired = %v", got)
	}
	c.NewTimer(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !c.WaitTimer(ctx, time.Second) {
		t.Fatal("WaitTimer did not see the new timer")
	}
}

func TestWaitForSeesLaterTimer(t *testing.T) {
	c := fakeclock.New(time.Unix(0, 0))
	ready := make(chan bool)
	go func() { ready <- c.WaitTimer(context.Background(), 5*time.Second) }()
	c.NewTimer(5 * time.Second)
	if !<-ready {
		t.Fatal("WaitTimer returned false")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if c.WaitTimer(ctx, time.Hour) {
		t.Fatal("WaitTimer on a cancelled ctx returned true")
	}
}
