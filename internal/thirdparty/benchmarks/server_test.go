package benchmarks_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
)

// serve runs the benchmark server until stdin closes. It prints its
// address on stdout.
func serve() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", handle(echo))
	mux.HandleFunc("/discard", handle(discard))
	mux.HandleFunc("/restart", handle(restart))
	mux.HandleFunc("/feed", feed)
	mux.HandleFunc("/ack", handle(ack))
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	fmt.Println(ln.Addr().String())
	io.Copy(io.Discard, os.Stdin) // until the parent closes the pipe or dies
	return srv.Close()
}

func handle(f func(ctx context.Context, c *websocket.Conn) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(-1)
		f(r.Context(), c)
	}
}

// echo sends every message back.
func echo(ctx context.Context, c *websocket.Conn) error {
	buf := make([]byte, 64<<10)
	for {
		typ, r, err := c.Reader(ctx)
		if err != nil {
			return err
		}
		w, err := c.Writer(ctx, typ)
		if err != nil {
			return err
		}
		if _, err := io.CopyBuffer(w, r, buf); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
}

// discard counts binary messages and answers a text message with the count
// since the last text message.
func discard(ctx context.Context, c *websocket.Conn) error {
	buf := make([]byte, 64<<10)
	n := 0
	for {
		typ, r, err := c.Reader(ctx)
		if err != nil {
			return err
		}
		if _, err := io.CopyBuffer(io.Discard, r, buf); err != nil {
			return err
		}
		if typ == websocket.MessageBinary {
			n++
			continue
		}
		if err := c.Write(ctx, websocket.MessageText, strconv.AppendInt(nil, int64(n), 10)); err != nil {
			return err
		}
		n = 0
	}
}

// restart greets every connection with "hello", closes it with 1012 when
// asked with "restart" and echoes anything else.
func restart(ctx context.Context, c *websocket.Conn) error {
	if err := c.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
		return err
	}
	for {
		typ, p, err := c.Read(ctx)
		if err != nil {
			return err
		}
		if string(p) == "restart" {
			return c.Close(websocket.StatusServiceRestart, "restart")
		}
		if err := c.Write(ctx, typ, p); err != nil {
			return err
		}
	}
}

// feed waits for one short message from the client, then pushes ?n=
// binary 64 B messages as fast as the connection takes them, then waits
// for the client to close. It writes pre-encoded frames in large batches,
// so the client, not the server, is the bottleneck.
func feed(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil {
		http.Error(w, "bad n", http.StatusBadRequest)
		return
	}
	conn, brw, err := wstest.Accept(w, r)
	if err != nil {
		return
	}
	defer conn.Close()
	// A masked client frame with a payload under 126 bytes: 2 header
	// bytes, a 4-byte mask, the payload.
	var hdr [6]byte
	if _, err := io.ReadFull(brw, hdr[:]); err != nil || hdr[1]&0x7f >= 126 {
		return
	}
	if _, err := brw.Discard(int(hdr[1] & 0x7f)); err != nil {
		return
	}
	frame := wstest.Frame(wstest.OpBinary, make([]byte, 64))
	const batch = 256
	full := bytes.Repeat(frame, batch)
	for sent := 0; sent < n; sent += batch {
		p := full[:min(batch, n-sent)*len(frame)]
		if _, err := brw.Write(p); err != nil {
			return
		}
	}
	if brw.Flush() != nil {
		return
	}
	io.Copy(io.Discard, conn) // until the client closes
}
