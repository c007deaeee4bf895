package reconnect_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// fast is a policy with millisecond waits, so that the examples run at
// once; the defaults suit a fleet of clients.
var fast = policy.Policy{Backoff: policy.Backoff{Initial: time.Millisecond}, RestartSpread: -1}

// The server restarts in the middle of the session: it closes the first
// connection with 1012 Service Restart. Read and Write carry on over the
// second connection; only what the server says shows the change.
func Example() {
	// Every connection greets, then echoes. The first closes after one echo.
	srv := startWebSocketServer(func(ctx context.Context, n int, ws *websocket.Conn) {
		prefix := fmt.Sprintf("connection %d: ", n)
		ws.Write(ctx, websocket.MessageText, []byte(prefix+"hello"))
		for {
			_, p, err := ws.Read(ctx)
			if err != nil || ws.Write(ctx, websocket.MessageText, []byte(prefix+"echo "+string(p))) != nil {
				return
			}
			if n == 1 {
				ws.Close(websocket.StatusServiceRestart, "restarting")
				return
			}
		}
	})
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := reconnect.Dial(ctx, srv.URL, &reconnect.Options{Policy: fast})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(websocket.StatusNormalClosure, "")

	for _, msg := range []string{"first", "second"} {
		_, hello, err := c.Read(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(string(hello))
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			fmt.Println(err)
			return
		}
		_, echo, err := c.Read(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(string(echo))
	}
	// Output:
	// connection 1: hello
	// connection 1: echo first
	// connection 2: hello
	// connection 2: echo second
}

// OnConnect subscribes on every connection, the first and each reconnect,
// before any buffered Write goes out. The server forgets subscriptions
// when a connection ends, here with 1001 Going Away after one update.
func ExampleOptions_onConnect() {
	var subscriptions atomic.Int32
	srv := startWebSocketServer(func(ctx context.Context, n int, ws *websocket.Conn) {
		if _, p, err := ws.Read(ctx); err != nil || string(p) != "subscribe trades" {
			return
		}
		subscriptions.Add(1)
		ws.Write(ctx, websocket.MessageText, []byte("ok"))
		ws.Write(ctx, websocket.MessageText, []byte(fmt.Sprintf("trade on connection %d", n)))
		if n == 1 {
			ws.Close(websocket.StatusGoingAway, "")
			return
		}
		<-readUntilClosed(ctx, ws)
	})
	defer srv.Close()

	subscribe := func(ctx context.Context, ws *websocket.Conn) error {
		if err := ws.Write(ctx, websocket.MessageText, []byte("subscribe trades")); err != nil {
			return err
		}
		if _, p, err := ws.Read(ctx); err != nil || string(p) != "ok" {
			return fmt.Errorf("subscribe: %q, %v", p, err) // the attempt fails and is retried
		}
		return nil
	}
	ctx := context.Background()
	c, err := reconnect.Dial(ctx, srv.URL, &reconnect.Options{OnConnect: subscribe, Policy: fast})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		_, p, err := c.Read(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(string(p))
	}
	c.Close(websocket.StatusNormalClosure, "")
	fmt.Println("subscriptions:", subscriptions.Load())
	// Output:
	// trade on connection 1
	// trade on connection 2
	// subscriptions: 2
}

// Target gives every attempt a token. The server accepts only the newest
// one; when it expires the token, it closes with 4401, which the policy
// lists as a credential failure. The next attempt comes at once, with
// Refresh set: time to fetch a new token instead of retrying a dead one.
func ExampleOptions_target() {
	var newest atomic.Int32 // the token service's newest token
	expire := make(chan struct{})
	srv := startServer(func(_ int, w http.ResponseWriter, r *http.Request) {
		token := fmt.Sprintf("Bearer token-%d", newest.Load())
		if r.Header.Get("Authorization") != token {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.Write(r.Context(), websocket.MessageText, []byte("welcome, "+token))
		closed := readUntilClosed(r.Context(), ws)
		select {
		case <-expire:
			ws.Close(4401, "token expired")
		case <-closed:
		}
		<-closed
	})
	defer srv.Close()

	target := func(ctx context.Context, a reconnect.Attempt) (reconnect.Target, error) {
		if newest.Load() == 0 || a.Refresh {
			newest.Add(1) // a call to the token service
		}
		fmt.Printf("attempt %d: refresh %v after %q\n", a.Number, a.Refresh, a.Last.Label)
		h := http.Header{"Authorization": {fmt.Sprintf("Bearer token-%d", newest.Load())}}
		return reconnect.Target{Header: h}, nil
	}
	p := fast
	p.App.AuthCodes = []websocket.StatusCode{4401}
	ctx := context.Background()
	c, err := reconnect.Dial(ctx, srv.URL, &reconnect.Options{Target: target, Policy: p})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(websocket.StatusNormalClosure, "")
	for i := range 2 {
		_, msg, err := c.Read(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(string(msg))
		if i == 0 {
			expire <- struct{}{}
		}
	}
	// Output:
	// attempt 1: refresh false after ""
	// welcome, Bearer token-1
	// attempt 2: refresh true after "close_app"
	// welcome, Bearer token-2
}

// OnMessage runs on the Conn's reader goroutine, message by message, and
// may Write: here it buys below 100. Read is off in this mode.
func ExampleOptions_onMessage() {
	srv := startWebSocketServer(func(ctx context.Context, _ int, ws *websocket.Conn) {
		for _, q := range []string{"quote 101", "quote 99", "quote 102"} {
			ws.Write(ctx, websocket.MessageText, []byte(q))
		}
		for {
			_, order, err := ws.Read(ctx)
			if err != nil || ws.Write(ctx, websocket.MessageText, []byte("filled: "+string(order))) != nil {
				return
			}
		}
	})
	defer srv.Close()

	ctx := context.Background()
	filled := make(chan struct{})
	onMessage := func(c *reconnect.Conn, m reconnect.Message) { // c: it may run before Dial returns
		msg := string(m.Data)
		fmt.Println(msg)
		if price, ok := strings.CutPrefix(msg, "quote "); ok {
			if p, _ := strconv.Atoi(price); p < 100 {
				c.Write(ctx, websocket.MessageText, []byte("buy at "+price))
			}
		} else if strings.HasPrefix(msg, "filled: ") {
			close(filled)
		}
	}
	c, err := reconnect.Dial(ctx, srv.URL, &reconnect.Options{OnMessage: onMessage, Policy: fast})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(websocket.StatusNormalClosure, "")
	<-filled
	_, _, err = c.Read(ctx)
	fmt.Println(errors.Is(err, reconnect.ErrHandlerMode))
	// Output:
	// quote 101
	// quote 99
	// quote 102
	// filled: buy at 99
	// true
}
