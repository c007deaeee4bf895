// Command herdplot draws the herd experiment's accepts per 50 ms as
// curves, one per client strategy, into a PNG.
//
// It reads the CSV that `go run ./examples/herd -csv FILE` writes and
// draws the runs of one scenario:
//
//	go run ./examples/herd -csv herd.csv
//	go run ./internal/herdplot -in herd.csv -scenario drop -out docs/herd-drop.png
//
// It is a module of its own, joined by go.work, so that the plotting
// library never reaches the wsreconnect module's go.mod.
package main
