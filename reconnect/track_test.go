package reconnect_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// lineCodec frames tracked message id as "id|r|data", r being 1 on a
// resend, and finds in the server's frames "ack N", "acks N"
// (cumulative), "nack N reason" and "batch a;b" (two messages); any other
// frame is delivered as it is. onEncode and onDecode, when set, run first:
// the hostile rows panic or block there.
type lineCodec struct {
	onEncode func(id uint64)
	onDecode func(m reconnect.Message)
}

func (lc lineCodec) Encode(id uint64, m reconnect.Message, resend bool) (reconnect.Message, error) {
	if lc.onEncode != nil {
		lc.onEncode(id)
	}
	if string(m.Data) == "unframable" || resend && string(m.Data) == "no resend" {
		return reconnect.Message{}, errors.New("no frame for that")
	}
	r := 0
	if resend {
		r = 1
	}
	return reconnect.Message{Type: m.Type, Data: fmt.Appendf(nil, "%d|%d|%s", id, r, m.Data)}, nil
}

func (lc lineCodec) Decode(m reconnect.Message, ack func(reconnect.Ack), deliver func(reconnect.Message)) error {
	if lc.onDecode != nil {
		lc.onDecode(m)
	}
	f := strings.SplitN(string(m.Data), " ", 3)
	num := func() uint64 { n, _ := strconv.ParseUint(f[1], 10, 64); return n }
	switch {
	case f[0] == "ack" && len(f) == 2:
		ack(reconnect.Ack{ID: num()})
	case f[0] == "acks" && len(f) == 2:
		ack(reconnect.Ack{ID: num(), Upto: true})
	case f[0] == "nack" && len(f) == 3:
		ack(reconnect.Ack{ID: num(), Reject: true, Reason: f[2]})
	case f[0] == "batch" && len(f) == 2:
		for _, part := range strings.Split(f[1], ";") {
			deliver(reconnect.Message{Type: m.Type, Data: []byte(part)})
		}
	case f[0] == "bad":
		return errors.New("bad frame")
	default:
		deliver(m)
	}
	return nil
}

// frame is a tracked message as the server read it.
type frame struct {
	id     uint64
	resend bool
	data   string
}

func (f frame) String() string { return fmt.Sprintf("%d|%v|%s", f.id, f.resend, f.data) }

// readFrame reads one frame; a frame that is not tracked has id 0.
func readFrame(ctx context.Context, ws *websocket.Conn) (frame, error) {
	_, p, err := ws.Read(ctx)
	if err != nil {
		return frame{}, err
	}
	parts := strings.SplitN(string(p), "|", 3)
	if len(parts) != 3 {
		return frame{data: string(p)}, nil
	}
	id, _ := strconv.ParseUint(parts[0], 10, 64)
	return frame{id: id, resend: parts[1] == "1", data: parts[2]}, nil
}

// serveFrames starts a server that sends each frame it reads to got and
// answers it with the lines reply returns for it ("ack N" when reply is
// nil; "close" closes with 1012); n is the connection's number.
func serveFrames(t *testing.T, got chan<- string, reply func(n int, f frame) string) string {
	t.Helper()
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for {
			f, err := readFrame(r.Context(), ws)
			if err != nil {
				return
			}
			got <- f.String()
			a := fmt.Sprintf("ack %d", f.id)
			if reply != nil {
				a = reply(n, f)
			}
			for _, line := range strings.Split(a, "\n") {
				if line == "close" {
					ws.Close(websocket.StatusServiceRestart, "")
					return
				}
				if line != "" && ws.Write(r.Context(), websocket.MessageText, []byte(line)) != nil {
					return
				}
			}
		}
	})
	return url
}

// wait returns r's fate, failing the test if none comes.
func wait(t *testing.T, r *reconnect.Receipt) reconnect.Fate {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wstest.Guard)
	defer cancel()
	f, err := r.Wait(ctx)
	if err != nil {
		t.Fatalf("receipt %d: no fate: %v", r.ID(), err)
	}
	return f
}

