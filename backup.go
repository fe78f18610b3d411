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
	if r.Link != "" {
		if err := (Link{Kind: "backup", URL: r.Link}).check("link"); err != nil {
			return Errorf(EINVALID, "%s", strings.Replace(ErrorMessage(err), "link.url", "link", 1))
		}
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
type BackupService interface {
	RecordBackup(ctx context.Context, req *BackupRequest) (b *Backup, created bool, err error)
	FindBackups(ctx context.Context, f BackupFilter) ([]*Backup, error)
}
