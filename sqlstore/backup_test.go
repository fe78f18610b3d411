package sqlstore_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/google/go-cmp/cmp"
)

// A change that migrates a production database is refused at the gate
// until a backup of it completed within a day before the deployment is
// recorded; a backup completed after the deployment's instant is not
// the one it had.
func TestBackupBeforeMigration(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "prod-geelong", Type: andon.ChangeNormal, Title: "Add columns", Artifacts: []string{imageStaged},
			Facts: andon.Facts{Migration: true}, RollbackPlan: "restore the backup",
		}); err != nil {
			t.Fatal(err)
		}
		ask := func(at time.Time) *andon.GateResult {
			t.Helper()
			res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged, At: at, DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		if res := ask(e.now); !hasReason(res.Reasons, "NO_FRESH_BACKUP", "of which no backup is recorded") {
			t.Fatalf("gate without a backup = %+v; want NO_FRESH_BACKUP", res)
		}
		completed := e.now.Add(-time.Hour)
		b, _, err := e.backups.RecordBackup(as("dave"), &andon.BackupRequest{ID: "odoo-geelong-1", Environment: "prod-geelong",
			Method: "barman-cloud", CompletedAt: completed})
		if err != nil || b.RecordedBy != "dave" || !b.CompletedAt.Equal(completed) {
			t.Fatalf("record = %+v, %v", b, err)
		}
		if res := ask(e.now); hasReason(res.Reasons, "NO_FRESH_BACKUP", "") {
			t.Errorf("gate an hour after the backup = %+v; want no NO_FRESH_BACKUP", res)
		}
		if res := ask(completed.Add(-time.Minute)); !hasReason(res.Reasons, "NO_FRESH_BACKUP", "of which no backup is recorded") {
			t.Errorf("gate before the backup completed = %+v; want NO_FRESH_BACKUP", res)
		}
		if res := ask(completed.Add(24*time.Hour + time.Second)); !hasReason(res.Reasons, "NO_FRESH_BACKUP", "whose latest backup, odoo-geelong-1, completed at") {
			t.Errorf("gate a day after the backup = %+v; want NO_FRESH_BACKUP naming it", res)
		}
		list, err := e.backups.FindBackups(context.Background(), andon.BackupFilter{Environment: "prod-geelong"})
		if err != nil || len(list) != 1 || list[0].ID != "odoo-geelong-1" {
			t.Fatalf("backups = %+v, %v", list, err)
		}
		entries, err := e.audit.FindEntries(context.Background(), andon.AuditFilter{Type: andon.EventBackupRecorded, After: -1})
		if err != nil || len(entries) != 1 || entries[0].Subject != "prod-geelong" || entries[0].Actor != "dave" {
			t.Fatalf("audit entries = %+v, %v", entries, err)
		}
	})
}

// Only a platform admin records a backup, of an environment of the
// catalog, that completed; nothing refused is written.
func TestRecordBackupRefusals(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		if _, _, err := e.backups.RecordBackup(as("dave"), &andon.BackupRequest{ID: "b1", Environment: "prod-lyon"}); err != nil {
			t.Fatal(err)
		}
		size := e.verify(t).Entries
		for _, tt := range []struct {
			user string
			req  andon.BackupRequest
			code string
			msg  string
		}{
			{"alice", andon.BackupRequest{Environment: "prod-lyon"}, andon.EFORBIDDEN, "only a platform admin"},
			{"dave", andon.BackupRequest{Environment: "prod-lyom"}, andon.EINVALID, `environment: "prod-lyom" is not in the catalog`},
			{"dave", andon.BackupRequest{Environment: "prod-lyon", CompletedAt: e.now.Add(time.Hour)}, andon.EINVALID, "completedAt: 2026-11-26T10:00:00Z is in the future"},
			{"dave", andon.BackupRequest{ID: "b1", Environment: "prod-geelong"}, andon.ECONFLICT, "backup b1 is recorded already, of prod-lyon, not prod-geelong"},
			{"dave", andon.BackupRequest{ID: "b1", Environment: "prod-lyon", CompletedAt: e.now.Add(-time.Hour)}, andon.ECONFLICT,
				"backup b1 is recorded already, completed at 2026-11-26T09:00:00Z, not 2026-11-26T08:00:00Z"},
			{"dave", andon.BackupRequest{ID: "b 2", Environment: "prod-lyon"}, andon.EINVALID, "a backup ID is letters"},
		} {
			_, _, err := e.backups.RecordBackup(as(tt.user), &tt.req)
			if andon.ErrorCode(err) != tt.code || !strings.Contains(andon.ErrorMessage(err), tt.msg) {
				t.Errorf("%s records %+v: %v; want %s with %q", tt.user, tt.req, err, tt.code, tt.msg)
			}
		}
		if got := e.verify(t).Entries; got != size {
			t.Errorf("refusals wrote %d audit entries", got-size)
		}
	})
}

