package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/google/go-cmp/cmp"
)

const testImage = "registry.example.com/odoo/odoo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestChangeLifecycle(t *testing.T) {
	f := newFixture(t)

	r := f.do(t, "POST", "/api/v1/changes", aliceToken,
		`{"environment":"prod-lyon","type":"normal","title":"Odoo 17.0.3","artifacts":["`+testImage+`"],"facts":{"modules":["mrp"],"migration":true}}`)
	if r.status != http.StatusCreated {
		t.Fatalf("POST /api/v1/changes = %d, want 201 (body %s)", r.status, r.body)
	}
	created := decode[andon.Change](t, r)
	if got, want := r.header.Get("Location"), "/api/v1/changes/"+created.ID; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if created.Requester != "alice" || created.State != andon.StatePending {
		t.Errorf("created requester, state = %q, %q; want alice, pending", created.Requester, created.State)
	}

	r = f.do(t, "GET", "/api/v1/changes/"+created.ID, bobToken, "")
	if diff := cmp.Diff(created, decode[andon.Change](t, r)); diff != "" {
		t.Errorf("GET the change (-created +got):\n%s", diff)
	}

	// Segregation of duties is the service's; the handler carries the
	// user and renders the refusal.
	r = f.do(t, "POST", "/api/v1/changes/"+created.ID+"/approvals", aliceToken, `{"verdict":"approve"}`)
	mustError(t, r, http.StatusForbidden, andon.EFORBIDDEN)

	r = f.do(t, "POST", "/api/v1/changes/"+created.ID+"/approvals", bobToken, `{"verdict":"approve","comment":"ok for Sunday"}`)
	if got := decode[andon.Change](t, r); got.State != andon.StateApproved || len(got.Approvals) != 1 || got.Approvals[0].Comment != "ok for Sunday" {
		t.Errorf("after approval: state %q, approvals %+v; want approved with bob's comment", got.State, got.Approvals)
	}

	// The preview of a start answers the gate's shape, and takes no query.
	r = f.do(t, "GET", "/api/v1/changes/"+created.ID+"/start-check", aliceToken, "")
	if r.status != http.StatusOK || string(r.body) != `{"allow":true,"reasons":[{"code":"ALLOWED","message":"inside its window"}],"at":"2026-01-28T10:00:00Z"}`+"\n" {
		t.Errorf("GET start-check = %d %s; want 200 with allow, reasons and at", r.status, r.body)
	}
	r = f.do(t, "GET", "/api/v1/changes/"+created.ID+"/start-check?at=2026-01-29T10:00:00Z", aliceToken, "")
	mustError(t, r, http.StatusBadRequest, andon.EINVALID)
	r = f.do(t, "GET", "/api/v1/changes/CHG-999/start-check", aliceToken, "")
	mustError(t, r, http.StatusNotFound, andon.ENOTFOUND)

	r = f.do(t, "POST", "/api/v1/changes/"+created.ID+"/transitions", aliceToken, `{"to":"implementing"}`)
	if got := decode[andon.Change](t, r); got.State != andon.StateImplementing {
		t.Errorf("after transition: state %q, want implementing", got.State)
	}
	r = f.do(t, "POST", "/api/v1/changes/"+created.ID+"/transitions", aliceToken, `{"to":"cancelled"}`)
	mustError(t, r, http.StatusConflict, andon.ECONFLICT)
	r = f.do(t, "GET", "/api/v1/changes/"+created.ID+"/start-check", aliceToken, "")
	mustError(t, r, http.StatusConflict, andon.ECONFLICT)

	r = f.do(t, "POST", "/api/v1/changes/"+created.ID+"/review", bobToken, `{"comment":"justified"}`)
	if got := decode[andon.Change](t, r); got.Review == nil || got.Review.Approver != "bob" {
		t.Errorf("after review: review %+v, want bob's", got.Review)
	}

	r = f.do(t, "GET", "/api/v1/changes", bobToken, "")
	list := decode[struct {
		Changes []andon.Change `json:"changes"`
		Total   int            `json:"total"`
	}](t, r)
	if len(list.Changes) != 1 || list.Total != 1 {
		t.Errorf("list = %d changes, total %d; want 1, 1", len(list.Changes), list.Total)
	}

	r = f.do(t, "GET", "/api/v1/findings", bobToken, "")
	if r.status != http.StatusOK || string(r.body) != `{"findings":[]}`+"\n" {
		t.Errorf("GET /api/v1/findings = %d %s, want 200 with an empty list", r.status, r.body)
	}
}

