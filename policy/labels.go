package policy

import "strconv"

// Labels that DefaultClassifier puts on a Decision. A close code has the
// label "close_" and its number ("close_1012"), a failed handshake
// "handshake_" and its status ("handshake_503").
const (
	// LabelCanceled is the caller's context.Canceled.
	LabelCanceled = "canceled"
	// LabelPermanent is an error wrapped by backoff.Permanent.
	LabelPermanent = "permanent"
	// LabelAbnormal is an end without a valid close frame (code 1006): an
	// EOF, a reset, a broken pipe, or an error without a close code.
	LabelAbnormal = "close_1006"
	// LabelProtocolViolation is a connection the client failed with 1002
	// because the server's frames broke the protocol (ErrProtocolViolation).
	LabelProtocolViolation = "protocol_violation"
	// LabelCloseApp is an application close code, 3000-4999.
	LabelCloseApp = "close_app"
	// LabelCloseInvalid is a close code that is not valid on the wire.
	LabelCloseInvalid = "close_invalid"
	// LabelHandshakeProtocol is a 101 answer with an error: a bad
	// Sec-WebSocket-Accept, subprotocol or extension.
	LabelHandshakeProtocol = "handshake_protocol"
	// LabelHandshakeInvalid is a handshake status outside 100-599.
	LabelHandshakeInvalid = "handshake_invalid"
	// LabelTLS is a certificate or TLS handshake failure.
	LabelTLS = "tls"
	// LabelDialScheme is a URL scheme other than ws, wss, http or https.
	LabelDialScheme = "dial_scheme"
	// LabelDialURL is a URL that does not parse.
	LabelDialURL = "dial_url"
	// LabelDialDNSNotFound is a host name that does not resolve.
	LabelDialDNSNotFound = "dial_dns_not_found"
	// LabelDialDNS is a temporary DNS failure or timeout.
	LabelDialDNS = "dial_dns"
	// LabelDialRefused is a refused dial.
	LabelDialRefused = "dial_refused"
	// LabelDialUnreachable is an unreachable or down network or host.
	LabelDialUnreachable = "dial_unreachable"
	// LabelTimeout is a per-attempt timeout.
	LabelTimeout = "timeout"
)

// closeLabels are the labels of codes 1000-1015.
var closeLabels = func() (l [16]string) {
	for i := range l {
		l[i] = "close_" + strconv.Itoa(1000+i)
	}
	return l
}()

func handshakeLabel(status int) string {
	if status < 100 || status > 599 {
		return LabelHandshakeInvalid
	}
	return "handshake_" + strconv.Itoa(status)
}
