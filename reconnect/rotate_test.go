package reconnect_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// seqFeed streams one numbered update to every subscribed connection,
// one sequence for all of them, as an exchange's market-data stream does:
// a connection subscribes with "sub", gets "ok", then every update from
// then on.
type seqFeed struct {
	mu     sync.Mutex
	next   int
	subs   map[*websocket.Conn]bool
	refuse int // handshakes still to answer 503
	stop   chan struct{}
	wg     sync.WaitGroup
}

func newSeqFeed(t *testing.T) (*seqFeed, string) {
	f := &seqFeed{subs: map[*websocket.Conn]bool{}, stop: make(chan struct{})}
	url, _ := wstest.Serve(t, f.serve)
	f.wg.Add(1)
	go f.run()
	t.Cleanup(func() { close(f.stop); f.wg.Wait() })
	return f, url
}

func (f *seqFeed) run() {
	defer f.wg.Done()
	for {
		select {
		case <-f.stop:
			return
		default:
		}
		f.mu.Lock()
		n := f.next
		f.next++
		subs := make([]*websocket.Conn, 0, len(f.subs))
		for ws := range f.subs {
			subs = append(subs, ws)
		}
		f.mu.Unlock()
		for _, ws := range subs {
			if ws.Write(context.Background(), websocket.MessageText, []byte(strconv.Itoa(n))) != nil {
				f.mu.Lock()
				delete(f.subs, ws)
				f.mu.Unlock()
			}
		}
		time.Sleep(50 * time.Microsecond) // the feed's pace, not a synchronisation
	}
}

func (f *seqFeed) serve(_ int, w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if f.refuse > 0 {
		f.refuse--
		f.mu.Unlock()
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	f.mu.Unlock()
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	if _, p, err := ws.Read(r.Context()); err != nil || string(p) != "sub" {
		return
	}
	f.mu.Lock()
	ws.Write(r.Context(), websocket.MessageText, []byte("ok")) // under mu: no update before it
	f.subs[ws] = true
	f.mu.Unlock()
	drain(r.Context(), ws)
	f.mu.Lock()
	delete(f.subs, ws)
	f.mu.Unlock()
}

func subscribe(ctx context.Context, ws *websocket.Conn) error {
	if err := ws.Write(ctx, websocket.MessageText, []byte("sub")); err != nil {
		return err
	}
	_, _, err := ws.Read(ctx) // "ok"
	return err
}

func seqKey(m reconnect.Message) (string, bool) { return string(m.Data), true }

// seqs collects the updates an application gets.
type seqs struct {
	mu   sync.Mutex
	got  []int
	gens []uint64
	more chan struct{}
}

func (s *seqs) add(m reconnect.Message) {
	n, err := strconv.Atoi(string(m.Data))
	if err != nil {
		return
	}
	s.mu.Lock()
	s.got, s.gens = append(s.got, n), append(s.gens, m.Generation)
	s.mu.Unlock()
	select {
	case s.more <- struct{}{}:
	default:
	}
}

// waitFor waits until an update of generation gen has come.
func (s *seqs) waitFor(t *testing.T, gen uint64) {
	t.Helper()
	guard := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.gens)
		last := uint64(0)
		if n > 0 {
			last = s.gens[n-1]
		}
		s.mu.Unlock()
		if last >= gen {
			return
		}
		select {
		case <-s.more:
		case <-guard:
			t.Fatalf("no update of generation %d", gen)
		}
	}
}

func (s *seqs) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

// waitCount waits until n updates have come.
func (s *seqs) waitCount(t *testing.T, n int) {
	guard := time.After(20 * time.Second)
	for s.count() < n {
		select {
		case <-s.more:
		case <-guard:
			t.Errorf("only %d updates", s.count())
			return
		}
	}
}

// check reports gaps and duplicates in the sequence.
func (s *seqs) check() (gaps, dups int, switched bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 1; i < len(s.got); i++ {
		switch d := s.got[i] - s.got[i-1]; {
		case d > 1:
			gaps++
		case d < 1:
			dups++
		}
		if s.gens[i] != s.gens[i-1] {
			switched = true
		}
	}
	return gaps, dups, switched
}

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
