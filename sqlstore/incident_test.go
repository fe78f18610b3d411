package sqlstore_test

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

// geelongDown is an open critical incident of the Geelong plant.
var geelongDown = andon.IncidentRequest{Title: "MRP scheduler down", Severity: andon.LevelCritical,
	Scope: andon.IncidentScope{Plants: []string{"geelong"}}}

// The IDs andon gives its incidents are upper case, so one typed in
// another case (inc-1) names the incident, to read and to resolve; an ID
// given by the tool that tracks it, such as Alertmanager's am-<fingerprint>,
// is taken as it is.
func TestIncidentIDInAnyCase(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		inc, err := e.incidents.OpenIncident(as("alice"), &geelongDown)
		if err != nil || inc.ID != "INC-1" {
			t.Fatalf("open = %+v, %v; want INC-1", inc, err)
		}
		if got, err := e.incidents.FindIncidentByID(context.Background(), "inc-1"); err != nil || got.ID != "INC-1" {
			t.Fatalf("find inc-1 = %+v, %v; want INC-1", got, err)
		}
		if got, err := e.incidents.ResolveIncident(as("alice"), "Inc-1", "scheduler restarted"); err != nil || got.ID != "INC-1" || got.State != andon.IncidentResolved {
			t.Fatalf("resolve Inc-1 = %+v, %v; want INC-1 resolved", got, err)
		}
		down := alert("a1b2c3d4", map[string]string{"alertname": "OdooDown", "severity": "critical", "plant": "geelong"})
		if _, err := e.incidents.ReceiveAlerts(as("alertmanager"), &andon.AlertNotification{Version: "4", Alerts: []andon.Alert{down}}); err != nil {
			t.Fatal(err)
		}
		if got, err := e.incidents.FindIncidentByID(context.Background(), "am-a1b2c3d4"); err != nil || got.ID != "am-a1b2c3d4" {
			t.Fatalf("find am-a1b2c3d4 = %+v, %v", got, err)
		}
	})
}

// An open critical incident stops the changes of its plant's production
// at the gate, and at a start by hand, until it is resolved; an incident
// of another plant stops nothing there.
func TestIncidentStopsTheGate(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.MustStage(t, imageStaged)
		c := approvedInWindow(t, e)
		lyon := geelongDown
		lyon.Scope = andon.IncidentScope{Plants: []string{"lyon"}}
		if _, err := e.incidents.OpenIncident(as("alice"), &lyon); err != nil {
			t.Fatal(err)
		}
		inc, err := e.incidents.OpenIncident(as("alice"), &geelongDown)
		if err != nil {
			t.Fatal(err)
		}
		if inc.ID != "INC-2" || inc.State != andon.IncidentOpen || inc.OpenedBy != "alice" || inc.Source != andon.SourceAPI {
			t.Fatalf("incident = %+v", inc)
		}
		check, err := e.changes.CheckStart(as("alice"), c.ID)
		if err != nil || check.Allow || !hasReason(check.Reasons, "INCIDENT_OPEN", "INC-2") {
			t.Fatalf("start check with the incident open = %+v, %v; want INCIDENT_OPEN naming INC-2", check, err)
		}
		res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged})
		if err != nil || res.Allow || len(res.Reasons) != 1 || !hasReason(res.Reasons, "INCIDENT_OPEN", "critical incident INC-2 is open: MRP scheduler down") {
			t.Fatalf("gate with the incident open = %+v, %v; want INCIDENT_OPEN alone", res, err)
		}
		if got, _ := e.changes.FindChangeByID(context.Background(), c.ID); got.State != andon.StateApproved {
			t.Errorf("change is %s after a refusal, want approved", got.State)
		}
		if _, err := e.incidents.ResolveIncident(as("bob"), inc.ID, "scheduler restarted"); err != nil {
			t.Fatal(err)
		}
		res, err = e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged})
		if err != nil || !res.Allow {
			t.Fatalf("gate once the incident is resolved = %+v, %v; want allowed", res, err)
		}
	})
}

