package reconnect_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// position reads "p stream offset epoch"; it panics on "boom".
func position(m reconnect.Message) (reconnect.Position, bool) {
	f := strings.Fields(string(m.Data))
	if len(f) == 1 && f[0] == "boom" {
		panic("position")
	}
	if len(f) != 4 || f[0] != "p" {
		return reconnect.Position{}, false
	}
	n, _ := strconv.ParseUint(f[2], 10, 64)
	return reconnect.Position{Stream: f[1], Offset: n, Epoch: f[3]}, true
}

func writeAll(ctx context.Context, ws *websocket.Conn, msgs ...string) {
	for _, m := range msgs {
		if ws.Write(ctx, websocket.MessageText, []byte(m)) != nil {
			return
		}
	}
}

// TestPositions: messages at or below their stream's last position are
// dropped, across a reconnect too, and counted; a jump is a gap, a new
// epoch a reset; OnConnect reads the positions to resume; Positions
// reports them and Options.Positions seeds them. On each read path.
func TestPositions(t *testing.T) {
	first := []string{"p a 1 e", "p a 2 e", "p a 2 e", "p a 1 e", "p a 5 e", "p b 1 x"}
	second := []string{"p a 4 e", "p a 5 e", "p a 6 e", "p a 1 f", "plain", "end"}
	tests := []struct {
		name    string
		seed    map[string]reconnect.Position
		handler bool // OnMessage
		direct  bool // Read with a ctx that cannot end
		want    []string
		dropped int
	}{
		{"read", nil, false, false, []string{"p a 1 e", "p a 2 e", "p a 5 e", "p b 1 x", "p a 6 e", "p a 1 f", "plain", "end"}, 2},
		{"direct read", nil, false, true, []string{"p a 1 e", "p a 2 e", "p a 5 e", "p b 1 x", "p a 6 e", "p a 1 f", "plain", "end"}, 2},
		{"OnMessage", nil, true, false, []string{"p a 1 e", "p a 2 e", "p a 5 e", "p b 1 x", "p a 6 e", "p a 1 f", "plain", "end"}, 2},
		{"seeded", map[string]reconnect.Position{"a": {Offset: 1, Epoch: "e"}}, false, false, []string{"p a 2 e", "p a 5 e", "p b 1 x", "p a 6 e", "p a 1 f", "plain", "end"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			since := make(chan string, 2)
			url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
				ws, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				defer ws.CloseNow()
				if n == 1 {
					writeAll(r.Context(), ws, first...)
					ws.Close(websocket.StatusServiceRestart, "")
					return
				}
				if _, p, err := ws.Read(r.Context()); err == nil {
					since <- string(p)
				}
				writeAll(r.Context(), ws, second...)
				ws.Read(r.Context())
			})
			got := make(chan string, 16)
			o := &reconnect.Options{PingInterval: -1, Position: position, Positions: tt.seed}
			o.OnConnect = func(ctx context.Context, ws *websocket.Conn) error {
				c := reconnect.FromContext(ctx)
				if c == nil {
					return errors.New("no Conn in the OnConnect ctx")
				}
				if a, ok := c.Positions()["a"]; ok {
					return ws.Write(ctx, websocket.MessageText, []byte("since "+strconv.FormatUint(a.Offset, 10)))
				}
				return nil
			}
			if tt.handler {
				o.OnMessage = func(m reconnect.Message) { got <- string(m.Data) }
			}
			c, rec, err := wstest.Dial(t, url, o, true)
			if err != nil {
				t.Fatal(err)
			}
			var read []string
			for len(read) < len(tt.want) {
				switch {
				case tt.handler:
					read = append(read, recv(t, got, "a message"))
				case tt.direct:
					wstest.ReturnsWithin(t, "Read", func() {
						_, p, err := c.Read(context.Background())
						if err != nil {
							t.Errorf("Read = %v", err)
						}
						read = append(read, string(p))
					})
				default:
					s, err := wstest.Read(t, c)
					if err != nil {
						t.Fatalf("Read = %v after %q", err, read)
					}
					read = append(read, s)
				}
			}
			if !slices.Equal(read, tt.want) {
				t.Errorf("delivered %q\nwant %q", read, tt.want)
			}
			if s := recv(t, since, "the resume request"); s != "since 5" {
				t.Errorf("OnConnect resumed with %q, want since 5", s)
			}
			gap := rec.Next(t, reconnect.EventGap)
			if gap.Stream != "a" || gap.From.Offset != 2 || gap.To.Offset != 5 {
				t.Errorf("gap %q %d -> %d, want a 2 -> 5", gap.Stream, gap.From.Offset, gap.To.Offset)
			}
			if e := rec.Next(t, reconnect.EventDisconnected); e.Dropped != tt.dropped {
				t.Errorf("first connection dropped %d, want %d", e.Dropped, tt.dropped)
			}
			reset := rec.Next(t, reconnect.EventReset)
			if reset.Stream != "a" || reset.From.Epoch != "e" || reset.To.Epoch != "f" {
				t.Errorf("reset %+v, want a e -> f", reset)
			}
			want := map[string]reconnect.Position{"a": {Stream: "a", Offset: 1, Epoch: "f"}, "b": {Stream: "b", Offset: 1, Epoch: "x"}}
			if p := c.Positions(); len(p) != 2 || p["a"] != want["a"] || p["b"] != want["b"] {
				t.Errorf("Positions() = %v, want %v", p, want)
			}
		})
	}
}

