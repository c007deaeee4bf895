package policy_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
)

// closeErr wraps a CloseError the way coder/websocket's Read does.
func closeErr(code websocket.StatusCode, reason string) error {
	ce := websocket.CloseError{Code: code, Reason: reason}
	return fmt.Errorf("failed to get reader: %w", fmt.Errorf("received close frame: %w", ce))
}

// retry, stop, app and invalid are the decisions on a close frame with
// code, or on a drop: the connection went away (Drop).
func retry(code websocket.StatusCode) policy.Decision {
	return policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Code: code, Label: fmt.Sprintf("close_%d", code), Drop: true}
}

func stop(code websocket.StatusCode) policy.Decision {
	return policy.Decision{Category: policy.Terminal, Outcome: policy.Stop, Code: code, Label: fmt.Sprintf("close_%d", code), Drop: true}
}

func app(code websocket.StatusCode, o policy.Outcome) policy.Decision {
	return policy.Decision{Category: policy.AppDefined, Outcome: o, Code: code, Label: "close_app", Drop: true}
}

func invalid() policy.Decision {
	return policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Code: 1006, Label: "close_invalid", Drop: true}
}

// notDropped is d for an end that is no drop: an error the policy does
// not recognise, or our own read limit.
func notDropped(d policy.Decision) policy.Decision {
	d.Drop = false
	return d
}

// endpointOnly is d for a failure of the dialed endpoint alone.
func endpointOnly(d policy.Decision) policy.Decision {
	d.EndpointOnly = true
	return d
}

func TestClassifyCloseCodes(t *testing.T) {
	t.Parallel()
	with := func(d policy.Decision, minDelay, spread time.Duration) policy.Decision {
		d.MinDelay, d.Spread = minDelay, spread
		return d
	}
	tests := []struct {
		name string
		code websocket.StatusCode
		want policy.Decision
	}{
		{"1000 normal closure stops", 1000, stop(1000)},
		{"1001 going away", 1001, retry(1001)},
		{"1002 protocol error", 1002, stop(1002)},
		{"1003 unsupported data", 1003, stop(1003)},
		{"1004 reserved is invalid", 1004, invalid()},
		{"1005 no status", 1005, retry(1005)},
		{"1006 abnormal", 1006, retry(1006)},
		{"1007 invalid payload", 1007, stop(1007)},
		{"1008 policy violation", 1008, stop(1008)},
		{"1009 message too big", 1009, stop(1009)},
		{"1010 mandatory extension", 1010, stop(1010)},
		{"1011 internal error", 1011, retry(1011)},
		{"1012 service restart spreads", 1012, with(retry(1012), 0, 5*time.Second)},
		{"1013 try again later has a floor", 1013, with(retry(1013), 5*time.Second, time.Second)},
		{"1014 bad gateway", 1014, retry(1014)},
		{"1015 TLS", 1015, stop(1015)},
		{"3000 app low edge", 3000, app(3000, policy.Stop)},
		{"3499 app", 3499, app(3499, policy.Stop)},
		{"3500 app", 3500, app(3500, policy.Stop)},
		{"3999 app", 3999, app(3999, policy.Stop)},
		{"4000 app", 4000, app(4000, policy.Stop)},
		{"4499 app", 4499, app(4499, policy.Stop)},
		{"4500 app", 4500, app(4500, policy.Stop)},
		{"4999 app high edge", 4999, app(4999, policy.Stop)},
		{"999 invalid", 999, invalid()},
		{"1016 invalid", 1016, invalid()},
		{"2999 invalid", 2999, invalid()},
		{"5000 invalid", 5000, invalid()},
		{"0 invalid", 0, invalid()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := policy.Policy{}.Classify(closeErr(tt.code, "r"), nil)
			if got != tt.want {
				t.Fatalf("Classify(close %d) = %+v, want %+v", tt.code, got, tt.want)
			}
		})
	}
}

func TestClassifyNormalClosureRetry(t *testing.T) {
	t.Parallel()
	p := policy.Policy{RetryNormalClosure: true}
	if got, want := p.Classify(closeErr(1000, ""), nil), retry(1000); got != want {
		t.Fatalf("Classify(1000) with RetryNormalClosure = %+v, want %+v", got, want)
	}
}

func TestClassifyDisabledFloors(t *testing.T) {
	t.Parallel()
	p := policy.Policy{TryAgainLaterDelay: -1, RestartSpread: -1}
	for _, code := range []websocket.StatusCode{1012, 1013} {
		if got, want := p.Classify(closeErr(code, ""), nil), retry(code); got != want {
			t.Errorf("Classify(%d) with floors off = %+v, want %+v", code, got, want)
		}
	}
}

