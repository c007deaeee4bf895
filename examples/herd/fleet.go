package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// fleet is n reconnecting clients of one server.
type fleet struct {
	conns    []*reconnect.Conn
	attempts atomic.Int64 // dial attempts since reset
	refused  atomic.Int64 // attempts that got no HTTP response
}

// dialFleet connects n clients. minUptime is their Options.MinUptime.
func dialFleet(ctx context.Context, url string, n int, p policy.Policy, minUptime time.Duration) (*fleet, error) {
	f := &fleet{conns: make([]*reconnect.Conn, n)}
	obs := reconnect.ObserverFunc(func(e reconnect.Event) {
		switch {
		case e.Kind == reconnect.EventAttempt:
			f.attempts.Add(1)
		case e.Kind == reconnect.EventAttemptDone && e.Err != nil && e.Status == 0:
			f.refused.Add(1)
		}
	})
	opts := &reconnect.Options{Policy: p, MinUptime: minUptime, PingInterval: -1, Observer: obs}
	sem := make(chan struct{}, 32)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range f.conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := reconnect.Dial(ctx, url, opts)
			if err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
				return
			}
			f.conns[i] = c
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

func (f *fleet) resetCounts() {
	f.attempts.Store(0)
	f.refused.Store(0)
}

// close ends every client and waits for them.
func (f *fleet) close() {
	var wg sync.WaitGroup
	for _, c := range f.conns {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.CloseNow()
		}()
	}
	wg.Wait()
}
