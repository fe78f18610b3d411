package auditlog

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"

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
	cp, root, err := openSigned(p.Checkpoint, v)
	if err != nil {
		return err
	}
	_, err = checkEntry(andon.EvidenceEntry{Index: p.Index, Record: p.Record, LeafHash: p.LeafHash, Hashes: p.Hashes}, cp, root)
	return err
}

// CheckEvidence verifies an export offline, as CheckProof verifies one
// proof: the checkpoint is signed by v, and every entry's record, in
// increasing index order, leads with its proof to the signed root and
// matches the export's filter. An export whose filter selects every entry
// after an index (no type, subject, actor, change, process or period)
// must also hold each of them in turn, up to the signed log's last unless
// it says more follow: there, an entry left out is seen. A process is not
// checked: no record names the processes of the change a gate decision
// concerns, so an entry of the export is checked to be in the log, not to
// concern the process. It returns the checkpoint and
// the entries decoded from their records.
func CheckEvidence(ev *andon.Evidence, v note.Verifier) (*andon.Checkpoint, []*andon.Entry, error) {
	if ev == nil {
		return nil, nil, andon.Errorf(andon.EINVALID, "no evidence")
	}
	cp, root, err := openSigned(ev.Checkpoint, v)
	if err != nil {
		return nil, nil, err
	}
	f := ev.Filter
	every := f.Type == "" && f.Subject == "" && f.Actor == "" && f.Change == "" && f.Process == "" && f.Since == nil && f.Until == nil
	next := max(f.After, -1) + 1 // the index an export of every entry holds next
	for i := 1; i < len(ev.Entries); i++ {
		if prev, ee := ev.Entries[i-1], ev.Entries[i]; ee.Index <= prev.Index {
			return nil, nil, andon.Errorf(andon.EINVALID, "entry %d follows entry %d: an export lists entries once each, in increasing index order", ee.Index, prev.Index)
		}
	}
	entries := make([]*andon.Entry, 0, len(ev.Entries))
	for _, ee := range ev.Entries {
		e, err := checkEntry(ee, cp, root)
		if err != nil {
			return nil, nil, err
		}
		if problem := unmatched(e, f); problem != "" {
			return nil, nil, andon.Errorf(andon.EINVALID, "entry %d does not match the export's filter: %s", e.Index, problem)
		}
		if every && e.Index > next {
			return nil, nil, andon.Errorf(andon.EINVALID, "%s missing before entry %d: an export of every entry after %d holds each of them", entryRange(next, e.Index-1), e.Index, f.After)
		}
		next = e.Index + 1
		entries = append(entries, e)
	}
	if every && !ev.More && next < cp.Size {
		return nil, nil, andon.Errorf(andon.EINVALID, "%s missing at the end: an export of every entry after %d that does not say more follow holds each of them, up to the last of the signed log of %d", entryRange(next, cp.Size-1), f.After, cp.Size)
	}
	return cp, entries, nil
}

// WriteEvidence writes ev as an export file is written, by andon audit
// export and the board alike: indented, and not escaped for HTML, so that
// each record keeps the bytes that were hashed (only whitespace is added,
// which checking removes).
func WriteEvidence(w io.Writer, ev *andon.Evidence) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(ev)
}

// entryRange names the entries from to to, with the verb that follows.
func entryRange(from, to int64) string {
	if from == to {
		return fmt.Sprintf("entry %d is", from)
	}
	return fmt.Sprintf("entries %d to %d are", from, to)
}

// openSigned opens a checkpoint's signed note with v and checks that its
// readable fields, there for people to read, agree with what was signed.
func openSigned(c andon.Checkpoint, v note.Verifier) (*andon.Checkpoint, tlog.Hash, error) {
	cp, err := OpenCheckpoint([]byte(c.Note), v)
	if err != nil {
		return nil, tlog.Hash{}, err
	}
	const differ = "the checkpoint fields differ from its signed note"
	switch {
	case c.Origin != cp.Origin:
		return nil, tlog.Hash{}, andon.Errorf(andon.EINVALID, "%s: origin %q, signed %q", differ, c.Origin, cp.Origin)
	case c.Size != cp.Size:
		return nil, tlog.Hash{}, andon.Errorf(andon.EINVALID, "%s: size %d, signed %d", differ, c.Size, cp.Size)
	case c.RootHash != cp.RootHash:
		return nil, tlog.Hash{}, andon.Errorf(andon.EINVALID, "%s: root hash %q, signed %s", differ, c.RootHash, cp.RootHash)
	}
	root, err := parseHash(cp.RootHash)
	return cp, root, err
}

