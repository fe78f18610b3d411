package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

// TestUnknownField checks the path unknownField gives against the member
// encoding/json itself refuses, over the shapes of Go types it treats
// apart: promoted and tagged embedded structs, "-", maps, lists,
// pointers and types that decode themselves.
func TestUnknownField(t *testing.T) {
	type Inner struct {
		Depth int `json:"depth"`
	}
	type Tagged struct {
		Size int `json:"size"`
	}
	type Shadowed struct {
		Spec Inner `json:"spec"`
	}
	type body struct {
		Inner                    // promoted: depth is a member of body
		Tagged   `json:"tagged"` // not promoted: size is a member of tagged
		Shadowed                 // its spec is hidden by body's own
		Spec     json.RawMessage `json:"spec"`
		Skipped  string          `json:"-"`
		Items    []*Inner        `json:"items"`
		Labels   map[string]Inner
		Raw      json.RawMessage `json:"raw"`
		At       time.Time       `json:"at"`
		Any      any             `json:"any"`
	}
	tests := []struct {
		body, want string // want "" when the body decodes
	}{
		{`{"depth":1,"tagged":{"size":2},"items":[{"depth":1}],"labels":{"a":{"depth":1}},"raw":{"x":1},"at":"2026-01-01T00:00:00Z","any":{"x":1}}`, ""},
		{`{"size":2}`, "size"},
		{`{"tagged":{"depth":1}}`, "tagged.depth"},
		{`{"Skipped":"x"}`, "Skipped"},
		{`{"items":[{"depth":1},{"dept":2}]}`, "items[1].dept"},
		{`{"Labels":{"a":{"depth":1},"b":{"deep":1}}}`, "Labels.b.deep"},
		{`{"ITEMS":[{"DEPTH":1}],"extra":true}`, "extra"},
		{`{"spec":{"deep":1},"extra":true}`, "extra"},
	}
	for _, tt := range tests {
		dec := json.NewDecoder(strings.NewReader(tt.body))
		dec.DisallowUnknownFields()
		var v body
		err := dec.Decode(&v)
		if (err == nil) != (tt.want == "") {
			t.Fatalf("%s: encoding/json says %v", tt.body, err)
		}
		p, ok := unknownField([]byte(tt.body), reflect.TypeFor[body]())
		got := p.path
		if tt.want == "" && ok {
			t.Errorf("%s: unknownField = %q for a body that decodes", tt.body, got)
		}
		if tt.want != "" && (!ok || got != tt.want) {
			t.Errorf("%s: unknownField = %q, %v; want %q (encoding/json: %v)", tt.body, got, ok, tt.want, err)
		}
	}
}

// strictBody is a type of body for the strict reading's tests: a time,
// and members of each shape a walk follows.
type strictBody struct {
	At          time.Time              `json:"at"`
	Environment string                 `json:"environment"`
	Items       []strictInner          `json:"items"`
	Labels      map[string]strictInner `json:"labels"`
	Any         any                    `json:"any"`
}

type strictInner struct {
	Depth int `json:"depth"`
}

// TestAmbiguousMember checks what encoding/json takes and a strict reader
// refuses: a member given twice, even in another case, and a member
// named in another case than its field's.
func TestAmbiguousMember(t *testing.T) {
	tests := []struct {
		body, want string // want "" when the body is unambiguous
	}{
		{`{"environment":"prod-lyon","items":[{"depth":1}],"labels":{"a":{"depth":1},"A":{"depth":2}},"any":{"x":1,"X":2}}`, ""},
		{`{"environment":"prod-lyon","environment":"dev"}`, `field "environment" given twice`},
		{`{"environment":"prod-lyon","Environment":"dev"}`, `field "Environment" given twice`},
		{`{"Environment":"dev"}`, `unknown field "Environment" (names are case-sensitive: "environment")`},
		{`{"items":[{"depth":1},{"depth":1,"depth":2}]}`, `field "items[1].depth" given twice`},
		{`{"labels":{"a":{"depth":1},"a":{"depth":2}}}`, `field "labels.a" given twice`},
		{`{"any":{"x":1,"x":2}}`, `field "any.x" given twice`},
		{`{"items":[{"DEPTH":1}]}`, `unknown field "items[0].DEPTH" (names are case-sensitive: "depth")`},
		{`{"at":"2026-01-30T14:00:00Z","environment":"a","environment":"b"}`, `field "environment" given twice`},
		// A null is the absence of a value only where a Go value can be
		// nil; elsewhere encoding/json leaves the value as it was.
		{`{"at":null}`, `field "at" is null: give an RFC 3339 time, or leave the field out for its default`},
		{`{"environment":null}`, `field "environment" is null: give a string, or leave the field out for its default`},
		{`{"items":[{"depth":null}]}`, `field "items[0].depth" is null: give a number, or leave the field out for its default`},
		{`{"items":null,"labels":null,"any":null}`, ""},
		{`{"labels":{"a":null}}`, `field "labels.a" is null: give an object, or leave the field out for its default`},
		// A name is compared as encoding/json reads it: escapes undone,
		// invalid UTF-8 replaced.
		{`{"environment":"a","env\u0069ronment":"b"}`, `field "environment" given twice`},
		{"{\"any\":{\"\xff\":1,\"\xfe\":2}}", "field \"any.\ufffd\" given twice"},
		// White space anywhere, and strings that hold what delimits
		// JSON, are read as JSON has them.
		{" { \"items\" :\n[ { \"depth\" : 1 } ,\t{ \"depth\":1 , \"depth\" : 2 } ] } ", `field "items[1].depth" given twice`},
		{`{"any":{"a\"}":1,"a\"}":2}}`, `field "any.a\"}" given twice`},
		{`{"any":["}]\\",{"x":[],"y":{}},{"x":1,"x":2}]}`, `field "any[2].x" given twice`},
		{`{"environment":"a","items":[],"labels":{},"any":[{},[],"",0,-1.5e3,true,false,null]}`, ""},
	}
	for _, tt := range tests {
		var v strictBody
		if err := json.Unmarshal([]byte(tt.body), &v); err != nil {
			t.Fatalf("%s: encoding/json refuses it: %v", tt.body, err)
		}
		if got := ambiguousMember([]byte(tt.body), reflect.TypeFor[strictBody]()); got != tt.want {
			t.Errorf("%s: ambiguousMember = %q, want %q", tt.body, got, tt.want)
		}
	}
}

