package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/server"
)

// driftService records the reports it is given in memory, as the store
// would, and refuses those on environments it does not know.
type driftService struct {
	mu      sync.Mutex
	reports []*andon.DriftReport
	users   []string
}

func (s *driftService) RecordDrift(ctx context.Context, r *andon.DriftReport) (*andon.DriftRecord, error) {
	if r.Environment != "prod-lyon" {
		return nil, andon.Errorf(andon.EINVALID, "environment: %q is not in the catalog", r.Environment)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports = append(s.reports, r)
	s.users = append(s.users, andon.UserNameFromContext(ctx))
	return &andon.DriftRecord{AuditIndex: int64(41 + len(s.reports)), Time: testNow}, nil
}

// driftBody is a report of andon drift: one object added, one changed.
const driftBody = `{
  "environment": "prod-lyon", "cluster": "eu-1", "namespace": "odoo-lyon", "server": "https://10.0.0.1:6443",
  "desired": {"url": "https://git.example.com/odoo/deploy.git", "ref": "main", "path": "prod-lyon",
              "commit": "9fceb02d0ae598e95dc970b74767f19372d61af8"},
  "counts": {"added": 1, "missing": 0, "changed": 1, "unchanged": 6, "skipped": 0},
  "objects": [
    {"drift": "added", "apiVersion": "v1", "kind": "ConfigMap", "namespace": "odoo-lyon", "name": "debug-tools"},
    {"drift": "changed", "apiVersion": "apps/v1", "kind": "Deployment", "namespace": "odoo-lyon", "name": "odoo",
     "file": "prod-lyon/odoo.yaml", "line": 1,
     "fields": [{"path": "spec.template.spec.containers[name=odoo].image", "desired": "odoo:17.0-2026.12", "live": "odoo:17.0-2026.11"},
                {"path": "spec.replicas", "desired": 2, "live": 3}]}
  ]
}`

func TestDrift(t *testing.T) {
	drift := &driftService{}
	f := newFixture(t, func(c *server.Config) { c.Drift = drift })

	r := f.do(t, "POST", "/api/v1/drift", aliceToken, driftBody)
	if r.status != 200 {
		t.Fatalf("POST /api/v1/drift = %d %s, want 200", r.status, r.body)
	}
	if got, want := decode[andon.DriftRecord](t, r), (andon.DriftRecord{AuditIndex: 42, Time: testNow}); got != want {
		t.Errorf("answer = %+v, want %+v", got, want)
	}
	if len(drift.reports) != 1 || drift.users[0] != "alice" {
		t.Fatalf("service got %d reports by %v, want one by alice", len(drift.reports), drift.users)
	}
	got := drift.reports[0]
	if string(got.Objects[1].Fields[1].Desired) != "2" || string(got.Objects[1].Fields[0].Live) != `"odoo:17.0-2026.11"` {
		t.Errorf("field values = %+v, want the JSON as sent", got.Objects[1].Fields)
	}

	m := f.do(t, "GET", "/metrics", "", "")
	for _, want := range []string{
		`andon_drift_objects{environment="prod-lyon",kind="added"} 1`,
		`andon_drift_objects{environment="prod-lyon",kind="missing"} 0`,
		`andon_drift_objects{environment="prod-lyon",kind="changed"} 1`,
		`andon_drift_last_check_timestamp_seconds{environment="prod-lyon"} ` + promFloat(testNow),
	} {
		if !strings.Contains(string(m.body), "\n"+want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}

	// A later report without drift sets the gauges to zero.
	clean := `{"environment": "prod-lyon", "cluster": "eu-1", "namespace": "odoo-lyon", "desired": {"path": "deploy"},
	  "counts": {"added": 0, "missing": 0, "changed": 0, "unchanged": 8, "skipped": 0}, "objects": []}`
	if r := f.do(t, "POST", "/api/v1/drift", aliceToken, clean); r.status != 200 {
		t.Fatalf("POST a clean report = %d %s", r.status, r.body)
	}
	m = f.do(t, "GET", "/metrics", "", "")
	if want := `andon_drift_objects{environment="prod-lyon",kind="changed"} 0`; !strings.Contains(string(m.body), want) {
		t.Errorf("after a clean report, metrics lack %s", want)
	}
}

// promFloat formats the Unix time of t as the text exposition does.
func promFloat(t time.Time) string { return strconv.FormatFloat(float64(t.Unix()), 'g', -1, 64) }

func TestDriftRefusesBadReports(t *testing.T) {
	drift := &driftService{}
	f := newFixture(t, func(c *server.Config) { c.Drift = drift })
	tests := []struct {
		name, body string
		status     int
		code, want string
	}{
		{"unknown field", strings.Replace(driftBody, `"server"`, `"kubeconfig"`, 1), 400, andon.EINVALID, "unknown field"},
		{"unknown field deep in the report", strings.Replace(driftBody, `"live": 3}`, `"live": 3, "owner": "x"}`, 1), 400, andon.EINVALID, `unknown field "objects[1].fields[1].owner"`},
		{"counts that do not add up", strings.Replace(driftBody, `"changed": 1`, `"changed": 3`, 1), 400, andon.EINVALID, "counts.changed is 3 but 1 are listed"},
		{"a Secret's data", strings.NewReplacer(`"kind": "Deployment"`, `"kind": "Secret"`, `spec.template.spec.containers[name=odoo].image`, `data.password`).Replace(driftBody),
			400, andon.EINVALID, "the values of a Secret's data must be redacted"},
		// andon drift hides these; a report from another client that
		// shows one would put a password in the audit log for good.
		{"a password in an environment variable", strings.Replace(driftBody, `spec.template.spec.containers[name=odoo].image`, `spec.template.spec.containers[name=odoo].env[name=DB_PASSWORD].value`, 1),
			400, andon.EINVALID, "objects[1].fields[0]: DB_PASSWORD names a secret by its name (a password, token or key): its text values must be redacted"},
		{"a token in a field", strings.Replace(driftBody, `spec.template.spec.containers[name=odoo].image`, `spec.template.metadata.annotations.apiToken`, 1),
			400, andon.EINVALID, "apiToken names a secret by its name"},
		{"a password set in a configuration file", strings.Replace(driftBody, `"live": "odoo:17.0-2026.11"`, `"live": "[options]\nadmin_passwd = hunter2\n"`, 1),
			400, andon.EINVALID, "objects[1].fields[0].live: line 2 sets admin_passwd"},
		{"unknown environment", strings.Replace(driftBody, `"prod-lyon"`, `"prod-mars"`, 1), 400, andon.EINVALID, `environment: "prod-mars" is not in the catalog`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := mustError(t, f.do(t, "POST", "/api/v1/drift", aliceToken, tt.body), tt.status, tt.code)
			if !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want %q in it", msg, tt.want)
			}
		})
	}
	if len(drift.reports) != 0 {
		t.Errorf("service recorded %d refused reports", len(drift.reports))
	}
	mustError(t, f.do(t, "POST", "/api/v1/drift?dry-run=1", aliceToken, driftBody), 400, andon.EINVALID)
	mustError(t, f.do(t, "POST", "/api/v1/drift", "", driftBody), 401, andon.EUNAUTHORIZED)
	m := f.do(t, "GET", "/metrics", "", "")
	if strings.Contains(string(m.body), "andon_drift_objects{") {
		t.Errorf("refused reports set the drift gauges")
	}
}

