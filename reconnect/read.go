package reconnect

import (
	"context"

	"github.com/coder/websocket"
)

// Read returns the next message from whichever connection is current; a
// reconnect is invisible to it. It returns an error only when ctx ends
// (the connection is not affected) or the Conn has ended (an *Error), and
// only once the messages received before the end have been read.
// Concurrent Reads each get different messages.
func (c *Conn) Read(ctx context.Context) (websocket.MessageType, []byte, error) {
	m, err := c.ReadMessage(ctx)
	return m.Type, m.Data, err
}

// ReadMessage is Read, with the generation of the connection the message
// arrived on: when it changes, the server may have restarted a sequence.
//
// With a ctx that cannot end (context.Background, context.WithoutCancel),
// a Read loop reads the connection on its own goroutine once the receive
// buffer is empty, without a goroutine hand-off per message; the Conn's
// reader takes the connection back when the loop pauses for 20 to 40 ms
// (the package docs say more). With a ctx that can end, Read takes
// messages from the Conn's reader, so that ctx ending never costs the
// connection.
func (c *Conn) ReadMessage(ctx context.Context) (Message, error) {
	if c.opts.OnMessage != nil {
		return Message{}, ErrHandlerMode
	}
	if err := ctx.Err(); err != nil {
		return Message{}, err
	}
	direct := ctx.Done() == nil
	for {
		m, lk, ok := c.in.next(direct)
		if ok {
			return m, nil
		}
		if lk != nil {
			if m, ok := c.readDirect(lk); ok {
				return m, nil
			}
			continue
		}
		select {
		case <-c.ended:
			if m, _, ok := c.in.next(false); ok { // the reader's last one
				return m, nil
			}
			return Message{}, c.Err()
		default:
		}
		if !c.in.wait(direct) {
			continue
		}
		select {
		case <-c.in.arrived:
		case <-c.ended:
		case <-ctx.Done():
			c.in.unwait(direct)
			return Message{}, ctx.Err()
		}
		c.in.unwait(direct)
	}
}
