package reconnect

import (
	"context"
	"fmt"
)

// State is where a Conn is in its lifecycle:
//
//	Connecting --> Connected <--> Reconnecting
//	     |             |               |
//	     +-------------+---------------+--> Closed
type State int

const (
	// Connecting is the first connect, inside Dial.
	Connecting State = iota
	// Connected means a connection is up and OnConnect succeeded.
	Connected
	// Reconnecting covers an outage: waiting out a backoff or dialing.
	Reconnecting
	// Closed is final: the Conn will not connect again.
	Closed
)

// String returns "connecting", "connected", "reconnecting" or "closed".
func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Reconnecting:
		return "reconnecting"
	case Closed:
		return "closed"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// State returns the current state.
func (c *Conn) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// WaitForStateChange waits until the state differs from s or ctx ends, and
// reports whether it changed, like grpc's ClientConn.WaitForStateChange.
func (c *Conn) WaitForStateChange(ctx context.Context, s State) bool {
	for {
		c.mu.Lock()
		cur, ch := c.state, c.stateCh
		c.mu.Unlock()
		if cur != s {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// setState moves to s and wakes WaitForStateChange; c.mu must be held.
// No-op transitions are dropped.
func (c *Conn) setStateLocked(s State) {
	if c.state == s {
		return
	}
	c.state = s
	close(c.stateCh)
	c.stateCh = make(chan struct{})
}