// hasReason reports whether reasons hold one of code whose message holds
// text.
func hasReason(reasons []andon.Reason, code, text string) bool {
	for _, r := range reasons {
		if r.Code == code && strings.Contains(r.Message, text) {
			return true
		}
	}
	return false
}

// A decision read before an incident opened is read again inside its
// write: the incident stops it.
func TestIncidentOpenedBetweenTheGateReadAndItsWrite(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.gate.SetReadBeforeWrite(true)
		e.MustStage(t, imageStaged)
		approvedInWindow(t, e)
		e.gate.SetBeforeWrite(func() {
			e.gate.SetBeforeWrite(nil)
			if _, err := e.incidents.OpenIncident(as("frank"), &geelongDown); err != nil {
				t.Error(err)
			}
		})
		res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged})
		if err != nil || res.Allow || !hasReason(res.Reasons, "INCIDENT_OPEN", "INC-1") {
			t.Fatalf("gate = %+v, %v; want INCIDENT_OPEN", res, err)
		}
	})
}

// Opening, resolving and opening again are each one audit entry, and
// each refuses what does not fit: an incident open already, a resolution
// by someone who may not, a scope outside the catalog.
func TestIncidentLifecycle(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		req := geelongDown
		req.ID = "INC0012345"
		if _, err := e.incidents.OpenIncident(as("alice"), &req); err != nil {
			t.Fatal(err)
		}
		size := e.verify(t).Entries
		for _, tt := range []struct {
			name string
			err  func() error
			code string
			msg  string
		}{
			{"open twice", func() error { _, err := e.incidents.OpenIncident(as("dave"), &req); return err }, andon.ECONFLICT, "incident INC0012345 is already open"},
			{"resolved by another requester", func() error { _, err := e.incidents.ResolveIncident(as("frank"), req.ID, "fine"); return err }, andon.EFORBIDDEN, "whoever opened it (alice)"},
			{"resolved without a comment", func() error { _, err := e.incidents.ResolveIncident(as("alice"), req.ID, " "); return err }, andon.EINVALID, "comment:"},
			{"unknown", func() error { _, err := e.incidents.ResolveIncident(as("alice"), "INC-404", "x"); return err }, andon.ENOTFOUND, "no incident INC-404"},
			{"an ID of andon's form", func() error {
				r := geelongDown
				r.ID = "inc-7"
				_, err := e.incidents.OpenIncident(as("alice"), &r)
				return err
			}, andon.EINVALID, "the form andon gives"},
			{"unknown plant", func() error {
				r := geelongDown
				r.Scope.Plants = []string{"geelonq"}
				_, err := e.incidents.OpenIncident(as("alice"), &r)
				return err
			}, andon.EINVALID, `scope.plants: "geelonq" is not in the catalog`},
			{"no scope", func() error {
				r := geelongDown
				r.Scope = andon.IncidentScope{}
				_, err := e.incidents.OpenIncident(as("alice"), &r)
				return err
			}, andon.EINVALID, "names no plant"},
			{"ungoverned namespace", func() error {
				r := geelongDown
				r.Scope = andon.IncidentScope{Namespaces: []string{"au-1/monitoring"}}
				_, err := e.incidents.OpenIncident(as("alice"), &r)
				return err
			}, andon.EINVALID, `no environment of the catalog runs in namespace "au-1/monitoring"`},
		} {
			err := tt.err()
			if andon.ErrorCode(err) != tt.code || !strings.Contains(andon.ErrorMessage(err), tt.msg) {
				t.Errorf("%s: %v; want %s with %q", tt.name, err, tt.code, tt.msg)
			}
		}
		if got := e.verify(t).Entries; got != size {
			t.Errorf("refusals wrote %d audit entries", got-size)
		}
		inc, err := e.incidents.ResolveIncident(as("bob"), req.ID, "labels reprinted")
		if err != nil || inc.State != andon.IncidentResolved || inc.ResolvedBy != "bob" || inc.Comment != "labels reprinted" {
			t.Fatalf("resolve = %+v, %v", inc, err)
		}
		if _, err := e.incidents.ResolveIncident(as("bob"), req.ID, "again"); andon.ErrorCode(err) != andon.ECONFLICT {
			t.Errorf("resolve twice = %v; want a conflict", err)
		}
		if inc, err = e.incidents.OpenIncident(as("dave"), &req); err != nil || inc.State != andon.IncidentOpen || inc.OpenedBy != "dave" || inc.ResolvedAt != nil {
			t.Fatalf("open again = %+v, %v", inc, err)
		}
		list, err := e.incidents.FindIncidents(context.Background(), andon.IncidentFilter{State: andon.IncidentOpen})
		if err != nil || len(list) != 1 || list[0].ID != req.ID {
			t.Fatalf("open incidents = %+v, %v", list, err)
		}
		entries, err := e.audit.FindEntries(context.Background(), andon.AuditFilter{Subject: req.ID, After: -1})
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, en := range entries {
			types = append(types, en.Type+" by "+en.Actor)
		}
		want := "incident.opened by alice, incident.resolved by bob, incident.opened by dave"
		if got := strings.Join(types, ", "); got != want {
			t.Errorf("audit entries of the incident: %s; want %s", got, want)
		}
	})
}

