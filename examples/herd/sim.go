package main

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
)

// The errors a client sees, shaped like coder/websocket's, so that the
// simulation classifies them with the policy exactly as a Conn would.
var (
	errClose1012 = fmt.Errorf("failed to get reader: received close frame: %w",
		websocket.CloseError{Code: websocket.StatusServiceRestart, Reason: "restarting"})
	errDrop    = fmt.Errorf("failed to get reader: failed to read frame header: %w", io.EOF)
	errRefused = fmt.Errorf("failed to WebSocket dial: failed to send handshake request: %w",
		&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})
	err503  = errors.New("failed to WebSocket dial: expected handshake response status code 101 but got 503")
	resp503 = &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}}
)

// simulate computes the schedule of n clients with the policy alone: no
// sockets, simulated time. It models what the real run does: at time 0
// every client loses its connection (scenario), the server refuses
// connections until downtime, then admits capacity handshakes per window
// and answers the rest 503. Each client waits Policy.Delay(decision,
// backoff.NextBackOff()) before each attempt, as the supervisor does.
func simulate(n int, st strategy, sc scenario, capacity int, downtime, horizon time.Duration) result {
	p := st.policy
	r := result{scenario: sc.name, strategy: st.name, what: st.what, n: n, downtime: downtime}
	drop := errDrop
	if sc.close1012 {
		drop = errClose1012
	}
	dDrop, dRefused, d503 := p.Classify(drop, nil), p.Classify(errRefused, nil), p.Classify(err503, resp503)

	boffs := make([]backoff.BackOff, n)
	q := make(schedule, n)
	for i := range boffs {
		boffs[i] = p.FreshBackoff()
		q[i] = attempt{at: p.Delay(dDrop, boffs[i].NextBackOff()), client: int32(i)}
	}
	heap.Init(&q)
	admitted := make(map[int64]int)
	for q.Len() > 0 {
		a := heap.Pop(&q).(attempt)
		if a.at > horizon {
			break
		}
		r.attempts++
		var d policy.Decision
		w := int64(a.at / window)
		switch {
		case a.at < downtime:
			r.refused++
			d = dRefused
		case admitted[w] >= capacity:
			r.rejected++
			d = d503
		default:
			admitted[w]++
			r.accepts = append(r.accepts, a.at)
			boffs[a.client] = nil
			continue
		}
		next := boffs[a.client].NextBackOff()
		if next == backoff.Stop {
			continue // gave up
		}
		a.at += p.Delay(d, next)
		heap.Push(&q, a)
	}
	return r
}

// loneBlip returns the mean and median wait before the first attempt of a
// client whose connection dropped alone: the server is fine, so that
// attempt succeeds. Spreading a fleet must not lengthen this wait.
func loneBlip(p policy.Policy, samples int) (mean, median time.Duration) {
	d := p.Classify(errDrop, nil)
	w := make([]time.Duration, samples)
	var sum time.Duration
	for i := range w {
		w[i] = p.Delay(d, p.FreshBackoff().NextBackOff())
		sum += w[i]
	}
	slices.Sort(w)
	return sum / time.Duration(samples), w[samples/2]
}

type attempt struct {
	at     time.Duration
	client int32
}

// schedule is a min-heap of attempts by time.
type schedule []attempt

func (s schedule) Len() int           { return len(s) }
func (s schedule) Less(i, j int) bool { return s[i].at < s[j].at }
func (s schedule) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s *schedule) Push(x any)        { *s = append(*s, x.(attempt)) }
func (s *schedule) Pop() any {
	old := *s
	a := old[len(old)-1]
	*s = old[:len(old)-1]
	return a
}
