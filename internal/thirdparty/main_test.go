package thirdparty_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the suites if any goroutine outlives them, except those
// toxiproxy 2.5.0 strands in a link's noop toxic and reader behind a
// limit_data cut-off (TestToxiproxyLimitDataStrandsNoop pins that bug).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, ignoreStranded()...) }
