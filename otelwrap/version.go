package otelwrap

// ScopeName is the instrumentation scope name: the import path.
const ScopeName = "github.com/wsreconnect/wsreconnect/otelwrap"

// Version returns the version of this instrumentation, a semver string.
func Version() string {
	return "0.1.0"
}
