package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon/catalog"
)

// allRoutes answers every read of the API with its recorded body, and
// every write with the recorded change.
func allRoutes() map[string]route {
	return map[string]route{
		"GET /api/v1/me":                            {status: 200, file: "me.json"},
		"GET /api/v1/catalog":                       {status: 200, file: "catalog.json"},
		"GET /api/v1/changes":                       {status: 200, file: "changes.json"},
		"GET /api/v1/changes/CHG-0042":              {status: 200, file: "change.json"},
		"POST /api/v1/changes":                      {status: 201, file: "change.json"},
		"POST /api/v1/changes/CHG-0042/approvals":   {status: 200, file: "change.json"},
		"POST /api/v1/changes/CHG-0042/transitions": {status: 200, file: "change.json"},
		"POST /api/v1/changes/CHG-0042/review":      {status: 200, file: "change-reviewed.json"},
		"GET /api/v1/findings":                      {status: 200, file: "findings.json"},
		"GET /api/v1/calendar":                      {status: 200, file: "calendar.json"},
		"GET /api/v1/calendar/next":                 {status: 200, file: "next.json"},
		"GET /api/v1/audit/checkpoint":              {status: 200, file: "checkpoint.json"},
		"GET /api/v1/audit/entries":                 {status: 200, file: "entries.json"},
		"GET /api/v1/audit/proof":                   {status: 200, file: "proof.json"},
	}
}

