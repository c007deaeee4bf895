package reconnect

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
	"unsafe"
)

// TestReceiptSizeClass: a Receipt with a 64 B message is one allocation
// of the 256 B size class (BENCHMARKS.md counts its bytes per send).
func TestReceiptSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(struct {
		r Receipt
		b [64]byte
	}{}); n > 256 {
		t.Errorf("a Receipt with a 64 B message takes %d B, want at most 256", n)
	}
}

func TestNewReceiptCopiesData(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"small", bytes.Repeat([]byte("a"), 64)},
		{"medium", bytes.Repeat([]byte("b"), 65)},
		{"largest shared", bytes.Repeat([]byte("c"), 1024)},
		{"own allocation", bytes.Repeat([]byte("d"), 1025)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := bytes.Clone(tc.data)
			r := newReceipt(in)
			if (r.msg.Data == nil) != (tc.data == nil) || !bytes.Equal(r.msg.Data, tc.data) {
				t.Fatalf("%s: Data %q, want %q", t.Name(), r.msg.Data, tc.data)
			}
			if len(in) > 0 {
				in[0] = 'z'
				if r.msg.Data[0] == 'z' {
					t.Fatalf("%s: the receipt shares the caller's bytes", t.Name())
				}
			}
			if cap(r.msg.Data) != len(tc.data) {
				t.Fatalf("%s: cap %d, want %d: an append could reach the shared allocation", t.Name(), cap(r.msg.Data), len(tc.data))
			}
		})
	}
}

// TestReceiptPublish covers the lazy done channel: every way to wait sees
// the fate exactly when it is published, whether it asked before or after.
func TestReceiptPublish(t *testing.T) {
	t.Parallel()
	bounded := func(t *testing.T, what string, f func()) {
		t.Helper()
		ok := make(chan struct{})
		go func() { f(); close(ok) }()
		select {
		case <-ok:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: %s did not return after publish", t.Name(), what)
		}
	}
	for _, tc := range []struct {
		name  string
		early bool // Done is asked for before the fate is known
	}{{"done before", true}, {"done after", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newReceipt([]byte("x"))
			var early <-chan struct{}
			if tc.early {
				early = r.Done()
			}
			if f, err := r.Fate(), r.Err(); f != FatePending || err != nil {
				t.Fatalf("%s: before publish: %v %v, want pending, nil", t.Name(), f, err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if f, err := r.Wait(ctx); f != FatePending || !errors.Is(err, context.Canceled) {
				t.Fatalf("%s: Wait with an ended ctx: %v %v", t.Name(), f, err)
			}
			waited := make(chan Fate, 1)
			go func() { f, _ := r.Wait(context.Background()); waited <- f }()
			want := errors.New("ended")
			r.settle(FateUnconfirmed, want)
			r.publish()
			bounded(t, "Wait(Background)", func() {
				if f := <-waited; f != FateUnconfirmed {
					t.Errorf("%s: Wait: %v", t.Name(), f)
				}
			})
			if early != nil {
				bounded(t, "the early Done", func() { <-early })
			}
			bounded(t, "Done", func() { <-r.Done() })
			short, stop := context.WithTimeout(context.Background(), time.Hour)
			defer stop()
			if f, err := r.Wait(short); f != FateUnconfirmed || err != nil {
				t.Fatalf("%s: Wait with a ctx that can end: %v %v", t.Name(), f, err)
			}
			if r.Fate() != FateUnconfirmed || r.Err() != want {
				t.Fatalf("%s: Fate %v Err %v", t.Name(), r.Fate(), r.Err())
			}
		})
	}
}
