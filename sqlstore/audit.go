package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// queryFunc runs a query: Tx.query inside a write, DB.readQuery outside.
type queryFunc func(ctx context.Context, q string, args ...any) (*sql.Rows, error)

// hashReader reads stored tree hashes through query; it implements
// tlog.HashReader.
type hashReader struct {
	ctx   context.Context
	query queryFunc
}

func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return readHashes(r.ctx, r.query, indexes)
}

func readHashes(ctx context.Context, query queryFunc, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	if len(indexes) == 0 {
		return out, nil
	}
	pos := make(map[int64][]int, len(indexes))
	args := make([]any, 0, len(indexes))
	for i, idx := range indexes {
		if _, ok := pos[idx]; !ok {
			args = append(args, idx)
		}
		pos[idx] = append(pos[idx], i)
	}
	// Verification asks for runs of consecutive indexes, a thousand at a
	// time: a range is one small statement, where a list of a thousand
	// parameters is parsed and planned anew for every length.
	q := `SELECT idx, hash FROM audit_hashes WHERE idx IN (?` + strings.Repeat(",?", len(args)-1) + `)`
	if lo, hi, ok := consecutive(args); ok && len(args) > 8 {
		q, args = `SELECT idx, hash FROM audit_hashes WHERE idx >= ? AND idx <= ?`, []any{lo, hi}
	}
	rows, err := query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return nil, err
		}
		if len(h) != tlog.HashSize {
			return nil, fmt.Errorf("stored tree hash %d has %d bytes", idx, len(h))
		}
		for _, i := range pos[idx] {
			copy(out[i][:], h)
			found++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if found != len(indexes) {
		return nil, andon.Errorf(andon.ENOTFOUND, "audit tree: %d of %d stored hashes missing", len(indexes)-found, len(indexes))
	}
	return out, nil
}

// consecutive reports whether args are the int64s lo, lo+1, …, hi.
func consecutive(args []any) (lo, hi int64, ok bool) {
	for i, a := range args {
		v, isInt := a.(int64)
		if !isInt || (i > 0 && v != hi+1) {
			return 0, 0, false
		}
		if i == 0 {
			lo = v
		}
		hi = v
	}
	return lo, hi, len(args) > 0
}

// auditSize returns the size of the audit log as of the last checkpoint,
// the count of writes to changes (see changeStamp) and the stored
// checkpoint's note, which the writer checks is signed by its key (see
// checkStoredSigner) before it appends.
func auditSize(ctx context.Context, tx *Tx) (size, changesSeq int64, signed []byte, err error) {
	// Locking the checkpoint row serialises the audit appends of every
	// process sharing the database (PostgreSQL replicas): a second writer
	// waits here until the first commits, then appends after its entries.
	err = tx.queryRow(ctx, `SELECT size, changes_seq, note FROM audit_checkpoint WHERE id = 1`+tx.db.dialect.forUpdate).Scan(&size, &changesSeq, &signed)
	if errors.Is(err, sql.ErrNoRows) {
		// The row is created by the migrations; without it, no read can
		// be confirmed: -1 matches no stamp.
		return 0, -1, nil, nil
	} else if err != nil {
		return 0, 0, nil, err
	}
	return size, changesSeq, signed, nil
}

// checkStoredSigner refuses to extend a log whose stored checkpoint the
// writer's key did not sign. CheckSigner makes that check when a process
// starts, but processes that start together on an empty log, or one of
// them given another key, would each pass it and then sign the one log in
// turn, each checkpoint verifying with one key only. The first key to sign
// keeps the log; the writes of a process holding another fail. A
// checkpoint this writer signed or checked last is not verified again, so
// the signature is checked only after another process wrote.
func (db *DB) checkStoredSigner(signed []byte) error {
	if len(signed) == 0 || bytes.Equal(signed, db.knownNote) {
		return nil
	}
	if err := db.checkNote(signed); err != nil {
		return andon.Errorf(andon.EINTERNAL, "the audit log was signed by another process sharing the database, with another key than this one's %s: %s; every replica must sign with the same key, so this one writes nothing", db.Signer.VerifierKey(), andon.ErrorMessage(err))
	}
	db.knownNote = signed
	return nil
}