// TestRequests checks what each command sends: method, path, query and
// body, built from its arguments and flags.
func TestRequests(t *testing.T) {
	tests := []struct {
		args      []string
		wantPath  string // "METHOD /path"
		wantQuery url.Values
		wantBody  map[string]any
	}{
		{
			args: []string{"change", "create", "--env", "prod-lyon", "--type", "normal", "--title", "Upgrade MRP work orders",
				"--description", "Fixes routing.", "--image", image, "--module", "mrp_workorder,mrp", "--module", "stock",
				"--migration", "--component", "postgres", "--process", "production",
				"--start", "2026-03-08T02:00:00+01:00", "--end", "2026-03-08T04:00:00+01:00",
				"--rollback-plan", "redeploy the previous digest",
				"--link", "ticket=https://tickets.example.com/OPS-17", "--link", "pipeline=https://ci.example.com/p?id=1,2"},
			wantPath: "POST /api/v1/changes",
			wantBody: map[string]any{
				"environment": "prod-lyon", "type": "normal", "title": "Upgrade MRP work orders",
				"description": "Fixes routing.", "artifacts": []any{image},
				"facts":        map[string]any{"modules": []any{"mrp_workorder", "mrp", "stock"}, "migration": true, "components": []any{"postgres"}},
				"processes":    []any{"production"},
				"window":       map[string]any{"start": "2026-03-08T02:00:00+01:00", "end": "2026-03-08T04:00:00+01:00"},
				"rollbackPlan": "redeploy the previous digest",
				"links": []any{
					map[string]any{"kind": "ticket", "url": "https://tickets.example.com/OPS-17"},
					map[string]any{"kind": "pipeline", "url": "https://ci.example.com/p?id=1,2"},
				},
			},
		},
		{
			args:     []string{"change", "create", "--env", "dev-lyon", "--type", "standard", "--title", "Bump"},
			wantPath: "POST /api/v1/changes",
			wantBody: map[string]any{"environment": "dev-lyon", "type": "standard", "title": "Bump",
				"facts": map[string]any{"modules": nil, "migration": false, "components": nil}},
		},
		{
			args:     []string{"change", "list", "--env", "prod-lyon", "--type", "normal", "--state", "pending", "--tier", "high", "--requester", "rachel", "--process", "finance", "-q", "mrp", "--limit", "5"},
			wantPath: "GET /api/v1/changes",
			wantQuery: url.Values{"environment": {"prod-lyon"}, "type": {"normal"}, "state": {"pending"}, "tier": {"high"},
				"requester": {"rachel"}, "process": {"finance"}, "q": {"mrp"}, "limit": {"5"}},
		},
		{
			args:     []string{"change", "show", "CHG-0042"},
			wantPath: "GET /api/v1/changes/CHG-0042",
		},
		{
			args:     []string{"change", "approve", "CHG-0042", "--comment", "ok for Sunday"},
			wantPath: "POST /api/v1/changes/CHG-0042/approvals",
			wantBody: map[string]any{"verdict": "approve", "comment": "ok for Sunday"},
		},
		{
			args:     []string{"change", "approve", "CHG-0042"},
			wantPath: "POST /api/v1/changes/CHG-0042/approvals",
			wantBody: map[string]any{"verdict": "approve"},
		},
		{
			args:     []string{"change", "reject", "CHG-0042", "--comment", "not during month-end"},
			wantPath: "POST /api/v1/changes/CHG-0042/approvals",
			wantBody: map[string]any{"verdict": "reject", "comment": "not during month-end"},
		},
		{
			args:     []string{"change", "start", "CHG-0042"},
			wantPath: "POST /api/v1/changes/CHG-0042/transitions",
			wantBody: map[string]any{"to": "implementing"},
		},
		{
			args:     []string{"change", "complete", "CHG-0042", "--comment", "smoke tests green"},
			wantPath: "POST /api/v1/changes/CHG-0042/transitions",
			wantBody: map[string]any{"to": "completed", "comment": "smoke tests green"},
		},
		{
			args:     []string{"change", "fail", "CHG-0042"},
			wantPath: "POST /api/v1/changes/CHG-0042/transitions",
			wantBody: map[string]any{"to": "failed"},
		},
		{
			args:     []string{"change", "rollback", "CHG-0042"},
			wantPath: "POST /api/v1/changes/CHG-0042/transitions",
			wantBody: map[string]any{"to": "rolled-back"},
		},
		{
			args:     []string{"change", "cancel", "CHG-0042"},
			wantPath: "POST /api/v1/changes/CHG-0042/transitions",
			wantBody: map[string]any{"to": "cancelled"},
		},
		{
			args:     []string{"change", "review", "CHG-0042", "--comment", "root cause: expired certificate"},
			wantPath: "POST /api/v1/changes/CHG-0042/review",
			wantBody: map[string]any{"comment": "root cause: expired certificate"},
		},
		{
			args:     []string{"findings"},
			wantPath: "GET /api/v1/findings",
		},
		{
			args:     []string{"whoami"},
			wantPath: "GET /api/v1/me",
		},
		{
			args:      []string{"calendar", "show", "--env", "prod-lyon", "--from", "2026-03-01T00:00:00+01:00", "--to", "2026-04-01T00:00:00+02:00", "-o", "json"},
			wantPath:  "GET /api/v1/calendar",
			wantQuery: url.Values{"env": {"prod-lyon"}, "from": {"2026-03-01T00:00:00+01:00"}, "to": {"2026-04-01T00:00:00+02:00"}},
		},
		{
			// Days on the plant's calendar (Europe/Paris): the range
			// ends at midnight there, after the clocks went forward.
			args:      []string{"calendar", "show", "--env", "prod-lyon", "--from", "2026-03-25T00:00:00+01:00", "--days", "14", "-o", "json"},
			wantPath:  "GET /api/v1/calendar",
			wantQuery: url.Values{"env": {"prod-lyon"}, "from": {"2026-03-25T00:00:00+01:00"}, "to": {"2026-04-08T00:00:00+02:00"}},
		},
		{
			args:      []string{"calendar", "show", "--env", "prod-lyon", "-o", "json"},
			wantPath:  "GET /api/v1/calendar",
			wantQuery: url.Values{"env": {"prod-lyon"}},
		},
		{
			args:      []string{"calendar", "next", "--env", "prod-lyon", "--duration", "90m", "--after", "2026-03-02T12:00:00Z", "-o", "json"},
			wantPath:  "GET /api/v1/calendar/next",
			wantQuery: url.Values{"env": {"prod-lyon"}, "duration": {"1h30m0s"}, "after": {"2026-03-02T12:00:00Z"}},
		},
		{
			// Whole days, as the catalog takes them.
			args:      []string{"calendar", "next", "--env", "prod-lyon", "--duration", "1d", "-o", "json"},
			wantPath:  "GET /api/v1/calendar/next",
			wantQuery: url.Values{"env": {"prod-lyon"}, "duration": {"24h0m0s"}},
		},
		{
			args:      []string{"calendar", "next", "--env", "prod-lyon", "--duration", "2h", "--type", "emergency", "-o", "json"},
			wantPath:  "GET /api/v1/calendar/next",
			wantQuery: url.Values{"env": {"prod-lyon"}, "duration": {"2h0m0s"}, "type": {"emergency"}},
		},
		{
			args:      []string{"calendar", "next", "--env", "prod-lyon", "--duration", "2h", "--outside-peaks", "-o", "json"},
			wantPath:  "GET /api/v1/calendar/next",
			wantQuery: url.Values{"env": {"prod-lyon"}, "duration": {"2h0m0s"}, "outsidePeaks": {"true"}},
		},
		{
			args:     []string{"audit", "checkpoint"},
			wantPath: "GET /api/v1/audit/checkpoint",
		},
		{
			args:      []string{"audit", "entries", "--type", "change.approved", "--subject", "CHG-0042", "--actor", "carol", "--after", "-1", "--limit", "10"},
			wantPath:  "GET /api/v1/audit/entries",
			wantQuery: url.Values{"type": {"change.approved"}, "subject": {"CHG-0042"}, "actor": {"carol"}, "after": {"-1"}, "limit": {"10"}},
		},
		{
			args:      []string{"audit", "entries", "--change", "CHG-0042"},
			wantPath:  "GET /api/v1/audit/entries",
			wantQuery: url.Values{"change": {"CHG-0042"}, "after": {"-1"}},
		},
		{
			args:      []string{"audit", "proof", "41"},
			wantPath:  "GET /api/v1/audit/proof",
			wantQuery: url.Values{"index": {"41"}},
		},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			api := newAPI(t, allRoutes())
			got := runAPI(t, api, tt.args...)
			if got.code != 0 {
				t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", got.code, got.stdout, got.stderr)
			}
			// The command's request is the first but for the catalog,
			// which a command may fetch for the plant's time zone.
			reqs := api.requests()
			s := reqs[0]
			if i := slices.IndexFunc(reqs, func(r seen) bool { return r.path != "/api/v1/catalog" }); i > 0 {
				s = reqs[i]
			}
			if p := s.method + " " + s.path; p != tt.wantPath {
				t.Errorf("request = %s, want %s", p, tt.wantPath)
			}
			if s.auth != "Bearer t0ken" {
				t.Errorf("Authorization = %q, want the token of ANDON_TOKEN", s.auth)
			}
			q, err := url.ParseQuery(s.query)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantQuery == nil {
				tt.wantQuery = url.Values{}
			}
			if diff := cmp.Diff(tt.wantQuery, q); diff != "" {
				t.Errorf("query mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantBody, s.body); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRefusedLocally checks that input andon can judge without the
// server is refused with exit code 2 before anything is sent.
func TestRefusedLocally(t *testing.T) {
	tests := []struct {
		args       []string
		wantStderr string
	}{
		{[]string{"change", "create", "--env", "e", "--type", "normal", "--title", "t", "--start", "2026-03-08T02:00:00Z"},
			"andon: --start and --end go together"},
		{[]string{"change", "create", "--env", "e", "--type", "normal", "--title", "t", "--start", "2026-03-08T04:00:00Z", "--end", "2026-03-08T02:00:00Z"},
			"andon: --start and --end: end 2026-03-08T02:00:00Z is not after start 2026-03-08T04:00:00Z"},
		{[]string{"change", "create", "--env", "e", "--type", "normal", "--title", "t", "--end", "soon", "--start", "2026-03-08T02:00:00Z"},
			`andon: --end "soon": want an RFC 3339 time such as 2026-03-08T02:00:00+01:00`},
		{[]string{"change", "create", "--env", "e", "--type", "normal", "--title", "t", "--start", "2026-03-08T02:00:00", "--end", "2026-03-08T04:00:00"},
			`andon: --start "2026-03-08T02:00:00": give the time's zone too, such as 2026-03-08T02:00:00Z or 2026-03-08T02:00:00+01:00`},
		{[]string{"change", "create", "--env", "e", "--type", "normal", "--title", "t", "--start", "2026-12-06T02:00+01:00", "--end", "2026-12-06T04:00:00+01:00"},
			`andon: --start "2026-12-06T02:00+01:00": give the seconds too, such as 2026-12-06T02:00:00+01:00`},
		{[]string{"gate", "--env", "prod-lyon", "--image", image, "--at", "2026-03-08T02:00"},
			`andon: --at "2026-03-08T02:00": give the time's zone too, such as 2026-03-08T02:00:00Z or 2026-03-08T02:00:00+01:00`},
		{[]string{"calendar", "show", "--env", "prod-lyon", "--from", "2026-03-08T02:00:00"},
			`andon: --from "2026-03-08T02:00:00": give the time's zone too, such as 2026-03-08T02:00:00Z or 2026-03-08T02:00:00+01:00`},
		{[]string{"audit", "entries", "--since", "2026-03-08T02:00:00"},
			`andon: --since "2026-03-08T02:00:00": give the time's zone too, such as 2026-03-08T02:00:00Z or 2026-03-08T02:00:00+01:00`},
		{[]string{"change", "create", "--env", "e", "--type", "normal", "--title", "t", "--link", "https://x"},
			`andon: --link "https://x": want KIND=URL such as ticket=https://…`},
		{[]string{"change", "create", "--env", "e", "--type", "normal", "--title", "t", "--image", "odoo:17"},
			`andon: --image: image "odoo:17" is not pinned by digest (want REPOSITORY@sha256:<64 hex digits>)`},
		{[]string{"change", "list", "--image", "odoo:17"},
			`andon: --image: image "odoo:17" is not pinned by digest (want REPOSITORY@sha256:<64 hex digits>)`},
		{[]string{"change", "list", "--image", ""}, `andon: --image: required, a reference pinned by digest (REPOSITORY@sha256:<64 hex digits>)`},
		{[]string{"change", "list", "--process", " "}, `andon: --process: required, a business process of the catalog (andon catalog show lists them)`},
		{[]string{"change", "list", "--env", ""}, `andon: --env: empty, which would filter nothing and list the changes of every one; leave the flag out to mean that`},
		{[]string{"change", "list", "--state", "pending", "--requester", " "}, `andon: --requester: empty, which would filter nothing and list the changes of every one; leave the flag out to mean that`},
		{[]string{"change", "list", "-q", ""}, `andon: --query: empty, which would filter nothing and list the changes of every one; leave the flag out to mean that`},
		{[]string{"change", "create", "--env", "e", "--title", "t"}, `andon: missing --type`},
		{[]string{"change", "reject", "CHG-0042"}, `andon: missing --comment`},
		{[]string{"change", "review", "CHG-0042", "--comment", ""}, "andon: --comment: a review needs its conclusions"},
		{[]string{"change", "approve", "CHG-0042", "CHG-0043"}, "andon: want ID, got 2 arguments (CHG-0042 CHG-0043): andon change approve ID"},
		{[]string{"calendar", "next", "--env", "prod-lyon", "--duration", "-2h"}, "andon: --duration -2h: want a positive duration such as 2h"},
		{[]string{"calendar", "next", "--env", "prod-lyon", "--duration", "2h", "--type", "urgent"}, `andon: --type "urgent": want standard, normal or emergency`},
		{[]string{"calendar", "next", "--env", "prod-lyon", "--duration", "2h", "--type", ""}, `andon: --type "": want standard, normal or emergency`},
		{[]string{"calendar", "next", "--env", "prod-lyon", "--duration", "two hours"},
			`andon: invalid argument "two hours" for "--duration" flag: invalid duration "two hours": use Go units such as 15m or 2h, or whole days such as 7d`},
		{[]string{"calendar", "show", "--env", "prod-lyon", "--to", "2026-04-01T00:00:00Z", "--days", "3"},
			"andon: --to and --days: give one, not both"},
		{[]string{"calendar", "show", "--env", "prod-lyon", "--days", "0"}, "andon: --days 0: want a number of days from 1 to 366"},
		{[]string{"calendar", "show", "--env", "prod-lyon", "--days", "400"}, "andon: --days 400: want a number of days from 1 to 366"},
		{[]string{"calendar", "show", "--env", "prod-lyon", "--from", "2026-01-01T00:00:00Z", "--to", "2027-06-01T00:00:00Z"},
			"andon: --to 2027-06-01T00:00:00Z: more than 366 days after --from 2026-01-01T00:00:00Z"},
		{[]string{"audit", "proof", "forty-one"}, `andon: index "forty-one": want an entry index, 0 or more`},
		{[]string{"whoami", "-o", "xml"}, `andon: --output "xml": want one of table, text, json, yaml`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			api := newAPI(t, allRoutes())
			got := runAPI(t, api, tt.args...)
			if got.code != 2 {
				t.Errorf("exit code = %d, want 2", got.code)
			}
			if !hasLine(got.stderr, tt.wantStderr) {
				t.Errorf("stderr lacks the line %q:\n%s", tt.wantStderr, got.stderr)
			}
			if n := len(api.requests()); n != 0 {
				t.Errorf("%d requests were sent, want none", n)
			}
		})
	}
}

// TestHumanViews checks the table and text views for the columns and
// facts people look for.
func TestHumanViews(t *testing.T) {
	tests := []struct {
		args       []string
		wantStdout []string // lines, in order, with runs of spaces as one
		wantStderr string
	}{
		{
			args: []string{"change", "list"},
			wantStdout: []string{
				"ID ENVIRONMENT TYPE STATE TIER REQUESTER CREATED TITLE",
				"CHG-0042 prod-lyon normal pending critical rachel 2026-03-02 08:00Z Upgrade MRP work orders",
				"CHG-0041 staging-lyon standard completed low ci 2026-03-01 08:00Z Bump Odoo image",
			},
			wantStderr: "2 of 7 changes; the next page: --before CHG-0041\n",
		},
		{
			args: []string{"change", "list", "-o", "table"},
			wantStdout: []string{
				"ID ENVIRONMENT TYPE STATE TIER REQUESTER CREATED TITLE",
				"CHG-0042 prod-lyon normal pending critical rachel 2026-03-02 08:00Z Upgrade MRP work orders",
			},
			wantStderr: "2 of 7 changes; the next page: --before CHG-0041\n",
		},
		{
			// The window as change show gives it: in the plant's time
			// zone first, then in UTC.
			args: []string{"change", "create", "--env", "prod-lyon", "--type", "normal", "--title", "Upgrade MRP work orders"},
			wantStdout: []string{
				"id: CHG-0042", "state: pending", "processes: production",
				"window: Sun 2026-03-08 02:00 CET to Sun 2026-03-08 04:00 CET (Europe/Paris)",
				"2026-03-08 01:00Z to 2026-03-08 03:00Z",
				"tier: critical",
				"reasons: migration touching critical process production",
				"approvals needed: change-manager 1/1 by carol", "process-owner:production 0/1", "platform-admin 0/1",
			},
		},
		{
			args: []string{"change", "approve", "CHG-0042", "--comment", "ok for Sunday"},
			wantStdout: []string{
				"id: CHG-0042", "state: pending", "processes: production",
				"window: Sun 2026-03-08 02:00 CET to Sun 2026-03-08 04:00 CET (Europe/Paris)",
				"2026-03-08 01:00Z to 2026-03-08 03:00Z",
				"tier: critical", "approvals needed: change-manager 1/1 by carol",
			},
		},
		{
			args: []string{"change", "show", "CHG-0042"},
			wantStdout: []string{
				"id: CHG-0042", "title: Upgrade MRP work orders", "environment: prod-lyon", "type: normal", "state: pending",
				"requester: rachel", "description: Fixes the routing bug in work orders.",
				"artifacts: " + image, "modules: mrp_workorder", "migration: true", "components: -", "processes: production",
				// In the plant's time zone first, as the plant plans.
				"window: Sun 2026-03-08 02:00 CET to Sun 2026-03-08 04:00 CET (Europe/Paris)",
				"2026-03-08 01:00Z to 2026-03-08 03:00Z",
				"rollback plan: Redeploy the previous digest and restore the pre-change backup.",
				"links: ticket: https://tickets.example.com/OPS-17",
				"tier: critical", "reasons: migration touching critical process production",
				"approvals needed: change-manager 1/1 by carol", "process-owner:production 0/1", "platform-admin 0/1",
				"decisions: 2026-03-02 09:15Z carol approved as change-manager: ok for Sunday",
				"created: 2026-03-02 08:00Z", "updated: 2026-03-02 09:15Z",
			},
		},
		{
			args: []string{"change", "review", "CHG-0042", "--comment", "root cause: expired certificate"},
			wantStdout: []string{
				"id: CHG-0042", "type: emergency", "state: completed",
				"decisions: 2026-03-02 09:15Z carol approved as change-manager: ok for Sunday",
				"review due: 2026-03-04 10:00Z",
				"review: 2026-03-03 16:20Z bob reviewed it as change-manager: root cause: expired certificate",
			},
		},
		{
			args: []string{"findings"},
			wantStdout: []string{
				"CODE SUBJECT DUE MESSAGE",
				"REVIEW_OVERDUE CHG-0039 2026-03-05 10:00Z emergency change CHG-0039 has no retrospective review",
			},
		},
		{
			// Times are shown in the plant's zone, across the change to
			// summer time on 29 March, and in UTC.
			args: []string{"calendar", "show", "--env", "prod-lyon"},
			wantStdout: []string{
				"WINDOW TYPE START (Europe/Paris) END (Europe/Paris) START (UTC) END (UTC) ALLOWS",
				"sunday-maintenance maintenance Sun 2026-03-08 02:00 CET Sun 2026-03-08 06:00 CET 2026-03-08 01:00Z 2026-03-08 05:00Z -",
				"month-end-close freeze Mon 2026-03-30 00:00 CEST Wed 2026-04-01 00:00 CEST 2026-03-29 22:00Z 2026-03-31 22:00Z emergency",
			},
		},
		{
			args: []string{"calendar", "next", "--env", "prod-lyon", "--duration", "2h"},
			wantStdout: []string{
				"next 2h slot for prod-lyon:",
				"LOCAL (Europe/Paris) UTC",
				"start Sun 2026-03-08 02:00 CET 2026-03-08 01:00Z",
				"end Sun 2026-03-08 04:00 CET 2026-03-08 03:00Z",
				"to request it: --start 2026-03-08T02:00:00+01:00 --end 2026-03-08T04:00:00+01:00",
			},
		},
		{
			args: []string{"calendar", "next", "--env", "prod-lyon", "--duration", "2h", "--type", "normal"},
			wantStdout: []string{
				"next 2h slot for a change of type normal in prod-lyon:",
				"start Sun 2026-03-08 02:00 CET 2026-03-08 01:00Z",
			},
		},
		{
			// An environment the catalog does not know is shown in UTC.
			args: []string{"calendar", "next", "--env", "prod-mars", "--duration", "1h30m"},
			wantStdout: []string{
				"next 1h30m slot for prod-mars:",
				"LOCAL (UTC) UTC",
				"start Sun 2026-03-08 01:00 UTC 2026-03-08 01:00Z",
			},
		},
		{
			args:       []string{"audit", "checkpoint"},
			wantStdout: []string{"origin: andon.example.com/audit", "tree size: 58", "root hash: n2pZ0H6Rf7P0lGNMNlRP8y3mXIu7XjC4HEexsFzqSbI=", "", "andon.example.com/audit", "58"},
		},
		{
			args: []string{"audit", "entries"},
			wantStdout: []string{
				"INDEX TIME TYPE ACTOR SUBJECT DATA",
				`41 2026-03-02 09:15Z change.approved carol CHG-0042 {"role": "change-manager"}`,
				`42 2026-03-02 09:20Z gate.decided ci prod-lyon {"allow": false}`,
			},
		},
		{
			args: []string{"audit", "entries", "--limit", "2"},
			wantStdout: []string{
				"INDEX TIME TYPE ACTOR SUBJECT DATA",
				`41 2026-03-02 09:15Z change.approved carol CHG-0042 {"role": "change-manager"}`,
				`42 2026-03-02 09:20Z gate.decided ci prod-lyon {"allow": false}`,
			},
			wantStderr: "2 entries; there may be more: --after 42 for the next ones\n",
		},
		{
			args: []string{"audit", "proof", "41"},
			wantStdout: []string{
				"index: 41", "leaf hash: uGfzCP3xo7mIu4H4P7fZr9w6mS4LGfl3yK4C0h0W8QY=",
				"proof: 0K7m7R4DV6nQy8vZ2m3gJ5PzJ7oA1k1yA1bGxJ4rXqk=", "Lq9kBrD1dXyq3pG8c6bHk0m2YkO1x0H9vE5sJ3nQf2w=",
				"checkpoint:", "tree size: 58",
			},
		},
		{
			args:       []string{"whoami", "-o", "text"},
			wantStdout: []string{"name: carol", "roles: change-manager", "process-owner:finance"},
		},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			api := newAPI(t, allRoutes())
			got := runAPI(t, api, tt.args...)
			if got.code != 0 {
				t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", got.code, got.stdout, got.stderr)
			}
			if !containsInOrder(squeeze(got.stdout), tt.wantStdout) {
				t.Errorf("stdout lacks, in order, %q:\n%s", tt.wantStdout, got.stdout)
			}
			if got.stderr != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", got.stderr, tt.wantStderr)
			}
		})
	}
}

