package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/andon-governance/andon"
)

// RecordBackup records a backup of an environment's database that
// completed; created is false when the same backup was recorded already
// and the server answered it as it was.
func (c *Client) RecordBackup(ctx context.Context, req *andon.BackupRequest) (b *andon.Backup, created bool, err error) {
	b = &andon.Backup{}
	status, err := c.doStatus(ctx, http.MethodPost, "/api/v1/backups", nil, req, b)
	if err != nil {
		return nil, false, err
	}
	return b, status == http.StatusCreated, nil
}

// Backups lists the backups recorded, the latest completed first.
func (c *Client) Backups(ctx context.Context, f andon.BackupFilter) ([]*andon.Backup, error) {
	q := url.Values{}
	setString(q, "environment", f.Environment)
	setInt(q, "limit", int64(f.Limit))
	var out struct {
		Backups []*andon.Backup `json:"backups"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/backups", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Backups, nil
}

// RecordRestoreTest records a restore test of a backup that ran; created
// is false when the same test was recorded already and the server
// answered it as it was.
func (c *Client) RecordRestoreTest(ctx context.Context, req *andon.RestoreTestRequest) (t *andon.RestoreTest, created bool, err error) {
	t = &andon.RestoreTest{}
	status, err := c.doStatus(ctx, http.MethodPost, "/api/v1/restore-tests", nil, req, t)
	if err != nil {
		return nil, false, err
	}
	return t, status == http.StatusCreated, nil
}

// RestoreTests lists the restore tests recorded, the latest started
// first.
func (c *Client) RestoreTests(ctx context.Context, f andon.RestoreTestFilter) ([]*andon.RestoreTest, error) {
	q := url.Values{}
	setString(q, "environment", f.Environment)
	setInt(q, "limit", int64(f.Limit))
	var out struct {
		RestoreTests []*andon.RestoreTest `json:"restoreTests"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/restore-tests", q, nil, &out); err != nil {
		return nil, err
	}
	return out.RestoreTests, nil
}

// RecoveryStatus returns the recovery posture of env, or of every
// environment when env is "".
func (c *Client) RecoveryStatus(ctx context.Context, env string) (*andon.RecoveryStatus, error) {
	q := url.Values{}
	setString(q, "environment", env)
	status := &andon.RecoveryStatus{}
	if err := c.do(ctx, http.MethodGet, "/api/v1/backups/status", q, nil, status); err != nil {
		return nil, err
	}
	return status, nil
}