// checkNote verifies a signed checkpoint note with the DB's signing key.
func (db *DB) checkNote(signed []byte) error {
	v, err := note.NewVerifier(db.Signer.VerifierKey())
	if err != nil {
		return err
	}
	_, err = auditlog.OpenCheckpoint(signed, v)
	return err
}

// auditRow is an audit entry waiting to be inserted.
type auditRow struct {
	index  int64
	record []byte
}

// appendAudit encodes the request's queued events as the entries after
// those already in the transaction and computes their tree hashes; the
// writer inserts them with the rest of the batch.
func (tx *Tx) appendAudit(ctx context.Context) error {
	r := txHashReader{ctx: ctx, tx: tx}
	if tx.newHashes == nil {
		tx.newHashes = map[int64]tlog.Hash{}
	}
	for _, ev := range tx.events {
		record, err := auditlog.Encode(tx.size, tx.now, ev)
		if err != nil {
			return err
		}
		hashes, err := auditlog.HashesToStore(tx.size, record, r)
		if err != nil {
			return err
		}
		for _, h := range hashes {
			tx.newHashes[h.Index] = h.Hash
		}
		tx.entries = append(tx.entries, auditRow{index: tx.size, record: record})
		tx.hashes = append(tx.hashes, hashes...)
		tx.appended = append(tx.appended, tx.size)
		tx.size++
	}
	return nil
}

// insertChunk bounds the rows of one INSERT, well below the engines'
// limits on parameters.
const insertChunk = 400

// insertAudit writes audit entries and their tree hashes.
func insertAudit(ctx context.Context, tx *Tx, entries []auditRow, hashes []auditlog.StoredHash) error {
	for len(entries) > 0 {
		chunk := entries[:min(len(entries), insertChunk)]
		entries = entries[len(chunk):]
		args := make([]any, 0, 2*len(chunk))
		for _, e := range chunk {
			// The record is stored as text, byte for byte as hashed.
			args = append(args, e.index, string(e.record))
		}
		if _, err := tx.exec(ctx, `INSERT INTO audit_entries (idx, record) VALUES (?, ?)`+strings.Repeat(", (?, ?)", len(chunk)-1), args...); err != nil {
			return err
		}
	}
	for len(hashes) > 0 {
		chunk := hashes[:min(len(hashes), insertChunk)]
		hashes = hashes[len(chunk):]
		args := make([]any, 0, 2*len(chunk))
		for _, h := range chunk {
			args = append(args, h.Index, h.Hash[:])
		}
		if _, err := tx.exec(ctx, `INSERT INTO audit_hashes (idx, hash) VALUES (?, ?)`+strings.Repeat(", (?, ?)", len(chunk)-1), args...); err != nil {
			return err
		}
	}
	return nil
}

// signCheckpoint signs the tree of size entries, stores the checkpoint
// and returns its note.
func signCheckpoint(ctx context.Context, tx *Tx, size int64) ([]byte, error) {
	root, err := auditlog.TreeHash(size, txHashReader{ctx: ctx, tx: tx})
	if err != nil {
		return nil, err
	}
	cp, err := tx.db.Signer.Sign(size, root)
	if err != nil {
		return nil, err
	}
	signed := []byte(cp.Note)
	_, err = tx.exec(ctx, `INSERT INTO audit_checkpoint (id, size, note) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET size = excluded.size, note = excluded.note`, size, signed)
	return signed, err
}

// AuditService reads the audit log; it implements andon.AuditService.
type AuditService struct {
	db *DB
	// verifierKey checks the stored checkpoint; "" for the key of the
	// DB's Signer.
	verifierKey string
}

