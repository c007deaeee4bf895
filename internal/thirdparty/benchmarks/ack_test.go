package benchmarks_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// ack answers every message "N|payload" with "ack N", whoever numbered it:
// the Conn's Codec (send) or the application (write).
func ack(ctx context.Context, c *websocket.Conn) error {
	out := make([]byte, 0, 32)
	for {
		_, p, err := c.Read(ctx)
		if err != nil {
			return err
		}
		i := bytes.IndexByte(p, '|')
		if i < 0 {
			continue
		}
		out = append(append(out[:0], "ack "...), p[:i]...)
		if err := c.Write(ctx, websocket.MessageText, out); err != nil {
			return err
		}
	}
}

// ackCodec frames tracked message id as "id|payload" and reads "ack N".
type ackCodec struct{}

func (a ackCodec) Encode(id uint64, m reconnect.Message, resend bool) (reconnect.Message, error) {
	return a.AppendEncode(make([]byte, 0, 21+len(m.Data)), id, m, resend)
}

// AppendEncode lets the Conn reuse its frame buffers, as codec/envelope
// does.
func (ackCodec) AppendEncode(dst []byte, id uint64, m reconnect.Message, _ bool) (reconnect.Message, error) {
	p := strconv.AppendUint(dst, id, 10)
	p = append(p, '|')
	return reconnect.Message{Type: m.Type, Data: append(p, m.Data...)}, nil
}

func (ackCodec) Decode(m reconnect.Message, ack func(reconnect.Ack), deliver func(reconnect.Message)) error {
	if id, ok := parseAck(m.Data); ok {
		ack(reconnect.Ack{ID: id})
		return nil
	}
	deliver(m)
	return nil
}

func parseAck(p []byte) (uint64, bool) {
	rest, ok := bytes.CutPrefix(p, []byte("ack "))
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(string(rest), 10, 64)
	return id, err == nil
}

// acker is one side of BenchmarkAck: put message i out, and wait for the
// ack of message j (j <= i, in order).
type acker interface {
	put(i int) error
	await(j int) error
}

// sendAcker is a tracked Send; the Conn consumes the acks.
type sendAcker struct {
	c   *reconnect.Conn
	msg []byte
	rs  []*reconnect.Receipt
}

func (s *sendAcker) put(i int) error {
	r, err := s.c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: s.msg})
	s.rs[i] = r
	return err
}

func (s *sendAcker) await(j int) error {
	f, _ := s.rs[j].Wait(context.Background())
	s.rs[j] = nil
	if f != reconnect.FateAcked {
		return errors.New("not acked: " + f.String())
	}
	return nil
}

// writeAcker is a plain Write of "N|payload" and a Read of each ack, as an
// application does its own acknowledgements today.
type writeAcker struct {
	c   *reconnect.Conn
	msg []byte
	buf []byte
}

func (w *writeAcker) put(i int) error {
	w.buf = append(strconv.AppendUint(w.buf[:0], uint64(i+1), 10), '|')
	w.buf = append(w.buf, w.msg...)
	return w.c.Write(context.Background(), websocket.MessageText, w.buf)
}

func (w *writeAcker) await(j int) error {
	_, p, err := w.c.Read(context.Background())
	if err != nil {
		return err
	}
	if id, ok := parseAck(p); !ok || id != uint64(j+1) {
		return errors.New("unexpected ack " + string(p))
	}
	return nil
}

// handlerAcker is a plain Write whose ack OnMessage hands over on a
// channel, as an application in handler mode does its own acks.
type handlerAcker struct {
	writeAcker
	acks chan uint64
}

func (h *handlerAcker) await(j int) error {
	if id := <-h.acks; id != uint64(j+1) {
		return errors.New("unexpected ack " + strconv.FormatUint(id, 10))
	}
	return nil
}

// fateAcker is a tracked Send whose OnFate, on the Conn's reader, hands
// the receipt over on a channel.
type fateAcker struct {
	c     *reconnect.Conn
	msg   []byte
	fates chan *reconnect.Receipt
	put1  func(*reconnect.Receipt)
}

