package server

import (
	"net/http"

	"github.com/andon-governance/andon"
)

// handleBackupRecord records a backup that completed, for a platform
// admin.
func handleBackupRecord(backups andon.BackupService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		req, err := decode[andon.BackupRequest](w, r)
		if err != nil {
			return err
		}
		if err := req.Validate(); err != nil {
			return err
		}
		b, created, err := backups.RecordBackup(r.Context(), &req)
		if err != nil {
			return err
		}
		if !created {
			// The same backup recorded already, by a job run twice (or by
			// its ID alone, again later).
			return encode(w, http.StatusOK, b)
		}
		return encode(w, http.StatusCreated, b)
	}
}

// handleBackupList answers the backups recorded, the latest completed
// first.
func handleBackupList(backups andon.BackupService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r, "environment", "limit")
		if err != nil {
			return err
		}
		var f andon.BackupFilter
		if err := q.strings(textParam{"environment", &f.Environment}); err != nil {
			return err
		}
		limit, err := q.int("limit", defaultLimit, 1, maxLimit)
		if err != nil {
			return err
		}
		f.Limit = int(limit)
		list, err := backups.FindBackups(r.Context(), f)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, struct {
			Backups []*andon.Backup `json:"backups"`
		}{nonNil(list)})
	}
}

// handleRestoreTestRecord records a restore test that ran, for a platform
// admin.
func handleRestoreTestRecord(backups andon.BackupService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		req, err := decode[andon.RestoreTestRequest](w, r)
		if err != nil {
			return err
		}
		if err := req.Validate(); err != nil {
			return err
		}
		t, created, err := backups.RecordRestoreTest(r.Context(), &req)
		if err != nil {
			return err
		}
		if !created {
			// The same test recorded already, by a job run twice.
			return encode(w, http.StatusOK, t)
		}
		return encode(w, http.StatusCreated, t)
	}
}

// handleRestoreTestList answers the restore tests recorded, the latest
// started first.
func handleRestoreTestList(backups andon.BackupService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r, "environment", "limit")
		if err != nil {
			return err
		}
		var f andon.RestoreTestFilter
		if err := q.strings(textParam{"environment", &f.Environment}); err != nil {
			return err
		}
		limit, err := q.int("limit", defaultLimit, 1, maxLimit)
		if err != nil {
			return err
		}
		f.Limit = int(limit)
		list, err := backups.FindRestoreTests(r.Context(), f)
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
