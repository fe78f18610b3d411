package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/server"
	"github.com/google/go-cmp/cmp"
)

// TestOpenAPIMatchesRoutes fails when a route is served but not
// described, described but not served, described with the wrong need
// for a token, or described without the answers that the middleware
// gives before its handler runs: 401 and 503 to a token that is missing,
// bad or cannot be checked, and 403 to a read-only token on a route that
// is not open to one.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "GET", "/api/v1/openapi.json", "", "")
	var doc struct {
		OpenAPI  string                `json:"openapi"`
		Security []map[string][]string `json:"security"`
		Paths    map[string]map[string]struct {
			// Security is absent for the document's default (a bearer
			// token), [] for a public route, and a bearer or a feed
			// token for the feed.
			Security  *[]map[string][]string `json:"security"`
			Responses map[string]any         `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if want := []map[string][]string{{"bearer": {}}}; !cmp.Equal(doc.Security, want) {
		t.Errorf("security = %v, want %v", doc.Security, want)
	}

	var described []server.Route
	responses := map[string]map[string]any{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			access := "authenticated"
			switch {
			case op.Security == nil:
			case len(*op.Security) == 0:
				access = "public"
			case cmp.Equal(*op.Security, []map[string][]string{{"bearer": {}}, {"feedToken": {}}}):
				access = "feed"
			default:
				access = fmt.Sprintf("unexpected security %v", *op.Security)
			}
			pattern := strings.ToUpper(method) + " " + path
			described = append(described, server.Route{Pattern: pattern, Access: access})
			responses[pattern] = op.Responses
		}
	}
	served := server.Routes()
	byPattern := func(a, b server.Route) int { return strings.Compare(a.Pattern, b.Pattern) }
	slices.SortFunc(described, byPattern)
	slices.SortFunc(served, byPattern)
	if diff := cmp.Diff(served, described); diff != "" {
		t.Errorf("routes.go and openapi.json disagree (-served +described):\n%s", diff)
	}

	for _, rt := range served {
		answers, ok := responses[rt.Pattern]
		if rt.Access == "public" || !ok { // an undescribed route is reported above
			continue
		}
		want := []string{"401", "503"}
		if !server.OpenToReadOnly(rt.Pattern) {
			want = append(want, "403")
		}
		for _, status := range want {
			if _, ok := answers[status]; !ok {
				t.Errorf("openapi.json: %s: no %s answer, which the route gives before its handler runs", rt.Pattern, status)
			}
		}
	}
}

// TestOpenAPISchemasMatchTypes fails when a schema of openapi.json and the
// Go type whose JSON encoding it describes disagree on the names of the
// fields, at any depth: a field the server sends or reads that the
// document does not describe, or one it describes that no type has. A
// field that only some answers carry (the facts read from addons, an
// environment's registries) is caught here even when no test answer
// holds it.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	f := newFixture(t)
	var doc map[string]any
	if err := json.Unmarshal(f.do(t, "GET", "/api/v1/openapi.json", "", "").body, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	tests := map[string]any{
		"/components/schemas/Approval":                                              andon.Approval{},
		"/components/schemas/BusinessProcess":                                       andon.BusinessProcess{},
		"/components/schemas/Catalog":                                               andon.Catalog{},
		"/components/schemas/Change":                                                andon.Change{},
		"/components/schemas/ChangeRequest":                                         andon.ChangeRequest{},
		"/components/schemas/Checkpoint":                                            andon.Checkpoint{},
		"/components/schemas/Entry":                                                 andon.Entry{},
		"/components/schemas/Environment":                                           andon.Environment{},
		"/components/schemas/Error":                                                 andon.Error{},
		"/components/schemas/Facts":                                                 andon.Facts{},
		"/components/schemas/FeedToken":                                             andon.FeedToken{},
		"/components/schemas/Finding":                                               andon.Finding{},
		"/components/schemas/Incident":                                              andon.Incident{},
		"/components/schemas/Backup":                                                andon.Backup{},
		"/components/schemas/DORAReport":                                            andon.DORAReport{},
		"/components/schemas/Review":                                                andon.Review{},
		"/components/schemas/BackupRequest":                                         andon.BackupRequest{},
		"/components/schemas/RestoreTest":                                           andon.RestoreTest{},
		"/components/schemas/RecoveryStatus":                                        andon.RecoveryStatus{},
		"/components/schemas/RestoreTestRequest":                                    andon.RestoreTestRequest{},
		"/components/schemas/IncidentRequest":                                       andon.IncidentRequest{},
		"/components/schemas/AlertNotification":                                     andon.AlertNotification{},
		"/components/schemas/AlertsReceived":                                        andon.AlertsReceived{},
		"/components/schemas/GateRequest":                                           andon.GateRequest{},
		"/components/schemas/GateResult":                                            andon.GateResult{},
		"/components/schemas/Link":                                                  andon.Link{},
		"/components/schemas/Occurrence":                                            andon.Occurrence{},
		"/components/schemas/Plant":                                                 andon.Plant{},
		"/components/schemas/Proof":                                                 andon.Proof{},
		"/components/schemas/Evidence":                                              andon.Evidence{},
		"/components/schemas/EvidenceEntry":                                         andon.EvidenceEntry{},
		"/components/schemas/AuditFilter":                                           andon.AuditFilter{},
		"/components/schemas/Reason":                                                andon.Reason{},
		"/components/schemas/Requirement":                                           andon.Requirement{},
		"/components/schemas/RiskDecision":                                          andon.RiskDecision{},
		"/components/schemas/Schedule":                                              andon.Schedule{},
		"/components/schemas/Selector":                                              andon.Selector{},
		"/components/schemas/Span":                                                  andon.Span{},
		"/components/schemas/StartCheck":                                            andon.StartCheck{},
		"/components/schemas/Team":                                                  andon.Team{},
		"/components/schemas/User":                                                  andon.User{},
		"/components/schemas/Waiver":                                                andon.Waiver{},
		"/components/schemas/Window":                                                andon.Window{},
		"/paths/~1api~1v1~1drift/post/requestBody/content/application~1json/schema": andon.DriftReport{},
	}
	for name, v := range server.RequestBodies {
		tests["/components/schemas/"+name] = v
	}
	c := schemaComparison{doc: doc, seen: map[string]bool{}, unexposed: map[string]bool{
		// Only the admission webhook sets it, in the same process; the
		// gate API refuses it.
		"/components/schemas/GateRequest admission": true,
		// Only a change's start sets it, in the same process; the gate
		// API refuses it.
		"/components/schemas/GateRequest start": true,
	}}
	for ptr, v := range tests {
		schema, ok := pointer(doc, ptr).(map[string]any)
		if !ok {
			t.Errorf("openapi.json has no schema at %s", ptr)
			continue
		}
		c.compare(t, ptr, schema, reflect.TypeOf(v))
	}
}

// schemaComparison compares the schemas of an OpenAPI document with Go
// types.
type schemaComparison struct {
	doc map[string]any
	// seen holds the schemas compared already, with their type, so that
	// a schema referred to from many places is compared, and reported,
	// once.
	seen map[string]bool
	// unexposed holds the fields, as "SCHEMA FIELD", that the type has
	// and the API neither sends nor takes.
	unexposed map[string]bool
}

// pointer resolves a JSON pointer (RFC 6901) in doc, or returns nil.
func pointer(doc any, ptr string) any {
	v := doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")]
	}
	return v
}

// compare compares the properties of schema, at where in the document,
// with the JSON fields of typ, and goes down into the fields, list items
// and map values they share.
func (c *schemaComparison) compare(t *testing.T, where string, schema map[string]any, typ reflect.Type) {
	t.Helper()
	for {
		if ref, ok := schema["$ref"].(string); ok {
			where = strings.TrimPrefix(ref, "#")
			schema, _ = pointer(c.doc, where).(map[string]any)
			if schema == nil {
				t.Errorf("%s: the $ref leads nowhere", ref)
				return
			}
			continue
		}
		// A value that may be null: {"oneOf": [X, {"type": "null"}]}.
		if alts, ok := schema["oneOf"].([]any); ok && len(alts) == 2 {
			if m, ok := alts[1].(map[string]any); ok && m["type"] == "null" {
				schema, _ = alts[0].(map[string]any)
				continue
			}
		}
		break
	}
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ.Implements(reflect.TypeFor[json.Marshaler]()) || reflect.PointerTo(typ).Implements(reflect.TypeFor[json.Marshaler]()) {
		return // encodes itself: a time, raw JSON
	}
	key := where + " " + typ.String()
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	switch typ.Kind() {
	case reflect.Struct:
		props, _ := schema["properties"].(map[string]any)
		fields := jsonFields(typ)
		for name := range fields {
			if _, ok := props[name]; !ok && !c.unexposed[where+" "+name] {
				t.Errorf("%s: field %q of %s is not described", where, name, typ)
			}
		}
		for name := range props {
			if _, ok := fields[name]; !ok {
				t.Errorf("%s: property %q is no field of %s", where, name, typ)
			}
		}
		for name, ft := range fields {
			if p, ok := props[name].(map[string]any); ok {
				c.compare(t, where+"/properties/"+name, p, ft)
			}
		}
	case reflect.Slice, reflect.Array:
		if items, ok := schema["items"].(map[string]any); ok {
			c.compare(t, where+"/items", items, typ.Elem())
		}
	case reflect.Map:
		if values, ok := schema["additionalProperties"].(map[string]any); ok {
			c.compare(t, where+"/additionalProperties", values, typ.Elem())
		}
	}
}

// jsonFields returns the fields encoding/json writes for a struct type, by
// name, with the fields of embedded structs promoted.
func jsonFields(typ reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(typ) {
		if !f.IsExported() || len(f.Index) > 1 && !typ.FieldByIndex(f.Index[:len(f.Index)-1]).Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

// TestQueryParametersAreDescribed fails when the query parameters a route
// takes, as its answer to an unknown one lists them, differ from those
// openapi.json describes or those the endpoint table of docs/api.md
// writes: a parameter described but refused, or taken but described
// nowhere. It also fails when that table and the route table disagree.
func TestQueryParametersAreDescribed(t *testing.T) {
	f := newFixture(t)
	described := describedQueryParameters(t, f)
	documented := apiDocQueryParameters(t)
	var served, written []string
	for _, rt := range server.Routes() {
		served = append(served, rt.Pattern)
	}
	for pattern := range documented {
		written = append(written, pattern)
	}
	slices.Sort(served)
	slices.Sort(written)
	if diff := cmp.Diff(served, written); diff != "" {
		t.Errorf("routes.go and the endpoint table of docs/api.md disagree (-served +written):\n%s", diff)
	}

	for _, rt := range server.Routes() {
		if rt.Access == "public" {
			continue
		}
		method, path, _ := strings.Cut(rt.Pattern, " ")
		t.Run(rt.Pattern, func(t *testing.T) {
			r := f.do(t, method, strings.NewReplacer("{id}", "CHG-1", "{kind}", "plants", "{name}", "lyon").Replace(path)+"?unknown=1", aliceToken, bodies[rt.Pattern])
			var msg string
			if rt.Pattern == "POST /api/v1/gate" {
				res := decode[andon.GateResult](t, r)
				if len(res.Reasons) > 0 {
					msg = res.Reasons[0].Message
				}
			} else {
				msg = mustError(t, r, http.StatusBadRequest, andon.EINVALID)
			}
			taken := []string{}
			if list, ok := strings.CutPrefix(msg, `query parameter "unknown" is not known: want `); ok {
				taken = strings.Split(list, ", ")
			} else if msg != `query parameter "unknown" is not known: this route takes none` {
				t.Fatalf("answer to an unknown query parameter: %q", msg)
			}
			slices.Sort(taken)

			described := append([]string{}, described[path][strings.ToLower(method)]...)
			if rt.Access == "feed" {
				described = append(described, "token") // the feed token's apiKey
			}
			slices.Sort(described)
			if diff := cmp.Diff(taken, described); diff != "" {
				t.Errorf("the route and openapi.json disagree on its query parameters (-taken +described):\n%s", diff)
			}

			if written, ok := documented[rt.Pattern]; ok {
				if diff := cmp.Diff(taken, written); diff != "" {
					t.Errorf("the route and docs/api.md disagree on its query parameters (-taken +written):\n%s", diff)
				}
			}
		})
	}
}

// describedQueryParameters returns the names of the query parameters
// that openapi.json, as f serves it, describes for each operation, by path
// and lower-case method, the shared parameters it refers to included.
func describedQueryParameters(t *testing.T, f *fixture) map[string]map[string][]string {
	t.Helper()
	type parameter struct {
		Ref  string `json:"$ref"`
		Name string `json:"name"`
		In   string `json:"in"`
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []parameter `json:"parameters"`
		} `json:"paths"`
		Components struct {
			Parameters map[string]parameter `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(f.do(t, "GET", "/api/v1/openapi.json", "", "").body, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	described := map[string]map[string][]string{}
	for path, ops := range doc.Paths {
		described[path] = map[string][]string{}
		for method, op := range ops {
			for _, p := range op.Parameters {
				if p.Ref != "" {
					p = doc.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
				}
				if p.In == "query" {
					described[path][method] = append(described[path][method], p.Name)
				}
			}
		}
	}
	return described
}

// apiDocQueryParameters reads the endpoint table of docs/api.md: by route
// pattern, the query parameters its first column writes (`GET
// /api/v1/calendar?env=E&from=T`, `?plant=P`), sorted.
func apiDocQueryParameters(t *testing.T) map[string][]string {
	t.Helper()
	page, err := os.ReadFile(filepath.Join("..", "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(page), "\n## Endpoints\n")
	if !ok {
		t.Fatal("docs/api.md has no section Endpoints")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rows := map[string][]string{}
	for line := range strings.Lines(section) {
		cell, ok := strings.CutPrefix(line, "| `")
		if !ok {
			continue
		}
		cell, _, _ = strings.Cut(cell, " |")
		pattern, _, _ := strings.Cut(strings.Trim(cell, "`"), "`")
		pattern, _, _ = strings.Cut(pattern, "?")
		params := []string{}
		for _, m := range regexp.MustCompile(`[?&]([a-zA-Z]+)=`).FindAllStringSubmatch(cell, -1) {
			params = append(params, m[1])
		}
		slices.Sort(params)
		rows[pattern] = params
	}
	if len(rows) == 0 {
		t.Fatal("docs/api.md: no rows in the endpoint table")
	}
	return rows
}

// The OpenAPI document lists the codes of the findings that the store
// gives, so that a client can tell them all.
func TestOpenAPIFindingCodes(t *testing.T) {
	f := newFixture(t)
	var doc map[string]any
	if err := json.Unmarshal(f.do(t, "GET", "/api/v1/openapi.json", "", "").body, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	var got []string
	enum, _ := pointer(doc, "/components/schemas/Finding/properties/code/enum").([]any)
	for _, v := range enum {
		s, _ := v.(string)
		got = append(got, s)
	}
	if !slices.Equal(got, andon.FindingCodes) {
		t.Errorf("openapi.json lists the finding codes %v; the store gives %v", got, andon.FindingCodes)
	}
}

// TestOpenAPIAuditTypes: the audit log's type filter, which the server
// refuses for any other type, is described with every type it takes.
func TestOpenAPIAuditTypes(t *testing.T) {
	f := newFixture(t)
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string `json:"name"`
				Schema struct {
					Enum []string `json:"enum"`
				} `json:"schema"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(f.do(t, "GET", "/api/v1/openapi.json", "", "").body, &doc); err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(andon.EventTypes))
	for _, path := range []string{"/api/v1/audit/entries", "/api/v1/audit/evidence"} {
		found := false
		for _, p := range doc.Paths[path]["get"].Parameters {
			if p.Name == "type" {
				found = true
				if diff := cmp.Diff(want, slices.Sorted(slices.Values(p.Schema.Enum))); diff != "" {
					t.Errorf("%s: the types of its type parameter (-taken +described):\n%s", path, diff)
				}
			}
		}
		if !found {
			t.Errorf("%s describes no type parameter", path)
		}
	}
}
