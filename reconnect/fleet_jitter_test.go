package reconnect_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestAFleetDroppedTogetherReturnsSpread: Conns with the default policy,
// dropped by the same server at the same moment, wait different times
// before their next attempt, within the documented range.
func TestAFleetDroppedTogetherReturnsSpread(t *testing.T) {
	const conns = 20
	tests := []struct {
		name     string
		code     websocket.StatusCode
		min, max time.Duration // the documented range of the first wait
	}{
		{"1001 going away: full jitter over the initial backoff", websocket.StatusGoingAway, 0, policy.DefaultInitial},
		{"1012 service restart: the backoff plus the restart spread", websocket.StatusServiceRestart, 0, policy.DefaultInitial + policy.DefaultRestartSpread},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			drop := make(chan struct{})
			url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				ws, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				defer ws.CloseNow()
				select {
				case <-drop: // every connection of the fleet at once
					ws.Close(tt.code, "")
				case <-r.Context().Done():
				}
			})
			recs := make([]*wstest.Recorder, conns)
			for i := range recs {
				// Each on its own fake clock, all at the same instant;
				// no clock moves, so each waits where it is.
				_, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: -1}, false)
				if err != nil {
					t.Fatal(err)
				}
				recs[i] = rec
			}
			close(drop)
			waits := make([]time.Duration, conns)
			for i, rec := range recs {
				e := rec.Next(t, reconnect.EventWaiting)
				if e.Delay < tt.min || e.Delay >= tt.max {
					t.Fatalf("Conn %d waits %v, want within [%v, %v)", i, e.Delay, tt.min, tt.max)
				}
				waits[i] = e.Delay
			}
			slices.Sort(waits)
			distinct := len(slices.Compact(slices.Clone(waits)))
			// 20 uniform draws: fewer than 19 distinct values or a
			// range under a quarter of the width has odds below 1e-10.
			if spread := waits[conns-1] - waits[0]; distinct < conns-1 || spread < (tt.max-tt.min)/4 {
				t.Fatalf("waits %v: %d distinct, spread %v; want them spread over [%v, %v)", waits, distinct, spread, tt.min, tt.max)
			}
		})
	}
}
