package policy_test

import (
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
)

func TestDefault(t *testing.T) {
	t.Parallel()
	p := policy.Default()
	if p.TryAgainLaterDelay != 5*time.Second || p.RestartSpread != 5*time.Second || p.RefusedSpread != 500*time.Millisecond ||
		p.MaxRetryAfter != 5*time.Minute || p.FloorJitter != 0.2 || p.RetryNormalClosure ||
		p.MaxAttempts != 0 || p.MaxOutage != 0 || p.Now == nil || p.Rand == nil {
		t.Fatalf("Default() = %+v", p)
	}
	want := policy.Backoff{Initial: 500 * time.Millisecond, Multiplier: 1.5, Max: 30 * time.Second, Jitter: 0.5}
	if p.Backoff != want {
		t.Fatalf("Default().Backoff = %+v, want %+v", p.Backoff, want)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	// The zero value classifies exactly like Default().
	for code := websocket.StatusCode(990); code < 5010; code++ {
		err := closeErr(code, "")
		if a, b := (policy.Policy{}).Classify(err, nil), p.Classify(err, nil); a != b {
			t.Fatalf("code %d: zero value %+v, Default %+v", code, a, b)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		p       policy.Policy
		wantErr string
	}{
		{"zero value", policy.Policy{}, ""},
		{"floors off", policy.Policy{TryAgainLaterDelay: -1, RestartSpread: -1, RefusedSpread: -1, FloorJitter: -1, Backoff: policy.Backoff{Jitter: -1}}, ""},
		{"negative MaxRetryAfter: no cap", policy.Policy{MaxRetryAfter: -1}, ""},
		{"NaN FloorJitter", policy.Policy{FloorJitter: math.NaN()}, "FloorJitter"},
		{"FloorJitter above 1", policy.Policy{FloorJitter: 1.5}, "FloorJitter"},
		{"negative MaxAttempts: no limit", policy.Policy{MaxAttempts: -1}, ""},
		{"negative MaxOutage: no limit", policy.Policy{MaxOutage: -time.Second}, ""},
		{"negative Initial: no first wait", policy.Policy{Backoff: policy.Backoff{Initial: -1}}, ""},
		{"negative Max: no cap", policy.Policy{Backoff: policy.Backoff{Max: -1}}, ""},
		{"negative Multiplier: no growth", policy.Policy{Backoff: policy.Backoff{Multiplier: -1}}, ""},
		{"Initial above Max", policy.Policy{Backoff: policy.Backoff{Initial: time.Minute}}, "Backoff.Initial"},
		{"Multiplier below 1", policy.Policy{Backoff: policy.Backoff{Multiplier: 0.5}}, "Backoff.Multiplier"},
		{"Multiplier NaN", policy.Policy{Backoff: policy.Backoff{Multiplier: math.NaN()}}, "Backoff.Multiplier"},
		{"Multiplier Inf", policy.Policy{Backoff: policy.Backoff{Multiplier: math.Inf(1)}}, "Backoff.Multiplier"},
		{"Jitter above 1", policy.Policy{Backoff: policy.Backoff{Jitter: 2}}, "Backoff.Jitter"},
		{"app code out of range", policy.Policy{App: policy.AppRules{Codes: map[websocket.StatusCode]policy.Outcome{1008: policy.Retry}}}, "App.Codes"},
		{"app range reversed", policy.Policy{App: policy.AppRules{Ranges: []policy.CodeRange{{From: 4100, To: 4000}}}}, "App.Ranges[0]"},
		{"app range out of bounds", policy.Policy{App: policy.AppRules{Ranges: []policy.CodeRange{{From: 4000, To: 5000}}}}, "App.Ranges[0]"},
		{"bad outcome", policy.Policy{App: policy.AppRules{Default: policy.Outcome(7)}}, "App.Default"},
		{"spread code out of range", policy.Policy{App: policy.AppRules{SpreadCodes: []websocket.StatusCode{3001, 1012}}}, "App.SpreadCodes[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.p.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate() = %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		d    policy.Decision
		next time.Duration
		rand float64
		want time.Duration
	}{
		{"backoff alone", policy.Decision{}, time.Second, 0.9, time.Second},
		{"floor wins", policy.Decision{MinDelay: 2 * time.Second}, time.Second, 0.9, 2 * time.Second},
		{"floor plus spread", policy.Decision{MinDelay: 2 * time.Second, Spread: time.Second}, time.Second, 0.5, 2500 * time.Millisecond},
		{"backoff beats floor, spread on top", policy.Decision{MinDelay: 2 * time.Second, Spread: time.Second}, 10 * time.Second, 0.99, 10990 * time.Millisecond},
		{"spread on top of backoff", policy.Decision{Spread: 5 * time.Second}, 100 * time.Millisecond, 0.5, 2600 * time.Millisecond},
		{"huge floor saturates", policy.Decision{MinDelay: math.MaxInt64 - 10, Spread: time.Second}, 0, 0.5, math.MaxInt64},
		{"negative never", policy.Decision{}, -time.Second, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := policy.Policy{Rand: constRand(tt.rand)}
			if got := p.Delay(tt.d, tt.next); got != tt.want {
				t.Fatalf("Delay = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestWaitsAfterDrop follows one connection through Classify, BackOff and
// Delay as a supervisor does: the first wait after a drop is the backoff's
// full jitter alone (a lone blip is not slowed); a refused attempt adds
// RefusedSpread on top of the next backoff.
func TestWaitsAfterDrop(t *testing.T) {
	t.Parallel()
	drop := fmt.Errorf("failed to get reader: failed to read frame header: %w", io.EOF)
	refused := fmt.Errorf("failed to WebSocket dial: %w",
		&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})
	tests := []struct {
		name   string
		spread time.Duration
		errs   []error // the drop, then the failed attempts
		want   []time.Duration
	}{
		{"lone blip", 0, []error{drop}, []time.Duration{250 * time.Millisecond}},
		{"refused twice", 0, []error{drop, refused, refused},
			[]time.Duration{250 * time.Millisecond, 750 * time.Millisecond, 1000 * time.Millisecond}},
		{"refused, spread off", -1, []error{drop, refused}, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := policy.Policy{RefusedSpread: tt.spread, Rand: constRand(0.5)}
			b := p.FreshBackoff()
			var got []time.Duration
			for _, err := range tt.errs {
				got = append(got, p.Delay(p.Classify(err, nil), b.NextBackOff()))
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("waits %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGiveUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		p        policy.Policy
		attempts int
		outage   time.Duration
		wait     time.Duration
		want     bool
	}{
		{"unlimited", policy.Policy{}, 1 << 20, 1000 * time.Hour, time.Hour, false},
		{"under max attempts", policy.Policy{MaxAttempts: 3}, 2, 0, 0, false},
		{"at max attempts", policy.Policy{MaxAttempts: 3}, 3, 0, 0, true},
		{"wait fits the outage budget", policy.Policy{MaxOutage: time.Minute}, 1, 30 * time.Second, 30 * time.Second, false},
		{"wait would end past the budget", policy.Policy{MaxOutage: time.Minute}, 1, 30 * time.Second, 31 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.GiveUp(tt.attempts, tt.outage, tt.wait); got != tt.want {
				t.Fatalf("GiveUp(%d, %v, %v) = %v, want %v", tt.attempts, tt.outage, tt.wait, got, tt.want)
			}
		})
	}
}

func TestStrings(t *testing.T) {
	t.Parallel()
	d := policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Code: 1013, MinDelay: 5 * time.Second, Spread: time.Second, Label: "close_1013"}
	tests := []struct{ name, got, want string }{
		{"decision", d.String(), "retry close_1013 (retryable, min delay 5s, spread 1s)"},
		{"zero decision", policy.Decision{}.String(), "none"},
		{"stop with a label only", policy.Decision{Label: "canceled"}.String(), "stop canceled (terminal)"},
		{"terminal with a code only", policy.Decision{Code: 1008}.String(), "stop  (terminal)"},
		{"app category", policy.AppDefined.String(), "application-defined"},
		{"terminal", policy.Terminal.String(), "terminal"},
		{"stop", policy.Stop.String(), "stop"},
		{"unknown outcome", policy.Outcome(9).String(), "Outcome(9)"},
		{"unknown category", policy.Category(9).String(), "Category(9)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

// FuzzClassify feeds arbitrary close frames and handshake answers through
// Classify and checks the invariants every Decision must hold.
func FuzzClassify(f *testing.F) {
	f.Add(1000, "bye", 0, "", false)
	f.Add(1013, "", 0, "", true)
	f.Add(4001, "\xff\xfe", 0, "", false)
	f.Add(0, "", 503, "120", false)
	f.Add(0, "", 429, "Wed, 21 Oct 2099 07:28:00 GMT", false)
	f.Add(0, "", 301, "", false)
	f.Add(-1, "", -7, "-1", true)
	f.Fuzz(func(t *testing.T, code int, reason string, status int, retryAfter string, retry1000 bool) {
		p := policy.Policy{Now: fixedNow, RetryNormalClosure: retry1000, App: policy.Centrifugo()}
		var d policy.Decision
		if status != 0 {
			resp := &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {retryAfter}, "Location": {reason}}}
			d = p.Classify(handshakeErr(status), resp)
			if d.Status != status || d.Code != 0 {
				t.Fatalf("handshake %d: %+v", status, d)
			}
			if u, err := url.Parse(d.Location); err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
				t.Fatalf("location not redacted: %q", d.Location)
			}
		} else {
			d = p.Classify(closeErr(websocket.StatusCode(code), reason), nil)
			if d.Status != 0 || d.Code < 1000 || d.Code > 4999 {
				t.Fatalf("close %d: %+v", code, d)
			}
			if (d.Category == policy.AppDefined) != (code >= 3000 && code <= 4999) {
				t.Fatalf("close %d: category %v", code, d.Category)
			}
		}
		if d.Outcome != policy.Retry && d.Outcome != policy.Stop {
			t.Fatalf("outcome %v", d.Outcome)
		}
		if d.Category == policy.Terminal && d.Outcome == policy.Retry {
			t.Fatalf("terminal decision retries: %+v", d)
		}
		if d.Category == policy.Retryable && d.Outcome == policy.Stop {
			t.Fatalf("retryable decision stops: %+v", d)
		}
		if d.MinDelay < 0 || d.MinDelay > policy.DefaultMaxRetryAfter {
			t.Fatalf("min delay %v", d.MinDelay)
		}
		if d.Spread < 0 || d.Spread > d.MinDelay && d.Code != 1012 && !slices.Contains(p.App.SpreadCodes, d.Code) {
			t.Fatalf("spread %v over floor %v", d.Spread, d.MinDelay)
		}
		if d.Label == "" || len(d.Label) > 24 || strings.ContainsAny(d.Label, " \n") {
			t.Fatalf("label %q", d.Label)
		}
	})
}

func TestWithDefaults(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return epoch }
	half := func() float64 { return 0.5 }
	// numbers compares the plain-data fields; the funcs are checked apart.
	numbers := func(p policy.Policy) policy.Policy {
		p.Now, p.Rand, p.NewBackoff, p.Classifier, p.App.Func = nil, nil, nil, nil, nil
		return p
	}
	tests := []struct {
		name string
		in   policy.Policy
		want policy.Policy
	}{
		{"zero gets every default", policy.Policy{}, numbers(policy.Default())},
		{"set values kept", policy.Policy{TryAgainLaterDelay: time.Second, FloorJitter: 0.1, Backoff: policy.Backoff{Max: time.Minute}},
			func() policy.Policy {
				p := numbers(policy.Default())
				p.TryAgainLaterDelay, p.FloorJitter, p.Backoff.Max = time.Second, 0.1, time.Minute
				return p
			}()},
		{"negative means none and stays", policy.Policy{RestartSpread: -1, RefusedSpread: -1, FloorJitter: -1, Backoff: policy.Backoff{Jitter: -1}},
			func() policy.Policy {
				p := numbers(policy.Default())
				p.RestartSpread, p.RefusedSpread, p.FloorJitter, p.Backoff.Jitter = -1, -1, -1, -1
				return p
			}()},
		{"limits have no default", policy.Policy{MaxAttempts: 3, MaxOutage: time.Minute},
			func() policy.Policy {
				p := numbers(policy.Default())
				p.MaxAttempts, p.MaxOutage = 3, time.Minute
				return p
			}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.in.WithDefaults()
			if got.Now == nil || got.Rand == nil {
				t.Fatalf("WithDefaults left Now or Rand nil: %+v", got)
			}
			if !reflect.DeepEqual(numbers(got), tt.want) {
				t.Fatalf("WithDefaults() = %+v, want %+v", numbers(got), tt.want)
			}
			again := got.WithDefaults()
			if !reflect.DeepEqual(numbers(again), numbers(got)) {
				t.Fatalf("WithDefaults not idempotent: %+v then %+v", numbers(got), numbers(again))
			}
		})
	}
	t.Run("funcs kept", func(t *testing.T) {
		t.Parallel()
		got := policy.Policy{Now: now, Rand: half}.WithDefaults()
		if !got.Now().Equal(epoch) || got.Rand() != 0.5 {
			t.Fatalf("WithDefaults replaced Now or Rand: %v, %v", got.Now(), got.Rand())
		}
	})
}
