package auditlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strings"

	"github.com/andon-governance/andon"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Source is a stored audit log as Verify reads it.
type Source interface {
	// Records calls fn for every stored record in ascending order of the
	// store's own row index, passing that index and the bytes as stored.
	// fn must not keep record after it returns. Records stops and returns
	// fn's error if fn fails.
	//
	// Verify calls StoredHashes from inside fn, so Records must not hold
	// something that StoredHashes needs: with database/sql, read the
	// records on one connection and the hashes on another, or read the
	// records in pages.
	Records(ctx context.Context, fn func(index int64, record []byte) error) error

	// StoredHashes returns the stored tree hashes at the given storage
	// indexes (tlog.StoredHashIndex numbering), one per index. Verify asks
	// for short runs of consecutive indexes, in ascending order. If a hash
	// is missing it should fail with an *andon.Error of code ENOTFOUND, so
	// that Verify can report the entry instead of failing as a whole.
	StoredHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)

	// Checkpoint returns the latest signed checkpoint note as stored. An
	// empty result or an ENOTFOUND *andon.Error means there is none yet.
	Checkpoint(ctx context.Context) ([]byte, error)
}

// Report is the outcome of Verify.
type Report struct {
	// Entries is the number of records read.
	Entries int64 `json:"entries"`
	// Root is the root hash recomputed from the records, in base64. It is
	// empty when an entry is bad, since the records then have no tree.
	Root string `json:"root,omitempty"`
	// CheckpointSize is the tree size of the signed checkpoint, 0 when
	// there is no checkpoint or its signature does not verify.
	CheckpointSize int64 `json:"checkpointSize"`
	// Unsigned counts entries newer than the signed checkpoint, or all of
	// them when none is stored. A store that signs in the same transaction
	// as it appends has none, except for entries appended while Verify
	// ran; they are not a fault.
	Unsigned int64 `json:"unsigned"`
	// OK reports that nothing was found wrong.
	OK bool `json:"ok"`
	// FirstBad is the first entry found wrong, or -1 when none is or when
	// the fault cannot be pinned on one entry (a bad checkpoint signature,
	// or records and tree hashes rewritten consistently so that only the
	// signed root disagrees).
	FirstBad int64 `json:"firstBad"`
	// Problem says what is wrong, naming FirstBad when there is one.
	Problem string `json:"problem,omitempty"`
	// Saved is the number of checkpoints kept outside the log that
	// Verify was given; when OK, the log extends each of them.
	Saved int `json:"savedCheckpoints,omitempty"`
	// RolledBack are the saved checkpoints that the log does not hold,
	// but whose rollback an entry of the log records (an entry
	// andon.EventAuditRolledBack, written by andon audit record-rollback):
	// a restore to an earlier point that was made knowingly. They are
	// not faults; a report names them.
	RolledBack []RecordedRollback `json:"rolledBack,omitempty"`
}

// RecordedRollback is a saved checkpoint that the log no longer holds,
// and the entry that records its rollback.
type RecordedRollback struct {
	// Size and RootHash are the saved checkpoint's.
	Size     int64  `json:"size"`
	RootHash string `json:"rootHash"`
	// Entry is the index of the entry that records the rollback, which
	// is the size of the log as it was restored.
	Entry int64 `json:"entry"`
	// Reason is the entry's.
	Reason string `json:"reason"`
}

