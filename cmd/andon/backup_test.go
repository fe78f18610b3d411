package main

import (
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
