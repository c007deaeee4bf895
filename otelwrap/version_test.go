package otelwrap_test

import (
	"os"
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

// TestVersionInChangelog checks that the newest release in CHANGELOG.md is
// the Version the instrumentation reports.
func TestVersionInChangelog(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../CHANGELOG.md")
	if err != nil {
		t.Fatalf("failed to read the changelog: %v", err)
	}
	sections := regexp.MustCompile(`(?m)^## \[([^\]]+)\]`).FindAllStringSubmatch(string(b), -1)
	if len(sections) < 2 || sections[0][1] != "Unreleased" {
		t.Fatalf("CHANGELOG.md sections = %v, want Unreleased, then the releases", sections)
	}
	if got, want := sections[1][1], otelwrap.Version(); got != want {
		t.Errorf("newest release in CHANGELOG.md = %q, want otelwrap.Version() %q", got, want)
	}
}
