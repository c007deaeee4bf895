package reconnect

import "context"

// Receipt is the handle of one tracked send.
type Receipt struct {
	id   uint64
	done chan struct{}
	fate Fate
	err  error
}

// ID returns the id the Codec put on the message.
func (r *Receipt) ID() uint64 { return r.id }

// Done returns a channel that is closed once the fate is known.
func (r *Receipt) Done() <-chan struct{} { return r.done }

// Wait returns the fate once it is known. If ctx ends first it returns
// FatePending and ctx's error; the message is not affected.
func (r *Receipt) Wait(ctx context.Context) (Fate, error) {
	select {
	case <-r.done:
		return r.fate, nil
	case <-ctx.Done():
		return FatePending, ctx.Err()
	}
}

// Fate returns the fate, FatePending until it is known.
func (r *Receipt) Fate() Fate {
	select {
	case <-r.done:
		return r.fate
	default:
		return FatePending
	}
}

// Err returns why the message was not acknowledged: the nack's reason,
// ErrExpired, or the Conn's end; nil when acked or still pending.
func (r *Receipt) Err() error {
	select {
	case <-r.done:
		return r.err
	default:
		return nil
	}
}