// squeeze trims every line and turns runs of spaces into one, so that
// tests do not depend on column widths.
func squeeze(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

// TestEmptyLists checks that an empty list is a note for people on stderr
// and an empty list, not null, for programs.
func TestEmptyLists(t *testing.T) {
	api := newAPI(t, map[string]route{
		"GET /api/v1/changes":       {status: 200, body: `{"changes": [], "total": 0}`},
		"GET /api/v1/findings":      {status: 200, body: `{"findings": null}`},
		"GET /api/v1/calendar":      {status: 200, body: `{"environment": "dev-lyon", "occurrences": []}`},
		"GET /api/v1/audit/entries": {status: 200, body: `{"entries": []}`},
	})
	tests := []struct {
		args       []string
		wantStderr string
		wantJSON   string
	}{
		{[]string{"change", "list"}, "no changes\n", `{"changes": [], "total": 0}`},
		{[]string{"findings"}, "no findings\n", `{"findings": []}`},
		{[]string{"calendar", "show", "--env", "dev-lyon"}, "no windows apply to dev-lyon in this range\n", `{"environment": "dev-lyon", "occurrences": []}`},
		{[]string{"audit", "entries"}, "no entries\n", `{"entries": []}`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got := runAPI(t, api, tt.args...)
			if got.code != 0 || got.stdout != "" || got.stderr != tt.wantStderr {
				t.Errorf("got exit code %d, stdout %q, stderr %q; want 0, nothing, %q", got.code, got.stdout, got.stderr, tt.wantStderr)
			}
			got = runAPI(t, api, append(tt.args, "-o", "json")...)
			var gotDoc, wantDoc any
			if err := json.Unmarshal([]byte(got.stdout), &gotDoc); err != nil {
				t.Fatalf("-o json: %v: %q", err, got.stdout)
			}
			if err := json.Unmarshal([]byte(tt.wantJSON), &wantDoc); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantDoc, gotDoc); diff != "" {
				t.Errorf("-o json mismatch (-want +got):\n%s", diff)
			}
			if got.stderr != "" {
				t.Errorf("-o json: stderr = %q, want nothing", got.stderr)
			}
		})
	}
}

