package reconnect_test

import (
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/policy"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

const beat = 7 * time.Second

// TestPingWaitTakesOffPartOfATenthFromPolicyRand: each ping wait is
// PingInterval less Policy.Rand's draw of a tenth of it; a draw out of
// [0, 1) counts as the nearest end, so PingInterval stays the longest gap.
func TestPingWaitTakesOffPartOfATenthFromPolicyRand(t *testing.T) {
	tests := []struct {
		name string
		rand float64
		want time.Duration
	}{
		{"no draw: the full interval", 0, beat},
		{"a quarter: a fortieth off", 0.25, beat - 175*time.Millisecond},
		{"a half: a twentieth off", 0.5, beat - 350*time.Millisecond},
		{"three quarters", 0.75, beat - 525*time.Millisecond},
		{"one and above: a tenth off", 1.5, beat - 700*time.Millisecond},
		{"negative: the full interval", -1, beat},
		{"NaN: the full interval", math.NaN(), beat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, _ := wstest.Serve(t, wstest.EchoServer)
			o := &reconnect.Options{PingInterval: beat, Policy: policy.Policy{Rand: func() float64 { return tt.rand }}}
			c, rec, err := wstest.Dial(t, url, o, false)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			for i := range 3 { // every wait, not only the first
				if got := wstest.PingTimer(t, rec.Clock, beat); got != tt.want {
					t.Fatalf("ping wait %d = %v, want %v", i, got, tt.want)
				}
				wstest.PingTick(t, rec.Clock, beat)
				rec.Next(t, reconnect.EventHeartbeat)
			}
		})
	}
}

// TestPingsOfAFleetDialledTogetherAreSpread: Conns dialled at the same
// instant, with the default randomness, do not ping in step.
func TestPingsOfAFleetDialledTogetherAreSpread(t *testing.T) {
	const conns = 20
	url, _ := wstest.Serve(t, wstest.EchoServer)
	recs := make([]*wstest.Recorder, conns)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			_, rec, err := wstest.Dial(t, url, &reconnect.Options{PingInterval: beat}, false)
			if err != nil {
				t.Error(err)
				return
			}
			recs[i] = rec
		})
	}
	wstest.WaitGroup(t, &wg, "the fleet to connect")
	if t.Failed() {
		t.FailNow()
	}
	waits := make([]time.Duration, conns)
	for i, rec := range recs {
		waits[i] = wstest.PingTimer(t, rec.Clock, beat) // each Conn's own clock, all started at Epoch
	}
	slices.Sort(waits)
	distinct := len(slices.Compact(slices.Clone(waits)))
	// 20 uniform draws over a tenth: a spread under a quarter of it comes
	// once in about 10^10 runs.
	if spread := waits[conns-1] - waits[0]; distinct < conns/2 || spread < beat/40 {
		t.Fatalf("first ping waits %v: %d distinct, spread %v; want them spread over the last tenth of %v",
			waits, distinct, spread, beat)
	}
}