func TestDriftWithoutService(t *testing.T) {
	f := newFixture(t)
	mustError(t, f.do(t, "POST", "/api/v1/drift", aliceToken, driftBody), 500, andon.EINTERNAL)
}

// FuzzDriftBody feeds arbitrary bodies to the drift route and checks that
// a report is recorded only when it is well formed, and never with the
// value of a Secret's data; anything else is a 400, never a 500.
func FuzzDriftBody(f *testing.F) {
	for _, seed := range []string{
		driftBody,
		strings.NewReplacer(`"kind": "Deployment"`, `"kind": "Secret"`, `spec.template.spec.containers[name=odoo].image`, `data.password`).Replace(driftBody),
		`{"environment":"prod-lyon","namespace":"odoo-lyon","desired":{"path":"."},"counts":{}}`,
		`{"environment":"prod-lyon","namespace":"odoo-lyon","desired":{"path":"."},"counts":{"changed":1},"objects":[{"drift":"changed","apiVersion":"v1","kind":"Secret","name":"s","fields":[{"path":"data","redacted":true,"live":"(redacted)"}]}]}`,
		`{}`,
		`null`,
		``,
	} {
		f.Add(seed)
	}
	drift := &driftService{}
	h := server.New(server.Config{
		Drift:   drift,
		Catalog: catalogSource{testCatalog()},
		Tokens:  tokenService{aliceToken: "alice"},
	})
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/v1/drift", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+aliceToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK {
			return
		}
		drift.mu.Lock()
		r := drift.reports[len(drift.reports)-1]
		drift.mu.Unlock()
		for _, o := range r.Objects {
			for _, fd := range o.Fields {
				if o.Kind == "Secret" && andon.IsSecretDataPath(fd.Path) &&
					(!fd.Redacted || (fd.Desired != nil && string(fd.Desired) != `"(redacted)"`) || (fd.Live != nil && string(fd.Live) != `"(redacted)"`)) {
					t.Fatalf("recorded a Secret's value: %+v", fd)
				}
			}
		}
	})
}