// TestCatalogUnavailable checks that the calendar still answers, in UTC,
// when the catalog cannot be read for the time zone.
func TestCatalogUnavailable(t *testing.T) {
	routes := allRoutes()
	routes["GET /api/v1/catalog"] = route{status: 403, body: `{"code": "forbidden", "message": "auditors only"}`}
	api := newAPI(t, routes)
	got := runAPI(t, api, "calendar", "next", "--env", "prod-lyon", "--duration", "2h")
	if got.code != 0 {
		t.Fatalf("exit code %d: %s", got.code, got.stderr)
	}
	if want := "andon: warning: cannot read the time zone of prod-lyon, showing UTC: auditors only\n"; got.stderr != want {
		t.Errorf("stderr = %q, want %q", got.stderr, want)
	}
	if want := "start Sun 2026-03-08 01:00 UTC 2026-03-08 01:00Z"; !hasLine(squeeze(got.stdout), want) {
		t.Errorf("stdout lacks %q:\n%s", want, got.stdout)
	}
	// A change's window is then shown in UTC alone.
	got = runAPI(t, api, "change", "show", "CHG-0042")
	if got.code != 0 {
		t.Fatalf("change show: exit code %d: %s", got.code, got.stderr)
	}
	if want := "andon: warning: cannot read the time zone of prod-lyon, showing UTC: auditors only\n"; got.stderr != want {
		t.Errorf("change show: stderr = %q, want %q", got.stderr, want)
	}
	if want := "window: 2026-03-08 01:00Z to 2026-03-08 03:00Z"; !hasLine(squeeze(got.stdout), want) || strings.Contains(got.stdout, "CET") {
		t.Errorf("change show: stdout lacks %q, or shows a local time:\n%s", want, got.stdout)
	}
}