// The same backup recorded again, by a job run twice, is answered as it
// was recorded, not created, and writes nothing: no audit entry, no
// second backup.
func TestRecordBackupAgain(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		req := andon.BackupRequest{ID: "odoo-lyon-1", Environment: "prod-lyon", Method: "barman-cloud", CompletedAt: e.now.Add(-time.Hour)}
		first, created, err := e.backups.RecordBackup(as("dave"), &req)
		if err != nil || !created {
			t.Fatalf("record = %+v, %v, %v; want created", first, created, err)
		}
		size := e.verify(t).Entries
		again := req
		again.Method = "volumeSnapshot"
		b, created, err := e.backups.RecordBackup(as("dave"), &again)
		if err != nil || created {
			t.Fatalf("record again = %+v, %v, %v; want the backup recorded, not created", b, created, err)
		}
		if diff := cmp.Diff(first, b); diff != "" {
			t.Errorf("record again answered another backup (-first +again):\n%s", diff)
		}
		if got := e.verify(t).Entries; got != size {
			t.Errorf("recording again wrote %d audit entries", got-size)
		}
		list, err := e.backups.FindBackups(context.Background(), andon.BackupFilter{Environment: "prod-lyon"})
		if err != nil || len(list) != 1 || list[0].Method != "barman-cloud" {
			t.Errorf("backups = %+v, %v; want the one recorded first", list, err)
		}
	})
}

// A job that records a backup by its ID alone, its completion taken as
// now, runs again later, when now is another instant: the backup recorded
// already under the ID, of the same environment, is answered as it was,
// and nothing is written; of another environment, it is a conflict still.
func TestRecordBackupAgainWithoutCompletion(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		req := andon.BackupRequest{ID: "odoo-lyon-1", Environment: "prod-lyon"}
		first, created, err := e.backups.RecordBackup(as("dave"), &req)
		if err != nil || !created || !first.CompletedAt.Equal(e.now) {
			t.Fatalf("record = %+v, %v, %v; want created, completed now", first, created, err)
		}
		size := e.verify(t).Entries
		e.now = e.now.Add(10 * time.Minute)
		b, created, err := e.backups.RecordBackup(as("dave"), &req)
		if err != nil || created {
			t.Fatalf("record again ten minutes later = %+v, %v, %v; want the backup recorded, not created", b, created, err)
		}
		if diff := cmp.Diff(first, b); diff != "" {
			t.Errorf("record again answered another backup (-first +again):\n%s", diff)
		}
		if got := e.verify(t).Entries; got != size {
			t.Errorf("recording again wrote %d audit entries", got-size)
		}
		_, _, err = e.backups.RecordBackup(as("dave"), &andon.BackupRequest{ID: "odoo-lyon-1", Environment: "prod-geelong"})
		if andon.ErrorCode(err) != andon.ECONFLICT || !strings.Contains(andon.ErrorMessage(err), "backup odoo-lyon-1 is recorded already, of prod-lyon, not prod-geelong") {
			t.Errorf("record under its ID for prod-geelong = %v; want a conflict naming it", err)
		}
	})
}

