package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
)

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of the
// showcase's goroutines.
type lockedBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	grew chan struct{} // a token after each Write, for waitFor
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.growth() <- struct{}{}:
	default:
	}
	return b.b.Write(p)
}

// grown returns a channel that holds a token once the buffer has grown
// since the token was last taken.
func (b *lockedBuffer) grown() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.growth()
}

// growth makes grew on first use; b.mu must be held.
func (b *lockedBuffer) growth() chan struct{} {
	if b.grew == nil {
		b.grew = make(chan struct{}, 1)
	}
	return b.grew
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor waits until out contains want, woken by each write to it and
// bounded by wstest.Guard.
func waitFor(t *testing.T, out *lockedBuffer, want string) {
	t.Helper()
	guard := time.NewTimer(wstest.Guard)
	defer guard.Stop()
	for !strings.Contains(out.String(), want) {
		select {
		case <-out.grown():
		case <-guard.C:
			t.Fatalf("no %q within %v; output:\n%s", want, wstest.Guard, out.String())
		}
	}
}
