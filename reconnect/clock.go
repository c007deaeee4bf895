package reconnect

import "time"

// Clock is the time source of a Conn: event times, uptime, backoff waits,
// attempt timeouts and the heartbeat all go through it, so tests can drive
// a Conn with a fake clock. The methods must be safe for concurrent use.
//
// It stays beside testing/synctest because a synctest bubble's clock
// stands still while a goroutine reads a real socket, and a Conn always
// has one reading: tests against a real server (as this module's own are)
// need a clock that moves on the test's word. See "Testing with time" in
// the package documentation.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that sends on C after d.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f in its own goroutine after d. The Timer's C is nil.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is the part of *time.Timer a Conn uses.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// SystemClock is the real clock; it is the default Options.Clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer wraps time.NewTimer.
func (SystemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

// AfterFunc wraps time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) Timer {
	return sysTimer{time.AfterFunc(d, f)}
}

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time { return t.t.C }
func (t sysTimer) Stop() bool          { return t.t.Stop() }
