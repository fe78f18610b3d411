package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// The writers of a SQLite database keep the checkpoint they signed last
// in a file beside it as well (LastSignedPath), so that a log that lost
// entries is found when andon starts, and by andon audit verify.
//
// SQLite commits to its write-ahead log (andon.db-wal); the database file
// receives the log's pages only at a checkpoint of SQLite's, every few
// thousand writes and when the last connection closes. After andon stops
// without closing the database (a crash, a kill, a power cut), the
// acknowledged writes since SQLite's last checkpoint live only in the
// write-ahead log: deleted, or left behind when andon.db alone is copied,
// they are gone, and the database that remains is whole and verifies on
// its own, one of its earlier states.
//
// The file is written after every commit, once the commit is durable, by
// one write over its first bytes and without fsync: an fsync of a second
// file would double the cost of every write (a gate decision is one), and
// none is needed for what the file must never be, ahead of the log. A
// process that dies leaves the write in the kernel, which puts it on the
// disk within seconds; only a power cut can lose the last seconds of it,
// and then the file is behind the log, which checks nothing of those
// seconds but raises no false alarm.

// LastSignedPath returns the file beside the SQLite database at path in
// which its writers keep the checkpoint they signed last.
func LastSignedPath(path string) string { return path + "-checkpoint" }

// lastSignedSize is the length the kept checkpoint is padded to with
// newlines: a note of andon's (origin, size, root and one signature) is
// about 180 bytes, so one write of one sector overwrites it whole, and a
// shorter note, which a log never signs after a longer one, leaves no end
// of the other behind.
const lastSignedSize = 512

// lastSigned is the file in which a writer keeps the checkpoint it signed
// last.
type lastSigned struct {
	// db is the database file, path the file of the checkpoint.
	db, path string

	mu     sync.Mutex
	f      *os.File
	failed bool // a failed write was logged; the next that succeeds says so
	// failures counts the writes that failed, logged or not (see
	// DB.CheckpointCopyFailures).
	failures atomic.Uint64
	// buf holds the padded note between writes, made once rather than
	// with every commit; it is used under mu only.
	buf []byte
}

// save writes signed over the kept checkpoint. It is called after every
// commit, so a failure is logged once, not with every commit, and counted
// with every commit (one write, or a batch of them): the writes go on, only a loss of the log that follows
// is not found.
func (l *lastSigned) save(logger *slog.Logger, signed []byte) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := max(lastSignedSize, len(signed)); cap(l.buf) < n {
		l.buf = make([]byte, n)
	} else {
		l.buf = l.buf[:n]
	}
	buf := l.buf
	copy(buf, signed)
	for i := len(signed); i < len(buf); i++ {
		buf[i] = '\n'
	}
	var err error
	if l.f == nil {
		l.f, err = os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE, 0o600)
	}
	if err == nil {
		_, err = l.f.WriteAt(buf, 0)
	}
	if err != nil {
		l.failures.Add(1)
	}
	switch {
	case err != nil && !l.failed:
		l.failed = true
		logger.Error("cannot keep the last signed checkpoint beside the database: a loss of the audit log will not be found at the next start", "file", l.path, "err", err)
	case err == nil && l.failed:
		l.failed = false
		logger.Info("the last signed checkpoint is kept beside the database again", "file", l.path)
	}
}

// CheckpointCopyFailures returns how many times this process could not
// write the checkpoint it signed last to the file beside a SQLite
// database (LastSignedPath) since it opened the DB: one for each commit
// whose copy failed. The writes themselves were kept; only a loss of the
// audit log's entries after the last copy written would go unfound. It is
// 0 on PostgreSQL, where no copy is kept.
func (db *DB) CheckpointCopyFailures() uint64 {
	if db.lastSigned == nil {
		return 0
	}
	return db.lastSigned.failures.Load()
}

