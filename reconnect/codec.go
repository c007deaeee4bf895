package reconnect

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
