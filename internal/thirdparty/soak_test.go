package thirdparty_test

import (
	"context"
	"flag"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/wsreconnect/wsreconnect/internal/thirdparty/toxy"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// The chaos soak: clients behind toxiproxy, faults toggled at random,
// messages sent through the library's buffer and acknowledged by the
// server application. The short run (20 clients, 10 s) is part of the
// normal test run; the full one (100 clients, 2 min) runs with -soak or
// WSRECONNECT_SOAK=1. WSRECONNECT_SOAK_SEED replays a seed.
//
// toxiproxy 2.5.0 deadlocks when a toxic is added or removed while a link
// is dying with data inside a toxic (RemoveToxic waits on a stub that
// waits on the dead link's writer, which waits on the collection lock
// RemoveToxic holds; seen in a 100-client run). So toxics are never
// toggled on live proxies: each network fault is a proxy whose toxics are
// set before any connection, and toggling a fault switches the client's
// route (its Dialer picks the proxy per attempt) and drops its current
// connection, so the next one goes through the fault. Relays on both sides
// of each proxy keep its links from dying with data inside a toxic, which
// would strand the toxic's goroutine (see relay).
var soakFlag = flag.Bool("soak", false, "run the full chaos soak (100 clients, 2 minutes)")

type soakConfig struct {
	clients  int
	duration time.Duration
	seed     uint64
}

func soakSettings() soakConfig {
	cfg := soakConfig{clients: 20, duration: 10 * time.Second, seed: uint64(time.Now().UnixNano())}
	if *soakFlag || os.Getenv("WSRECONNECT_SOAK") == "1" {
		cfg.clients, cfg.duration = 100, 2*time.Minute
	}
	if s := os.Getenv("WSRECONNECT_SOAK_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err == nil {
			cfg.seed = seed
		}
	}
	return cfg
}

func TestChaosSoak(t *testing.T) {
	cfg := soakSettings()
	zerolog.SetGlobalLevel(zerolog.Disabled) // toxiproxy's bandwidth toxic logs through the global logger
	t.Logf("soak: seed %d (replay with WSRECONNECT_SOAK_SEED=%d), %d clients, %v", cfg.seed, cfg.seed, cfg.clients, cfg.duration)
	runtime.GC()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	baseGoroutines, baseHeap := runtime.NumGoroutine(), mem.HeapAlloc
	before := goleak.IgnoreCurrent()

	s := startSoak(t, cfg)
	injected := s.chaos(t)
	pending := s.calm(t)
	tails := s.cutOff(t)
	s.shutdown(t)
	s.account(t, injected, tails)
	if pending > 0 {
		t.Errorf("%d messages still unacked after the calm", pending)
	}

	// Goroutines and heap return to the baseline.
	settle := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > baseGoroutines && time.Now().Before(settle) {
		time.Sleep(50 * time.Millisecond)
	}
	s, tails = nil, nil
	runtime.GC()
	runtime.ReadMemStats(&mem)
	t.Logf("goroutines %d (baseline %d), heap %d KiB (baseline %d KiB)", runtime.NumGoroutine(), baseGoroutines, mem.HeapAlloc>>10, baseHeap>>10)
	if err := goleak.Find(before); err != nil {
		t.Errorf("goroutines left after the soak: %v", err)
	}
	if mem.HeapAlloc > baseHeap+16<<20 {
		t.Errorf("heap %d KiB after the soak, baseline %d KiB", mem.HeapAlloc>>10, baseHeap>>10)
	}
}

// soakRun is one soak: the server, the routes and the clients.
type soakRun struct {
	cfg     soakConfig
	rng     *rand.Rand
	srv     *soakServer
	hs      *httptest.Server
	proxies []*toxy.Proxy
	relays  []*relay
	clients []*soakClient

	ctx              context.Context // ends when the clients stop writing
	stopWriting      context.CancelFunc
	errs             chan error
	senders, readers sync.WaitGroup
}

