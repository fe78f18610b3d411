package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/andon-governance/andon"
)

// Hooks for the external tests: a batch built by hand, so that requests
// certainly share a transaction, and the statements a request runs.

// CommitBatch runs fns as one batch of the writer and returns the audit
// indexes and error of each.
func (db *DB) CommitBatch(fns ...func(context.Context, *Tx) error) ([][]int64, []error) {
	batch := make([]*writeRequest, len(fns))
	for i, fn := range fns {
		batch[i] = &writeRequest{ctx: context.Background(), fn: fn, done: make(chan writeResult, 1)}
	}
	results := db.commitBatch(batch)
	indexes, errs := make([][]int64, len(fns)), make([]error, len(fns))
	for i, r := range results {
		indexes[i], errs[i] = r.indexes, r.err
	}
	return indexes, errs
}

func (tx *Tx) Exec(ctx context.Context, q string, args ...any) error {
	_, err := tx.exec(ctx, q, args...)
	return err
}

func (tx *Tx) QueryInt(ctx context.Context, q string, args ...any) (int, error) {
	var n int
	err := tx.queryRow(ctx, q, args...).Scan(&n)
	return n, err
}

// SetReadBeforeWrite makes gate decisions read from the read pool before
// their write even when no other write is under way.
func (s *GateService) SetReadBeforeWrite(on bool) { s.readFirst = on }

// SetBeforeWrite sets a function the gate runs between a decision's read
// from the read pool and its write.
func (s *GateService) SetBeforeWrite(fn func()) { s.beforeWrite = fn }

// ReadDecision reads and evaluates, from the read pool, the decision of
// alice deploying image to env now, as Decide does before its write, and
// returns that write, to run in a batch built by hand, and the result it
// leaves.
func (s *GateService) ReadDecision(ctx context.Context, env, image string) (func(context.Context, *Tx) error, func() *andon.GateResult, error) {
	cat := s.catalog.Catalog()
	e := cat.Environment(env)
	img, err := andon.ParseImage(image)
	if err != nil {
		return nil, nil, err
	}
	cal, err := s.calendar.For(cat)
	if err != nil {
		return nil, nil, err
	}
	now := s.db.Now().UTC().Truncate(time.Second)
	d := &decision{cat: cat, env: e, img: img, req: andon.GateRequest{Environment: env, Image: image, At: now},
		user: "alice", active: cal.Active(e, now), stamp: noStamp}
	if err := s.evaluate(ctx, readPool{s.db}, d); err != nil {
		return nil, nil, err
	}
	return s.write(d), func() *andon.GateResult { return d.result }, nil
}

// LimitPages caps the SQLite database at its present size, or lifts the
// cap when off is false, on the writer's connection: a write that grows
// the file then fails with SQLITE_FULL, as on a full disk.
func (db *DB) LimitPages(ctx context.Context, on bool) error {
	limit := 1 // SQLite raises a cap below the present size to it
	if !on {
		limit = 1 << 30
	}
	_, err := db.write.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", limit))
	return err
}

// EntriesQuery returns the statement, in the engine's placeholders, and
// the arguments with which FindEntries lists the entries matching f.
func (s *AuditService) EntriesQuery(ctx context.Context, f andon.AuditFilter) (string, []any, error) {
	f.Limit = boundedLimit(f)
	q, args, err := s.recordsQuery(ctx, f, -1)
	return s.db.dialect.rebind(q), args, err
}

// ChangesQuery returns the statements, in the engine's placeholders, with
// which FindChanges counts and lists the changes f keeps, total of them,
// and the arguments of each.
func (s *ChangeService) ChangesQuery(ctx context.Context, f andon.ChangeFilter, total int) (count string, countArgs []any, list string, listArgs []any, err error) {
	cond, args, err := s.changesWhere(ctx, f)
	if err != nil {
		return "", nil, "", nil, err
	}
	count, countArgs = s.db.dialect.rebind(changesCount(cond)), append(slices.Clone(args), andon.MaxCount)
	list, listArgs = s.db.dialect.rebind(changesList(cond, changesOrder(f, total))), append(args, 100, 0)
	return count, countArgs, list, listArgs, nil
}

// SetLeadCheck replaces the leader's check of its lock's connection.
func (db *DB) SetLeadCheck(check func(ctx context.Context, conn *sql.Conn) error) {
	db.checkLead = check
}

// SetFindingsBound sets how many changes each finding reads, in place of
// maxPendingChecked.
func (s *ChangeService) SetFindingsBound(n int) { s.checked = n }

// SetOverdueBound sets how many overdue reviews each write of
// RecordOverdueReviews records, in place of overdueRecordedPerWrite.
func (s *ChangeService) SetOverdueBound(n int) { s.overdueBound = n }

// OverdueReviewsStatement is the statement of the overdue review scan, as
// db's engine runs it.
func (db *DB) OverdueReviewsStatement() string { return db.dialect.rebind(overdueReviewsStatement) }

// ReportStatements returns the statements of a DORA report of f's period,
// with their arguments.
func (db *DB) ReportStatements(f andon.DORAFilter) (moves string, mArgs []any, resolved string, rArgs []any) {
	return db.dialect.rebind(db.movesStatement()), movesArgs(f), db.dialect.rebind(db.resolvedStatement()), resolvedArgs(f)
}

// RecoveryFactsStatement is the statement that reads the latest backups
// and restore tests of n environments, as db's engine runs it.
func (db *DB) RecoveryFactsStatement(n int) string {
	return db.dialect.rebind(recoveryFactsStatement(n))
}

// ReviewGateStatement returns the statement that counts the gate
// decisions of a review of f's period, with its arguments.
func (db *DB) ReviewGateStatement(f andon.DORAFilter) (string, []any) {
	return db.dialect.rebind(db.reviewGateStatement()), reviewGateArgs(f)
}
