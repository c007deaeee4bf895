package hub

import (
	"context"
	"fmt"
	"sync"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Fleet dials n Conns to url, each with the options opts(i) returns,
// 64 at a time, and returns them; on an error it closes those it has.
func Fleet(ctx context.Context, url string, n int, opts func(i int) *reconnect.Options) ([]*reconnect.Conn, error) {
	conns := make([]*reconnect.Conn, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := reconnect.Dial(ctx, url, opts(i))
			if err != nil {
				errs <- fmt.Errorf("failed to dial Conn %d: %w", i, err)
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		CloseFleet(conns)
		return nil, err
	}
	return conns, nil
}

// CloseFleet closes every Conn and waits for them.
func CloseFleet(conns []*reconnect.Conn) {
	var wg sync.WaitGroup
	for _, c := range conns {
		if c != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.CloseNow()
			}()
		}
	}
	wg.Wait()
}