// Verify reads a whole log from src and recomputes everything a signed
// checkpoint vouches for: that every record parses and holds the entry
// number of its row, that rows have no gaps, that every stored tree hash
// (leaves and interior nodes) matches the hash recomputed from the records,
// that the log has at least the checkpoint's entries, and that the root of
// those entries is the signed root, under a signature v accepts.
//
// saved are checkpoints signed earlier and kept outside the log, such as
// an auditor's copies of the latest checkpoint taken on a schedule. The
// stored checkpoint cannot reveal a log that was rolled back (a restore
// of an older backup) and then written again, nor one rewritten with the
// signing key: each still verifies on its own. A saved checkpoint does:
// Verify also checks that the log holds at least each one's entries and
// that the root of those entries is the one it signed. A saved
// checkpoint that v does not verify is an error, not a fault of the log.
// A saved checkpoint that an entry of the log records as rolled back
// (andon.EventAuditRolledBack) is no fault either: Report.RolledBack
// names it, with the entry. Such an entry must state the log it follows,
// its size and root, and be signed with the key v checks, or it is one.
//
// Verify streams: it keeps the O(log n) hashes of the tree's complete
// subtrees and a fixed-size batch of hashes to compare, never the log.
// It returns an error only when reading fails or ctx ends, or for a
// saved checkpoint that does not open; any fault in the log itself is
// described in the Report.
func Verify(ctx context.Context, src Source, v note.Verifier, saved ...*andon.Checkpoint) (*Report, error) {
	rep := &Report{FirstBad: -1, Saved: len(saved)}
	// The sizes of the saved checkpoints, with the root each signed.
	savedRoots := make(map[int64]tlog.Hash, len(saved))
	for _, c := range saved {
		sc, err := OpenCheckpoint([]byte(c.Note), v)
		if err != nil {
			return nil, andon.Errorf(andon.EINVALID, "saved checkpoint of %d entries: %s", c.Size, andon.ErrorMessage(err))
		}
		root, _ := parseHash(sc.RootHash) // OpenCheckpoint checked it
		if prev, ok := savedRoots[sc.Size]; ok && prev != root {
			// Both verify, so the key signed two logs of one size.
			rep.Problem = fmt.Sprintf("two saved checkpoints of %d entries sign different roots, %s and %s: the log was rewritten by someone holding the signing key", sc.Size, prev, root)
			return rep, nil
		}
		savedRoots[sc.Size] = root
	}

	// The checkpoint is read before the records: a store that is being
	// written meanwhile then shows newer entries as unsigned, and never a
	// checkpoint larger than the records read.
	signed, err := src.Checkpoint(ctx)
	if err != nil && andon.ErrorCode(err) != andon.ENOTFOUND {
		return nil, fmt.Errorf("auditlog: verify: read checkpoint: %w", err)
	}
	var (
		cp        *andon.Checkpoint
		cpRoot    tlog.Hash
		cpProblem string
	)
	if len(signed) > 0 {
		if cp, err = OpenCheckpoint(signed, v); err != nil {
			cpProblem = andon.ErrorMessage(err)
			cp = nil
		} else {
			cpRoot, _ = parseHash(cp.RootHash) // OpenCheckpoint checked it
			rep.CheckpointSize = cp.Size
		}
	}

	w := &walker{
		ctx:    ctx,
		src:    src,
		v:      v,
		cpSize: -1,
		sha:    sha256.New(),
		// A record adds at most 64 hashes to a batch before it is flushed.
		pending: make([]tlog.Hash, 0, compareBatch+64),
		indexes: make([]int64, 0, compareBatch+64),
	}
	if cp != nil {
		w.cpSize = cp.Size
		if cp.Size == 0 {
			w.cpRoot = w.root()
		}
	}
	if len(savedRoots) > 0 {
		w.roots = make(map[int64]tlog.Hash, len(savedRoots))
		for size := range savedRoots {
			w.roots[size] = tlog.Hash{}
		}
		if _, ok := w.roots[0]; ok {
			w.roots[0] = w.root()
		}
	}
	if err := src.Records(ctx, w.add); err != nil {
		return nil, fmt.Errorf("auditlog: verify: %w", err)
	}
	if err := w.flush(); err != nil {
		return nil, fmt.Errorf("auditlog: verify: %w", err)
	}

	rep.Entries = w.rows
	if !w.bad {
		rep.Root = w.root().String()
	}
	// Every write signs a checkpoint of its entries in its own
	// transaction. Entries newer than the checkpoint read first were
	// either written meanwhile, and a checkpoint read now covers them, or
	// added outside andon.
	// The first write of a log may commit between the two reads, so a
	// log found without a checkpoint is looked at again too.
	uncovered, laterProblem := int64(-1), ""
	var signedSize int64
	if cp != nil {
		signedSize = cp.Size
	}
	if cpProblem == "" && w.rows > signedSize && !w.bad {
		later, err := src.Checkpoint(ctx)
		if err != nil && andon.ErrorCode(err) != andon.ENOTFOUND {
			return nil, fmt.Errorf("auditlog: verify: read checkpoint again: %w", err)
		}
		uncovered = signedSize
		if len(later) == 0 {
			// Still none: the case below names it.
		} else if lcp, err := OpenCheckpoint(later, v); err != nil {
			laterProblem = "the checkpoint read after the entries: " + andon.ErrorMessage(err)
		} else if lcp.Size >= w.rows {
			uncovered = -1
			if laterProblem, err = w.covers(lcp); err != nil {
				return nil, fmt.Errorf("auditlog: verify: %w", err)
			}
		} else if lcp.Size > signedSize {
			uncovered = lcp.Size
		}
	}
	if cp != nil && w.rows > cp.Size {
		rep.Unsigned = w.rows - cp.Size
	} else if len(signed) == 0 {
		rep.Unsigned = w.rows
	}
	switch {
	case w.bad:
		rep.FirstBad, rep.Problem = w.firstBad, w.problem
	case cpProblem != "":
		rep.Problem = cpProblem
	case cp == nil && laterProblem != "":
		rep.Problem = laterProblem
	case cp == nil && uncovered >= 0:
		// No checkpoint then, and none since that covers the entries.
		rep.Problem = fmt.Sprintf("the log has %d entries but no signed checkpoint", w.rows)
	case cp == nil:
		// An empty log that was never signed is a fresh one, unless
		// checkpoints were saved from it.
		rep.FirstBad, rep.Problem = w.extends(savedRoots)
	case w.rows < cp.Size:
		rep.FirstBad = w.rows
		rep.Problem = fmt.Sprintf("entry %d is missing: the log ends after %d entries but the signed checkpoint covers %d", w.rows, w.rows, cp.Size)
	case w.cpRoot != cpRoot:
		rep.Problem = fmt.Sprintf("the root of the first %d entries, %s, does not match the signed checkpoint root %s", cp.Size, w.cpRoot, cp.RootHash)
	case laterProblem != "":
		rep.Problem = laterProblem
	case uncovered >= 0:
		rep.FirstBad = uncovered
		rep.Problem = fmt.Sprintf("entries %d to %d are covered by no signed checkpoint: andon signs one with every write, so they were added outside it", uncovered, w.rows-1)
	default:
		rep.FirstBad, rep.Problem = w.extends(savedRoots)
	}
	rep.OK = rep.Problem == ""
	rep.RolledBack = w.explained
	return rep, nil
}

