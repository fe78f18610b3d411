package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/andon-governance/andon"
)

// CatalogVersion is a version of the catalog published to every process
// sharing the database.
type CatalogVersion struct {
	Revision string
	Commit   string // git commit, or ""
	Source   string // where it was read, without credentials
	Archive  []byte // the catalog files, as catalogsync archives them
}

// PublishCatalog puts v in force for every process sharing the database and
// records catalog.loaded, in one transaction. Publishing the version already
// in force changes nothing and returns false.
func (db *DB) PublishCatalog(ctx context.Context, v CatalogVersion, data map[string]any) (bool, error) {
	_, err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var current string
		err := tx.queryRow(ctx, `SELECT revision FROM catalog_current WHERE id = 1`).Scan(&current)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if current == v.Revision {
			tx.NoChange()
			return nil
		}
		// The same files may come back from another commit or source:
		// the version says where they came from last.
		if _, err := tx.exec(ctx, `INSERT INTO catalog_versions (revision, commit_hash, source, archive, published_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (revision) DO UPDATE SET commit_hash = excluded.commit_hash, source = excluded.source, published_at = excluded.published_at`,
			v.Revision, v.Commit, v.Source, v.Archive, micros(tx.now)); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO catalog_current (id, revision) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET revision = excluded.revision`, v.Revision); err != nil {
			return err
		}
		ev := map[string]any{"revision": v.Revision, "source": v.Source, "previous": current}
		if v.Commit != "" {
			ev["commit"] = v.Commit
		}
		for k, val := range data {
			ev[k] = val
		}
		tx.Record(andon.Event{Type: andon.EventCatalogLoaded, Actor: andon.ActorAndon, Subject: v.Revision, Data: ev})
		return nil
	})
	if errors.Is(err, ErrNoChange) {
		return false, nil
	}
	return err == nil, err
}

// CurrentCatalog returns the revision of the catalog in force, or "" when
// none was published yet.
func (db *DB) CurrentCatalog(ctx context.Context) (string, error) {
	var rev string
	err := db.readRow(ctx, `SELECT revision FROM catalog_current WHERE id = 1`).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return rev, err
}

// CatalogVersion returns a published version.
func (db *DB) CatalogVersion(ctx context.Context, revision string) (*CatalogVersion, error) {
	v := &CatalogVersion{Revision: revision}
	err := db.readRow(ctx, `SELECT commit_hash, source, archive FROM catalog_versions WHERE revision = ?`, revision).Scan(&v.Commit, &v.Source, &v.Archive)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, andon.Errorf(andon.ENOTFOUND, "no published catalog %s", revision)
	}
	return v, err
}

// overdueRecordedPerWrite bounds the change.review_overdue entries one
// write records, so that a backlog of overdue reviews (after an outage,
// or on a store upgraded with years of them) never holds the writer, and
// on PostgreSQL the audit checkpoint every replica's writes wait for, for
// long: gate decisions go through between the writes.
const overdueRecordedPerWrite = 100

// RecordOverdueReviews records change.review_overdue once for every
// emergency change whose retrospective review is overdue, the longest
// overdue first, and returns how many it recorded. Each write records
// s.overdueBound (overdueRecordedPerWrite) at most; it writes again
// while a write records that many and ctx has not ended. A review is
// marked recorded in the write of its entry, so a review is recorded
// once whatever write, or run, it falls in. When ctx ends between writes
// it returns what it recorded and ctx's error.
func (s *ChangeService) RecordOverdueReviews(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.recordOverdueReviews(ctx)
		total += n
		if err != nil || n < s.overdueBound {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// overdueReviewsStatement is the statement of the reviews overdue before
// an instant and not recorded yet, up to a limit, the longest overdue
// first: read through the partial index changes_review_overdue, whose
// condition and order it has, it skips those recorded already.
const overdueReviewsStatement = `SELECT id, requester, review_due FROM changes
	WHERE review_due IS NOT NULL AND reviewed = 0 AND overdue_recorded = 0 AND review_due < ?
	ORDER BY review_due, seq LIMIT ?`

// recordOverdueReviews records change.review_overdue for the
// s.overdueBound reviews overdue longest and not yet recorded, in one
// write, and returns how many it recorded.
func (s *ChangeService) recordOverdueReviews(ctx context.Context) (int, error) {
	var n int
	_, err := s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		n = 0
		rows, err := tx.query(ctx, overdueReviewsStatement, micros(tx.now), s.overdueBound)
		if err != nil {
			return err
		}
		type due struct {
			id, requester string
			at            int64
		}
		var found []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.requester, &d.at); err != nil {
				rows.Close()
				return err
			}
			found = append(found, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(found) == 0 {
			tx.NoChange()
			return nil
		}
		for _, d := range found {
			if _, err := tx.exec(ctx, `UPDATE changes SET overdue_recorded = 1 WHERE id = ?`, d.id); err != nil {
				return err
			}
			tx.Record(andon.Event{Type: andon.EventReviewOverdue, Actor: andon.ActorAndon, Subject: d.id, Data: map[string]any{
				"requester": d.requester, "due": time.UnixMicro(d.at).UTC(),
			}})
		}
		n = len(found)
		return nil
	})
	switch {
	case errors.Is(err, ErrNoChange):
		return 0, nil
	case err != nil:
		// Nothing of the write was kept.
		return 0, err
	}
	return n, nil
}

// Lead runs work while this process leads the processes sharing the
// database, so that background work runs once among replicas. On
// PostgreSQL the leader holds a session advisory lock named by name on a
// connection of its own: when the process dies, its connection closes,
// the lock is released and another replica, trying every retry, takes
// over. work's context ends when leadership is lost or ctx ends. The
// leader checks its lock's connection every retry; a check that fails, or
// gets no answer within retry, ends its lead. A leader cut off from the
// database learns it at its next check, so for that long two may work:
// the jobs must be idempotent, as publishing a catalog version and
// recording overdue reviews are. SQLite has one process, which always
// leads. When ctx ends, Lead lets a check under way answer, ends work's
// context, releases the lock and returns.
func (db *DB) Lead(ctx context.Context, name string, retry time.Duration, logger *slog.Logger, work func(ctx context.Context)) {
	if db.dialect.name != "postgres" {
		work(ctx)
		return
	}
	for {
		if err := db.holdLock(ctx, name, retry, logger, work); err != nil && ctx.Err() == nil {
			logger.Warn("leader election failed; retrying", "job", name, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
	}
}

// holdLock tries once to take the lock; when it gets it, it runs work
// until ctx ends or the lock's connection fails.
func (db *DB) holdLock(ctx context.Context, name string, check time.Duration, logger *slog.Logger, work func(ctx context.Context)) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(`+advisoryKey+`)`, name).Scan(&got); err != nil {
		return err
	}
	if !got {
		return nil
	}
	logger.Info("leading background work", "job", name)
	workCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		work(workCtx)
	}()
	ticker := time.NewTicker(check)
	defer ticker.Stop()
	var lost error
	for lost == nil {
		select {
		case <-ctx.Done():
		case <-ticker.C:
		}
		// A tick and the end of ctx may come together: the end wins.
		// A check under way when ctx ends runs to its answer, so that
		// a shutdown releases the lock rather than being taken for its
		// loss.
		if ctx.Err() != nil {
			break
		}
		checkCtx, cancelCheck := context.WithTimeout(context.WithoutCancel(ctx), check)
		lost = db.checkLeadConn(checkCtx, conn)
		cancelCheck()
	}
	cancel()
	wg.Wait()
	if lost != nil {
		logger.Warn("lost the lead of background work", "job", name, "err", lost)
		// The session may be gone with its lock; make sure the pool does
		// not reuse the connection.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		return fmt.Errorf("leader connection: %w", lost)
	}
	unlockCtx, cancelUnlock := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancelUnlock()
	if _, err := conn.ExecContext(unlockCtx, `SELECT pg_advisory_unlock(`+advisoryKey+`)`, name); err != nil {
		logger.Warn("could not release the lead of background work", "job", name, "err", err)
		// The session may still hold the lock: keep the connection out
		// of the pool, so that closing it releases the lock.
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	logger.Info("stopped leading background work", "job", name)
	return nil
}

// checkLeadConn checks that the connection holding the leader's lock
// still answers.
func (db *DB) checkLeadConn(ctx context.Context, conn *sql.Conn) error {
	if db.checkLead != nil {
		return db.checkLead(ctx, conn)
	}
	return conn.PingContext(ctx)
}

// Exclusively runs fn while no other process sharing the database runs a
// function under the same name: on PostgreSQL it waits for a session
// advisory lock named by name, held on a connection of its own and
// released when fn returns or the process dies. Replicas that start
// together use it to do once what the first of them does (seeding a
// demo). SQLite has one process, which runs fn at once.
func (db *DB) Exclusively(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	if db.dialect.name != "postgres" {
		return fn(ctx)
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+advisoryKey+`)`, name); err != nil {
		return fmt.Errorf("take the lock %q: %w", name, err)
	}
	defer func() {
		unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(unlockCtx, `SELECT pg_advisory_unlock(`+advisoryKey+`)`, name); err != nil {
			// The session may still hold the lock: keep the connection
			// out of the pool, so that closing it releases the lock.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return fn(ctx)
}
