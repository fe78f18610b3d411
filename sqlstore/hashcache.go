package sqlstore

import (
	"context"

	"golang.org/x/mod/sumdb/tlog"
)

// maxCachedHashes bounds the writer's cache of tree hashes (about 5 MB).
const maxCachedHashes = 1 << 16

// hashCache holds tree hashes the writer knows to be committed. A stored
// tree hash never changes once committed, whichever process wrote it, so
// the cache needs no invalidation: it only must not take in a hash that a
// failed transaction could still undo. Appending an entry reads a few
// hashes of the tree's right edge, the same ones again and again; served
// from memory they cost no round trip inside the serialised append.
//
// Only the writer goroutine uses it.
type hashCache struct {
	committed map[int64]tlog.Hash
	// pending holds the hashes written by the requests of the open
	// transaction that succeeded so far; they join committed on commit.
	pending map[int64]tlog.Hash
}

func newHashCache() *hashCache {
	return &hashCache{committed: map[int64]tlog.Hash{}, pending: map[int64]tlog.Hash{}}
}

// committedBelow adds hashes read from the database, keeping those whose
// storage index is below limit, the first index the open transaction may
// have written.
func (c *hashCache) committedBelow(limit int64, indexes []int64, hashes []tlog.Hash) {
	if len(c.committed) >= maxCachedHashes {
		clear(c.committed)
	}
	for i, idx := range indexes {
		if idx < limit {
			c.committed[idx] = hashes[i]
		}
	}
}

// commit moves the open transaction's hashes to committed; abort drops
// them.
func (c *hashCache) commit() {
	if len(c.committed)+len(c.pending) > maxCachedHashes {
		clear(c.committed)
	}
	for idx, h := range c.pending {
		c.committed[idx] = h
	}
	clear(c.pending)
}

func (c *hashCache) abort() { clear(c.pending) }

// txHashReader reads tree hashes inside a write: the request's own first,
// then those of the open transaction, the cache, and last the database.
type txHashReader struct {
	ctx context.Context
	tx  *Tx
}

func (r txHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	var at []int
	cache := r.tx.db.hashes
	for i, idx := range indexes {
		if h, ok := r.tx.newHashes[idx]; ok {
			out[i] = h
		} else if h, ok := cache.pending[idx]; ok {
			out[i] = h
		} else if h, ok := cache.committed[idx]; ok {
			out[i] = h
		} else {
			missing = append(missing, idx)
			at = append(at, i)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	read, err := readHashes(r.ctx, r.tx.query, missing)
	if err != nil {
		return nil, err
	}
	for j, i := range at {
		out[i] = read[j]
	}
	cache.committedBelow(tlog.StoredHashIndex(0, r.tx.batchStart), missing, read)
	return out, nil
}
