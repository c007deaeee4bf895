package reconnect_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/fakeclock"
	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// awaitDirectReads waits, bounded, until n Reads that may take the reader
// role wait on c.
func awaitDirectReads(t *testing.T, c *reconnect.Conn, n int) {
	t.Helper()
	for deadline := time.Now().Add(wstest.Guard); c.DirectReads() != n; {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d direct Reads waiting, want %d", t.Name(), c.DirectReads(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGapOfAHandedOverMessage: the Conn's reader hands a message with a
// gap to a waiting Read, which then reads the next frame itself and
// checks its position with the same pipeline before the reader reports.
// The gap is reported all the same.
func TestGapOfAHandedOverMessage(t *testing.T) {
	more := make(chan struct{})
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		writeAll(r.Context(), ws, "p a 1 e")
		select {
		case <-more:
		case <-r.Context().Done():
			return
		}
		writeAll(r.Context(), ws, "p a 5 e", "p a 6 e")
		ws.Read(r.Context())
	})
	c, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Position: position}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(websocket.StatusNormalClosure, "")
	// A Read whose ctx can end leaves the role with the Conn's reader.
	if s, err := wstest.Read(t, c); err != nil || s != "p a 1 e" {
		t.Fatalf("first Read = %q, %v", s, err)
	}
	got := make(chan string, 1)
	go func() {
		_, p, _ := c.Read(context.Background())
		got <- string(p)
	}()
	awaitDirectReads(t, c, 1)
	close(more) // the reader reads "p a 5 e" and hands it to that Read
	if s := wstest.Wait(t, got, "the handed-over message"); s != "p a 5 e" {
		t.Fatalf("handed over %q, want p a 5 e", s)
	}
	wstest.ReturnsWithin(t, "the Read that reads itself", func() {
		if _, p, err := c.Read(context.Background()); err != nil || string(p) != "p a 6 e" {
			t.Errorf("Read = %q, %v; want p a 6 e", p, err)
		}
	})
	gap := rec.Next(t, reconnect.EventGap)
	if gap.Stream != "a" || gap.From.Offset != 1 || gap.To.Offset != 5 {
		t.Errorf("gap %q %d -> %d, want a 1 -> 5", gap.Stream, gap.From.Offset, gap.To.Offset)
	}
}

// awaitCond waits, bounded, until cond holds.
func awaitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(wstest.Guard); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s", t.Name(), what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestReadFinishesItsFrameBeforeTheRoleGoesBack: a Read that reads a
// frame itself while another Read waits gives the reader role back to the
// Conn's reader, but only once the frame has gone through the pipeline
// (the Codec, the position check, its gap): the two share it, and the
// Conn's reader resumes its own frame's pipeline at once. Under -race.
func TestReadFinishesItsFrameBeforeTheRoleGoesBack(t *testing.T) {
	step := make(chan string)
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx := ws.CloseRead(r.Context())
		for {
			select {
			case m := <-step:
				writeAll(ctx, ws, m)
			case <-ctx.Done():
				return
			}
		}
	})
	// Decode holds the Read's frame for up to a few leases: long enough
	// for the Conn's reader to wake (it checks the role at least once a
	// lease) and read the next frame, had it got the role back already.
	clock := fakeclock.New(wstest.Epoch)
	rec := wstest.NewRecorder(clock, false)
	var inside, overlap atomic.Bool
	next := make(chan struct{})
	codec := lineCodec{onDecode: func(m reconnect.Message) {
		switch string(m.Data) {
		case "p a 5 e":
			inside.Store(true)
			clock.Advance(time.Second) // the Conn's reader checks the role
			select {
			case <-next:
			case <-time.After(300 * time.Millisecond):
			}
			inside.Store(false)
		case "p a 6 e":
			if inside.Load() {
				overlap.Store(true)
				close(next)
			}
		}
	}}
	o := &reconnect.Options{PingInterval: -1, Position: position, Codec: codec, Clock: clock, Observer: rec}
	c, err := reconnect.Dial(context.Background(), url, o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	got := make(chan string, 3)
	read := func(ctx context.Context) {
		_, p, err := c.Read(ctx)
		if err != nil {
			p = []byte(err.Error())
		}
		got <- string(p)
	}
	go read(context.Background())
	awaitDirectReads(t, c, 1)
	step <- "p a 2 e" // the Conn's reader hands it over
	if s := wstest.Wait(t, got, "the handed-over message"); s != "p a 2 e" {
		t.Fatalf("Read %q, want p a 2 e", s)
	}
	go read(context.Background())
	awaitCond(t, "Read reading itself", c.ReadingItself)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go read(ctx)
	awaitCond(t, "Read waiting", func() bool { return c.WaitingReads() == 1 })
	step <- "p a 5 e" // read by the Read, which hands the role back
	step <- "p a 6 e" // read by the Conn's reader
	var last []string
	for range 2 {
		last = append(last, wstest.Wait(t, got, "a message after the role went back"))
	}
	if overlap.Load() {
		t.Errorf("the Conn's reader decoded a frame while the Read's frame was still in Decode")
	}
	sort.Strings(last)
	if want := []string{"p a 5 e", "p a 6 e"}; !slices.Equal(last, want) {
		t.Errorf("read %q, want %q", last, want)
	}
	if gap := rec.Next(t, reconnect.EventGap); gap.From.Offset != 2 || gap.To.Offset != 5 {
		t.Errorf("gap %d -> %d, want 2 -> 5", gap.From.Offset, gap.To.Offset)
	}
}

