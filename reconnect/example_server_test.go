package reconnect_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
)

// exampleServer is the in-process WebSocket server of the examples, on a
// loopback port.
type exampleServer struct {
	URL string // ws://127.0.0.1:port
	srv *httptest.Server
	wg  sync.WaitGroup // the handlers, hijacked connections included
}

// startServer runs handle for every request; n numbers the requests
// from 1.
func startServer(handle func(n int, w http.ResponseWriter, r *http.Request)) *exampleServer {
	s := &exampleServer{}
	var requests atomic.Int32
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.wg.Add(1)
		defer s.wg.Done()
		handle(int(requests.Add(1)), w, r)
	}))
	s.URL = "ws" + strings.TrimPrefix(s.srv.URL, "http")
	return s
}

// startWebSocketServer accepts every request and runs handle on the
// connection, which it closes when handle returns.
func startWebSocketServer(handle func(ctx context.Context, n int, ws *websocket.Conn)) *exampleServer {
	return startServer(func(n int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		handle(r.Context(), n, ws)
	})
}

// Close stops the server and waits for its handlers. httptest does not
// wait for the handlers of hijacked connections: close the clients first.
func (s *exampleServer) Close() {
	s.srv.Close()
	s.wg.Wait()
}

// readUntilClosed reads ws on a goroutine of its own, discarding what it
// reads, and closes the channel it returns once the connection has ended.
// Reading is what answers the client's close handshake.
func readUntilClosed(ctx context.Context, ws *websocket.Conn) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, _, err := ws.Read(ctx); err != nil {
				return
			}
		}
	}()
	return done
}

// closedPortURL is a loopback URL that refuses connections: nothing
// listens on its port any more.
func closedPortURL() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return "ws://" + ln.Addr().String() + "/"
}

// updateFeed streams numbered updates, one sequence for every subscriber,
// as an exchange's market-data feed does. A connection subscribes with
// "subscribe", gets "ok", then every update published from then on.
// Publish sends one update; a real feed streams on its own, the examples
// publish one at a time so that their output does not depend on timing.
type updateFeed struct {
	*exampleServer
	mu   sync.Mutex
	last int
	subs map[*websocket.Conn]bool
}

func startUpdateFeed() *updateFeed {
	f := &updateFeed{subs: map[*websocket.Conn]bool{}}
	f.exampleServer = startWebSocketServer(func(ctx context.Context, _ int, ws *websocket.Conn) {
		if _, p, err := ws.Read(ctx); err != nil || string(p) != "subscribe" {
			return
		}
		f.mu.Lock()
		err := ws.Write(ctx, websocket.MessageText, []byte("ok")) // under mu: no update before it
		f.subs[ws] = err == nil
		f.mu.Unlock()
		<-readUntilClosed(ctx, ws)
		f.mu.Lock()
		delete(f.subs, ws)
		f.mu.Unlock()
	})
	return f
}

// Publish sends the next update to every subscriber, in the same order
// to each, and returns its number.
func (f *updateFeed) Publish(ctx context.Context) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last++
	p := []byte(strconv.Itoa(f.last))
	for ws, ok := range f.subs {
		if ok && ws.Write(ctx, websocket.MessageText, p) != nil {
			f.subs[ws] = false // that connection is going away
		}
	}
	return f.last
}
