package wstest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"
)

// Serve starts an httptest server whose handler also gets the 1-based
// number of the request, and returns its ws:// URL and the request
// counter. The server is closed when the test ends.
func Serve(t testing.TB, h func(n int, w http.ResponseWriter, r *http.Request)) (string, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(int(n.Add(1)), w, r)
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), &n
}

// Echo writes every message back until the connection ends.
func Echo(ctx context.Context, ws *websocket.Conn) error {
	for {
		typ, p, err := ws.Read(ctx)
		if err != nil {
			return err
		}
		if err := ws.Write(ctx, typ, p); err != nil {
			return err
		}
	}
}

// Collect sends every text of the messages it reads to got until the
// connection ends.
func Collect(ctx context.Context, ws *websocket.Conn, got chan<- string) {
	for {
		_, p, err := ws.Read(ctx)
		if err != nil {
			return
		}
		got <- string(p)
	}
}

// Refuse answers the upgrade with status and, if set, a Retry-After.
func Refuse(status int, retryAfter string) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		http.Error(w, http.StatusText(status), status)
	}
}

// EchoServer accepts and echoes every message: a healthy server for Serve.
func EchoServer(_ int, w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	Echo(r.Context(), ws)
}