// A backup takes the name it has in Kubernetes as its ID, however long;
// a listing of an environment the catalog lacks names it.
func TestBackupIDsAndListing(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		long := "odoo-lyon-nightly-" + strings.Repeat("x", 200)
		if b, _, err := e.backups.RecordBackup(as("dave"), &andon.BackupRequest{ID: long, Environment: "prod-lyon"}); err != nil || b.ID != long {
			t.Fatalf("record a backup of a %d-character name = %+v, %v", len(long), b, err)
		}
		if _, _, err := e.backups.RecordBackup(as("dave"), &andon.BackupRequest{ID: long + strings.Repeat("y", 40), Environment: "prod-lyon"}); andon.ErrorCode(err) != andon.EINVALID {
			t.Errorf("a name longer than Kubernetes takes = %v; want invalid", err)
		}
		if _, err := e.backups.FindBackups(context.Background(), andon.BackupFilter{Environment: "prod-lyom"}); andon.ErrorCode(err) != andon.EINVALID ||
			!strings.Contains(andon.ErrorMessage(err), `environment: "prod-lyom" is not in the catalog`) {
			t.Errorf("backups of prod-lyom = %v; want the environment named", err)
		}
		if list, err := e.backups.FindBackups(context.Background(), andon.BackupFilter{Environment: "prod-geelong"}); err != nil || len(list) != 0 {
			t.Errorf("backups of prod-geelong = %+v, %v; want none", list, err)
		}
	})
}

// A platform admin records a restore test of a backup recorded for the
// environment, with its audit entry; the same test again is answered as
// it was recorded and writes nothing.
func TestRecordRestoreTest(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		completed := e.now.Add(-6 * time.Hour)
		if _, _, err := e.backups.RecordBackup(as("dave"), &andon.BackupRequest{ID: "odoo-lyon-1", Environment: "prod-lyon", CompletedAt: completed}); err != nil {
			t.Fatal(err)
		}
		req := andon.RestoreTestRequest{Environment: "prod-lyon", Backup: "odoo-lyon-1", StartedAt: e.now.Add(-3 * time.Hour),
			FinishedAt: e.now.Add(-3*time.Hour + 47*time.Minute), Result: andon.RestorePassed, Link: "https://ci.example.com/restore/7", Note: "odoo-lyon-restore ready"}
		rt, created, err := e.backups.RecordRestoreTest(as("dave"), &req)
		if err != nil || !created {
			t.Fatalf("record = %+v, %v, %v; want created", rt, created, err)
		}
		want := &andon.RestoreTest{ID: "RST-1", RestoreTestRequest: andon.RestoreTestRequest{Environment: "prod-lyon", Backup: "odoo-lyon-1",
			StartedAt: req.StartedAt, FinishedAt: req.FinishedAt, Result: andon.RestorePassed, Link: req.Link, Note: req.Note}, RecordedBy: "dave", RecordedAt: e.now}
		if diff := cmp.Diff(want, rt); diff != "" {
			t.Errorf("restore test (-want +got):\n%s", diff)
		}
		if rt.Duration() != 47*time.Minute {
			t.Errorf("duration = %s, want 47m", rt.Duration())
		}
		size := e.verify(t).Entries
		again := req
		again.Note = "run twice"
		got, created, err := e.backups.RecordRestoreTest(as("dave"), &again)
		if err != nil || created {
			t.Fatalf("record again = %+v, %v, %v; want the test recorded, not created", got, created, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("record again answered another test (-first +again):\n%s", diff)
		}
		if n := e.verify(t).Entries; n != size {
			t.Errorf("recording again wrote %d audit entries", n-size)
		}
		list, err := e.backups.FindRestoreTests(context.Background(), andon.RestoreTestFilter{Environment: "prod-lyon"})
		if err != nil || len(list) != 1 {
			t.Fatalf("restore tests = %+v, %v; want one", list, err)
		}
		if diff := cmp.Diff(want, list[0]); diff != "" {
			t.Errorf("listed restore test (-want +got):\n%s", diff)
		}
		entries, err := e.audit.FindEntries(context.Background(), andon.AuditFilter{Type: andon.EventRestoreTested, After: -1})
		if err != nil || len(entries) != 1 || entries[0].Subject != "prod-lyon" || entries[0].Actor != "dave" {
			t.Fatalf("audit entries = %+v, %v", entries, err)
		}
	})
}

