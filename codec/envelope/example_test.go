package envelope_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/codec/envelope"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// A tracked send in the envelope: the server reads the id with Parse and
// answers AckFrame (or NackFrame); the Receipt resolves with the answer.
func Example() {
	var env envelope.Settings // the default field names
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
			sent, err := env.Parse(p)
			if err != nil {
				continue
			}
			fmt.Printf("server got %s\n", p)
			answer := env.AckFrame(sent.ID)
			if strings.Contains(string(p), "forbidden") {
				answer = env.NackFrame(sent.ID, "not allowed")
			}
			ws.Write(r.Context(), websocket.MessageText, answer)
		}
	}))
	defer srv.Close()

	ctx := context.Background()
	c, err := reconnect.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &reconnect.Options{Codec: envelope.New(env)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(websocket.StatusNormalClosure, "")
	for _, text := range []string{`{"text":"hello"}`, `{"text":"forbidden"}`} {
		r, err := c.Send(ctx, reconnect.Outgoing{Type: websocket.MessageText, Data: []byte(text)})
		if err != nil {
			fmt.Println(err)
			return
		}
		fate, _ := r.Wait(ctx)
		fmt.Printf("message %d: %v %v\n", r.ID(), fate, r.Err())
	}
	// Output:
	// server got {"id":1,"text":"hello"}
	// message 1: acked <nil>
	// server got {"id":2,"text":"forbidden"}
	// message 2: rejected reconnect: message rejected by the server: not allowed
}