// TestCatalogDirOffline checks the commands that read a catalog directory
// offline: one that is not there is said to be missing, not a catalog with
// a problem in a file of its path given twice, and an invalid one's
// problems name their files from the working directory, as andon catalog
// validate prints them.
func TestCatalogDirOffline(t *testing.T) {
	missing := filepath.Join("testdata", "catalog", "missing")
	bad := filepath.Join("testdata", "catalog", "bad")
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	mustWriteFile(t, caFile, "not read: the catalog comes first\n")
	commands := map[string]func(dir string) []string{
		"catalog show": func(dir string) []string { return []string{"catalog", "show", dir} },
		"policy test": func(dir string) []string {
			return []string{"policy", "test", "--catalog", dir, filepath.Join(stacks, "good-production")}
		},
		"kube webhook-config": func(dir string) []string {
			return []string{"kube", "webhook-config", "--catalog", dir, "--service", "andon/andon", "--ca-bundle", caFile}
		},
		"odoo impact": func(dir string) []string {
			return []string{"odoo", "impact", "--repo", t.TempDir(), "--from", "v1", "--to", "v2", "--catalog", dir}
		},
	}
	for name, args := range commands {
		t.Run(name, func(t *testing.T) {
			what := "--catalog"
			if name == "catalog show" {
				what = "catalog directory"
			}
			env := map[string]string{"ANDON_SERVER": closedServer(t)}
			got := runCLI(t, env, args(missing)...)
			if want := "andon: " + what + " " + missing + ": no such directory (want the directory of the catalog's YAML files)\n"; got.code != 2 || got.stderr != want {
				t.Errorf("missing directory: exit %d, stderr %q; want 2, %q", got.code, got.stderr, want)
			}
			got = runCLI(t, env, args(bad)...)
			if want := "\n" + filepath.Join(bad, "plants.yaml") + ":5: Plant/lyon: spec.timezone:"; got.code != 2 || !strings.Contains(got.stderr, want) {
				t.Errorf("invalid catalog: exit %d, stderr %q; want 2, with %q", got.code, got.stderr, want)
			}
		})
	}
}

