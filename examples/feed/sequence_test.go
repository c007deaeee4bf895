package main

import (
	"testing"
	"time"
)

// TestQuietIgnoresReplay: a resumed connection first replays what one
// symbol missed, in the market's order. Those old updates must not make
// the up-to-date symbols look quiet on the new connection.
func TestQuietIgnoresReplay(t *testing.T) {
	f := newClient([]string{"BTC", "ETH"}, "", 200*time.Millisecond, t.Logf)
	feed := func(gen uint64, sym string, from, to int64, seq map[string]int64) string {
		for ts := from; ts <= to; ts += 10 {
			seq[sym]++
			if q := f.check(gen, update{S: sym, Seq: seq[sym], T: ts}); q != "" {
				return q
			}
		}
		return ""
	}
	seq := map[string]int64{}
	// Connection 1: both flow until 300 ms, then ETH stops and BTC goes
	// on to 500 ms; the quiet check marks ETH.
	for ts := int64(0); ts <= 300; ts += 10 {
		feed(1, "BTC", ts, ts, seq)
		feed(1, "ETH", ts, ts, seq)
	}
	if q := feed(1, "BTC", 310, 520, seq); q != "ETH" {
		t.Fatalf("connection 1: quiet = %q, want ETH", q)
	}
	// Connection 2 replays ETH from 310 ms to 520 ms, then both flow.
	if q := feed(2, "ETH", 310, 520, seq); q != "" {
		t.Errorf("connection 2, during the replay: quiet = %q, want none", q)
	}
	for ts := int64(530); ts <= 600; ts += 10 {
		if q := feed(2, "BTC", ts, ts, seq) + feed(2, "ETH", ts, ts, seq); q != "" {
			t.Errorf("connection 2, live at %d ms: quiet = %q, want none", ts, q)
		}
	}
	if f.st.gaps != 0 {
		t.Errorf("gaps = %d, want 0", f.st.gaps)
	}
}
