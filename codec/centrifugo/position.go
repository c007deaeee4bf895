package centrifugo

import (
	"encoding/json"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// position is the part of a delivered message Position reads: a push
// with a publication, or a subscribe reply the codec marked with its
// channel.
type position struct {
	Channel   string      `json:"channel"` // set by the codec on a subscribe reply
	Subscribe *subscribed `json:"subscribe"`
	Push      *struct {
		Channel string `json:"channel"`
		Pub     *struct {
			Offset uint64 `json:"offset"`
			Epoch  string `json:"epoch"`
		} `json:"pub"`
	} `json:"push"`
}

// Position reads a channel's position, for Options.Position: the offset
// of a pushed publication with the channel's epoch, or the top of the
// stream from a subscribe reply that was not recovered.
func (c *Codec) Position(m reconnect.Message) (reconnect.Position, bool) {
	var p position
	if json.Unmarshal(m.Data, &p) != nil {
		return reconnect.Position{}, false
	}
	switch {
	case p.Push != nil && p.Push.Pub != nil && p.Push.Pub.Offset > 0:
		epoch := p.Push.Pub.Epoch
		if epoch == "" {
			c.mu.Lock()
			epoch = c.epochs[p.Push.Channel]
			c.mu.Unlock()
		}
		return reconnect.Position{Stream: p.Push.Channel, Offset: p.Push.Pub.Offset, Epoch: epoch}, true
	case p.Channel != "" && p.Subscribe != nil && p.Subscribe.Positioned:
		return reconnect.Position{Stream: p.Channel, Offset: p.Subscribe.Offset, Epoch: p.Subscribe.Epoch}, true
	}
	return reconnect.Position{}, false
}
