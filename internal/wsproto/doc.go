// Package wsproto holds small facts of the WebSocket protocol and its URLs
// that the other packages share: which close codes may be sent, how long a
// close reason may be, and which URLs websocket.Dial can use. What is
// secret in a URL is package redact's to decide.
package wsproto
