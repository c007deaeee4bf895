package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// header is the first row of the CSV that examples/herd -csv writes.
var header = []string{"scenario", "strategy", "what", "mode", "clients", "downtime_ms",
	"capacity_per_100ms", "t_ms", "accepts"}

// series is one run: a scenario under one strategy, accepts per bin.
type series struct {
	scenario, strategy, what, mode string
	clients, downtimeMs, capacity  int
	tMs, accepts                   []int
}

// load reads the runs of a herd CSV in the order they appear.
func load(r io.Reader) ([]*series, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(header)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("failed to read the CSV header: %w", err)
	}
	if !slices.Equal(head, header) {
		return nil, fmt.Errorf("failed to read the CSV: header %q, want %q", head, header)
	}
	var runs []*series
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("failed to read the CSV: %w", err)
		}
		nums, err := atois(row[4:])
		if err != nil {
			line, _ := cr.FieldPos(0)
			return nil, fmt.Errorf("failed to read the CSV, line %d: %w", line, err)
		}
		last := len(runs) - 1
		if last < 0 || runs[last].scenario != row[0] || runs[last].strategy != row[1] || runs[last].what != row[2] {
			runs = append(runs, &series{scenario: row[0], strategy: row[1], what: row[2], mode: row[3],
				clients: nums[0], downtimeMs: nums[1], capacity: nums[2]})
			last++
		}
		runs[last].tMs = append(runs[last].tMs, nums[3])
		runs[last].accepts = append(runs[last].accepts, nums[4])
	}
	if len(runs) == 0 {
		return nil, errors.New("failed to read the CSV: no rows")
	}
	return runs, nil
}

func atois(fields []string) ([]int, error) {
	nums := make([]int, len(fields))
	for i, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", header[len(header)-len(fields)+i], err)
		}
		nums[i] = n
	}
	return nums, nil
}
