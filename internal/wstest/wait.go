package wstest

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Wait returns the next value from ch, or fails the test naming what it
// waited for if none comes within Guard: a regression fails the suite
// instead of hanging it.
func Wait[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	v, _ := WaitOK(t, ch, what)
	return v
}

// WaitOK is Wait that also reports whether ch was still open.
func WaitOK[T any](t testing.TB, ch <-chan T, what string) (T, bool) {
	t.Helper()
	guard := time.NewTimer(Guard)
	defer guard.Stop()
	select {
	case v, ok := <-ch:
		return v, ok
	case <-guard.C:
		t.Fatalf("waited %v for %s", Guard, what)
		var zero T
		return zero, false
	}
}

// WaitGroup waits for wg, failing the test naming what it waited for if it
// has not finished within Guard.
func WaitGroup(t testing.TB, wg *sync.WaitGroup, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	Wait(t, done, what)
}

// Context returns a context that ends after Guard or when the test ends,
// for calls that would otherwise wait forever.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), Guard)
	t.Cleanup(cancel)
	return ctx
}
