package thirdparty_test

import (
	"net"
	"sync"
	"testing"
	"time"
)

// relay is a loopback TCP forwarder that never stops reading a side
// before that side has finished: when one end goes away, whatever the other
// still sends is read and dropped until it closes too.
//
// It shields toxiproxy 2.5.0 from dying peers. A toxiproxy link whose
// writer fails (the peer reset the connection) strands any toxic still
// holding data: the toxic's goroutine blocks forever sending to the dead
// writer, and a later RemoveToxic deadlocks on it. With a relay on each
// side of the proxy, toxiproxy's writers always write to a relay that is
// still reading, so they end only when their own input ends.
type relay struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// startRelay forwards a new loopback port to target; it stops when the
// test ends.
func startRelay(t testing.TB, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, conns: map[net.Conn]struct{}{}}
	r.wg.Add(1)
	go r.serve(target)
	t.Cleanup(r.stop)
	return r
}

func (r *relay) Addr() string { return r.ln.Addr().String() }

func (r *relay) serve(target string) {
	defer r.wg.Done()
	for {
		a, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.track(a)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			// Dialed here, not in the accept loop: under load each dial
			// waits for the scheduler, and a loop that dials in turn queues
			// the handshakes of every route behind it for seconds.
			b, err := net.Dial("tcp", target)
			if err != nil {
				a.Close()
				r.untrack(a)
				return
			}
			r.track(b)
			var both sync.WaitGroup
			both.Add(2)
			go func() { defer both.Done(); drainPipe(a, b) }()
			go func() { defer both.Done(); drainPipe(b, a) }()
			both.Wait()
			a.Close()
			b.Close()
			r.untrack(a, b)
		}()
	}
}

// drainPipe copies src to dst until src ends, then half-closes dst. If dst
// fails, it keeps reading src so that src's writer never sees an error.
func drainPipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	ok := true
	for {
		n, err := src.Read(buf)
		if n > 0 && ok {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				ok = false
			}
		}
		if err != nil {
			break
		}
	}
	if tc, isTCP := dst.(*net.TCPConn); isTCP {
		tc.CloseWrite()
	}
}

func (r *relay) track(cs ...net.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range cs {
		r.conns[c] = struct{}{}
	}
}

func (r *relay) untrack(cs ...net.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range cs {
		delete(r.conns, c)
	}
}

// stop closes the listener and, after a grace period for connections
// still shutting down, every connection left.
func (r *relay) stop() {
	r.ln.Close()
	if waitGroup(&r.wg, 5*time.Second) {
		return
	}
	r.mu.Lock()
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}