// alert returns a firing alert of Alertmanager with labels, as its
// webhook sends it.
func alert(fingerprint string, labels map[string]string) andon.Alert {
	return andon.Alert{Status: "firing", Fingerprint: fingerprint, Labels: labels,
		Annotations: map[string]string{"summary": "Odoo answers no request"}, GeneratorURL: "http://prometheus:9090/graph"}
}

// An Alertmanager notification opens, updates and resolves its alerts'
// incidents in one write; one bad alert refuses the whole notification.
func TestReceiveAlerts(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		down := alert("aaaa1111", map[string]string{"alertname": "OdooDown", "severity": "critical", "namespace": "odoo-geelong", "cluster": "au-1"})
		monitoring := alert("bbbb2222", map[string]string{"alertname": "PrometheusDown", "severity": "critical", "namespace": "monitoring"})
		bad := alert("cccc3333", map[string]string{"alertname": "DiskFull", "severity": "sev1", "plant": "lyon"})
		n := &andon.AlertNotification{Version: "4", Alerts: []andon.Alert{down, monitoring, bad}}
		size := e.verify(t).Entries
		if _, err := e.incidents.ReceiveAlerts(as("alertmanager"), n); andon.ErrorCode(err) != andon.EINVALID ||
			!strings.Contains(andon.ErrorMessage(err), `alerts[2].labels.severity: "sev1" is not a severity andon reads`) {
			t.Fatalf("a notification with a bad alert = %v; want it refused, naming the alert's label", err)
		}
		if got := e.verify(t).Entries; got != size {
			t.Fatalf("a refused notification wrote %d audit entries", got-size)
		}
		n.Alerts = n.Alerts[:2]
		got, err := e.incidents.ReceiveAlerts(as("alertmanager"), n)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got.Opened, ",") != "am-aaaa1111" || len(got.Ignored) != 1 || got.Ignored[0].ID != "am-bbbb2222" {
			t.Fatalf("received = %+v; want am-aaaa1111 opened and am-bbbb2222 ignored", got)
		}
		inc, err := e.incidents.FindIncidentByID(context.Background(), "am-aaaa1111")
		if err != nil || inc.Title != "OdooDown: Odoo answers no request" || inc.Source != andon.SourceAlertmanager ||
			strings.Join(inc.Scope.Namespaces, ",") != "au-1/odoo-geelong" {
			t.Fatalf("incident = %+v, %v", inc, err)
		}
		res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged, DryRun: true})
		if err != nil || !hasReason(res.Reasons, "INCIDENT_OPEN", "am-aaaa1111") {
			t.Fatalf("gate = %+v, %v; want INCIDENT_OPEN", res, err)
		}
		// Alertmanager repeats a firing alert: nothing to write.
		size = e.verify(t).Entries
		if got, err = e.incidents.ReceiveAlerts(as("alertmanager"), n); err != nil || strings.Join(got.Unchanged, ",") != "am-aaaa1111" {
			t.Fatalf("repeated = %+v, %v", got, err)
		}
		if s := e.verify(t).Entries; s != size {
			t.Errorf("a repeated notification wrote %d audit entries", s-size)
		}
		n.Alerts[0].Labels["severity"] = "warning"
		if got, err = e.incidents.ReceiveAlerts(as("alertmanager"), n); err != nil || strings.Join(got.Updated, ",") != "am-aaaa1111" {
			t.Fatalf("updated = %+v, %v", got, err)
		}
		if res, _ := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged, DryRun: true}); hasReason(res.Reasons, "INCIDENT_OPEN", "") {
			t.Errorf("gate with the incident down to medium = %+v; want no INCIDENT_OPEN", res)
		}
		n.Alerts[0].Status = "resolved"
		if got, err = e.incidents.ReceiveAlerts(as("alertmanager"), n); err != nil || strings.Join(got.Resolved, ",") != "am-aaaa1111" {
			t.Fatalf("resolved = %+v, %v", got, err)
		}
		if inc, _ := e.incidents.FindIncidentByID(context.Background(), "am-aaaa1111"); inc.State != andon.IncidentResolved || inc.ResolvedBy != "alertmanager" {
			t.Errorf("incident = %+v; want resolved by alertmanager", inc)
		}
	})
}

