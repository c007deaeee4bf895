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
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// seqFeed streams one numbered update to every subscribed connection,
// one sequence for all of them, as an exchange's market-data stream does:
// a connection subscribes with "sub", gets "ok", then every update from
// then on.
type seqFeed struct {
	mu         sync.Mutex
	next       int
	subs       map[*websocket.Conn]bool
	order      []*websocket.Conn // every subscriber, in the order it subscribed
	refuse     int               // handshakes still to answer 503
	subscribed chan struct{}     // a token per subscription, if room
	stop       chan struct{}
	wg         sync.WaitGroup
}

// newSeqFeed streams updates continuously.
func newSeqFeed(t *testing.T) (*seqFeed, string) {
	f, url := newQuietSeqFeed(t)
	f.wg.Add(1)
	go f.run()
	t.Cleanup(func() { close(f.stop); wstest.WaitGroup(t, &f.wg, "the feed to stop") })
	return f, url
}

// newQuietSeqFeed sends an update only when the test calls publish: a
// quiet feed, where a rotation cannot count on more traffic to finish.
func newQuietSeqFeed(t *testing.T) (*seqFeed, string) {
	f := &seqFeed{subs: map[*websocket.Conn]bool{}, subscribed: make(chan struct{}, 16), stop: make(chan struct{})}
	url, _ := wstest.Serve(t, f.serve)
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
		f.publish()
		time.Sleep(50 * time.Microsecond) // the feed's pace, not a synchronisation
	}
}

// publish sends the next update to every subscriber.
func (f *seqFeed) publish() {
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
}

// send sends the updates ns to the i-th subscriber only, from 0: the test
// decides which of two streams is ahead.
func (f *seqFeed) send(t *testing.T, i int, ns ...int) {
	t.Helper()
	f.mu.Lock()
	ws := f.order[i]
	f.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), wstest.Guard)
	defer cancel()
	for _, n := range ns {
		if err := ws.Write(ctx, websocket.MessageText, []byte(strconv.Itoa(n))); err != nil {
			t.Fatalf("failed to send %d to subscriber %d: %v", n, i, err)
		}
	}
}

// waitSubscribed waits for the next connection to subscribe.
func (f *seqFeed) waitSubscribed(t *testing.T) {
	t.Helper()
	select {
	case <-f.subscribed:
	case <-time.After(wstest.Guard):
		t.Fatal("no connection subscribed")
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
	f.order = append(f.order, ws)
	f.mu.Unlock()
	select {
	case f.subscribed <- struct{}{}:
	default:
	}
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

func (s *seqs) add(_ *reconnect.Conn, m reconnect.Message) {
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

// waitSeq waits until update n has come.
func (s *seqs) waitSeq(t *testing.T, n int) {
	guard := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		k := len(s.got)
		last := -1
		if k > 0 {
			last = s.got[k-1]
		}
		s.mu.Unlock()
		if last >= n {
			return
		}
		select {
		case <-s.more:
		case <-guard:
			t.Errorf("no update %d, last %d", n, last)
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
