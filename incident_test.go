package andon_test

import (
	"strings"
	"testing"

	"github.com/andon-governance/andon"
)

func TestIncidentScopeAffects(t *testing.T) {
	shared := &andon.Environment{Name: "prod-subsidiaries", Plants: []string{"lyon", "geelong"}, Processes: []string{"finance"},
		Kubernetes: andon.Kubernetes{Cluster: "eu-1", Namespace: "odoo-subsidiaries"}}
	for _, tt := range []struct {
		scope andon.IncidentScope
		want  bool
	}{
		{andon.IncidentScope{Global: true}, true},
		{andon.IncidentScope{Plants: []string{"geelong"}}, true},
		{andon.IncidentScope{Plants: []string{"osaka"}}, false},
		{andon.IncidentScope{Processes: []string{"finance"}}, true},
		{andon.IncidentScope{Processes: []string{"production"}}, false},
		{andon.IncidentScope{Environments: []string{"prod-subsidiaries"}}, true},
		{andon.IncidentScope{Environments: []string{"prod-lyon"}}, false},
		{andon.IncidentScope{Namespaces: []string{"odoo-subsidiaries"}}, true},
		{andon.IncidentScope{Namespaces: []string{"eu-1/odoo-subsidiaries"}}, true},
		{andon.IncidentScope{Namespaces: []string{"au-1/odoo-subsidiaries"}}, false},
		{andon.IncidentScope{Namespaces: []string{"odoo-lyon"}}, false},
		{andon.IncidentScope{}, false},
	} {
		if got := tt.scope.Affects(shared); got != tt.want {
			t.Errorf("%+v affects %s = %v, want %v", tt.scope, shared.Name, got, tt.want)
		}
	}
}

// notification returns a notification of one firing alert with labels.
func notification(labels map[string]string, summary string) *andon.AlertNotification {
	return &andon.AlertNotification{Version: "4", Alerts: []andon.Alert{{Status: "firing", Fingerprint: "0f1e2d3c4b5a6978",
		Labels: labels, Annotations: map[string]string{"summary": summary}}}}
}

