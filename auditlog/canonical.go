package auditlog

import (
	"bytes"
	"encoding/json"
	"slices"
	"unicode/utf8"
)

// maxCanonicalDepth bounds how deeply appendCanonical nests; a deeper
// value is left to encoding/json, which refuses one over 10,000 levels.
const maxCanonicalDepth = 256

// appendCanonical appends the canonical form of raw, one valid JSON value
// with optional whitespace around it, exactly as decoding it with
// encoding/json (UseNumber) and appending it with appendValue would: keys
// sorted by their decoded bytes, the last of a repeated key kept, numbers
// as written, strings as appendString writes them. It reads the bytes in
// place, where decoding built a map for every object, a string for every
// key and value and a sorted slice of keys. It returns false, and b as it
// was, for a value nested deeper than maxCanonicalDepth.
func appendCanonical(b, raw []byte) ([]byte, bool) {
	out, _, ok := canonicalValue(b, raw, skipSpace(raw, 0), 0)
	if !ok {
		return b, false
	}
	return out, true
}

// member is an object member: its decoded key and its value's bytes.
type member struct {
	key, value []byte
}

// canonicalValue appends the value of valid JSON that starts at raw[i]
// and returns the index just past it.
func canonicalValue(b, raw []byte, i, depth int) ([]byte, int, bool) {
	switch raw[i] {
	case '{':
		if depth == maxCanonicalDepth {
			return b, i, false
		}
		// Most objects have few members; these stay off the heap.
		var small [8]member
		members := small[:0]
		i = skipSpace(raw, i+1)
		for raw[i] != '}' {
			end := stringEnd(raw, i)
			key, ok := decodeString(raw[i:end])
			if !ok {
				return b, i, false
			}
			i = skipSpace(raw, end)
			i = skipSpace(raw, i+1) // the colon
			end = valueEnd(raw, i)
			members = append(members, member{key: key, value: raw[i:end]})
			i = skipSpace(raw, end)
			if raw[i] == ',' {
				i = skipSpace(raw, i+1)
			}
		}
		// A stable sort keeps repeated keys in the order given, so the
		// last of each run is the one a map would have kept.
		slices.SortStableFunc(members, func(x, y member) int { return bytes.Compare(x.key, y.key) })
		b = append(b, '{')
		first := true
		for k, m := range members {
			if k+1 < len(members) && bytes.Equal(m.key, members[k+1].key) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, m.key)
			b = append(b, ':')
			var ok bool
			if b, _, ok = canonicalValue(b, m.value, 0, depth+1); !ok {
				return b, i, false
			}
		}
		return append(b, '}'), i + 1, true
	case '[':
		if depth == maxCanonicalDepth {
			return b, i, false
		}
		b = append(b, '[')
		i = skipSpace(raw, i+1)
		for n := 0; raw[i] != ']'; n++ {
			if n > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, i, ok = canonicalValue(b, raw, i, depth+1); !ok {
				return b, i, false
			}
			i = skipSpace(raw, i)
			if raw[i] == ',' {
				i = skipSpace(raw, i+1)
			}
		}
		return append(b, ']'), i + 1, true
	case '"':
		end := stringEnd(raw, i)
		s, ok := decodeString(raw[i:end])
		if !ok {
			return b, i, false
		}
		return appendString(b, s), end, true
	default:
		// Numbers, kept as written (json.Number), and true, false, null.
		end := valueEnd(raw, i)
		return append(b, raw[i:end]...), end, true
	}
}

// decodeString returns the value of the valid JSON string tok, quotes
// included, as encoding/json decodes it. A string without escapes and of
// valid UTF-8 is its own bytes; any other is decoded by encoding/json,
// which also turns invalid UTF-8 into U+FFFD.
func decodeString(tok []byte) ([]byte, bool) {
	s := tok[1 : len(tok)-1]
	if bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
		return s, true
	}
	var v string
	if err := json.Unmarshal(tok, &v); err != nil {
		return nil, false
	}
	return []byte(v), true
}
