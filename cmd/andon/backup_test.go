package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

// TestBackupBeforeMigration records a backup from the command line: a
// change that migrates production's database waits for one.
func TestBackupBeforeMigration(t *testing.T) {
	s := MustServe(t, t.TempDir())
	mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "prod-lyon", "--type", "normal",
		"--title", "Add columns", "--image", imageRelease, "--module", "stock", "--migration", "--rollback-plan", "restore the backup")
	res := mustJSON[andon.GateResult](t, s, "alice", 1, "gate", "--env", "prod-lyon", "--image", imageRelease, "--dry-run")
	if !strings.Contains(strings.Join(reasonCodes(res), ","), "NO_FRESH_BACKUP") {
		t.Fatalf("gate = %+v; want NO_FRESH_BACKUP", res)
	}
	wantExit(t, s.as(t, "alice", "backup", "record", "--env", "prod-lyon"), 1, "only a platform admin records one")
	// A limit the server would not take is refused, not read as its default.
	wantExit(t, s.as(t, "alice", "backup", "list", "--limit", "0"), 2, "--limit 0: give at least 1")
	wantExit(t, s.as(t, "alice", "backup", "list", "--limit", "-1"), 2, "--limit: -1 is not between 1 and 1000")
	wantExit(t, s.as(t, "dave", "backup", "record", "--env", "prod-lyom"), 2, `--env: "prod-lyom" is not in the catalog`)
	wantExit(t, s.as(t, "alice", "backup", "list", "--env", "prod-lyom"), 2, `--env: "prod-lyom" is not in the catalog`)
	completed := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	r := s.as(t, "dave", "backup", "record", "--env", "prod-lyon", "--id", "odoo-lyon-1", "--method", "barman-cloud", "--completed", completed.Format(time.RFC3339))
	if r.code != 0 || !strings.Contains(r.stdout, "odoo-lyon-1") {
		t.Fatalf("record: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The job run twice records the same backup again: it is printed as
	// it was recorded; another completion under its name is refused.
	r = s.as(t, "dave", "backup", "record", "--env", "prod-lyon", "--id", "odoo-lyon-1", "--method", "barman-cloud", "--completed", completed.Format(time.RFC3339))
	if r.code != 0 || !strings.Contains(r.stdout, "odoo-lyon-1") || !strings.Contains(r.stderr, "backup odoo-lyon-1 recorded already") {
		t.Fatalf("record again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A job that records by ID alone, giving no completion, gets the
	// backup recorded under it, as it was completed.
	again := mustJSON[andon.Backup](t, s, "dave", 0, "backup", "record", "--env", "prod-lyon", "--id", "odoo-lyon-1")
	if again.ID != "odoo-lyon-1" || !again.CompletedAt.Equal(completed) || again.Method != "barman-cloud" {
		t.Fatalf("record again without --completed = %+v; want the backup recorded, completed at %s", again, completed)
	}
	wantExit(t, s.as(t, "dave", "backup", "record", "--env", "prod-lyon", "--id", "odoo-lyon-1", "--completed", completed.Add(time.Minute).Format(time.RFC3339)), 1,
		"backup odoo-lyon-1 is recorded already, completed at "+completed.Format(time.RFC3339))
	list := mustJSON[struct{ Backups []andon.Backup }](t, s, "alice", 0, "backup", "list", "--env", "prod-lyon")
	if len(list.Backups) != 1 || !list.Backups[0].CompletedAt.Equal(completed) || list.Backups[0].RecordedBy != "dave" {
		t.Fatalf("backups = %+v", list.Backups)
	}
	res = mustJSON[andon.GateResult](t, s, "alice", 1, "gate", "--env", "prod-lyon", "--image", imageRelease, "--dry-run")
	if strings.Contains(strings.Join(reasonCodes(res), ","), "NO_FRESH_BACKUP") {
		t.Fatalf("gate after the backup = %+v; want no NO_FRESH_BACKUP", res)
	}
}

// TestRestoreTest records a restore test of a recorded backup from the
// command line: refused for a backup not recorded, printed as recorded
// when the job runs twice, and listed.
func TestRestoreTest(t *testing.T) {
	s := MustServe(t, t.TempDir())
	completed := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Second)
	started, finished := completed.Add(time.Hour), completed.Add(time.Hour+47*time.Minute)
	if r := s.as(t, "dave", "backup", "record", "--env", "prod-lyon", "--id", "odoo-lyon-1", "--completed", completed.Format(time.RFC3339)); r.code != 0 {
		t.Fatalf("record: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	args := []string{"backup", "restore-test", "--env", "prod-lyon", "--backup", "odoo-lyon-1",
		"--started", started.Format(time.RFC3339), "--finished", finished.Format(time.RFC3339), "--passed", "--link", "https://ci.example.com/restore/7"}
	wantExit(t, s.as(t, "alice", args...), 1, "only a platform admin records one")
	wantExit(t, s.as(t, "dave", "backup", "restore-test", "--env", "prod-lyon", "--backup", "odoo-lyon-9",
		"--started", started.Format(time.RFC3339), "--finished", finished.Format(time.RFC3339), "--passed"), 2, "--backup: odoo-lyon-9 is not recorded")
	wantExit(t, s.as(t, "dave", "backup", "restore-test", "--env", "prod-lyon", "--backup", "odoo-lyon-1",
		"--started", finished.Format(time.RFC3339), "--finished", started.Format(time.RFC3339), "--failed"), 2, "--finished: "+started.Format(time.RFC3339)+" is before startedAt")
	wantExit(t, s.as(t, "dave", "backup", "restore-test", "--env", "prod-lyon", "--backup", "odoo-lyon-1",
		"--started", started.Format(time.RFC3339), "--finished", finished.Format(time.RFC3339)), 2, "give --passed or --failed")
	rt := mustJSON[andon.RestoreTest](t, s, "dave", 0, args...)
	if rt.ID != "RST-1" || rt.Result != andon.RestorePassed || rt.Duration() != 47*time.Minute || rt.RecordedBy != "dave" {
		t.Fatalf("restore test = %+v", rt)
	}
	r := s.as(t, "dave", args...)
	if r.code != 0 || !strings.Contains(r.stdout, "duration:") || !strings.Contains(r.stdout, "47m") || !strings.Contains(r.stderr, "restore test RST-1 recorded already") {
		t.Fatalf("record again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	list := mustJSON[struct{ RestoreTests []andon.RestoreTest }](t, s, "alice", 0, "backup", "restore-tests", "--env", "prod-lyon")
	if len(list.RestoreTests) != 1 || list.RestoreTests[0].ID != "RST-1" || !list.RestoreTests[0].StartedAt.Equal(started) {
		t.Fatalf("restore tests = %+v", list.RestoreTests)
	}
	wantExit(t, s.as(t, "alice", "backup", "restore-tests", "--env", "prod-lyom"), 2, `--env: "prod-lyom" is not in the catalog`)
}

// TestRestoreTestAPI records restore tests through the API: 201 and 200
// for the same test again, and a JSON error naming the field for what it
// refuses.
func TestRestoreTestAPI(t *testing.T) {
	s := MustServe(t, t.TempDir())
	completed := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Second)
	if r := s.as(t, "dave", "backup", "record", "--env", "prod-lyon", "--id", "odoo-lyon-1", "--completed", completed.Format(time.RFC3339)); r.code != 0 {
		t.Fatalf("record: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	body := func(env, backup string, started, finished time.Time, result string) string {
		return fmt.Sprintf(`{"environment": %q, "backup": %q, "startedAt": %q, "finishedAt": %q, "result": %q}`,
			env, backup, started.Format(time.RFC3339), finished.Format(time.RFC3339), result)
	}
	started, finished := completed.Add(time.Hour), completed.Add(2*time.Hour)
	for _, tt := range []struct {
		user, body string
		status     int
		code, msg  string
	}{
		{"dave", body("prod-lyon", "odoo-lyon-1", started, finished, "passed"), http.StatusCreated, "", ""},
		{"dave", body("prod-lyon", "odoo-lyon-1", started, finished, "passed"), http.StatusOK, "", ""},
		{"dave", body("prod-lyon", "odoo-lyon-1", started, finished, "failed"), http.StatusConflict, "conflict", "is recorded already, passed, not failed"},
		{"alice", body("prod-lyon", "odoo-lyon-1", started, finished, "passed"), http.StatusForbidden, "forbidden", "only a platform admin"},
		{"dave", body("prod-lyom", "odoo-lyon-1", started, finished, "passed"), http.StatusBadRequest, "invalid", `environment: "prod-lyom" is not in the catalog`},
		{"dave", body("prod-geelong", "odoo-lyon-1", started, finished, "passed"), http.StatusBadRequest, "invalid", "backup: odoo-lyon-1 is a backup of prod-lyon, not of prod-geelong"},
		{"dave", body("prod-lyon", "odoo-lyon-1", finished, started, "passed"), http.StatusBadRequest, "invalid", "finishedAt: " + started.Format(time.RFC3339) + " is before startedAt"},
		{"dave", body("prod-lyon", "odoo-lyon-1", started, time.Now().Add(time.Hour), "passed"), http.StatusBadRequest, "invalid", "is in the future of the server's clock"},
		{"dave", body("prod-lyon", "odoo-lyon-1", started, finished, "maybe"), http.StatusBadRequest, "invalid", `result: "maybe" is not passed or failed`},
		{"dave", `{"environment": "prod-lyon", "backup": "odoo-lyon-1", "started": "2026-11-28T06:00:00Z"}`, http.StatusBadRequest, "invalid", `unknown field "started"`},
	} {
		resp := s.do(t, http.MethodPost, "/api/v1/restore-tests", tt.user, tt.body)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("POST %s as %s = %d %s; want %d", tt.body, tt.user, resp.StatusCode, b, tt.status)
			continue
		}
		if tt.code == "" {
			var rt andon.RestoreTest
			if err := json.Unmarshal(b, &rt); err != nil || rt.ID != "RST-1" {
				t.Errorf("POST %s = %s, %v; want RST-1", tt.body, b, err)
			}
			continue
		}
		var e struct{ Code, Message string }
		if err := json.Unmarshal(b, &e); err != nil || e.Code != tt.code || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("POST %s as %s = %s; want %s with %q", tt.body, tt.user, b, tt.code, tt.msg)
		}
	}
	for _, path := range []string{"/api/v1/restore-tests?environment=", "/api/v1/backups/status?environment=", "/api/v1/backups/status?env=prod-lyon"} {
		resp := s.do(t, http.MethodGet, path, "alice", "")
		var e struct{ Code, Message string }
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != http.StatusBadRequest || !strings.Contains(e.Message, "query parameter") {
			t.Errorf("GET %s = %d %+v, %v; want 400 naming the query parameter", path, resp.StatusCode, e, err)
		}
	}
	resp := s.do(t, http.MethodGet, "/api/v1/restore-tests?environment=prod-lyon", "alice", "")
	var list struct {
		RestoreTests []andon.RestoreTest `json:"restoreTests"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK || len(list.RestoreTests) != 1 {
		t.Errorf("GET /api/v1/restore-tests = %d %+v, %v; want the one test", resp.StatusCode, list, err)
	}
	resp.Body.Close()
}

// TestBackupStatus shows the recovery posture from the command line and
// the API: every environment, production first, and one with its
// verdicts in words.
func TestBackupStatus(t *testing.T) {
	s := MustServe(t, t.TempDir())
	completed := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Second)
	if r := s.as(t, "dave", "backup", "record", "--env", "prod-lyon", "--id", "odoo-lyon-1", "--completed", completed.Format(time.RFC3339)); r.code != 0 {
		t.Fatalf("record: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := s.as(t, "dave", "backup", "restore-test", "--env", "prod-lyon", "--backup", "odoo-lyon-1", "--started", completed.Add(time.Hour).Format(time.RFC3339),
		"--finished", completed.Add(time.Hour+47*time.Minute).Format(time.RFC3339), "--passed"); r.code != 0 {
		t.Fatalf("restore-test: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// andon serve exports the same posture to Prometheus, read from its
	// store at each scrape.
	metrics := mustGet(t, s.url+"/metrics")
	for _, want := range []string{
		`andon_backup_last_completed_timestamp_seconds{environment="prod-lyon",stage="production"} `,
		`andon_restore_test_last_duration_seconds{environment="prod-lyon",stage="production"} 2820`,
		`andon_recovery_objective_seconds{environment="prod-subsidiaries",objective="rto",stage="production"} 14400`,
	} {
		if !strings.Contains(metrics, "\n"+want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines(metrics, "andon_re"))
		}
	}
	if strings.Contains(metrics, `andon_backup_last_completed_timestamp_seconds{environment="prod-geelong"}`) {
		t.Errorf("metrics give a backup of prod-geelong, of which none is recorded")
	}
	status := mustJSON[andon.RecoveryStatus](t, s, "alice", 0, "backup", "status")
	if len(status.Environments) != 6 || status.Environments[0].Stage != andon.StageProduction || status.BackupFreshness != 24*time.Hour {
		t.Fatalf("status = %+v; want six environments, production first, weighed by 24h", status)
	}
	var lyon *andon.RecoveryPosture
	for i := range status.Environments {
		if status.Environments[i].Environment == "prod-lyon" {
			lyon = &status.Environments[i]
		}
	}
	if lyon == nil || !lyon.BackupFresh || lyon.WithinRTO == nil || !*lyon.WithinRTO || !lyon.RestoreTestRecent || lyon.RPO == nil || lyon.RPO.Process != "finance" {
		t.Fatalf("prod-lyon = %+v; want its posture met, its RPO set by finance", lyon)
	}
	r := s.as(t, "alice", "backup", "status")
	if r.code != 0 || !strings.Contains(r.stdout, "5m (finance)") || !strings.Contains(r.stdout, "RST-1") {
		t.Errorf("backup status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = s.as(t, "alice", "backup", "status", "--env", "prod-geelong")
	if r.code != 0 || !strings.Contains(r.stdout, "no backup of prod-geelong is recorded") || !strings.Contains(r.stdout, "no restore test of prod-geelong passed") ||
		!strings.Contains(r.stdout, "continuous WAL archiving") {
		t.Errorf("backup status --env prod-geelong: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	wantExit(t, s.as(t, "alice", "backup", "status", "--env", "prod-lyom"), 2, `--env: "prod-lyom" is not in the catalog`)
	resp := s.do(t, http.MethodGet, "/api/v1/backups/status?environment=prod-lyon", "alice", "")
	var one andon.RecoveryStatus
	if err := json.NewDecoder(resp.Body).Decode(&one); err != nil || resp.StatusCode != http.StatusOK || len(one.Environments) != 1 || one.Environments[0].PassedRestoreTest == nil {
		t.Errorf("GET /api/v1/backups/status?environment=prod-lyon = %d %+v, %v", resp.StatusCode, one, err)
	}

	// The board marks the production tile of a stale backup, never
	// restored, and not prod-lyon's.
	stale := time.Now().Add(-30 * time.Hour).UTC().Truncate(time.Second)
	if r := s.as(t, "dave", "backup", "record", "--env", "prod-subsidiaries", "--id", "odoo-subsidiaries-1", "--completed", stale.Format(time.RFC3339)); r.code != 0 {
		t.Fatalf("record: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	client, cookies := boardSession(t, s, "alice")
	req, err := http.NewRequest(http.MethodGet, s.url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d, %v", res.StatusCode, err)
	}
	for _, tt := range []struct {
		env  string
		want bool
	}{{"prod-subsidiaries", true}, {"prod-lyon", false}} {
		tile := regexp.MustCompile(`(?s)<article [^>]*data-env="` + tt.env + `".*?</article>`).Find(body)
		if got := strings.Contains(string(tile), "Recovery: latest backup 1d 6h old, past the backup freshness of 1d; no restore test passed"); got != tt.want {
			t.Errorf("the board's tile of %s has the recovery note: %v, want %v\n%s", tt.env, got, tt.want, tile)
		}
	}
}

// TestRecoveryFindings lists the findings of the recovery posture with
// andon findings: a production environment backed up and never restored,
// and one whose restore took longer than its RTO.
func TestRecoveryFindings(t *testing.T) {
	s := MustServe(t, t.TempDir())
	completed := time.Now().Add(-5 * time.Hour).UTC().Truncate(time.Second)
	for _, env := range []string{"prod-lyon", "prod-geelong"} {
		if r := s.as(t, "dave", "backup", "record", "--env", env, "--id", env+"-1", "--completed", completed.Format(time.RFC3339)); r.code != 0 {
			t.Fatalf("record: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	if r := s.as(t, "dave", "backup", "restore-test", "--env", "prod-lyon", "--backup", "prod-lyon-1", "--started", completed.Add(time.Hour).Format(time.RFC3339),
		"--finished", completed.Add(4*time.Hour).Format(time.RFC3339), "--passed"); r.code != 0 {
		t.Fatalf("restore-test: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	out := mustJSON[struct{ Findings []andon.Finding }](t, s, "alice", 0, "findings")
	var got []string
	for _, f := range out.Findings {
		got = append(got, f.Code+" "+f.Environment)
	}
	if want := []string{"RESTORE_TEST_OVERDUE prod-geelong", "RTO_EXCEEDED prod-lyon"}; !slices.Equal(got, want) {
		t.Errorf("findings %q; want %q", got, want)
	}
	r := s.as(t, "alice", "findings")
	if r.code != 0 || !strings.Contains(r.stdout, "production environment prod-lyon took 3h to restore") || !regexp.MustCompile(`(?m)^RTO_EXCEEDED +prod-lyon +- `).MatchString(r.stdout) {
		t.Errorf("findings: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
