package reconnect

import "sync"

// Codec is the protocol glue of delivery: it frames tracked sends and finds
// acknowledgements in incoming frames. Methods run on the Conn's goroutines
// (Encode on the writer's, Decode on the reader's) and join the hook
// contract: a panic is contained (the Conn ends with a *PanicError, Hook
// "Codec"), and they must not block.
type Codec interface {
	// Encode returns the frame that carries tracked message id (ids start
	// at 1 and grow by one per Send on a Conn). resend is true when the
	// message was written on an earlier connection and may have reached
	// the server.
	Encode(id uint64, m Message, resend bool) (Message, error)
	// Decode reads one incoming frame. It calls ack for each
	// acknowledgement the frame carries and deliver for each message the
	// application should get: none (a pure ack), the frame itself, or the
	// parts of a batched frame. An error delivers the frame unchanged and
	// is counted and reported (EventCodecError).
	Decode(frame Message, ack func(Ack), deliver func(Message)) error
}

// AppendEncoder is an optional interface of a Codec: AppendEncode is Encode
// that appends the frame's data to dst and returns it in the frame. The
// Conn then keeps frame buffers for reuse, so a tracked send costs no
// allocation for its frame. The frame must not be kept: the buffer is
// reused once it is written.
type AppendEncoder interface {
	AppendEncode(dst []byte, id uint64, m Message, resend bool) (Message, error)
}

// Ack is the server's word on tracked sends.
type Ack struct {
	ID     uint64 // the tracked message
	Upto   bool   // cumulative: every id <= ID
	Reject bool   // a nack: the server refused it
	Reason string // why, for a nack
}

// encodeError is a message the Codec refused to frame.
type encodeError struct{ err error }

func (e *encodeError) Error() string { return "failed to encode: " + e.err.Error() }
func (e *encodeError) Unwrap() error { return e.err }

// encode frames r with the Codec, its panic contained. buf, if not nil, is
// the reused buffer of an AppendEncoder: the caller gives it back with
// putFrame once the frame is written.
func (c *Conn) encode(r *Receipt, resend, counted bool) (frame Message, buf *[]byte, err error) {
	f := func() { frame, err = c.opts.Codec.Encode(r.id, r.msg, resend) }
	if ae, ok := c.opts.Codec.(AppendEncoder); ok {
		buf = frames.Get().(*[]byte)
		if need := len(r.msg.Data) + frameRoom; cap(*buf) < need {
			*buf = make([]byte, 0, need)
		}
		f = func() { frame, err = ae.AppendEncode((*buf)[:0], r.id, r.msg, resend) }
	}
	var p *PanicError
	if counted {
		p = c.callHook("Codec", f)
	} else {
		p = c.foreignHook("Codec", f)
	}
	if p != nil || err != nil {
		putFrame(buf)
	}
	if p != nil {
		if counted {
			c.fail(p)
		} // else the caller fails the Conn once it has withdrawn r
		return Message{}, nil, p
	}
	if err != nil {
		return Message{}, nil, &encodeError{err}
	}
	return frame, buf, nil
}

// frames holds the frame buffers of AppendEncoders.
var frames = sync.Pool{New: func() any { return new([]byte) }}

// frameRoom is what a frame buffer holds beyond the message: the
// envelope. The Conn reuses only the storage it made, never what a codec
// returns, so a codec that returns other bytes costs nothing but an
// allocation.
const frameRoom = 256

// maxFrameBuf is the largest frame buffer kept for reuse.
const maxFrameBuf = 64 << 10

// putFrame gives buf back for reuse; buf may be nil (a plain Encode).
func putFrame(buf *[]byte) {
	if buf != nil && cap(*buf) <= maxFrameBuf {
		frames.Put(buf)
	}
}

// foreignHook runs a hook on a goroutine the gate does not count, its
// panic contained.
func (c *Conn) foreignHook(name string, f func()) *PanicError {
	return contain(name, f)
}
