package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/codec/envelope"
	"github.com/wsreconnect/wsreconnect/reconnect"
)

// Delivery receipts (-receipts): each line typed in a -url client is a
// tracked send in the JSON envelope, {"id":N,"text":"..."}, and the client
// prints a receipt when the server acknowledges it with {"ack":N}. A line
// typed during an outage waits in the Conn and is confirmed once the
// server has it; a line on the wire when a connection died is resent with
// "dup":true, and the chat server broadcasts it once. Any server that
// speaks the envelope (codec/envelope) works.

// receiptCodec is the codec a -receipts client uses.
func receiptCodec() reconnect.Codec { return envelope.New(envelope.Settings{}) }

// receiptLine is the application's part of a tracked chat line.
type receiptLine struct {
	Text string `json:"text"`
}

// sendReceipted sends each line of r as a tracked message and prints its
// receipt on stderr. At the end of r it waits up to settle for the
// receipts still due, so that a line typed last is confirmed before the
// client closes.
func sendReceipted(conn *reconnect.Conn, r io.Reader, stderr io.Writer, settle time.Duration) {
	var mu sync.Mutex // one receipt line at a time
	var pending []*reconnect.Receipt
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		data, _ := json.Marshal(receiptLine{Text: line})
		offline := conn.State() != reconnect.Connected
		rc, err := conn.Send(context.Background(), reconnect.Outgoing{Type: websocket.MessageText, Data: data,
			OnFate: func(rc *reconnect.Receipt) {
				mu.Lock()
				defer mu.Unlock()
				if rc.Fate() == reconnect.FateAcked {
					fmt.Fprintf(stderr, "chat: receipt: line %d delivered: %s\n", n, line)
					return
				}
				fmt.Fprintf(stderr, "chat: receipt: line %d NOT delivered (%v: %v): %s\n", n, rc.Fate(), rc.Err(), line)
			}})
		if err != nil {
			fmt.Fprintf(stderr, "chat: line %d refused: %v\n", n, err)
			if conn.Err() != nil {
				return
			}
			continue
		}
		if offline {
			fmt.Fprintf(stderr, "chat: line %d queued while offline; a receipt follows when the server has it\n", n)
		}
		pending = append(pending, rc)
	}
	deadline := time.NewTimer(settle)
	defer deadline.Stop()
	for _, rc := range pending {
		select {
		case <-rc.Done():
		case <-deadline.C:
			return
		}
	}
}

// envelopeFrame serves a frame in the JSON envelope (an id and no type):
// it broadcasts the text (a resend marked dup only if its id is new) and
// acknowledges the id. It reports false for any other frame.
func (s *chatServer) envelopeFrame(sess *session, p []byte) bool {
	var w wire
	if json.Unmarshal(p, &w) == nil && w.Type != "" {
		return false // the showcase's own format, which also has an id
	}
	sent, err := envelope.Settings{}.Parse(p)
	if err != nil {
		return false
	}
	var line receiptLine
	if json.Unmarshal(sent.Body, &line) != nil {
		return false
	}
	if s.record(sess.name+" (envelope)", sent.ID) || !sent.Dup {
		s.broadcast(sess, wire{Type: "msg", From: sess.name, Text: line.Text})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	sess.ws.Write(ctx, websocket.MessageText, envelope.Settings{}.AckFrame(sent.ID)) //nolint:errcheck // a dying member's resend is acked on its next connection
	return true
}