// NewAuditService returns an AuditService over db.
func NewAuditService(db *DB) *AuditService { return &AuditService{db: db} }

// NewAuditReader returns an AuditService over db, a store opened without
// its signing key (OpenReadOnly), that checks the stored checkpoint with
// verifierKey, the text of a verifier key file such as audit.pub: what an
// auditor reads offline from a copy of the store. Its checkpoints, proofs
// and exports are those a server of the store would give.
func NewAuditReader(db *DB, verifierKey string) *AuditService {
	return &AuditService{db: db, verifierKey: verifierKey}
}

var _ andon.AuditService = (*AuditService)(nil)

// Checkpoint returns the latest signed checkpoint.
func (s *AuditService) Checkpoint(ctx context.Context) (*andon.Checkpoint, error) {
	signed, err := s.db.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	key := s.verifierKey
	if key == "" {
		if s.db.Signer == nil {
			return nil, andon.Errorf(andon.EINTERNAL, "no audit key loaded")
		}
		key = s.db.Signer.VerifierKey()
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		return nil, err
	}
	cp, err := auditlog.OpenCheckpoint(signed, v)
	if err != nil {
		return nil, fmt.Errorf("stored checkpoint: %w", err)
	}
	// A note.Verifier does not expose its key text; evidence carries it so
	// that an auditor can compare it with their own copy.
	cp.VerifierKey = key
	return cp, nil
}

// Checkpoint returns the stored signed checkpoint note.
func (db *DB) Checkpoint(ctx context.Context) ([]byte, error) {
	var note []byte
	err := db.readRow(ctx, `SELECT note FROM audit_checkpoint WHERE id = 1`).Scan(&note)
	// The checkpoint row exists, empty, before the first write.
	if errors.Is(err, sql.ErrNoRows) || (err == nil && len(note) == 0) {
		return nil, andon.Errorf(andon.ENOTFOUND, "the audit log is empty: no checkpoint yet")
	}
	return note, err
}

// maxEntries bounds the entries a listing or an export holds, and is the
// limit of one that gives none.
const maxEntries = 1000

// boundedLimit is the number of entries a listing or an export of f
// holds.
func boundedLimit(f andon.AuditFilter) int {
	if f.Limit <= 0 || f.Limit > maxEntries {
		return maxEntries
	}
	return f.Limit
}

// FindEntries returns the entries matching filter in index order, up to
// its limit, and 1000 at most.
func (s *AuditService) FindEntries(ctx context.Context, f andon.AuditFilter) ([]*andon.Entry, error) {
	f.Limit = boundedLimit(f)
	entries := []*andon.Entry{}
	err := s.findRecords(ctx, f, -1, func(_ int64, record []byte) error {
		e, err := auditlog.Decode(record)
		if err == nil {
			entries = append(entries, e)
		}
		return err
	})
	if f.Newest {
		slices.Reverse(entries)
	}
	return entries, err
}

// findRecords calls fn with the index and record of each entry matching f,
// in index order, below the index below when it is 0 or more, up to
// f.Limit of them: its callers bound it (an export reads one entry more
// than it holds, to tell whether more follow). With f.Newest, it calls fn
// with the last f.Limit of them, from the last back.
func (s *AuditService) findRecords(ctx context.Context, f andon.AuditFilter, below int64, fn func(index int64, record []byte) error) error {
	q, args, err := s.recordsQuery(ctx, f, below)
	if err != nil {
		return err
	}
	rows, err := s.db.readQuery(ctx, q, args...)
	if err != nil {
		return err
	}
	return eachRecord(rows, fn)
}

// recordsQuery returns the statement of findRecords, and its arguments.
func (s *AuditService) recordsQuery(ctx context.Context, f andon.AuditFilter, below int64) (string, []any, error) {
	where, args, err := s.where(ctx, f, below)
	if err != nil {
		return "", nil, err
	}
	order := s.logOrder(f)
	if f.Newest {
		order = "idx DESC"
	}
	return `SELECT idx, record FROM audit_entries WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ?`, append(args, f.Limit), nil
}