func TestCatalogValidate(t *testing.T) {
	good := filepath.Join("testdata", "catalog", "good")
	bad := filepath.Join("testdata", "catalog", "bad")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{
			name:       "valid",
			args:       []string{good},
			wantStdout: good + ": ok (1 plant, 1 process, 1 environment, 1 window, 1 team)\n",
		},
		{
			name:     "problems",
			args:     []string{bad},
			wantCode: 1,
			wantStdout: filepath.Join(bad, "environments.yaml") + `:7: Environment/prod-lyon: spec.plants[1]: unknown Plant "paris"` + "\n" +
				filepath.Join(bad, "plants.yaml") + `:5: Plant/lyon: spec.timezone: "Europe/Lyon" is not a known IANA time zone such as Europe/Paris` + "\n",
			wantStderr: "andon: " + bad + ": 2 problems\n",
		},
		{
			name:       "missing directory",
			args:       []string{filepath.Join("testdata", "catalog", "missing")},
			wantCode:   2,
			wantStderr: "andon: catalog directory testdata/catalog/missing: no such directory (want the directory of the catalog's YAML files)\n",
		},
		{
			name:       "a file, not a directory",
			args:       []string{filepath.Join(good, "estate.yaml")},
			wantCode:   2,
			wantStderr: "andon: catalog directory testdata/catalog/good/estate.yaml: not a directory (want the directory of the catalog's YAML files)\n",
		},
		{
			name:       "no directory",
			args:       nil,
			wantCode:   2,
			wantStderr: "andon: missing DIR: andon catalog validate DIR\nRun 'andon catalog validate --help' for usage.\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// No server: validation is offline.
			got := runCLI(t, map[string]string{"ANDON_SERVER": closedServer(t)}, append([]string{"catalog", "validate"}, tt.args...)...)
			if got.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", got.code, tt.wantCode)
			}
			if got.stdout != tt.wantStdout {
				t.Errorf("stdout mismatch (-want +got):\n%s", cmp.Diff(tt.wantStdout, got.stdout))
			}
			if got.stderr != tt.wantStderr {
				t.Errorf("stderr mismatch (-want +got):\n%s", cmp.Diff(tt.wantStderr, got.stderr))
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		for _, tt := range []struct {
			dir       string
			wantCode  int
			wantValid bool
			wantN     int
		}{{good, 0, true, 0}, {bad, 1, false, 2}} {
			got := runCLI(t, nil, "catalog", "validate", tt.dir, "-o", "json")
			var v struct {
				Valid    *bool            `json:"valid"`
				Problems []map[string]any `json:"problems"`
			}
			if err := json.Unmarshal([]byte(got.stdout), &v); err != nil {
				t.Fatalf("%s: %v: %q", tt.dir, err, got.stdout)
			}
			if got.code != tt.wantCode || v.Valid == nil || *v.Valid != tt.wantValid || len(v.Problems) != tt.wantN || v.Problems == nil {
				t.Errorf("%s: exit code %d, output %s; want %d, valid %v, %d problems", tt.dir, got.code, got.stdout, tt.wantCode, tt.wantValid, tt.wantN)
			}
			for _, p := range v.Problems {
				for _, k := range []string{"file", "line", "document", "field", "message"} {
					if _, ok := p[k]; !ok {
						t.Errorf("%s: problem %v lacks %q", tt.dir, p, k)
					}
				}
			}
		}
	})

	// A calendar file with a milestone, an event that lasts no time: the
	// catalog is valid, and the event it skips is a warning.
	t.Run("warnings", func(t *testing.T) {
		dir := t.TempDir()
		estate, err := os.ReadFile(filepath.Join(good, "estate.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" +
			"BEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=Europe/Paris:20260803T000000\r\nDTEND;TZID=Europe/Paris:20260817T000000\r\nEND:VEVENT\r\n" +
			"BEGIN:VEVENT\r\nUID:b\r\nSUMMARY:Go-live\r\nDTSTART;TZID=Europe/Paris:20260915T080000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		for name, data := range map[string]string{
			"estate.yaml":             string(estate),
			"shutdowns.yaml":          "apiVersion: andon/v1\nkind: Window\nmetadata: {name: shutdowns}\nspec:\n  type: freeze\n  ics: calendars/shutdowns.ics\n",
			"calendars/shutdowns.ics": ics,
		} {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// A warning names the file from the working directory, as a
		// problem does.
		warning := catalog.Problem{File: filepath.Join(dir, "shutdowns.yaml"), Line: 6, Document: "Window/shutdowns", Field: "spec.ics",
			Message: `calendars/shutdowns.ics:11: VEVENT "Go-live" skipped: it has neither DTEND nor DURATION, which RFC 5545 reads as ending at DTSTART, so it lasts no time and covers no instant of the window`}
		got := runCLI(t, nil, "catalog", "validate", dir)
		if want := dir + ": ok (1 plant, 1 process, 1 environment, 2 windows, 1 team)\n"; got.code != 0 || got.stdout != want {
			t.Errorf("exit code %d, stdout %q; want 0, %q", got.code, got.stdout, want)
		}
		if want := "andon: warning: " + warning.String() + "\n"; got.stderr != want {
			t.Errorf("stderr mismatch (-want +got):\n%s", cmp.Diff(want, got.stderr))
		}
		got = runCLI(t, nil, "catalog", "validate", dir, "-o", "json")
		var v struct {
			Valid    bool              `json:"valid"`
			Warnings []catalog.Problem `json:"warnings"`
		}
		if err := json.Unmarshal([]byte(got.stdout), &v); err != nil {
			t.Fatalf("%v: %q", err, got.stdout)
		}
		if got.code != 0 || !v.Valid || !cmp.Equal(v.Warnings, []catalog.Problem{warning}) {
			t.Errorf("-o json: exit code %d, output %s; want 0, valid, the warning", got.code, got.stdout)
		}
	})
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		got := runCLI(t, nil, "completion", shell)
		if got.code != 0 || !strings.Contains(got.stdout, "andon") || got.stderr != "" {
			t.Errorf("completion %s: exit code %d, %d bytes of script, stderr %q", shell, got.code, len(got.stdout), got.stderr)
		}
	}
	got := runCLI(t, nil, "completion", "bash")
	if !strings.Contains(got.stdout, "__start_andon") {
		t.Errorf("bash script lacks __start_andon:\n%.400s", got.stdout)
	}

	// The script asks the binary itself for candidates.
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"ch"}, []string{"change"}},
		{[]string{"change", "list", "--state", ""}, []string{"pending", "approved", "rejected", "implementing", "completed", "failed", "rolled-back", "cancelled"}},
		{[]string{"change", "create", "--type", ""}, []string{"standard", "normal", "emergency"}},
		{[]string{"change", "list", "--type", ""}, []string{"standard", "normal", "emergency"}},
		{[]string{"gate", "-o", ""}, []string{"table", "text", "json", "yaml"}},
	}
	for _, tt := range tests {
		got := runCLI(t, nil, append([]string{"__complete"}, tt.args...)...)
		if got.code != 0 {
			t.Errorf("__complete %q: exit code %d: %s", tt.args, got.code, got.stderr)
			continue
		}
		var cands []string
		for _, l := range strings.Split(got.stdout, "\n") {
			if l != "" && !strings.HasPrefix(l, ":") {
				cands = append(cands, strings.SplitN(l, "\t", 2)[0])
			}
		}
		if diff := cmp.Diff(tt.want, cands); diff != "" {
			t.Errorf("__complete %q mismatch (-want +got):\n%s", tt.args, diff)
		}
	}
}

