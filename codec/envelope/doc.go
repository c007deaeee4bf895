// Package envelope is a reconnect.Codec for a plain JSON envelope: every
// tracked send carries a numeric id, the server acknowledges it by that id.
//
// On the wire, with the default field names:
//
//	client: {"id":7,"text":"hi"}          the application's object, id added in front
//	client: {"id":7,"dup":true,"text":"hi"}  the same message resent after a reconnect
//	server: {"ack":7}                      acknowledges 7
//	server: {"ack":[7,8,9]}                acknowledges each of 7, 8 and 9
//	server: {"ack_upto":9}                 acknowledges every id up to 9
//	server: {"nack":7,"reason":"too long"} refuses 7
//
// The application's message must be a JSON object that does not already
// have the id or dup field; with Settings.Wrap set, any JSON value is sent
// as {"id":7,"<Wrap>":<value>} instead. A frame whose only fields are ack
// fields is consumed by the Conn; a frame that also carries anything else
// (an ack piggy-backed on a message) is delivered as well.
//
// The server side of the same envelope is Settings.Parse (the id and dup of
// a received frame) and Settings.AckFrame / NackFrame (the replies).
// Settings.Position reads stream positions from server pushes of the form
// {"stream":"s","offset":12,"epoch":"e",...} for Options.Position.
package envelope
