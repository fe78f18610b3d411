package sqlstore

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/andon-governance/andon"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Faults of the storage under the database that a write may meet. They
// are shown to clients, so they name no path: the log has the cause.
var (
	ErrDiskFull = &andon.Fault{Message: "no space left on the database's disk: writes are refused until space is freed"}
	ErrReadOnly = &andon.Fault{Message: "the database's disk or file is read-only: writes are refused"}
	ErrDiskIO   = &andon.Fault{Message: "the database's disk failed to read or write"}
	// ErrFileGone is the fault of a SQLite database whose file was
	// deleted or replaced while the server had it open: what it would
	// write to the old file is lost when the server stops, so it is not
	// written.
	ErrFileGone = &andon.Fault{Message: "the database file was deleted or replaced while the server ran: writes are refused; restart the server"}
	// ErrLogGone is the fault of a SQLite database whose write-ahead log
	// was deleted while the server ran. The writes it acknowledged are in
	// the deleted file, which the server still holds open: a server
	// stopped cleanly copies them into the database, a killed one loses
	// them.
	ErrLogGone = &andon.Fault{Message: "the database's write-ahead log (the -wal file beside it) was deleted while the server ran: writes are refused; stop the server cleanly (SIGTERM), which saves what the log held into the database, and start it again"}
)

// storageFault returns err wrapped with the fault of the storage it
// reports, or err itself when it reports none. file is the SQLite
// database's, nil on PostgreSQL.
func storageFault(err error, file *fileIdentity) error {
	if err == nil {
		return nil
	}
	var fault *andon.Fault
	if errors.As(err, &fault) {
		return err
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		// Extended result codes keep the primary one in the low byte.
		switch lite.Code() & 0xff {
		case sqlite3.SQLITE_FULL:
			return fmt.Errorf("%w: %w", ErrDiskFull, err)
		case sqlite3.SQLITE_READONLY:
			return fmt.Errorf("%w: %w", ErrReadOnly, err)
		case sqlite3.SQLITE_IOERR:
			// SQLite says only that a write failed. A disk remounted
			// read-only (EROFS) or a file made immutable (EPERM) fails
			// the writes through the descriptors SQLite holds, and only
			// the file's access tells them from a failing disk. (A
			// chmod does not stop those writes: it is met when the
			// server starts again, as SQLITE_READONLY.)
			if file.readOnly() {
				return fmt.Errorf("%w: %w", ErrReadOnly, err)
			}
			return fmt.Errorf("%w: %w", ErrDiskIO, err)
		}
		return err
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "53100": // disk_full
			return fmt.Errorf("%w: %w", ErrDiskFull, err)
		case "25006": // read_only_sql_transaction
			return fmt.Errorf("%w: %w", ErrReadOnly, err)
		}
	}
	return err
}

// faultHold is how long Ready reports the fault of the last failed write
// when no write succeeded since. Past it the store says it is ready
// again, so that a replica sent no traffic is tried once more: the next
// write that fails reports the fault anew.
const faultHold = 30 * time.Second

// writeFaults remembers the storage fault the writes last met, to report
// it from Ready and to log it once when it starts and once when it ends
// rather than once for every write it fails.
type writeFaults struct {
	mu     sync.Mutex
	err    error // the last fault, with its cause; nil when writes succeed
	kind   *andon.Fault
	at     time.Time
	failed int // writes the fault failed since it started
}

// fail records that a write failed with err, which wraps a fault.
func (f *writeFaults) fail(logger *slog.Logger, err error, now time.Time) {
	var kind *andon.Fault
	errors.As(err, &kind)
	f.mu.Lock()
	defer f.mu.Unlock()
	if kind != f.kind {
		logger.Error("database writes fail", "err", err)
	}
	f.err, f.kind, f.at = err, kind, now
	f.failed++
}

// succeeded records that a write was committed.
func (f *writeFaults) succeed(logger *slog.Logger) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		logger.Info("database writes succeed again", "failed_writes", f.failed)
	}
	f.err, f.kind, f.failed = nil, nil, 0
}

// current returns the fault of the last write if it failed less than
// faultHold before now.
func (f *writeFaults) current(now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil || now.Sub(f.at) > faultHold {
		return nil
	}
	return f.err
}

