package reconnect_test

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Rotate replaces a connection without a gap: the new one subscribes
// while the old one still delivers. With MessageKey the Conn finds where
// the two streams meet, so the application sees every update once.
func ExampleConn_Rotate() {
	feed := startUpdateFeed()
	defer feed.Close()

	rotated := make(chan reconnect.Event, 1)
	c, err := reconnect.Dial(context.Background(), feed.URL, &reconnect.Options{
		OnConnect: func(ctx context.Context, ws *websocket.Conn) error {
			if err := ws.Write(ctx, websocket.MessageText, []byte("subscribe")); err != nil {
				return err
			}
			_, _, err := ws.Read(ctx) // "ok"
			return err
		},
		MessageKey: func(m reconnect.Message) (string, bool) { return string(m.Data), true },
		Observer: reconnect.ObserverFunc(func(e reconnect.Event) {
			if e.Kind == reconnect.EventRotated {
				rotated <- e
			}
		}),
		Policy: fast,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(websocket.StatusNormalClosure, "")

	ctx := context.Background()
	var got []int
	var gens []uint64
	for i := 0; len(gens) < 2; i++ {
		if i == 3 {
			c.Rotate()
		}
		feed.Publish(ctx)
		m, err := c.ReadMessage(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		n, _ := strconv.Atoi(string(m.Data))
		got = append(got, n)
		if !slices.Contains(gens, m.Generation) {
			gens = append(gens, m.Generation)
		}
	}
	e := <-rotated
	gapless := true
	for i := range got {
		gapless = gapless && got[i] == i+1
	}
	fmt.Println("rotated:", e.Err == nil)
	fmt.Println("every update once, in order:", gapless)
	fmt.Println("generations:", gens)
	// Output:
	// rotated: true
	// every update once, in order: true
	// generations: [1 2]
}

// Two Conns share a list of endpoints and a budget of new connections.
// The preferred endpoint is down (its port refuses), so each attempt
// there moves on to the next endpoint at once.
func ExampleOptions_endpoints() {
	down := closedPortURL()
	up := startWebSocketServer(func(ctx context.Context, _ int, ws *websocket.Conn) {
		ws.Write(ctx, websocket.MessageText, []byte("hello from the backup"))
		<-readUntilClosed(ctx, ws)
	})
	defer up.Close()

	// At most 100 new connections a second from this process, whatever
	// the number of Conns.
	budget := rate.NewLimiter(100, 1)
	ctx := context.Background()
	for i := range 2 {
		attempts := make(chan string, 8)
		c, err := reconnect.Dial(ctx, down, &reconnect.Options{
			Endpoints:  []string{up.URL},
			DialBudget: budget,
			Observer: reconnect.ObserverFunc(func(e reconnect.Event) {
				if e.Kind == reconnect.EventAttemptDone {
					attempts <- fmt.Sprintf("endpoint %d: %s", e.Endpoint, cmp.Or(e.Decision.Label, "up"))
				}
			}),
			Policy: fast,
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		_, msg, err := c.Read(ctx)
		fmt.Printf("conn %d: %s, %s; %s\n", i, <-attempts, <-attempts, msg)
		c.Close(websocket.StatusNormalClosure, "")
	}
	// Output:
	// conn 0: endpoint 0: dial_refused, endpoint 1: up; hello from the backup
	// conn 1: endpoint 0: dial_refused, endpoint 1: up; hello from the backup
}

// A log/slog observer. The handler here leaves out the time, so that the
// output is the same on every run; a real one keeps it, and logs
// e.Delay and e.Err too.
func ExampleObserverFunc() {
	srv := startWebSocketServer(func(ctx context.Context, n int, ws *websocket.Conn) {
		if n == 1 {
			ws.Close(websocket.StatusServiceRestart, "restarting")
			return
		}
		ws.Write(ctx, websocket.MessageText, []byte("hello"))
		<-readUntilClosed(ctx, ws)
	})
	defer srv.Close()

	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
	obs := reconnect.ObserverFunc(func(e reconnect.Event) {
		attrs := []any{"event", e.Kind, "gen", e.Generation}
		if e.Decision.Label != "" {
			attrs = append(attrs, "decision", e.Decision.Label)
		}
		log.Info("websocket", attrs...)
	})
	ctx := context.Background()
	c, err := reconnect.Dial(ctx, srv.URL, &reconnect.Options{Observer: obs, Policy: fast})
	if err != nil {
		fmt.Println(err)
		return
	}
	c.Read(ctx) // "hello", on the second connection
	c.Close(websocket.StatusNormalClosure, "")
	<-c.Done() // the events that end the Conn may come after Close returns
	// Output:
	// level=INFO msg=websocket event=attempt gen=1
	// level=INFO msg=websocket event=attempt_done gen=1
	// level=INFO msg=websocket event=connected gen=1
	// level=INFO msg=websocket event=disconnected gen=1 decision=close_1012
	// level=INFO msg=websocket event=waiting gen=2 decision=close_1012
	// level=INFO msg=websocket event=attempt gen=2
	// level=INFO msg=websocket event=attempt_done gen=2
	// level=INFO msg=websocket event=connected gen=2
	// level=INFO msg=websocket event=disconnected gen=2 decision=closed
	// level=INFO msg=websocket event=closed gen=2 decision=closed
}