// TestWalkDeepBody: a small body nested as deep as encoding/json takes
// costs a walk little memory, and a problem below the depth it checks is
// let through rather than paid for.
func TestWalkDeepBody(t *testing.T) {
	type body struct {
		Any any `json:"any"`
	}
	deep := `{"any":` + strings.Repeat(`[`, 9000) + `{"x":1,"x":2}` + strings.Repeat(`]`, 9000) + `}`
	var v body
	if err := json.Unmarshal([]byte(deep), &v); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := ambiguousMember([]byte(deep), reflect.TypeFor[body]())
	runtime.ReadMemStats(&after)
	if got != "" {
		t.Errorf("ambiguousMember = %q, want nothing checked that deep", got)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Errorf("the walk allocated %d bytes for a body of %d", n, len(deep))
	}
	shallow := `{"any":[[{"x":1,"x":2}]]}`
	if got := ambiguousMember([]byte(shallow), reflect.TypeFor[body]()); got != `field "any[0][0].x" given twice` {
		t.Errorf("ambiguousMember = %q, want the member given twice, with its path", got)
	}
}

// BenchmarkDecode reads a gate request's body as the gate's handler does,
// strict checks included: every gate decision pays for it.
func BenchmarkDecode(b *testing.B) {
	body := []byte(`{"environment":"prod-lyon","image":"registry.example.com/odoo@sha256:` + strings.Repeat("ab", 32) + `","at":"2026-01-28T11:00:00Z"}`)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/gate", bytes.NewReader(body))
		if _, err := decode[andon.GateRequest](httptest.NewRecorder(), r); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzWalk reads bodies that encoding/json decodes with the strict walk,
// against what encoding/json's own tokenizer finds: an object with a
// member given twice is refused, and an unknown member is named by its
// path.
func FuzzWalk(f *testing.F) {
	for _, seed := range []string{
		`{"environment":"prod-lyon","items":[{"depth":1}],"labels":{"a":{"depth":1}},"any":{"x":[1,{"y":"}"}]}}`,
		`{"any":{"x":1,"x":2}}`,
		`{"environment":"a","env\u0069ronment":"b"}`,
		`{"items":[{"depth":1,"dept":2}]}`,
		`{"at":"2026-01-01T00:00:00Z","any":[[[]]]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		data := []byte(s)
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var v strictBody
		err := dec.Decode(&v)
		if quoted, ok := strings.CutPrefix(fmt.Sprint(err), "json: unknown field "); ok {
			name, _ := strconv.Unquote(quoted)
			if p, ok := unknownField(data, reflect.TypeFor[strictBody]()); !ok || (p.path != name && !strings.HasSuffix(p.path, "."+name)) {
				t.Errorf("%q: unknownField = %q, %v; encoding/json: %v", s, p.path, ok, err)
			}
		}
		if err != nil {
			return
		}
		if twice(t, data) && ambiguousMember(data, reflect.TypeFor[strictBody]()) == "" {
			t.Errorf("%q: a member given twice is let through", s)
		}
	})
}

// twice reports whether an object of the first JSON value in data, no
// deeper than a walk checks, has two members of one name, as
// encoding/json's tokenizer reads them.
func twice(t *testing.T, data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type level struct {
		object bool
		names  map[string]bool
		key    bool // the next string is a member's name
	}
	var stack []*level
	for {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && top.object && top.key {
			if top.names[s] && len(stack) <= maxWalkDepth {
				return true
			}
			top.names[s], top.key = true, false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &level{object: true, names: map[string]bool{}, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, &level{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 {
			return false
		}
		if top := stack[len(stack)-1]; top.object {
			top.key = true
		}
	}
}
