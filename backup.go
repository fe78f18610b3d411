package andon

import (
	"context"
	"strings"
	"time"
)

// Backup is the evidence that a backup of an environment's database
// completed: recorded by whoever runs the backups (a CloudNativePG
// Backup's completion, a pgBackRest job), it is what the gate's
// precondition of a fresh backup before a migration reads.
type Backup struct {
	ID          string `json:"id"`
	Environment string `json:"environment"`
	// Method says how it was taken: barman-cloud, volumeSnapshot,
	// pgbackrest, pg_dump, ...
	Method      string    `json:"method,omitempty"`
	CompletedAt time.Time `json:"completedAt"`
	// Link points to the backup or its job.
	Link       string    `json:"link,omitempty"`
	RecordedBy string    `json:"recordedBy"`
	RecordedAt time.Time `json:"recordedAt"`
}

// BackupRequest records a backup that completed.
type BackupRequest struct {
	// ID is the backup's name where it was taken (a CloudNativePG Backup's
	// name, a pgBackRest label); empty, andon gives one (BKP-1, ...).
	ID          string `json:"id,omitempty"`
	Environment string `json:"environment"`
	Method      string `json:"method,omitempty"`
	// CompletedAt is when it completed; zero means now, or, for an ID
	// recorded already of the same environment, when that one completed.
	CompletedAt time.Time `json:"completedAt,omitzero"`
	Link        string    `json:"link,omitempty"`
}

// MaxBackupClockSkew is how far in the future of the server's clock a
// backup's completion may be and still be taken as now: the clocks of the
// job that records it and of the server differ by a little.
const MaxBackupClockSkew = time.Minute

// MaxBackupID is the longest ID a backup may be given: the longest name
// of a Kubernetes object, such as a CloudNativePG Backup's.
const MaxBackupID = 253

// Validate checks what can be checked without the catalog and the clock.
func (r *BackupRequest) Validate() error {
	if r.Environment == "" {
		return Errorf(EINVALID, "environment: required")
	}
	if r.ID != "" {
		if err := checkID("a backup ID", r.ID, MaxBackupID); err != nil {
			return err
		}
	}
	if err := CheckText("method", r.Method, false); err != nil {
		return err
	}
	return checkEvidenceLink("backup", r.Link)
}

// checkEvidenceLink checks the link of a backup or a restore test (kind),
// if any: the field is link, not a change's link.url.
func checkEvidenceLink(kind, link string) error {
	if link == "" {
		return nil
	}
	if err := (Link{Kind: kind, URL: link}).checkOf(kind, "link"); err != nil {
		return Errorf(EINVALID, "%s", strings.Replace(ErrorMessage(err), "link.url", "link", 1))
	}
	return nil
}

// BackupFilter selects backups: those of Environment when it is set, the
// latest completed first.
type BackupFilter struct {
	Environment string
	Limit       int
}

// BackupService records and lists the backups of environments. Recording
// one is an audit entry (backup.recorded) and needs the platform-admin
// role: a backup vouches for a migration at the gate. Recording the same
// backup again (its ID, environment and completion time, or its ID and
// environment with no completion time) answers the one recorded, with
// created false, and writes nothing, so that a job run twice succeeds;
// the same ID with another environment or completion time is a conflict.
//
// A restore test is recorded the same way (backup.restore_tested), by a
// platform admin, of a backup recorded for its environment; the same test
// again (its environment, backup and start) answers the one recorded,
// created false, and another finish or result for it is a conflict.
type BackupService interface {
	RecordBackup(ctx context.Context, req *BackupRequest) (b *Backup, created bool, err error)
	FindBackups(ctx context.Context, f BackupFilter) ([]*Backup, error)
	RecordRestoreTest(ctx context.Context, req *RestoreTestRequest) (t *RestoreTest, created bool, err error)
	FindRestoreTests(ctx context.Context, f RestoreTestFilter) ([]*RestoreTest, error)
	// RecoveryStatus returns the recovery posture of env, or of every
	// environment of the catalog in force when env is "", production
	// first (SortPostures).
	RecoveryStatus(ctx context.Context, env string) (*RecoveryStatus, error)
}

// RestoreResult is the outcome of a restore test.
type RestoreResult string

// Restore test results.
const (
	RestorePassed RestoreResult = "passed"
	RestoreFailed RestoreResult = "failed"
)

// RestoreTest is the evidence that a backup of an environment's database
// was restored, as a test: a CloudNativePG Cluster bootstrapped from it,
// a pgBackRest restore into a scratch instance. How long it took is what
// a recovery takes, which the processes' RTO bounds.
type RestoreTest struct {
	// ID is andon's (RST-1, ...).
	ID string `json:"id"`
	// RestoreTestRequest is the test as it was recorded; its fields are
	// the record's own in JSON.
	RestoreTestRequest
	RecordedBy string    `json:"recordedBy"`
	RecordedAt time.Time `json:"recordedAt"`
}

// Duration is how long the restore took: FinishedAt - StartedAt.
func (t *RestoreTest) Duration() time.Duration { return t.FinishedAt.Sub(t.StartedAt) }

// RestoreTestRequest records a restore test that ran. A test is known by
// its environment, backup and start: the same three again are the same
// test.
type RestoreTestRequest struct {
	Environment string `json:"environment"`
	// Backup is the ID of the backup restored, recorded for the
	// environment (andon backup record).
	Backup     string        `json:"backup"`
	StartedAt  time.Time     `json:"startedAt"`
	FinishedAt time.Time     `json:"finishedAt"`
	Result     RestoreResult `json:"result"`
	// Link points to the test's job, cluster or report.
	Link string `json:"link,omitempty"`
	Note string `json:"note,omitempty"`
}

// Validate checks what can be checked without the store and the clock.
func (r *RestoreTestRequest) Validate() error {
	switch {
	case r.Environment == "":
		return Errorf(EINVALID, "environment: required")
	case r.Backup == "":
		return Errorf(EINVALID, "backup: required: the ID of the backup restored, as recorded with andon backup record")
	case r.StartedAt.IsZero():
		return Errorf(EINVALID, "startedAt: required")
	case r.FinishedAt.IsZero():
		return Errorf(EINVALID, "finishedAt: required")
	case r.Result != RestorePassed && r.Result != RestoreFailed:
		return Errorf(EINVALID, "result: %q is not passed or failed", r.Result)
	case r.FinishedAt.Before(r.StartedAt):
		return Errorf(EINVALID, "finishedAt: %s is before startedAt, %s", r.FinishedAt.UTC().Format(time.RFC3339), r.StartedAt.UTC().Format(time.RFC3339))
	}
	if err := checkID("a backup ID", r.Backup, MaxBackupID); err != nil {
		return Errorf(EINVALID, "backup%s", strings.TrimPrefix(ErrorMessage(err), "id"))
	}
	if err := CheckText("note", r.Note, true); err != nil {
		return err
	}
	return checkEvidenceLink("restore test", r.Link)
}

// RestoreTestFilter selects restore tests: those of Environment when it
// is set, the latest started first.
type RestoreTestFilter struct {
	Environment string
	Limit       int
}