func sendText(t *testing.T, c *reconnect.Conn, data string) *reconnect.Receipt {
	t.Helper()
	r, err := c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: []byte(data)})
	if err != nil {
		t.Fatalf("Send(%q) = %v", data, err)
	}
	return r
}

func recv(t *testing.T, ch <-chan string, what string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wstest.Guard)
	defer cancel()
	select {
	case s := <-ch:
		return s
	case <-ctx.Done():
		t.Fatalf("no %s", what)
		return ""
	}
}

// TestSendFates sends two messages the server answers in each way a
// Codec can report, and checks each receipt's one fate, OnFate called
// once each, and that acks never reach Read while the frames the Codec
// delivers do, in order.
func TestSendFates(t *testing.T) {
	tests := []struct {
		name  string
		reply func(f frame) string
		want  reconnect.Fate
		err   string // the nack reason
	}{
		{"acked", func(f frame) string { return fmt.Sprintf("ack %d\nafter %d", f.id, f.id) }, reconnect.FateAcked, ""},
		{"rejected", func(f frame) string { return fmt.Sprintf("nack %d too late\nafter %d", f.id, f.id) }, reconnect.FateRejected, "too late"},
		{"cumulative", func(f frame) string {
			if f.id == 2 {
				return "acks 2\nafter 2"
			}
			return "after 1"
		}, reconnect.FateAcked, ""},
		{"garbage ids, acked twice, batched", func(f frame) string {
			return fmt.Sprintf("ack 99\nack 0\nack %d\nack %d\nbatch after;%d", f.id, f.id, f.id)
		}, reconnect.FateAcked, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan string, 16)
			url := serveFrames(t, got, func(_ int, f frame) string { return tt.reply(f) })
			c, _, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1, Codec: lineCodec{}}, false)
			if err != nil {
				t.Fatal(err)
			}
			calls := make(chan string, 4)
			out := reconnect.Outgoing{Type: websocket.MessageText, OnFate: func(r *reconnect.Receipt) {
				calls <- fmt.Sprintf("%d %v", r.ID(), r.Fate())
			}}
			var rs []*reconnect.Receipt
			for i, data := range []string{"a", "b"} {
				out.Data = []byte(data)
				r, err := c.Send(context.Background(), out)
				if err != nil {
					t.Fatal(err)
				}
				if r.ID() != uint64(i+1) {
					t.Fatalf("id %d, want %d", r.ID(), i+1)
				}
				if s := recv(t, got, "frame"); s != fmt.Sprintf("%d|false|%s", i+1, data) {
					t.Fatalf("server read %q", s)
				}
				rs = append(rs, r)
			}
			for _, r := range rs {
				if f := wait(t, r); f != tt.want {
					t.Errorf("receipt %d: %v, want %v", r.ID(), f, tt.want)
				}
				var ne *reconnect.NackError
				switch {
				case tt.err == "" && r.Err() != nil:
					t.Errorf("Err = %v for an acked message", r.Err())
				case tt.err != "" && (!errors.As(r.Err(), &ne) || ne.Reason != tt.err || ne.ID != r.ID()):
					t.Errorf("Err = %v; want a NackError with %q", r.Err(), tt.err)
				}
			}
			seen := map[string]bool{}
			for range 2 {
				seen[recv(t, calls, "OnFate")] = true
			}
			for i := range 2 {
				if w := fmt.Sprintf("%d %v", i+1, tt.want); !seen[w] {
					t.Errorf("OnFate calls %v; want %q", seen, w)
				}
			}
			var read []string
			for len(read) < 2 || read[len(read)-1] != "after 2" && read[len(read)-1] != "2" {
				s, err := wstest.Read(t, c)
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasPrefix(s, "ack") || strings.HasPrefix(s, "nack") {
					t.Fatalf("an ack reached Read: %q", s)
				}
				read = append(read, s)
			}
			select {
			case s := <-calls:
				t.Errorf("OnFate called again: %s", s)
			default:
			}
		})
	}
}