// checkEntry checks that the record of ee is entry ee.Index and that it
// leads with ee.Hashes to root, the root of cp's tree, and returns the
// entry decoded from it.
func checkEntry(ee andon.EvidenceEntry, cp *andon.Checkpoint, root tlog.Hash) (*andon.Entry, error) {
	if ee.Index < 0 || ee.Index >= cp.Size {
		return nil, andon.Errorf(andon.EINVALID, "proof of entry %d: the signed checkpoint covers entries 0 to %d only", ee.Index, cp.Size-1)
	}
	var record bytes.Buffer
	if err := json.Compact(&record, ee.Record); err != nil {
		return nil, andon.Errorf(andon.EINVALID, "proof of entry %d: the record is not valid JSON", ee.Index)
	}
	e, err := Decode(record.Bytes())
	if err != nil {
		return nil, andon.Errorf(andon.EINVALID, "proof of entry %d: %s", ee.Index, andon.ErrorMessage(err))
	}
	if e.Index != ee.Index {
		return nil, andon.Errorf(andon.EINVALID, "proof of entry %d: the record is entry %d", ee.Index, e.Index)
	}
	leaf := tlog.RecordHash(record.Bytes())
	if ee.LeafHash != "" && ee.LeafHash != leaf.String() {
		return nil, andon.Errorf(andon.EINVALID, "proof of entry %d: the leaf hash is not the hash of the record", ee.Index)
	}
	proof := make(tlog.RecordProof, len(ee.Hashes))
	for i, s := range ee.Hashes {
		if proof[i], err = parseHash(s); err != nil {
			return nil, andon.Errorf(andon.EINVALID, "proof of entry %d: hash %d: %s", ee.Index, i, andon.ErrorMessage(err))
		}
	}
	if err := tlog.CheckRecord(proof, cp.Size, root, ee.Index, leaf); err != nil {
		return nil, andon.Errorf(andon.EINVALID, "proof of entry %d: the record is not in the signed tree of %d entries", ee.Index, cp.Size)
	}
	return e, nil
}

// unmatched says how e fails to match f, or "" when it matches: the
// filter's fields as the server applies them, so that an entry added to
// an export from elsewhere in the log is named.
func unmatched(e *andon.Entry, f andon.AuditFilter) string {
	switch {
	case e.Index <= f.After:
		return fmt.Sprintf("its index is not above %d", f.After)
	case f.Type != "" && e.Type != f.Type:
		return fmt.Sprintf("its type is %s, not %s", e.Type, f.Type)
	case f.Subject != "" && e.Subject != f.Subject:
		return fmt.Sprintf("its subject is %q, not %q", e.Subject, f.Subject)
	case f.Actor != "" && e.Actor != f.Actor:
		return fmt.Sprintf("its actor is %q, not %q", e.Actor, f.Actor)
	case f.Change != "" && e.Subject != f.Change && dataChange(e) != f.Change:
		return fmt.Sprintf("it concerns neither change %s as its subject nor as the change its data names", f.Change)
	case f.Since != nil && e.Time.Before(*f.Since):
		return fmt.Sprintf("it was recorded at %s, before the period's start, %s", FormatTime(e.Time), FormatTime(*f.Since))
	case f.Until != nil && !e.Time.Before(*f.Until):
		return fmt.Sprintf("it was recorded at %s, not before the period's end, %s", FormatTime(e.Time), FormatTime(*f.Until))
	}
	return ""
}

// dataChange returns the change an entry's data names, as a gate
// decision names the change it matched, or "".
func dataChange(e *andon.Entry) string {
	var data struct {
		Change string `json:"change"`
	}
	if json.Unmarshal(e.Data, &data) != nil {
		return ""
	}
	return data.Change
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
