package reconnect_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// The application matrix, next to the server-fault matrix: what the
// application's own code does to a Conn. Every place where application
// code runs (a hook site) is crossed with every control it may call, with
// blocking, and with panicking. None of it may deadlock, crash the
// process, leak a goroutine or a connection, or turn a retryable end into
// a terminal one.

// hookSite is a place where application code runs. set installs code that
// runs act once, on the way to the second connection, so that Dial has
// returned and the Conn is in its reconnect loop.
type hookSite struct {
	name string
	hook string // PanicError.Hook
	set  func(o *reconnect.Options, act func())
}

// waitFunc is a Limiter made of a function.
type waitFunc func(ctx context.Context) error

func (f waitFunc) Wait(ctx context.Context) error { return f(ctx) }

func observerSite(name string, at func(reconnect.Event) bool) hookSite {
	return hookSite{name, "Observer", func(o *reconnect.Options, act func()) {
		o.Observer = reconnect.ObserverFunc(func(e reconnect.Event) {
			if at(e) {
				act()
			}
		})
	}}
}

var hookSites = append([]hookSite{
	{"OnConnect", "OnConnect", func(o *reconnect.Options, act func()) {
		var n atomic.Int32
		o.OnConnect = func(context.Context, *websocket.Conn) error {
			if n.Add(1) == 2 {
				act()
			}
			return nil
		}
	}},
	{"OnMessage", "OnMessage", func(o *reconnect.Options, act func()) {
		o.OnMessage = func(_ *reconnect.Conn, m reconnect.Message) {
			if m.Generation == 2 {
				act()
			}
		}
	}},
	{"MessageKey", "MessageKey", func(o *reconnect.Options, act func()) {
		o.MessageKey = func(m reconnect.Message) (string, bool) {
			if m.Generation == 2 {
				act()
			}
			return string(m.Data), true
		}
	}},
	{"Dialer", "Dialer", func(o *reconnect.Options, act func()) {
		var n atomic.Int32
		o.Dialer = func(ctx context.Context, u string, opts *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
			if n.Add(1) == 2 {
				act()
			}
			return websocket.Dial(ctx, u, opts)
		}
	}},
	{"Classifier", "Classifier", func(o *reconnect.Options, act func()) {
		o.Policy.Classifier = func(p policy.Policy, err error, resp *http.Response) policy.Decision {
			act()
			return policy.DefaultClassifier(p, err, resp)
		}
	}},
	{"Target", "Target", func(o *reconnect.Options, act func()) {
		o.Target = func(_ context.Context, a reconnect.Attempt) (reconnect.Target, error) {
			if a.Generation == 2 {
				act()
			}
			return reconnect.Target{}, nil
		}
	}},
	{"DialBudget", "DialBudget", func(o *reconnect.Options, act func()) {
		var n atomic.Int32
		o.DialBudget = waitFunc(func(context.Context) error {
			if n.Add(1) == 2 {
				act()
			}
			return nil
		})
	}},
	{"Codec", "Codec", func(o *reconnect.Options, act func()) {
		o.Codec = siteCodec{func(m reconnect.Message) {
			if m.Generation == 2 {
				act()
			}
		}}
	}},
	{"Position", "Position", func(o *reconnect.Options, act func()) {
		var n atomic.Uint64
		o.Position = func(m reconnect.Message) (reconnect.Position, bool) {
			if m.Generation == 2 {
				act()
			}
			return reconnect.Position{Stream: "s", Offset: n.Add(1)}, true
		}
	}},
	{"OnFate", "OnFate", func(o *reconnect.Options, act func()) {
		// A send made in the second OnConnect goes out after it; the echo
		// server's answer acknowledges it, and OnFate runs.
		o.Codec = siteCodec{}
		var n atomic.Int32
		o.OnConnect = func(ctx context.Context, _ *websocket.Conn) error {
			if n.Add(1) == 2 {
				_, err := reconnect.FromContext(ctx).Send(ctx, reconnect.Outgoing{
					Type: websocket.MessageText, Data: []byte("tracked"),
					OnFate: func(*reconnect.Receipt) { act() },
				})
				return err
			}
			return nil
		}
	}},
	observerSite("Observer attempt", func(e reconnect.Event) bool { return e.Kind == reconnect.EventAttempt && e.Generation == 2 }),
	observerSite("Observer disconnected", func(e reconnect.Event) bool { return e.Kind == reconnect.EventDisconnected }),
	observerSite("Observer waiting", func(e reconnect.Event) bool { return e.Kind == reconnect.EventWaiting }),
	observerSite("Observer connected", func(e reconnect.Event) bool { return e.Kind == reconnect.EventConnected && e.Generation == 2 }),
}, policySites...)

// siteCodec frames a tracked message as "#id" and takes an echoed "#id"
// for its ack; every other frame is delivered, after seen.
type siteCodec struct{ seen func(reconnect.Message) }

func (siteCodec) Encode(id uint64, m reconnect.Message, _ bool) (reconnect.Message, error) {
	m.Data = []byte("#" + strconv.FormatUint(id, 10))
	return m, nil
}