// close closes the file.
func (l *lastSigned) close() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// read returns the checkpoint kept in the file, opened with v, or nil
// when there is none: no file (a database no andon of this version has
// written), or an empty one (made, but not yet on the disk when the power
// was cut). A read that meets a write under way may see part of each, so
// a note that does not open is read again before it is refused.
func (l *lastSigned) read(v note.Verifier) (*andon.Checkpoint, error) {
	var err error
	for range 3 {
		var data []byte
		data, err = os.ReadFile(l.path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		} else if err != nil {
			return nil, fmt.Errorf("read the last signed checkpoint: %w", err)
		}
		data = bytes.TrimRight(data, "\n\x00")
		if len(data) == 0 {
			return nil, nil
		}
		var cp *andon.Checkpoint
		if cp, err = auditlog.OpenCheckpoint(append(data, '\n'), v); err == nil {
			return cp, nil
		}
	}
	return nil, &BadLastSignedError{Path: l.path, Err: err}
}

// BadLastSignedError is the error of a checkpoint kept beside a SQLite
// database (LastSignedPath) that does not open with the verifier key: it
// was altered, or signed with another key than the log's. Its code is
// EINVALID.
type BadLastSignedError struct {
	// Path is the file of the kept checkpoint.
	Path string
	// Err says why it does not open.
	Err error
}

func (e *BadLastSignedError) Error() string { return e.Unwrap().Error() }

// Unwrap returns the error as an *andon.Error, for ErrorCode and
// ErrorMessage, with the remedy of a server that refuses to start.
func (e *BadLastSignedError) Unwrap() error {
	return andon.Errorf(andon.EINVALID, "%s, the last checkpoint andon signed beside the database, does not open: %s; move it away to start without it", e.Path, andon.ErrorMessage(e.Err))
}

// Problem says what is wrong as a verification of the log finds it, once
// the log's own checkpoint verified with the same key: andon writes the
// file only with a checkpoint the log's key signed, so one that does not
// open was altered or put there by someone else.
func (e *BadLastSignedError) Problem() string {
	return fmt.Sprintf("%s, the last checkpoint andon signed beside the database, does not open with the key that verifies the log's checkpoint: %s; it was altered, or replaced by one signed with another key", e.Path, andon.ErrorMessage(e.Err))
}

// LostEntriesError is the error of a SQLite database whose audit log no
// longer holds what the checkpoint its writers signed last covers (see
// LastSignedPath). Its code is ECONFLICT.
type LostEntriesError struct {
	// Path is the database file.
	Path string
	// Entries is the size of the log, as its stored checkpoint signs it.
	Entries int64
	// Signed is the checkpoint the writers signed last, kept beside the
	// database.
	Signed *andon.Checkpoint
	// Root is the root of the first Signed.Size entries of the log, when
	// it holds that many: then they are not those Signed covers.
	Root string
}

func (e *LostEntriesError) Error() string { return e.Unwrap().Error() }

// Unwrap returns the error as an *andon.Error, for ErrorCode and
// ErrorMessage.
func (e *LostEntriesError) Unwrap() error {
	kept, name := LastSignedPath(e.Path), filepath.Base(e.Path)
	remedy := fmt.Sprintf("put the lost file back (%s-wal beside %s) or restore a backup of the whole data directory; to go on with the log as it is, record it in the log with `andon audit record-rollback --data %s --reason TEXT`", name, name, filepath.Dir(e.Path))
	if e.Root != "" {
		return andon.Errorf(andon.ECONFLICT, "the first %d entries of the audit log of %s are not those of the last checkpoint andon signed there (%s): their root is %s, it signs %s; the log lost entries and was written again since: %s",
			e.Signed.Size, e.Path, kept, e.Root, e.Signed.RootHash, remedy)
	}
	return andon.Errorf(andon.ECONFLICT, "the audit log of %s has %d entries, but the last checkpoint andon signed there (%s) covers %d: entries %d to %d are lost, with the writes they recorded. Its write-ahead log (%s-wal) was deleted or lost after andon stopped without closing the database (a crash, a kill, a power cut), or an older copy of %s was put in its place: %s",
		e.Path, e.Entries, kept, e.Signed.Size, e.Entries, e.Signed.Size-1, name, name, remedy)
}

// FirstLost returns the first entry of the log that is lost, or -1 when
// the log holds as many entries as were signed, but others.
func (e *LostEntriesError) FirstLost() int64 {
	if e.Root != "" {
		return -1
	}
	return e.Entries
}

