//go:build race

package conformance_test

// raceEnabled: the race detector makes every byte of a 16 MiB echo costly.
const raceEnabled = true
