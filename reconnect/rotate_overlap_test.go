package reconnect_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// stepFeed publishes an update only when the test says so: a quiet feed,
// where a rotation cannot count on more traffic to finish.
type stepFeed struct {
	mu         sync.Mutex
	next       int
	subs       map[*websocket.Conn]bool
	subscribed chan struct{}
}

func newStepFeed(t *testing.T) (*stepFeed, string) {
	f := &stepFeed{subs: map[*websocket.Conn]bool{}, subscribed: make(chan struct{}, 4)}
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		if _, p, err := ws.Read(r.Context()); err != nil || string(p) != "sub" {
			return
		}
		f.mu.Lock()
		ws.Write(r.Context(), websocket.MessageText, []byte("ok"))
		f.subs[ws] = true
		f.mu.Unlock()
		f.subscribed <- struct{}{}
		drain(r.Context(), ws)
		f.mu.Lock()
		delete(f.subs, ws)
		f.mu.Unlock()
	})
	return f, url
}

// publish sends the next update to every subscriber.
func (f *stepFeed) publish() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	for ws := range f.subs {
		ws.Write(context.Background(), websocket.MessageText, []byte(strconv.Itoa(f.next)))
	}
}

// The old connection delivers an update before the new one subscribes:
// the new stream never repeats it. EventRotated must still come once the
// two streams' overlap is checked, without waiting for more traffic.
func TestRotationEndsWhenTheOverlapIsChecked(t *testing.T) {
	f, url := newStepFeed(t)
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
	<-f.subscribed
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
	read("1", 1)
	c.Rotate()
	rec.Next(t, reconnect.EventRotating)
	f.publish() // only the old connection has subscribed
	read("2", 1)
	close(release)
	<-f.subscribed
	f.publish() // both connections get 3 and 4
	f.publish()
	read("3", 1)
	read("4", 1)
	if e := rec.Next(t, reconnect.EventRotated); e.Err != nil || e.Dropped != 2 {
		t.Fatalf("rotation: %v, %d duplicates dropped; want nil, 2", e.Err, e.Dropped)
	}
	f.publish()
	read("5", 2)
}
