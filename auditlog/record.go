// Package auditlog makes andon's audit log tamper-evident. It turns events
// into canonical JSON records, hashes them into an RFC 6962 Merkle tree
// (golang.org/x/mod/sumdb/tlog), signs the tree's size and root as a
// checkpoint note (golang.org/x/mod/sumdb/note), proves that one record is
// in a signed tree, and re-checks a whole log offline.
//
// The package stores nothing. A store keeps the records and the tree hashes
// that HashesToStore returns in its own tables, inside the transaction of
// the change being recorded, and hands them back through tlog.HashReader
// and Source. Everything here is therefore a pure function of its inputs,
// apart from the key files of LoadOrCreateKey.
package auditlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/andon-governance/andon"
)

// timeLayout writes every instant with all nine fractional digits, so that
// the width of the field never depends on the value and equal instants
// always give equal bytes.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// FormatTime writes t as a record's "time" does: RFC 3339 in UTC with nine
// fractional digits, whose order as text is the order of the instants.
func FormatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// Encode returns the canonical JSON record of entry number index: an object
// with its keys in sorted order and no insignificant whitespace, holding
// "actor", "data" (omitted when ev.Data is nil or marshals to null),
// "index", "subject" (omitted when empty), "time" (RFC 3339, UTC, nine
// fractional digits) and "type".
//
// ev.Data is marshalled with encoding/json and re-canonicalised: object
// keys sorted recursively by their bytes, numbers kept as written, strings
// escaped in one fixed way. Equal input therefore always gives the same
// bytes, whatever the Go version or the order of a map, which matters
// because the Merkle tree hashes the bytes, not their meaning.
func Encode(index int64, t time.Time, ev andon.Event) ([]byte, error) {
	if index < 0 {
		return nil, fmt.Errorf("auditlog: encode entry %d: negative index", index)
	}
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("auditlog: encode entry %d: year %d does not fit RFC 3339", index, y)
	}
	if ev.Type == "" {
		return nil, fmt.Errorf("auditlog: encode entry %d: empty event type", index)
	}
	// encoding/json would quietly replace invalid UTF-8 with U+FFFD, and
	// the record would then no longer say what the caller asked to record.
	for _, s := range []string{ev.Type, ev.Actor, ev.Subject} {
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("auditlog: encode entry %d: invalid UTF-8 in %q", index, s)
		}
	}
	var raw []byte
	if ev.Data != nil {
		// A json.RawMessage, as sqlstore records every event's data, is
		// used as it is when valid: marshalling it again would only
		// compact it, which the canonical form does anyway.
		if r, ok := ev.Data.(json.RawMessage); ok && validJSON(r) {
			raw = r
		} else {
			var err error
			if raw, err = json.Marshal(ev.Data); err != nil {
				return nil, fmt.Errorf("auditlog: encode entry %d: data: %w", index, err)
			}
		}
	}
	// The record is the data and a few short members: one allocation,
	// as a rule.
	b := make([]byte, 0, len(raw)+len(ev.Actor)+len(ev.Subject)+len(ev.Type)+128)
	b = append(b, `{"actor":`...)
	b = appendString(b, ev.Actor)
	if raw != nil {
		var err error
		if b, err = appendData(b, raw); err != nil {
			return nil, fmt.Errorf("auditlog: encode entry %d: data: %w", index, err)
		}
	}
	b = append(b, `,"index":`...)
	b = strconv.AppendInt(b, index, 10)
	if ev.Subject != "" {
		b = append(b, `,"subject":`...)
		b = appendString(b, ev.Subject)
	}
	b = append(b, `,"time":"`...)
	b = t.AppendFormat(b, timeLayout)
	b = append(b, `","type":`...)
	b = appendString(b, ev.Type)
	b = append(b, '}')
	return b, nil
}

