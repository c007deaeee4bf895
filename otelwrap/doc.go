// Package otelwrap turns the lifecycle events of a reconnect.Conn into
// OpenTelemetry spans and metrics, the way otelhttp instruments an
// http.RoundTripper.
//
//	c, err := reconnect.Dial(ctx, url, &reconnect.Options{
//		Observer: otelwrap.New(), // global providers; or WithTracerProvider, WithMeterProvider
//	})
//
// New returns a reconnect.Observer for one Conn: it follows that Conn's
// outages and connections, and events carry no Conn identity, so give every
// Conn its own. Its instruments are created once, in New; creation errors
// go to otel.Handle. OnEvent never runs on the Read or Write path, so the
// observer adds no work to messages. Span timestamps are the event times,
// read from the Conn's Clock.
//
// # Spans
//
//	websocket.reconnect  internal  one outage: from the drop (or, for the first
//	                               connect, the first attempt) to the next
//	                               connection, the give-up or the end of the Conn
//	  websocket.connect  client    one dial attempt: handshake and OnConnect
//	websocket.session    internal  one connection, connected to disconnected;
//	                               only with WithSessionSpans
//	websocket.rotation   internal  one rotation (Rotate, MaxAge): from its start to
//	                               the switch, or to its abandonment
//	  websocket.connect  client    one of its dial attempts
//
// The websocket.reconnect span has one websocket.backoff event per wait,
// with websocket.backoff.delay, websocket.disconnect.label (the reason for
// the wait) and websocket.reconnect.attempt (the attempt it waits for).
// Each trace is one outage: websocket.reconnect is a root span. A
// disconnect whose decision is Stop starts no outage. Every span ends on
// every path: a Close during a wait or a dial ends the open spans with the
// Conn's final event. A rotation's attempts and waits belong to its
// websocket.rotation span, not to an outage; the replaced connection's
// session ends with the label rotated and no error, and starts no outage.
//
// Delivery adds span events to the session span (during an outage, to the
// websocket.reconnect span): websocket.stream.gap with
// websocket.stream.name, websocket.stream.from and websocket.stream.to
// (offsets); websocket.stream.reset with websocket.stream.name and
// websocket.stream.epoch (the new epoch); websocket.messages.expired with
// websocket.messages.expired (how many).
//
// Status is Unset on success. A failed attempt, an outage that ends without
// a connection (gave up, terminal failure, Close, canceled Dial) and a
// session that ends other than by the application (Close, Reconnect) or a
// 1000 close get codes.Error, an error.type and, when there is an error, an
// exception event (RecordError). A close reason inside an error's text is
// replaced with "[redacted]" unless WithCloseReason is set.
//
// # Span attributes
//
//	server.address, server.port,     every span; from the dialed URL, with
//	url.scheme, url.full             userinfo, query and fragment removed
//	http.response.status_code        websocket.connect, when a response came
//	error.type                       failed spans: the policy's label (handshake_503,
//	                                 dial_refused...) or, for an outage, gave_up,
//	                                 closed, canceled or the terminal label
//	websocket.reconnect.attempt      websocket.connect: attempt number since the last
//	                                 connection that stayed up MinUptime (or Dial)
//	websocket.close.code             the close code of a decision, when there is one
//	websocket.disconnect.category    terminal, retryable or application-defined
//	websocket.disconnect.outcome     retry or stop; refresh for a credential failure
//	                                 the Conn answers with a fresh credential (Target)
//	websocket.disconnect.label       why a connection ended (session span, and the
//	                                 cause on websocket.reconnect)
//	websocket.close.reason           only with WithCloseReason: sanitised, cut
//	websocket.backoff.delay          backoff event: the wait, in seconds
//	websocket.dial.budget_wait       websocket.connect: the wait for a shared dial budget
//	websocket.rotation.duration      websocket.rotation: its length, in seconds
//	websocket.rotation.dropped       websocket.rotation: duplicates it dropped
//
// The semantic conventions are pinned to go.opentelemetry.io/otel/semconv/v1.43.0.
// The websocket.* keys are this package's own (no convention covers
// WebSocket yet). Headers, tokens and query strings are never recorded.
//
// # Metrics
//
// Metric attributes are bounded: no URL, close reason or error text.
//
//	name                                  instrument      unit             attributes
//	websocket.client.attempts             counter         {attempt}        websocket.handshake.status_class (when a
//	                                                                       response came); on failure error.type,
//	                                                                       websocket.close.code, .disconnect.category,
//	                                                                       .disconnect.outcome
//	websocket.client.disconnections       counter         {disconnection}  websocket.close.code, .disconnect.category,
//	                                                                       .disconnect.outcome, .disconnect.label
//	websocket.client.connection.count     up-down counter {connection}     none
//	websocket.client.outage.duration      histogram       s                error.type when the outage did not end
//	                                                                       in a connection
//	websocket.client.connection.duration  histogram       s                as disconnections
//	websocket.client.backoff.delay        histogram       s                as disconnections (the decision that
//	                                                                       caused the wait)
//	websocket.client.ping.duration        histogram       s                none: the heartbeat's round trips
//	websocket.client.rotations            counter         {rotation}       websocket.rotation.outcome: rotated
//	                                                                       or abandoned
//	websocket.client.delivery.fates       counter         {fate}           websocket.delivery.fate: acked, rejected,
//	                                                                       expired, unsent or unconfirmed
//	websocket.client.stream.gaps          counter         {gap}            none (stream names are unbounded)
//	websocket.client.stream.resets        counter         {reset}          none
//	websocket.client.expired.messages     counter         {message}        none: queued messages, tracked or
//	                                                                       buffered, whose deadline passed
//	websocket.client.stream.duplicates    counter         {duplicate}      none: messages at or below their
//	                                                                       stream's last position, dropped
//
// websocket.handshake.status_class is "1xx" to "5xx". websocket.close.code is
// absent when no close code applies. The histograms have explicit buckets
// in seconds: 0.1 s to 30 min for outages and waits, 1 s to 1 day for
// connections, 100 µs to 5 s for pings. The first connect counts as an
// outage.
//
// The names follow the OpenTelemetry naming rules: the websocket.client
// namespace (no convention covers WebSocket yet, so these are this
// package's own), UCUM units (s, or an {annotation} for counts), counters
// named in the plural of what they count, and the up-down counter of
// connections that are up named .count, not pluralised
// (http.client.open_connections predates that rule).
package otelwrap