// covers checks that the signed checkpoint lcp, read after the records,
// extends the tree the records make: its root is theirs, or, when entries
// were written after them, the stored hashes prove the records' tree a
// prefix of lcp's. Whoever can write the database cannot make either hold
// without the signing key. It returns the problem, or "" when lcp covers
// the records.
func (w *walker) covers(lcp *andon.Checkpoint) (string, error) {
	root, err := parseHash(lcp.RootHash)
	if err != nil {
		return "", err
	}
	mine := w.root()
	if lcp.Size == w.rows {
		if root != mine {
			return fmt.Sprintf("the root of the %d entries, %s, does not match the checkpoint signed since, %s", w.rows, mine, lcp.RootHash), nil
		}
		return "", nil
	}
	proof, err := tlog.ProveTree(lcp.Size, w.rows, tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		return w.src.StoredHashes(w.ctx, indexes)
	}))
	if err == nil {
		err = tlog.CheckTree(proof, lcp.Size, root, w.rows, mine)
	}
	if err != nil {
		return fmt.Sprintf("the %d entries are not the start of the log of %d entries the checkpoint signed since covers: %v", w.rows, lcp.Size, err), nil
	}
	return "", nil
}

// extends checks that the log read holds the log of every saved
// checkpoint as its first entries, the largest first, and returns the
// first entry it lost and the problem, or -1 and "".
func (w *walker) extends(saved map[int64]tlog.Hash) (int64, string) {
	sizes := slices.Sorted(maps.Keys(saved))
	slices.Reverse(sizes)
	for _, size := range sizes {
		held := size <= w.rows && w.roots[size] == saved[size]
		if r, ok := w.recorded[savedCheckpoint{size, saved[size].String()}]; ok && !held {
			w.explained = append(w.explained, RecordedRollback{Size: size, RootHash: saved[size].String(), Entry: r.entry, Reason: r.reason})
			continue
		}
		if size > w.rows {
			return w.rows, fmt.Sprintf("the log was rolled back: it holds %d entries, but a checkpoint saved earlier signs %d (root %s): entries %d to %d are gone, as after a restore of an older backup", w.rows, size, saved[size], w.rows, size-1)
		}
		if got := w.roots[size]; got != saved[size] {
			return -1, fmt.Sprintf("the first %d entries are not those of the checkpoint saved earlier: their root is %s, it signs %s; the log was rolled back and written again, or rewritten by someone holding the signing key", size, got, saved[size])
		}
	}
	return -1, ""
}

// compareBatch is how many computed hashes Verify collects before it reads
// the stored ones to compare: large enough to make reads cheap, small
// enough to be a modest SQL IN list.
const compareBatch = 1024