func TestChangeBodies(t *testing.T) {
	valid := `{"environment":"prod-lyon","type":"normal","title":"t"}`
	tests := []struct {
		name, path, body string
		wantMessage      string // a part of the message that must be there
	}{
		{"empty", "/api/v1/changes", "", "request body: empty"},
		{"too large", "/api/v1/changes",
			`{"environment":"prod-lyon","type":"normal","title":"t","description":"` + strings.Repeat("x", 1<<20+64<<10) + `"}`,
			"larger than the limit of 1048576 bytes (1 MiB)"},
		{"unknown field", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":"t","priority":1}`,
			`unknown field "priority"`},
		{"unknown nested field", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":"t","facts":{"db":true}}`,
			`unknown field "facts.db"`},
		{"unknown field beside members in another case", "/api/v1/changes", `{"Environment":"prod-lyon","type":"normal","title":"t","Facts":{"MIGRATION":true,"db":true}}`,
			`unknown field "Facts.db"`},
		{"a field in snake case", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":"t","rollback_plan":"redeploy"}`,
			`request body: unknown field "rollback_plan"; did you mean "rollbackPlan"?`},
		{"a misspelt field in an object", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":"t","facts":{"migraton":true}}`,
			`request body: unknown field "facts.migraton"; did you mean "migration"?`},
		{"unknown field in a list", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":"t","links":[{"kind":"ticket","url":"u"},{"kind":"pr","link":"u"}]}`,
			`unknown field "links[1].link"`},
		{"malformed", "/api/v1/changes", `{"environment":"prod-lyon",}`, "malformed JSON at byte offset 28"},
		{"truncated", "/api/v1/changes", `{"environment":"prod-lyon"`, "ends too early"},
		{"wrong type", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":5}`,
			`field "title": want a string, got JSON number`},
		{"wrong nested type", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":"t","facts":{"migration":"yes"}}`,
			`field "facts.migration": want a boolean, got JSON string`},
		{"not an object", "/api/v1/changes", `["prod-lyon"]`, "want a JSON object, got array"},
		{"bad time", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":"t","window":{"start":"tomorrow","end":"2026-02-01T00:00:00Z"}}`,
			`request body: field "window.start": "tomorrow" is not an RFC 3339 time`},
		{"trailing data", "/api/v1/changes", valid + `{}`, "unexpected data after the JSON value"},
		{"null", "/api/v1/changes", `null`, "request body: want a JSON object, got null"},
		{"time of the wrong type", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":"t","window":{"start":1,"end":2}}`,
			`request body: field "window.start": 1 is not an RFC 3339 time (such as "2026-01-30T14:00:00Z")`},
		{"time without its seconds", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":"t","window":{"start":"2026-12-06T02:00+01:00","end":"2026-12-06T04:00:00+01:00"}}`,
			`request body: field "window.start": "2026-12-06T02:00+01:00" is not an RFC 3339 time (such as "2026-01-30T14:00:00Z"); give the seconds too, such as 2026-12-06T02:00:00+01:00`},
		{"time without its zone", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":"t","window":{"start":"2026-12-06T02:00:00","end":"2026-12-06T04:00:00+01:00"}}`,
			`request body: field "window.start": "2026-12-06T02:00:00" is not an RFC 3339 time (such as "2026-01-30T14:00:00Z"); give the time's zone too, such as 2026-12-06T02:00:00Z or 2026-12-06T02:00:00+01:00`},
		{"time not RFC 3339, named", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":"t","window":{"start":"2026-02-01T00:00:00Z","end":"tomorrow"}}`,
			`request body: field "window.end": "tomorrow" is not an RFC 3339 time (such as "2026-01-30T14:00:00Z")`},
		// encoding/json keeps the last of two, and takes a name in any
		// case: what a proxy or a reviewer reads would not be what andon
		// did.
		{"field given twice", "/api/v1/changes", `{"environment":"dev","type":"normal","title":"t","environment":"prod-lyon"}`,
			`request body: field "environment" given twice`},
		{"field given twice in two cases", "/api/v1/changes", `{"environment":"dev","Environment":"prod-lyon","type":"normal","title":"t"}`,
			`request body: field "Environment" given twice`},
		{"field in another case", "/api/v1/changes", `{"Environment":"prod-lyon","type":"normal","title":"t"}`,
			`request body: unknown field "Environment" (names are case-sensitive: "environment")`},
		{"null title", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":null}`,
			`request body: field "title" is null: give a string, or leave the field out for its default`},
		{"null time", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":"t","window":{"start":null,"end":"2026-12-06T04:00:00+01:00"}}`,
			`request body: field "window.start" is null: give an RFC 3339 time, or leave the field out for its default`},
		{"null in a list", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":"t","facts":{"modules":["stock",null]}}`,
			`request body: field "facts.modules[1]" is null: give a string, or leave the field out for its default`},
		{"invalid request", "/api/v1/changes", `{"environment":"prod-lyon","type":"big","title":"t"}`,
			`type: "big" is not one of standard, normal, emergency`},
		{"unpinned image", "/api/v1/changes", `{"environment":"prod-lyon","type":"normal","title":"t","artifacts":["odoo:17"]}`,
			`artifacts[0]: image "odoo:17" is not pinned by digest`},
		{"bad verdict", "/api/v1/changes/CHG-1/approvals", `{"verdict":"maybe"}`, `verdict: "maybe" is not one of approve, reject`},
		{"bad target", "/api/v1/changes/CHG-1/transitions", `{"to":"approved"}`,
			`to: "approved" is not one of implementing, completed, failed, rolled-back, cancelled`},
		{"review field", "/api/v1/changes/CHG-1/review", `{"comment":"ok","verdict":"approve"}`, `unknown field "verdict"`},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, "POST", tt.path, aliceToken, tt.body)
			if msg := mustError(t, r, http.StatusBadRequest, andon.EINVALID); !strings.Contains(msg, tt.wantMessage) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.wantMessage)
			}
		})
	}
}

