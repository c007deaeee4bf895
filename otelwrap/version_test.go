package otelwrap_test

import (
	"regexp"
	"testing"

	"github.com/wsreconnect/wsreconnect/otelwrap"
)

// semver is the regular expression suggested by semver.org.
var semver = regexp.MustCompile(`^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)(?:-(?P<prerelease>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+(?P<buildmetadata>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

func TestVersionSemver(t *testing.T) {
	t.Parallel()
	if v := otelwrap.Version(); !semver.MatchString(v) {
		t.Errorf("Version() = %q, want a semantic version", v)
	}
}

func TestScopeName(t *testing.T) {
	t.Parallel()
	if want := "github.com/wsreconnect/wsreconnect/otelwrap"; otelwrap.ScopeName != want {
		t.Errorf("ScopeName = %q, want %q", otelwrap.ScopeName, want)
	}
}