// TestPositionHookPanics ends the Conn with a *PanicError naming it.
func TestPositionHookPanics(t *testing.T) {
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		writeAll(r.Context(), ws, "p a 1 e", "boom")
		ws.Read(r.Context())
	})
	c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Position: position}, false)
	if err != nil {
		t.Fatal(err)
	}
	wstest.ReturnsWithin(t, "Done", func() { <-c.Done() })
	var p *reconnect.PanicError
	if !errors.As(c.Err(), &p) || p.Hook != "Position" {
		t.Fatalf("Err = %v; want a PanicError of Position", c.Err())
	}
}

// TestDeliveryAcrossRotation: a rotation's new connection replays the
// stream from the start and only what is new is delivered; a tracked
// message the old connection took stays pending while it closes: an ack
// that comes on it then settles it, and without one it goes out again on
// the new connection once the old is gone.
func TestDeliveryAcrossRotation(t *testing.T) {
	tests := []struct {
		name     string
		oldAcks  bool
		wantNext string // the new connection's first tracked frame
	}{
		{"acked on the old connection", true, "2|false|probe"},
		{"resent on the new connection", false, "1|true|a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames := make(chan string, 16)
			second := make(chan struct{})
			var once sync.Once
			url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
				ws, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				defer ws.CloseNow()
				ctx := r.Context()
				if n == 1 {
					writeAll(ctx, ws, "p a 1 e", "p a 2 e", "p a 3 e")
					if _, err := readFrame(ctx, ws); err != nil { // 1|false|a: not acked now
						return
					}
					frames <- "old"
					<-second
					if tt.oldAcks {
						writeAll(ctx, ws, "ack 1")
					}
					ws.Read(ctx) // until the rotation closes it
					return
				}
				once.Do(func() { close(second) })
				writeAll(ctx, ws, "p a 1 e", "p a 2 e", "p a 3 e", "p a 4 e", "p a 5 e")
				for {
					f, err := readFrame(ctx, ws)
					if err != nil {
						return
					}
					frames <- f.String()
					writeAll(ctx, ws, "ack "+strconv.FormatUint(f.id, 10))
				}
			})
			sent := make(chan *reconnect.Receipt, 1)
			conns := 0
			o := &reconnect.Options{PingInterval: -1, Position: position, Codec: lineCodec{}}
			o.OnConnect = func(ctx context.Context, ws *websocket.Conn) error {
				if conns++; conns == 1 || !tt.oldAcks {
					return nil
				}
				// The old connection is current until OnConnect returns:
				// its ack comes while both are up. (coder/websocket drops
				// data that arrives during its close handshake, so an ack
				// later than that would be lost and the message resent.)
				select {
				case r := <-sent:
					<-r.Done()
				case <-ctx.Done():
				}
				return nil
			}
			c, rec, err := wstest.Dial(t, url, o, true)
			if err != nil {
				t.Fatal(err)
			}
			r1 := sendText(t, c, "a")
			sent <- r1
			recv(t, frames, "the old connection's frame")
			for range 3 {
				wstest.Read(t, c)
			}
			c.Rotate()
			rec.Next(t, reconnect.EventRotated)
			for _, want := range []string{"p a 4 e", "p a 5 e"} {
				if s, err := wstest.Read(t, c); err != nil || s != want {
					t.Fatalf("Read = %q, %v; want %q: no duplicate, no gap", s, err, want)
				}
			}
			if !tt.oldAcks {
				if s := recv(t, frames, "the resend"); s != tt.wantNext {
					t.Fatalf("new connection read %q first, want %q", s, tt.wantNext)
				}
			} else {
				if f := wait(t, r1); f != reconnect.FateAcked {
					t.Fatalf("fate %v, want acked on the old connection", f)
				}
				sendText(t, c, "probe")
				if s := recv(t, frames, "the probe"); s != tt.wantNext {
					t.Fatalf("new connection read %q first, want %q", s, tt.wantNext)
				}
			}
			if f := wait(t, r1); f != reconnect.FateAcked {
				t.Errorf("fate %v, want acked", f)
			}
		})
	}
}
