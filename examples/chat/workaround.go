package main

import "time"

// WORKAROUND for a reconnect bug (reported in /work/notes/bugs.md, "close
// of closed channel"): when Conn.Write fails on a connection that is
// ending, the Conn's "writable" signal is cleared without being re-armed,
// and the next connection panics in makeWritableLocked. A chaos demo
// writes into dying connections all the time, so the timeline pauses each
// client's sending from just before a fault it injects until the client
// has seen its connection end. Writes made after that go to the send
// buffer as before; only the microseconds in which a Write could fail are
// skipped. Delete this file, the held field and its two uses once the
// library is fixed.

// hold pauses sending until the current connection ends; the returned
// channel is closed when it does.
func (c *demoClient) hold() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.releaseLocked()
	c.held = make(chan struct{})
	return c.held
}

// release resumes sending.
func (c *demoClient) release() {
	c.mu.Lock()
	c.releaseLocked()
	c.mu.Unlock()
}

func (c *demoClient) releaseLocked() {
	if c.held != nil {
		close(c.held)
		c.held = nil
	}
}

// holdAll pauses every client in live and returns a func that waits until
// each has seen its connection end (at most limit each) and resumes them.
func holdAll(live []*demoClient, limit time.Duration) (resume func()) {
	downs := make([]<-chan struct{}, len(live))
	for i, c := range live {
		downs[i] = c.hold()
	}
	return func() {
		for i, c := range live {
			t := time.NewTimer(limit)
			select {
			case <-downs[i]:
			case <-t.C:
			}
			t.Stop()
			c.release()
		}
	}
}