// fileIdentity is the file a SQLite database was opened from.
type fileIdentity struct {
	path string
	info os.FileInfo
}

// check returns ErrFileGone when no file is at the path any more, or
// another one, and ErrLogGone when the write-ahead log is not beside it.
func (id *fileIdentity) check() error {
	if id == nil {
		return nil
	}
	info, err := os.Stat(id.path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFileGone, err)
	}
	if !os.SameFile(id.info, info) {
		return fmt.Errorf("%w: another file is at %s", ErrFileGone, id.path)
	}
	return id.checkLog()
}

// checkLog returns ErrLogGone when the database's write-ahead log is not
// at its path. SQLite keeps it there for as long as a connection is open,
// and the writer's connection stays open: one missing was deleted under
// the server, which goes on writing into the deleted file. A log deleted
// and made anew since by a connection opened after is not told from the
// one the writer writes; the check at the next start finds what that
// loses (see lastSigned).
func (id *fileIdentity) checkLog() error {
	if _, err := os.Stat(id.path + "-wal"); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrLogGone, err)
	}
	return nil
}

// readOnly reports whether the database file or its write-ahead log may
// no longer be written, by this process or by anyone.
func (id *fileIdentity) readOnly() bool {
	return id != nil && (readOnlyFile(id.path) || readOnlyFile(id.path+"-wal"))
}

// DiskError returns err, a fault of the storage of a SQLite database (a
// full or read-only disk, a failed write), as an error whose message says
// what stops the database and names its directory, for the commands that
// start on it: their messages may name paths, where the API's answers do
// not. It returns err itself for any other error, and on PostgreSQL.
func (db *DB) DiskError(err error) error {
	if db == nil || db.file == nil {
		return err
	}
	return diskError(db.file.path, err)
}

// diskError returns err, met by a writer of the SQLite database at path,
// as DiskError does. SQLite's own error of a database it could not open,
// "disk I/O error" when the disk has no room for the shared-memory index
// of its write-ahead log, is turned into the fault that caused it.
func diskError(path string, err error) error {
	err = storageFault(err, &fileIdentity{path: path})
	fault := (*andon.Fault)(nil)
	var lite *sqlite.Error
	switch {
	case errors.As(err, &fault):
	case errors.As(err, &lite) && lite.Code()&0xff == sqlite3.SQLITE_CANTOPEN:
		// A file SQLite makes beside the database could not be made.
	default:
		return err
	}
	if fault == nil || fault == ErrDiskIO {
		if found := diskFault(path); found != nil {
			fault = found
		}
	}
	dir, name := filepath.Dir(path), filepath.Base(path)
	var msg string
	switch fault {
	case ErrDiskFull:
		msg = fmt.Sprintf("the disk of %s is full: andon cannot open or write its database %s there until space is freed", dir, name)
	case ErrReadOnly:
		msg = fmt.Sprintf("the database %s cannot be written: the file, the directory %s or the disk under it is read-only", path, dir)
	case ErrDiskIO:
		msg = fmt.Sprintf("the disk of %s failed to read or write the database %s", dir, name)
	default:
		return err
	}
	return fmt.Errorf("%w: %w", andon.Errorf(andon.EINTERNAL, "%s", msg), err)
}

// probeSize is what diskFault writes: more than the first file SQLite
// makes to open a database, the 32 KiB shared-memory index of its
// write-ahead log.
const probeSize = 64 << 10

// diskFault returns the fault that stops a file from being written beside
// the SQLite database at path, found by writing one: ErrDiskFull when no
// space is left, ErrReadOnly when the database, the directory or the disk
// may not be written; nil when the probe was written. It runs only once
// a write failed, to say why.
func diskFault(path string) *andon.Fault {
	if readOnlyFile(path) {
		return ErrReadOnly
	}
	// Named after the database, so that andon demo --reset takes a
	// probe left behind for one of its files.
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+"-probe-")
	if err == nil {
		_, err = f.Write(make([]byte, probeSize))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		os.Remove(f.Name())
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.ENOSPC):
		return ErrDiskFull
	case errors.Is(err, syscall.EROFS), errors.Is(err, fs.ErrPermission):
		return ErrReadOnly
	}
	return nil
}
