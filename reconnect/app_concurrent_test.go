package reconnect_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// The application matrix, concluded: controls called at the same time
// from many goroutines, and what the docs promise about an ended Conn.

func TestConcurrentControls(t *testing.T) {
	tests := []struct {
		name  string
		churn func(c *reconnect.Conn) // runs in 4 goroutines while the Conn is closed
	}{
		{"writes", func(c *reconnect.Conn) {
			for c.Write(context.Background(), websocket.MessageText, []byte("w")) == nil {
			}
		}},
		{"reconnects and writes", func(c *reconnect.Conn) {
			for c.Err() == nil {
				c.Reconnect()
				c.Write(context.Background(), websocket.MessageText, []byte("w"))
			}
		}},
		{"reset backoffs and reads", func(c *reconnect.Conn) {
			for c.Err() == nil {
				c.ResetBackoff()
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				c.Read(ctx)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				if ws, err := websocket.Accept(w, r, nil); err == nil {
					defer ws.CloseNow()
					wstest.Echo(r.Context(), ws)
				}
			})
			c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, true)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() { tt.churn(c) })
			}
			// Several closers at once: one of them closes, the others
			// report net.ErrClosed, none hangs.
			errs := make(chan error, 3)
			var closers sync.WaitGroup
			closers.Go(func() { errs <- c.Close(websocket.StatusNormalClosure, "") })
			closers.Go(func() { errs <- c.CloseNow() })
			closers.Go(func() { errs <- c.CloseNow() })
			wstest.ReturnsWithin(t, "the closers", closers.Wait)
			wstest.ReturnsWithin(t, "the churn", wg.Wait)
			close(errs)
			nils := 0
			for err := range errs {
				switch {
				case err == nil:
					nils++
				case !errors.Is(err, net.ErrClosed):
					t.Fatalf("a second close = %v, want net.ErrClosed", err)
				}
			}
			if nils != 1 {
				t.Fatalf("%d closers returned nil, want 1", nils)
			}
			if err := c.Write(context.Background(), websocket.MessageText, []byte("late")); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Write after Close = %v", err)
			}
		})
	}
}

func TestEndedConnKeepsItsPromises(t *testing.T) {
	t.Run("Close after a terminal end wraps net.ErrClosed", func(t *testing.T) {
		url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			if ws, err := websocket.Accept(w, r, nil); err == nil {
				ws.Close(websocket.StatusPolicyViolation, "kicked")
			}
		})
		c, _, err := wstest.Dial(t, url, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		wstest.Wait(t, c.Done(), "the Conn to end after a 1008")
		if err := c.Close(websocket.StatusNormalClosure, ""); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Close = %v, want net.ErrClosed", err)
		}
	})
	t.Run("Err and Undelivered inside EventClosed", func(t *testing.T) {
		url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n > 1 {
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			if ws, err := websocket.Accept(w, r, nil); err == nil {
				ws.Close(websocket.StatusGoingAway, "")
			}
		})
		var c *reconnect.Conn
		ready := make(chan struct{})
		seen := make(chan string, 1)
		o := &reconnect.Options{PingInterval: -1, Observer: reconnect.ObserverFunc(func(e reconnect.Event) {
			switch e.Kind {
			case reconnect.EventDisconnected:
				<-ready
				c.Write(context.Background(), websocket.MessageText, []byte("queued"))
			case reconnect.EventClosed:
				var back []string
				for _, m := range c.Undelivered() {
					back = append(back, string(m.Data))
				}
				if c.Err() == nil {
					back = append(back, "Err is nil")
				}
				seen <- strings.Join(back, ",")
			}
		})}
		var err error
		c, _, err = wstest.Dial(t, url, o, true)
		if err != nil {
			t.Fatal(err)
		}
		close(ready)
		if got := wstest.Wait(t, seen, "EventClosed"); got != "queued" {
			t.Fatalf("inside EventClosed: %q, want Undelivered [queued] and Err set", got)
		}
	})
	t.Run("Close during a 1013 wait is labelled closed", func(t *testing.T) {
		url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			if ws, err := websocket.Accept(w, r, nil); err == nil {
				ws.Close(websocket.StatusTryAgainLater, "busy")
			}
		})
		c, rec, err := wstest.Dial(t, url, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		if w := rec.Next(t, reconnect.EventWaiting); w.Decision.Code != websocket.StatusTryAgainLater {
			t.Fatalf("waiting on %v", w.Decision)
		}
		c.Close(websocket.StatusNormalClosure, "")
		var re *reconnect.Error
		if !errors.As(c.Err(), &re) || re.Kind != reconnect.KindClosed || re.Decision.Label != reconnect.LabelClosed {
			t.Fatalf("Err = %v (%v), want closed", c.Err(), re.Decision)
		}
	})
}
