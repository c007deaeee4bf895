package wstest

import (
	"fmt"
	"strings"
)

// Chain returns err and every error under it, through Unwrap() error and
// Unwrap() []error, as an error reporter walks them.
func Chain(err error) []error {
	if err == nil {
		return nil
	}
	out := []error{err}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		out = append(out, Chain(u.Unwrap())...)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, Chain(e)...)
		}
	}
	return out
}

// Leaks returns the texts in err's chain that contain marker, a piece of
// a secret that must not be there.
func Leaks(err error, marker string) []string {
	var bad []string
	for _, e := range Chain(err) {
		if strings.Contains(e.Error(), marker) {
			bad = append(bad, fmt.Sprintf("%T: %s", e, e))
		}
	}
	return bad
}
