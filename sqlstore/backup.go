package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/andon-governance/andon"
)

// BackupService implements andon.BackupService.
type BackupService struct {
	db      *DB
	catalog andon.CatalogSource
	policy  andon.Policy
}

// NewBackupService returns a BackupService that checks environments
// against the catalog in force, and weighs their recovery posture by the
// backup_freshness of the policy in force.
func NewBackupService(db *DB, catalog andon.CatalogSource, policy andon.Policy) *BackupService {
	return &BackupService{db: db, catalog: catalog, policy: policy}
}

// recorder returns the user of ctx, who records what (a backup, a restore
// test) of env: a platform admin, as what vouches for something
// (vouches), of an environment the catalog holds.
func (s *BackupService) recorder(ctx context.Context, env, what, vouches string) (string, error) {
	user, err := requireUser(ctx)
	if err != nil {
		return "", err
	}
	cat := s.catalog.Catalog()
	if cat.Environment(env) == nil {
		return "", andon.Errorf(andon.EINVALID, "environment: %s", cat.UnknownEnvironment(env))
	}
	roles, _, err := rolesRead(ctx, s.db, cat, user)
	if err != nil {
		return "", err
	}
	if !slices.Contains(roles, andon.RolePlatformAdmin) {
		return "", andon.Errorf(andon.EFORBIDDEN, "%s may not record %s: %s, and only a platform admin records one", user, what, vouches)
	}
	return user, nil
}

// RecordBackup records a backup that completed, for a platform admin.
// The same backup recorded already is answered as it was, created false;
// so is a backup recorded already of the same environment under the ID of
// a request that gives no completion, as a job that records by ID alone
// runs again later, when now is another instant.
func (s *BackupService) RecordBackup(ctx context.Context, req *andon.BackupRequest) (*andon.Backup, bool, error) {
	if err := req.Validate(); err != nil {
		return nil, false, err
	}
	user, err := s.recorder(ctx, req.Environment, "a backup", "a backup vouches for a migration at the gate")
	if err != nil {
		return nil, false, err
	}
	var b *andon.Backup
	_, err = s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		completed := req.CompletedAt
		switch {
		case completed.IsZero():
			completed = tx.now
		case completed.After(tx.now.Add(andon.MaxBackupClockSkew)):
			return andon.Errorf(andon.EINVALID, "completedAt: %s is in the future of the server's clock (%s): a backup is recorded once it completed",
				completed.UTC().Format(time.RFC3339), tx.now.UTC().Format(time.RFC3339))
		case completed.After(tx.now):
			completed = tx.now
		}
		b = &andon.Backup{ID: req.ID, Environment: req.Environment, Method: req.Method, CompletedAt: completed.UTC(),
			Link: req.Link, RecordedBy: user, RecordedAt: tx.now}
		if b.ID != "" {
			var body []byte
			err := tx.queryRow(ctx, `SELECT body FROM backups WHERE id = ?`, b.ID).Scan(&body)
			old := &andon.Backup{}
			if err == nil {
				err = json.Unmarshal(body, old)
			}
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return fmt.Errorf("read backup %s: %w", b.ID, err)
			case old.Environment != b.Environment:
				return andon.Errorf(andon.ECONFLICT, "backup %s is recorded already, of %s, not %s", b.ID, old.Environment, b.Environment)
			case !req.CompletedAt.IsZero() && !old.CompletedAt.Equal(b.CompletedAt):
				return andon.Errorf(andon.ECONFLICT, "backup %s is recorded already, completed at %s, not %s", b.ID,
					old.CompletedAt.Format(time.RFC3339Nano), b.CompletedAt.Format(time.RFC3339Nano))
			default:
				// The same backup, recorded by a job run twice: it stands
				// as it was recorded.
				b = old
				tx.NoChange()
				return nil
			}
		}
		if _, err := insertNamed(ctx, tx, "backups", `INSERT INTO backups (id, environment, completed_at, body) VALUES (?, ?, ?, '{}') RETURNING seq`,
			[]any{"new backup " + b.Environment, b.Environment, micros(b.CompletedAt)}, b, func(seq int64) string {
				if b.ID == "" {
					b.ID = fmt.Sprintf("BKP-%d", seq)
				}
				return b.ID
			}); err != nil {
			return err
		}
		tx.Record(andon.Event{Type: andon.EventBackupRecorded, Actor: user, Subject: b.Environment, Data: b})
		return nil
	})
	if errors.Is(err, ErrNoChange) {
		return b, false, nil
	} else if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// FindBackups lists backups, the latest completed first.