// walker is the state of Verify as the records stream by.
type walker struct {
	ctx context.Context
	src Source
	// v checks the signatures of the entries that record a rollback.
	v note.Verifier

	rows int64 // records seen
	next int64 // entry expected next, while the sequence holds

	// stack holds the roots of the complete subtrees of the records so
	// far, largest first: the compact range [0, next).
	stack [64]tlog.Hash
	depth int

	// pending are the hashes computed for storage indexes pendingStart,
	// pendingStart+1, ... and not yet compared with the stored ones.
	pending      []tlog.Hash
	pendingStart int64
	indexes      []int64

	cpSize int64 // -1 without a valid checkpoint
	cpRoot tlog.Hash

	// roots holds, for the size of each saved checkpoint, the root of
	// that many records once they are read.
	roots map[int64]tlog.Hash

	sha hash.Hash
	sum []byte

	// recorded are the checkpoints whose rollback an entry records, and
	// explained those of them that were saved and the log does not hold.
	recorded  map[savedCheckpoint]rollbackEntry
	explained []RecordedRollback

	bad      bool // a fault was found; the rest is only counted
	firstBad int64
	problem  string
}

// add takes the next record from the source.
func (w *walker) add(index int64, record []byte) error {
	w.rows++
	if w.rows%compareBatch == 0 {
		if err := w.ctx.Err(); err != nil {
			return err
		}
	}
	if w.bad {
		return nil
	}
	switch {
	case index > w.next:
		if index == w.next+1 {
			return w.fail(w.next, fmt.Sprintf("entry %d is missing", w.next))
		}
		return w.fail(w.next, fmt.Sprintf("entries %d to %d are missing", w.next, index-1))
	case index < w.next:
		return w.fail(index, fmt.Sprintf("entry %d appears again after entry %d", index, w.next-1))
	}
	f, err := parseRecord(record)
	if err != nil {
		msg := strings.TrimPrefix(andon.ErrorMessage(err), recordErrorPrefix)
		return w.fail(index, fmt.Sprintf("entry %d does not parse: %s", index, msg))
	}
	if f.index != index {
		return w.fail(index, fmt.Sprintf("entry %d holds the record of entry %d", index, f.index))
	}

	if bytes.Equal(f.typ, rolledBackType) {
		if problem := w.recordRollback(index, f.data); problem != "" {
			return w.fail(index, problem)
		}
	}

	// The hashes of record index, in the order tlog.StoredHashes stores
	// them: the leaf, then one hash per subtree that the leaf completes.
	h := w.leafHash(record)
	w.pending = append(w.pending, h)
	for i := index; i&1 == 1; i >>= 1 {
		w.depth--
		h = tlog.NodeHash(w.stack[w.depth], h)
		w.pending = append(w.pending, h)
	}
	w.stack[w.depth] = h
	w.depth++
	w.next++
	if w.next == w.cpSize {
		w.cpRoot = w.root()
	}
	if w.roots != nil {
		if _, ok := w.roots[w.next]; ok {
			w.roots[w.next] = w.root()
		}
	}
	if len(w.pending) >= compareBatch {
		return w.flush()
	}
	return nil
}

// rolledBackType is the type of an entry that records a rollback, as a
// record holds it.
var rolledBackType = []byte(`"` + andon.EventAuditRolledBack + `"`)

// savedCheckpoint is a checkpoint's size and root.
type savedCheckpoint struct {
	size int64
	root string
}

// rollbackEntry is an entry that records a rollback.
type rollbackEntry struct {
	entry  int64
	reason string
}

// recordRollback takes the data of entry index, which records that the
// log was restored to its first index entries, before they are hashed:
// the entry must state the log it follows, or it recorded another
// rollback than this log's, and be signed with the audit key
// (CheckRollback). It returns the problem, or "".
func (w *walker) recordRollback(index int64, data []byte) string {
	var rb andon.RolledBack
	if err := json.Unmarshal(data, &rb); err != nil {
		return fmt.Sprintf("entry %d records a rollback whose data does not decode: %v", index, err)
	}
	if root := w.root().String(); rb.Size != index || rb.RootHash != root {
		return fmt.Sprintf("entry %d records a rollback to a log of %d entries with root %s, but it follows %d entries with root %s", index, rb.Size, rb.RootHash, index, root)
	}
	// Only the holder of the key records a rollback: a server signs any
	// tree its database holds, so the entry alone proves nothing of who
	// wrote it.
	if err := CheckRollback(&rb, w.v); err != nil {
		return fmt.Sprintf("entry %d records a rollback that the audit key did not vouch for: %s; andon audit record-rollback signs what it records", index, andon.ErrorMessage(err))
	}
	if w.recorded == nil {
		w.recorded = make(map[savedCheckpoint]rollbackEntry)
	}
	for _, c := range rb.Checkpoints {
		w.recorded[savedCheckpoint{c.Size, c.RootHash}] = rollbackEntry{index, rb.Reason}
	}
	return ""
}

