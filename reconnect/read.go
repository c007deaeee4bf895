package reconnect

import (
	"context"
	"errors"

	"github.com/coder/websocket"
)

// ErrHandlerMode is returned by Read and ReadMessage when Options.OnMessage
// is set: every message goes to OnMessage instead.
var ErrHandlerMode = errors.New("reconnect: Read with Options.OnMessage set")

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
func (c *Conn) ReadMessage(ctx context.Context) (Message, error) {
	if c.opts.OnMessage != nil {
		return Message{}, ErrHandlerMode
	}
	if err := ctx.Err(); err != nil {
		return Message{}, err
	}
	for {
		if m, ok := c.in.take(); ok {
			return m, nil
		}
		select {
		case <-c.ended:
			if m, ok := c.in.take(); ok { // the reader's last one
				return m, nil
			}
			return Message{}, c.Err()
		default:
		}
		if !c.in.wait() {
			continue
		}
		select {
		case <-c.in.arrived:
		case <-c.ended:
		case <-ctx.Done():
			c.in.unwait()
			return Message{}, ctx.Err()
		}
		c.in.unwait()
	}
}
