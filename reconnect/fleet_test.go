package reconnect_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestSharedDialBudget: 200 Conns share a budget of 50 dials a second
// against one server. The server never sees more handshakes in a second
// than the budget allows, every Conn connects, and every message arrives.
func TestSharedDialBudget(t *testing.T) {
	const conns, perSecond, burst = 200, 50, 1
	var mu sync.Mutex
	var arrivals []time.Time
	got := make(chan string, conns)
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for {
			_, p, err := ws.Read(r.Context())
			if err != nil {
				return
			}
			got <- string(p)
		}
	})
	budget := rate.NewLimiter(perSecond, burst)
	cs := make([]*reconnect.Conn, conns)
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	for i := range cs {
		wg.Go(func() {
			c, err := reconnect.Dial(context.Background(), url, &reconnect.Options{DialBudget: budget, PingInterval: -1})
			if err != nil {
				errs <- err
				return
			}
			cs[i] = c
			errs <- c.Write(context.Background(), websocket.MessageText, []byte("hello"))
		})
	}
	returnsWithin(t, "the dials", wg.Wait)
	t.Cleanup(func() {
		for _, c := range cs {
			if c != nil {
				c.CloseNow()
			}
		}
	})
	for range conns {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for range conns {
		<-got
	}
	mu.Lock()
	defer mu.Unlock()
	slices.SortFunc(arrivals, func(a, b time.Time) int { return a.Compare(b) })
	most := 0
	for i, a := range arrivals { // handshakes in the second that starts at each
		j, _ := slices.BinarySearchFunc(arrivals, a.Add(time.Second), func(x, t time.Time) int { return x.Compare(t) })
		most = max(most, j-i)
	}
	if len(arrivals) != conns || most > perSecond+burst {
		t.Fatalf("%d handshakes, at most %d in a second; want %d, at most %d", len(arrivals), most, conns, perSecond+burst)
	}
	t.Logf("%d handshakes over %v, at most %d in any second", len(arrivals), arrivals[len(arrivals)-1].Sub(arrivals[0]), most)
}
