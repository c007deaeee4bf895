package reconnect_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/internal/wstest"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// closeRecorder accepts, echoes, and reports the close status each
// connection ended with.
func closeRecorder(t *testing.T) (string, <-chan error) {
	ends := make(chan error, 16)
	url, _ := wstest.Serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ends <- wstest.Echo(r.Context(), ws)
	})
	return url, ends
}

func TestCloseSendsCodeAndReason(t *testing.T) {
	url, ends := closeRecorder(t)
	c, _, err := wstest.Dial(t, url, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(1016, "nope"); err == nil || !strings.Contains(err.Error(), "invalid close code 1016") {
		t.Fatalf("Close(1016) = %v, want an invalid code error", err)
	}
	if c.State() != reconnect.Connected {
		t.Fatalf("state after refused Close = %v, want connected", c.State())
	}
	if err := c.Close(4000, strings.Repeat("é", 100)); err != nil {
		t.Fatalf("Close = %v", err)
	}
	var ce websocket.CloseError
	if err := wstest.Wait(t, ends, "the server connection to end"); !errors.As(err, &ce) || ce.Code != 4000 || ce.Reason != strings.Repeat("é", 61) {
		t.Fatalf("server saw %v, want 4000 with the reason cut to 122 bytes", err)
	}
	if c.State() != reconnect.Closed {
		t.Fatalf("state = %v, want closed", c.State())
	}
	if _, _, err := c.Read(wstest.Context(t)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after Close = %v, want net.ErrClosed", err)
	}
	if err := c.Write(context.Background(), websocket.MessageText, []byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close = %v, want net.ErrClosed", err)
	}
	if err := c.Close(1000, ""); !errors.Is(err, net.ErrClosed) || !strings.HasPrefix(err.Error(), "reconnect: ") {
		t.Fatalf("second Close = %v, want net.ErrClosed, in the package's words", err)
	}
}

// refuseAfterFirst accepts the first connection, closes it with 1012 and
// answers 503 afterwards, so the Conn stays between attempts.
func refuseAfterFirst(t *testing.T) string {
	url, _ := wstest.Serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n > 1 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		ws.Close(websocket.StatusServiceRestart, "")
	})
	return url
}

func TestCloseDuringBackoffReturnsPromptly(t *testing.T) {
	c, rec, err := wstest.Dial(t, refuseAfterFirst(t), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	rec.Next(t, reconnect.EventWaiting) // the fake clock never moves
	closed := make(chan error, 1)
	go func() { closed <- c.Close(websocket.StatusNormalClosure, "") }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close = %v", err)
		}
	case <-time.After(10 * time.Second): // a hang guard, not a timing claim
		t.Fatal("Close blocked during the wait")
	}
	wstest.ReturnsWithin(t, "Done", func() { <-c.Done() }) // EventClosed may follow Close
	if err := c.Err(); !errors.Is(err, net.ErrClosed) || rec.Count(reconnect.EventClosed) != 1 {
		t.Fatalf("Err = %v, events %v", err, wstest.Kinds(rec.Events()))
	}
}

func TestReconnectAndResetBackoffSkipTheWait(t *testing.T) {
	c, rec, err := wstest.Dial(t, refuseAfterFirst(t), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	first := rec.Next(t, reconnect.EventWaiting)
	c.ResetBackoff()
	second := rec.Next(t, reconnect.EventAttempt)
	if second.Attempt != 1 || !second.Time.Equal(first.Time) {
		t.Fatalf("after ResetBackoff: attempt %d %v later; want attempt 1 at once", second.Attempt, second.Time.Sub(first.Time))
	}
	rec.Next(t, reconnect.EventWaiting)
	c.Reconnect()
	third := rec.Next(t, reconnect.EventAttempt)
	if !third.Time.Equal(first.Time) {
		t.Fatalf("Reconnect did not skip the wait: attempt %v later", third.Time.Sub(first.Time))
	}
}

func TestReconnectDropsTheConnection(t *testing.T) {
	url, ends := closeRecorder(t)
	c, rec, err := wstest.Dial(t, url, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	c.Reconnect()
	end := rec.Next(t, reconnect.EventDisconnected)
	if end.Decision.Label != "reconnect" || !end.Decision.Retry() {
		t.Fatalf("decision = %v, want a retry labelled reconnect", end.Decision)
	}
	if next := rec.Next(t, reconnect.EventConnected, reconnect.EventWaiting); next.Kind != reconnect.EventConnected {
		t.Fatalf("after Reconnect got %v, want connected without a wait", next.Kind)
	}
	if err := wstest.Wait(t, ends, "the server connection to end"); err == nil {
		t.Fatal("server connection did not end")
	}
}