func (s *BackupService) FindBackups(ctx context.Context, f andon.BackupFilter) ([]*andon.Backup, error) {
	return findByEnvironment[andon.Backup](ctx, s, "a backup", `SELECT body FROM backups`, "completed_at", f.Environment, f.Limit)
}

// findByEnvironment reads the bodies q selects, of env's rows when env is
// not "", the latest by the column latest first, at most limit of them
// (100 when not given). An environment the catalog does not hold, of which
// nothing is recorded, is refused: it is most likely misspelt, unless the
// catalog held it once and what was recorded of it stays.
func findByEnvironment[T any](ctx context.Context, s *BackupService, what, q, latest, env string, limit int) (list []*T, err error) {
	var args []any
	if env != "" {
		defer func() {
			if cat := s.catalog.Catalog(); err == nil && len(list) == 0 && cat.Environment(env) == nil {
				err = andon.Errorf(andon.EINVALID, "environment: %s", cat.UnknownEnvironment(env))
			}
		}()
		q, args = q+` WHERE environment = ?`, append(args, env)
	}
	if limit <= 0 {
		limit = 100
	}
	return readBodies[T](ctx, s.db, what, q+` ORDER BY `+latest+` DESC, seq DESC LIMIT ?`, append(args, limit)...)
}

// latestBackupStatement is the statement of the latest backup of an
// environment completed at or before an instant: the gate's facts read
// it as a column, a start by hand alone.
const latestBackupStatement = `SELECT body FROM backups WHERE environment = ? AND completed_at <= ? ORDER BY completed_at DESC LIMIT 1`

// decodeBackup decodes a backup's body as the gate reads it; nil for
// none.
func decodeBackup(body []byte) (*andon.Backup, error) {
	if body == nil {
		return nil, nil
	}
	b := &andon.Backup{}
	if err := json.Unmarshal(body, b); err != nil {
		return nil, fmt.Errorf("decode the latest backup: %w", err)
	}
	return b, nil
}

// readLatestBackup reads the latest backup of env completed at or before
// at.
func readLatestBackup(ctx context.Context, q rowQuerier, env string, at time.Time) (*andon.Backup, error) {
	var body []byte
	err := q.queryRow(ctx, latestBackupStatement, env, micros(at)).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read the latest backup of %s: %w", env, err)
	}
	return decodeBackup(body)
}

