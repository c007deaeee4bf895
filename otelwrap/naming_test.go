package otelwrap_test

import (
	"regexp"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Instrument names and units follow the OpenTelemetry naming rules: a
// websocket.client namespace, lowercase dot-separated snake_case, UCUM
// units (seconds, or an annotation for counts), counters pluralised after
// their unit's annotation, up-down counters not pluralised, no _total.
var (
	metricName = regexp.MustCompile(`^websocket\.client(\.[a-z][a-z0-9_]*)+$`)
	annotation = regexp.MustCompile(`^\{([a-z_]+)\}$`)
)

func TestInstrumentNamesFollowTheRules(t *testing.T) {
	t.Parallel()
	row := rotationRows()[0] // records every lifecycle instrument
	h := newHarness(t, row.opts...)
	for _, e := range row.events {
		h.obs.OnEvent(e)
	}
	for _, e := range deliveryEvents() { // and the delivery ones
		h.obs.OnEvent(e)
	}
	got := h.metrics(t).Metrics
	if len(got) != len(metricInfo) {
		t.Fatalf("collected %d instruments, want all %d", len(got), len(metricInfo))
	}
	for _, m := range got {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			for _, p := range checkMetricName(m) {
				t.Errorf("%s (unit %q): %s", m.Name, m.Unit, p)
			}
		})
	}
}

// checkMetricName returns the rules m breaks.
func checkMetricName(m metricdata.Metrics) []string {
	var broken []string
	if !metricName.MatchString(m.Name) {
		broken = append(broken, "not lowercase dotted snake_case under websocket.client")
	}
	if strings.Contains(m.Name, "total") {
		broken = append(broken, "uses total")
	}
	last := m.Name[strings.LastIndex(m.Name, ".")+1:]
	unit := annotation.FindStringSubmatch(m.Unit)
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		switch {
		case unit == nil:
			broken = append(broken, "a count needs a {annotation} unit")
		case d.IsMonotonic && last != unit[1]+"s":
			broken = append(broken, "a counter is named for what it counts, plural: "+unit[1]+"s")
		case !d.IsMonotonic && strings.HasSuffix(last, "s"):
			broken = append(broken, "an up-down counter is not plural (use count)")
		}
	case metricdata.Histogram[float64]:
		if m.Unit != "s" || last != "duration" && last != "delay" {
			broken = append(broken, "a time histogram is a .duration or .delay in s")
		}
	default:
		broken = append(broken, "unexpected instrument type")
	}
	return broken
}
