package centrifugo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/codec/centrifugo"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// A client that subscribes to a channel and publishes to it with a
// tracked send. The server here is a few lines that answer as Centrifugo
// does (a real one is in the module's Centrifugo tests): the subscribe
// reply is positioned, a publish gets its publication pushed and its
// reply, in one newline-batched frame.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(fakeCentrifugo))
	defer srv.Close()

	ctx := context.Background()
	cc := centrifugo.New(centrifugo.Settings{Token: "<JWT>", Channels: []string{"news"}})
	o := &reconnect.Options{}
	cc.Apply(o) // Codec, Position and OnConnect
	c, err := reconnect.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/connection/websocket", o)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(websocket.StatusNormalClosure, "")

	_, reply, _ := c.Read(ctx) // the subscribe reply, with its channel
	fmt.Printf("subscribed: %s\n", reply)
	r, _ := c.Send(ctx, reconnect.Outgoing{Type: websocket.MessageText, Data: centrifugo.Publish("news", []byte(`{"text":"hi"}`))})
	fate, _ := r.Wait(ctx)
	fmt.Println("publish:", fate)
	_, push, _ := c.Read(ctx)
	fmt.Printf("push: %s\n", push)
	fmt.Printf("position: %+v\n", c.Positions()["news"])
	// Output:
	// subscribed: {"channel":"news","id":2147483650,"subscribe":{"recoverable":true,"epoch":"e1","positioned":true}}
	// publish: acked
	// push: {"push":{"channel":"news","pub":{"data":{"text":"hi"},"offset":1,"epoch":"e1"}}}
	// position: {Stream:news Offset:1 Epoch:e1}
}

// fakeCentrifugo answers connect, subscribe and publish commands.
func fakeCentrifugo(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	offset := 0
	for {
		_, p, err := ws.Read(r.Context())
		if err != nil {
			return
		}
		var out [][]byte
		for _, line := range bytes.Split(p, []byte{'\n'}) {
			var cmd struct {
				ID        uint64
				Connect   json.RawMessage
				Subscribe json.RawMessage
				Publish   *struct {
					Channel string
					Data    json.RawMessage
				}
			}
			json.Unmarshal(line, &cmd)
			switch {
			case cmd.Connect != nil:
				out = append(out, fmt.Appendf(nil, `{"id":%d,"connect":{"client":"c1"}}`, cmd.ID))
			case cmd.Subscribe != nil:
				out = append(out, fmt.Appendf(nil, `{"id":%d,"subscribe":{"recoverable":true,"epoch":"e1","positioned":true}}`, cmd.ID))
			case cmd.Publish != nil:
				offset++
				out = append(out, fmt.Appendf(nil, `{"push":{"channel":%q,"pub":{"data":%s,"offset":%d,"epoch":"e1"}}}`, cmd.Publish.Channel, cmd.Publish.Data, offset),
					fmt.Appendf(nil, `{"id":%d,"publish":{}}`, cmd.ID))
			}
		}
		if ws.Write(r.Context(), websocket.MessageText, bytes.Join(out, []byte{'\n'})) != nil {
			return
		}
	}
}
