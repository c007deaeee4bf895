package otelwrap_test

import (
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/wsreconnect/wsreconnect/otelwrap"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// TestDeliveryEvents: fates, gaps, resets, expiries and position
// duplicates become counters, and gaps, resets and expiries span events
// of the session.
func TestDeliveryEvents(t *testing.T) {
	h := newHarness(t, otelwrap.WithSessionSpans())
	at := time.Unix(1_700_000_000, 0)
	for _, e := range deliveryEvents() {
		e.Time = at
		h.obs.OnEvent(e)
	}
	want := map[string]map[string]int64{
		"websocket.client.delivery.fates":    {"websocket.delivery.fate=acked": 2, "websocket.delivery.fate=rejected": 1},
		"websocket.client.stream.gaps":       {"": 1},
		"websocket.client.stream.resets":     {"": 1},
		"websocket.client.expired.messages":  {"": 3},
		"websocket.client.stream.duplicates": {"": 4},
	}
	got := map[string]map[string]int64{}
	for _, m := range h.metrics(t).Metrics {
		s, ok := m.Data.(metricdata.Sum[int64])
		if !ok || want[m.Name] == nil {
			continue
		}
		got[m.Name] = map[string]int64{}
		for _, p := range s.DataPoints {
			got[m.Name][setString(p.Attributes)] = p.Value
		}
	}
	for name, pts := range want {
		for k, v := range pts {
			if got[name][k] != v {
				t.Errorf("%s{%s} = %d, want %d (all: %v)", name, k, got[name][k], v, got[name])
			}
		}
	}
	tree := h.tree(at)
	for _, ev := range []string{
		"event websocket.stream.gap +0s {websocket.stream.from=2 websocket.stream.name=a websocket.stream.to=5}",
		"event websocket.stream.reset +0s {websocket.stream.epoch=f websocket.stream.name=a}",
		"event websocket.messages.expired +0s {websocket.messages.expired=3}",
	} {
		if !strings.Contains(tree, ev) {
			t.Errorf("no %q in\n%s", ev, tree)
		}
	}
}

func setString(s attribute.Set) string {
	var parts []string
	for _, kv := range s.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.String())
	}
	return strings.Join(parts, ",")
}

// deliveryEvents is a session with every delivery event: two fates acked
// and one rejected, a gap, a reset, three expired and four duplicates.
func deliveryEvents() []reconnect.Event {
	return []reconnect.Event{
		{Kind: reconnect.EventAttempt, Generation: 1, Attempt: 1},
		{Kind: reconnect.EventAttemptDone, Generation: 1, Attempt: 1, Status: 101},
		{Kind: reconnect.EventConnected, Generation: 1, Attempt: 1},
		{Kind: reconnect.EventFate, ID: 1, Fate: reconnect.FateAcked},
		{Kind: reconnect.EventFate, ID: 2, Fate: reconnect.FateAcked},
		{Kind: reconnect.EventFate, ID: 3, Fate: reconnect.FateRejected},
		{Kind: reconnect.EventGap, Stream: "a", From: reconnect.Position{Stream: "a", Offset: 2}, To: reconnect.Position{Stream: "a", Offset: 5}},
		{Kind: reconnect.EventReset, Stream: "a", From: reconnect.Position{Stream: "a", Epoch: "e"}, To: reconnect.Position{Stream: "a", Epoch: "f"}},
		{Kind: reconnect.EventExpired, Dropped: 3},
		{Kind: reconnect.EventDisconnected, Generation: 1, Dropped: 4, Decision: dropped, Err: errEOF},
	}
}
