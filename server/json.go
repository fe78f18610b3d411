package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/andon-governance/andon"
)

// maxBodyBytes bounds request bodies. The largest legitimate body, a
// change request, is a few kilobytes; the limit stops a client from making
// the server buffer an unbounded document.
const maxBodyBytes = 1 << 20

// encode writes v as JSON with status. It marshals before writing so that
// a value that cannot be encoded becomes an error the caller can still
// render, not a truncated body behind a 200.
func encode(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// The length lets the request's middleware send the answer before it
	// logs the request.
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	// A write error means the client went away; there is nobody left to
	// tell.
	_, _ = w.Write(b)
	return nil
}

// decode reads the request body as one JSON value into a T. Bodies over
// maxBodyBytes, empty bodies, unknown fields (names are case-sensitive),
// fields given twice, values of the wrong type and trailing data are
// EINVALID errors whose message names the problem.
// decodeOptional is decode for a body that may be left out, as that of
// a request whose every field is optional: an empty body is the zero
// value, as {} is.
func decodeOptional[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	var v T
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return v, decodeError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return v, nil
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return decode[T](w, r)
}

func decode[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	var v T
	// The body is read whole, as the decoder would buffer it anyway, so
	// that an unknown field can be found again with its path.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return v, decodeError(err)
	}
	// encoding/json takes null for any value, and leaves it empty.
	if string(bytes.TrimSpace(body)) == "null" {
		return v, andon.Errorf(andon.EINVALID, "request body: want a JSON object, got null")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		// The path is given only where it ends in the member the
		// decoder refused.
		if quoted, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name, _ := strconv.Unquote(quoted)
			if p, ok := unknownField(body, reflect.TypeFor[T]()); ok && (p.path == name || strings.HasSuffix(p.path, "."+name)) {
				if len(p.close) > 0 {
					// A name in another case style (rollback_plan)
					// or misspelt: the API's names are camelCase.
					return v, andon.Errorf(andon.EINVALID, "request body: unknown field %q; did you mean %s?", p.path, quoteAll(p.close, " or "))
				}
				return v, andon.Errorf(andon.EINVALID, "request body: unknown field %q", p.path)
			}
		}
		// time.Time's own errors name no field.
		if isTimeError(err) {
			if p, perr := firstProblem(body, reflect.TypeFor[T](), false); perr == nil && p.kind == memberTime {
				hint := ""
				if s, err := strconv.Unquote(p.value); err == nil && andon.TimeHint(s) != "" {
					hint = "; " + andon.TimeHint(s)
				}
				return v, andon.Errorf(andon.EINVALID, "request body: field %q: %s is not an RFC 3339 time (such as \"2026-01-30T14:00:00Z\")%s", p.path, p.value, hint)
			}
		}
		return v, decodeError(err)
	}
	// A second value, or garbage after the first, is as malformed as a
	// syntax error: the client did not send what it thinks it sent.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return v, decodeError(err)
		}
		return v, andon.Errorf(andon.EINVALID, "request body: unexpected data after the JSON value at byte offset %d", dec.InputOffset())
	}
	if msg := ambiguousMember(body, reflect.TypeFor[T]()); msg != "" {
		return v, andon.Errorf(andon.EINVALID, "request body: %s", msg)
	}
	return v, nil
}

// noBody reads the body of a route that takes none: empty, or an empty
// JSON object ({}, which many clients send with every POST). A field is
// refused as decode refuses an unknown one: a client that sends one (the
// environments a feed token should open) expects it to be read, and must
// not get an answer that ignored it.
func noBody(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return decodeError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	_, err = decode[struct{}](w, r)
	return err
}

