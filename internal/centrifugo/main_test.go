package centrifugo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/wsreconnect/wsreconnect/codec/centrifugo"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestMain builds the server once for every test, then fails the run if
// any goroutine outlives it.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "centrifugo-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var took time.Duration
	binary, took, err = buildServer(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "centrifugo built in %v\n", took.Round(time.Millisecond))
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// pub is one publication the client application got.
type pub struct {
	channel string
	n       int
	offset  uint64
}

// client is a reconnect.Conn with the Centrifugo codec, its pushes, the
// subscribe replies it was shown and the gap and reset events.
type client struct {
	conn    *reconnect.Conn
	pubs    chan pub
	replies chan string

	mu       sync.Mutex
	events   []reconnect.Event
	netc     []net.Conn
	block    bool
	connects int
	readWG   sync.WaitGroup
}

func dial(t *testing.T, s *server, user string, channels []string) *client {
	c := &client{pubs: make(chan pub, 10000), replies: make(chan string, 100)}
	cc := centrifugo.New(centrifugo.Settings{Token: token(user), Channels: channels})
	o := &reconnect.Options{
		Policy:       policy.Policy{Backoff: policy.Backoff{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond}},
		MinUptime:    -1,
		PingInterval: -1,
		Observer: reconnect.ObserverFunc(func(e reconnect.Event) {
			c.mu.Lock()
			defer c.mu.Unlock()
			switch e.Kind {
			case reconnect.EventGap, reconnect.EventReset:
				c.events = append(c.events, e)
			case reconnect.EventConnected:
				c.connects++
			}
		}),
		Dialer: c.dialer,
	}
	cc.Apply(o)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := reconnect.Dial(ctx, s.url(), o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.conn = conn
	c.readWG.Add(1)
	go c.read()
	t.Cleanup(func() {
		conn.Close(websocket.StatusNormalClosure, "")
		c.readWG.Wait()
	})
	return c
}

// dialer dials through connections the test can cut, or fails while
// blocked.
func (c *client) dialer(ctx context.Context, url string, opts *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
	c.mu.Lock()
	blocked := c.block
	c.mu.Unlock()
	if blocked {
		return nil, nil, fmt.Errorf("blocked by the test")
	}
	o := *opts
	o.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			c.mu.Lock()
			c.netc = append(c.netc, nc)
			c.mu.Unlock()
		}
		return nc, err
	}}}
	return websocket.Dial(ctx, url, &o)
}

// cut closes every TCP connection the client made, without a close frame,
// and keeps it offline while blocked.
func (c *client) cut(blocked bool) {
	c.mu.Lock()
	c.block = blocked
	conns := c.netc
	c.netc = nil
	c.mu.Unlock()
	for _, nc := range conns {
		nc.Close()
	}
}

func (c *client) read() {
	defer c.readWG.Done()
	for {
		_, p, err := c.conn.Read(context.Background())
		if err != nil {
			return
		}
		var m struct {
			Channel string `json:"channel"`
			Push    *struct {
				Channel string `json:"channel"`
				Pub     *struct {
					Data   struct{ N int } `json:"data"`
					Offset uint64          `json:"offset"`
				} `json:"pub"`
			} `json:"push"`
		}
		if json.Unmarshal(p, &m) != nil {
			continue
		}
		switch {
		case m.Push != nil && m.Push.Pub != nil:
			c.pubs <- pub{channel: m.Push.Channel, n: m.Push.Pub.Data.N, offset: m.Push.Pub.Offset}
		case m.Channel != "":
			c.replies <- string(p)
		}
	}
}

func (c *client) gapsAndResets() []reconnect.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]reconnect.Event(nil), c.events...)
}

// next waits for the next publication, bounded.
func (c *client) next(t *testing.T, what string) pub {
	t.Helper()
	select {
	case p := <-c.pubs:
		return p
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no publication within 10 s", what)
		return pub{}
	}
}

// reply waits for the next subscribe reply shown to the application.
func (c *client) reply(t *testing.T, what string) string {
	t.Helper()
	select {
	case r := <-c.replies:
		return r
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no subscribe reply within 10 s", what)
		return ""
	}
}