// CheckLastSigned compares the audit log of a SQLite database with the
// checkpoint its writers signed last, kept beside it: the log must hold
// that checkpoint's entries under the root it signed. Otherwise it
// returns a *LostEntriesError: acknowledged writes were lost, which the
// log, whole and verifying on its own, does not show. v opens the kept
// checkpoint; nil means the DB's signing key. It returns nil on
// PostgreSQL, whose durability is the server's.
func (db *DB) CheckLastSigned(ctx context.Context, v note.Verifier) error {
	if db.lastSigned == nil {
		return nil
	}
	if v == nil {
		if db.Signer == nil {
			return andon.Errorf(andon.EINTERNAL, "no audit key loaded")
		}
		var err error
		if v, err = note.NewVerifier(db.Signer.VerifierKey()); err != nil {
			return err
		}
	}
	// The kept checkpoint is read first: a writer beside this process
	// (a server while andon audit verify runs) keeps it only after its
	// commit, so the log read next holds it whole.
	kept, err := db.lastSigned.read(v)
	if err != nil || kept == nil {
		return err
	}
	size, root, err := db.holds(ctx, v, kept)
	if err != nil || root == kept.RootHash {
		return err
	}
	lost := &LostEntriesError{Path: db.lastSigned.db, Entries: size, Signed: kept}
	if size >= kept.Size {
		lost.Root = root
	}
	return lost
}

// KeptCheckpoint returns the checkpoint the writers of a SQLite database
// signed last, kept beside it (LastSignedPath), opened with v, and the
// file; nil and "" on PostgreSQL, or when no checkpoint is kept there. A
// kept checkpoint that does not open is a *BadLastSignedError.
func (db *DB) KeptCheckpoint(v note.Verifier) (*andon.Checkpoint, string, error) {
	if db.lastSigned == nil {
		return nil, "", nil
	}
	kept, err := db.lastSigned.read(v)
	if err != nil || kept == nil {
		return nil, "", err
	}
	return kept, db.lastSigned.path, nil
}

// Holds reports whether the audit log holds the first cp.Size entries
// under the root cp signs. It returns too the size of the log and its
// root, as its stored checkpoint, opened with v, signs them.
func (db *DB) Holds(ctx context.Context, v note.Verifier, cp *andon.Checkpoint) (held bool, size int64, root string, err error) {
	if size, root, err = db.signedSize(ctx, v); err != nil {
		return false, 0, "", err
	}
	prefix, err := db.prefixRoot(ctx, size, cp)
	return err == nil && prefix == cp.RootHash, size, root, err
}

// holds returns the size of the log, as its stored checkpoint opened
// with v signs it, and the root of its first cp.Size entries when it has
// that many (else "").
func (db *DB) holds(ctx context.Context, v note.Verifier, cp *andon.Checkpoint) (int64, string, error) {
	size, _, err := db.signedSize(ctx, v)
	if err != nil {
		return 0, "", err
	}
	root, err := db.prefixRoot(ctx, size, cp)
	return size, root, err
}

// signedSize returns the size and the root of the log, as its stored
// checkpoint, opened with v, signs them: 0 and the empty tree's root
// when there is none.
func (db *DB) signedSize(ctx context.Context, v note.Verifier) (int64, string, error) {
	signed, err := db.Checkpoint(ctx)
	if andon.ErrorCode(err) == andon.ENOTFOUND {
		empty, _ := tlog.TreeHash(0, nil) // the empty tree reads no hashes
		return 0, empty.String(), nil
	} else if err != nil {
		return 0, "", err
	}
	stored, err := auditlog.OpenCheckpoint(signed, v)
	if err != nil {
		return 0, "", fmt.Errorf("stored checkpoint: %w", err)
	}
	return stored.Size, stored.RootHash, nil
}

// prefixRoot returns the root of the first cp.Size entries of a log of
// size entries, or "" when it has fewer.
func (db *DB) prefixRoot(ctx context.Context, size int64, cp *andon.Checkpoint) (string, error) {
	if size < cp.Size {
		return "", nil
	}
	root, err := auditlog.TreeHash(cp.Size, hashReader{ctx: ctx, query: db.readQuery})
	if err != nil {
		return "", err
	}
	return root.String(), nil
}
