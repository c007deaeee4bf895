package reconnect

import "github.com/wsreconnect/wsreconnect/policy"

// Decision labels the Conn gives to ends that are not the server's doing,
// so observers can tell them apart from policy labels.
const (
	// LabelReconnect: the application called Reconnect.
	LabelReconnect = "reconnect"
	// LabelClosed: the application called Close or CloseNow.
	LabelClosed = "closed"
	// LabelCanceled: the ctx given to Dial ended during the first connect.
	LabelCanceled = "canceled"
	// LabelOnConnect: OnConnect failed with an error the policy does not
	// recognise.
	LabelOnConnect = "on_connect"
	// LabelDialer: a custom Dialer failed with an error the policy does
	// not recognise, or returned neither a connection nor an error.
	LabelDialer = "dialer"
	// LabelWritePacer: Options.WritePacer failed while the Conn flushed
	// its send buffer; the connection ends and the messages stay buffered.
	LabelWritePacer = "write_pacer"
	// LabelTarget: an attempt whose Options.Target failed with an error
	// the policy does not recognise.
	LabelTarget = "target"
	// LabelPanic: a hook panicked, which ends the Conn.
	LabelPanic = "panic"
	// LabelStale: a connection went stale (Options.StaleAfter, MarkStale).
	LabelStale = "stale"
	// LabelAckTimeout: a tracked message waited longer than
	// Options.AckTimeout for its ack on the connection that ended.
	LabelAckTimeout = "ack_timeout"
	// LabelRotated: a rotation replaced the connection (Conn.Rotate,
	// Options.MaxAge, a failback).
	LabelRotated = "rotated"
)

// The decisions behind the labels.
var (
	closedDecision     = policy.Decision{Category: policy.Terminal, Outcome: policy.Stop, Label: LabelClosed}
	canceledDecision   = policy.Decision{Category: policy.Terminal, Outcome: policy.Stop, Label: LabelCanceled}
	panicDecision      = policy.Decision{Category: policy.Terminal, Outcome: policy.Stop, Label: LabelPanic}
	reconnectDecision  = policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Label: LabelReconnect}
	staleDecision      = policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Label: LabelStale}
	ackTimeoutDecision = policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Label: LabelAckTimeout}
	rotatedDecision    = policy.Decision{Category: policy.Retryable, Outcome: policy.Retry, Label: LabelRotated}
)