// startSoak starts the server, a proxy per route with a relay on each
// side (client -> relay -> toxiproxy -> relay -> server), and the clients.
func startSoak(t *testing.T, cfg soakConfig) *soakRun {
	s := &soakRun{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x9e3779b97f4a7c15)),
		srv: newSoakServer(), errs: make(chan error, cfg.clients*2)}
	s.hs = httptest.NewServer(s.srv)
	s.ctx, s.stopWriting = context.WithCancel(context.Background())
	serverSide := startRelay(t, strings.TrimPrefix(s.hs.URL, "http://"))
	s.relays = []*relay{serverSide}
	routes := make([]string, len(soakRoutes))
	for i, r := range soakRoutes {
		p, err := toxy.Start(serverSide.Addr())
		if err != nil {
			t.Fatal(err)
		}
		addToxics(t, p, r.name, r.toxics)
		clientSide := startRelay(t, p.Addr())
		s.proxies, s.relays = append(s.proxies, p), append(s.relays, clientSide)
		routes[i] = "ws://" + clientSide.Addr()
	}
	for i := range cfg.clients {
		c := &soakClient{id: i, resend: make(chan struct{}, 1),
			sentAt: map[int]time.Time{}, resends: map[int]int{}, acked: map[int]bool{}}
		o := soakOptions(c)
		path := "/c/" + strconv.Itoa(i)
		o.Dialer = func(ctx context.Context, _ string, opts *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
			r := c.route.Load()
			c.dialed.Store(r)
			return websocket.Dial(ctx, routes[r]+path, opts)
		}
		dctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		var err error
		c.conn, err = reconnect.Dial(dctx, routes[routeClean]+path, o)
		cancel()
		if err != nil {
			t.Fatalf("client %d: Dial = %v", i, err)
		}
		s.clients = append(s.clients, c)
		crng := rand.New(rand.NewPCG(cfg.seed+uint64(i), 1))
		s.senders.Add(1)
		s.readers.Add(1)
		go func() { defer s.senders.Done(); c.send(s.ctx, crng, s.errs) }()
		go func() { defer s.readers.Done(); c.read(s.errs) }()
	}
	return s
}

// chaos injects about one fault per client every two seconds, each
// lasting 0.1-1.6 s where it has a duration, and counts them by name.
func (s *soakRun) chaos(t *testing.T) map[string]int {
	faults := soakFaults()
	injected := map[string]int{}
	active := map[int]time.Time{} // client -> when its fault ends
	end := time.Now().Add(s.cfg.duration)
	for now := time.Now(); now.Before(end); now = time.Now() {
		select {
		case err := <-s.errs:
			t.Fatal(err)
		case <-time.After(time.Duration((0.5 + s.rng.Float64()) * float64(2*time.Second) / float64(s.cfg.clients))):
		}
		for id, until := range active {
			if now.After(until) {
				s.clients[id].route.Store(routeClean)
				delete(active, id)
			}
		}
		id := s.rng.IntN(s.cfg.clients)
		f := faults[s.rng.IntN(len(faults))]
		hold := time.Duration(100+s.rng.IntN(1500)) * time.Millisecond
		if _, busy := active[id]; busy {
			continue
		}
		if f.inject(s.clients[id], s.srv, hold) {
			injected[f.name]++
			active[id] = now.Add(hold)
		}
	}
	s.srv.mu.Lock()
	clear(s.srv.reject)
	clear(s.srv.stall)
	s.srv.mu.Unlock()
	for id := range active {
		s.clients[id].route.Store(routeClean)
		s.srv.kick(id, 0)
	}
	return injected
}

// calm checks that every client comes back once the faults are off, stops
// the writers, and resends until every message written is acknowledged.
// It returns how many are not.
func (s *soakRun) calm(t *testing.T) (pending int) {
	deadline := time.Now().Add(30 * time.Second)
	for _, c := range s.clients {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		for c.conn.State() != reconnect.Connected && c.conn.WaitForStateChange(ctx, c.conn.State()) {
		}
		cancel()
		if st := c.conn.State(); st != reconnect.Connected {
			t.Errorf("client %d is %v at the end, want connected (%v)", c.id, st, c.conn.Err())
		}
	}
	s.stopWriting()
	wstest.WaitGroup(t, &s.senders, "the senders to stop")
	for time.Now().Before(deadline) {
		pending = 0
		for _, c := range s.clients {
			pending += len(c.unacked(time.Now()))
			// Resend what has waited long enough for its ack.
			for _, seq := range c.unacked(time.Now().Add(-500 * time.Millisecond)) {
				c.write(context.Background(), seq, true)
			}
		}
		if pending == 0 {
			return 0
		}
		time.Sleep(600 * time.Millisecond)
	}
	return pending
}

