package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
)

// maxCachedStmts bounds the statement cache; queries beyond it are
// prepared for each use. The store's queries are a small fixed set, so the
// bound only guards against a bug that builds unbounded query texts.
const maxCachedStmts = 256

// stmtCache prepares each query once per pool. Parsing SQL costs more than
// running most of andon's statements, and the gate runs a dozen of them
// per decision.
type stmtCache struct {
	pool *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	// pending lists queries to prepare once the pool's connection is free:
	// the write pool has a single connection, held by the open transaction,
	// so its statements are prepared between transactions.
	pending map[string]bool
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// prepare returns the prepared statement for q and whether the caller must
// close it (when the cache is full).
func (c *stmtCache) prepare(ctx context.Context, q string) (*sql.Stmt, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		return st, false, nil
	}
	st, err := c.pool.PrepareContext(ctx, q)
	if err != nil {
		return nil, false, err
	}
	if len(c.m) >= maxCachedStmts {
		return st, true, nil
	}
	c.m[q] = st
	return st, false, nil
}

// cached returns the prepared statement for q, or nil after noting q for
// preparePending.
func (c *stmtCache) cached(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.m[q]
	if st == nil && len(c.m)+len(c.pending) < maxCachedStmts {
		c.pending[q] = true
	}
	return st
}

// preparePending prepares the queries noted by cached. Errors are left for
// the next use of the query, which runs unprepared and reports them. The
// lock is not held while a query is prepared, which waits for a
// connection of the pool: a transaction holding the connection looks its
// statements up in the cache meanwhile.
func (c *stmtCache) preparePending(ctx context.Context) {
	c.mu.Lock()
	var queries []string
	for q := range c.pending {
		queries = append(queries, q)
		delete(c.pending, q)
	}
	c.mu.Unlock()
	for _, q := range queries {
		st, err := c.pool.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, ok := c.m[q]; ok || len(c.m) >= maxCachedStmts {
			st.Close()
		} else {
			c.m[q] = st
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// Tx helpers: a statement of a write runs prepared, bound to the
// transaction, once the writer has prepared it.

func (tx *Tx) exec(ctx context.Context, q string, args ...any) (res sql.Result, err error) {
	if err := tx.beforeStatement(ctx, q); err != nil {
		return nil, err
	}
	defer func() { tx.failedStatement = tx.failedStatement || err != nil }()
	q = tx.db.dialect.rebind(q)
	if st := tx.db.cachedWrite(q); st != nil {
		return tx.stx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.stx.ExecContext(ctx, q, args...)
}

// beforeStatement takes the request's savepoint before any statement
// that is not a SELECT, so that no write escapes a failing request's
// rollback. (A row lock taken by SELECT … FOR UPDATE needs none: it writes
// nothing, and ends with the transaction.)
func (tx *Tx) beforeStatement(ctx context.Context, q string) error {
	if strings.HasPrefix(strings.TrimSpace(q), "SELECT") {
		return nil
	}
	return tx.beforeWrite(ctx)
}

// queryRow runs a query expected to return at most one row.
func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) rowScanner {
	if err := tx.beforeStatement(ctx, q); err != nil {
		return rowScanner{err: err}
	}
	q = tx.db.dialect.rebind(q)
	// A failed query marks the request, as a failed exec does.
	failed := func(err error) {
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			tx.failedStatement = true
		}
	}
	if st := tx.db.cachedWrite(q); st != nil {
		return rowScanner{row: tx.stx.StmtContext(ctx, st).QueryRowContext(ctx, args...), done: failed}
	}
	return rowScanner{row: tx.stx.QueryRowContext(ctx, q, args...), done: failed}
}

func (tx *Tx) query(ctx context.Context, q string, args ...any) (rows *sql.Rows, err error) {
	if err := tx.beforeStatement(ctx, q); err != nil {
		return nil, err
	}
	defer func() { tx.failedStatement = tx.failedStatement || err != nil }()
	q = tx.db.dialect.rebind(q)
	if st := tx.db.cachedWrite(q); st != nil {
		return tx.stx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.stx.QueryContext(ctx, q, args...)
}

// cachedWrite returns the writer's prepared statement for q, or nil.
func (db *DB) cachedWrite(q string) *sql.Stmt {
	if !db.dialect.cacheStmts {
		return nil
	}
	return db.writeStmts.cached(q)
}

// readRow and readQuery run queries on the read pool through its cache.
func (db *DB) readRow(ctx context.Context, q string, args ...any) rowScanner {
	if !db.dialect.cacheStmts {
		return rowScanner{row: db.read.QueryRowContext(ctx, db.dialect.rebind(q), args...)}
	}
	st, owned, err := db.readStmts.prepare(ctx, db.dialect.rebind(q))
	if err != nil {
		return rowScanner{err: err}
	}
	var done func(error)
	if owned {
		done = func(error) { st.Close() }
	}
	return rowScanner{row: st.QueryRowContext(ctx, args...), done: done}
}

func (db *DB) readQuery(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if !db.dialect.cacheStmts {
		return db.read.QueryContext(ctx, db.dialect.rebind(q), args...)
	}
	st, owned, err := db.readStmts.prepare(ctx, db.dialect.rebind(q))
	if err != nil {
		return nil, err
	}
	if owned {
		defer st.Close()
	}
	return st.QueryContext(ctx, args...)
}

// rowScanner is a *sql.Row that may carry an error from preparation.
type rowScanner struct {
	row *sql.Row
	// done, when set, is told the outcome of Scan.
	done func(error)
	err  error
}

// Scan copies the row's columns into dest, like (*sql.Row).Scan.
func (r rowScanner) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	err := r.row.Scan(dest...)
	if r.done != nil {
		r.done(err)
	}
	return err
}
