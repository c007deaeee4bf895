package thirdparty_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/wsreconnect/wsreconnect/codec/envelope"
	"github.com/wsreconnect/wsreconnect/internal/thirdparty/toxy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// The delivery soak: the chaos soak's routes and faults (plus rotations
// and a server that loses a stream's history), with tracked sends in the
// JSON envelope and a numbered stream per client resumed from the Conn's
// positions. It checks: every tracked send has exactly one fate and the
// fates add up to the sends; no acknowledged message is missing at the
// server; no publication reaches the application twice; every offset the
// application did not get lies in a gap the Conn reported. Sizes as for
// TestChaosSoak (-soak for 100 clients and 2 minutes).
func TestDeliverySoak(t *testing.T) {
	cfg := soakSettings()
	zerolog.SetGlobalLevel(zerolog.Disabled)
	t.Logf("delivery soak: seed %d (replay with WSRECONNECT_SOAK_SEED=%d), %d clients, %v", cfg.seed, cfg.seed, cfg.clients, cfg.duration)
	d := startDeliverySoak(t, cfg)
	injected := d.chaos(t)
	d.settle(t)
	d.shutdown()
	d.account(t, injected)
}

type deliverySoak struct {
	cfg     soakConfig
	rng     *rand.Rand
	srv     *deliveryServer
	hs      *httptest.Server
	proxies []*toxy.Proxy
	relays  []*relay
	clients []*dclient

	ctx         context.Context
	stopSending context.CancelFunc
	stopTicker  chan struct{}
	senders     sync.WaitGroup
	readers     sync.WaitGroup
	ticker      sync.WaitGroup
}

// dclient is one client application of the delivery soak.
type dclient struct {
	id    int
	conn  *reconnect.Conn
	route atomic.Int32

	mu        sync.Mutex
	next      int
	receipts  []*reconnect.Receipt
	seqs      []int
	fateCalls map[*reconnect.Receipt]int
	refused   int
	offsets   []uint64 // delivered publications, in order
	dups      int
	gaps      []reconnect.Event
	lastEnd   string // the last disconnect or failed attempt, for a failure report
}

func (c *dclient) stream() string { return "c" + strconv.Itoa(c.id) }

func (c *dclient) OnEvent(e reconnect.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case e.Kind == reconnect.EventGap || e.Kind == reconnect.EventReset:
		c.gaps = append(c.gaps, e)
	case e.Kind == reconnect.EventDisconnected, e.Kind == reconnect.EventAttemptDone && e.Err != nil:
		c.lastEnd = fmt.Sprintf("%v at %s: %s (%v)", e.Kind, e.Time.Format("15:04:05.000"), e.Decision.Label, e.Err)
	}
}

func startDeliverySoak(t *testing.T, cfg soakConfig) *deliverySoak {
	d := &deliverySoak{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x5bd1e995)), srv: newDeliveryServer(), stopTicker: make(chan struct{})}
	d.hs = httptest.NewServer(d.srv)
	d.ctx, d.stopSending = context.WithCancel(context.Background())
	serverSide := startRelay(t, strings.TrimPrefix(d.hs.URL, "http://"))
	d.relays = []*relay{serverSide}
	routes := make([]string, len(soakRoutes))
	for i, r := range soakRoutes {
		p, err := toxy.Start(serverSide.Addr())
		if err != nil {
			t.Fatal(err)
		}
		addToxics(t, p, r.name, r.toxics)
		clientSide := startRelay(t, p.Addr())
		d.proxies, d.relays = append(d.proxies, p), append(d.relays, clientSide)
		routes[i] = "ws://" + clientSide.Addr()
	}
	for i := range cfg.clients {
		c := &dclient{id: i, fateCalls: map[*reconnect.Receipt]int{}}
		path := "/c/" + strconv.Itoa(i)
		o := soakOptions(c)
		o.DialTimeout = 3 * time.Second // 100 clients under the race detector on a shared machine: handshakes wait their turn in the relays
		o.Codec, o.Position, o.AckTimeout = envelope.New(env), env.Position, 10*time.Second
		o.OnConnect = func(ctx context.Context, ws *websocket.Conn) error {
			resume := reconnect.FromContext(ctx).Positions()[c.stream()].Offset
			return ws.Write(ctx, websocket.MessageText, []byte(`{"resume":`+strconv.FormatUint(resume, 10)+`}`))
		}
		o.Dialer = func(ctx context.Context, _ string, opts *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
			return websocket.Dial(ctx, routes[c.route.Load()]+path, opts)
		}
		dctx, cancel := context.WithTimeout(d.ctx, 30*time.Second) // 100 clients start under the race detector
		var err error
		c.conn, err = reconnect.Dial(dctx, routes[routeClean]+path, o)
		cancel()
		if err != nil {
			t.Fatalf("client %d: Dial = %v", i, err)
		}
		d.clients = append(d.clients, c)
		crng := rand.New(rand.NewPCG(cfg.seed+uint64(i), 2))
		d.senders.Add(1)
		d.readers.Add(1)
		go func() { defer d.senders.Done(); c.send(d.ctx, crng) }()
		go func() { defer d.readers.Done(); c.read() }()
	}
	d.ticker.Add(1)
	go func() {
		defer d.ticker.Done()
		for {
			select {
			case <-d.stopTicker:
				return
			case <-time.After(250 * time.Millisecond):
				d.srv.tick()
			}
		}
	}()
	return d
}

// send makes a tracked send every few tens of milliseconds; every other
// one expires 1-3 s after it is made.
func (c *dclient) send(ctx context.Context, rng *rand.Rand) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(20+rng.IntN(80)) * time.Millisecond):
		}
		c.mu.Lock()
		c.next++
		seq := c.next
		c.mu.Unlock()
		m := reconnect.Outgoing{Type: websocket.MessageText, Data: []byte(`{"seq":` + strconv.Itoa(seq) + `}`),
			OnFate: func(r *reconnect.Receipt) {
				c.mu.Lock()
				c.fateCalls[r]++
				c.mu.Unlock()
			}}
		if seq%2 == 0 {
			m.Deadline = time.Now().Add(time.Duration(1000+rng.IntN(2000)) * time.Millisecond)
		}
		r, err := c.conn.Send(ctx, m)
		c.mu.Lock()
		if err != nil {
			c.refused++
		} else {
			c.receipts, c.seqs = append(c.receipts, r), append(c.seqs, seq)
		}
		c.mu.Unlock()
	}
}

// read records the offsets of the publications delivered.
func (c *dclient) read() {
	for {
		_, p, err := c.conn.Read(context.Background())
		if err != nil {
			return
		}
		var pub dpub
		if json.Unmarshal(p, &pub) != nil || pub.Stream != c.stream() {
			continue
		}
		c.mu.Lock()
		if n := len(c.offsets); n > 0 && pub.Offset <= c.offsets[n-1] {
			c.dups++
		}
		c.offsets = append(c.offsets, pub.Offset)
		c.mu.Unlock()
	}
}
