package server

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

// FuzzQuery parses arbitrary query strings as the routes do and reads
// each parameter with every getter. Nothing may panic; every refusal is
// EINVALID and names the parameter it is about (or the query, when it
// does not parse); a query accepted holds each parameter once, and only
// known ones; and a value a getter returns keeps the getter's promise: a
// number within its bounds, a time andon.CheckTime accepts, a positive
// duration, a string given non-empty, one of the valid values.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		"", "limit=10", "limit=", "limit=1&limit=2", "since=2026-01-30T14:00:00Z", "since=2026-01-30T14:00:00 01:00",
		"for=2h", "for=1d", "for=-1h", "state=open", "image=x&limit=9223372036854775808", "a%zz=1", "nope=1", "since=0000-01-01T00:00:00Z",
	} {
		f.Add(s)
	}
	known := []string{"limit", "since", "for", "state", "image"}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = raw
		q, err := parseQuery(r, known...)
		if err != nil {
			if andon.ErrorCode(err) != andon.EINVALID || !strings.HasPrefix(andon.ErrorMessage(err), "query") {
				t.Fatalf("parseQuery(%q): %v (code %s), want EINVALID about the query", raw, err, andon.ErrorCode(err))
			}
			return
		}
		for k, vs := range q.values {
			if len(vs) != 1 || !slices.Contains(known, k) {
				t.Fatalf("parseQuery(%q) accepted %s=%q", raw, k, vs)
			}
		}
		names := func(err error, name string) {
			t.Helper()
			if andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), "query parameter "+name) {
				t.Fatalf("%q: %v (code %s), want EINVALID naming query parameter %s", raw, err, andon.ErrorCode(err), name)
			}
		}
		if n, err := q.int("limit", 50, 1, 500); err != nil {
			names(err, "limit")
		} else if n < 1 || n > 500 {
			t.Fatalf("%q: limit %d is not between 1 and 500", raw, n)
		}
		def := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if tm, err := q.time("since", def); err != nil {
			names(err, "since")
		} else if err := andon.CheckTime("since", tm); err != nil {
			t.Fatalf("%q: since %v: %v", raw, tm, err)
		}
		if d, err := q.duration("for"); err != nil {
			names(err, "for")
		} else if d <= 0 {
			t.Fatalf("%q: duration %v is not positive", raw, d)
		}
		valid := []string{"open", "closed"}
		if s, err := oneOf(q, "state", valid); err != nil {
			names(err, "state")
		} else if s != "" && s != "open" && s != "closed" {
			t.Fatalf("%q: state %q is not one of %q", raw, s, valid)
		}
		if s, err := q.string("image"); err != nil {
			names(err, "image")
		} else if s == "" && q.values.Has("image") {
			t.Fatalf("%q: image given, read as empty", raw)
		}
	})
}
