package sqlstore

import "context"

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