// eachRecord calls fn with each row of rows, an index and its record, and
// closes rows.
func eachRecord(rows *sql.Rows, fn func(index int64, record []byte) error) error {
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var record []byte
		if err := rows.Scan(&idx, &record); err != nil {
			return err
		}
		if err := fn(idx, record); err != nil {
			return err
		}
	}
	return rows.Err()
}

// logOrder is the expression of the index of an entry with which the
// entries matching f, in the order of the log, are selected and sorted.
// SQLite, which keeps no statistics, would read a period given by its
// start alone by walking the log from its beginning, reading each
// record's time, when the entries of the last day are at its end (11 to
// 16 s in a log of 1.5 million entries): there the index is then an
// expression no index holds, so that the entries are found through the
// index of their times, and sorted (a second for a period of the whole
// log). Newest first, walking the log backwards finds them soon; a type,
// an actor, a subject or a change has an index in the order of the log.
func (s *AuditService) logOrder(f andon.AuditFilter) string {
	if s.db.dialect.guessesPlans && f.Since != nil && !f.Newest && f.Type == "" && f.Actor == "" && f.Subject == "" && f.Change == "" && f.Process == "" {
		return "(idx + 0)"
	}
	return "idx"
}

// where returns the condition, and its arguments, of the entries matching
// f (its limit aside), below the index below when it is 0 or more.
func (s *AuditService) where(ctx context.Context, f andon.AuditFilter, below int64) (string, []any, error) {
	idx := s.logOrder(f)
	where, args := []string{idx + " > ?"}, []any{f.After}
	if below >= 0 {
		where, args = append(where, idx+" < ?"), append(args, below)
	}
	// Each filter has an index in the order of the log, and the engine
	// follows one of them. Most of a log is gate decisions by a few
	// pipelines, so a type or an actor narrows less than a subject or a
	// change. PostgreSQL knows it from its statistics. SQLite keeps none,
	// and would as soon follow the type's index through a million gate
	// decisions as the subject's: there, when a subject or a change is
	// asked too, the type and the actor are compared as expressions no
	// index holds, and the actor is preferred to the type. (On
	// PostgreSQL such an expression would hide the type's frequency from
	// the planner, which would then read every entry of the subject to
	// sort them.)
	narrower := s.db.dialect.guessesPlans && (f.Subject != "" || f.Change != "" || f.Process != "")
	if f.Type != "" {
		where, args = append(where, unindexedIf(narrower || (s.db.dialect.guessesPlans && f.Actor != ""), "type")+" = ?"), append(args, f.Type)
	}
	if f.Subject != "" {
		where, args = append(where, "subject = ?"), append(args, f.Subject)
	}
	if f.Actor != "" {
		where, args = append(where, unindexedIf(narrower, "actor")+" = ?"), append(args, f.Actor)
	}
	if f.Change != "" {
		// A change that was never opened has no history to list: a
		// misspelt ID would otherwise read as an empty one. The ID is a
		// filter the caller gave, as the change list's before is: invalid.
		id := changeID(f.Change)
		var one int
		if err := s.db.readRow(ctx, `SELECT 1 FROM changes WHERE id = ?`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return "", nil, andon.Errorf(andon.EINVALID, "change: no change %s", id)
		} else if err != nil {
			return "", nil, err
		}
		// Each side of the OR has an index of its own (subject, idx) and
		// (change_id, idx), which both engines combine.
		where, args = append(where, "(subject = ? OR change_id = ?)"), append(args, id, id)
	}
	if f.Process != "" {
		// The entries of each change of the process, found as the Change
		// filter finds one change's: by subject and by change_id, each
		// through its index, from the index of the changes' processes. A
		// union of the two, rather than an OR of two subqueries, which
		// PostgreSQL would answer by reading the whole log.
		where = append(where, `idx IN (SELECT e.idx FROM change_processes p JOIN changes c ON c.seq = p.change_seq JOIN audit_entries e ON e.subject = c.id WHERE p.process = ?
			UNION SELECT e.idx FROM change_processes p JOIN changes c ON c.seq = p.change_seq JOIN audit_entries e ON e.change_id = c.id WHERE p.process = ?)`)
		args = append(args, f.Process, f.Process)
	}
	// A period is every entry whose time lies in it, wherever it is in the
	// log: times need not increase with the index (the demo seeds its
	// history back-dated after its tokens, and a clock may be set back),
	// so a search of the log by time could leave out entries of the
	// period, and an export of it would then prove less than it says.
	if f.Since != nil {
		where, args = append(where, s.db.dialect.recordTime+" >= ?"), append(args, auditlog.FormatTime(*f.Since))
	}
	if f.Until != nil {
		where, args = append(where, s.db.dialect.recordTime+" < ?"), append(args, auditlog.FormatTime(*f.Until))
	}
	return strings.Join(where, " AND "), args, nil
}

