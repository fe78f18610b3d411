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
