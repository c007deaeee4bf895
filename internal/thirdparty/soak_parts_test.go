package thirdparty_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// The chaos soak's parts (see soak_test.go): the server application, the
// client application, the routes and the faults the chaos loop injects.

// soakServer is the server application: it acknowledges every message
// and delivers each (client, seq) to the application once.
type soakServer struct {
	mu        sync.Mutex
	raw       map[int]map[int]int // client -> seq -> times received
	conns     map[int]*websocket.Conn
	reject    map[int]int       // client -> handshakes still to refuse with 503
	stall     map[int]time.Time // client -> stop reading until (a half-open peer)
	delivered atomic.Int64
	closers   sync.WaitGroup
	handlers  sync.WaitGroup
}

func newSoakServer() *soakServer {
	return &soakServer{raw: map[int]map[int]int{}, conns: map[int]*websocket.Conn{}, reject: map[int]int{}, stall: map[int]time.Time{}}
}

func (s *soakServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handlers.Add(1)
	defer s.handlers.Done()
	id, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/c/"))
	s.mu.Lock()
	if s.reject[id] > 0 {
		s.reject[id]--
		s.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
		return
	}
	s.mu.Unlock()
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	s.mu.Lock()
	s.conns[id] = ws
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.conns[id] == ws {
			delete(s.conns, id)
		}
		s.mu.Unlock()
	}()
	ctx := context.Background()
	for {
		s.mu.Lock()
		until := s.stall[id]
		s.mu.Unlock()
		if d := time.Until(until); d > 0 {
			time.Sleep(d) // neither read nor answer pings: the client's pings time out
		}
		_, p, err := ws.Read(ctx)
		if err != nil {
			return
		}
		seq, err := strconv.Atoi(strings.TrimPrefix(string(p), "m "))
		if err != nil {
			ws.Close(websocket.StatusUnsupportedData, "bad message")
			return
		}
		s.mu.Lock()
		if s.raw[id] == nil {
			s.raw[id] = map[int]int{}
		}
		s.raw[id][seq]++
		if s.raw[id][seq] == 1 {
			s.delivered.Add(1)
		}
		s.mu.Unlock()
		if ws.Write(ctx, websocket.MessageText, []byte("a "+strconv.Itoa(seq))) != nil {
			return
		}
	}
}

// kick closes client id's connection from the server side, with a code
// (0: drop TCP without a close frame).
func (s *soakServer) kick(id int, code websocket.StatusCode) bool {
	s.mu.Lock()
	ws := s.conns[id]
	s.mu.Unlock()
	if ws == nil {
		return false
	}
	if code == 0 {
		ws.CloseNow()
		return true
	}
	s.closers.Add(1)
	go func() {
		defer s.closers.Done()
		ws.Close(code, "chaos")
	}()
	return true
}

func (s *soakServer) received(id, seq int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw[id][seq]
}

// soakClient is one client application: it numbers its messages, resends
// those a drop may have lost, and records acknowledgements.
type soakClient struct {
	id     int
	conn   *reconnect.Conn
	route  atomic.Int32 // index into the soak's routes, read by the Dialer
	dialed atomic.Int32 // the route of the last attempt, for failure reports

	resend chan struct{}

	mu       sync.Mutex
	next     int
	sentAt   map[int]time.Time // seq -> last time Write took it
	resends  map[int]int
	acked    map[int]bool
	lastDrop time.Time
	connects int
	full     int // writes refused with ErrBufferFull
	offline  int // writes while not connected (into the buffer)
}

func (c *soakClient) OnEvent(e reconnect.Event) {
	switch e.Kind {
	case reconnect.EventDisconnected:
		c.mu.Lock()
		c.lastDrop = e.Time
		c.mu.Unlock()
	case reconnect.EventConnected:
		c.mu.Lock()
		c.connects++
		c.mu.Unlock()
		if e.Generation > 1 {
			select {
			case c.resend <- struct{}{}:
			default:
			}
		}
	}
}

func (c *soakClient) write(ctx context.Context, seq int, resend bool) error {
	offline := c.conn.State() != reconnect.Connected
	err := c.conn.Write(ctx, websocket.MessageText, []byte("m "+strconv.Itoa(seq)))
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case errors.Is(err, reconnect.ErrBufferFull):
		c.full++
		return nil
	case err != nil:
		return err
	}
	c.sentAt[seq] = time.Now()
	if resend {
		c.resends[seq]++
	}
	if offline {
		c.offline++
	}
	return nil
}

// unacked returns the messages written at or before t and not acked.
func (c *soakClient) unacked(t time.Time) []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int
	for seq, at := range c.sentAt {
		if !c.acked[seq] && !at.After(t) {
			out = append(out, seq)
		}
	}
	slices.Sort(out)
	return out
}