// A restore test is refused, naming what and where, for anyone but a
// platform admin, of an environment the catalog lacks, of a backup not
// recorded or recorded for another environment, that finished before it
// started or in the future, or that started before its backup completed;
// the same test with another finish or result is a conflict. Nothing
// refused is written.
func TestRecordRestoreTestRefusals(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		if _, _, err := e.backups.RecordBackup(as("dave"), &andon.BackupRequest{ID: "b1", Environment: "prod-lyon", CompletedAt: e.now.Add(-5 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		started, finished := e.now.Add(-2*time.Hour), e.now.Add(-time.Hour)
		if _, _, err := e.backups.RecordRestoreTest(as("dave"), &andon.RestoreTestRequest{Environment: "prod-lyon", Backup: "b1",
			StartedAt: started, FinishedAt: finished, Result: andon.RestorePassed}); err != nil {
			t.Fatal(err)
		}
		size := e.verify(t).Entries
		ok := andon.RestoreTestRequest{Environment: "prod-lyon", Backup: "b1", StartedAt: e.now.Add(-4 * time.Hour), FinishedAt: e.now.Add(-3 * time.Hour), Result: andon.RestorePassed}
		with := func(f func(r *andon.RestoreTestRequest)) andon.RestoreTestRequest {
			r := ok
			f(&r)
			return r
		}
		for _, tt := range []struct {
			user string
			req  andon.RestoreTestRequest
			code string
			msg  string
		}{
			{"alice", ok, andon.EFORBIDDEN, "only a platform admin"},
			{"dave", with(func(r *andon.RestoreTestRequest) { r.Environment = "prod-lyom" }), andon.EINVALID, `environment: "prod-lyom" is not in the catalog`},
			{"dave", with(func(r *andon.RestoreTestRequest) { r.Backup = "b9" }), andon.EINVALID, "backup: b9 is not recorded"},
			{"dave", with(func(r *andon.RestoreTestRequest) { r.Environment = "prod-geelong" }), andon.EINVALID, "backup: b1 is a backup of prod-lyon, not of prod-geelong"},
			{"dave", with(func(r *andon.RestoreTestRequest) { r.Backup = "" }), andon.EINVALID, "backup: required"},
			{"dave", with(func(r *andon.RestoreTestRequest) { r.Backup = "b 1" }), andon.EINVALID, `backup: "b 1" holds`},
			{"dave", with(func(r *andon.RestoreTestRequest) { r.Result = "ok" }), andon.EINVALID, `result: "ok" is not passed or failed`},
			{"dave", with(func(r *andon.RestoreTestRequest) { r.FinishedAt = r.StartedAt.Add(-time.Minute) }), andon.EINVALID,
				"finishedAt: 2026-11-26T04:59:00Z is before startedAt, 2026-11-26T05:00:00Z"},
			{"dave", with(func(r *andon.RestoreTestRequest) { r.FinishedAt = e.now.Add(time.Hour) }), andon.EINVALID, "finishedAt: 2026-11-26T10:00:00Z is in the future"},
			{"dave", with(func(r *andon.RestoreTestRequest) { r.StartedAt = e.now.Add(-6 * time.Hour) }), andon.EINVALID,
				"startedAt: 2026-11-26T03:00:00Z is before backup b1 completed, at 2026-11-26T04:00:00Z"},
			{"dave", with(func(r *andon.RestoreTestRequest) { r.StartedAt, r.FinishedAt = started, finished.Add(time.Minute) }), andon.ECONFLICT,
				"restore test RST-1 of backup b1, started at 2026-11-26T07:00:00Z, is recorded already, finished at 2026-11-26T08:00:00Z, not 2026-11-26T08:01:00Z"},
			{"dave", with(func(r *andon.RestoreTestRequest) {
				r.StartedAt, r.FinishedAt, r.Result = started, finished, andon.RestoreFailed
			}), andon.ECONFLICT,
				"is recorded already, passed, not failed"},
		} {
			_, _, err := e.backups.RecordRestoreTest(as(tt.user), &tt.req)
			if andon.ErrorCode(err) != tt.code || !strings.Contains(andon.ErrorMessage(err), tt.msg) {
				t.Errorf("%s records %+v: %v; want %s with %q", tt.user, tt.req, err, tt.code, tt.msg)
			}
		}
		if got := e.verify(t).Entries; got != size {
			t.Errorf("refusals wrote %d audit entries", got-size)
		}
		if list, err := e.backups.FindRestoreTests(context.Background(), andon.RestoreTestFilter{}); err != nil || len(list) != 1 {
			t.Errorf("restore tests = %+v, %v; want the one recorded", list, err)
		}
		if _, err := e.backups.FindRestoreTests(context.Background(), andon.RestoreTestFilter{Environment: "prod-lyom"}); andon.ErrorCode(err) != andon.EINVALID {
			t.Errorf("restore tests of prod-lyom = %v; want the environment named", err)
		}
	})
}

// The recovery posture of each environment, production first, is weighed
// from its latest backup, its latest restore test and its latest passed
// one, by the backup_freshness of the policy in force.
func TestRecoveryStatus(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, b := range []andon.BackupRequest{
			{ID: "lyon-old", Environment: "prod-lyon", CompletedAt: e.now.Add(-30 * time.Hour)},
			{ID: "lyon-new", Environment: "prod-lyon", CompletedAt: e.now.Add(-2 * time.Hour)},
			{ID: "geelong-1", Environment: "prod-geelong", CompletedAt: e.now.Add(-26 * time.Hour)},
		} {
			if _, _, err := e.backups.RecordBackup(as("dave"), &b); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range []andon.RestoreTestRequest{
			{Environment: "prod-lyon", Backup: "lyon-old", StartedAt: e.now.Add(-29 * time.Hour), FinishedAt: e.now.Add(-29*time.Hour + 50*time.Minute), Result: andon.RestorePassed},
			{Environment: "prod-lyon", Backup: "lyon-new", StartedAt: e.now.Add(-time.Hour), FinishedAt: e.now.Add(-30 * time.Minute), Result: andon.RestoreFailed},
			{Environment: "prod-geelong", Backup: "geelong-1", StartedAt: e.now.Add(-25 * time.Hour), FinishedAt: e.now.Add(-22 * time.Hour), Result: andon.RestorePassed},
		} {
			if _, _, err := e.backups.RecordRestoreTest(as("dave"), &r); err != nil {
				t.Fatal(err)
			}
		}
		status, err := e.backups.RecoveryStatus(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if !status.At.Equal(e.now) || status.BackupFreshness != 24*time.Hour || status.RestoreTestPeriod != andon.RestoreTestPeriod {
			t.Errorf("status at %s, freshness %s, period %s", status.At, status.BackupFreshness, status.RestoreTestPeriod)
		}
		var order []string
		byName := map[string]andon.RecoveryPosture{}
		for _, p := range status.Environments {
			order = append(order, p.Environment)
			byName[p.Environment] = p
		}
		if want := []string{"prod-geelong", "prod-lyon", "prod-subsidiaries", "staging-geelong", "staging-lyon", "dev"}; !cmp.Equal(order, want) {
			t.Errorf("environments %q, want %q", order, want)
		}
		lyon := byName["prod-lyon"]
		if lyon.Backup == nil || lyon.Backup.ID != "lyon-new" || !lyon.BackupFresh || lyon.BackupAge != 2*time.Hour {
			t.Errorf("prod-lyon's backup = %+v, fresh %v, age %s; want lyon-new, fresh, 2h", lyon.Backup, lyon.BackupFresh, lyon.BackupAge)
		}
		if lyon.RestoreTest == nil || lyon.RestoreTest.Result != andon.RestoreFailed || lyon.PassedRestoreTest == nil || lyon.PassedRestoreTest.Backup != "lyon-old" {
			t.Errorf("prod-lyon's restore tests = %+v, passed %+v; want the failed one, and the one of lyon-old passed", lyon.RestoreTest, lyon.PassedRestoreTest)
		}
		if lyon.RTO == nil || lyon.RTO.Duration != 2*time.Hour || lyon.RTO.Process != "production" || lyon.WithinRTO == nil || !*lyon.WithinRTO || !lyon.RestoreTestRecent {
			t.Errorf("prod-lyon: RTO %+v, within %v, recent %v; want 2h of production, within, recent", lyon.RTO, lyon.WithinRTO, lyon.RestoreTestRecent)
		}
		geelong := byName["prod-geelong"]
		if geelong.BackupFresh || geelong.WithinRTO == nil || *geelong.WithinRTO {
			t.Errorf("prod-geelong: fresh %v, within RTO %v; want a stale backup and a test longer than its RTO", geelong.BackupFresh, geelong.WithinRTO)
		}
		if dev := byName["dev"]; dev.Backup != nil || dev.PassedRestoreTest != nil || dev.WithinRTO != nil {
			t.Errorf("dev = %+v; want nothing recorded", dev)
		}
		one, err := e.backups.RecoveryStatus(ctx, "prod-geelong")
		if err != nil || len(one.Environments) != 1 || one.Environments[0].Environment != "prod-geelong" {
			t.Errorf("status of prod-geelong = %+v, %v", one, err)
		}
		// A policy's backup_freshness weighs the backups; one that
		// defines none, the default gate's 24h.
		for _, tt := range []struct {
			freshness, want time.Duration
			fresh           bool
		}{{time.Hour, time.Hour, false}, {0, 24 * time.Hour, true}} {
			s := sqlstore.NewBackupService(e.db, e.catalog, withFreshness{e.policy, tt.freshness})
			got, err := s.RecoveryStatus(ctx, "prod-lyon")
			if err != nil || got.BackupFreshness != tt.want || got.Environments[0].BackupFresh != tt.fresh {
				t.Errorf("under backup_freshness %s: %+v, %v; want weighed by %s, fresh %v", tt.freshness, got, err, tt.want, tt.fresh)
			}
		}
		if _, err := e.backups.RecoveryStatus(ctx, "prod-lyom"); andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), `environment: "prod-lyom" is not in the catalog`) {
			t.Errorf("status of prod-lyom = %v; want the environment named", err)
		}
	})
}