// Two alerts of one fingerprint in a notification say two things of one
// incident: the notification is refused, naming both, and nothing is
// written.
func TestReceiveAlertsOfOneFingerprint(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		critical := alert("dddd4444", map[string]string{"alertname": "OdooDown", "severity": "critical", "plant": "geelong"})
		warning := alert("dddd4444", map[string]string{"alertname": "OdooDown", "severity": "warning", "plant": "geelong"})
		size := e.verify(t).Entries
		n := &andon.AlertNotification{Version: "4", Alerts: []andon.Alert{critical, warning}}
		if got, err := e.incidents.ReceiveAlerts(as("alertmanager"), n); andon.ErrorCode(err) != andon.EINVALID ||
			!strings.Contains(andon.ErrorMessage(err), `alerts[1].fingerprint: "dddd4444" is alerts[0]'s too`) {
			t.Fatalf("a notification giving one alert twice = %+v, %v; want it refused, naming both", got, err)
		}
		if got := e.verify(t).Entries; got != size {
			t.Errorf("a refused notification wrote %d audit entries", got-size)
		}
		if _, err := e.incidents.FindIncidentByID(context.Background(), "am-dddd4444"); andon.ErrorCode(err) != andon.ENOTFOUND {
			t.Errorf("incident of the refused notification: %v; want none", err)
		}
	})
}

// An incident of an alert that a person resolved and opened again is
// theirs: the alert's resolution, or a change of its labels, leaves it
// open as they opened it.
func TestReceiveAlertsLeaveAnIncidentOpenedAgainByAPerson(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		down := alert("eeee5555", map[string]string{"alertname": "OdooDown", "severity": "critical", "plant": "geelong"})
		n := &andon.AlertNotification{Version: "4", Alerts: []andon.Alert{down}}
		if _, err := e.incidents.ReceiveAlerts(as("alertmanager"), n); err != nil {
			t.Fatal(err)
		}
		if _, err := e.incidents.ResolveIncident(as("bob"), "am-eeee5555", "false alarm"); err != nil {
			t.Fatal(err)
		}
		again := geelongDown
		again.ID = "am-eeee5555"
		if _, err := e.incidents.OpenIncident(as("alice"), &again); err != nil {
			t.Fatal(err)
		}
		size := e.verify(t).Entries
		n.Alerts[0].Labels["severity"] = "warning"
		if got, err := e.incidents.ReceiveAlerts(as("alertmanager"), n); err != nil || strings.Join(got.Unchanged, ",") != "am-eeee5555" {
			t.Fatalf("firing again with another severity = %+v, %v; want the incident unchanged", got, err)
		}
		n.Alerts[0].Status = "resolved"
		if got, err := e.incidents.ReceiveAlerts(as("alertmanager"), n); err != nil || strings.Join(got.Unchanged, ",") != "am-eeee5555" {
			t.Fatalf("resolved = %+v, %v; want the incident unchanged", got, err)
		}
		if got := e.verify(t).Entries; got != size {
			t.Errorf("the alert wrote %d audit entries", got-size)
		}
		inc, err := e.incidents.FindIncidentByID(context.Background(), "am-eeee5555")
		if err != nil || inc.State != andon.IncidentOpen || inc.OpenedBy != "alice" || inc.Severity != andon.LevelCritical || inc.Title != "MRP scheduler down" {
			t.Fatalf("incident = %+v, %v; want open as alice opened it again", inc, err)
		}
	})
}

