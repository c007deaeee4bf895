package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// window is the histogram bucket: accepts are counted per 100 ms.
const window = 100 * time.Millisecond

// result is what one scenario run measured, from the restart on.
type result struct {
	scenario, strategy string
	what               string // the strategy's description
	n                  int
	accepts            []time.Duration // handshakes accepted, since the restart
	rejected           int64           // handshakes answered 503
	refused            int64           // attempts without an HTTP answer (server down)
	attempts           int64
	downtime           time.Duration // the server was down from the restart until then
}

// stats summarises the accepts per window. The mean is over the windows
// from the server's return (the end of the downtime) to the last accept:
// the rate the server would have seen had the fleet come back evenly over
// the same time. A fleet that returns in one window has peak/mean equal to
// the number of windows the server was up before the last accept.
type stats struct {
	counts          []int
	back            int
	all             time.Duration // time until every client was back; -1 if never
	peak            int
	mean, peak2mean float64
}

func (r result) stats() stats {
	a := slices.Clone(r.accepts)
	slices.Sort(a)
	s := stats{back: min(len(a), r.n), all: -1}
	if len(a) == 0 {
		return s
	}
	if len(a) >= r.n {
		s.all = a[r.n-1]
	}
	s.counts = make([]int, int(a[len(a)-1]/window)+1)
	for _, t := range a {
		s.counts[int(t/window)]++
	}
	first := min(int(r.downtime/window), int(a[0]/window))
	s.peak = slices.Max(s.counts)
	s.mean = float64(len(a)) / float64(len(s.counts)-first)
	s.peak2mean = float64(s.peak) / s.mean
	return s
}

// maxColumns bounds the histogram's width; longer runs merge windows.
const maxColumns = 120

// histogram draws accepts per window as a column chart, time to the right.
func histogram(w io.Writer, counts []int, rows int) {
	if len(counts) == 0 {
		fmt.Fprintln(w, "  (no accepts)")
		return
	}
	per := (len(counts) + maxColumns - 1) / maxColumns
	cols := make([]int, (len(counts)+per-1)/per)
	for i, c := range counts {
		cols[i/per] += c
	}
	peak := slices.Max(cols)
	blocks := []rune(" ▁▂▃▄▅▆▇█")
	for r := rows - 1; r >= 0; r-- {
		label := ""
		switch r {
		case rows - 1:
			label = fmt.Sprint(peak)
		case 0:
			label = "0"
		}
		var b strings.Builder
		for _, c := range cols {
			eighths := (c*rows*8 + peak/2) / max(peak, 1)
			if c > 0 && eighths == 0 {
				eighths = 1
			}
			b.WriteRune(blocks[min(max(eighths-r*8, 0), 8)])
		}
		fmt.Fprintf(w, "%7s │%s\n", label, b.String())
	}
	var axis, ticks strings.Builder
	step := time.Duration(per) * window
	for i := range cols {
		at := time.Duration(i) * step
		if at%time.Second == 0 {
			axis.WriteRune('┬')
			if ticks.Len() <= i {
				ticks.WriteString(strings.Repeat(" ", i-ticks.Len()) + strconv.Itoa(int(at/time.Second)) + "s")
			}
		} else {
			axis.WriteRune('─')
		}
	}
	fmt.Fprintf(w, "%7s └%s\n", "", axis.String())
	fmt.Fprintf(w, "%7s  %s   (accepts per %v column)\n", "", ticks.String(), step)
}

// table prints one row per result.
func table(w io.Writer, rs []result) {
	fmt.Fprintln(w, "| scenario | strategy | back | time to 100% | peak /100ms | mean /100ms | peak/mean | rejected (503) | refused | attempts |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rs {
		s := r.stats()
		all := "never"
		if s.all >= 0 {
			all = s.all.Round(time.Millisecond).String()
		}
		fmt.Fprintf(w, "| %s | %s | %d/%d | %s | %d | %.1f | %.2f | %d | %d | %d |\n",
			r.scenario, r.strategy, s.back, r.n, all, s.peak, s.mean, s.peak2mean, r.rejected, r.refused, r.attempts)
	}
}

func printRun(w io.Writer, r result) {
	s := r.stats()
	fmt.Fprintf(w, "\n%s / %s: %d/%d back", r.scenario, r.strategy, s.back, r.n)
	if s.all >= 0 {
		fmt.Fprintf(w, " after %v", s.all.Round(time.Millisecond))
	}
	fmt.Fprintf(w, ", peak %d per 100 ms, peak/mean %.2f, %d rejected, %d refused\n", s.peak, s.peak2mean, r.rejected, r.refused)
	histogram(w, s.counts, 6)
}