// decodeError turns an error of encoding/json into a message for the
// client that says what was wrong and where.
func decodeError(err error) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		maxErr    *http.MaxBytesError
		timeErr   *time.ParseError
	)
	switch {
	case errors.Is(err, io.EOF):
		return andon.Errorf(andon.EINVALID, "request body: empty; want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return andon.Errorf(andon.EINVALID, "request body: the JSON value ends too early")
	case errors.As(err, &maxErr):
		return andon.Errorf(andon.EINVALID, "request body: larger than the limit of %d bytes (1 MiB)", maxErr.Limit)
	case errors.As(err, &syntaxErr):
		return andon.Errorf(andon.EINVALID, "request body: malformed JSON at byte offset %d: %s", syntaxErr.Offset, syntaxErr)
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return andon.Errorf(andon.EINVALID, "request body: want a JSON object, got %s", typeErr.Value)
		}
		return andon.Errorf(andon.EINVALID, "request body: field %q: want %s, got JSON %s at byte offset %d",
			typeErr.Field, jsonKind(typeErr.Type), typeErr.Value, typeErr.Offset)
	case errors.As(err, &timeErr):
		return andon.Errorf(andon.EINVALID, "request body: time %q is not RFC 3339 (such as 2026-01-30T14:00:00Z)", timeErr.Value)
	case isTimeError(err):
		// A number or an object where a time goes: time.Time says so in
		// its own words.
		return andon.Errorf(andon.EINVALID, "request body: a time is not a string; want RFC 3339 such as \"2026-01-30T14:00:00Z\"")
	}
	// encoding/json has no error type for unknown fields; its message is
	// the only way to tell them apart.
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return andon.Errorf(andon.EINVALID, "request body: unknown field %s", field)
	}
	return andon.Errorf(andon.EINVALID, "request body: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// isTimeError reports whether err is time.Time's refusal of a JSON value.
func isTimeError(err error) bool {
	var timeErr *time.ParseError
	return errors.As(err, &timeErr) || strings.Contains(err.Error(), "Time.UnmarshalJSON")
}

// jsonKind names the JSON type that decodes into a Go type.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.String()
}

// unknownField returns the first member of the JSON value in data that
// no field of t takes, with its path, such as facts.db or links[0].title,
// and the names it is likely a misspelling of. encoding/json names only
// the member itself, which in a nested object does not tell the client
// where to look.
func unknownField(data []byte, t reflect.Type) (memberProblem, bool) {
	p, err := firstProblem(data, t, false)
	return p, err == nil && p.kind == memberUnknown
}

// ambiguousMember returns what encoding/json lets through but a strict
// reader should not: a member given twice in one object, of which
// encoding/json keeps the last, and one whose name matches a field only
// without regard to case. Either would let a body say one thing to a
// proxy or an auditor reading it and another to andon ("environment":
// "prod-lyon" then "environment": "dev"). It returns "" for none.
func ambiguousMember(data []byte, t reflect.Type) string {
	p, err := firstProblem(data, t, true)
	switch {
	case err != nil:
		return ""
	case p.kind == memberTwice:
		return fmt.Sprintf("field %q given twice", p.path)
	case p.kind == memberCase:
		return fmt.Sprintf("unknown field %q (names are case-sensitive: %q)", p.path, p.want)
	case p.kind == memberNull:
		return fmt.Sprintf("field %q is null: give %s, or leave the field out for its default", p.path, p.want)
	}
	return ""
}

// A memberProblem is the first member of a JSON value that a strict
// reader refuses: its path and what is wrong with it.
type memberProblem struct {
	path string
	kind problemKind
	// want is the name of the field, for memberCase, and what the member
	// takes, for memberNull; value is the JSON value, for memberTime.
	want, value string
	// close are the names of the fields the member's name is most likely
	// a misspelling of (andon.Closest), for memberUnknown.
	close []string
}

type problemKind int

const (
	memberUnknown problemKind = iota + 1
	memberTwice
	memberCase
	memberTime
	// memberNull is a null where a value that cannot be null goes (a
	// boolean, a string, a number, a time, an object): encoding/json
	// leaves such a value as it was, so that "dryRun": null would ask for
	// a real gate decision. A strict reading refuses it rather than guess.
	memberNull
)

