// Package redact decides what is secret in the texts the module hands out,
// for reconnect, policy and otelwrap alike: URLs lose their userinfo,
// query and fragment (URL, RawURL, Location); error chains lose every
// URL secret and every copy of a known credential, while errors.Is and
// errors.As still see the original chain (Errors, Book); close reasons
// become valid UTF-8 without control characters, cut on a rune boundary
// (Reason).
package redact