// send writes a new message every few tens of milliseconds and, after a
// reconnect, resends what was written before the drop and not acked.
func (c *soakClient) send(ctx context.Context, rng *rand.Rand, errs chan<- error) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.resend:
			c.mu.Lock()
			drop := c.lastDrop
			c.mu.Unlock()
			for _, seq := range c.unacked(drop) {
				if err := c.write(ctx, seq, true); err != nil && ctx.Err() == nil {
					errs <- fmt.Errorf("client %d: resend %d: %w", c.id, seq, err)
					return
				}
			}
		case <-time.After(time.Duration(20+rng.IntN(80)) * time.Millisecond):
			c.mu.Lock()
			seq := c.next
			c.next++
			c.mu.Unlock()
			if err := c.write(ctx, seq, false); err != nil && ctx.Err() == nil {
				errs <- fmt.Errorf("client %d: write %d: %w", c.id, seq, err)
				return
			}
		}
	}
}

// read records acks until the Conn ends.
func (c *soakClient) read(errs chan<- error) {
	var last []byte
	for {
		_, p, err := c.conn.Read(context.Background())
		if err != nil {
			return
		}
		seq, err := strconv.Atoi(strings.TrimPrefix(string(p), "a "))
		if err != nil {
			errs <- fmt.Errorf("client %d: bad ack %q after %q, last dialed through route %s", c.id, p, last, soakRoutes[c.dialed.Load()].name)
			return
		}
		c.mu.Lock()
		c.acked[seq] = true
		c.mu.Unlock()
		last = p
	}
}

// soakRoute is a proxy with fixed toxics, set before any connection.
type soakRoute struct {
	name   string
	toxics []toxic
}

const (
	routeClean = 0
	routeDead  = 1 // resets every connection: the tail's cut-off clients
)

var soakRoutes = []soakRoute{
	{name: "clean"},
	{name: "dead", toxics: []toxic{{"reset_peer", "upstream", `{"timeout":0}`}}},
	{name: "reset_peer", toxics: []toxic{{"reset_peer", "upstream", `{"timeout":300}`}}},
	{name: "blackhole", toxics: []toxic{{"timeout", "downstream", `{"timeout":0}`}}},
	{name: "latency", toxics: []toxic{{"latency", "downstream", `{"latency":40,"jitter":30}`}, {"latency", "upstream", `{"latency":10,"jitter":10}`}}},
	{name: "slicer", toxics: []toxic{{"slicer", "downstream", `{"average_size":8,"size_variation":6,"delay":100}`}}},
	{name: "limit_data", toxics: []toxic{{"limit_data", "downstream", `{"bytes":1500}`}}},
	{name: "bandwidth", toxics: []toxic{{"bandwidth", "downstream", `{"rate":8}`}, {"bandwidth", "upstream", `{"rate":8}`}}},
}

// chaosFault is one fault the chaos loop can inject; it returns how long
// the fault lasts (0: it is over once done) and false if it did nothing.
type chaosFault struct {
	name   string
	inject func(c *soakClient, srv *soakServer, hold time.Duration) bool
}

func soakFaults() []chaosFault {
	f := []chaosFault{
		kickFault("close_1001", 1001), kickFault("close_1011", 1011), kickFault("close_1012", 1012),
		kickFault("close_1013", 1013), kickFault("close_1014", 1014), kickFault("drop_tcp", 0),
		{name: "handshake_503", inject: func(c *soakClient, srv *soakServer, _ time.Duration) bool {
			srv.mu.Lock()
			srv.reject[c.id] += 2
			srv.mu.Unlock()
			return srv.kick(c.id, 1012)
		}},
		{name: "server_stall", inject: func(c *soakClient, srv *soakServer, hold time.Duration) bool {
			srv.mu.Lock()
			srv.stall[c.id] = time.Now().Add(hold)
			srv.mu.Unlock()
			return true
		}},
	}
	for i, r := range soakRoutes {
		if i == routeClean || i == routeDead {
			continue
		}
		f = append(f, chaosFault{name: r.name, inject: func(c *soakClient, srv *soakServer, _ time.Duration) bool {
			c.route.Store(int32(i))
			srv.kick(c.id, 0) // the next connection goes through the fault
			return true
		}})
	}
	return f
}

func kickFault(name string, code websocket.StatusCode) chaosFault {
	return chaosFault{name: name, inject: func(c *soakClient, srv *soakServer, _ time.Duration) bool { return srv.kick(c.id, code) }}
}

func soakOptions(obs reconnect.Observer) *reconnect.Options {
	return &reconnect.Options{
		Policy: policy.Policy{
			Backoff:            policy.Backoff{Initial: 20 * time.Millisecond, Max: 400 * time.Millisecond},
			TryAgainLaterDelay: 100 * time.Millisecond,
			RestartSpread:      100 * time.Millisecond,
			MaxRetryAfter:      200 * time.Millisecond,
		},
		DialTimeout:    time.Second,
		MinUptime:      500 * time.Millisecond,
		PingInterval:   200 * time.Millisecond,
		PingTimeout:    400 * time.Millisecond,
		BufferMessages: 4096,
		Observer:       obs,
	}
}