// soakTail is what a cut-off client wrote while it could not connect.
type soakTail struct {
	c    *soakClient
	seqs []int
}

// cutOff routes every fourth client to a proxy that resets every
// connection, drops its connection and writes three messages, which stay
// buffered until Close hands them back.
func (s *soakRun) cutOff(t *testing.T) []soakTail {
	var tails []soakTail
	for i := 0; i < len(s.clients); i += 4 {
		c := s.clients[i]
		c.route.Store(routeDead)
		c.conn.Reconnect()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		for c.conn.State() == reconnect.Connected && c.conn.WaitForStateChange(ctx, reconnect.Connected) {
		}
		cancel()
		tl := soakTail{c: c}
		for range 3 {
			c.mu.Lock()
			seq := c.next
			c.next++
			c.mu.Unlock()
			if err := c.conn.Write(context.Background(), websocket.MessageText, []byte("m "+strconv.Itoa(seq))); err != nil {
				t.Errorf("client %d: tail write: %v", c.id, err)
			}
			tl.seqs = append(tl.seqs, seq)
		}
		tails = append(tails, tl)
	}
	return tails
}

// shutdown closes the clients, then the proxies once every server handler
// has seen its connection end, so that no toxic is left holding data.
func (s *soakRun) shutdown(t *testing.T) {
	for _, c := range s.clients {
		c.conn.Close(websocket.StatusNormalClosure, "soak over")
	}
	wstest.WaitGroup(t, &s.readers, "the readers to see their Conns end")
	wstest.WaitGroup(t, &s.srv.closers, "the server's closers")
	waitGroup(&s.srv.handlers, 10*time.Second)
	for _, p := range s.proxies {
		p.Stop()
	}
	for _, r := range s.relays {
		r.stop()
	}
	s.hs.Close()
}

// account checks every message written: acked, or delivered with its ack
// lost in the close, or handed back by Undelivered; never received more
// often than the application sent it; a cut-off client's tail is either
// delivered or undelivered, never both or neither. It logs the figures.
func (s *soakRun) account(t *testing.T, injected map[string]int, tails []soakTail) {
	var written, acked, resent, connects, full, offline, lost, dupes int
	for _, c := range s.clients {
		back := undeliveredSeqs(c)
		c.mu.Lock()
		for seq := range c.sentAt {
			written++
			got := s.srv.received(c.id, seq)
			switch {
			case c.acked[seq]:
				acked++
			case got > 0, slices.Contains(back, seq):
			default:
				lost++
				t.Errorf("client %d: message %d written, never acked, never delivered, not undelivered", c.id, seq)
			}
			if got > 1+c.resends[seq] {
				dupes++
				t.Errorf("client %d: message %d received %d times with %d resends: the library duplicated it", c.id, seq, got, c.resends[seq])
			}
			resent += c.resends[seq]
		}
		connects += c.connects
		full += c.full
		offline += c.offline
		c.mu.Unlock()
	}
	undelivered := 0
	for _, tl := range tails {
		back := undeliveredSeqs(tl.c)
		undelivered += len(back)
		for _, seq := range tl.seqs {
			got := s.srv.received(tl.c.id, seq)
			if (got > 0) == slices.Contains(back, seq) {
				t.Errorf("client %d: tail message %d delivered %d times and undelivered %v: want exactly one", tl.c.id, seq, got, slices.Contains(back, seq))
			}
		}
	}
	total := 0
	for _, n := range injected {
		total += n
	}
	t.Logf("soak figures: clients %d, duration %v, messages written %d, acked %d, delivered to the server app %d, resent after drops %d, "+
		"written while offline %d, refused by a full buffer %d, connections %d, faults injected %d %v, tail undelivered %d, lost %d, duplicated by the library %d",
		s.cfg.clients, s.cfg.duration, written, acked, s.srv.delivered.Load(), resent, offline, full, connects, total, injected, undelivered, lost, dupes)
}

func undeliveredSeqs(c *soakClient) []int {
	var seqs []int
	for _, m := range c.conn.Undelivered() {
		seq, _ := strconv.Atoi(strings.TrimPrefix(string(m.Data), "m "))
		seqs = append(seqs, seq)
	}
	return seqs
}