func TestChangeListFilter(t *testing.T) {
	tests := []struct {
		query string
		want  andon.ChangeFilter
	}{
		{"", andon.ChangeFilter{Limit: 100}},
		{"?environment=prod-lyon&state=rolled-back&tier=high&requester=alice&q=odoo+17&offset=10&limit=5",
			andon.ChangeFilter{Environment: "prod-lyon", State: andon.StateRolledBack, Tier: andon.LevelHigh,
				Requester: "alice", Query: "odoo 17", Offset: 10, Limit: 5}},
		{"?limit=1000", andon.ChangeFilter{Limit: 1000}},
		{"?type=emergency&state=completed", andon.ChangeFilter{Type: andon.ChangeEmergency, State: andon.StateCompleted, Limit: 100}},
		{"?before=CHG-7&limit=20", andon.ChangeFilter{Before: "CHG-7", Limit: 20}},
		{"?process=finance&environment=prod-lyon", andon.ChangeFilter{Process: "finance", Environment: "prod-lyon", Limit: 100}},
		// A process the catalog no longer holds may still have changes.
		{"?process=payroll", andon.ChangeFilter{Process: "payroll", Limit: 100}},
		{"?image=registry.example.com%2Fodoo%2Fodoo%40sha256%3Aabababababababababababababababababababababababababababababababab", andon.ChangeFilter{Image: "registry.example.com/odoo/odoo@sha256:abababababababababababababababababababababababababababababababab", Limit: 100}},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := f.do(t, "GET", "/api/v1/changes"+tt.query, aliceToken, "")
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200 (body %s)", r.status, r.body)
			}
			if diff := cmp.Diff(tt.want, f.changes.filter); diff != "" {
				t.Errorf("filter mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEmptyQueryParameter gives every query parameter of every route
// empty, as a script whose variable is unset sends it (image=): the answer
// is a 400 that names the parameter, never an answer that filters by
// nothing, such as every change of an environment or an export of every
// audit entry where one change's were meant.
func TestEmptyQueryParameter(t *testing.T) {
	f := newFixture(t)
	// The parameters a route requires, so that the one given empty is
	// the only thing wrong.
	required := map[string]url.Values{
		"/api/v1/calendar":        {"env": {"prod-lyon"}},
		"/api/v1/calendar/next":   {"env": {"prod-lyon"}, "duration": {"1h"}},
		"/api/v1/calendar/active": {"env": {"prod-lyon"}},
		"/api/v1/audit/proof":     {"index": {"1"}},
	}
	tested := 0
	for path, ops := range describedQueryParameters(t, f) {
		for _, name := range ops["get"] {
			q := url.Values{}
			for k, v := range required[path] {
				q[k] = v
			}
			q.Set(name, "")
			tested++
			t.Run(path+"?"+name+"=", func(t *testing.T) {
				r := f.do(t, "GET", path+"?"+q.Encode(), aliceToken, "")
				if msg := mustError(t, r, http.StatusBadRequest, andon.EINVALID); !strings.HasPrefix(msg, "query parameter "+name+": ") {
					t.Errorf("message = %q, want it to name query parameter %s", msg, name)
				}
			})
		}
	}
	if tested < 20 {
		t.Errorf("%d query parameters tested, want the 20 or more of openapi.json", tested)
	}
}

func TestQueryValidation(t *testing.T) {
	tests := []struct {
		path        string
		wantMessage string
	}{
		{"/api/v1/changes?state=open", `query parameter state: "open" is not one of pending, approved, rejected, implementing, completed, failed, rolled-back, cancelled`},
		{"/api/v1/changes?type=urgent", `query parameter type: "urgent" is not one of standard, normal, emergency`},
		{"/api/v1/changes?tier=urgent", `query parameter tier: "urgent" is not one of critical, high, medium, low`},
		{"/api/v1/incidents?severity=urgent", `query parameter severity: "urgent" is not one of critical, high, medium, low`},
		{"/api/v1/changes?limit=0", "query parameter limit: 0 is not between 1 and 1000"},
		{"/api/v1/changes?limit=5000", "query parameter limit: 5000 is not between 1 and 1000"},
		{"/api/v1/changes?limit=ten", `query parameter limit: "ten" is not a whole number`},
		{"/api/v1/changes?offset=-1", "query parameter offset: -1 is not between 0"},
		{"/api/v1/changes?stat=pending", `query parameter "stat" is not known: want environment, type, state, tier, requester, image, process, q, before, offset, limit`},
		{"/api/v1/changes?state=pending&state=approved", "query parameter state: given 2 times"},
		{"/api/v1/changes?q=%zz", "query: invalid URL escape"},
		{"/api/v1/changes?image=odoo:17.0", `query parameter image: image "odoo:17.0" is not pinned by digest`},
		{"/api/v1/me?verbose=1", `query parameter "verbose" is not known: this route takes none`},
		{"/api/v1/calendar", "query parameter env: required"},
		{"/api/v1/calendar?env=prod-lyon&from=yesterday", `query parameter from: "yesterday" is not an RFC 3339 time`},
		{"/api/v1/calendar?env=prod-lyon&from=2027-01-01T00:00:00+01:00", `query parameter from: "2027-01-01T00:00:00 01:00" is not an RFC 3339 time (such as 2026-01-30T14:00:00Z); a + in a URL's query reads as a space: write it %2B`},
		{"/api/v1/calendar?env=prod-lyon&to=2026-01-01T00:00:00Z", "query parameter to: 2026-01-01T00:00:00Z is not after from 2026-01-28T10:00:00Z"},
		{"/api/v1/calendar?env=prod-lyon&to=2028-01-01T00:00:00Z", "query parameter to: 2028-01-01T00:00:00Z is more than 366 days after from 2026-01-28T10:00:00Z"},
		{"/api/v1/calendar?env=prod-lyon&from=0001-01-01T00:00:00Z", "query parameter from: 0001-01-01T00:00:00Z is outside the years andon reasons about, 1970 to 2199"},
		{"/api/v1/calendar?env=prod-lyon&from=9999-12-30T00:00:00Z", "query parameter from: 9999-12-30T00:00:00Z is outside the years andon reasons about, 1970 to 2199"},
		{"/api/v1/calendar/next?env=prod-lyon&duration=1h&after=9999-12-29T00:00:00Z", "query parameter after: 9999-12-29T00:00:00Z is outside the years"},
		{"/api/v1/calendar/next?env=prod-lyon", "query parameter duration: required"},
		{"/api/v1/calendar/next?env=prod-lyon&duration=-2h", `query parameter duration: "-2h" is not a positive duration`},
		{"/api/v1/calendar/next?env=prod-lyon&duration=soon", `query parameter duration: "soon" is not a positive duration`},
		{"/api/v1/calendar/next?env=prod-lyon&duration=2h&after=now", `query parameter after: "now" is not an RFC 3339 time`},
		{"/api/v1/calendar/next?env=prod-lyon&duration=2h&after=2026-12-01T10:00Z", `query parameter after: "2026-12-01T10:00Z" is not an RFC 3339 time (such as 2026-01-30T14:00:00Z); give the seconds too, such as 2026-12-01T10:00:00Z`},
		{"/api/v1/calendar/next?env=prod-lyon&duration=2h&after=2026-12-01T10:00", `query parameter after: "2026-12-01T10:00" is not an RFC 3339 time (such as 2026-01-30T14:00:00Z); give the time's zone too, such as 2026-12-01T10:00:00Z or 2026-12-01T10:00:00+01:00`},
		{"/api/v1/calendar.ics", "query parameter env or plant: required"},
		{"/api/v1/audit/entries?after=-2", "query parameter after: -2 is not between -1"},
		{"/api/v1/audit/entries?limit=0", "query parameter limit: 0 is not between 1 and 1000"},
		{"/api/v1/audit/entries?type=change.aproved", `query parameter type: "change.aproved" is not an event type of the audit log; want one of change.created, change.approved,`},
		{"/api/v1/audit/evidence?type=approved", `query parameter type: "approved" is not an event type of the audit log`},
		{"/api/v1/audit/proof", "query parameter index: required"},
		{"/api/v1/audit/proof?index=-1", "query parameter index: -1 is not between 0"},
		{"/api/v1/audit/proof?index=first", `query parameter index: "first" is not a whole number`},
		// Every listing's limit, offset and after: negative, zero, past
		// what int64 holds, not a number, empty, bare and repeated.
		{"/api/v1/changes?limit=-1", "query parameter limit: -1 is not between 1 and 1000"},
		{"/api/v1/changes?limit=99999999999999999999", "query parameter limit: 99999999999999999999 is not between 1 and 1000"},
		{"/api/v1/changes?limit=", `query parameter limit: "" is not a whole number`},
		{"/api/v1/changes?limit", `query parameter limit: "" is not a whole number`},
		{"/api/v1/changes?limit=1e3", `query parameter limit: "1e3" is not a whole number`},
		{"/api/v1/changes?limit=10&limit=", "query parameter limit: given 2 times"},
		{"/api/v1/changes?offset=2147483648", "query parameter offset: 2147483648 is not between 0 and 2147483647"},
		{"/api/v1/changes?offset=-99999999999999999999", "query parameter offset: -99999999999999999999 is not between 0 and 2147483647"},
		{"/api/v1/changes?offset=", `query parameter offset: "" is not a whole number`},
		{"/api/v1/changes?offset=1&offset=1", "query parameter offset: given 2 times"},
		{"/api/v1/audit/entries?limit=-1", "query parameter limit: -1 is not between 1 and 1000"},
		{"/api/v1/audit/entries?limit=1001", "query parameter limit: 1001 is not between 1 and 1000"},
		{"/api/v1/audit/entries?limit=99999999999999999999", "query parameter limit: 99999999999999999999 is not between 1 and 1000"},
		{"/api/v1/audit/entries?limit=ten", `query parameter limit: "ten" is not a whole number`},
		{"/api/v1/audit/entries?limit=", `query parameter limit: "" is not a whole number`},
		{"/api/v1/audit/entries?limit=1&limit=2", "query parameter limit: given 2 times"},
		{"/api/v1/audit/entries?after=99999999999999999999", "query parameter after: 99999999999999999999 is not between -1 and 9223372036854775807"},
		{"/api/v1/audit/entries?after=1.5", `query parameter after: "1.5" is not a whole number`},
		{"/api/v1/audit/entries?after=", `query parameter after: "" is not a whole number`},
		{"/api/v1/audit/entries?after=1&after=2", "query parameter after: given 2 times"},
		{"/api/v1/audit/entries?since=", `query parameter since: "" is not an RFC 3339 time`},
		{"/api/v1/audit/evidence?limit=0", "query parameter limit: 0 is not between 1 and 1000"},
		{"/api/v1/audit/evidence?limit=1001", "query parameter limit: 1001 is not between 1 and 1000"},
		{"/api/v1/audit/evidence?limit=", `query parameter limit: "" is not a whole number`},
		{"/api/v1/audit/evidence?after=-2", "query parameter after: -2 is not between -1"},
		{"/api/v1/audit/evidence?after=x", `query parameter after: "x" is not a whole number`},
		{"/api/v1/audit/evidence?after=-1&after=-1", "query parameter after: given 2 times"},
		// An empty process would widen an export to every process.
		{"/api/v1/audit/entries?process=", "query parameter process: given empty"},
		{"/api/v1/audit/evidence?process=&since=2026-10-01T00:00:00Z", "query parameter process: given empty"},
		{"/api/v1/audit/proof?index=99999999999999999999", "query parameter index: 99999999999999999999 is not between 0 and 9223372036854775807"},
		{"/api/v1/calendar?env=prod-lyon&from=", `query parameter from: "" is not an RFC 3339 time`},
		{"/api/v1/calendar/next?env=prod-lyon&duration=1h&after=", `query parameter after: "" is not an RFC 3339 time`},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := f.do(t, "GET", tt.path, aliceToken, "")
			if msg := mustError(t, r, http.StatusBadRequest, andon.EINVALID); !strings.Contains(msg, tt.wantMessage) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.wantMessage)
			}
		})
	}
}