// maxWalkDepth bounds how deep a walk checks a body: deeper values are
// read, not checked. encoding/json takes 10,000 levels, whose paths would
// cost a walk memory that grows with the square of the depth.
const maxWalkDepth = 32

// firstProblem reads the JSON value in data, which decodes into t, and
// returns its first member problem, or none. Unless strict, only unknown
// members and times that do not decode are problems, as for
// encoding/json. Every caller has had data through encoding/json's
// decoder, which reads the whole value before it fills a Go value, so
// data starts with a well-formed JSON value; what follows it is not read.
func firstProblem(data []byte, t reflect.Type, strict bool) (memberProblem, error) {
	w := &walk{data: data, strict: strict}
	return w.value(t)
}

// walk reads a JSON value for firstProblem, byte by byte: every gate
// request's body is walked, and a tokenizer's allocations would cost the
// gate more than the rest of its decoding. path holds the members and
// indexes down to the value being read, joined only for a problem.
type walk struct {
	data   []byte
	pos    int
	strict bool
	path   []string
}

// errWalk is what a walk returns for data that is not the well-formed
// JSON it expects; no caller gets that far with such data.
var errWalk = errors.New("malformed JSON")

func (w *walk) problem(kind problemKind) memberProblem {
	var b strings.Builder
	for _, p := range w.path {
		if b.Len() > 0 && !strings.HasPrefix(p, "[") {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return memberProblem{path: b.String(), kind: kind}
}

// peek skips white space and returns the byte after it, or 0 at the end.
func (w *walk) peek() byte {
	for w.pos < len(w.data) {
		switch c := w.data[w.pos]; c {
		case ' ', '\t', '\n', '\r':
			w.pos++
		default:
			return c
		}
	}
	return 0
}

// expect consumes the byte c after white space.
func (w *walk) expect(c byte) error {
	if w.peek() != c {
		return errWalk
	}
	w.pos++
	return nil
}

// rawString consumes the string that starts at the cursor and returns it
// as it is written, quotes included.
func (w *walk) rawString() ([]byte, error) {
	start := w.pos
	for i := start + 1; i < len(w.data); i++ {
		switch w.data[i] {
		case '\\':
			i++
		case '"':
			w.pos = i + 1
			return w.data[start:w.pos], nil
		}
	}
	return nil, errWalk
}

// str consumes a string and returns its value, read as encoding/json
// reads it (escapes undone, invalid UTF-8 replaced), so that two names
// that decode alike compare equal.
func (w *walk) str() (string, error) {
	raw, err := w.rawString()
	if err != nil {
		return "", err
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), nil
	}
	var s string
	err = json.Unmarshal(raw, &s)
	return s, err
}

// scalar consumes a number, true, false or null and returns it as written.
func (w *walk) scalar() ([]byte, error) {
	start := w.pos
	for w.pos < len(w.data) {
		switch w.data[w.pos] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return w.data[start:w.pos], nil
		}
		w.pos++
	}
	if w.pos == start {
		return nil, errWalk
	}
	return w.data[start:w.pos], nil
}