// RecordRestoreTest records a restore test that ran, for a platform
// admin, of a backup recorded for its environment. The same test
// recorded already (its environment, backup and start) is answered as it
// was, created false.
func (s *BackupService) RecordRestoreTest(ctx context.Context, req *andon.RestoreTestRequest) (*andon.RestoreTest, bool, error) {
	if err := req.Validate(); err != nil {
		return nil, false, err
	}
	user, err := s.recorder(ctx, req.Environment, "a restore test", "it vouches for the recovery of an environment")
	if err != nil {
		return nil, false, err
	}
	var rt *andon.RestoreTest
	_, err = s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if req.FinishedAt.After(tx.now.Add(andon.MaxBackupClockSkew)) {
			return andon.Errorf(andon.EINVALID, "finishedAt: %s is in the future of the server's clock (%s): a restore test is recorded once it finished",
				req.FinishedAt.UTC().Format(time.RFC3339), tx.now.UTC().Format(time.RFC3339))
		}
		var body []byte
		err := tx.queryRow(ctx, `SELECT body FROM backups WHERE id = ?`, req.Backup).Scan(&body)
		b := &andon.Backup{}
		if err == nil {
			err = json.Unmarshal(body, b)
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return andon.Errorf(andon.EINVALID, "backup: %s is not recorded: record it first (andon backup record --env %s --id %s)", req.Backup, req.Environment, req.Backup)
		case err != nil:
			return fmt.Errorf("read backup %s: %w", req.Backup, err)
		case b.Environment != req.Environment:
			return andon.Errorf(andon.EINVALID, "backup: %s is a backup of %s, not of %s", b.ID, b.Environment, req.Environment)
		case req.StartedAt.Before(b.CompletedAt):
			return andon.Errorf(andon.EINVALID, "startedAt: %s is before backup %s completed, at %s", req.StartedAt.UTC().Format(time.RFC3339),
				b.ID, b.CompletedAt.Format(time.RFC3339))
		}
		rt = &andon.RestoreTest{RestoreTestRequest: *req, RecordedBy: user, RecordedAt: tx.now}
		rt.StartedAt, rt.FinishedAt = req.StartedAt.UTC(), req.FinishedAt.UTC()
		err = tx.queryRow(ctx, `SELECT body FROM restore_tests WHERE environment = ? AND backup = ? AND started_at = ?`,
			rt.Environment, rt.Backup, micros(rt.StartedAt)).Scan(&body)
		old := &andon.RestoreTest{}
		if err == nil {
			err = json.Unmarshal(body, old)
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("read the restore test of backup %s: %w", rt.Backup, err)
		case !old.FinishedAt.Equal(rt.FinishedAt):
			return andon.Errorf(andon.ECONFLICT, "restore test %s of backup %s, started at %s, is recorded already, finished at %s, not %s", old.ID, old.Backup,
				old.StartedAt.Format(time.RFC3339Nano), old.FinishedAt.Format(time.RFC3339Nano), rt.FinishedAt.Format(time.RFC3339Nano))
		case old.Result != rt.Result:
			return andon.Errorf(andon.ECONFLICT, "restore test %s of backup %s, started at %s, is recorded already, %s, not %s", old.ID, old.Backup,
				old.StartedAt.Format(time.RFC3339Nano), old.Result, rt.Result)
		default:
			// The same test, recorded by a job run twice: it stands as
			// it was recorded.
			rt = old
			tx.NoChange()
			return nil
		}
		passed := 0
		if rt.Result == andon.RestorePassed {
			passed = 1
		}
		if _, err := insertNamed(ctx, tx, "restore_tests", `INSERT INTO restore_tests (id, environment, backup, started_at, passed, body) VALUES (?, ?, ?, ?, ?, '{}') RETURNING seq`,
			[]any{"new restore test " + rt.Environment, rt.Environment, rt.Backup, micros(rt.StartedAt), passed}, rt,
			func(seq int64) string { rt.ID = fmt.Sprintf("RST-%d", seq); return rt.ID }); err != nil {
			return err
		}
		tx.Record(andon.Event{Type: andon.EventRestoreTested, Actor: user, Subject: rt.Environment, Data: rt})
		return nil
	})
	if errors.Is(err, ErrNoChange) {
		return rt, false, nil
	} else if err != nil {
		return nil, false, err
	}
	return rt, true, nil
}

// FindRestoreTests lists restore tests, the latest started first.
func (s *BackupService) FindRestoreTests(ctx context.Context, f andon.RestoreTestFilter) ([]*andon.RestoreTest, error) {
	return findByEnvironment[andon.RestoreTest](ctx, s, "a restore test", `SELECT body FROM restore_tests`, "started_at", f.Environment, f.Limit)
}

