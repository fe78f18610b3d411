package auditlog

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/andon-governance/andon"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// StoredHash is one tree hash a store keeps, at its storage index in the
// numbering of tlog.StoredHashIndex.
type StoredHash struct {
	Index int64
	Hash  tlog.Hash
}

// HashesToStore returns the tree hashes to store when appending record
// number index: its leaf hash and the hashes of the subtrees it completes.
// r reads the hashes stored for the records before it. A store that keeps
// every returned hash at its Index, in the same transaction as the record,
// can later answer TreeHash, Prove and Verify.
func HashesToStore(index int64, record []byte, r tlog.HashReader) ([]StoredHash, error) {
	if index < 0 {
		return nil, fmt.Errorf("auditlog: hashes of entry %d: negative index", index)
	}
	hashes, err := tlog.StoredHashes(index, record, r)
	if err != nil {
		return nil, fmt.Errorf("auditlog: hashes of entry %d: %w", index, err)
	}
	// tlog.StoredHashes documents that its hashes occupy consecutive
	// storage indexes starting at the leaf's.
	start := tlog.StoredHashIndex(0, index)
	out := make([]StoredHash, len(hashes))
	for i, h := range hashes {
		out[i] = StoredHash{Index: start + int64(i), Hash: h}
	}
	return out, nil
}

// TreeHash returns the root hash of the tree of the first n records.
func TreeHash(n int64, r tlog.HashReader) (tlog.Hash, error) {
	if n < 0 {
		return tlog.Hash{}, fmt.Errorf("auditlog: tree of %d entries: negative size", n)
	}
	h, err := tlog.TreeHash(n, r)
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("auditlog: tree of %d entries: %w", n, err)
	}
	return h, nil
}

// Prove returns the inclusion proof of entry index in the tree of the
// first size records: the hashes CheckProof needs, besides the record, to
// recompute the root.
func Prove(index, size int64, r tlog.HashReader) ([]tlog.Hash, error) {
	if index < 0 || index >= size {
		return nil, andon.Errorf(andon.ENOTFOUND, "no audit entry %d in a tree of %d entries", index, size)
	}
	p, err := tlog.ProveRecord(size, index, r)
	if err != nil {
		return nil, fmt.Errorf("auditlog: prove entry %d in tree of %d: %w", index, size, err)
	}
	return p, nil
}

// CheckProof verifies an evidence proof offline, trusting nothing in it
// but what v vouches for: the checkpoint note must carry a valid signature
// by v; the record must hold entry p.Index; and the record's leaf hash with
// p.Hashes must lead to the signed root.
//
// Whitespace that a pretty-printer added around the record is ignored:
// records are canonical and therefore compact, so compacting them again
// restores the bytes that were hashed.
func CheckProof(p *andon.Proof, v note.Verifier) error {
	if p == nil {
		return andon.Errorf(andon.EINVALID, "no proof")
	}
	cp, err := OpenCheckpoint([]byte(p.Checkpoint.Note), v)
	if err != nil {
		return err
	}
	// The unsigned copies of the checkpoint's fields are there for people
	// to read; the note is what was signed, and they must agree with it.
	if p.Checkpoint.Origin != cp.Origin || p.Checkpoint.Size != cp.Size || p.Checkpoint.RootHash != cp.RootHash {
		return andon.Errorf(andon.EINVALID, "proof of entry %d: the checkpoint fields differ from its signed note", p.Index)
	}
	if p.Index < 0 || p.Index >= cp.Size {
		return andon.Errorf(andon.EINVALID, "proof of entry %d: the signed checkpoint covers entries 0 to %d only", p.Index, cp.Size-1)
	}

	var record bytes.Buffer
	if err := json.Compact(&record, p.Record); err != nil {
		return andon.Errorf(andon.EINVALID, "proof of entry %d: the record is not valid JSON", p.Index)
	}
	e, err := Decode(record.Bytes())
	if err != nil {
		return andon.Errorf(andon.EINVALID, "proof of entry %d: %s", p.Index, andon.ErrorMessage(err))
	}
	if e.Index != p.Index {
		return andon.Errorf(andon.EINVALID, "proof of entry %d: the record is entry %d", p.Index, e.Index)
	}
	leaf := tlog.RecordHash(record.Bytes())
	if p.LeafHash != "" && p.LeafHash != leaf.String() {
		return andon.Errorf(andon.EINVALID, "proof of entry %d: the leaf hash is not the hash of the record", p.Index)
	}

	proof := make(tlog.RecordProof, len(p.Hashes))
	for i, s := range p.Hashes {
		if proof[i], err = parseHash(s); err != nil {
			return andon.Errorf(andon.EINVALID, "proof of entry %d: hash %d: %s", p.Index, i, andon.ErrorMessage(err))
		}
	}
	root, err := parseHash(cp.RootHash)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(proof, cp.Size, root, p.Index, leaf); err != nil {
		return andon.Errorf(andon.EINVALID, "proof of entry %d: the record is not in the signed tree of %d entries", p.Index, cp.Size)
	}
	return nil
}

// parseHash parses a tree hash in standard base64. It insists on the one
// canonical spelling, so that a hash has a single text form to compare.
func parseHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		return h, andon.Errorf(andon.EINVALID, "%q is not a base64 SHA-256 hash", s)
	}
	copy(h[:], b)
	return h, nil
}
