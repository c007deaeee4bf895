package policy

import (
	"fmt"
	"math"

	"github.com/coder/websocket"
)

// Validate reports the first field that holds a value the policy cannot
// use, such as a jitter above 1 or a range outside 3000-4999. A negative
// number is never one: it means none (see Policy).
func (p Policy) Validate() error {
	b := p.Backoff
	switch {
	case math.IsNaN(p.FloorJitter) || p.FloorJitter > 1:
		return fieldError("FloorJitter", p.FloorJitter, "must be at most 1")
	case math.IsNaN(b.Multiplier) || b.Multiplier > 0 && !(b.Multiplier >= 1 && b.Multiplier <= 1e6):
		return fieldError("Backoff.Multiplier", b.Multiplier, "must be between 1 and 1e6")
	case math.IsNaN(b.Jitter) || b.Jitter > 1:
		return fieldError("Backoff.Jitter", b.Jitter, "must be at most 1")
	}
	if d := b.withDefaults(); d.Initial > 0 && d.Max > 0 && d.Initial > d.Max {
		return fieldError("Backoff.Initial", d.Initial, fmt.Sprintf("must not exceed Backoff.Max (%v)", d.Max))
	}
	return p.App.validate()
}

func (r AppRules) validate() error {
	for code, o := range r.Codes {
		if !isAppCode(code) {
			return fieldError("App.Codes", int(code), "key must be an application code (3000-4999)")
		}
		if err := validOutcome("App.Codes", o); err != nil {
			return err
		}
	}
	for i, cr := range r.Ranges {
		name := fmt.Sprintf("App.Ranges[%d]", i)
		if !isAppCode(cr.From) || !isAppCode(cr.To) || cr.From > cr.To {
			return fieldError(name, fmt.Sprintf("%d-%d", cr.From, cr.To), "must be an ascending range within 3000-4999")
		}
		if err := validOutcome(name, cr.Outcome); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name  string
		codes []websocket.StatusCode
	}{{"SpreadCodes", r.SpreadCodes}, {"AuthCodes", r.AuthCodes}} {
		for i, code := range f.codes {
			if !isAppCode(code) {
				return fieldError(fmt.Sprintf("App.%s[%d]", f.name, i), int(code), "must be an application code (3000-4999)")
			}
		}
	}
	return validOutcome("App.Default", r.Default)
}

func validOutcome(field string, o Outcome) error {
	if o != Stop && o != Retry {
		return fieldError(field, int(o), "outcome must be Stop or Retry")
	}
	return nil
}

func isAppCode(c websocket.StatusCode) bool { return c >= 3000 && c <= 4999 }

func fieldError(field string, v any, why string) error {
	return fmt.Errorf("policy: invalid %s %v: %s", field, v, why)
}
