package reconnect

import (
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/coder/websocket"
)

// Defaults.
const (
	DefaultDialTimeout     = 10 * time.Second
	DefaultMinUptime       = 5 * time.Second
	DefaultPingInterval    = 30 * time.Second
	DefaultPingTimeout     = 10 * time.Second
	DefaultReadLimit       = 1 << 20
	DefaultReceiveMessages = 1024
	DefaultReceiveBytes    = 4 << 20
	DefaultBufferMessages  = 1024
	DefaultBufferBytes     = 1 << 20
	DefaultMaxAgeJitter    = 0.1
	DefaultTrackMessages   = 1024
	DefaultTrackBytes      = 1 << 20
	DefaultAckTimeout      = 30 * time.Second
)

// cloneWithDefaults copies o, fills in defaults and validates the result.
func (o *Options) cloneWithDefaults() (Options, error) {
	var c Options
	if o != nil {
		c = *o
	}
	if err := c.validate(); err != nil {
		return c, err
	}
	if c.DialOptions == nil {
		c.DialOptions = &websocket.DialOptions{}
	} else {
		c.DialOptions = cloneDialOptions(c.DialOptions)
	}
	if c.DialOptions.HTTPClient == nil {
		c.DialOptions.HTTPClient = noRedirects
	} else {
		c.DialOptions.HTTPClient = guardClient(c.DialOptions.HTTPClient)
	}
	if c.Dialer == nil {
		c.Dialer = websocket.Dial
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Policy.Now == nil {
		c.Policy.Now = c.Clock.Now
	}
	c.Policy = c.Policy.WithDefaults() // once, for every use of the Conn
	c.DialTimeout = orDefault(c.DialTimeout, DefaultDialTimeout)
	c.MinUptime = orDefault(c.MinUptime, DefaultMinUptime)
	c.PingInterval = orDefault(c.PingInterval, DefaultPingInterval)
	c.PingTimeout = orDefault(c.PingTimeout, DefaultPingTimeout)
	c.ReadLimit = orDefault(c.ReadLimit, DefaultReadLimit)
	c.ReceiveMessages = orNone(orDefault(c.ReceiveMessages, DefaultReceiveMessages))
	c.ReceiveBytes = orNone(orDefault(c.ReceiveBytes, DefaultReceiveBytes))
	c.BufferMessages = orNone(orDefault(c.BufferMessages, DefaultBufferMessages))
	c.BufferBytes = orNone(orDefault(c.BufferBytes, DefaultBufferBytes))
	c.TrackMessages = orNone(orDefault(c.TrackMessages, DefaultTrackMessages))
	c.TrackBytes = orNone(orDefault(c.TrackBytes, DefaultTrackBytes))
	c.AckTimeout = orDefault(c.AckTimeout, DefaultAckTimeout)
	c.Positions = maps.Clone(c.Positions)
	c.MinUptime = max(c.MinUptime, 0)
	if c.MaxAgeJitter == 0 {
		c.MaxAgeJitter = DefaultMaxAgeJitter
	}
	return c, nil
}

func (o *Options) validate() error {
	switch {
	case o.MaxAgeJitter > 1 || o.MaxAgeJitter != o.MaxAgeJitter:
		return optionError("MaxAgeJitter", o.MaxAgeJitter)
	case o.SendMode < SendBuffer || o.SendMode > SendBlock:
		return optionError("SendMode", int(o.SendMode))
	}
	if err := o.Policy.Validate(); err != nil {
		return err
	}
	return nil
}

// noRedirects is the default HTTP client: a handshake answered with a
// redirect is reported, not followed to wherever the server points.
var noRedirects = guardClient(&http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
})

func optionError(field string, v any) error {
	return fmt.Errorf("option %s: %v is out of range", field, v)
}

// orNone makes a negative bound no bound.
func orNone(v int) int {
	if v < 0 {
		return math.MaxInt
	}
	return v
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// cloneDialOptions copies d deeply enough that a Dialer may change the copy.
func cloneDialOptions(d *websocket.DialOptions) *websocket.DialOptions {
	if d == nil {
		return nil
	}
	c := *d
	c.HTTPHeader = d.HTTPHeader.Clone()
	c.Subprotocols = slices.Clone(d.Subprotocols)
	return &c
}
