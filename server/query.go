package server

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/andon-governance/andon"
)

// query holds the validated query parameters of a request. Its getters
// return EINVALID errors that name the parameter, so that a client learns
// which of its parameters was wrong.
type query struct {
	values url.Values
}

// parseQuery parses the query of r and rejects parameters not in known and
// parameters given more than once: a misspelt filter would otherwise be
// ignored silently and widen the answer.
func parseQuery(r *http.Request, known ...string) (query, error) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return query{}, andon.Errorf(andon.EINVALID, "query: %v", err)
	}
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if !slices.Contains(known, k) {
			if len(known) == 0 {
				return query{}, andon.Errorf(andon.EINVALID, "query parameter %q is not known: this route takes none", k)
			}
			return query{}, andon.Errorf(andon.EINVALID, "query parameter %q is not known: want %s", k, strings.Join(known, ", "))
		}
		if n := len(values[k]); n > 1 {
			return query{}, andon.Errorf(andon.EINVALID, "query parameter %s: given %d times; want it once", k, n)
		}
	}
	return query{values: values}, nil
}

// string returns the parameter name, or "" when it is absent. Given
// empty (image=), it is an error, as an empty number or time is: a filter
// left empty would filter nothing and widen the answer to everything,
// such as every change of an environment where a script whose image
// variable was unset meant the changes of one image.
func (q query) string(name string) (string, error) {
	v := q.values.Get(name)
	if v == "" && q.values.Has(name) {
		return "", andon.Errorf(andon.EINVALID, "query parameter %s: given empty; give a value, or leave the parameter out", name)
	}
	return v, nil
}

// textParam names a parameter that strings reads into *to.
type textParam struct {
	name string
	to   *string
}

// strings reads the parameters params names, in order, as string does,
// and returns the error of the first that is given empty.
func (q query) strings(params ...textParam) error {
	for _, p := range params {
		v, err := q.string(p.name)
		if err != nil {
			return err
		}
		*p.to = v
	}
	return nil
}

// required returns the parameter name, which must be given and not empty.
func (q query) required(name string) (string, error) {
	v := q.values.Get(name)
	if v == "" {
		return "", andon.Errorf(andon.EINVALID, "query parameter %s: required", name)
	}
	return v, nil
}

// int returns the parameter name as an integer in [lo, hi], or def when it
// is absent. Given empty (limit=), it is not a number: a client that
// meant one would otherwise get the default silently.
func (q query) int(name string, def, lo, hi int64) (int64, error) {
	if !q.values.Has(name) {
		return def, nil
	}
	v := q.values.Get(name)
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		// A whole number all the same, beyond what int64 holds.
		return 0, andon.Errorf(andon.EINVALID, "query parameter %s: %s is not between %d and %d", name, v, lo, hi)
	case err != nil:
		return 0, andon.Errorf(andon.EINVALID, "query parameter %s: %q is not a whole number", name, v)
	case n < lo || n > hi:
		return 0, andon.Errorf(andon.EINVALID, "query parameter %s: %d is not between %d and %d", name, n, lo, hi)
	}
	return n, nil
}

// time returns the parameter name as an RFC 3339 instant, or def when it
// is absent; given empty, it is not a time, as int's are not numbers.
func (q query) time(name string, def time.Time) (time.Time, error) {
	if !q.values.Has(name) {
		return def, nil
	}
	v := q.values.Get(name)
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		hint := ""
		if h := andon.TimeHint(v); h != "" {
			hint = "; " + h
		}
		if strings.Contains(v, " ") {
			hint = "; a + in a URL's query reads as a space: write it %2B"
		}
		return time.Time{}, andon.Errorf(andon.EINVALID, "query parameter %s: %q is not an RFC 3339 time (such as 2026-01-30T14:00:00Z)%s", name, v, hint)
	}
	if err := andon.CheckTime("query parameter "+name, t); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// bool returns the parameter name, true or false, or false when it is
// absent. Nothing else is taken, not even 1 or yes: a flag misread as
// false would widen the answer silently.
func (q query) bool(name string) (bool, error) {
	if !q.values.Has(name) {
		return false, nil
	}
	switch v := q.values.Get(name); v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	default:
		return false, andon.Errorf(andon.EINVALID, "query parameter %s: %q is neither true nor false", name, v)
	}
}

// duration returns the parameter name, which must be given, as a positive
// Go duration such as 2h or 90m.
func (q query) duration(name string) (time.Duration, error) {
	v, err := q.required(name)
	if err != nil {
		return 0, err
	}
	d, err := andon.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, andon.Errorf(andon.EINVALID, "query parameter %s: %q is not a positive duration (such as 2h, 90m or 1d)", name, v)
	}
	return d, nil
}

// oneOf returns the parameter name, which must be one of valid when given,
// or "" when it is absent.
func oneOf[T ~string](q query, name string, valid []T) (T, error) {
	s, err := q.string(name)
	if v := T(s); err != nil || v == "" || slices.Contains(valid, v) {
		return v, err
	}
	return "", andon.Errorf(andon.EINVALID, "query parameter %s: %q is not one of %s", name, s, joinValues(valid))
}

// joinValues lists values for an error message.
func joinValues[T ~string](values []T) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