func TestAppRules(t *testing.T) {
	t.Parallel()
	rules := policy.AppRules{
		Codes:  map[websocket.StatusCode]policy.Outcome{4001: policy.Retry},
		Ranges: []policy.CodeRange{{From: 4000, To: 4099, Outcome: policy.Stop}, {From: 4000, To: 4199, Outcome: policy.Retry}},
		Func: func(code websocket.StatusCode, reason string) (policy.Outcome, bool) {
			if reason == "again" {
				return policy.Retry, true
			}
			return policy.Stop, false
		},
		Default: policy.Stop,
	}
	tests := []struct {
		name   string
		code   websocket.StatusCode
		reason string
		want   policy.Outcome
	}{
		{"map beats ranges", 4001, "", policy.Retry},
		{"first range wins", 4050, "", policy.Stop},
		{"second range", 4150, "", policy.Retry},
		{"func decides", 4300, "again", policy.Retry},
		{"func passes to default", 4300, "other", policy.Stop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := policy.Policy{App: rules}.Classify(closeErr(tt.code, tt.reason), nil)
			if want := app(tt.code, tt.want); got != want {
				t.Fatalf("Classify(%d, %q) = %+v, want %+v", tt.code, tt.reason, got, want)
			}
		})
	}
}

func TestPresets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		rules policy.AppRules
		code  websocket.StatusCode
		want  policy.Outcome
	}{
		{"centrifugo 3000 retry", policy.Centrifugo(), 3000, policy.Retry},
		{"centrifugo 3499 retry", policy.Centrifugo(), 3499, policy.Retry},
		{"centrifugo 3500 stop", policy.Centrifugo(), 3500, policy.Stop},
		{"centrifugo 3999 stop", policy.Centrifugo(), 3999, policy.Stop},
		{"centrifugo 4000 retry", policy.Centrifugo(), 4000, policy.Retry},
		{"centrifugo 4499 retry", policy.Centrifugo(), 4499, policy.Retry},
		{"centrifugo 4500 stop", policy.Centrifugo(), 4500, policy.Stop},
		{"centrifugo 4999 stop", policy.Centrifugo(), 4999, policy.Stop},
		{"graphql-ws 4004 bad response stop", policy.GraphQLWS(), 4004, policy.Stop},
		{"graphql-ws 4005 internal client error stop", policy.GraphQLWS(), 4005, policy.Stop},
		{"graphql-ws 4400 bad request stop", policy.GraphQLWS(), 4400, policy.Stop},
		{"graphql-ws 4401 unauthorized stop", policy.GraphQLWS(), 4401, policy.Stop},
		{"graphql-ws 4403 forbidden retry", policy.GraphQLWS(), 4403, policy.Retry},
		{"graphql-ws 4406 subprotocol stop", policy.GraphQLWS(), 4406, policy.Stop},
		{"graphql-ws 4408 init timeout retry", policy.GraphQLWS(), 4408, policy.Retry},
		{"graphql-ws 4409 subscriber exists stop", policy.GraphQLWS(), 4409, policy.Stop},
		{"graphql-ws 4429 too many inits stop", policy.GraphQLWS(), 4429, policy.Stop},
		{"graphql-ws 4499 terminated retry", policy.GraphQLWS(), 4499, policy.Retry},
		{"graphql-ws 4500 internal server error stop", policy.GraphQLWS(), 4500, policy.Stop},
		{"graphql-ws 4504 ack timeout retry", policy.GraphQLWS(), 4504, policy.Retry},
		{"graphql-ws 3000 retry", policy.GraphQLWS(), 3000, policy.Retry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := (policy.Policy{App: tt.rules}).Validate(); err != nil {
				t.Fatalf("preset does not validate: %v", err)
			}
			if got := tt.rules.Decide(tt.code, ""); got != tt.want {
				t.Fatalf("Decide(%d) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

func TestPresetSpreads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		rules policy.AppRules
		code  websocket.StatusCode
		want  bool
	}{
		{"centrifugo 3001 shutdown", policy.Centrifugo(), 3001, true},
		{"centrifugo 3010 insufficient state", policy.Centrifugo(), 3010, true},
		{"centrifugo 3000 connection closed", policy.Centrifugo(), 3000, false},
		{"centrifugo 3004 server error", policy.Centrifugo(), 3004, false},
		{"centrifugo 3005 expired", policy.Centrifugo(), 3005, false},
		{"centrifugo 3006 subscription expired", policy.Centrifugo(), 3006, false},
		{"centrifugo 3008 slow", policy.Centrifugo(), 3008, false},
		{"centrifugo 3011 force reconnect", policy.Centrifugo(), 3011, false},
		{"centrifugo 3012 no pong", policy.Centrifugo(), 3012, false},
		{"centrifugo 4000 application", policy.Centrifugo(), 4000, false},
		{"graphql-ws 4499 terminated", policy.GraphQLWS(), 4499, false},
		{"graphql-ws 4500 internal server error", policy.GraphQLWS(), 4500, false},
		{"zero rules", policy.AppRules{}, 3001, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := slices.Contains(tt.rules.SpreadCodes, tt.code); got != tt.want {
				t.Fatalf("%d in SpreadCodes %v = %v, want %v", tt.code, tt.rules.SpreadCodes, got, tt.want)
			}
		})
	}
	// A spread on a code that stops, or outside 3000-4999, would do nothing.
	for name, rules := range map[string]policy.AppRules{"centrifugo": policy.Centrifugo(), "graphql-ws": policy.GraphQLWS()} {
		for _, code := range rules.SpreadCodes {
			if code < 3000 || code > 4999 || rules.Decide(code, "") != policy.Retry {
				t.Errorf("%s: spread code %d is not a retried application code", name, code)
			}
		}
	}
}

func TestAppSpread(t *testing.T) {
	t.Parallel()
	own := policy.AppRules{
		Codes:       map[websocket.StatusCode]policy.Outcome{4001: policy.Retry, 4002: policy.Stop},
		SpreadCodes: []websocket.StatusCode{4001, 4002},
	}
	tests := []struct {
		name string
		p    policy.Policy
		code websocket.StatusCode
		want time.Duration
	}{
		{"centrifugo 3001 shutdown", policy.Policy{App: policy.Centrifugo()}, 3001, policy.DefaultRestartSpread},
		{"centrifugo 3010 insufficient state", policy.Policy{App: policy.Centrifugo()}, 3010, policy.DefaultRestartSpread},
		{"centrifugo 3004 server error", policy.Policy{App: policy.Centrifugo()}, 3004, 0},
		{"own code", policy.Policy{App: own}, 4001, policy.DefaultRestartSpread},
		{"own code, RestartSpread tuned", policy.Policy{App: own, RestartSpread: 2 * time.Second}, 4001, 2 * time.Second},
		{"own code, RestartSpread off", policy.Policy{App: own, RestartSpread: -1}, 4001, 0},
		{"a code that stops gets none", policy.Policy{App: own}, 4002, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if d := tt.p.Classify(closeErr(tt.code, ""), nil); d.Spread != tt.want {
				t.Fatalf("Classify(%d).Spread = %v, want %v", tt.code, d.Spread, tt.want)
			}
		})
	}
}