// withFreshness is a policy whose backup_freshness is freshness, none for
// 0.
type withFreshness struct {
	andon.Policy
	freshness time.Duration
}

func (p withFreshness) BackupFreshness() time.Duration { return p.freshness }

// A production environment with a backup recorded and no restore test
// that passed within the period is RESTORE_TEST_OVERDUE; one whose latest
// passed test took longer than its strictest RTO is RTO_EXCEEDED. An
// environment of which no backup is recorded, or that is not production,
// is not weighed.
func TestRecoveryFindings(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		start := e.now
		recovery := func() (got []string) {
			t.Helper()
			findings, err := e.changes.Findings(ctx, andon.FindingRestoreTestOverdue, andon.FindingRTOExceeded)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range findings {
				got = append(got, f.Code+" "+f.Environment)
			}
			return got
		}
		if got := recovery(); len(got) != 0 {
			t.Errorf("findings with no backup recorded: %q; want none", got)
		}
		for _, b := range []andon.BackupRequest{
			{ID: "lyon-1", Environment: "prod-lyon", CompletedAt: start.Add(-10 * time.Hour)},
			{ID: "geelong-1", Environment: "prod-geelong", CompletedAt: start.Add(-10 * time.Hour)},
			{ID: "staging-1", Environment: "staging-lyon", CompletedAt: start.Add(-10 * time.Hour)},
		} {
			if _, _, err := e.backups.RecordBackup(as("dave"), &b); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{"RESTORE_TEST_OVERDUE prod-lyon", "RESTORE_TEST_OVERDUE prod-geelong"}
		if got := recovery(); !slices.Equal(got, want) {
			t.Errorf("findings with backups and no restore test: %q; want %q", got, want)
		}
		// Lyon restores within its RTO of 2h, Geelong in 2h 30m.
		for _, r := range []andon.RestoreTestRequest{
			{Environment: "prod-lyon", Backup: "lyon-1", StartedAt: start.Add(-8 * time.Hour), FinishedAt: start.Add(-7 * time.Hour), Result: andon.RestorePassed},
			{Environment: "prod-geelong", Backup: "geelong-1", StartedAt: start.Add(-8 * time.Hour), FinishedAt: start.Add(-5*time.Hour - 30*time.Minute), Result: andon.RestorePassed},
		} {
			if _, _, err := e.backups.RecordRestoreTest(as("dave"), &r); err != nil {
				t.Fatal(err)
			}
		}
		findings, err := e.changes.Findings(ctx)
		if err != nil || len(findings) != 1 || findings[0].Code != andon.FindingRTOExceeded || findings[0].Environment != "prod-geelong" ||
			findings[0].Message != "production environment prod-geelong took 2h 30m to restore in its latest passed restore test, RST-2 of backup geelong-1, longer than the RTO of 2h that production sets: a recovery would leave it down too long; make the restore faster, or agree a longer RTO with the process's owners" {
			t.Errorf("findings once tested = %+v, %v; want RTO_EXCEEDED of prod-geelong", findings, err)
		}
		// 90 days after Lyon's test finished, it is overdue again.
		e.now = start.Add(-7*time.Hour + andon.RestoreTestPeriod + time.Hour)
		want = []string{"RESTORE_TEST_OVERDUE prod-lyon", "RTO_EXCEEDED prod-geelong"}
		if got := recovery(); !slices.Equal(got, want) {
			t.Errorf("findings 90 days on: %q; want %q", got, want)
		}
		f, err := e.changes.Findings(ctx, andon.FindingRestoreTestOverdue)
		if err != nil || len(f) != 1 || !f[0].Due.Equal(start.Add(-7*time.Hour+andon.RestoreTestPeriod)) || !strings.Contains(f[0].Message, "overdue since 2027-02-24T02:00:00Z, 1h ago") {
			t.Errorf("RESTORE_TEST_OVERDUE alone = %+v, %v; want prod-lyon's, due 90 days after its test", f, err)
		}
	})
}

