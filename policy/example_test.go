package policy_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
)

func ExamplePolicy_Classify() {
	p := policy.Default()
	for _, code := range []websocket.StatusCode{1000, 1001, 1008, 1012, 1013, 4001} {
		err := websocket.CloseError{Code: code, Reason: "bye"}
		fmt.Println(int(code), p.Classify(err, nil))
	}
	// Output:
	// 1000 stop close_1000 (terminal)
	// 1001 retry close_1001 (retryable)
	// 1008 stop close_1008 (terminal)
	// 1012 retry close_1012 (retryable, spread 5s)
	// 1013 retry close_1013 (retryable, min delay 5s, spread 1s)
	// 4001 stop close_app (application-defined)
}

func ExamplePolicy_Classify_handshake() {
	// What websocket.Dial returns when the server answers 503.
	resp := &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"30"}}}
	err := errors.New("failed to WebSocket dial: expected handshake response status code 101 but got 503")
	d := policy.Default().Classify(err, resp)
	fmt.Println(d)
	// Output: retry handshake_503 (retryable, min delay 30s, spread 6s)
}

func ExamplePolicy_Classify_refused() {
	// What websocket.Dial returns when nothing listens on the port.
	err := fmt.Errorf("failed to WebSocket dial: %w",
		&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})
	fmt.Println(policy.Default().Classify(err, nil))
	// Output: retry dial_refused (retryable, spread 500ms)
}

func ExampleGraphQLWS() {
	p := policy.Policy{App: policy.GraphQLWS()}
	for _, code := range []websocket.StatusCode{4401, 4403, 4500} {
		fmt.Println(int(code), p.Classify(websocket.CloseError{Code: code}, nil).Outcome)
	}
	// Output:
	// 4401 stop
	// 4403 retry
	// 4500 stop
}

func ExamplePolicy_retryNormalClosure() {
	// Behind a proxy that closes idle connections with 1000, and an app
	// that marks "kicked" with 4001 and "reconnect please" with 4100-4199.
	p := policy.Policy{
		RetryNormalClosure: true,
		App: policy.AppRules{
			Codes:  map[websocket.StatusCode]policy.Outcome{4001: policy.Stop},
			Ranges: []policy.CodeRange{{From: 4100, To: 4199, Outcome: policy.Retry}},
		},
		MaxOutage: 10 * time.Minute,
	}
	fmt.Println(p.Classify(websocket.CloseError{Code: 1000}, nil).Outcome)
	fmt.Println(p.Classify(websocket.CloseError{Code: 4150}, nil).Outcome)
	fmt.Println(p.Classify(websocket.CloseError{Code: 4001}, nil).Outcome)
	// Output:
	// retry
	// retry
	// stop
}

func ExampleParseRetryAfter() {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, v := range []string{"120", "Wed, 25 Nov 2026 12:01:30 GMT", "soon", "-1"} {
		d, ok := policy.ParseRetryAfter(v, now)
		fmt.Println(d, ok)
	}
	// Output:
	// 2m0s true
	// 1m30s true
	// 0s false
	// 0s false
}

func ExampleNewExponential() {
	// A fixed draw of 0.5 shows the curve: the first wait is full-jittered
	// in [0, 500ms), the rest are the curve ±50%.
	b := policy.NewExponential(policy.Backoff{}, func() float64 { return 0.5 })
	for range 5 {
		fmt.Println(b.NextBackOff().Round(time.Millisecond))
	}
	// Output:
	// 250ms
	// 500ms
	// 750ms
	// 1.125s
	// 1.688s
}