// fail records a fault of entry n, unless the stored hashes still pending
// show an earlier one.
func (w *walker) fail(n int64, problem string) error {
	if err := w.flush(); err != nil || w.bad {
		return err
	}
	w.setBad(n, problem)
	return nil
}

// flush compares the pending hashes with the stored ones.
func (w *walker) flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	w.indexes = w.indexes[:0]
	for k := range w.pending {
		w.indexes = append(w.indexes, w.pendingStart+int64(k))
	}
	stored, err := w.src.StoredHashes(w.ctx, w.indexes)
	if err != nil && andon.ErrorCode(err) == andon.ENOTFOUND {
		stored, err = w.storedOneByOne()
	}
	if err != nil {
		return fmt.Errorf("read stored hashes %d to %d: %w", w.indexes[0], w.indexes[len(w.indexes)-1], err)
	}
	if len(stored) > len(w.pending) {
		return fmt.Errorf("read stored hashes %d to %d: got %d hashes for %d indexes", w.indexes[0], w.indexes[len(w.indexes)-1], len(stored), len(w.indexes))
	}
	// A short result comes from storedOneByOne and ends at a missing hash.
	for k, h := range w.pending {
		if k == len(stored) {
			lo, hi, level := covered(w.indexes[k])
			w.setBad(lo, fmt.Sprintf("entry %d: %s is missing", lo, describeHash(lo, hi, level)))
			break
		}
		if stored[k] != h {
			lo, hi, level := covered(w.indexes[k])
			if level == 0 {
				w.setBad(lo, fmt.Sprintf("entry %d does not match its stored leaf hash: the record or the hash was altered", lo))
			} else {
				w.setBad(lo, fmt.Sprintf("entry %d: %s does not match the records (records and their leaf hashes, or that hash, were altered)", lo, describeHash(lo, hi, level)))
			}
			break
		}
	}
	w.pendingStart += int64(len(w.pending))
	w.pending = w.pending[:0]
	return nil
}

// storedOneByOne reads the pending stored hashes one at a time, to find
// the first that is missing. The result stops short of it.
func (w *walker) storedOneByOne() ([]tlog.Hash, error) {
	out := make([]tlog.Hash, 0, len(w.indexes))
	for _, i := range w.indexes {
		h, err := w.src.StoredHashes(w.ctx, []int64{i})
		if andon.ErrorCode(err) == andon.ENOTFOUND {
			return out, nil
		} else if err != nil {
			return nil, err
		} else if len(h) != 1 {
			return nil, fmt.Errorf("got %d hashes for 1 index", len(h))
		}
		out = append(out, h[0])
	}
	return out, nil
}

// setBad records the first fault. Once a fault is found the tree computed
// so far no longer describes the log, so nothing more is compared.
func (w *walker) setBad(n int64, problem string) {
	if !w.bad {
		w.bad = true
		w.firstBad, w.problem = n, problem
	}
}

// covered returns the entries under the stored hash at storage index i
// and the hash's level in the tree.
func covered(i int64) (lo, hi int64, level int) {
	level, n := tlog.SplitStoredHashIndex(i)
	return n << level, (n+1)<<level - 1, level
}

func describeHash(lo, hi int64, level int) string {
	if level == 0 {
		return fmt.Sprintf("the stored leaf hash of entry %d", lo)
	}
	return fmt.Sprintf("the stored tree hash over entries %d to %d", lo, hi)
}

// leafPrefix is the byte RFC 6962 puts before a record to hash it.
var leafPrefix = []byte{0x00}

// leafHash is tlog.RecordHash without its allocation per call.
func (w *walker) leafHash(record []byte) tlog.Hash {
	w.sha.Reset()
	w.sha.Write(leafPrefix)
	w.sha.Write(record)
	w.sum = w.sha.Sum(w.sum[:0])
	return tlog.Hash(w.sum)
}

// root returns the root hash of the records so far (RFC 6962): the
// complete subtrees folded from the smallest, rightmost one leftwards.
func (w *walker) root() tlog.Hash {
	if w.depth == 0 {
		h, _ := tlog.TreeHash(0, nil) // the empty tree reads no hashes
		return h
	}
	h := w.stack[w.depth-1]
	for k := w.depth - 2; k >= 0; k-- {
		h = tlog.NodeHash(w.stack[k], h)
	}
	return h
}
