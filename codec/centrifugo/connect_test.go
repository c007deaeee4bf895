package centrifugo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/codec/centrifugo"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// recorder is a Centrifugo stand-in that records the commands it reads
// and answers connect with reply, subscribes with a positioned reply.
func recorder(t *testing.T, connectReply string) (*httptest.Server, chan string) {
	cmds := make(chan string, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for {
			_, p, err := ws.Read(r.Context())
			if err != nil {
				return
			}
			var out [][]byte
			for _, line := range bytes.Split(p, []byte{'\n'}) {
				cmds <- string(line)
				var cmd struct {
					ID        uint64
					Connect   json.RawMessage
					Subscribe json.RawMessage
				}
				json.Unmarshal(line, &cmd)
				switch {
				case cmd.Connect != nil:
					out = append(out, fmt.Appendf(nil, connectReply, cmd.ID))
				case cmd.Subscribe != nil:
					out = append(out, fmt.Appendf(nil, `{"id":%d,"subscribe":{"recoverable":true,"epoch":"e1","positioned":true}}`, cmd.ID))
				}
			}
			if ws.Write(r.Context(), websocket.MessageText, bytes.Join(out, []byte{'\n'})) != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv, cmds
}

func next(t *testing.T, cmds chan string) string {
	t.Helper()
	select {
	case c := <-cmds:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no command within 5 s")
		return ""
	}
}

// TestOnConnectSubscribes: connect carries the token; a channel with a
// seeded position is subscribed with recover, offset and epoch, one
// without is subscribed without recover (which would replay history).
func TestOnConnectSubscribes(t *testing.T) {
	srv, cmds := recorder(t, `{"id":%d,"connect":{"client":"c1"}}`)
	cc := centrifugo.New(centrifugo.Settings{Token: "tok", Channels: []string{"news", "fresh"}})
	o := &reconnect.Options{Positions: map[string]reconnect.Position{"news": {Offset: 5, Epoch: "e0"}}}
	cc.Apply(o)
	c, err := reconnect.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(websocket.StatusNormalClosure, "")
	if got := next(t, cmds); !strings.Contains(got, `"connect":{"token":"tok"}`) {
		t.Errorf("first command %s, want connect with the token", got)
	}
	for _, want := range []string{
		`"subscribe":{"channel":"news","recover":true,"offset":5,"epoch":"e0"}`,
		`"subscribe":{"channel":"fresh"}`,
	} {
		if got := next(t, cmds); !strings.Contains(got, want) {
			t.Errorf("subscribe %s, want %s", got, want)
		}
	}
}

// TestConnectRefused: an error reply to connect fails the attempt with
// ErrConnect, and the policy (permanent here) ends the Conn.
func TestConnectRefused(t *testing.T) {
	srv, _ := recorder(t, `{"id":%d,"error":{"code":109,"message":"token expired"}}`)
	cc := centrifugo.New(centrifugo.Settings{Token: "old"})
	o := &reconnect.Options{}
	cc.Apply(o)
	inner := o.OnConnect
	o.OnConnect = func(ctx context.Context, ws *websocket.Conn) error {
		if err := inner(ctx, ws); err != nil {
			return backoff.Permanent(err)
		}
		return nil
	}
	_, err := reconnect.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), o)
	if !errors.Is(err, centrifugo.ErrConnect) || !strings.Contains(err.Error(), "109 token expired") {
		t.Errorf("Dial = %v, want ErrConnect with 109 token expired", err)
	}
}
