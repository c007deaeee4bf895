package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// runServer is -serve ADDR: the chat server alone, with the faults on
// GET /fault, until interrupted.
func runServer(ctx context.Context, cfg config, stdout, stderr io.Writer) int {
	srv := newChatServer()
	start := time.Now()
	srv.logf = func(format string, a ...any) {
		fmt.Fprintf(stdout, "%6.2fs  %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, a...))
	}
	if err := srv.listen(cfg.serve); err != nil {
		fmt.Fprintln(stderr, "chat:", err)
		return 1
	}
	base := "http://" + srv.Addr()
	fmt.Fprintf(stdout, "chat server on %s; Ctrl-C stops it (clients get 1001 going away)\n", srv.URL())
	fmt.Fprintf(stdout, "faults: curl '%s/fault?do=restart&for=3s' (also overload, drop, silence, kick&name=NAME)\n", base)
	<-ctx.Done()
	srv.shutdown(websocket.StatusGoingAway, "server shutting down")
	return 0
}

// runClient is -url URL: one client. Lines from stdin are sent as text
// messages (buffered while disconnected), messages received are printed on
// stdout, lifecycle events go to stderr. It ends at the end of stdin, on
// Ctrl-C, or when the policy stops.
func runClient(ctx context.Context, cfg config, stdin io.Reader, stdout, stderr io.Writer) int {
	opts := clientOptions(cfg, cfg.name)
	if cfg.receipts {
		opts.Codec = receiptCodec()
	}
	who := cfg.name
	if who == "" {
		who = "you"
	}
	if cfg.logJSON {
		opts.Observer = newJSONLogger(stderr).observer(who)
	} else {
		opts.Observer = newRenderer(stderr).observer(who)
	}
	// With -log json, stderr holds only JSON: the final error is in the
	// "closed" event.
	say := func(format string, a ...any) {
		if !cfg.logJSON {
			fmt.Fprintf(stderr, format, a...)
		}
	}
	say("chat: application close codes: %s\n", describeRules(cfg.policy.App))
	conn, err := reconnect.Dial(ctx, cfg.url, opts)
	if err != nil {
		say("chat: %v\n", err)
		return exitCode(err)
	}
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		printMessages(conn, stdout)
	}()
	eof := make(chan struct{})
	go func() {
		defer close(eof)
		if cfg.receipts {
			sendReceipted(conn, stdin, stderr, 5*time.Second)
			return
		}
		sendLines(conn, stdin, stderr)
	}()
	select {
	case <-eof:
	case <-ctx.Done():
	case <-conn.Done():
	}
	conn.Close(websocket.StatusNormalClosure, "bye") //nolint:errcheck // the final error is below
	<-printed
	if n := len(conn.Undelivered()); n > 0 {
		say("chat: %d messages were never sent; they were handed back by Undelivered\n", n)
	}
	err = conn.Err()
	if code := exitCode(err); code != 0 {
		say("chat: %v\n", err)
		return code
	}
	return 0
}

// printMessages prints every message until the Conn ends. Chat messages
// from the demo server are shown as "name: text".
func printMessages(conn *reconnect.Conn, w io.Writer) {
	for {
		_, p, err := conn.Read(context.Background())
		if err != nil {
			return
		}
		var m wire
		switch {
		case json.Unmarshal(p, &m) == nil && m.Type == "msg" && m.From != "":
			fmt.Fprintf(w, "%s: %s\n", m.From, m.Text)
		case m.Type == "ack":
		default:
			fmt.Fprintf(w, "%s\n", p)
		}
	}
}

// sendLines writes each line of r until r ends or the Conn ends.
func sendLines(conn *reconnect.Conn, r io.Reader, stderr io.Writer) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		err := conn.Write(context.Background(), websocket.MessageText, sc.Bytes())
		switch {
		case errors.Is(err, reconnect.ErrBufferFull):
			fmt.Fprintln(stderr, "chat: not connected and the buffer is full; line dropped")
		case err != nil:
			return
		}
	}
}

// exitCode maps a Conn's final error to the exit status: 0 for a close by
// the app, or by the server with 1000 Normal Closure; 1 for any other
// terminal end, a give-up, or a Ctrl-C before the first connection.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var e *reconnect.Error
	if !errors.As(err, &e) {
		return 1
	}
	switch {
	case e.Kind == reconnect.KindClosed:
		return 0
	case e.Kind == reconnect.KindTerminal && websocket.CloseStatus(err) == websocket.StatusNormalClosure:
		return 0
	}
	return 1
}
