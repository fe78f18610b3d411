package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
)

// TestIncidentStopsProduction pulls the andon cord from the command line
// and from Alertmanager: an open critical incident of a plant stops its
// production at the gate, not its staging, until it is resolved.
func TestIncidentStopsProduction(t *testing.T) {
	s := MustServe(t, t.TempDir())
	wantExit(t, s.as(t, "alice", "incident", "open", "--title", "MRP down", "--plant", "lyom"), 2, `--plant: "lyom" is not in the catalog; did you mean lyon?`)
	wantExit(t, s.as(t, "alice", "incident", "open", "--title", "MRP down"), 2, "say what the incident stops")
	wantExit(t, s.as(t, "alice", "incident", "open", "--title", "MRP down", "--global", "--plant", "lyon"), 2, "--global stops every environment: give it without --plant")
	// A limit the server would not take is refused, not read as its default.
	wantExit(t, s.as(t, "alice", "incident", "list", "--limit", "0"), 2, "--limit 0: give at least 1")
	wantExit(t, s.as(t, "alice", "incident", "list", "--limit", "-1"), 2, "--limit: -1 is not between 1 and 1000")
	inc := mustJSON[andon.Incident](t, s, "alice", 0, "incident", "open", "--title", "MRP scheduler down", "--plant", "lyon")
	if inc.ID != "INC-1" || inc.Severity != andon.LevelCritical || inc.State != andon.IncidentOpen {
		t.Fatalf("incident = %+v; want INC-1, critical and open", inc)
	}
	res := mustJSON[andon.GateResult](t, s, "alice", 1, "gate", "--env", "prod-lyon", "--image", imageRelease, "--dry-run")
	if !strings.Contains(strings.Join(reasonCodes(res), ","), "INCIDENT_OPEN") {
		t.Fatalf("production gate = %+v; want INCIDENT_OPEN", res)
	}
	if res := mustJSON[andon.GateResult](t, s, "alice", 0, "gate", "--env", "staging-lyon", "--image", imageRelease, "--dry-run"); !res.Allow {
		t.Fatalf("staging gate = %+v; want allowed", res)
	}
	wantExit(t, s.as(t, "frank", "incident", "resolve", "INC-1", "--comment", "fine"), 1, "frank may not resolve incident INC-1")
	// A resolved incident stops nothing: its view says its scope.
	if r := s.as(t, "bob", "incident", "resolve", "inc-1", "--comment", "scheduler restarted"); r.code != 0 || !strings.Contains(r.stdout, "resolved:") ||
		!strings.Contains(r.stdout, "scope:     plants lyon") || strings.Contains(r.stdout, "stops:") {
		t.Fatalf("resolve: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	res = mustJSON[andon.GateResult](t, s, "alice", 1, "gate", "--env", "prod-lyon", "--image", imageRelease, "--dry-run")
	if strings.Contains(strings.Join(reasonCodes(res), ","), "INCIDENT_OPEN") {
		t.Fatalf("production gate once resolved = %+v; want no INCIDENT_OPEN", res)
	}

	// Alertmanager's notification, with the members andon does not read.
	firing := `{"version": "4", "groupKey": "{}:{alertname=\"OdooDown\"}", "truncatedAlerts": 0, "status": "firing", "receiver": "andon",
		"groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
		"alerts": [{"status": "firing", "labels": {"alertname": "OdooDown", "severity": "critical", "namespace": "odoo-lyon", "cluster": "eu-1"},
			"annotations": {"summary": "Odoo answers no request"}, "startsAt": "2026-11-28T10:30:00Z", "endsAt": "0001-01-01T00:00:00Z",
			"generatorURL": "http://prometheus:9090/graph", "fingerprint": "1f2e3d4c5b6a7980"}]}`
	resp := s.do(t, "POST", "/api/v1/incidents/alertmanager", "dave", firing)
	body, _ := io.ReadAll(resp.Body)
	var got andon.AlertsReceived
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &got) != nil || strings.Join(got.Opened, ",") != "am-1f2e3d4c5b6a7980" {
		t.Fatalf("alertmanager: %d %s; want am-1f2e3d4c5b6a7980 opened", resp.StatusCode, body)
	}
	list := mustJSON[struct{ Incidents []andon.Incident }](t, s, "alice", 0, "incident", "list", "--state", "open")
	if len(list.Incidents) != 1 || list.Incidents[0].Source != andon.SourceAlertmanager || list.Incidents[0].Title != "OdooDown: Odoo answers no request" {
		t.Fatalf("open incidents = %+v", list.Incidents)
	}
	// A listing of one severity: the alert's incident is critical.
	wantExit(t, s.as(t, "alice", "incident", "list", "--severity", "urgent"), 2, `--severity: "urgent" is not one of critical, high, medium, low`)
	if list := mustJSON[struct{ Incidents []andon.Incident }](t, s, "alice", 0, "incident", "list", "--state", "open", "--severity", "critical"); len(list.Incidents) != 1 {
		t.Fatalf("open critical incidents = %+v, want the alert's", list.Incidents)
	}
	if r := s.as(t, "alice", "incident", "list", "--severity", "high"); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "no incidents") {
		t.Fatalf("high incidents: exit %d\n%s%s; want none", r.code, r.stdout, r.stderr)
	}
	res = mustJSON[andon.GateResult](t, s, "alice", 1, "gate", "--env", "prod-lyon", "--image", imageRelease, "--dry-run")
	if !strings.Contains(res.Reasons[0].Message+res.Reasons[1].Message, "am-1f2e3d4c5b6a7980") {
		t.Fatalf("gate = %+v; want the alert's incident named", res)
	}
	resp = s.do(t, "POST", "/api/v1/incidents/alertmanager", "dave", strings.ReplaceAll(firing, `"status": "firing"`, `"status": "resolved"`))
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"resolved":["am-1f2e3d4c5b6a7980"]`) {
		t.Fatalf("alertmanager resolved: %d %s", resp.StatusCode, body)
	}
	resp = s.do(t, "POST", "/api/v1/incidents/alertmanager", "dave", strings.Replace(firing, `"version": "4"`, `"version": "3"`, 1))
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `version: \"3\"`) {
		t.Fatalf("alertmanager version 3: %d %s; want a 400 naming the version", resp.StatusCode, body)
	}
}