func (f *fateAcker) put(int) error {
	_, err := f.c.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: f.msg, OnFate: f.put1})
	return err
}

func (f *fateAcker) await(j int) error {
	r := <-f.fates
	if r.Fate() != reconnect.FateAcked || r.ID() != uint64(j+1) {
		return errors.New("not acked in order: " + r.Fate().String())
	}
	return nil
}

// ackImpl sets up one side of BenchmarkAck: its Options, and its acker on
// the Conn dialed with them.
type ackImpl struct {
	name  string
	setup func(n, window int) (reconnect.Options, func(*reconnect.Conn) acker)
}

func ackImpls(msg []byte) []ackImpl {
	return []ackImpl{
		{"write", func(int, int) (reconnect.Options, func(*reconnect.Conn) acker) {
			return reconnect.Options{}, func(c *reconnect.Conn) acker { return &writeAcker{c: c, msg: msg} }
		}},
		{"send", func(n, _ int) (reconnect.Options, func(*reconnect.Conn) acker) {
			return reconnect.Options{Codec: ackCodec{}}, func(c *reconnect.Conn) acker {
				return &sendAcker{c: c, msg: msg, rs: make([]*reconnect.Receipt, n)}
			}
		}},
		{"onmessage", func(_, window int) (reconnect.Options, func(*reconnect.Conn) acker) {
			acks := make(chan uint64, window+1)
			o := reconnect.Options{OnMessage: func(_ *reconnect.Conn, m reconnect.Message) {
				if id, ok := parseAck(m.Data); ok {
					acks <- id
				}
			}}
			return o, func(c *reconnect.Conn) acker { return &handlerAcker{writeAcker{c: c, msg: msg}, acks} }
		}},
		{"onfate", func(_, window int) (reconnect.Options, func(*reconnect.Conn) acker) {
			fates := make(chan *reconnect.Receipt, window+1)
			put := func(r *reconnect.Receipt) { fates <- r }
			return reconnect.Options{Codec: ackCodec{}, OnMessage: func(*reconnect.Conn, reconnect.Message) {}},
				func(c *reconnect.Conn) acker { return &fateAcker{c: c, msg: msg, fates: fates, put1: put} }
		}},
	}
}

// BenchmarkAck compares a tracked Send, acknowledged through its Codec,
// with a plain Write whose ack the application reads itself, on the same
// server and with 64 B payloads. rtt sends one message at a time and
// reports the round trip to its ack; window keeps 64 unacknowledged.
// write and send wait in Read and Receipt.Wait; onmessage and onfate are
// handler mode: the ack reaches the application in OnMessage or OnFate
// on the Conn's reader, which hands it over on a channel.
func BenchmarkAck(b *testing.B) {
	url := serverURL(b) + "/ack"
	msg := make([]byte, 64)
	for _, mode := range []struct {
		name   string
		window int
	}{{"rtt", 1}, {"window", 64}} {
		b.Run(mode.name, func(b *testing.B) {
			for _, impl := range ackImpls(msg) {
				b.Run(impl.name, func(b *testing.B) {
					opts, newAcker := impl.setup(b.N, mode.window)
					c, err := reconnect.Dial(context.Background(), url, &opts)
					if err != nil {
						b.Fatal(err)
					}
					defer c.Close(websocket.StatusNormalClosure, "")
					ackRun(b, newAcker(c), mode.window)
				})
			}
		})
	}
}

func ackRun(b *testing.B, a acker, window int) {
	rtt := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		if err := a.put(i); err != nil {
			b.Fatal(err)
		}
		if j := i - window + 1; j >= 0 {
			if err := a.await(j); err != nil {
				b.Fatal(err)
			}
			if window == 1 {
				rtt = append(rtt, time.Since(t0))
			}
		}
	}
	for j := max(b.N-window+1, 0); j < b.N; j++ {
		if err := a.await(j); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	reportQuantiles(b, rtt, time.Nanosecond, "ns", 50, 99)
}