// RecoveryStatus returns the recovery posture of env, or of every
// environment of the catalog in force when env is "", at the store's
// clock: each weighed from its latest backup completed, its latest
// restore test and its latest passed one, read for every environment in
// one statement, which the board and each scrape of the metrics run.
func (s *BackupService) RecoveryStatus(ctx context.Context, env string) (*andon.RecoveryStatus, error) {
	cat := s.catalog.Catalog()
	envs := cat.Environments
	if env != "" {
		e := cat.Environment(env)
		if e == nil {
			return nil, andon.Errorf(andon.EINVALID, "environment: %s", cat.UnknownEnvironment(env))
		}
		envs = []*andon.Environment{e}
	}
	status := &andon.RecoveryStatus{At: s.db.Now().UTC(), BackupFreshness: s.policy.BackupFreshness(), RestoreTestPeriod: andon.RestoreTestPeriod,
		Environments: make([]andon.RecoveryPosture, 0, len(envs))}
	if status.BackupFreshness <= 0 {
		status.BackupFreshness = andon.DefaultBackupFreshness
	}
	facts, err := readRecoveryFacts(ctx, s.db, envs)
	if err != nil {
		return nil, err
	}
	for _, e := range envs {
		status.Environments = append(status.Environments, cat.Posture(e, facts[e.Name], status.At, status.BackupFreshness))
	}
	andon.SortPostures(status.Environments)
	return status, nil
}

// readRecoveryFacts reads, in one statement, the latest backup completed
// of each of envs, its latest restore test and its latest passed one: the
// recovery posture and the findings of restore tests weigh them. The
// environments are the catalog's, given as values rather than read from
// the tables, so that each is found through the indexes of its
// environment and time, and an environment the catalog no longer holds
// is not read. An environment with nothing recorded has no facts.
func readRecoveryFacts(ctx context.Context, db *DB, envs []*andon.Environment) (map[string]andon.RecoveryFacts, error) {
	facts := make(map[string]andon.RecoveryFacts, len(envs))
	if len(envs) == 0 {
		return facts, nil
	}
	args := make([]any, len(envs))
	for i, e := range envs {
		args[i] = e.Name
	}
	rows, err := db.readQuery(ctx, recoveryFactsStatement(len(envs)), args...)
	if err != nil {
		return nil, fmt.Errorf("read the latest backups and restore tests: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var env string
		var backup, test, passed []byte
		if err := rows.Scan(&env, &backup, &test, &passed); err != nil {
			return nil, fmt.Errorf("read the latest backups and restore tests: %w", err)
		}
		var f andon.RecoveryFacts
		if f.Backup, err = bodyOrNil[andon.Backup](backup); err != nil {
			return nil, fmt.Errorf("read the latest backup of %s: %w", env, err)
		}
		if f.RestoreTest, err = bodyOrNil[andon.RestoreTest](test); err != nil {
			return nil, fmt.Errorf("read the latest restore test of %s: %w", env, err)
		}
		if f.PassedRestoreTest, err = bodyOrNil[andon.RestoreTest](passed); err != nil {
			return nil, fmt.Errorf("read the latest passed restore test of %s: %w", env, err)
		}
		facts[env] = f
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the latest backups and restore tests: %w", err)
	}
	return facts, nil
}

// recoveryFactsStatement is the statement of readRecoveryFacts for n
// environments, each a placeholder: its text is the same for every
// catalog of n environments, so that it is prepared once.
func recoveryFactsStatement(n int) string {
	var q strings.Builder
	q.WriteString(`WITH envs (name) AS (VALUES `)
	for i := range n {
		if i > 0 {
			q.WriteString(`, `)
		}
		q.WriteString(`(CAST(? AS TEXT))`)
	}
	q.WriteString(`)
SELECT envs.name,
	(SELECT body FROM backups WHERE environment = envs.name ORDER BY completed_at DESC, seq DESC LIMIT 1),
	(SELECT body FROM restore_tests WHERE environment = envs.name ORDER BY started_at DESC, seq DESC LIMIT 1),
	(SELECT body FROM restore_tests WHERE environment = envs.name AND passed = 1 ORDER BY started_at DESC, seq DESC LIMIT 1)
FROM envs`)
	return q.String()
}

// bodyOrNil decodes body, nil for none (NULL).
func bodyOrNil[T any](body []byte) (*T, error) {
	if body == nil {
		return nil, nil
	}
	v := new(T)
	return v, json.Unmarshal(body, v)
}