func TestCatalog(t *testing.T) {
	f := newFixture(t)
	cat := testCatalog()

	r := f.do(t, "GET", "/api/v1/catalog", aliceToken, "")
	got := decode[andon.Catalog](t, r)
	if got.Revision != cat.Revision || len(got.Environments) != 1 {
		t.Errorf("catalog revision %q with %d environments, want %q with 1", got.Revision, len(got.Environments), cat.Revision)
	}

	r = f.do(t, "GET", "/api/v1/catalog/teams", aliceToken, "")
	teams := decode[struct {
		Items []*andon.Team `json:"items"`
	}](t, r)
	if diff := cmp.Diff(cat.Teams, teams.Items); diff != "" {
		t.Errorf("teams mismatch (-want +got):\n%s", diff)
	}

	r = f.do(t, "GET", "/api/v1/catalog/environments/prod-lyon", aliceToken, "")
	if diff := cmp.Diff(cat.Environments[0], ptr(decode[andon.Environment](t, r))); diff != "" {
		t.Errorf("environment mismatch (-want +got):\n%s", diff)
	}

	for _, path := range []string{"/api/v1/catalog/widgets", "/api/v1/catalog/widgets/x", "/api/v1/catalog/plants/paris"} {
		r := f.do(t, "GET", path, aliceToken, "")
		mustError(t, r, http.StatusNotFound, andon.ENOTFOUND)
	}
}

