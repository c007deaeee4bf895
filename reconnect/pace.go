package reconnect

import (
	"context"
	"time"
)

// Pacing: two application-supplied budgets a Conn waits for. DialBudget
// is shared by the attempts of many Conns (a herd reconnecting at once);
// WritePacer spaces the messages one Conn writes.

// Limiter is a shared budget: Wait blocks until one more use is allowed,
// or ctx ends. *rate.Limiter from golang.org/x/time/rate satisfies it.
type Limiter interface {
	Wait(ctx context.Context) error
}

// budget waits for Options.DialBudget and returns how long it took. It is
// no part of the attempt's DialTimeout and no failure; a Conn that closes
// meanwhile ends the wait.
func (c *Conn) budget() (time.Duration, error) {
	lim := c.opts.DialBudget
	if lim == nil {
		return 0, nil
	}
	start := time.Now() // the real clock: a Limiter waits in real time
	var err error
	if p := c.callHook("DialBudget", func() { err = lim.Wait(c.ctx) }); p != nil {
		c.fail(p)
		return time.Since(start), p
	}
	return time.Since(start), err
}

// pace waits for Options.WritePacer before a message goes out.
func (c *Conn) pace(ctx context.Context) error {
	if p := c.opts.WritePacer; p != nil {
		return p.Wait(ctx)
	}
	return nil
}

// paceFlush is pace on the Conn's own flush goroutine: there the pacer
// is a hook, which Close does not wait for and whose panic ends the Conn.
func (c *Conn) paceFlush() error {
	if c.opts.WritePacer == nil {
		return nil // no hook, and no closure per flushed message
	}
	var err error
	if p := c.callHook("WritePacer", func() { err = c.pace(c.ctx) }); p != nil {
		c.fail(p)
		return p
	}
	return err
}
