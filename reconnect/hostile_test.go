package reconnect_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// A hostile server must not make the client allocate without bound: the
// read limit holds for one frame and for a message spread over endless
// continuation frames, a control frame cannot carry a huge reason, a ping
// flood costs only the pongs, and a client that does not Read pushes back
// on the server instead of buffering. These tests are not parallel, so the
// allocation counts are the client's and this server's alone.

// header returns a server frame header without its payload, for frames
// too big to build (wstest.Frame) or left open (fin false).
func header(fin bool, opcode byte, n uint64) []byte {
	b := []byte{opcode}
	if fin {
		b[0] |= 0x80
	}
	switch {
	case n < 126:
		return append(b, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 126), uint16(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 127), n)
}

// hostile accepts by hand, runs attack against the raw connection and
// counts the bytes it managed to write.
func hostile(t *testing.T, attack func(conn net.Conn, w *bufio.Writer) error) (string, *atomic.Int64) {
	t.Helper()
	var written atomic.Int64
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		conn, brw, err := wstest.Accept(w, r)
		if err != nil {
			return
		}
		defer conn.Close()
		hungUp := make(chan struct{})
		go func() { // take the client's pongs and close frames
			defer close(hungUp)
			io.Copy(io.Discard, brw)
		}()
		cw := &countWriter{w: conn, n: &written}
		attack(conn, bufio.NewWriterSize(cw, 32<<10))
		select { // hold the connection until the client hangs up
		case <-hungUp:
		case <-time.After(10 * time.Second):
		}
	})
	return url, &written
}

type countWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// allocated returns the bytes allocated while f ran, and the live heap
// growth after it.
func allocated(f func()) (total, live int64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	total = int64(after.TotalAlloc - before.TotalAlloc)
	runtime.GC()
	runtime.ReadMemStats(&after)
	return total, int64(after.HeapAlloc) - int64(before.HeapAlloc)
}

// endsWith dials url and waits for the Conn to end; it returns the final
// *reconnect.Error.
func endsWith(t *testing.T, url string, o *reconnect.Options) *reconnect.Error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := reconnect.Dial(ctx, url, o)
	if err == nil {
		select {
		case <-c.Done():
			err = c.Err()
		case <-ctx.Done():
			c.CloseNow()
			t.Fatal("Conn did not end")
		}
	}
	var re *reconnect.Error
	if !errors.As(err, &re) {
		t.Fatalf("final error %v, want a *reconnect.Error", err)
	}
	return re
}

func TestHostileHugeMessage(t *testing.T) {
	const offered = 256 << 20
	for _, tt := range []struct {
		name  string
		limit int64
	}{{"default read limit", 0}, {"1 KiB read limit", 1024}} {
		t.Run(tt.name, func(t *testing.T) {
			url, written := hostile(t, func(_ net.Conn, w *bufio.Writer) error {
				w.Write(header(true, wstest.OpText, offered))
				chunk := make([]byte, 32<<10)
				for sent := 0; sent < offered; sent += len(chunk) {
					if _, err := w.Write(chunk); err != nil {
						return err
					}
				}
				return w.Flush()
			})
			var re *reconnect.Error
			total, live := allocated(func() {
				re = endsWith(t, url, &reconnect.Options{ReadLimit: tt.limit, PingInterval: -1})
			})
			if re.Kind != reconnect.KindTerminal || re.Decision.Label != "close_1009" {
				t.Fatalf("ended %v; want terminal close_1009", re)
			}
			if w := written.Load(); w > 32<<20 {
				t.Fatalf("server wrote %d MiB of its %d MiB message", w>>20, offered>>20)
			}
			if total > 16<<20 || live > 4<<20 {
				t.Fatalf("allocated %d KiB (%d KiB live) for a %d MiB message", total>>10, live>>10, offered>>20)
			}
			t.Logf("server wrote %d KiB of %d MiB; client allocated %d KiB, %d KiB live", written.Load()>>10, offered>>20, total>>10, live>>10)
		})
	}
}