// A notification resolves or updates an open incident only when it comes
// from whoever may resolve it: the user whose token opened it, a change
// manager or a platform admin. Anyone else's is refused, and the incident
// stays as it was; anyone may still open an incident from an alert.
func TestReceiveAlertsFromAnotherUser(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		down := alert("ffff6666", map[string]string{"alertname": "OdooDown", "severity": "critical", "plant": "geelong"})
		n := &andon.AlertNotification{Version: "4", Alerts: []andon.Alert{down}}
		if _, err := e.incidents.ReceiveAlerts(as("alertmanager"), n); err != nil {
			t.Fatal(err)
		}
		size := e.verify(t).Entries
		n.Alerts[0].Labels["severity"] = "info"
		if got, err := e.incidents.ReceiveAlerts(as("frank"), n); andon.ErrorCode(err) != andon.EFORBIDDEN ||
			!strings.Contains(andon.ErrorMessage(err), "alerts[0]: frank may not resolve incident am-ffff6666") {
			t.Fatalf("frank lowering the severity = %+v, %v; want it forbidden", got, err)
		}
		n.Alerts[0].Status = "resolved"
		if got, err := e.incidents.ReceiveAlerts(as("frank"), n); andon.ErrorCode(err) != andon.EFORBIDDEN {
			t.Fatalf("frank resolving = %+v, %v; want it forbidden", got, err)
		}
		if got := e.verify(t).Entries; got != size {
			t.Errorf("refused notifications wrote %d audit entries", got-size)
		}
		if inc, err := e.incidents.FindIncidentByID(context.Background(), "am-ffff6666"); err != nil || inc.State != andon.IncidentOpen || inc.Severity != andon.LevelCritical {
			t.Fatalf("incident = %+v, %v; want it open and critical", inc, err)
		}
		if got, err := e.incidents.ReceiveAlerts(as("bob"), n); err != nil || strings.Join(got.Resolved, ",") != "am-ffff6666" {
			t.Fatalf("bob, a change manager, resolving = %+v, %v", got, err)
		}
		n.Alerts[0].Status = "firing"
		if got, err := e.incidents.ReceiveAlerts(as("frank"), n); err != nil || strings.Join(got.Opened, ",") != "am-ffff6666" {
			t.Fatalf("frank opening it again = %+v, %v", got, err)
		}
	})
}

// An alert's incident that a person resolved while the alert went on
// firing stays resolved when Alertmanager repeats the alert; the alert
// firing anew, after it ended, opens it again.
func TestReceiveAlertsRepeatedAfterAPersonResolved(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		down := alert("abab1212", map[string]string{"alertname": "OdooDown", "severity": "critical", "plant": "geelong"})
		down.StartsAt = e.now.Add(-time.Hour)
		n := &andon.AlertNotification{Version: "4", Alerts: []andon.Alert{down}}
		if _, err := e.incidents.ReceiveAlerts(as("alertmanager"), n); err != nil {
			t.Fatal(err)
		}
		if _, err := e.incidents.ResolveIncident(as("bob"), "am-abab1212", "a flapping probe; the plant runs"); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(4 * time.Hour)
		if got, err := e.incidents.ReceiveAlerts(as("alertmanager"), n); err != nil || strings.Join(got.Unchanged, ",") != "am-abab1212" {
			t.Fatalf("the alert repeated = %+v, %v; want the incident left resolved", got, err)
		}
		n.Alerts[0].StartsAt = e.now.Add(-time.Minute)
		if got, err := e.incidents.ReceiveAlerts(as("alertmanager"), n); err != nil || strings.Join(got.Opened, ",") != "am-abab1212" {
			t.Fatalf("the alert firing anew = %+v, %v; want the incident opened again", got, err)
		}
	})
}

