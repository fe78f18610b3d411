package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

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
	w.Header().Set("X-Content-Type-Options", "nosniff")
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
// maxBodyBytes, empty bodies, unknown fields, values of the wrong type and
// trailing data are EINVALID errors whose message names the problem.
func decode[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	var v T
	// The body is read whole, as the decoder would buffer it anyway, so
	// that an unknown field can be found again with its path.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return v, decodeError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		// The path is given only where it ends in the member the
		// decoder refused.
		if quoted, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name, _ := strconv.Unquote(quoted)
			if path, ok := unknownField(body, reflect.TypeFor[T]()); ok && (path == name || strings.HasSuffix(path, "."+name)) {
				return v, andon.Errorf(andon.EINVALID, "request body: unknown field %q", path)
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
	return v, nil
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
	}
	// encoding/json has no error type for unknown fields; its message is
	// the only way to tell them apart.
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return andon.Errorf(andon.EINVALID, "request body: unknown field %s", field)
	}
	return andon.Errorf(andon.EINVALID, "request body: %s", strings.TrimPrefix(err.Error(), "json: "))
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

// unknownField returns the path, such as facts.db or links[0].title, of
// the first member of the JSON value in data that no field of t takes.
// encoding/json names only the member itself, which in a nested object
// does not tell the client where to look.
func unknownField(data []byte, t reflect.Type) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	path, err := unknownIn(dec, t, "")
	return path, err == nil && path != ""
}

// unknownIn reads one value from dec, which decodes into t, and returns
// the path of its first unknown member below path, or "". A nil t takes
// anything: the value is read and not checked.
func unknownIn(dec *json.Decoder, t reflect.Type, path string) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	// A type that decodes itself (time.Time) takes what it is given, as
	// does an interface.
	if t != nil && (t.Kind() == reflect.Interface ||
		reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]())) {
		t = nil
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return "", err
			}
			name, _ := key.(string)
			member := joinPath(path, name)
			var ft reflect.Type
			switch {
			case t == nil:
			case t.Kind() == reflect.Map:
				ft = t.Elem()
			case t.Kind() == reflect.Struct:
				var ok bool
				if ft, ok = jsonField(t, name); !ok {
					return member, nil
				}
			}
			if p, err := unknownIn(dec, ft, member); p != "" || err != nil {
				return p, err
			}
		}
	case json.Delim('['):
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if p, err := unknownIn(dec, et, path+"["+strconv.Itoa(i)+"]"); p != "" || err != nil {
				return p, err
			}
		}
	default:
		return "", nil
	}
	_, err = dec.Token() // the closing delimiter
	return "", err
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// jsonField returns the type of the field of struct type t that
// encoding/json decodes the member name into: the field whose JSON name is
// name, or failing that equal to it without regard to case.
func jsonField(t reflect.Type, name string) (reflect.Type, bool) {
	var fold reflect.Type
	// visit looks through the fields of struct type t, and those an
	// untagged embedded struct promotes; a tagged one is a field like
	// any other, as encoding/json has it.
	var visit func(t reflect.Type) (reflect.Type, bool)
	visit = func(t reflect.Type) (reflect.Type, bool) {
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
				if got, ok := visit(ft); ok {
					return got, true
				}
				continue
			}
			if !f.IsExported() {
				continue
			}
			if key == "" {
				key = f.Name
			}
			if key == name {
				return f.Type, true
			}
			if fold == nil && strings.EqualFold(key, name) {
				fold = f.Type
			}
		}
		return nil, false
	}
	if ft, ok := visit(t); ok {
		return ft, true
	}
	return fold, fold != nil
}
