package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRecordedBodiesMatchTheServer checks the fidelity of the bodies that
// the client and CLI tests replay (client/testdata): every field they hold
// is one the real server sends for the same request. A field renamed or
// dropped on the server fails here instead of passing against stale
// recordings.
func TestRecordedBodiesMatchTheServer(t *testing.T) {
	s := MustServe(t, t.TempDir())
	// Give the server something to show: a staged, then approved and
	// deployed change, a rejected one, and an audit log.
	res := mustJSON[struct{ Change struct{ ID string } }](t, s, "alice", 0, "gate", "--env", "staging-lyon", "--image", imageRelease)
	s.as(t, "alice", "change", "complete", res.Change.ID)
	now := time.Now()
	c := mustJSON[struct{ ID string }](t, s, "alice", 0, "change", "create", "--env", "prod-lyon", "--type", "normal",
		"--title", "fidelity", "--image", imageRelease, "--module", "mrp_workorder", "--migration",
		"--start", now.Add(-time.Minute).Format(time.RFC3339), "--end", now.Add(time.Hour).Format(time.RFC3339),
		"--rollback-plan", "redeploy", "--link", "ticket=https://tickets.example.com/1", "--description", "checks the recordings")
	for _, u := range []string{"bob", "carol", "dave"} {
		if r := s.as(t, u, "change", "approve", c.ID, "--comment", "ok"); r.code != 0 {
			t.Fatalf("%s approves: %s", u, r.stderr)
		}
	}
	frozen := frozenNow(t, s, "prod-lyon")

	get := func(method, path, user, body string) []byte {
		t.Helper()
		b, _ := io.ReadAll(s.do(t, method, path, user, body).Body)
		return b
	}
	gate := `{"environment":"prod-lyon","image":"` + imageRelease + `"}`
	tests := []struct {
		file, method, path, user, body string
	}{
		{"me.json", "GET", "/api/v1/me", "alice", ""},
		{"change.json", "GET", "/api/v1/changes/" + c.ID, "alice", ""},
		{"changes.json", "GET", "/api/v1/changes", "alice", ""},
		{"calendar.json", "GET", "/api/v1/calendar?env=prod-lyon&from=" + now.Format(time.RFC3339) + "&to=" + now.Add(40*24*time.Hour).Format(time.RFC3339), "alice", ""},
		{"next.json", "GET", "/api/v1/calendar/next?env=prod-lyon&duration=1h", "alice", ""},
		{"catalog.json", "GET", "/api/v1/catalog", "alice", ""},
		{"checkpoint.json", "GET", "/api/v1/audit/checkpoint", "frank", ""},
		{"entries.json", "GET", "/api/v1/audit/entries", "frank", ""},
		{"proof.json", "GET", "/api/v1/audit/proof?index=3", "frank", ""},
		{"gate-allow.json", "POST", "/api/v1/gate", "alice", gate},
		{"gate-deny.json", "POST", "/api/v1/gate", "alice", `{"environment":"prod-geelong","image":"` + imageRelease + `"}`},
		{"gate-bad.json", "POST", "/api/v1/gate", "alice", `{"environment":"prod-mars","image":"` + imageRelease + `"}`},
		{"error-forbidden.json", "POST", "/api/v1/changes/" + c.ID + "/approvals", "alice", `{"verdict":"approve"}`},
		{"error-notfound.json", "GET", "/api/v1/changes/CHG-404", "alice", ""},
		{"error-unauthorized.json", "GET", "/api/v1/me", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			if tt.file == "gate-allow.json" && frozen {
				t.Skip("a freeze is on in prod-lyon now: no allowed answer to compare with")
			}
			recordedBody, err := os.ReadFile(filepath.Join(recorded, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			real := keyPaths(t, get(tt.method, tt.path, tt.user, tt.body))
			for _, p := range keyPaths(t, recordedBody) {
				// An audit entry's data differs by event type.
				if strings.Contains(p, "].data.") {
					continue
				}
				if !slices.Contains(real, p) {
					t.Errorf("recorded field %s is not in the server's answer (server sends %v)", p, real)
				}
			}
		})
	}
}

// keyPaths lists the paths of every object key in a JSON document, with
// "[]" for array elements: {"a":[{"b":1}]} gives a, a[].b.
func keyPaths(t *testing.T, body []byte) []string {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	var paths []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, child := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				paths = append(paths, p)
				walk(p, child)
			}
		case []any:
			for _, child := range x {
				walk(prefix+"[]", child)
			}
		}
	}
	walk("", v)
	slices.Sort(paths)
	return slices.Compact(paths)
}
