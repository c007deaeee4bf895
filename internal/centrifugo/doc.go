// Package centrifugo tests the codec/centrifugo preset against a real
// Centrifugo v6 server, built from its Go module by the tests. It is a
// module of its own so that the library's go.mod never requires the
// server; go.work joins it.
package centrifugo
