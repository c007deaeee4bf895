package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// csvBin is the width of the CSV's time bins: finer than the histogram's
// windows, so that a plot shows the admission limit's 100 ms steps.
const csvBin = 50 * time.Millisecond

// csvHeader names the columns of the CSV that internal/herdplot reads.
var csvHeader = []string{"scenario", "strategy", "what", "mode", "clients", "downtime_ms",
	"capacity_per_100ms", "t_ms", "accepts"}

// writeCSV writes the accepts of every run per csvBin since the restart,
// one row per bin from 0 to the bin of the run's last accept.
func writeCSV(w io.Writer, rs []result, simulated bool, capacity int) error {
	mode := "loopback"
	if simulated {
		mode = "simulated"
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("failed to write the CSV: %w", err)
	}
	for _, r := range rs {
		var counts []int
		for _, t := range r.accepts {
			b := int(t / csvBin)
			for len(counts) <= b {
				counts = append(counts, 0)
			}
			counts[b]++
		}
		head := []string{r.scenario, r.strategy, r.what, mode, strconv.Itoa(r.n),
			strconv.FormatInt(r.downtime.Milliseconds(), 10), strconv.Itoa(capacity)}
		for i, c := range counts {
			row := append(head[:len(head):len(head)],
				strconv.FormatInt((time.Duration(i)*csvBin).Milliseconds(), 10), strconv.Itoa(c))
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("failed to write the CSV: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("failed to write the CSV: %w", err)
	}
	return nil
}
