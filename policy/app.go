package policy

import "github.com/coder/websocket"

// AppRules decide application close codes (3000-4999). Rules are consulted
// in order: Codes, then Ranges, then Func, then Default.
type AppRules struct {
	// Codes maps single codes to an outcome. Consulted first.
	Codes map[websocket.StatusCode]Outcome
	// Ranges map inclusive code ranges to an outcome; the first match wins.
	// Consulted second.
	Ranges []CodeRange
	// Func decides codes the maps do not cover; ok false falls through to
	// Default. It gets the close reason as sent by the peer (unvalidated,
	// at most 123 bytes), except that reconnect.Conn redacts URL secrets in
	// it first. Consulted third; called on the connection's supervisor
	// goroutine and must not block.
	Func func(code websocket.StatusCode, reason string) (o Outcome, ok bool)
	// Default is the outcome for codes nothing else covers. Defaults to Stop.
	Default Outcome
	// SpreadCodes are codes the server sends to all its clients at once,
	// such as a shutdown. A retry after one of them gets Policy.RestartSpread
	// as Decision.Spread, as a 1012 does, so that the clients do not all
	// come back at the same moment. It leaves the outcome to the rules
	// above; every code must be within 3000-4999. Defaults to none.
	SpreadCodes []websocket.StatusCode
	// AuthCodes are codes that mean the credential was rejected or has
	// expired; their decisions have Auth set. A Conn with a Target hook
	// then fetches a fresh credential and retries once, at once, whatever
	// the outcome (see reconnect.Options.Target). Every code must be
	// within 3000-4999. Defaults to none.
	AuthCodes []websocket.StatusCode
}

// CodeRange maps the close codes From through To, inclusive, to an Outcome.
type CodeRange struct {
	From, To websocket.StatusCode
	Outcome  Outcome
}

// Decide returns the outcome for the application code.
func (r AppRules) Decide(code websocket.StatusCode, reason string) Outcome {
	if o, ok := r.Codes[code]; ok {
		return o
	}
	for _, cr := range r.Ranges {
		if code >= cr.From && code <= cr.To {
			return cr.Outcome
		}
	}
	if r.Func != nil {
		if o, ok := r.Func(code, reason); ok {
			return o
		}
	}
	return r.Default
}

// Centrifugo returns the rules of Centrifugo and the centrifuge library:
// reconnect on 3000-3499 and 4000-4499, stop on 3500-3999 and 4500-4999
// (centrifugal/centrifuge disconnect.go). Two codes reach many clients at
// once and get a spread: 3001 shutdown, sent to every client of a node
// that stops, and 3010 insufficient state, sent to every server-side
// subscriber of a channel whose stream lost its place (a broker failover).
// The other reconnect codes (3004 server error, 3005 and 3006 expired,
// 3008 slow, 3012 no pong...) come one client at a time. 3005 connection
// expired and 3500 invalid token are credential failures (AuthCodes). Each
// call returns a fresh value.
func Centrifugo() AppRules {
	return AppRules{
		Ranges: []CodeRange{
			{From: 3000, To: 3499, Outcome: Retry},
			{From: 3500, To: 3999, Outcome: Stop},
			{From: 4000, To: 4499, Outcome: Retry},
			{From: 4500, To: 4999, Outcome: Stop},
		},
		SpreadCodes: []websocket.StatusCode{3001, 3010},
		AuthCodes:   []websocket.StatusCode{3005, 3500},
	}
}

// GraphQLWS returns the rules of the graphql-ws client (the
// graphql-transport-ws protocol): stop on 4004 Bad Response, 4005 Internal
// Client Error, 4400 Bad Request, 4401 Unauthorized, 4406 Subprotocol Not
// Acceptable, 4409 Subscriber Already Exists, 4429 Too Many Initialisation
// Requests and 4500 Internal Server Error; retry on every other application
// code, including 4403 Forbidden, 4408 Connection Initialisation Timeout
// and 4499 Terminated, which graphql-ws retries on purpose. No code gets a
// spread: a graphql-ws server that stops closes every client with 1001,
// not an application code. 4401 Unauthorized and 4403 Forbidden are
// credential failures (AuthCodes). Each call returns a fresh value.
func GraphQLWS() AppRules {
	return AppRules{
		Codes: map[websocket.StatusCode]Outcome{
			4004: Stop, 4005: Stop, 4400: Stop, 4401: Stop,
			4406: Stop, 4409: Stop, 4429: Stop, 4500: Stop,
		},
		Default:   Retry,
		AuthCodes: []websocket.StatusCode{4401, 4403},
	}
}