// incident list pages through the incidents with --offset, in the order
// it lists them: the open ones first, the latest updated first.
func TestIncidentListPages(t *testing.T) {
	s := MustServe(t, t.TempDir())
	for _, title := range []string{"MRP down", "Scanner down", "Labels down"} {
		wantExit(t, s.as(t, "alice", "incident", "open", "--title", title, "--plant", "lyon", "--severity", "low"), 0, "")
	}
	ids := func(args ...string) string {
		t.Helper()
		list := mustJSON[struct{ Incidents []andon.Incident }](t, s, "alice", 0, append([]string{"incident", "list"}, args...)...)
		var got []string
		for _, inc := range list.Incidents {
			got = append(got, inc.ID)
		}
		return strings.Join(got, ",")
	}
	if got := ids("--limit", "2"); got != "INC-3,INC-2" {
		t.Errorf("first page: %s, want INC-3,INC-2", got)
	}
	if got := ids("--limit", "2", "--offset", "2"); got != "INC-1" {
		t.Errorf("second page: %s, want INC-1", got)
	}
	if got := ids("--offset", "3"); got != "" {
		t.Errorf("past the end: %s, want none", got)
	}
	wantExit(t, s.as(t, "alice", "incident", "list", "--offset", "-1"), 2, "--offset: -1 is not between 0")
}