// A production environment whose latest restore test failed is
// RESTORE_TEST_FAILED, though a test of it passed within the period; a
// test that passes after it ends the finding.
func TestRestoreTestFailedFinding(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		start := e.now
		failed := func() (got []string) {
			t.Helper()
			findings, err := e.changes.Findings(ctx, andon.FindingRestoreTestFailed)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range findings {
				got = append(got, f.Code+" "+f.Environment+": "+f.Message)
			}
			return got
		}
		if _, _, err := e.backups.RecordBackup(as("dave"), &andon.BackupRequest{ID: "lyon-1", Environment: "prod-lyon", CompletedAt: start.Add(-10 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		for _, r := range []andon.RestoreTestRequest{
			{Environment: "prod-lyon", Backup: "lyon-1", StartedAt: start.Add(-9 * time.Hour), FinishedAt: start.Add(-8 * time.Hour), Result: andon.RestorePassed},
			{Environment: "prod-lyon", Backup: "lyon-1", StartedAt: start.Add(-4 * time.Hour), FinishedAt: start.Add(-3 * time.Hour), Result: andon.RestoreFailed},
		} {
			if _, _, err := e.backups.RecordRestoreTest(as("dave"), &r); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{"RESTORE_TEST_FAILED prod-lyon: production environment prod-lyon failed its latest restore test, RST-2 of backup lyon-1, which finished at " +
			start.Add(-3*time.Hour).UTC().Format(time.RFC3339) + ": whatever passed before it, its backups may not restore now; find out why, restore a backup that passes, and record the test (andon backup restore-test)"}
		if got := failed(); !slices.Equal(got, want) {
			t.Errorf("findings after a failed restore test:\n%q\nwant\n%q", got, want)
		}
		if all, err := e.changes.Findings(ctx); err != nil || len(all) != 1 || all[0].Code != andon.FindingRestoreTestFailed {
			t.Errorf("every finding = %+v, %v; want RESTORE_TEST_FAILED alone, the passed test being recent and within the RTO", all, err)
		}
		if _, _, err := e.backups.RecordRestoreTest(as("dave"), &andon.RestoreTestRequest{Environment: "prod-lyon", Backup: "lyon-1",
			StartedAt: start.Add(-2 * time.Hour), FinishedAt: start.Add(-time.Hour), Result: andon.RestorePassed}); err != nil {
			t.Fatal(err)
		}
		if got := failed(); len(got) != 0 {
			t.Errorf("findings once a test passed again: %q; want none", got)
		}
	})
}