func TestAudit(t *testing.T) {
	f := newFixture(t)
	for i := range 3 {
		f.audit.entries = append(f.audit.entries, &andon.Entry{Index: int64(i), Time: testNow, Type: andon.EventChangeCreated, Actor: "alice", Subject: fmt.Sprint("CHG-", i)})
	}

	r := f.do(t, "GET", "/api/v1/audit/checkpoint", aliceToken, "")
	if diff := cmp.Diff(testCheckpoint, decode[andon.Checkpoint](t, r)); diff != "" {
		t.Errorf("checkpoint mismatch (-want +got):\n%s", diff)
	}

	// Without after, the listing starts at the first entry, index 0.
	r = f.do(t, "GET", "/api/v1/audit/entries?type=change.created&actor=alice", aliceToken, "")
	entries := decode[struct {
		Entries []*andon.Entry `json:"entries"`
	}](t, r)
	if len(entries.Entries) != 3 {
		t.Errorf("got %d entries, want 3", len(entries.Entries))
	}
	want := andon.AuditFilter{Type: "change.created", Actor: "alice", After: -1, Limit: 100}
	if diff := cmp.Diff(want, f.audit.filter); diff != "" {
		t.Errorf("filter mismatch (-want +got):\n%s", diff)
	}

	r = f.do(t, "GET", "/api/v1/audit/entries?change=CHG-1&type=gate.decided&subject=prod-lyon", aliceToken, "")
	if r.status != http.StatusOK {
		t.Errorf("entries of a change = %d %s, want 200", r.status, r.body)
	}
	want = andon.AuditFilter{Type: "gate.decided", Subject: "prod-lyon", Change: "CHG-1", After: -1, Limit: 100}
	if diff := cmp.Diff(want, f.audit.filter); diff != "" {
		t.Errorf("filter with change mismatch (-want +got):\n%s", diff)
	}

	r = f.do(t, "GET", "/api/v1/audit/entries?after=2&subject=CHG-2&limit=10", aliceToken, "")
	if r.status != http.StatusOK || string(r.body) != `{"entries":[]}`+"\n" {
		t.Errorf("entries after the last = %d %s, want 200 and an empty list", r.status, r.body)
	}

	r = f.do(t, "GET", "/api/v1/audit/proof?index=1", aliceToken, "")
	if p := decode[andon.Proof](t, r); p.Index != 1 || p.Checkpoint != testCheckpoint {
		t.Errorf("proof = %+v, want index 1 with the checkpoint", p)
	}
	r = f.do(t, "GET", "/api/v1/audit/proof?index=3", aliceToken, "")
	mustError(t, r, http.StatusNotFound, andon.ENOTFOUND)

	// An export takes the entries' filters, and 1000 entries at most and
	// by default.
	r = f.do(t, "GET", "/api/v1/audit/evidence?change=CHG-1&after=4", aliceToken, "")
	if ev := decode[andon.Evidence](t, r); ev.Checkpoint != testCheckpoint {
		t.Errorf("evidence = %+v, want the checkpoint", ev)
	}
	want = andon.AuditFilter{Change: "CHG-1", After: 4, Limit: 1000}
	if diff := cmp.Diff(want, f.audit.filter); diff != "" {
		t.Errorf("evidence filter mismatch (-want +got):\n%s", diff)
	}
	// The evidence of every change of one business process in a period.
	r = f.do(t, "GET", "/api/v1/audit/evidence?process=finance&since=2026-10-01T00:00:00Z", aliceToken, "")
	if r.status != http.StatusOK || f.audit.filter.Process != "finance" || f.audit.filter.Since == nil {
		t.Errorf("evidence of a process = %d %s, filter %+v; want 200 and the process's", r.status, r.body, f.audit.filter)
	}
	r = f.do(t, "GET", "/api/v1/audit/entries?process=finance&type=gate.decided", aliceToken, "")
	want = andon.AuditFilter{Type: "gate.decided", Process: "finance", After: -1, Limit: 100}
	if diff := cmp.Diff(want, f.audit.filter); r.status != http.StatusOK || diff != "" {
		t.Errorf("entries of a process = %d, filter mismatch (-want +got):\n%s", r.status, diff)
	}
	r = f.do(t, "GET", "/api/v1/audit/evidence?limit=1001", aliceToken, "")
	mustError(t, r, http.StatusBadRequest, andon.EINVALID)

	// A period, such as a month under audit.
	r = f.do(t, "GET", "/api/v1/audit/evidence?since=2026-10-01T00:00:00%2B02:00&until=2026-11-01T00:00:00Z", aliceToken, "")
	if r.status != http.StatusOK {
		t.Fatalf("evidence of a period = %d %s", r.status, r.body)
	}
	since, until := f.audit.filter.Since, f.audit.filter.Until
	if since == nil || until == nil || !since.Equal(time.Date(2026, 9, 30, 22, 0, 0, 0, time.UTC)) || !until.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("evidence filter of a period: since %v, until %v", since, until)
	}
	// Both wrong: the first is named, every time.
	for range 20 {
		r = f.do(t, "GET", "/api/v1/audit/entries?since=soon&until=later", aliceToken, "")
		if msg := mustError(t, r, http.StatusBadRequest, andon.EINVALID); !strings.HasPrefix(msg, `query parameter since: "soon"`) {
			t.Fatalf("a period of two wrong ends: %q; want since named", msg)
		}
	}
	r = f.do(t, "GET", "/api/v1/audit/entries?since=2026-11-01T00:00:00Z&until=2026-10-01T00:00:00Z", aliceToken, "")
	if msg := mustError(t, r, http.StatusBadRequest, andon.EINVALID); msg != "query parameters since and until: 2026-11-01T00:00:00Z is not before 2026-10-01T00:00:00Z" {
		t.Errorf("a period that ends before it starts: %q", msg)
	}
}

func ptr[T any](v T) *T { return &v }