// The help of incident says what the default policy stops: changes to
// production, not those of staging, where the fix is tried first.
func TestIncidentHelpSaysProduction(t *testing.T) {
	r := runCLI(t, nil, "incident", "--help")
	if r.code != 0 || !strings.Contains(strings.Join(strings.Fields(r.stdout), " "), "refuses every change to production but an emergency one") ||
		!strings.Contains(r.stdout, "an incident stops nothing") {
		t.Fatalf("incident --help: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Below critical, an incident stops nothing under the default policy.
	r = runCLI(t, nil, "incident", "open", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "a critical one stops the changes to production in its scope") ||
		!strings.Contains(r.stdout, "stops the changes to production for a critical one only") {
		t.Fatalf("incident open --help: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// change create warns that the gate refuses a change to production while
// an open critical incident stops it, naming the incidents; not an
// emergency change, nor one to staging, nor once they are resolved, and
// the JSON output's standard error says nothing.
func TestIncidentWarnsChangeCreate(t *testing.T) {
	s := MustServe(t, t.TempDir())
	create := func(env, typ string, more ...string) result {
		t.Helper()
		r := s.as(t, "alice", append([]string{"change", "create", "--env", env, "--type", typ, "--title", "Stock release",
			"--image", "registry.example.com/odoo/odoo-lyon@sha256:" + strings.Repeat("ab", 32)}, more...)...)
		if r.code != 0 {
			t.Fatalf("create: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		return r
	}
	if r := create("prod-lyon", "normal"); strings.Contains(r.stderr, "incident") {
		t.Errorf("create with no incident open warns of one:\n%s", r.stderr)
	}
	mustJSON[andon.Incident](t, s, "alice", 0, "incident", "open", "--title", "MRP scheduler down", "--plant", "lyon")
	mustJSON[andon.Incident](t, s, "alice", 0, "incident", "open", "--title", "slow reports", "--plant", "lyon", "--severity", "high")
	r := create("prod-lyon", "normal")
	id := strings.Fields(strings.TrimPrefix(r.stdout, "id:"))[0]
	if want := "andon: warning: prod-lyon is stopped by the open critical incident INC-1 (MRP scheduler down): the gate refuses " + id +
		" (a normal change) until it is resolved; only an emergency change goes through meanwhile\n"; !strings.Contains(r.stderr, want) {
		t.Errorf("create during a critical incident: stderr lacks %q:\n%s", want, r.stderr)
	}
	// Whoever is asked to approve it is told too.
	if r := s.as(t, "bob", "change", "show", id); r.code != 0 || !strings.Contains(r.stderr, "is stopped by the open critical incident INC-1") {
		t.Errorf("change show during a critical incident: exit %d, no warning:\n%s", r.code, r.stderr)
	}
	mustJSON[andon.Incident](t, s, "alice", 0, "incident", "open", "--title", "Odoo down", "--namespace", "odoo-lyon")
	if r := create("prod-lyon", "standard"); !strings.Contains(r.stderr, "the open critical incidents INC-3 (Odoo down), INC-1 (MRP scheduler down): the gate refuses") ||
		!strings.Contains(r.stderr, "until they are resolved") {
		t.Errorf("create during two critical incidents: want both named:\n%s", r.stderr)
	}
	if r := create("prod-lyon", "emergency", "--rollback-plan", "redeploy the previous image"); strings.Contains(r.stderr, "incident") {
		t.Errorf("an emergency change, which the gate lets through, is warned about:\n%s", r.stderr)
	}
	if r := create("staging-lyon", "normal"); strings.Contains(r.stderr, "incident") {
		t.Errorf("a change to staging, which an incident does not stop, is warned about:\n%s", r.stderr)
	}
	if r := create("prod-lyon", "normal", "-o", "json"); strings.Contains(r.stderr, "incident") {
		t.Errorf("create -o json warns on stderr:\n%s", r.stderr)
	}
	for _, id := range []string{"INC-1", "INC-3"} {
		if r := s.as(t, "bob", "incident", "resolve", id, "--comment", "fixed"); r.code != 0 {
			t.Fatalf("resolve %s: exit %d\n%s", id, r.code, r.stderr)
		}
	}
	if r := create("prod-lyon", "normal"); strings.Contains(r.stderr, "incident") {
		t.Errorf("create once the incidents are resolved warns of one:\n%s", r.stderr)
	}
}

// calendar next gives a slot while an open critical incident stops the
// environment, and notes on standard error the incidents that stop it
// now; not for an emergency change, nor another plant's, nor in JSON.
func TestIncidentNotedByCalendarNext(t *testing.T) {
	s := MustServe(t, t.TempDir())
	next := func(env string, more ...string) result {
		t.Helper()
		r := s.as(t, "alice", append([]string{"calendar", "next", "--env", env, "--duration", "1h"}, more...)...)
		if r.code != 0 || !strings.Contains(r.stdout, "to request it: --start") && !strings.Contains(r.stdout, `"start"`) {
			t.Fatalf("calendar next: exit %d, want a slot\n%s%s", r.code, r.stdout, r.stderr)
		}
		return r
	}
	if r := next("prod-lyon"); strings.Contains(r.stderr, "incident") {
		t.Errorf("calendar next with no incident open notes one:\n%s", r.stderr)
	}
	mustJSON[andon.Incident](t, s, "alice", 0, "incident", "open", "--title", "MRP scheduler down", "--plant", "lyon")
	want := "note: prod-lyon is stopped now by the open critical incident INC-1 (MRP scheduler down): the gate refuses every change to it but an emergency one until it is resolved, so the slot is usable only then\n"
	for _, typ := range [][]string{nil, {"--type", "normal"}} {
		if r := next("prod-lyon", typ...); !strings.Contains(r.stderr, want) {
			t.Errorf("calendar next %v during a critical incident: stderr lacks %q:\n%s", typ, want, r.stderr)
		}
	}
	for _, args := range [][]string{{"prod-lyon", "--type", "emergency"}, {"prod-geelong"}, {"prod-lyon", "-o", "json"}} {
		if r := next(args[0], args[1:]...); strings.Contains(r.stderr, "incident") {
			t.Errorf("calendar next --env %v notes an incident:\n%s", args, r.stderr)
		}
	}
}
