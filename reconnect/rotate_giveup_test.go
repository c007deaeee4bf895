package reconnect_test

import (
	"net/http"
	"testing"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestRotationThatGivesUpKeepsTheOldConnection: a rotation whose dial is
// answered with a terminal status stops at once; the old connection stays,
// with no disconnect and no wait, and keeps delivering.
func TestRotationThatGivesUpKeepsTheOldConnection(t *testing.T) {
	tests := []struct {
		name   string
		status int
	}{
		{"403 forbidden", http.StatusForbidden},
		{"404 not found", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, _ := newQuietSeqFeed(t)
			url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n > 1 { // the rotation's dial
					http.Error(w, http.StatusText(tt.status), tt.status)
					return
				}
				f.serve(n, w, r)
			})
			c, rec, err := wstest.Dial(t, url, &reconnect.Options{OnConnect: subscribe, PingInterval: -1, MessageKey: seqKey}, true)
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
