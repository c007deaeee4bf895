package reconnect

import (
	"errors"
	"io"
	"net/http"
)

// errCut ends a connection whose stream stopped without a close frame.
//
// coder/websocket (v1.8.15) takes an io.EOF met where a frame's payload or
// a continuation header should begin for the end of the message, and
// returns what it read so far with a nil error: an empty or truncated
// message. Any other error ends the read. A stream that ends without a
// close frame is a drop wherever it ends, so every such end is reported
// as errCut; the policy classifies it as 1006, as it does an EOF. It wraps
// neither io.EOF nor io.ErrUnexpectedEOF: coder takes the latter for the
// end of a compressed message.
var errCut = errors.New("reconnect: connection ended without a close frame")

// guardClient returns a copy of hc whose upgraded connections report
// their end as errCut instead of io.EOF.
func guardClient(hc *http.Client) *http.Client {
	g := *hc
	g.Transport = cutGuard{base: hc.Transport}
	return &g
}

type cutGuard struct{ base http.RoundTripper }

func (g cutGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	base := g.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		return resp, err
	}
	if rwc, ok := resp.Body.(io.ReadWriteCloser); ok {
		resp.Body = cutReporter{rwc}
	}
	return resp, nil
}

// cutReporter is the upgraded connection. It sits above TLS, so a TLS
// close_notify in the middle of a message is caught too.
type cutReporter struct{ io.ReadWriteCloser }

func (c cutReporter) Read(p []byte) (int, error) {
	n, err := c.ReadWriteCloser.Read(p)
	if errors.Is(err, io.EOF) {
		err = errCut
	}
	return n, err
}