// appendData appends the member "data" holding the canonical form of raw,
// one valid JSON value (Encode checks a json.RawMessage, and json.Marshal
// makes no other), or nothing when raw is null.
func appendData(b, raw []byte) ([]byte, error) {
	i := skipSpace(raw, 0)
	if validLiteral(raw, i, "null") > 0 && skipSpace(raw, i+len("null")) == len(raw) {
		return b, nil
	}
	if out, ok := appendCanonical(append(b, `,"data":`...), raw); ok {
		return out, nil
	}
	// A value nested deeper than the reading in place goes, encoding/json
	// decodes, and refuses with its own error.
	var data any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil {
		return b, err
	}
	b = append(b, `,"data":`...)
	return appendValue(b, data), nil
}

// appendValue appends the canonical form of a value decoded by
// encoding/json with UseNumber.
func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, v)
	case json.Number:
		return append(b, v...)
	case string:
		return appendString(b, v)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, e)
		}
		return append(b, ']')
	case map[string]any:
		b = append(b, '{')
		for i, k := range slices.Sorted(maps.Keys(v)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendValue(b, v[k])
		}
		return append(b, '}')
	}
	// encoding/json decodes into no other types.
	panic(fmt.Sprintf("auditlog: unexpected %T in decoded JSON", v))
}

