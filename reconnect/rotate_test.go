package reconnect_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

func TestRotationUnderAContinuousStream(t *testing.T) {
	tests := []struct {
		name string
		mode string // "read" (ctx that can end), "direct" (Background), "handler"
		key  bool
	}{
		{"Read, with a key", "read", true},
		{"Read with Background, with a key", "direct", true},
		{"OnMessage, with a key", "handler", true},
		{"Read, no key: best effort", "read", false},
		{"OnMessage, no key: best effort", "handler", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, url := newSeqFeed(t)
			s := &seqs{more: make(chan struct{}, 1)}
			// A slow subscription: the new connection's OnConnect returns
			// only after the old one delivered 50 more updates, so the two
			// streams overlap by at least that much.
			calls := 0
			onConnect := func(ctx context.Context, ws *websocket.Conn) error {
				if err := subscribe(ctx, ws); err != nil {
					return err
				}
				if calls++; calls > 1 {
					s.waitCount(t, s.count()+50)
				}
				return nil
			}
			o := &reconnect.Options{OnConnect: onConnect, PingInterval: -1}
			if tt.key {
				o.MessageKey = seqKey
			}
			if tt.mode == "handler" {
				o.OnMessage = s.add
			}
			c, rec, err := wstest.Dial(t, url, o, true)
			if err != nil {
				t.Fatal(err)
			}
			reading := make(chan struct{})
			if tt.mode != "handler" {
				ctx, cancel := context.WithCancel(context.Background())
				defer func() { cancel(); c.CloseNow(); <-reading }()
				if tt.mode == "direct" {
					ctx = context.WithoutCancel(ctx)
				}
				go func() {
					defer close(reading)
					for {
						m, err := c.ReadMessage(ctx)
						if err != nil {
							return
						}
						s.add(m)
					}
				}()
			}
			s.waitFor(t, 1)
			c.Rotate()
			done := rec.Next(t, reconnect.EventRotated)
			s.waitFor(t, 2)
			if tt.mode != "handler" {
				c.CloseNow() // ends the reader
			}
			gaps, dups, switched := s.check()
			if !switched || done.Err != nil {
				t.Fatalf("switched %v, rotation %v", switched, done.Err)
			}
			// With a key the streams meet exactly; without one the switch
			// may lose or repeat the few messages of the close handshake.
			if tt.key && (gaps != 0 || dups != 0 || done.Dropped < 40) {
				t.Fatalf("%d gaps, %d duplicates delivered with a key (dropped %d, want 40 or more)", gaps, dups, done.Dropped)
			}
			t.Logf("%d duplicates dropped; delivered %d gaps, %d duplicates", done.Dropped, gaps, dups)
			var kinds []string
			for _, e := range rec.Events() {
				switch {
				case e.Kind == reconnect.EventRotating, e.Kind == reconnect.EventRotated,
					e.Kind == reconnect.EventDisconnected && e.Decision.Label == reconnect.LabelRotated,
					e.Kind == reconnect.EventConnected && e.Rotation:
					kinds = append(kinds, e.Kind.String())
				}
			}
			if want := "[rotating disconnected connected rotated]"; strconvList(kinds) != want {
				t.Fatalf("rotation events %v, want %s", kinds, want)
			}
			for _, e := range rec.Events() {
				if e.Kind == reconnect.EventWaiting || e.Kind == reconnect.EventDisconnected && e.Decision.Label != reconnect.LabelRotated && e.Decision.Label != reconnect.LabelClosed {
					t.Fatalf("%v %v: a rotation is no outage", e.Kind, e.Decision)
				}
			}
		})
	}
}

func strconvList(s []string) string {
	out := "["
	for i, k := range s {
		if i > 0 {
			out += " "
		}
		out += k
	}
	return out + "]"
}

func TestFailedRotationKeepsTheOldConnection(t *testing.T) {
	f, url := newSeqFeed(t)
	s := &seqs{more: make(chan struct{}, 1)}
	o := &reconnect.Options{OnConnect: subscribe, PingInterval: -1, OnMessage: s.add, MessageKey: seqKey}
	c, rec, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, 1)
	f.mu.Lock()
	f.refuse = 2
	f.mu.Unlock()
	c.Rotate()
	done := rec.Next(t, reconnect.EventRotated)
	s.waitFor(t, 2)
	if gaps, dups, _ := s.check(); gaps != 0 || dups != 0 || done.Err != nil {
		t.Fatalf("%d gaps, %d dups, %v", gaps, dups, done.Err)
	}
	failed := 0
	for _, e := range rec.Events() {
		if e.Kind == reconnect.EventAttemptDone && e.Rotation && e.Err != nil {
			failed++
			if e.Status != http.StatusServiceUnavailable {
				t.Fatalf("rotation attempt failed with %v", e.Decision)
			}
		}
	}
	if failed != 2 {
		t.Fatalf("%d failed rotation attempts, want 2", failed)
	}
}

func TestMaxAgeRotatesWithJitter(t *testing.T) {
	_, url := newSeqFeed(t)
	o := &reconnect.Options{OnConnect: subscribe, PingInterval: -1, MaxAge: time.Hour,
		Policy: policy.Policy{Rand: func() float64 { return 0.5 }}}
	_, rec, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	age := 57 * time.Minute // an hour less half of the default 10 % jitter
	if !rec.Clock.WaitTimer(ctx, age) {
		t.Fatalf("no %v timer: %v", age, rec.Clock.Pending())
	}
	rec.Clock.Advance(age)
	if e := rec.Next(t, reconnect.EventRotated); e.Err != nil || e.Generation != 2 {
		t.Fatalf("rotated to %d: %v", e.Generation, e.Err)
	}
	// The new connection gets its own age.
	if !rec.Clock.WaitTimer(ctx, age) {
		t.Fatalf("no %v timer for the new connection", age)
	}
}

// The old connection delivers an update before the new one subscribes:
// the new stream never repeats it. EventRotated must still come once the
// two streams' overlap is checked, without waiting for more traffic.
func TestRotationEndsWhenTheOverlapIsChecked(t *testing.T) {
	f, url := newQuietSeqFeed(t)
	release := make(chan struct{})
	var calls atomic.Int32
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{
		OnConnect: func(ctx context.Context, ws *websocket.Conn) error {
			if calls.Add(1) > 1 {
				select {
				case <-release:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return subscribe(ctx, ws)
		},
		MessageKey:   seqKey,
		PingInterval: -1,
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	wstest.Wait(t, f.subscribed, "the first subscription")
	read := func(want string, gen uint64) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), wstest.Guard)
		defer cancel()
		m, err := c.ReadMessage(ctx)
		if err != nil || string(m.Data) != want || m.Generation != gen {
			t.Fatalf("read %q gen %d, %v; want %q gen %d", m.Data, m.Generation, err, want, gen)
		}
	}
	f.publish()
	read("0", 1)
	c.Rotate()
	rec.Next(t, reconnect.EventRotating)
	f.publish() // only the old connection has subscribed
	read("1", 1)
	close(release)
	wstest.Wait(t, f.subscribed, "the rotation's subscription")
	f.publish() // both connections get 2 and 3
	f.publish()
	read("2", 1)
	read("3", 1)
	if e := rec.Next(t, reconnect.EventRotated); e.Err != nil || e.Dropped != 2 {
		t.Fatalf("rotation: %v, %d duplicates dropped; want nil, 2", e.Err, e.Dropped)
	}
	f.publish()
	read("4", 2)
}
