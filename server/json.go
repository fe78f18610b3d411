package server

import (
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
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
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
