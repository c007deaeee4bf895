package reconnect_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// tally is an Observer that records the kinds it saw, under a name.
type tally struct {
	name string
	log  *[]string
}

func (o tally) OnEvent(e reconnect.Event) { *o.log = append(*o.log, o.name+":"+e.Kind.String()) }

func TestObserversFanOutInOrder(t *testing.T) {
	t.Parallel()
	var log []string
	var nilFunc reconnect.ObserverFunc
	obs := reconnect.Observers(tally{"a", &log}, nil, nilFunc, tally{"b", &log})
	obs.OnEvent(reconnect.Event{Kind: reconnect.EventAttempt})
	obs.OnEvent(reconnect.Event{Kind: reconnect.EventConnected})
	want := []string{"a:attempt", "b:attempt", "a:connected", "b:connected"}
	if !slices.Equal(log, want) {
		t.Fatalf("events seen = %v, want %v", log, want)
	}
}

func TestObserversOfNothingIsNil(t *testing.T) {
	t.Parallel()
	var nilFunc reconnect.ObserverFunc
	tests := []struct {
		name string
		obs  []reconnect.Observer
	}{
		{"no arguments", nil},
		{"nil interface", []reconnect.Observer{nil}},
		{"nil ObserverFunc", []reconnect.Observer{nilFunc}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := reconnect.Observers(tt.obs...); got != nil {
				t.Fatalf("Observers(%v) = %#v, want nil", tt.obs, got)
			}
		})
	}
}

func TestObserversContainAPanic(t *testing.T) {
	t.Parallel()
	var log []string
	boom := reconnect.ObserverFunc(func(reconnect.Event) { panic("first") })
	late := reconnect.ObserverFunc(func(reconnect.Event) { panic("second") })
	obs := reconnect.Observers(tally{"a", &log}, boom, tally{"b", &log}, late, tally{"c", &log})
	v := func() (v any) {
		defer func() { v = recover() }()
		obs.OnEvent(reconnect.Event{Kind: reconnect.EventWaiting})
		return nil
	}()
	if v != "first" {
		t.Errorf("recovered %v, want the first panic's value", v)
	}
	if want := []string{"a:waiting", "b:waiting", "c:waiting"}; !slices.Equal(log, want) {
		t.Errorf("events seen = %v, want %v: a panic must not keep the event from the others", log, want)
	}
}

// A panic inside the fan-out ends the Conn as a single panicking Observer
// does, after the other observers saw the event.
func TestObserversPanicEndsTheConn(t *testing.T) {
	t.Parallel()
	url, _ := wstest.Serve(t, wstest.EchoServer)
	seen := make(chan reconnect.EventKind, 64)
	watch := reconnect.ObserverFunc(func(e reconnect.Event) { seen <- e.Kind })
	boom := reconnect.ObserverFunc(func(e reconnect.Event) {
		if e.Kind == reconnect.EventConnected {
			panic("observer bug")
		}
	})
	_, _, err := wstest.Dial(t, url, &reconnect.Options{Observer: reconnect.Observers(boom, watch), PingInterval: -1}, true)
	var pe *reconnect.PanicError
	if !errors.As(err, &pe) || pe.Hook != "Observer" || pe.Value != "observer bug" || !errors.Is(err, reconnect.ErrTerminal) {
		t.Fatalf("Dial = %v, want a terminal end with the Observer's panic", err)
	}
	guard := time.After(wstest.Guard)
	for {
		select {
		case k := <-seen:
			if k == reconnect.EventConnected {
				return
			}
		case <-guard:
			t.Fatal("the other observer never saw EventConnected")
		}
	}
}