// Evidence exports the entries matching f with their inclusion proofs in
// the tree of the latest checkpoint: up to f.Limit of them, and records of
// up to andon.MaxEvidenceBytes (the first entry's whatever its size). The
// log only grows, so the proofs hold for that checkpoint however many
// entries are appended meanwhile.
func (s *AuditService) Evidence(ctx context.Context, f andon.AuditFilter) (*andon.Evidence, error) {
	cp, err := s.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	if f.Change != "" {
		f.Change = changeID(f.Change)
	}
	f.Newest = false
	limit := boundedLimit(f)
	ev := &andon.Evidence{Filter: f, Checkpoint: *cp, Entries: []andon.EvidenceEntry{}}
	ev.Filter.Limit = 0
	// One more than the limit tells whether more entries match.
	f.Limit = limit + 1
	var records [][]byte
	var indexes []int64
	part := exportPart{limit: limit}
	err = s.findRecords(ctx, f, cp.Size, func(index int64, record []byte) error {
		if !part.add(len(record)) {
			ev.More = true
			return errFull
		}
		indexes, records = append(indexes, index), append(records, record)
		return nil
	})
	if err != nil && !errors.Is(err, errFull) {
		return nil, err
	}
	for i, index := range indexes {
		ee, err := s.prove(ctx, index, records[i], cp.Size)
		if err != nil {
			return nil, err
		}
		ev.Entries = append(ev.Entries, ee)
	}
	return ev, nil
}

// exportPart counts what one export holds, so that Evidence and
// EvidenceParts cut a history alike: limit entries at most, and records of
// andon.MaxEvidenceBytes at most, the first entry's whatever its size.
type exportPart struct{ limit, entries, bytes int }

// add takes an entry whose record is size bytes long into the part, or
// reports that the part is full.
func (p *exportPart) add(size int) bool {
	if p.entries == p.limit || (p.entries > 0 && p.bytes+size > andon.MaxEvidenceBytes) {
		return false
	}
	p.entries, p.bytes = p.entries+1, p.bytes+size
	return true
}