// value reads one value, which decodes into t, and returns the first
// problem of its members. A nil t takes anything: the value is read, and
// only checked for members given twice.
func (w *walk) value(t reflect.Type) (memberProblem, error) {
	c := w.peek()
	if w.strict && c == 'n' && t != nil {
		if want := notNull(t); want != "" {
			p := w.problem(memberNull)
			p.want = want
			return p, nil
		}
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	// A time that does not decode is named where encoding/json does
	// not; a strict reading follows a body that decoded, whose times did.
	if !w.strict && t == reflect.TypeFor[time.Time]() {
		if p, err := w.timeProblem(c); p.kind != 0 || err != nil {
			return p, err
		}
		c = w.peek()
	}
	// A type that decodes itself (time.Time) takes what it is given, as
	// does an interface.
	if t != nil && (t.Kind() == reflect.Interface ||
		reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]())) {
		t = nil
	}
	if (c == '{' || c == '[') && len(w.path) >= maxWalkDepth {
		return memberProblem{}, w.skip()
	}
	switch c {
	case '{':
		return w.object(t)
	case '[':
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		w.pos++
		if w.peek() == ']' {
			w.pos++
			return memberProblem{}, nil
		}
		for i := 0; ; i++ {
			w.path = append(w.path, "["+strconv.Itoa(i)+"]")
			if p, err := w.value(et); p.kind != 0 || err != nil {
				return p, err
			}
			w.path = w.path[:len(w.path)-1]
			switch w.peek() {
			case ',':
				w.pos++
			case ']':
				w.pos++
				return memberProblem{}, nil
			default:
				return memberProblem{}, errWalk
			}
		}
	case '"':
		_, err := w.rawString()
		return memberProblem{}, err
	case 0:
		return memberProblem{}, errWalk
	}
	_, err := w.scalar()
	return memberProblem{}, err
}

// notNull says what a value of type t takes when t cannot be null, and
// "" when it can (a pointer, a slice, a map, an interface).
func notNull(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Time]():
		return "an RFC 3339 time"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64:
		return "a number"
	case t.Kind() == reflect.Struct:
		return "an object"
	}
	return ""
}

// timeProblem names the value at the cursor, which a time.Time is to
// take, when it is not an RFC 3339 time; the cursor stays where it is.
// null is no problem: it leaves the time empty.
func (w *walk) timeProblem(c byte) (memberProblem, error) {
	var value string
	switch c {
	case '{':
		value = "a JSON object"
	case '[':
		value = "a JSON array"
	case '"':
		start := w.pos
		s, err := w.str()
		w.pos = start
		if err != nil || isRFC3339(s) {
			return memberProblem{}, err
		}
		b, _ := json.Marshal(s)
		value = string(b)
	default:
		start := w.pos
		raw, err := w.scalar()
		w.pos = start
		if err != nil || string(raw) == "null" {
			return memberProblem{}, err
		}
		value = string(raw)
	}
	p := w.problem(memberTime)
	p.value = value
	return p, nil
}

// object reads the object at the cursor, which decodes into t.
func (w *walk) object(t reflect.Type) (memberProblem, error) {
	w.pos++
	if w.peek() == '}' {
		w.pos++
		return memberProblem{}, nil
	}
	// encoding/json matches a struct's fields without regard to case, so
	// two members that differ only in case fill one field.
	var fields *structFields
	if t != nil && t.Kind() == reflect.Struct {
		fields = fieldsOf(t)
	}
	var seen memberSet
	for {
		if w.peek() != '"' {
			return memberProblem{}, errWalk
		}
		name, err := w.str()
		if err != nil {
			return memberProblem{}, err
		}
		if err := w.expect(':'); err != nil {
			return memberProblem{}, err
		}
		w.path = append(w.path, name)
		k := name
		if fields != nil {
			k = strings.ToLower(name)
		}
		if w.strict && seen.has(k) {
			return w.problem(memberTwice), nil
		}
		seen.add(k)
		var ft reflect.Type
		switch {
		case t == nil:
		case t.Kind() == reflect.Map:
			ft = t.Elem()
		case fields != nil:
			var want string
			var ok bool
			if ft, want, ok = fields.lookup(name); !ok {
				p := w.problem(memberUnknown)
				p.close = andon.Closest(strings.NewReplacer("_", "", "-", "").Replace(name), fields.names())
				return p, nil
			} else if w.strict && want != name {
				p := w.problem(memberCase)
				p.want = want
				return p, nil
			}
		}
		if p, err := w.value(ft); p.kind != 0 || err != nil {
			return p, err
		}
		w.path = w.path[:len(w.path)-1]
		switch w.peek() {
		case ',':
			w.pos++
		case '}':
			w.pos++
			return memberProblem{}, nil
		default:
			return memberProblem{}, errWalk
		}
	}
}