// TestChangeShowReviewDue says of a retrospective review still owed
// whether its time has passed, and by how long, where it printed the due
// time alone; -o json keeps the change as the API sends it.
func TestChangeShowReviewDue(t *testing.T) {
	change := func(id, due string) string {
		return `{"id": "` + id + `", "environment": "prod-lyon", "type": "emergency", "title": "Labels do not print",
			"state": "completed", "requester": "alice", "facts": {"modules": null, "migration": false, "components": null},
			"risk": {"tier": "high"}, "reviewDue": "` + due + `",
			"createdAt": "2026-03-02T08:00:00Z", "updatedAt": "2026-03-02T09:00:00Z"}`
	}
	api := newAPI(t, map[string]route{
		"GET /api/v1/changes/CHG-0050": {status: 200, body: change("CHG-0050", "2026-03-04T10:00:00Z")},
		"GET /api/v1/changes/CHG-0051": {status: 200, body: change("CHG-0051", "2199-03-04T10:00:00Z")},
	})
	tests := []struct {
		id, due string
		want    *regexp.Regexp
	}{
		{"CHG-0050", "2026-03-04T10:00:00Z", regexp.MustCompile(`(?m)^review due: +2026-03-04 10:00Z \(overdue by \d+d( \d+h)?\)$`)},
		{"CHG-0051", "2199-03-04T10:00:00Z", regexp.MustCompile(`(?m)^review due: +2199-03-04 10:00Z \(in \d+d( \d+h)?\)$`)},
	}
	for _, tt := range tests {
		got := runAPI(t, api, "change", "show", tt.id)
		if got.code != 0 || !tt.want.MatchString(got.stdout) {
			t.Errorf("change show %s: exit code %d, stdout:\n%s\nwant a line matching %s", tt.id, got.code, got.stdout, tt.want)
		}
		js := runAPI(t, api, "change", "show", tt.id, "-o", "json")
		var doc map[string]any
		if err := json.Unmarshal([]byte(js.stdout), &doc); err != nil || doc["reviewDue"] != tt.due {
			t.Errorf("change show %s -o json: reviewDue %v (%v), want it as the API sent it", tt.id, doc["reviewDue"], err)
		}
	}
}
