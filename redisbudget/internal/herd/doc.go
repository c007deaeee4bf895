// Package herd runs a fleet of OS processes, each with many reconnecting
// Conns, against one server that restarts them with 1012 and once drops
// every connection, and counts the server's handshakes per window: with
// one budget shared through Redis, and with a rate.Limiter per process.
//
// The test binary is the program: its TestMain runs a child process when
// the environment says so. The short run is part of the test suite; the
// full one is
//
//	go test -run TestHerd -count=1 ./redisbudget/internal/herd -herd.procs 8 -herd.conns 250 -herd.rate 100 -herd.burst 20 -v
package herd