// TestDirectAndBufferedReadsShareThePipeline: a Read that reads frames
// itself and a Read that takes them from the Conn's reader run side by
// side through a Codec and a Position hook. The role passes between them
// on every frame; each message is delivered exactly once, every gap is
// reported once, and -race finds nothing shared unguarded.
func TestDirectAndBufferedReadsShareThePipeline(t *testing.T) {
	const n = 200
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for i := 1; i <= n; i++ {
			// every tenth offset is skipped: a gap
			if ws.Write(r.Context(), websocket.MessageText, fmt.Appendf(nil, "p a %d e", i+i/10)) != nil {
				return
			}
		}
		ws.Read(r.Context())
	})
	o := &reconnect.Options{PingInterval: -1, Position: position, Codec: lineCodec{}}
	c, rec, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(websocket.StatusNormalClosure, "")
	got := make(chan string, n)
	var wg sync.WaitGroup
	stop, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, direct := range []bool{true, false} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for stop.Err() == nil {
				ctx := stop
				if direct {
					ctx = context.Background()
				}
				_, p, err := c.Read(ctx)
				if err != nil {
					return
				}
				got <- string(p)
			}
		}()
	}
	var read []string
	for range n {
		read = append(read, wstest.Wait(t, got, "a message"))
	}
	cancel()
	c.Close(websocket.StatusNormalClosure, "")
	wstest.ReturnsWithin(t, "the Reads", wg.Wait)
	sort.Strings(read)
	for i := 1; i < len(read); i++ {
		if read[i] == read[i-1] {
			t.Errorf("%q delivered twice", read[i])
		}
	}
	for range n / 10 {
		rec.Next(t, reconnect.EventGap)
	}
	if g := rec.Count(reconnect.EventGap); g != n/10 {
		t.Errorf("%d gaps reported, want %d", g, n/10)
	}
}

// TestPipelineHookPanicsOnARead: a Position hook or a Decode that panics
// on a frame a Read reads itself (the application's goroutine) ends the
// Conn with a *PanicError naming it, as on the Conn's reader, and the
// Read returns the end instead of the panic.
func TestPipelineHookPanicsOnARead(t *testing.T) {
	boom := lineCodec{onDecode: func(m reconnect.Message) {
		if string(m.Data) == "boom" {
			panic("decode")
		}
	}}
	for _, tc := range []struct {
		name string
		o    reconnect.Options
		hook string
	}{
		{"Position", reconnect.Options{Position: position}, "Position"},
		{"Decode", reconnect.Options{Codec: boom}, "Codec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			more := make(chan struct{})
			url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				ws, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				defer ws.CloseNow()
				ctx := ws.CloseRead(r.Context())
				writeAll(ctx, ws, "p a 1 e")
				select {
				case <-more:
				case <-ctx.Done():
					return
				}
				writeAll(ctx, ws, "boom")
				<-ctx.Done()
			})
			o := tc.o
			o.PingInterval = -1
			c, _, err := wstest.Dial(t, url, &o, false)
			if err != nil {
				t.Fatal(err)
			}
			wstest.ReturnsWithin(t, "the first Read", func() {
				if _, p, err := c.Read(context.Background()); err != nil || string(p) != "p a 1 e" {
					t.Errorf("Read = %q, %v", p, err)
				}
			})
			close(more) // a Read reading itself now meets the panic
			wstest.ReturnsWithin(t, "the Read that meets the panic", func() {
				if _, _, err := c.Read(context.Background()); err == nil {
					t.Errorf("Read after the panic returned no error")
				}
			})
			var p *reconnect.PanicError
			if !errors.As(c.Err(), &p) || p.Hook != tc.hook {
				t.Fatalf("Err = %v; want a PanicError of %s", c.Err(), tc.hook)
			}
		})
	}
}
