// Package reconnect is a WebSocket connection that survives drops,
// restarts and refusals. Dial once; Read and Write carry on across any
// number of reconnects; the Conn stops exactly when its policy says so,
// with an *Error that says why.
//
//	c, err := reconnect.Dial(ctx, "wss://example.com/feed", nil)
//	if err != nil {
//		return err // *reconnect.Error: terminal, gave up or canceled
//	}
//	defer c.Close(websocket.StatusNormalClosure, "")
//	for {
//		typ, p, err := c.Read(ctx)
//		...
//	}
//
// # Lifecycle
//
// A Conn moves through the states Connecting (the first connect),
// Connected, Reconnecting (between connections) and Closed. One supervisor
// goroutine per Conn repeats:
//
//  1. wait for Options.DialBudget, if set, then dial one attempt,
//     bounded by Options.DialTimeout;
//  2. run Options.OnConnect (an error fails the attempt);
//  3. flush the send buffer in order, then let Write through;
//  4. read until the connection ends, into the receive buffer or
//     Options.OnMessage, answering pings and pinging every
//     Options.PingInterval;
//  5. classify the end or the failed attempt with the policy;
//  6. stop, or wait the longer of the backoff and the decision's minimum
//     delay, and go to 1.
//
// The backoff, the attempt count and the outage clock start over only after
// a connection stayed up for Options.MinUptime, so a server that accepts
// and closes at once is not hammered. Policy.MaxAttempts and
// Policy.MaxOutage count from that point too.
//
// Dial returns when the first connection is up and OnConnect succeeded; its
// ctx bounds that first connect only, as for websocket.Dial.
//
// # Ending
//
// A Conn ends when the policy stops (KindTerminal: a 1008 close, a 401
// handshake, an untrusted certificate), a give-up limit is reached
// (KindGaveUp; Error.Limit names it), the application calls Close or CloseNow (KindClosed), or
// the ctx given to Dial ends during the first connect (KindCanceled). A
// URL or Options that Dial cannot use fail at once with KindInvalid,
// before any dial, and say which field is wrong. The
// final *Error unwraps to the cause, so errors.Is(err, context.Canceled),
// errors.As(err, &websocket.CloseError{}) and websocket.CloseStatus(err)
// work on it; errors.Is(err, ErrTerminal), ErrGaveUp, ErrInvalid and
// net.ErrClosed tell the kinds apart. Error texts never hold URL userinfo
// or query values.
//
// A server whose frames break the protocol (a reserved bit or opcode, a
// bad fragment, a control frame over 125 bytes, a bad close frame) gets a
// 1002 close from coder/websocket. The Conn sees its connection send that
// 1002 and stops, as after a 1002 from the server: the label is
// protocol_violation and the error wraps policy.ErrProtocolViolation. The
// server would send the same frames again. A Dialer that dials with an
// HTTP client of its own instead of the DialOptions it is given hides
// that 1002: the end is then a retried close_1006.
//
// Every message given to Write ends in one of four classes: delivered;
// refused with an error (ErrNotConnected, ErrBufferFull, a ctx that ended,
// a Conn that ended); buffered and handed back by Undelivered when the
// Conn ends; or, accepted by Write on a live connection, lost in flight
// because the connection dropped before the peer read it. Use application
// acknowledgements where that last class matters. A Write that fails on a
// dying connection is not lost: it goes back to the send buffer.
//
// # Receiving
//
// The Conn reads the connection all the time, into a bounded receive
// buffer (Options.ReceiveMessages and ReceiveBytes), so closes, pings,
// pongs and drops are seen while the application is busy. Read and
// ReadMessage take from that buffer, oldest first, across reconnects:
// messages received before a drop are read before those of the next
// connection, and Message.Generation says which connection each came on.
// When the Conn ends, Read returns what is still buffered, then the final
// error. Only a full buffer stops the reading: the server is then
// backpressured, and pongs, the server's pings, its close and a dead peer
// go unseen until Read makes room. Reconnect, Close, CloseNow, a failed
// Write and the heartbeat still end the connection at once, and the
// message the reader held is kept.
//
// Handing a message from the reader goroutine to Read wakes a goroutine:
// cheap, but on a quiet machine waking an idle core costs more than a
// loopback round trip (BENCHMARKS.md). Two ways avoid it:
//
//   - Read with a ctx that cannot end (context.Background): once the
//     buffer is empty, the Conn hands the reading of the connection to
//     that Read at a message boundary, and a Read loop then reads on its
//     own goroutine. A ctx that can end never gets it, because
//     coder/websocket can stop a read only by closing the connection.
//     When the loop stops calling Read for 20 to 40 ms, or another Read
//     waits, or the connection ends, the Conn's reader takes the
//     connection back; meanwhile nothing reads it, so pings and closes
//     wait that long.
//   - Options.OnMessage: the reader goroutine calls it for every message
//     as it is read, with the Conn (it may run before Dial returns), so a
//     trading client can react (even Write) without any hand-off. While OnMessage runs the connection is not read: a
//     slow OnMessage delays pongs and the server's pings and closes, and
//     backpressures the server.
//
// # Delivery
//
// Write is at most once: a message on a connection that drops can be
// lost in flight. Send is at least once: with Options.Codec, which puts an
// id on each message and finds the server's acks (per id, cumulative, and
// nacks) in what it sends back, each Send returns a Receipt whose fate
// resolves exactly once: FateAcked; FateRejected (a nack, or a resend the
// Codec could not frame); FateExpired (its deadline passed first, written
// or not); FateUnsent (the Conn ended before it was written);
// FateUnconfirmed (written, then the Conn ended without an ack). Wait,
// Done and Outgoing.OnFate report it; EventFate too. Acks are consumed:
// Read and OnMessage get only what Decode delivers. Tracked messages not
// yet settled are bounded by Options.TrackMessages and TrackBytes, with
// SendMode's rules when full. Fates are settled when the Conn ends, with
// EventClosed; a hook still running then (a Decode that blocks) delays
// that, not Close.
//
// After a reconnect, every tracked message not yet settled is written
// again, in id order and with its id, with resend set for the Codec (the
// server may have it: mark it as a possible duplicate), after OnConnect
// and before the send buffer and any new Write or Send. A rotation keeps
// the messages the old connection took pending while it closes, since
// their acks may still come on it; what is still unacknowledged when it
// has gone is written again on the new connection, after what the new
// one was given meanwhile. (coder/websocket drops data that arrives while
// it reads a close handshake itself, so a late ack can be lost and the
// message then repeats: at least once.)
//
// Options.AckTimeout (30 s by default) bounds the wait for an ack of a
// message written on a live connection. When it passes the connection is
// taken for suspect and ends, retryable, with the label "ack_timeout", so
// the resend goes out on a fresh connection: writing it again on the same
// TCP stream would only duplicate it, since the stream already delivers
// in order or not at all.
//
// Cost: a Send of up to 1 KiB allocates once (its Receipt, with a copy of
// the data); a Codec that also implements AppendEncoder frames into
// buffers the Conn reuses. A Wait whose ctx cannot end needs no channel
// and, in Read mode, reads the connection itself as a Read whose ctx
// cannot end does: the ack it reads settles its Receipt on its own
// goroutine, with no hand-off, and the messages a frame delivers go to
// the receive buffer for Read (a Wait never takes one; with the buffer
// full it leaves the reading to the Conn's reader). In handler mode, OnFate runs on the reader with no hand-off at
// all. OnFate and Decode run on whichever goroutine read the frame, and
// nothing is read while they run: like OnMessage, they must not wait for
// another fate or message (a Wait or Read whose ctx cannot end would wait
// for ever).
//
// Expiry: Outgoing.Deadline, WriteUntil, or Options.Expiry for both. An
// expired message is never written; a tracked one settles FateExpired at
// its deadline, a buffered Write is set aside when the flush reaches it
// (or when the full buffer needs room) and Undelivered hands it back with
// Message.Expired set. A message already written is the server's:
// expiry does not recall it. EventExpired counts them.
//
// Positions: Options.Position names a message's stream, offset and epoch.
// The Conn keeps the last position delivered per stream and drops a
// message at or below it, on every connection, across reconnects and
// rotations alike; EventDisconnected.Dropped counts those. A jump is
// reported as EventGap, an epoch change as EventReset. The position is
// recorded only once the message is delivered, so a message a rotation
// drops never moves its stream on. OnConnect can ask the server to resume
// from FromContext(ctx).Positions(); Options.Positions seeds them at Dial,
// and Positions() reads them to persist. Without Codec and Position the
// read path is the same as before: one nil check, no allocation.
//
// # Goroutines and what may block
//
// An idle Conn keeps one goroutine: the supervisor, which is also the
// connection's only reader. The heartbeat runs from a timer callback only
// while a ping is due; each wait is Options.PingInterval less a random
// part of up to a tenth of it (from Policy.Rand), so that Conns dialled
// together do not ping in step. A short-lived goroutine flushes the send
// buffer after a reconnect, and another runs each Dialer call.
//
// Hooks and where they run: OnConnect, Observer.OnEvent,
// Policy.Classifier and DialBudget.Wait on the supervisor goroutine (a
// rotation runs them on its own goroutine, which becomes the supervisor
// at the switch); OnMessage, MessageKey, Position and Codec.Decode on the
// goroutine that read the frame: the supervisor, a Read or Receipt.Wait
// whose ctx cannot end, or during a rotation the old connection's reader;
// Outgoing.OnFate on the goroutine that settles the fate (the one that
// read the ack or nack, Send's caller for a Send that expires while it
// waits, else one of the Conn's); Codec.Encode on the writing goroutine
// (Send's caller, or the one that catches a new connection up); Target
// and the Dialer on a goroutine of their own for each attempt, abandoned
// if they outlast it, so a Target that ignores its ctx can still run when
// the next attempt calls Target again; WritePacer.Wait on the flush
// goroutine (and in Write, on the caller's); Policy.Rand, Policy.Now and
// Policy.NewBackoff, with the backoff it returns, when the application
// sets them, wherever the Conn draws or waits (Rand on the heartbeat's
// timer too; a draw out of [0, 1) counts as the nearest end). All are
// hooks in what follows; Options.Clock is not (see its doc).
// Observer.OnEvent is called outside any lock, never on the Read or Write
// path; while it blocks the Conn neither reads nor reconnects. Every hook
// may call Write and every control of the Conn. Reconnect and
// ResetBackoff never wait. Close and CloseNow return once every goroutine
// of the Conn has returned or is inside a hook: they are safe from a hook,
// and a hook that blocks does not block them. After Close returns, the
// Conn calls no hook but the Observer, for the events that end it; Done
// closes once the hooks running then have returned too. Called from
// OnConnect, Close closes that connection without a handshake and returns
// before the Conn has ended: the end follows when OnConnect returns.
//
// A hook that ignores its ctx cannot wedge the Conn: the Conn closes the
// connection it gave OnConnect when DialTimeout passes or the Conn closes,
// and abandons a Dialer call at the same points (closing whatever
// connection it returns later). A panicking hook ends the Conn with
// KindTerminal, the label "panic" and a *PanicError holding the value and
// the stack, instead of crashing the process from a goroutine the
// application cannot recover in.
//
// Read blocks until a message arrives, ctx ends or the Conn ends. Write
// blocks only on the network, on other writers, or in SendBlock mode until
// a connection is up.
//
// # Long-lived sessions
//
// Rotate (and Options.MaxAge, with jitter) replaces a connection without
// leaving the application without one: the new connection is dialled and
// goes through OnConnect while the old one keeps delivering, then the Conn
// switches. What the switch guarantees depends on Options.MessageKey:
//
//   - With a key (a sequence number), the Conn reads the new connection's
//     first message and lets the old one deliver until it has delivered
//     that key; then it retires the old one and drops the new one's
//     messages whose keys the old one delivered. If the server sends the
//     same updates, in the same order, on both connections, no update is
//     lost and none is delivered twice. EventRotated comes once the new
//     connection has repeated what the old one delivered from that key on
//     (what came before it, the new stream never repeats), and its
//     Dropped counts the overlap's duplicates.
//   - Without a key, or if the streams do not meet within DialTimeout, the
//     old connection delivers until its close handshake ends, then the new
//     one's messages follow: duplicates are likely, and a message that
//     arrives on the old connection while coder/websocket reads its close
//     handshake is lost. Message.Generation shows where the new stream
//     starts.
//
// The Conn switches only to a connection that has not ended: without a
// key it first waits, up to DialTimeout, for the new connection's first
// message or the answer to a ping, so that a server that accepts and
// closes at once fails the rotation instead of replacing a healthy
// connection; EventRotated then carries that end's error and decision.
//
// Writes go to the new connection from the switch. The old connection's
// end is no failure: no backoff, no attempt counted, label "rotated". A
// failed rotation attempt keeps the old connection and retries with
// backoff (EventWaiting with Rotation set) until one succeeds, a decision
// or the backoff (backoff.Stop) stops it, or the old connection ends and
// the Conn reconnects as usual.
// OnConnect for the new connection runs on the rotation's goroutine, while
// OnMessage may run on the old connection's.
//
// Options.StaleAfter ends a connection whose data stopped while it still
// answers pings, and MarkStale lets the application say so. Options.Target
// gives every attempt what it dials, with a fresh credential after a
// credential failure, once.
//
// # Endpoints and fleets
//
// Options.Endpoints gives a Conn more URLs of the same service. What a
// failed attempt means across them:
//
//	decision                                      next attempt
//	retryable (refused, timeout, 5xx, drop...)    the next endpoint, at once
//	  ...once every endpoint failed in a row       the backoff wait, then the next
//	404, 410, 421, redirect, protocol mismatch,   the next endpoint, at once; this
//	DNS name not found, bad certificate            one is passed over for the outage
//	credential failure (401, 403, AuthCodes)      none: the same credential is
//	                                              sent everywhere (Target refreshes once)
//	any other stop (1008, a stop app code...)     none: the service said so
//
// After a drop the Conn first retries the endpoint it was on.
// ShuffleEndpoints spreads a fleet over the list; FailbackAfter returns to
// the preferred endpoint with a rotation. Events name the endpoint
// (Event.Target, Event.Endpoint).
//
// Options.DialBudget is a limiter shared across Conns: every attempt waits
// for it, outside its DialTimeout, and the wait is no failure
// (EventAttempt.Delay). Options.WritePacer paces one Conn's messages for a
// server's per-connection message limit.
//
// # Observing
//
// Options.Observer receives every attempt, connection, disconnection (with
// its policy.Decision), wait and give-up. Package otelwrap turns them into
// OpenTelemetry spans and metrics. A log/slog observer is a few lines:
//
//	obs := reconnect.ObserverFunc(func(e reconnect.Event) {
//		slog.Info("websocket", "event", e.Kind, "gen", e.Generation,
//			"attempt", e.Attempt, "decision", e.Decision.String(),
//			"delay", e.Delay, "err", e.Err)
//	})
//	c, err := reconnect.Dial(ctx, url, &reconnect.Options{Observer: obs})
//
// # Testing with time
//
// Options.Clock is the seam for tests of code built on a Conn: backoff
// waits, attempt timeouts, MinUptime, the heartbeat, MaxAge and event
// times all read it. testing/synctest fakes time too, but only while every
// goroutine of its bubble is durably blocked, and a goroutine reading a
// socket never is: a Conn talking to a real server (an httptest server on
// loopback, a local broker) would keep a bubble's clock still. A fake
// Clock moves when the test says so, whatever the network does. With an
// in-memory network (net.Pipe behind DialOptions.HTTPClient), synctest
// and SystemClock work together.
package reconnect
