package thirdparty_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the suites if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
