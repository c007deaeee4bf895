package main

import (
	"flag"
	"fmt"
	"os"
)

const usage = `usage: go run ./internal/herdplot -in FILE -scenario NAME -out FILE.png [-title TEXT]

herdplot draws the accepts per 50 ms of one scenario of a CSV written by
"go run ./examples/herd -csv FILE", one curve per strategy, into a PNG.

flags:
`

func main() {
	in := flag.String("in", "", "the CSV that examples/herd -csv wrote")
	scenario := flag.String("scenario", "", "the scenario to draw: 1012 or drop")
	out := flag.String("out", "", "the PNG to write")
	title := flag.String("title", "", "the plot's title (default: made from the CSV)")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), usage)
		flag.PrintDefaults()
	}
	flag.Parse()
	if *in == "" || *scenario == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*in, *scenario, *out, *title); err != nil {
		fmt.Fprintln(os.Stderr, "herdplot:", err)
		os.Exit(1)
	}
}

// run reads in, draws scenario and saves the plot to out.
func run(in, scenario, out, title string) error {
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("failed to open the CSV: %w", err)
	}
	defer f.Close()
	runs, err := load(f)
	if err != nil {
		return err
	}
	p, err := draw(runs, scenario, title)
	if err != nil {
		return err
	}
	if err := p.Save(width, height, out); err != nil {
		return fmt.Errorf("failed to save the plot: %w", err)
	}
	return nil
}
