package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/examples"
	"github.com/andon-governance/andon/policy"
	"github.com/andon-governance/andon/server"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
	"github.com/google/go-cmp/cmp"
)

func TestMetrics(t *testing.T) {
	f := newFixture(t, func(c *server.Config) {
		c.ChangeCounts = func(ctx context.Context) (map[andon.State]int, error) {
			return map[andon.State]int{andon.StatePending: 3, andon.StateApproved: 1}, nil
		}
		c.IncidentCounts = func(ctx context.Context) (map[andon.Level]int, error) {
			return map[andon.Level]int{andon.LevelCritical: 1}, nil
		}
		// change-managers lists someone as eligible; a grant of a team
		// removed from the catalog since is counted too.
		c.AccessCounts = func(ctx context.Context) (map[string]int, error) {
			return map[string]int{"old-admins": 1}, nil
		}
		c.ListTokens = func(ctx context.Context) ([]andon.TokenInfo, error) {
			return []andon.TokenInfo{
				{ID: "3f2a9c1b7d4e", User: "ci-lyon", Scope: "api", CreatedAt: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), ExpiresAt: new(expiry)},
				{ID: "99aa00bb11cc", User: "alice", Scope: "api"},
				{ID: "77ee66dd55cc", User: "alice", Scope: "feed"},
				// A feed token expires with the API token it was asked
				// for with, whose own series warns of it.
				{ID: "5d4c3b2a1f0e", User: "ci-lyon", Scope: "feed", CreatedAt: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC), ExpiresAt: new(expiry)},
				// A session of the board expires within hours of every
				// sign-in: not a token to warn of.
				{ID: "0a1b2c3d4e5f", User: "alice", Scope: "session", CreatedAt: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC), ExpiresAt: new(expiry)},
			}, nil
		}
		c.AuditFailures = func() map[string]uint64 { return map[string]uint64{"write": 3, "key": 0} }
		c.CheckpointCopyFailures = func() uint64 { return 5 }
	})
	f.do(t, "GET", "/api/v1/me", aliceToken, "")
	f.do(t, "GET", "/api/v1/me", aliceToken, "")
	f.do(t, "GET", "/api/v1/me", "", "")
	f.do(t, "GET", "/no/such/path", "", "")
	f.do(t, "POST", "/api/v1/gate", aliceToken, `{"environment":"prod-lyon","image":"x"}`)
	f.gate.decide = func(andon.GateRequest) (*andon.GateResult, error) { return &andon.GateResult{}, nil }
	f.do(t, "POST", "/api/v1/gate", aliceToken, `{"environment":"prod-lyon","image":"x"}`)
	f.do(t, "POST", "/api/v1/gate", aliceToken, `{}{}`)
	// A request the client must mend is not the gate failing: only the
	// gate's own failures, which fail closed with a 5xx, are errors.
	f.gate.decide = func(andon.GateRequest) (*andon.GateResult, error) {
		return nil, andon.Errorf(andon.EINVALID, "environment prod-lyn: not in the catalog")
	}
	f.do(t, "POST", "/api/v1/gate", aliceToken, `{"environment":"prod-lyn","image":"x"}`)
	f.gate.decide = func(andon.GateRequest) (*andon.GateResult, error) { return nil, errors.New("tree hash 12 missing") }
	f.do(t, "POST", "/api/v1/gate", aliceToken, `{"environment":"prod-lyon","image":"x"}`)
	f.gate.decide = func(andon.GateRequest) (*andon.GateResult, error) {
		return nil, &andon.Fault{Message: "the database does not answer"}
	}
	f.do(t, "POST", "/api/v1/gate", aliceToken, `{"environment":"prod-lyon","image":"x"}`)

	r := f.do(t, "GET", "/metrics", "", "")
	if r.status != 200 {
		t.Fatalf("GET /metrics = %d, want 200", r.status)
	}
	text := string(r.body)
	for _, want := range []string{
		`andon_http_requests_total{code="200",method="GET",route="/api/v1/me"} 2`,
		`andon_http_requests_total{code="401",method="GET",route="/api/v1/me"} 1`,
		`andon_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`andon_http_request_duration_seconds_count{route="/api/v1/me"} 3`,
		`andon_http_requests_total{code="400",method="POST",route="/api/v1/gate"} 2`,
		`andon_http_requests_total{code="500",method="POST",route="/api/v1/gate"} 1`,
		`andon_http_requests_total{code="503",method="POST",route="/api/v1/gate"} 1`,
		`andon_http_request_duration_seconds_bucket{route="/api/v1/gate",le="+Inf"} 6`,
		`andon_gate_decisions_total{result="allow"} 1`,
		`andon_gate_decisions_total{result="deny"} 1`,
		`andon_gate_decisions_total{result="client_error"} 2`,
		`andon_gate_decisions_total{result="error"} 2`,
		`andon_audit_append_failures_total{cause="write"} 3`,
		`andon_audit_append_failures_total{cause="key"} 0`,
		`andon_audit_checkpoint_copy_failures_total 5`,
		`andon_changes{state="pending"} 3`,
		`andon_changes{state="approved"} 1`,
		`andon_changes{state="rolled-back"} 0`,
		`andon_incidents_open{severity="critical"} 1`,
		`andon_incidents_open{severity="low"} 0`,
		`andon_access_grants_active{team="change-managers"} 0`,
		`andon_access_grants_active{team="old-admins"} 1`,
		`andon_token_expiry_timestamp_seconds{id="3f2a9c1b7d4e"} 1.803546e+09`,
		`andon_token_created_timestamp_seconds{id="3f2a9c1b7d4e"} 1.79577e+09`,
		`go_goroutines `,
		`process_cpu_seconds_total `,
	} {
		if !strings.Contains(text, "\n"+want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// A token that never expires has no expiry to export, and a feed
	// or session token is not an API token.
	for _, name := range []string{"andon_token_expiry_timestamp_seconds", "andon_token_created_timestamp_seconds"} {
		if n := strings.Count(text, "\n"+name+"{"); n != 1 {
			t.Errorf("%d series of %s, want 1", n, name)
		}
	}
	// /metrics needs no token: it names no user, nor any other person.
	for _, who := range []string{"ci-lyon", "alice"} {
		if strings.Contains(text, who) {
			t.Errorf("metrics name the user %s:\n%s", who, grepLines(text, who))
		}
	}
}

// grepLines returns the lines of text that contain s.
func grepLines(text, s string) string {
	var lines []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, s) {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "")
}

func TestMetricsSurviveFailingCounts(t *testing.T) {
	f := newFixture(t, func(c *server.Config) {
		c.ChangeCounts = func(ctx context.Context) (map[andon.State]int, error) {
			return nil, errors.New("database is closed")
		}
		c.IncidentCounts = func(ctx context.Context) (map[andon.Level]int, error) {
			return nil, errors.New("database is closed")
		}
		c.ListTokens = func(ctx context.Context) ([]andon.TokenInfo, error) {
			return nil, errors.New("database is closed")
		}
		c.Recovery = func(ctx context.Context) (*andon.RecoveryStatus, error) {
			return nil, errors.New("database is closed")
		}
	})
	r := f.do(t, "GET", "/metrics", "", "")
	if r.status != 200 || !strings.Contains(string(r.body), "andon_gate_decisions_total") || strings.Contains(string(r.body), "andon_changes{") || strings.Contains(string(r.body), "andon_incidents_open{") ||
		strings.Contains(string(r.body), "andon_token_expiry_timestamp_seconds{") || strings.Contains(string(r.body), "andon_recovery_objective_seconds{") {
		t.Errorf("GET /metrics = %d, want 200 with the other metrics and without andon_changes, andon_incidents_open, the token expiries and the recovery gauges:\n%.500s", r.status, r.body)
	}
	for _, msg := range []string{"count changes for metrics", "count open incidents for metrics", "list tokens for metrics", "read the recovery posture for metrics"} {
		if recs := f.logs.records(t, msg); len(recs) != 1 {
			t.Errorf("got %d log records %q, want 1", len(recs), msg)
		}
	}
}

func TestHandlersShareRegistry(t *testing.T) {
	f := newFixture(t)
	// A second handler on the same registry reuses the collectors instead
	// of panicking on duplicate registration, and counts into them.
	second := server.New(server.Config{Registry: f.registry})
	second.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
	r := f.do(t, "GET", "/metrics", "", "")
	want := `andon_http_requests_total{code="200",method="GET",route="/healthz"} 1`
	if !strings.Contains(string(r.body), want) {
		t.Errorf("metrics after a request through the second handler lack %s:\n%.2000s", want, r.body)
	}
}

// TestAbandonedGateRequest: a client that goes away before the gate has
// decided is no gate error, which the chart's AndonGateErrors alert
// watches, and no error in the log: nothing was decided.
func TestAbandonedGateRequest(t *testing.T) {
	f := newFixture(t)
	f.gate.started = make(chan struct{})
	abandon(t, f, f.gate.started, "POST", "/api/v1/gate", `{"environment":"prod-lyon","image":"x"}`)
	logged := awaitInfo(t, f, "gate request abandoned by its client")
	if errs := f.logs.records(t, "gate could not decide"); len(errs) != 0 || len(logged) != 1 {
		t.Errorf("an abandoned request logged %v, and as an error %v; want one record at INFO and none at error", logged, errs)
	}
	text := string(f.do(t, "GET", "/metrics", "", "").body)
	if strings.Contains(text, `andon_gate_decisions_total{result="error"} 1`) {
		t.Errorf("an abandoned request counted as a gate error:\n%s", text)
	}
	if !strings.Contains(text, `code="499"`) {
		t.Errorf("the abandoned request is not counted with status 499:\n%s", text)
	}
}

// TestAbandonedRequest: any API request its client gives up on is no
// internal error either.
func TestAbandonedRequest(t *testing.T) {
	f := newFixture(t)
	f.changes.started = make(chan struct{})
	abandon(t, f, f.changes.started, "GET", "/api/v1/changes", "")
	if logged := awaitInfo(t, f, "request abandoned by its client"); len(logged) != 1 {
		t.Errorf("log records of the abandoned request: %v; want one", logged)
	}
	if errs := f.logs.records(t, "internal error"); len(errs) != 0 {
		t.Errorf("an abandoned request logged as an internal error: %v", errs)
	}
	if text := string(f.do(t, "GET", "/metrics", "", "").body); !strings.Contains(text, `andon_http_requests_total{code="499",method="GET",route="/api/v1/changes"} 1`) {
		t.Errorf("the abandoned request is not counted with status 499:\n%s", text)
	}
}

// abandon sends a request and gives up on it once the service has
// started on it (started is closed).
func abandon(t *testing.T, f *fixture, started chan struct{}, method, path, body string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, method, f.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+aliceToken)
	go func() {
		<-started
		cancel()
	}()
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("the abandoned request: %v, want it cancelled", err)
	}
}

// awaitInfo waits for the server to log msg, which it does after the
// client has gone, and returns its records, each wanted at INFO.
func awaitInfo(t *testing.T, f *fixture, msg string) []map[string]any {
	t.Helper()
	var logged []map[string]any
	for deadline := time.Now().Add(5 * time.Second); len(logged) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		logged = f.logs.records(t, msg)
	}
	for _, rec := range logged {
		if rec["level"] != "INFO" {
			t.Errorf("%q logged at %v, want INFO", msg, rec["level"])
		}
	}
	return logged
}

// notMetrics are the words of the documents that begin as andon's metrics
// do and are something else: a cookie, a browser's storage key, a
// database of the benchmarks, and the family of the token gauges.
var notMetrics = []string{"andon_session", "andon_draft", "andon_signin", "andon_bench_large", "andon_token_",
	// The labels of an Alertmanager alert that andon reads (docs/incidents.md).
	"andon_severity", "andon_plant", "andon_process", "andon_environment", "andon_global"}

// TestDocumentedMetrics checks that the documents name every metric both
// listeners serve, and that every metric they name is served: an
// operator writes alerts and dashboards from them.
func TestDocumentedMetrics(t *testing.T) {
	f := newFixture(t, func(c *server.Config) {
		c.Drift = &driftService{}
		c.ChangeCounts = func(ctx context.Context) (map[andon.State]int, error) { return nil, nil }
		c.IncidentCounts = func(ctx context.Context) (map[andon.Level]int, error) { return nil, nil }
		c.AccessCounts = func(ctx context.Context) (map[string]int, error) { return nil, nil }
		c.ListTokens = func(ctx context.Context) ([]andon.TokenInfo, error) {
			return []andon.TokenInfo{{ID: "3f2a9c1b7d4e", User: "ci-lyon", Scope: "api", CreatedAt: testNow, ExpiresAt: new(testNow.AddDate(0, 3, 0))}}, nil
		}
		c.Loads = func() server.Loads { return server.Loads{Catalog: "v1", Policy: "p1"} }
		c.AuditFailures = func() map[string]uint64 { return map[string]uint64{"write": 0, "key": 0} }
		c.CheckpointCopyFailures = func() uint64 { return 0 }
		c.Recovery = func(ctx context.Context) (*andon.RecoveryStatus, error) {
			test := &andon.RestoreTest{RestoreTestRequest: andon.RestoreTestRequest{StartedAt: testNow.Add(-time.Hour), FinishedAt: testNow}}
			return &andon.RecoveryStatus{Environments: []andon.RecoveryPosture{{Environment: "prod-lyon",
				RPO: &andon.Objective{Duration: 5 * time.Minute}, Backup: &andon.Backup{CompletedAt: testNow}, PassedRestoreTest: test}}}, nil
		}
	})
	server.NewAdmission(server.Config{Admission: &admissionService{}, Registry: f.registry})
	// The drift gauges have a series once a report was recorded.
	if r := f.do(t, "POST", "/api/v1/drift", aliceToken, driftBody); r.status != http.StatusOK {
		t.Fatalf("POST /api/v1/drift = %d %s", r.status, r.body)
	}
	served := map[string]bool{}
	for line := range strings.Lines(string(f.do(t, "GET", "/metrics", "", "").body)) {
		if fields := strings.Fields(line); len(fields) == 4 && fields[1] == "TYPE" && strings.HasPrefix(fields[2], "andon_") {
			served[fields[2]] = true
		}
	}

	documented := map[string][]string{}
	docs, err := filepath.Glob("../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range append(docs, "../README.md", "../ARCHITECTURE.md") {
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range regexp.MustCompile(`\bandon_[a-z_]+`).FindAllString(string(text), -1) {
			if !slices.Contains(notMetrics, name) && !slices.Contains(documented[name], path) {
				documented[name] = append(documented[name], path)
			}
		}
	}
	for name, paths := range documented {
		if !served[name] {
			t.Errorf("%s names the metric %s, which is not served", strings.Join(paths, ", "), name)
		}
	}
	for name := range served {
		if documented[name] == nil {
			t.Errorf("the metric %s is served and named in no document", name)
		}
	}
}

// TestRecoveryMetrics scrapes the recovery gauges from a real store on
// each engine: the latest backup and the latest passed restore test of
// each environment that has them, and the strictest objectives of the
// catalog, labelled by the environments of the catalog in force only.
func TestRecoveryMetrics(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
			cat, err := catalog.LoadFS(examples.Catalog, "catalog")
			if err != nil {
				t.Fatal(err)
			}
			pol, err := policy.New(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			db, err := sqlstore.Open(ctx, sqlstoretest.DSN(t, engine, dir))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if db.Signer, err = auditlog.LoadOrCreateKey(dir, "andon"); err != nil {
				t.Fatal(err)
			}
			db.Now = func() time.Time { return now }
			holder := andon.NewCatalogHolder(cat)
			backups := sqlstore.NewBackupService(db, holder, pol)
			dave := andon.NewContextWithUser(ctx, &andon.User{Name: "dave"})
			for _, b := range []andon.BackupRequest{
				{ID: "lyon-old", Environment: "prod-lyon", CompletedAt: now.Add(-30 * time.Hour)},
				{ID: "lyon-new", Environment: "prod-lyon", CompletedAt: now.Add(-2 * time.Hour)},
				{ID: "geelong-1", Environment: "prod-geelong", CompletedAt: now.Add(-26 * time.Hour)},
				{ID: "subsidiaries-1", Environment: "prod-subsidiaries", CompletedAt: now.Add(-5 * time.Hour)},
			} {
				if _, _, err := backups.RecordBackup(dave, &b); err != nil {
					t.Fatal(err)
				}
			}
			for _, r := range []andon.RestoreTestRequest{
				{Environment: "prod-lyon", Backup: "lyon-old", StartedAt: now.Add(-29 * time.Hour), FinishedAt: now.Add(-29*time.Hour + 50*time.Minute), Result: andon.RestorePassed},
				// A failed test, later, is not the latest passed one.
				{Environment: "prod-lyon", Backup: "lyon-new", StartedAt: now.Add(-time.Hour), FinishedAt: now.Add(-30 * time.Minute), Result: andon.RestoreFailed},
				{Environment: "prod-subsidiaries", Backup: "subsidiaries-1", StartedAt: now.Add(-4 * time.Hour), FinishedAt: now.Add(-4*time.Hour + 90*time.Second), Result: andon.RestorePassed},
			} {
				if _, _, err := backups.RecordRestoreTest(dave, &r); err != nil {
					t.Fatal(err)
				}
			}
			// prod-subsidiaries leaves the catalog: its backups stay in the
			// store, and its series go.
			smaller := *cat
			smaller.Environments = slices.DeleteFunc(slices.Clone(cat.Environments), func(e *andon.Environment) bool { return e.Name == "prod-subsidiaries" })
			holder.Swap(&smaller)

			f := newFixture(t, func(c *server.Config) {
				c.Recovery = func(ctx context.Context) (*andon.RecoveryStatus, error) { return backups.RecoveryStatus(ctx, "") }
			})
			r := f.do(t, "GET", "/metrics", "", "")
			if r.status != 200 {
				t.Fatalf("GET /metrics = %d, want 200", r.status)
			}
			got := map[string]float64{}
			for line := range strings.Lines(string(r.body)) {
				for _, name := range []string{"andon_backup_", "andon_restore_test_", "andon_recovery_"} {
					if fields := strings.Fields(line); strings.HasPrefix(line, name) && len(fields) == 2 {
						v, err := strconv.ParseFloat(fields[1], 64)
						if err != nil {
							t.Fatalf("%s: %v", line, err)
						}
						got[fields[0]] = v
					}
				}
			}
			want := map[string]float64{
				`andon_backup_last_completed_timestamp_seconds{environment="prod-lyon",stage="production"}`:    float64(now.Add(-2 * time.Hour).Unix()),
				`andon_backup_last_completed_timestamp_seconds{environment="prod-geelong",stage="production"}`: float64(now.Add(-26 * time.Hour).Unix()),
				`andon_restore_test_last_passed_timestamp_seconds{environment="prod-lyon",stage="production"}`: float64(now.Add(-29*time.Hour + 50*time.Minute).Unix()),
				`andon_restore_test_last_duration_seconds{environment="prod-lyon",stage="production"}`:         3000,
			}
			// The example catalog's processes: finance's RPO of 5m and
			// production's RTO of 2h are the strictest of every environment
			// left.
			for _, e := range smaller.Environments {
				want[`andon_recovery_objective_seconds{environment="`+e.Name+`",objective="rpo",stage="`+string(e.Stage)+`"}`] = 300
				want[`andon_recovery_objective_seconds{environment="`+e.Name+`",objective="rto",stage="`+string(e.Stage)+`"}`] = 7200
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("recovery metrics (-want +got):\n%s", diff)
			}
		})
	}
}
