package reconnect

// Scrub scrubs err as a Conn dialled to raw does, for the tests in
// package reconnect_test.
func Scrub(raw string, err error) error { return scrubber(raw)(err) }