func TestAlertIncident(t *testing.T) {
	cat := testCatalog()
	cat.Environments[0].Kubernetes = andon.Kubernetes{Cluster: "eu-1", Namespace: "odoo-lyon"}
	for _, tt := range []struct {
		name    string
		labels  map[string]string
		summary string
		want    string // the request as "severity title scope", or the error's message, or "ignored: reason"
	}{
		{"plant and the alert's severity", map[string]string{"alertname": "MRPDown", "severity": "page", "plant": "lyon"}, "MRP\nscheduler  down",
			"critical MRPDown: MRP scheduler down plants lyon"},
		{"andon's labels win", map[string]string{"alertname": "Slow", "severity": "critical", "andon_severity": "warning", "plant": "osaka", "andon_plant": "lyon, geelong"}, "",
			"medium Slow plants lyon, geelong"},
		{"summary naming the alert", map[string]string{"alertname": "OdooDown", "severity": "critical", "namespace": "odoo-lyon", "cluster": "eu-1"}, "OdooDown in Lyon",
			"critical OdooDown in Lyon namespaces eu-1/odoo-lyon"},
		{"global", map[string]string{"alertname": "ClusterDown", "severity": "critical", "andon_global": "true"}, "",
			"critical ClusterDown every environment"},
		{"global beside its target's labels", map[string]string{"alertname": "ClusterDown", "severity": "critical", "andon_global": "true", "namespace": "odoo-lyon", "cluster": "eu-1", "plant": "lyon"}, "",
			"critical ClusterDown every environment"},
		{"ungoverned namespace", map[string]string{"alertname": "PrometheusDown", "severity": "critical", "namespace": "monitoring"}, "",
			"ignored: no environment of the catalog runs in namespace monitoring"},
		{"ungoverned namespace beside a plant", map[string]string{"alertname": "Slow", "severity": "high", "namespace": "monitoring", "plant": "geelong"}, "",
			"high Slow plants geelong"},
		{"control characters in the summary", map[string]string{"alertname": "OdooDown", "severity": "critical", "plant": "lyon"}, "Odoo\x1b[31m down\u202e in\x00 Lyon\u2028again",
			"critical OdooDown: Odoo [31m down in Lyon again plants lyon"},
		{"long summary", map[string]string{"alertname": "OdooDown", "severity": "critical", "plant": "lyon"}, strings.Repeat("é", andon.MaxLineText),
			"critical OdooDown: éé"},
		{"no severity", map[string]string{"alertname": "X", "plant": "lyon"}, "",
			"alerts[0].labels: has no label severity (or andon_severity)"},
		{"unknown severity", map[string]string{"alertname": "X", "severity": "sev1", "plant": "lyon"}, "",
			`alerts[0].labels.severity: "sev1" is not a severity andon reads`},
		{"no scope", map[string]string{"alertname": "X", "severity": "critical"}, "",
			"alerts[0].labels: name nothing andon could stop"},
		{"unknown plant", map[string]string{"alertname": "X", "severity": "critical", "plant": "lyom"}, "",
			`alerts[0].labels.plant: "lyom" is not in the catalog; did you mean lyon?`},
		{"no title", map[string]string{"severity": "critical", "plant": "lyon"}, "",
			"alerts[0]: has neither the label alertname nor the annotation summary"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, ignored, err := andon.AlertIncident(notification(tt.labels, tt.summary), 0, cat)
			var got string
			switch {
			case err != nil:
				got = andon.ErrorMessage(err)
				if andon.ErrorCode(err) != andon.EINVALID {
					t.Errorf("code %s, want invalid", andon.ErrorCode(err))
				}
			case req == nil:
				got = "ignored: " + ignored
			default:
				got = string(req.Severity) + " " + req.Title + " " + req.Scope.String()
				if err := andon.CheckText("title", req.Title, false); err != nil {
					t.Errorf("title %q: %v", req.Title, err)
				}
				if req.ID != "am-0f1e2d3c4b5a6978" {
					t.Errorf("ID %q", req.ID)
				}
			}
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A scope that is global and names what it stops besides is refused: it
// would stop every environment, not those it names.
func TestIncidentScopeCheckGlobal(t *testing.T) {
	cat := testCatalog()
	if err := (andon.IncidentScope{Global: true}).Check("scope", cat); err != nil {
		t.Errorf("global: %v", err)
	}
	err := andon.IncidentScope{Global: true, Plants: []string{"lyon"}}.Check("scope", cat)
	if want := "scope: global takes in every environment, and names plants lyon besides: give either"; andon.ErrorCode(err) != andon.EINVALID || andon.ErrorMessage(err) != want {
		t.Errorf("global and a plant: %v, want %q", err, want)
	}
}

func TestCheckIncidentID(t *testing.T) {
	for _, id := range []string{"INC-7", "INC0012345", "OPS-1234", "am-1f2e3d4c5b6a7980", "jira:OPS.1_2"} {
		if err := andon.CheckIncidentID(id); err != nil {
			t.Errorf("%q: %v", id, err)
		}
	}
	for _, id := range []string{"", "INC 7", "INC/7", "..", "ÉCHEC", strings.Repeat("x", 65)} {
		if err := andon.CheckIncidentID(id); andon.ErrorCode(err) != andon.EINVALID {
			t.Errorf("%q: %v; want invalid", id, err)
		}
	}
}

func TestIncidentStops(t *testing.T) {
	prod := &andon.Environment{Name: "prod-lyon", Stage: andon.StageProduction, Plants: []string{"lyon"}}
	staging := &andon.Environment{Name: "staging-lyon", Stage: andon.StageStaging, Plants: []string{"lyon"}}
	open := andon.Incident{ID: "INC-1", Severity: andon.LevelCritical, State: andon.IncidentOpen, Scope: andon.IncidentScope{Plants: []string{"lyon"}}}
	high, resolved, elsewhere := open, open, open
	high.Severity = andon.LevelHigh
	resolved.State = andon.IncidentResolved
	elsewhere.Scope = andon.IncidentScope{Plants: []string{"geelong"}}
	for _, tt := range []struct {
		inc  andon.Incident
		env  *andon.Environment
		want bool
	}{
		{open, prod, true}, {open, staging, false}, {high, prod, false}, {resolved, prod, false}, {elsewhere, prod, false},
	} {
		if got := tt.inc.Stops(tt.env); got != tt.want {
			t.Errorf("%+v stops %s = %v, want %v", tt.inc, tt.env.Name, got, tt.want)
		}
	}
}

func TestIncidentCanResolve(t *testing.T) {
	inc := &andon.Incident{ID: "INC-2", OpenedBy: "alice", State: andon.IncidentOpen}
	for _, tt := range []struct {
		user  string
		roles []string
		want  string
	}{
		{"alice", nil, ""},
		{"bob", []string{andon.RoleChangeManager}, ""},
		{"dave", []string{andon.RolePlatformAdmin}, ""},
		{"gus", []string{andon.RoleEmergencyApprover}, andon.EFORBIDDEN},
		{"frank", []string{andon.RoleAuditor}, andon.EFORBIDDEN},
		{"carol", nil, andon.EFORBIDDEN},
	} {
		err := inc.CanResolve(tt.user, tt.roles)
		if got := andon.ErrorCode(err); got != tt.want {
			t.Errorf("%s %v resolves: %v, want %q", tt.user, tt.roles, err, tt.want)
		}
	}
	want := "carol may not resolve incident INC-2: whoever opened it (alice), a change manager or a platform admin may"
	if got := andon.ErrorMessage(inc.CanResolve("carol", nil)); got != want {
		t.Errorf("refusal %q, want %q", got, want)
	}
}