func TestAuthDecisions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    policy.Policy
		err  error
		resp *http.Response
		want bool
	}{
		{"401 handshake", policy.Policy{}, errors.New("401"), handshakeResp(401), true},
		{"403 handshake", policy.Policy{}, errors.New("403"), handshakeResp(403), true},
		{"404 handshake is no credential failure", policy.Policy{}, errors.New("404"), handshakeResp(404), false},
		{"429 handshake", policy.Policy{}, errors.New("429"), handshakeResp(429), false},
		{"centrifugo 3005 expired", policy.Policy{App: policy.Centrifugo()}, closeErr(3005, "connection expired"), nil, true},
		{"centrifugo 3500 invalid token", policy.Policy{App: policy.Centrifugo()}, closeErr(3500, "invalid token"), nil, true},
		{"centrifugo 3501 bad request", policy.Policy{App: policy.Centrifugo()}, closeErr(3501, ""), nil, false},
		{"graphql-ws 4401 unauthorized", policy.Policy{App: policy.GraphQLWS()}, closeErr(4401, ""), nil, true},
		{"graphql-ws 4403 forbidden", policy.Policy{App: policy.GraphQLWS()}, closeErr(4403, ""), nil, true},
		{"graphql-ws 4400 bad request", policy.Policy{App: policy.GraphQLWS()}, closeErr(4400, ""), nil, false},
		{"own code", policy.Policy{App: policy.AppRules{AuthCodes: []websocket.StatusCode{4001}}}, closeErr(4001, ""), nil, true},
		{"1008 is no credential failure", policy.Policy{}, closeErr(1008, "token"), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if d := tt.p.Classify(tt.err, tt.resp); d.Auth != tt.want {
				t.Fatalf("Classify = %v, Auth %v; want %v", d, d.Auth, tt.want)
			}
		})
	}
}
