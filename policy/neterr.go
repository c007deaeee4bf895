package policy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"syscall"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wsproto"
)

// ErrUnsupportedScheme reports a URL whose scheme is not ws, wss, http or
// https. coder/websocket reports this case as untyped text, so
// reconnect.Dial checks URLs first and wraps this error for Classify to
// stop on.
var ErrUnsupportedScheme = wsproto.ErrUnsupportedScheme

// classifyNetwork classifies an error that carries no close code and no
// handshake response: a failed dial, or a connection that ended without a
// valid close frame.
func (p Policy) classifyNetwork(err error) Decision {
	stop := func(label string) Decision { return Decision{Category: Terminal, Outcome: Stop, Label: label} }
	retry := func(label string) Decision { return Decision{Category: Retryable, Outcome: Retry, Label: label} }
	abnormal := Decision{Category: Retryable, Outcome: Retry, Code: websocket.StatusAbnormalClosure, Label: LabelAbnormal}

	var dnsErr *net.DNSError
	var urlErr *url.Error
	switch {
	case err == nil:
		// Ended without saying why: as good as a drop.
		return abnormal
	case isTLSFailure(err):
		d := stop(LabelTLS)
		d.Code, d.EndpointOnly = websocket.StatusTLSHandshake, true
		return d
	case errors.Is(err, ErrUnsupportedScheme):
		return stop(LabelDialScheme)
	case errors.As(err, &urlErr) && urlErr.Op == "parse":
		return stop(LabelDialURL)
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound && !dnsErr.IsTemporary && !dnsErr.IsTimeout {
			d := stop(LabelDialDNSNotFound)
			d.EndpointOnly = true
			return d
		}
		return retry(LabelDialDNS)
	case errors.Is(err, syscall.ECONNREFUSED):
		d := retry(LabelDialRefused)
		d.Spread = max(p.RefusedSpread, 0)
		return d
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETDOWN), errors.Is(err, syscall.EHOSTDOWN):
		return retry(LabelDialUnreachable)
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		// A per-attempt timeout. The caller's own context ending is the
		// caller's to detect: Classify cannot tell whose deadline it was.
		return retry(LabelTimeout)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		// The connection went away under the caller.
		d := abnormal
		d.Drop = true
		return d
	}
	// Anything else without a close code (an invalid close payload, a
	// malformed frame) ended the connection without a valid close frame.
	return abnormal
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// isTLSFailure reports certificate and TLS handshake failures, which do not
// heal by retrying.
func isTLSFailure(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		alert    tls.AlertError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) ||
		errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &record) || errors.As(err, &alert)
}
