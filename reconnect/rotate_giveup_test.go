package reconnect_test

import (
	"net/http"
	"testing"

	"github.com/cenkalti/backoff/v4"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestRotationThatGivesUpKeepsTheOldConnection: a rotation whose dial is
// answered with a terminal status, or whose backoff says stop, stops at
// once; the old connection stays, with no disconnect and no wait, and
// keeps delivering.
func TestRotationThatGivesUpKeepsTheOldConnection(t *testing.T) {
	stop := func() backoff.BackOff { return &backoff.StopBackOff{} }
	tests := []struct {
		name    string
		status  int
		backoff func() backoff.BackOff
	}{
		{"403 forbidden", http.StatusForbidden, nil},
		{"404 not found", http.StatusNotFound, nil},
		{"503 and a backoff that stops", http.StatusServiceUnavailable, stop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, _ := newQuietSeqFeed(t)
			url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
				switch {
				case n > 5: // a rotation that does not stop ends here, not in a hang
					http.Error(w, http.StatusText(http.StatusForbidden), http.StatusForbidden)
					return
				case n > 1: // the rotation's dial
					http.Error(w, http.StatusText(tt.status), tt.status)
					return
				}
				f.serve(n, w, r)
			})
			o := &reconnect.Options{OnConnect: subscribe, PingInterval: -1, MessageKey: seqKey, Policy: policy.Policy{NewBackoff: tt.backoff}}
			c, rec, err := wstest.Dial(t, url, o, true)
			if err != nil {
				t.Fatal(err)
			}
			wstest.Wait(t, f.subscribed, "the first subscription")
			c.Rotate()
			done := rec.Next(t, reconnect.EventRotated)
			if done.Err == nil || done.Generation != 2 {
				t.Fatalf("EventRotated gen %d, Err %v; want the rotation's error", done.Generation, done.Err)
			}
			var attempts []int
			for _, e := range rec.Events() {
				switch {
				case e.Kind == reconnect.EventAttemptDone && e.Rotation:
					attempts = append(attempts, e.Status)
				case e.Kind == reconnect.EventDisconnected, e.Kind == reconnect.EventWaiting:
					t.Fatalf("%v during a rotation that gave up: %v", e.Kind, wstest.Kinds(rec.Events()))
				}
			}
			if len(attempts) != 1 || attempts[0] != tt.status {
				t.Fatalf("rotation attempts answered %v, want one %d", attempts, tt.status)
			}
			if s := c.State(); s != reconnect.Connected {
				t.Fatalf("state %v, want connected", s)
			}
			f.publish()
			m, err := c.ReadMessage(wstest.Context(t))
			if err != nil || string(m.Data) != "0" || m.Generation != 1 {
				t.Fatalf("read %q gen %d, %v; want \"0\" from generation 1", m.Data, m.Generation, err)
			}
		})
	}
}