// skip reads the object or array at the cursor, unchecked.
func (w *walk) skip() error {
	for depth := 0; w.pos < len(w.data); {
		switch w.data[w.pos] {
		case '"':
			if _, err := w.rawString(); err != nil {
				return err
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		w.pos++
		if depth == 0 {
			return nil
		}
	}
	return errWalk
}

// memberSet holds the names of an object's members read so far: a list,
// as objects are small, and a map once one is not.
type memberSet struct {
	list []string
	m    map[string]bool
}

func (s *memberSet) has(name string) bool {
	if s.m != nil {
		return s.m[name]
	}
	return slices.Contains(s.list, name)
}

func (s *memberSet) add(name string) {
	switch {
	case s.m != nil:
		s.m[name] = true
	case len(s.list) < 16:
		s.list = append(s.list, name)
	default:
		s.m = make(map[string]bool, 2*len(s.list))
		for _, n := range s.list {
			s.m[n] = true
		}
		s.m[name] = true
	}
}

// isRFC3339 reports whether s is a time time.Time takes from JSON.
func isRFC3339(s string) bool {
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}

// structFields are the fields encoding/json decodes members of a struct
// type into, by JSON name, as fieldsOf reads them once per type.
type structFields struct {
	exact map[string]reflect.Type
	// order lists them as encoding/json looks through them for a name
	// that matches only without regard to case.
	order []namedField
}

// names returns the JSON names of the fields, in order.
func (f *structFields) names() []string {
	names := make([]string, len(f.order))
	for i, nf := range f.order {
		names[i] = nf.name
	}
	return names
}

// quoteAll quotes each of names and joins them with sep.
func quoteAll(names []string, sep string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return strings.Join(quoted, sep)
}

type namedField struct {
	name string
	typ  reflect.Type
}

// fields caches fieldsOf's answers: a body's members are looked up for
// every request, against the few types of the API.
var fields sync.Map // reflect.Type → *structFields

// fieldsOf returns the fields of struct type t: its own, and those an
// untagged embedded struct promotes; a tagged one is a field like any
// other, as encoding/json has it. A field of a name that a promoted one
// also has hides it, as in encoding/json (the gate's body shadows the
// members of andon.GateRequest that it refuses).
func fieldsOf(t reflect.Type) *structFields {
	if sf, ok := fields.Load(t); ok {
		return sf.(*structFields)
	}
	sf := &structFields{exact: map[string]reflect.Type{}}
	depths := map[string]int{}
	var visit func(t reflect.Type, depth int)
	visit = func(t reflect.Type, depth int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			key, _, _ := strings.Cut(tag, ",")
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if f.Anonymous && key == "" && ft.Kind() == reflect.Struct {
				visit(ft, depth+1)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if key == "" {
				key = f.Name
			}
			if d, ok := depths[key]; ok && d <= depth {
				continue
			} else if ok {
				sf.order = slices.DeleteFunc(sf.order, func(nf namedField) bool { return nf.name == key })
			}
			depths[key] = depth
			sf.exact[key] = f.Type
			sf.order = append(sf.order, namedField{key, f.Type})
		}
	}
	visit(t, 0)
	got, _ := fields.LoadOrStore(t, sf)
	return got.(*structFields)
}

// lookup returns the type and the JSON name of the field that
// encoding/json decodes the member name into: the field whose JSON name
// is name, or failing that the first equal to it without regard to case.
func (sf *structFields) lookup(name string) (reflect.Type, string, bool) {
	if ft, ok := sf.exact[name]; ok {
		return ft, name, true
	}
	for _, f := range sf.order {
		if strings.EqualFold(f.name, name) {
			return f.typ, f.name, true
		}
	}
	return nil, "", false
}