func TestHostileEndlessContinuation(t *testing.T) {
	url, written := hostile(t, func(_ net.Conn, w *bufio.Writer) error {
		frag := make([]byte, 1024)
		w.Write(header(false, wstest.OpText, uint64(len(frag))))
		w.Write(frag)
		for range 256 << 10 { // 256 MiB in 1 KiB fragments
			w.Write(header(false, 0x0, uint64(len(frag))))
			if _, err := w.Write(frag); err != nil {
				return err
			}
		}
		return w.Flush()
	})
	var re *reconnect.Error
	total, _ := allocated(func() { re = endsWith(t, url, &reconnect.Options{PingInterval: -1}) })
	if re.Kind != reconnect.KindTerminal || re.Decision.Label != "close_1009" {
		t.Fatalf("ended %v; want terminal close_1009", re)
	}
	if w := written.Load(); w > 32<<20 || total > 16<<20 {
		t.Fatalf("server wrote %d KiB, client allocated %d KiB", w>>10, total>>10)
	}
}

func TestHostileHugeCloseReason(t *testing.T) {
	url, _ := hostile(t, func(_ net.Conn, w *bufio.Writer) error {
		w.Write(wstest.Frame(wstest.OpClose, wstest.ClosePayload(1001, string(make([]byte, 64<<10)))))
		return w.Flush()
	})
	o := &reconnect.Options{PingInterval: -1, Policy: policy.Policy{MaxAttempts: 1}}
	re := endsWith(t, url, o)
	if re.Kind != reconnect.KindTerminal || re.Decision.Label != policy.LabelProtocolViolation {
		t.Fatalf("ended %v; want terminal protocol_violation (the client's 1002 on an invalid close frame)", re)
	}
	if n := len(re.Error()); n > 512 {
		t.Fatalf("final error is %d bytes long", n)
	}
}

func TestHostilePingFlood(t *testing.T) {
	const pings = 20000
	url, _ := hostile(t, func(_ net.Conn, w *bufio.Writer) error {
		ping := wstest.Frame(wstest.OpPing, make([]byte, 125))
		for range pings {
			if _, err := w.Write(ping); err != nil {
				return err
			}
		}
		w.Write(wstest.Frame(wstest.OpText, []byte("after the flood")))
		return w.Flush()
	})
	rec := wstest.NewRecorder(nil, false)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got string
	total, live := allocated(func() {
		c, err := reconnect.Dial(ctx, url, &reconnect.Options{Observer: rec})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		_, p, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("Read after the flood = %v", err)
		}
		got = string(p)
	})
	if got != "after the flood" || rec.Count(reconnect.EventConnected) != 1 {
		t.Fatalf("read %q over %d connections; want the message on the first", got, rec.Count(reconnect.EventConnected))
	}
	// coder/websocket allocates about 1.4 KB per pong (a timeout context
	// per control write): garbage, not kept, and paid only per ping.
	if total/pings > 4096 || live > 4<<20 {
		t.Fatalf("%d pings cost %d KiB (%d B each), %d KiB live", pings, total>>10, total/pings, live>>10)
	}
	t.Logf("%d pings: %d B allocated per ping, %d KiB live", pings, total/pings, live>>10)
}

// TestHostileFloodWithoutReading sends messages as fast as the server can
// while the application does not Read: the Conn holds one message for
// Read and pushes back on the rest, so the server stalls.
func TestHostileFloodWithoutReading(t *testing.T) {
	url, written := hostile(t, func(_ net.Conn, w *bufio.Writer) error {
		msg := wstest.Frame(wstest.OpText, make([]byte, 1024))
		for range 1 << 20 { // up to 1 GiB
			if _, err := w.Write(msg); err != nil {
				return err
			}
		}
		return w.Flush()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	total, live := allocated(func() {
		c, err := reconnect.Dial(ctx, url, &reconnect.Options{PingInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		// Let the server push until it stalls, without reading; past the
		// limit checked below it has failed already, so stop waiting.
		var last int64 = -1
		for w := written.Load(); w != last && w <= 32<<20 && ctx.Err() == nil; w = written.Load() {
			last = w
			time.Sleep(100 * time.Millisecond)
		}
		if _, _, err := c.Read(ctx); err != nil {
			t.Fatalf("Read = %v", err)
		}
	})
	if w := written.Load(); w > 32<<20 || total > 16<<20 || live > 4<<20 {
		t.Fatalf("server pushed %d KiB to a client that did not read; client allocated %d KiB, %d KiB live", w>>10, total>>10, live>>10)
	}
	t.Logf("server stalled after %d KiB; client allocated %d KiB, %d KiB live", written.Load()>>10, total>>10, live>>10)
}