// EvidenceParts returns the index of the last entry of each export that
// the entries matching f come in, as Evidence cuts them (its limit, 1000
// at most, and andon.MaxEvidenceBytes) in the tree of the latest
// checkpoint: each part but the first starts after the last of the one
// before (AuditFilter.After). One index, or none when no entry matches,
// says one export holds them all. It reads the records' lengths, not the
// records, for a page that offers every part.
func (s *AuditService) EvidenceParts(ctx context.Context, f andon.AuditFilter) ([]int64, error) {
	cp, err := s.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	where, args, err := s.where(ctx, f, cp.Size)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.readQuery(ctx, `SELECT idx, octet_length(record) FROM audit_entries WHERE `+where+` ORDER BY `+s.logOrder(f), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	lasts := []int64{}
	var part exportPart
	for rows.Next() {
		var idx int64
		var size int
		if err := rows.Scan(&idx, &size); err != nil {
			return nil, err
		}
		if len(lasts) == 0 || !part.add(size) {
			part = exportPart{limit: boundedLimit(f)}
			part.add(size)
			lasts = append(lasts, idx)
		}
		lasts[len(lasts)-1] = idx
	}
	return lasts, rows.Err()
}

// prove returns entry index, whose record is record, with its inclusion
// proof in the tree of the first size entries, as an export and a proof
// give them: hashes in standard base64.
func (s *AuditService) prove(ctx context.Context, index int64, record []byte, size int64) (andon.EvidenceEntry, error) {
	hashes, err := auditlog.Prove(index, size, hashReader{ctx: ctx, query: s.db.readQuery})
	if err != nil {
		// The entry is inside the signed tree, so a missing hash is damage.
		return andon.EvidenceEntry{}, andon.Errorf(andon.EINTERNAL, "prove entry %d: %v", index, err)
	}
	leaf := tlog.RecordHash(record)
	ee := andon.EvidenceEntry{Index: index, Record: record, LeafHash: base64.StdEncoding.EncodeToString(leaf[:]), Hashes: make([]string, len(hashes))}
	for i, h := range hashes {
		ee.Hashes[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return ee, nil
}

// errFull stops reading the records of an export that holds all it may.
var errFull = errors.New("the export is full")

// Proof returns an inclusion proof of entry index in the tree of the
// latest checkpoint.
func (s *AuditService) Proof(ctx context.Context, index int64) (*andon.Proof, error) {
	cp, err := s.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= cp.Size {
		return nil, andon.Errorf(andon.ENOTFOUND, "no audit entry %d: the signed log holds entries 0 to %d", index, cp.Size-1)
	}
	var record []byte
	if err := s.db.readRow(ctx, `SELECT record FROM audit_entries WHERE idx = ?`, index).Scan(&record); err != nil {
		return nil, fmt.Errorf("read entry %d: %w", index, err)
	}
	ee, err := s.prove(ctx, index, record, cp.Size)
	if err != nil {
		return nil, err
	}
	return &andon.Proof{Index: index, Record: ee.Record, LeafHash: ee.LeafHash, Hashes: ee.Hashes, Checkpoint: *cp}, nil
}

// Records streams every stored record in index order; with StoredHashes
// and Checkpoint it makes the DB an auditlog.Source for offline
// verification.
func (db *DB) Records(ctx context.Context, fn func(index int64, record []byte) error) error {
	rows, err := db.read.QueryContext(ctx, `SELECT idx, record FROM audit_entries ORDER BY idx`)
	if err != nil {
		return err
	}
	return eachRecord(rows, fn)
}

// StoredHashes returns the stored tree hashes at the given storage indexes.
func (db *DB) StoredHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	return readHashes(ctx, db.readQuery, indexes)
}

var _ auditlog.Source = (*DB)(nil)

// CheckSigner verifies the stored checkpoint with the DB's signing key, so
// that a server or an admin command started with another key refuses to
// write instead of re-signing the log with it.
func (db *DB) CheckSigner(ctx context.Context) error {
	signed, err := db.Checkpoint(ctx)
	if andon.ErrorCode(err) == andon.ENOTFOUND {
		return nil // an empty log: any key may start it
	} else if err != nil {
		return err
	}
	if err := db.checkNote(signed); err != nil {
		return andon.Errorf(andon.ECONFLICT, "the audit log was signed with another key than %s: %s; use the data directory holding the key that signed it", db.Signer.VerifierKey(), andon.ErrorMessage(err))
	}
	return nil
}

// unindexedIf returns the text column col, or when skip an expression of
// the same value that no index holds, on either engine, so that the
// engine reads a filter's entries through another index.
func unindexedIf(skip bool, col string) string {
	if skip {
		return "(" + col + " || '')"
	}
	return col
}
