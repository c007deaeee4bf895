package main

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/policy"
)

// presets are the -preset names: the rules a -url client starts from.
var presets = map[string]func() policy.AppRules{
	"none":       func() policy.AppRules { return policy.AppRules{} }, // the library's default: every code stops
	"centrifugo": policy.Centrifugo,
	"graphql-ws": policy.GraphQLWS,
}

// chatRules are the chat server's own application codes, which the
// showcase uses: 4001 (kicked) stops, the rest of 4000-4499 retries.
func chatRules() policy.AppRules {
	return policy.AppRules{
		Codes:  map[websocket.StatusCode]policy.Outcome{kickCode: policy.Stop},
		Ranges: []policy.CodeRange{{From: 4000, To: 4499, Outcome: policy.Retry}},
	}
}

// codeList is the value of -retry-codes or -stop-codes: application close
// codes and inclusive ranges, comma-separated ("4000-4499,3001"). The flag
// may be repeated; the lists add up.
type codeList []policy.CodeRange

func (l *codeList) String() string {
	if l == nil {
		return ""
	}
	return formatRanges(*l)
}

func (l *codeList) Set(v string) error {
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		lo, hi, isRange := strings.Cut(item, "-")
		if !isRange {
			hi = lo
		}
		from, err := appCode(lo)
		if err != nil {
			return err
		}
		to, err := appCode(hi)
		if err != nil {
			return err
		}
		if from > to {
			return fmt.Errorf("%d-%d is not an ascending range", from, to)
		}
		*l = append(*l, policy.CodeRange{From: from, To: to})
	}
	return nil
}

// appCode parses one close code and refuses any outside 3000-4999.
func appCode(s string) (websocket.StatusCode, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf(`want close codes and ranges such as "4000-4499,3001"`)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a close code", s)
	}
	if n < 3000 || n > 4999 {
		return 0, fmt.Errorf("close code %d is outside 3000-4999: only application codes can be chosen", n)
	}
	return websocket.StatusCode(n), nil
}

// clientRules are a -url client's rules: the preset, with -stop-codes and
// then -retry-codes consulted before it, so that a code in both stops and
// either list overrides the preset. The preset's SpreadCodes, AuthCodes,
// Func and Default are kept.
func clientRules(preset policy.AppRules, retry, stop codeList) policy.AppRules {
	if len(retry) == 0 && len(stop) == 0 {
		return preset
	}
	var ranges []policy.CodeRange
	for _, cr := range stop {
		ranges = append(ranges, policy.CodeRange{From: cr.From, To: cr.To, Outcome: policy.Stop})
	}
	for _, cr := range retry {
		ranges = append(ranges, policy.CodeRange{From: cr.From, To: cr.To, Outcome: policy.Retry})
	}
	// The preset's single codes are consulted before its ranges, and
	// after ours: as one-code ranges they keep that order.
	for _, code := range slices.Sorted(maps.Keys(preset.Codes)) {
		ranges = append(ranges, policy.CodeRange{From: code, To: code, Outcome: preset.Codes[code]})
	}
	r := preset
	r.Codes = nil
	r.Ranges = append(ranges, preset.Ranges...)
	return r
}

// describeRules says which application codes retry and which stop, e.g.
// "retry 4000-4499; stop 3000-3999,4500-4999".
func describeRules(r policy.AppRules) string {
	var retry, stop codeList
	for c := websocket.StatusCode(3000); c <= 4999; c++ {
		list := &stop
		if r.Decide(c, "") == policy.Retry {
			list = &retry
		}
		if n := len(*list); n > 0 && (*list)[n-1].To == c-1 {
			(*list)[n-1].To = c
		} else {
			*list = append(*list, policy.CodeRange{From: c, To: c})
		}
	}
	return "retry " + orNone(retry.String()) + "; stop " + orNone(stop.String())
}

func formatRanges(l []policy.CodeRange) string {
	parts := make([]string, len(l))
	for i, cr := range l {
		parts[i] = strconv.Itoa(int(cr.From))
		if cr.To != cr.From {
			parts[i] += "-" + strconv.Itoa(int(cr.To))
		}
	}
	return strings.Join(parts, ",")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