// A scope that names a plant twice keeps it once.
func TestIncidentScopeRepeats(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		req := geelongDown
		req.Scope.Plants = []string{"geelong", "lyon", "geelong"}
		inc, err := e.incidents.OpenIncident(as("alice"), &req)
		if err != nil || strings.Join(inc.Scope.Plants, ",") != "geelong,lyon" {
			t.Fatalf("incident = %+v, %v; want plants geelong, lyon", inc, err)
		}
	})
}

// CountOpen counts the open incidents by severity, and no resolved one.
func TestIncidentCountOpen(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		mustCount := func(want map[andon.Level]int) {
			t.Helper()
			got, err := e.incidents.CountOpen(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, want) {
				t.Errorf("open incidents %v, want %v", got, want)
			}
		}
		mustCount(map[andon.Level]int{})
		high := geelongDown
		high.Severity = andon.LevelHigh
		for _, req := range []andon.IncidentRequest{geelongDown, geelongDown, high} {
			if _, err := e.incidents.OpenIncident(as("alice"), &req); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.incidents.ResolveIncident(as("bob"), "INC-1", "restarted"); err != nil {
			t.Fatal(err)
		}
		mustCount(map[andon.Level]int{andon.LevelCritical: 1, andon.LevelHigh: 1})
	})
}

// A listing of one severity keeps the incidents of that severity only,
// with the state's, the offset's and the limit's bounds applied to those.
func TestFindIncidentsBySeverity(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		high := geelongDown
		high.Severity = andon.LevelHigh
		for _, req := range []andon.IncidentRequest{geelongDown, high, geelongDown, high, high} {
			if _, err := e.incidents.OpenIncident(as("alice"), &req); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.incidents.ResolveIncident(as("bob"), "INC-3", "restarted"); err != nil {
			t.Fatal(err)
		}
		ids := func(f andon.IncidentFilter) string {
			t.Helper()
			list, err := e.incidents.FindIncidents(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, inc := range list {
				ids = append(ids, inc.ID)
			}
			return strings.Join(ids, " ")
		}
		for _, c := range []struct {
			f    andon.IncidentFilter
			want string
		}{
			{andon.IncidentFilter{Severity: andon.LevelCritical}, "INC-1 INC-3"},
			{andon.IncidentFilter{Severity: andon.LevelCritical, State: andon.IncidentOpen}, "INC-1"},
			{andon.IncidentFilter{Severity: andon.LevelHigh, Limit: 2}, "INC-5 INC-4"},
			{andon.IncidentFilter{Severity: andon.LevelLow}, ""},
			{andon.IncidentFilter{State: andon.IncidentOpen}, "INC-5 INC-4 INC-2 INC-1"},
			// Pages follow the same order, the resolved one last.
			{andon.IncidentFilter{Offset: 2, Limit: 2}, "INC-2 INC-1"},
			{andon.IncidentFilter{Offset: 4}, "INC-3"},
			{andon.IncidentFilter{Severity: andon.LevelHigh, Offset: 1}, "INC-4 INC-2"},
		} {
			if got := ids(c.f); got != c.want {
				t.Errorf("FindIncidents(%+v) = %q, want %q", c.f, got, c.want)
			}
		}
	})
}

// A resolved alert of which andon opened no incident is ignored, saying
// so; one of an incident resolved already is unchanged.
func TestReceiveAlertsResolvedOfNoIncident(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		gone := alert("cdcd3434", map[string]string{"alertname": "OdooDown", "severity": "critical", "plant": "geelong"})
		gone.Status = "resolved"
		got, err := e.incidents.ReceiveAlerts(as("alertmanager"), &andon.AlertNotification{Version: "4", Alerts: []andon.Alert{gone}})
		if err != nil || len(got.Ignored) != 1 || got.Ignored[0].ID != "am-cdcd3434" || got.Ignored[0].Reason != "andon opened no incident for it" || len(got.Unchanged) != 0 {
			t.Fatalf("resolved alert of no incident = %+v, %v; want it ignored, saying why", got, err)
		}
	})
}
