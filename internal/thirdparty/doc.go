// Package thirdparty holds the suites that need more than the library
// does: the server-fault matrix and the chaos soak behind an embedded
// toxiproxy, and the benchmarks. It is a module of its own, so that
// toxiproxy and what it brings stay out of the library's go.mod.
package thirdparty
