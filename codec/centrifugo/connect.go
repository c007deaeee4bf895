package centrifugo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// OnConnect connects and subscribes, for Options.OnConnect: it sends
// connect, waits for its reply (an error reply fails the attempt with
// ErrConnect), then sends one subscribe per channel, with recover, offset
// and epoch where the Conn knows a position. The subscribe replies are
// read by Decode, after OnConnect returns, so that no publication that
// follows them is read here and lost.
func (c *Codec) OnConnect(ctx context.Context, ws *websocket.Conn) error {
	conn := reconnect.FromContext(ctx)
	if conn != nil {
		c.conn.Store(conn)
	}
	token := c.s.Token
	if c.s.TokenFunc != nil {
		t, err := c.s.TokenFunc(ctx)
		if err != nil {
			return fmt.Errorf("failed to get a token: %w", err)
		}
		token = t
	}
	id := c.nextID.Add(1)
	cmd, _ := json.Marshal(map[string]any{"id": id, "connect": connectRequest{Token: token, Name: c.s.Name}})
	if err := ws.Write(ctx, websocket.MessageText, cmd); err != nil {
		return fmt.Errorf("failed to send connect: %w", err)
	}
	if err := c.awaitConnect(ctx, ws, id); err != nil {
		return err
	}
	if len(c.s.Channels) == 0 {
		return nil
	}
	var positions map[string]reconnect.Position
	if conn != nil {
		positions = conn.Positions()
	}
	var batch [][]byte
	for _, ch := range c.s.Channels {
		batch = append(batch, c.subscribe(ch, positions))
	}
	if err := ws.Write(ctx, websocket.MessageText, bytes.Join(batch, []byte{'\n'})); err != nil {
		return fmt.Errorf("failed to subscribe: %w", err)
	}
	return nil
}

type connectRequest struct {
	Token string `json:"token,omitempty"`
	Name  string `json:"name,omitempty"`
}

type subscribeRequest struct {
	Channel string `json:"channel"`
	Recover bool   `json:"recover,omitempty"`
	Offset  uint64 `json:"offset,omitempty"`
	Epoch   string `json:"epoch,omitempty"`
	Flag    int64  `json:"flag,omitempty"`
}

// subscribe returns the subscribe command for ch and remembers its id.
func (c *Codec) subscribe(ch string, positions map[string]reconnect.Position) []byte {
	req := subscribeRequest{Channel: ch}
	if p, ok := positions[ch]; ok && (p.Offset > 0 || p.Epoch != "") {
		req.Recover, req.Offset, req.Epoch = true, p.Offset, p.Epoch
	}
	if c.s.RejectUnrecovered {
		req.Flag = 2 // the protocol's reject-unrecovered bit
	}
	id := c.nextID.Add(1)
	c.mu.Lock()
	c.subs[id] = ch
	c.mu.Unlock()
	cmd, _ := json.Marshal(map[string]any{"id": id, "subscribe": req})
	return cmd
}

// awaitConnect reads until connect's reply, answering pings.
func (c *Codec) awaitConnect(ctx context.Context, ws *websocket.Conn, id uint64) error {
	for {
		_, p, err := ws.Read(ctx)
		if err != nil {
			return fmt.Errorf("failed to read the connect reply: %w", err)
		}
		for _, l := range bytes.Split(bytes.TrimSpace(p), []byte{'\n'}) {
			var r reply
			if json.Unmarshal(l, &r) != nil || r.ID != id {
				continue // nothing else can come before connect's reply
			}
			if r.Error != nil {
				return fmt.Errorf("%w: %v", ErrConnect, r.Error)
			}
			return nil
		}
	}
}

// pong answers the server's ping through the Conn, on a goroutine of its
// own (Decode must not block), at most one at a time, bounded by
// PongWithin; an unanswered ping ends the connection at the server, which
// the Conn then survives like any drop.
func (c *Codec) pong() {
	conn := c.conn.Load()
	if conn == nil || !c.ponging.CompareAndSwap(false, true) {
		return
	}
	within := c.s.PongWithin
	if within <= 0 {
		within = 5 * time.Second
	}
	go func() {
		defer c.ponging.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), within)
		defer cancel()
		_ = conn.WriteUntil(ctx, time.Now().Add(within), websocket.MessageText, []byte("{}"))
	}()
}