// appendString appends s as a JSON string. It escapes what JSON requires,
// using the short forms where they exist, and also <, >, &, U+2028 and
// U+2029: encoding/json escapes those five whenever it writes a
// json.RawMessage, so a record carried inside an evidence export keeps its
// exact bytes, and its hash, through json.Marshal.
func appendString[S string | []byte](b []byte, s S) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		// At most four bytes make a rune: converting them costs no
		// allocation whether s is a string or a slice.
		r, size := utf8.DecodeRune([]byte(s[i:min(i+utf8.UTFMax, len(s))]))
		switch {
		case r == utf8.RuneError && size == 1:
			// Callers validate their strings; this keeps the output valid
			// JSON if one ever slips through.
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// Decode parses a record into an andon.Entry. Data keeps the raw JSON of
// the record's "data" member, which is canonical for records made by
// Encode, and is nil when the record has none.
//
// Decode accepts any JSON object with the record's members, in any order
// and with any whitespace: the Merkle tree, not the parser, vouches for the
// bytes. It rejects unknown and repeated members, so that every record has
// one meaning only.
func Decode(record []byte) (*andon.Entry, error) {
	f, err := parseRecord(record)
	if err != nil {
		return nil, err
	}
	e := &andon.Entry{Index: f.index, Time: f.time}
	if e.Type, err = unquote(f.typ); err != nil {
		return nil, err
	}
	if e.Actor, err = unquote(f.actor); err != nil {
		return nil, err
	}
	if f.subject != nil {
		if e.Subject, err = unquote(f.subject); err != nil {
			return nil, err
		}
	}
	if f.data != nil {
		e.Data = bytes.Clone(f.data)
	}
	return e, nil
}

// recordFields are the members of a parsed record. The byte slices point
// into the record: strings as JSON tokens with their quotes, data as the
// raw value.
type recordFields struct {
	index               int64
	time                time.Time
	typ, actor, subject []byte
	data                []byte
}

// The members of a record, as bits of a set.
const (
	hasActor = 1 << iota
	hasData
	hasIndex
	hasSubject
	hasTime
	hasType

	required = hasActor | hasIndex | hasTime | hasType
)

// parseRecord checks a record and returns its members. It does not
// allocate for a well-formed record, because Verify runs it on every
// record of the log.
func parseRecord(b []byte) (recordFields, error) {
	var f recordFields
	// validJSON, like json.Valid, does not check UTF-8, which JSON text
	// must be.
	if !utf8.Valid(b) || !validJSON(b) {
		return f, invalidf("not valid JSON")
	}
	// From here on b is known to be valid JSON, so the scanning helpers
	// need not handle malformed input.
	i := skipSpace(b, 0)
	if b[i] != '{' {
		return f, invalidf("not a JSON object")
	}
	i = skipSpace(b, i+1)
	var seen int
	for b[i] != '}' {
		end := stringEnd(b, i)
		key := b[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			// Escaped member names are legal JSON though Encode never
			// writes them; unescaping them is the slow path.
			s, err := unquote(b[i:end])
			if err != nil {
				return f, err
			}
			key = []byte(s)
		}
		i = skipSpace(b, end)
		i = skipSpace(b, i+1) // past the colon
		end = valueEnd(b, i)
		val := b[i:end]
		i = skipSpace(b, end)
		if b[i] == ',' {
			i = skipSpace(b, i+1)
		}

		var bit int
		switch string(key) {
		case "actor":
			bit = hasActor
			f.actor = val
		case "data":
			bit = hasData
			if string(val) != "null" {
				f.data = val
			}
		case "index":
			bit = hasIndex
			n, ok := parseIndex(val)
			if !ok {
				return f, invalidf("index %s is not a non-negative integer", val)
			}
			f.index = n
		case "subject":
			bit = hasSubject
			f.subject = val
		case "time":
			bit = hasTime
			if val[0] != '"' {
				return f, invalidf("time is not a string")
			}
			t, err := parseTime(val)
			if err != nil {
				return f, err
			}
			f.time = t
		case "type":
			bit = hasType
			f.typ = val
		default:
			return f, invalidf("unknown member %s", strconv.Quote(string(key)))
		}
		if seen&bit != 0 {
			return f, invalidf("repeated member %s", strconv.Quote(string(key)))
		}
		seen |= bit
		if bit == hasActor || bit == hasSubject || bit == hasType {
			if val[0] != '"' {
				return f, invalidf("%s is not a string", key)
			}
		}
	}
	if seen&required != required {
		for _, m := range []struct {
			bit  int
			name string
		}{{hasActor, "actor"}, {hasIndex, "index"}, {hasTime, "time"}, {hasType, "type"}} {
			if seen&m.bit == 0 {
				return f, invalidf("no %s", m.name)
			}
		}
	}
	if len(f.typ) == 2 {
		return f, invalidf("empty type")
	}
	return f, nil
}

// parseIndex parses a JSON number that must be a non-negative int64.
func parseIndex(b []byte) (int64, bool) {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, len(b) > 0
}

// parseTime parses a JSON string holding an RFC 3339 instant and returns
// it in UTC. Escapes are refused, as time.Time's own UnmarshalJSON refuses
// them, so that no JSON reader takes the record for another instant.
func parseTime(tok []byte) (time.Time, error) {
	var t time.Time
	if err := t.UnmarshalText(tok[1 : len(tok)-1]); err != nil {
		return time.Time{}, invalidf("time %s is not RFC 3339", tok)
	}
	t = t.UTC()
	// Encode writes only these years, and only in UTC.
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}, invalidf("time %s is out of range in UTC", tok)
	}
	return t, nil
}

// unquote returns the value of a JSON string token.
func unquote(tok []byte) (string, error) {
	if len(tok) < 2 || tok[0] != '"' {
		return "", invalidf("%s is not a string", tok)
	}
	if bytes.IndexByte(tok, '\\') < 0 {
		return string(tok[1 : len(tok)-1]), nil
	}
	var s string
	if err := json.Unmarshal(tok, &s); err != nil {
		return "", invalidf("bad string %s", tok)
	}
	return s, nil
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the JSON string that starts at i.
func stringEnd(b []byte, i int) int {
	for i++; b[i] != '"'; i++ {
		if b[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// valueEnd returns the index just past the JSON value that starts at i.
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	default:
		// A number or a literal: it ends where a delimiter begins.
		for ; i < len(b); i++ {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
		}
		return i
	}
}

// recordErrorPrefix begins the message of every error about a record.
const recordErrorPrefix = "audit record: "

// invalidf returns an EINVALID error about a record.
func invalidf(format string, args ...any) error {
	return andon.Errorf(andon.EINVALID, recordErrorPrefix+format, args...)
}
