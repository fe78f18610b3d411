package server

import (
	"context"
	"net/http"

	"github.com/andon-governance/andon"
)

// handleBackupRecord records a backup that completed, for a platform
// admin.
func handleBackupRecord(backups andon.BackupService) apiFunc {
	return handleRecord(func(ctx context.Context, req *andon.BackupRequest) (*andon.Backup, bool, error) {
		return backups.RecordBackup(ctx, req)
	})
}

// handleRecord answers a POST that records evidence (a backup, a restore
// test) through record: 201 with what it recorded, or 200 with the same
// evidence recorded already, by a job run twice, for which record wrote
// nothing. record is a closure rather than a method value, which a server
// built without the service could not take.
func handleRecord[R any, PR interface {
	*R
	Validate() error
}, T any](record func(context.Context, *R) (T, bool, error)) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		req, err := decode[R](w, r)
		if err != nil {
			return err
		}
		if err := PR(&req).Validate(); err != nil {
			return err
		}
		v, created, err := record(r.Context(), &req)
		if err != nil {
			return err
		}
		if !created {
			return encode(w, http.StatusOK, v)
		}
		return encode(w, http.StatusCreated, v)
	}
}

// handleBackupList answers the backups recorded, the latest completed
// first.
func handleBackupList(backups andon.BackupService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		env, limit, err := environmentListing(r)
		if err != nil {
			return err
		}
		list, err := backups.FindBackups(r.Context(), andon.BackupFilter{Environment: env, Limit: limit})
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, struct {
			Backups []*andon.Backup `json:"backups"`
		}{nonNil(list)})
	}
}

// environmentListing reads the query of a listing of what is recorded of
// an environment, or of all: its environment and limit.
func environmentListing(r *http.Request) (env string, limit int, err error) {
	q, err := parseQuery(r, "environment", "limit")
	if err != nil {
		return "", 0, err
	}
	if err := q.strings(textParam{"environment", &env}); err != nil {
		return "", 0, err
	}
	n, err := q.int("limit", defaultLimit, 1, maxLimit)
	return env, int(n), err
}

// handleRestoreTestRecord records a restore test that ran, for a platform
// admin.
func handleRestoreTestRecord(backups andon.BackupService) apiFunc {
	return handleRecord(func(ctx context.Context, req *andon.RestoreTestRequest) (*andon.RestoreTest, bool, error) {
		return backups.RecordRestoreTest(ctx, req)
	})
}

// handleRestoreTestList answers the restore tests recorded, the latest
// started first.
func handleRestoreTestList(backups andon.BackupService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		env, limit, err := environmentListing(r)
		if err != nil {
			return err
		}
		list, err := backups.FindRestoreTests(r.Context(), andon.RestoreTestFilter{Environment: env, Limit: limit})
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, struct {
			RestoreTests []*andon.RestoreTest `json:"restoreTests"`
		}{nonNil(list)})
	}
}

// handleRecoveryStatus answers the recovery posture of every environment,
// or of one.
func handleRecoveryStatus(backups andon.BackupService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r, "environment")
		if err != nil {
			return err
		}
		var env string
		if err := q.strings(textParam{"environment", &env}); err != nil {
			return err
		}
		status, err := backups.RecoveryStatus(r.Context(), env)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, status)
	}
}
