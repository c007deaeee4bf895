package reconnect_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// A stream that ends inside a message (a proxy's byte limit, a relay
// passing on a reset as a FIN) is a dropped connection, never a message.
// coder/websocket v1.8.15 takes an EOF met where a frame's payload or a
// continuation header should start for the end of the message, and
// returns what it read so far with a nil error: the chaos soak saw an
// empty ack when toxiproxy's limit_data cut the stream right after a
// frame header.

// cutStreams end after a complete "a 1" inside a second message.
var cutStreams = []struct {
	name string
	cut  []byte
}{
	{"after a text header", header(true, wstest.OpText, 5)},
	{"after a fragment", append(header(false, wstest.OpText, 2), "a "...)},
	{"inside the next fragment's header", append(append(header(false, wstest.OpText, 2), "a "...), 0x80)},
	// io.ReadAll asks for 512 bytes first.
	{"after 512 of 1024 payload bytes", append(header(true, wstest.OpText, 1024), bytes.Repeat([]byte{'x'}, 512)...)},
}

// cutHandler writes "a 1" and then cut on the first connection, followed
// by the end of the stream (a FIN, or a close_notify over TLS), and "a 2"
// on later ones.
func cutHandler(cut []byte) func(n int, w http.ResponseWriter, r *http.Request) {
	return func(n int, w http.ResponseWriter, r *http.Request) {
		if n > 1 {
			ws, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer ws.CloseNow()
			if ws.Write(r.Context(), websocket.MessageText, []byte("a 2")) == nil {
				ws.Read(r.Context()) // until the client closes
			}
			return
		}
		conn, brw, err := wstest.Accept(w, r)
		if err != nil {
			return
		}
		defer conn.Close()
		brw.Write(wstest.Frame(wstest.OpText, []byte("a 1")))
		brw.Write(cut)
		brw.Flush()
		// End the stream cleanly, not with a reset: no error to see.
		conn.(interface{ CloseWrite() error }).CloseWrite()
		io.Copy(io.Discard, brw) // until the client hangs up
	}
}

func cutServer(t *testing.T, cut []byte) string {
	t.Helper()
	url, _ := wstest.Serve(t, cutHandler(cut))
	return url
}

// cutTLSServer is cutServer over TLS, with a client that trusts it.
func cutTLSServer(t *testing.T, cut []byte) (string, *http.Client) {
	t.Helper()
	var n atomic.Int32
	h := cutHandler(cut)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(int(n.Add(1)), w, r) }))
	t.Cleanup(srv.Close)
	return "wss" + strings.TrimPrefix(srv.URL, "https"), srv.Client()
}

func TestCutMessageIsADrop(t *testing.T) {
	t.Parallel()
	for _, tt := range cutStreams {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			testCut(t, tt.cut, false)
		})
		t.Run(tt.name+" over TLS", func(t *testing.T) {
			t.Parallel()
			testCut(t, tt.cut, true)
		})
	}
}

// testCut checks that the Conn takes cut for a drop: the next Read gets
// the next connection's message.
func testCut(t *testing.T, cut []byte, tls bool) {
	o := &reconnect.Options{PingInterval: -1}
	var url string
	if tls {
		// The application's own HTTPClient is guarded too.
		var hc *http.Client
		url, hc = cutTLSServer(t, cut)
		o.DialOptions = &websocket.DialOptions{HTTPClient: hc}
	} else {
		url = cutServer(t, cut)
	}
	c, rec, err := wstest.Dial(t, url, o, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := wstest.Read(t, c); got != "a 1" {
		t.Fatalf("Read = %q, %v; want \"a 1\"", got, err)
	}
	if got, err := wstest.Read(t, c); got != "a 2" {
		t.Fatalf("Read = %q (%d bytes), %v; want \"a 2\" from the next connection, not the cut message", got[:min(len(got), 8)], len(got), err)
	}
	end := rec.Next(t, reconnect.EventDisconnected)
	if end.Decision.Code != websocket.StatusAbnormalClosure || !end.Decision.Retry() {
		t.Fatalf("cut classified %v (%v), want retry 1006", end.Decision, end.Err)
	}
}

// TestCoderWebsocketDeliversCutMessages pins the coder/websocket behaviour
// the Conn works around. If it fails, coder/websocket reports cut
// messages itself and the Conn's guard (reconnect/cut.go) can go.
func TestCoderWebsocketDeliversCutMessages(t *testing.T) {
	t.Parallel()
	for _, tt := range cutStreams {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := wstest.Context(t)
			ws, _, err := websocket.Dial(ctx, cutServer(t, tt.cut), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.CloseNow()
			if _, p, err := ws.Read(ctx); string(p) != "a 1" || err != nil {
				t.Fatalf("Read = %q, %v; want \"a 1\"", p, err)
			}
			_, p, err := ws.Read(ctx)
			if err != nil {
				t.Fatalf("Read = %d bytes, %v: coder/websocket now reports the cut", len(p), err)
			}
		})
	}
}
