package reconnect_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

const staleAfter = 8 * time.Second

// quietFeed sends one message per signal on more and answers pings.
func quietFeed(t *testing.T) (url string, more chan<- struct{}) {
	ch := make(chan struct{})
	url, _ = wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		drained := make(chan struct{})
		go func() { drain(r.Context(), ws); close(drained) }() // pongs keep flowing
		for {
			select {
			case <-ch:
				ws.Write(r.Context(), websocket.MessageText, []byte("tick"))
			case <-drained:
				return
			}
		}
	})
	return url, ch
}

// staleTicks moves the clock over n checks of the stale watch.
func staleTicks(t *testing.T, clock *fakeclock.Clock, n int, between func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for range n {
		if !clock.WaitTimer(ctx, staleAfter/4) {
			t.Fatal("no stale check pending")
		}
		clock.Advance(staleAfter / 4)
		if between != nil {
			between()
		}
	}
}

func TestStaleStream(t *testing.T) {
	tests := []struct {
		name  string
		data  bool // a message every check
		hold  bool // OnMessage holds the reader
		stale bool
	}{
		{"no data: stale, though pings are answered", false, false, true},
		{"data keeps it fresh", true, false, false},
		{"a held reader is not the server's fault", false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, more := quietFeed(t)
			o := &reconnect.Options{StaleAfter: staleAfter, PingInterval: time.Hour}
			release := make(chan struct{})
			entered := make(chan struct{})
			if tt.hold {
				o.OnMessage = func(*reconnect.Conn, reconnect.Message) { close(entered); <-release }
			}
			c, rec, err := wstest.Dial(t, url, o, false)
			if err != nil {
				t.Fatal(err)
			}
			defer close(release)
			if tt.hold {
				more <- struct{}{}
				wstest.Wait(t, entered, "OnMessage to be entered")
			}
			ticks := 6 // 12 s
			if tt.stale {
				ticks = 4 // the fourth check finds 8 s without data
			}
			staleTicks(t, rec.Clock, ticks, func() {
				if tt.data {
					more <- struct{}{}
					if _, err := wstest.Read(t, c); err != nil {
						t.Fatal(err)
					}
				}
			})
			if !tt.stale {
				if n := rec.Count(reconnect.EventDisconnected); n != 0 {
					t.Fatalf("%d disconnects after 12 s of fake time", n)
				}
				return
			}
			e := rec.Next(t, reconnect.EventDisconnected)
			if e.Decision.Label != reconnect.LabelStale || !e.Decision.Retry() || e.Duration < staleAfter || e.Duration > staleAfter*5/4 {
				t.Fatalf("ended %v after %v, want stale within [%v, %v]", e.Decision, e.Duration, staleAfter, staleAfter*5/4)
			}
		})
	}
}

func TestMarkStale(t *testing.T) {
	url, _ := quietFeed(t)
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	c.MarkStale()
	if e := rec.Next(t, reconnect.EventDisconnected); e.Decision.Label != reconnect.LabelStale || !e.Decision.Retry() {
		t.Fatalf("ended %v", e.Decision)
	}
	if up := rec.Next(t, reconnect.EventConnected); up.Generation != 2 {
		t.Fatalf("reconnected as %d", up.Generation)
	}
}

func TestAlwaysStaleServerBacksOff(t *testing.T) {
	url, _ := quietFeed(t)
	o := &reconnect.Options{StaleAfter: staleAfter, PingInterval: -1, MinUptime: time.Second}
	_, rec, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	for want := 2; want <= 4; want++ {
		staleTicks(t, rec.Clock, 4, nil)
		// Up for StaleAfter, but never with data: no healthy time, so the
		// attempt count climbs instead of starting over.
		if w := rec.Next(t, reconnect.EventWaiting); w.Attempt != want {
			t.Fatalf("waiting for attempt %d, want %d", w.Attempt, want)
		}
	}
}
