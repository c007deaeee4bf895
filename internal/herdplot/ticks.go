package main

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
)

// secondTicks marks seconds every 0.25, 0.5, 1 or 2 s, whichever gives at
// most 12 labels.
type secondTicks struct{}

// Ticks returns the marks between lo and hi.
func (secondTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 2.0
	for _, s := range []float64{0.25, 0.5, 1} {
		if (hi-lo)/s <= 12 {
			step = s
			break
		}
	}
	var ts []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+1e-9; v += step {
		ts = append(ts, plot.Tick{Value: v, Label: fmt.Sprintf("%g", v)})
	}
	return ts
}

// countTicks are gonum's default marks with thousands separators.
type countTicks struct{}

// Ticks returns the marks between lo and hi.
func (countTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ts {
		if t.Label != "" {
			ts[i].Label = thousands(int(math.Round(t.Value)))
		}
	}
	return ts
}