func (sc siteCodec) Decode(m reconnect.Message, ack func(reconnect.Ack), deliver func(reconnect.Message)) error {
	if id, err := strconv.ParseUint(strings.TrimPrefix(string(m.Data), "#"), 10, 64); err == nil && strings.HasPrefix(string(m.Data), "#") {
		ack(reconnect.Ack{ID: id})
		return nil
	}
	if sc.seen != nil {
		sc.seen(m)
	}
	deliver(m)
	return nil
}

// dropOnce sends "m" on every connection; it closes the first with 1001
// and echoes on the others.
func dropOnce(n int, w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	if ws.Write(r.Context(), websocket.MessageText, []byte("m")) != nil {
		return
	}
	if n == 1 {
		ws.Close(websocket.StatusGoingAway, "")
		return
	}
	wstest.Echo(r.Context(), ws)
}

// siteConn dials a dropOnce server with site running act, which gets the
// Conn once Dial has returned it.
func siteConn(t *testing.T, site hookSite, act func(c *reconnect.Conn)) *reconnect.Conn {
	t.Helper()
	url, _ := wstest.Serve(t, dropOnce)
	ready := make(chan struct{})
	var c *reconnect.Conn
	var once sync.Once
	o := &reconnect.Options{PingInterval: -1}
	site.set(o, func() {
		once.Do(func() {
			<-ready
			act(c)
		})
	})
	c, _, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	close(ready)
	return c
}

var hookControls = []struct {
	name string
	call func(c *reconnect.Conn) error
	ends bool
}{
	{"Close", func(c *reconnect.Conn) error { return c.Close(websocket.StatusNormalClosure, "bye") }, true},
	{"CloseNow", func(c *reconnect.Conn) error { return c.CloseNow() }, true},
	{"Reconnect", func(c *reconnect.Conn) error { c.Reconnect(); return nil }, false},
	{"ResetBackoff", func(c *reconnect.Conn) error { c.ResetBackoff(); return nil }, false},
	{"Write", func(c *reconnect.Conn) error {
		return c.Write(context.Background(), websocket.MessageText, []byte("from a hook"))
	}, false},
}

func TestHookCallsAControl(t *testing.T) {
	for _, site := range hookSites {
		for _, ctl := range hookControls {
			t.Run(site.name+"/"+ctl.name, func(t *testing.T) {
				t.Parallel()
				acted := make(chan error, 1)
				c := siteConn(t, site, func(c *reconnect.Conn) { acted <- ctl.call(c) })
				select {
				case err := <-acted:
					if err != nil {
						t.Fatalf("%s from %s = %v", ctl.name, site.name, err)
					}
				case <-time.After(20 * time.Second):
					t.Fatalf("%s from %s did not return", ctl.name, site.name)
				}
				if ctl.ends {
					wstest.ReturnsWithin(t, "Done", func() { <-c.Done() })
					if !errors.Is(c.Err(), net.ErrClosed) {
						t.Fatalf("Err = %v, want closed", c.Err())
					}
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				for c.State() != reconnect.Connected && c.WaitForStateChange(ctx, c.State()) {
				}
				if c.State() != reconnect.Connected || c.Err() != nil {
					t.Fatalf("state %v, Err %v after %s from %s; want connected", c.State(), c.Err(), ctl.name, site.name)
				}
			})
		}
	}
}

func TestBlockingHookDoesNotBlockClose(t *testing.T) {
	for _, site := range hookSites {
		for _, closer := range hookControls[:2] {
			t.Run(site.name+"/"+closer.name, func(t *testing.T) {
				t.Parallel()
				entered, release := make(chan struct{}), make(chan struct{})
				c := siteConn(t, site, func(*reconnect.Conn) {
					close(entered)
					<-release // ignores every ctx
				})
				wstest.Wait(t, entered, site.name+" to be entered")
				wstest.ReturnsWithin(t, closer.name+" while "+site.name+" blocks", func() { closer.call(c) })
				if st := c.State(); st == reconnect.Connected {
					t.Fatalf("state %v after %s", st, closer.name)
				}
				close(release)
				wstest.ReturnsWithin(t, "Done once the hook returned", func() { <-c.Done() })
			})
		}
	}
}

func TestPanickingHookEndsTheConn(t *testing.T) {
	for _, site := range hookSites {
		t.Run(site.name, func(t *testing.T) {
			t.Parallel()
			c := siteConn(t, site, func(*reconnect.Conn) { panic("bug in " + site.name) })
			wstest.ReturnsWithin(t, "Done", func() { <-c.Done() })
			var re *reconnect.Error
			var pe *reconnect.PanicError
			if !errors.As(c.Err(), &re) || re.Kind != reconnect.KindTerminal || re.Decision.Label != reconnect.LabelPanic {
				t.Fatalf("Err = %v, want terminal panic", c.Err())
			}
			if !errors.As(c.Err(), &pe) || pe.Hook != site.hook || pe.Value != "bug in "+site.name || len(pe.Stack) == 0 {
				t.Fatalf("PanicError = %+v, want hook %s", pe, site.hook)
			}
		})
	}
}
