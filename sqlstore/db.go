// Package sqlstore keeps andon's state in SQL: changes, approvals, tokens
// and the audit log, and implements the services of package andon on top of
// it. Every write is one transaction that also appends its audit entries and
// re-signs the audit checkpoint, so no state changes without its record.
//
// SQL is written once, with "?" placeholders; the dialect seam rebinds
// them and holds what differs between engines. The embedded SQLite driver
// (pure Go) is the default.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"golang.org/x/mod/sumdb/tlog"

	"modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed migrations
var migrations embed.FS

// DB is a handle on andon's database.
type DB struct {
	// write serialises writers; for SQLite it holds one connection so that
	// transactions queue in Go rather than fail with SQLITE_BUSY.
	write *sql.DB
	// read serves queries that need no lock.
	read *sql.DB

	dialect dialect

	// Now is the clock of every timestamp the store writes.
	Now func() time.Time
	// Signer signs the audit checkpoint after every write. Required for
	// writes; a read-only DB (audit verify) has none.
	Signer *auditlog.Signer

	writeStmts *stmtCache
	readStmts  *stmtCache
	// hashes caches committed tree hashes for the writer.
	hashes *hashCache
	// knownNote is the checkpoint note the writer last signed or found
	// signed by its key (see checkStoredSigner); only the writer uses it.
	knownNote []byte

	// Logger receives what the writer has to say once rather than with
	// every write it fails, such as a full disk; nil is slog.Default().
	Logger *slog.Logger
	// file is the SQLite file the database was opened from, nil on
	// PostgreSQL; faults is what the writes last met.
	file   *fileIdentity
	faults writeFaults
	// lastSigned keeps the checkpoint the writer signed last beside a
	// SQLite database; nil on PostgreSQL.
	lastSigned *lastSigned
	// private is the temporary directory of the copy of a SQLite
	// database and its write-ahead log that a read-only DB reads, when
	// the log came without its index; "" otherwise.
	private string
	// toKeep is the checkpoint of the batch just committed, which the
	// writer keeps beside the database after answering its callers: a
	// write of a file off the path of every write's answer.
	toKeep []byte

	// checkLead, when set, replaces the leader's check of its lock's
	// connection (a ping); tests use it to hold a check back.
	checkLead func(ctx context.Context, conn *sql.Conn) error

	// inflight counts the calls of Update under way.
	inflight atomic.Int64
	// auditWrite and auditKey count the writes refused because their
	// audit entries could not be appended (see AuditFailures).
	auditWrite, auditKey atomic.Uint64

	writes     chan *writeRequest
	closing    chan struct{}
	closeOnce  sync.Once
	writerDone chan struct{}
}

// dialect holds what differs between SQL engines.
type dialect struct {
	name string
	// rebind turns "?" placeholders into the engine's own.
	rebind func(string) string
	// forUpdate is appended to a SELECT that reads a row about to be
	// updated; SQLite locks the whole database on BEGIN IMMEDIATE instead.
	forUpdate string
	// cacheStmts says whether the store prepares and caches statements
	// itself; pgx already caches them per connection.
	cacheStmts bool
	// textMatch returns the condition that a change's ID, title or
	// description matches the text of a search.
	textMatch func(text string) (string, []any)
	// recordTime is the expression of an audit record's time, as text
	// (auditlog.FormatTime).
	recordTime string
	// recordData returns the expression of the text of the field key of
	// an audit record's data; NULL when it has none.
	recordData func(key string) string
	// recordDoc is the expression of an audit record's data as one
	// document, and docText that of the text of the field key of such a
	// document, held in the column d: a statement that reads several
	// fields of every record it counts parses each record once.
	// docFence ends the subquery that selects d, so that the planner
	// does not fold it into its query and parse the record for each
	// field again.
	recordDoc string
	docText   func(key string) string
	docFence  string
	// windowBound returns the expression of a bound ("start" or "end")
	// of the window of the change c, read from its body, in seconds since
	// the Unix epoch; NULL when the change has no window.
	windowBound func(bound string) string
	// contains returns the condition that the text of column holds the
	// text of one placeholder, as it is, case and all.
	contains func(column string) string
	// bodyText returns the expression of the top-level member field of
	// a row's body, as text.
	bodyText func(field string) string
	// openIncidents is the expression of the open incidents' bodies as
	// one JSON array, oldest first ([] when none is open), read through
	// the partial index of open incidents.
	openIncidents string
	// guessesPlans says that the engine keeps no statistics of the
	// tables (SQLite, which andon does not ANALYZE): it picks an index by
	// the shape of the condition alone, and a condition must keep it off
	// an index that narrows less than another (see AuditService.where).
	guessesPlans bool
}

var sqliteDialect = dialect{name: "sqlite", rebind: func(q string) string { return q }, cacheStmts: true, textMatch: likeMatch, guessesPlans: true,
	recordTime: `json_extract(record, '$.time')`,
	bodyText:   func(field string) string { return `json_extract(body, '$.` + field + `')` },
	contains:   func(column string) string { return `instr(` + column + `, ?) > 0` },
	recordData: func(key string) string { return `json_extract(record, '$.data.` + key + `')` },
	// SQLite's data is the text json_extract reads each field from, as
	// recordData reads them from the record's.
	recordDoc:     `json_extract(record, '$.data')`,
	docText:       func(key string) string { return `json_extract(d, '$.` + key + `')` },
	openIncidents: `(SELECT json_group_array(json(body)) FROM (SELECT body FROM incidents WHERE state = 'open' ORDER BY seq))`,
	// SQLite's dates are exact to the millisecond: a window bound a
	// fraction of one past a second is read as that second.
	windowBound: func(bound string) string {
		return `unixepoch(json_extract(c.body, '$.window.` + bound + `'), 'subsec')`
	}}

// likeMatch finds each word of the text anywhere in a change's ID, title
// or description, ignoring case in every script (andon_lower, since
// SQLite's LOWER knows only ASCII: Überarbeitung matched no title of that
// word): a scan, which an embedded store's few thousand changes afford.
// The text's % and _ are matched as themselves, not as LIKE's wildcards.
func likeMatch(text string) (string, []any) {
	var conds []string
	var args []any
	for _, w := range strings.Fields(strings.ToLower(text)) {
		q := "%" + likeEscaper.Replace(w) + "%"
		conds = append(conds, `(andon_lower(title) LIKE ? ESCAPE '\' OR andon_lower(description) LIKE ? ESCAPE '\' OR andon_lower(id) LIKE ? ESCAPE '\')`)
		args = append(args, q, q, q)
	}
	if len(conds) == 0 {
		return "0 = 1", nil
	}
	return "(" + strings.Join(conds, " AND ") + ")", args
}

// andon_lower is strings.ToLower as an SQLite function, for likeMatch.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("andon_lower", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return strings.ToLower(v), nil
		case []byte:
			return strings.ToLower(string(v)), nil
		}
		return args[0], nil
	})
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// DataPath returns the SQLite database path inside a data directory.
func DataPath(dataDir string) string { return filepath.Join(dataDir, "andon.db") }

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the database named by dsn and brings its schema up to date.
// A dsn is "postgres://…" (PostgreSQL, several replicas may share it),
// "sqlite:///abs/path/andon.db", "sqlite://relative/path.db" or a plain
// file path (embedded SQLite, one process).
func Open(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, false, nil)
}

// OpenLogged is Open that tells logger of each migration it applies, and
// of a wait for another replica that applies one: on a large database a
// migration may hold a replica's start for minutes.
func OpenLogged(ctx context.Context, dsn string, logger *slog.Logger) (*DB, error) {
	return open(ctx, dsn, false, logger)
}

// OpenReadOnly opens an existing database without migrating or writing it,
// for offline verification.
func OpenReadOnly(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, true, nil)
}

func open(ctx context.Context, dsn string, readOnly bool, logger *slog.Logger) (*DB, error) {
	return openWith(ctx, dsn, readOnly, logger, nil)
}

// openWith opens the store of dsn; rotating, when not nil, gives the URL
// again for each new PostgreSQL connection (OpenRotating).
func openWith(ctx context.Context, dsn string, readOnly bool, logger *slog.Logger, rotating *rotation) (*DB, error) {
	var db *DB
	var err error
	if IsPostgres(dsn) {
		db, err = openPostgres(ctx, dsn, readOnly, rotating, logger)
	} else {
		db, err = openSQLite(ctx, dsn, readOnly)
	}
	if err != nil {
		return nil, err
	}
	if readOnly {
		close(db.writerDone)
		return db, nil
	}
	db.Logger = logger
	if err := db.migrate(ctx); err != nil {
		db.closeNow()
		return nil, db.DiskError(err)
	}
	go db.writer()
	return db, nil
}

func newDB(w, r *sql.DB, d dialect) *DB {
	return &DB{write: w, read: r, dialect: d, Now: time.Now,
		writeStmts: newStmtCache(w), readStmts: newStmtCache(r), hashes: newHashCache(),
		writes: make(chan *writeRequest), closing: make(chan struct{}), writerDone: make(chan struct{})}
}

func openSQLite(ctx context.Context, dsn string, readOnly bool) (*DB, error) {
	path, err := SQLitePath(dsn)
	if err != nil {
		return nil, err
	}
	fi, statErr := os.Stat(path)
	switch {
	case readOnly && statErr != nil:
		return nil, andon.Errorf(andon.ENOTFOUND, "no andon database at %s", path)
	case !readOnly:
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		// A new database is made readable by its owner alone: it holds
		// every change and the whole audit log. SQLite would make it
		// 0644, and its write-ahead log and index with the mode of the
		// database file, whatever the mode of a data directory that
		// existed before (a volume, a directory made by hand).
		if errors.Is(statErr, fs.ErrNotExist) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil && !errors.Is(err, fs.ErrExist) {
				return nil, fmt.Errorf("create the database file: %w", err)
			} else if err == nil {
				f.Close()
			}
		}
	}
	// Opened to be read only, the file is evidence: not a byte of it
	// changes, not even its journal mode, and nothing is made beside it.
	// Without a write-ahead log beside it, no process has the database
	// open (a server keeps andon.db-wal while it runs), and the file holds
	// everything: it is read as immutable, which takes no lock and makes
	// no andon.db-wal or andon.db-shm. With one, what it holds is read
	// too, through the index (andon.db-shm) opened read only, which
	// SQLite then never writes: it reads the write-ahead log into memory
	// when no server keeps the index. A write-ahead log without its index
	// (a copy that left it out) is read from a private copy of the two
	// files, since SQLite would make the index beside them.
	readPath := path
	var private string
	readParams := "mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	switch {
	case !readOnly:
		// The look a server takes before it opens the file to write.
		if !exists(path+"-wal") && !exists(path+"-shm") && !writable(filepath.Dir(path)) {
			readParams += "&immutable=1"
		}
	case !exists(path + "-wal"):
		readParams += "&immutable=1"
	case exists(path + "-shm"):
		readParams += "&readonly_shm=1"
	default:
		if private, err = privateCopy(path); err != nil {
			return nil, err
		}
		readPath = filepath.Join(private, filepath.Base(path))
	}
	removePrivate := func() {
		if private != "" {
			os.RemoveAll(private)
		}
	}
	// A file that is there is looked at read only first: another
	// program's database is refused rather than turned to WAL and given
	// andon's tables, and one without them is none to read (as
	// openPostgres says of a schema). An empty file is a new database.
	if fi != nil && (readOnly || fi.Size() > 0) {
		if err := checkAndonFile(ctx, path, readPath, readParams, dsn); err != nil {
			removePrivate()
			if !readOnly {
				err = diskError(path, err)
			}
			return nil, err
		}
	}
	// WAL lets readers run beside the writer; synchronous=FULL makes every
	// commit durable before it is acknowledged; IMMEDIATE transactions take
	// the write lock up front so a transaction never fails half-way on a
	// lock upgrade.
	params := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_txlock=immediate"
	if readOnly {
		params = readParams
	}
	w, err := sql.Open("sqlite", "file:"+readPath+"?"+params)
	if err != nil {
		removePrivate()
		return nil, err
	}
	w.SetMaxOpenConns(1)
	if !readOnly {
		params += "&_pragma=query_only(1)"
	}
	r, err := sql.Open("sqlite", "file:"+readPath+"?"+params)
	if err != nil {
		w.Close()
		removePrivate()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	db := newDB(w, r, sqliteDialect)
	db.private = private
	db.lastSigned = &lastSigned{db: path, path: LastSignedPath(path)}
	if err := w.PingContext(ctx); err != nil {
		db.closeNow()
		err = fmt.Errorf("open %s: %w", path, err)
		if !readOnly {
			err = diskError(path, err)
		}
		return nil, err
	}
	if !readOnly {
		info, err := os.Stat(path)
		if err != nil {
			db.closeNow()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		db.file = &fileIdentity{path: path, info: info}
	}
	return db, nil
}

// checkAndonFile opens the SQLite file at path, read from readPath (path
// itself or a private copy) with params, read only, and refuses it unless
// it holds andon's tables.
func checkAndonFile(ctx context.Context, path, readPath, params, dsn string) error {
	db, err := sql.Open("sqlite", "file:"+readPath+"?"+params)
	if err != nil {
		return err
	}
	defer db.Close()
	tables, err := queryStrings(ctx, db, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if !slices.Contains(tables, "audit_entries") {
		// A database whose tables were all in its write-ahead log when
		// that was lost still has the checkpoint andon signed beside it.
		if kept := LastSignedPath(path); exists(kept) {
			name := filepath.Base(path)
			return andon.Errorf(andon.ECONFLICT, "%s has no andon tables, but the last checkpoint andon signed there is beside it (%s): everything written to it is lost. Its write-ahead log (%s-wal) was deleted or lost after andon stopped without closing the database (a crash, a kill, a power cut): put the lost file back or restore a backup of the whole data directory",
				path, kept, name)
		}
		return andon.Errorf(andon.EINVALID, "%s is not an andon database: it has no andon tables", RedactDSN(dsn))
	}
	return nil
}

// privateCopy copies the SQLite database at path and its write-ahead log
// into a new temporary directory, which it returns, for reading them
// without making their index beside the originals. The database is
// copied first: a log copied after it holds at least what was written
// to it, which SQLite reads over the database's pages.
func privateCopy(path string) (string, error) {
	dir, err := os.MkdirTemp("", "andon-read-")
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	for _, suffix := range []string{"", "-wal"} {
		if err := copyFile(path+suffix, filepath.Join(dir, filepath.Base(path)+suffix)); err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("read %s: %w", path, err)
		}
	}
	return dir, nil
}

// copyFile copies the file src to the new file dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// exists reports whether a file is at path; one that cannot be looked at
// counts as there.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// SQLitePath returns the file of the embedded SQLite database that dsn
// names; dsn is not a PostgreSQL URL.
func SQLitePath(dsn string) (string, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite://"):
		u, err := url.Parse(dsn)
		if err != nil {
			return "", andon.Errorf(andon.EINVALID, "--db: %v", err)
		}
		p := u.Host + u.Path
		if p == "" {
			return "", andon.Errorf(andon.EINVALID, "--db: %q names no file", dsn)
		}
		return p, nil
	case strings.Contains(dsn, "://"):
		return "", andon.Errorf(andon.EINVALID, "--db: unknown database scheme in %q (want sqlite://PATH or postgres://…)", RedactDSN(dsn))
	case dsn == "":
		return "", andon.Errorf(andon.EINVALID, "--db: empty")
	}
	// sqlite:/tmp/andon.db is a slip for sqlite:///tmp/andon.db, not a
	// file named so in the working directory. Only a SQLite URL is
	// repeated in the message: a PostgreSQL one may hold a password.
	if scheme, rest, ok := strings.Cut(dsn, ":"); ok {
		switch strings.ToLower(scheme) {
		case "sqlite":
			return "", andon.Errorf(andon.EINVALID, "--db %s: needs // after the colon: did you mean sqlite://%s?", dsn, rest)
		case "postgres", "postgresql":
			return "", andon.Errorf(andon.EINVALID, "--db: %s: needs // after the colon: postgres://USER@HOST/DATABASE", scheme)
		}
	}
	return dsn, nil
}

// closeNow closes a DB whose writer never started.
func (db *DB) closeNow() {
	db.lastSigned.close()
	db.writeStmts.close()
	db.readStmts.close()
	db.write.Close()
	db.read.Close()
	db.removePrivate()
}

// removePrivate removes the private copy a read-only DB was read from.
func (db *DB) removePrivate() {
	if db.private != "" {
		os.RemoveAll(db.private)
	}
}

// Close stops the writer, after the batch it is committing, and closes the
// database. Writes queued later fail.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { close(db.closing) })
	<-db.writerDone
	db.lastSigned.close()
	db.writeStmts.close()
	db.readStmts.close()
	err := errors.Join(db.write.Close(), db.read.Close())
	db.removePrivate()
	return err
}

// Ready checks that the database answers and, for a store that writes,
// that the audit log it holds was signed with the store's key: a replica
// given another key than the one that signed the log writes nothing (see
// checkStoredSigner), so it must be sent no requests.
//
// It also reports the fault of the storage the last write met (a full or
// read-only disk) for a while after it, unless a write succeeded since,
// and, on SQLite, a database file deleted or replaced under the server.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.Ping(ctx); err != nil {
		return err
	}
	if err := db.file.check(); err != nil {
		return err
	}
	if err := db.faults.current(db.Now()); err != nil {
		return err
	}
	if db.Signer == nil {
		return nil
	}
	return db.CheckSigner(ctx)
}

// ErrNoAnswer is the error of a database that does not answer, as it may
// be shown to a client: the driver's cause, which may name hosts, is
// wrapped with it for the log.
var ErrNoAnswer = &andon.Fault{Message: "the database does not answer"}

// Ping checks that the database answers; when it does not, its error is
// ErrNoAnswer wrapping the driver's.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrNoAnswer, err)
	}
	return nil
}

// migrate applies the embedded migrations not yet recorded, each in its own
// transaction, which a failure or a killed process rolls back whole: both
// engines' DDL is transactional, and no migration builds an index
// concurrently. On PostgreSQL each transaction first takes an advisory lock,
// so that replicas starting together apply every migration once: the others
// wait, then find it recorded. A database that records a migration this
// binary does not know was migrated by a newer andon, and is refused.
func (db *DB) migrate(ctx context.Context) error {
	names, err := db.migrationFiles()
	if err != nil {
		return err
	}
	known := map[string]bool{}
	waited := false
	for _, name := range names {
		known[filepath.Base(name)] = true
		if err := db.migrateFile(ctx, name, &waited); err != nil {
			if ctx.Err() != nil {
				// Told to stop (SIGTERM, a failed startup probe): there
				// is no cause to remove.
				return fmt.Errorf("migration %s was stopped before it completed, and rolled back (the migrations before it stay applied): %w; start andon again, which applies it again", filepath.Base(name), err)
			}
			return fmt.Errorf("migration %s did not complete and was rolled back (the migrations before it stay applied): %w; remove its cause and start andon again, which applies it again", filepath.Base(name), err)
		}
	}
	applied, err := recordedMigrations(ctx, db.write)
	if err != nil {
		return err
	}
	for _, name := range applied {
		if !known[name] {
			return andon.Errorf(andon.EINVALID, "the database was migrated by a newer andon (it records migration %s, which this version %s does not know): run that newer version, or restore the backup taken before the upgrade", name, andon.Version)
		}
	}
	return nil
}

// AuditMigrations are the migrations, on either engine, that make what
// the readers of the audit log read (AuditService's FindEntries,
// Evidence, Proof and Checkpoint, and the change a filter names): the
// entries, their hashes, the signed checkpoint, and the change an entry
// names. A store that records them is read whole by a later andon, so an
// auditor handed an older store reads it with the newest andon. A
// migration that adds to what those read goes here too.
var AuditMigrations = []string{"0001_init.sql", "0004_audit_change.sql"}

// ProcessMigration is the migration, on either engine, that indexes the
// changes' business processes, which AuditFilter.Process reads. It is not
// one of AuditMigrations: a store an older andon left without it is read
// whole by a later andon, only not by process.
const ProcessMigration = "0013_change_processes.sql"

// Unmigrated returns the names of the embedded migrations that the
// database does not record, in order: those that andon serve of this
// version would apply. A store opened read-only is not migrated, so a
// command that reads what a recent migration added checks this first.
func (db *DB) Unmigrated(ctx context.Context) ([]string, error) {
	names, err := db.migrationFiles()
	if err != nil {
		return nil, err
	}
	applied, err := recordedMigrations(ctx, db.read)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, name := range names {
		if !slices.Contains(applied, filepath.Base(name)) {
			missing = append(missing, filepath.Base(name))
		}
	}
	return missing, nil
}

// migrationFiles returns the paths of the embedded migrations of db's
// engine, in the order they apply.
func (db *DB) migrationFiles() ([]string, error) {
	names, err := fs.Glob(migrations, "migrations/"+db.dialect.name+"/*.sql")
	sort.Strings(names)
	return names, err
}

// recordedMigrations returns the names of the migrations the database
// records as applied, in order.
func recordedMigrations(ctx context.Context, q *sql.DB) ([]string, error) {
	names, err := queryStrings(ctx, q, `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return names, nil
}

// queryStrings returns the one text column of the rows query selects.
func queryStrings(ctx context.Context, q *sql.DB, query string) ([]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, rows.Err()
}

// migrateFile applies the migration name unless the database records it.
// On PostgreSQL, a wait for another replica's lock is logged once per
// start, which *waited records: the replicas take it in turn for every
// migration, even one they only find recorded.
func (db *DB) migrateFile(ctx context.Context, name string, waited *bool) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if db.dialect.name == "postgres" {
		var free bool
		if err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock(`+advisoryKey+`)`, "migrate").Scan(&free); err != nil {
			return fmt.Errorf("take the migration lock: %w", err)
		}
		if !free {
			if db.Logger != nil && !*waited {
				*waited = true
				db.Logger.Info("waiting for another andon that migrates the database", "migration", filepath.Base(name))
			}
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+advisoryKey+`)`, "migrate"); err != nil {
				return fmt.Errorf("take the migration lock: %w", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, db.dialect.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE name = ?`), filepath.Base(name)).Scan(&n); err != nil {
		return err
	} else if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(migrations, name)
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, db.dialect.rebind(`INSERT INTO schema_migrations (name) VALUES (?)`), filepath.Base(name)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if db.Logger != nil {
		db.Logger.Info("applied migration", "migration", filepath.Base(name), "version", andon.Version, andon.LogDuration(time.Since(start)))
	}
	return nil
}

// Tx is one request's part of a write transaction. It collects the audit
// events of the request, which are appended before the request's part is
// released.
type Tx struct {
	// stx is unexported so that every statement goes through exec, query
	// and queryRow, which take the request's savepoint before a write.
	stx    *sql.Tx
	db     *DB
	now    time.Time
	events []andon.Event
	// size is the audit log's size before this request's entries.
	size int64
	// appended holds the indexes of the entries this request wrote.
	appended []int64
	// recordErr holds events that could not be captured; the request fails.
	recordErr error
	// noChange says the request found nothing to do; see NoChange.
	noChange bool
	// batchStart is the log's size when the transaction began: hashes of
	// entries before it are committed.
	batchStart int64
	// newHashes holds the tree hashes of this request's entries.
	newHashes map[int64]tlog.Hash
	// entries and hashes are this request's audit rows, written with the
	// batch's once the request succeeded.
	entries []auditRow
	hashes  []auditlog.StoredHash

	// counts is the batch's view of the counts of change writes; see
	// unchangedSince.
	counts *changeCounts

	// savepoints says the request shares its transaction and must take a
	// savepoint before its first write; savepointTaken that it did.
	savepoints, savepointTaken bool
	// wrote says the request ran a statement that writes; failedStatement
	// that one of its statements failed.
	wrote, failedStatement bool
}

// beforeWrite takes the request's savepoint before its first write.
func (tx *Tx) beforeWrite(ctx context.Context) error {
	tx.wrote = true
	if !tx.savepoints || tx.savepointTaken {
		return nil
	}
	if _, err := tx.stx.ExecContext(ctx, "SAVEPOINT request"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	tx.savepointTaken = true
	return nil
}

// changeStamp is what a read outside the write saw of the counts of the
// writes of changes and their artifacts, which triggers keep in every
// transaction that writes them (migration 0006): the total
// (audit_checkpoint.changes_seq), or -1 when there is no read to confirm,
// and those of the environments the read was about (change_counts).
type changeStamp struct {
	total           int64
	env, from       string
	envSeq, fromSeq int64
	// incidents is the count of incident writes
	// (audit_checkpoint.incidents_seq): an incident opened or resolved
	// changes every environment's decisions.
	incidents int64
}

// noStamp is the stamp of no read.
var noStamp = changeStamp{total: -1}

// changeCounts is a batch's view of the counts of change writes.
type changeCounts struct {
	// total is the count when the batch began, read with the lock that
	// serialises writes; wrote says a request of the batch wrote since.
	total int64
	wrote bool
	// byEnv holds the counts of each environment as of now in the
	// transaction, read when first needed and again after a write, and
	// incidents the count of incident writes, read with them.
	byEnv     map[string]int64
	incidents int64
}

// unchangedSince reports whether the changes and artifacts of the
// environments of stamp are as a read outside the transaction saw them:
// no transaction that wrote them has committed since, and no request
// before this one in the batch wrote them. A decision read from the read
// pool, in parallel with other requests, is then still true inside the
// serialised write and need not be read again. The total tells at no cost
// when nothing at all was written; otherwise the counts of every
// environment are read, once per batch until a request writes.
func (tx *Tx) unchangedSince(ctx context.Context, stamp changeStamp) (bool, error) {
	c := tx.counts
	if stamp.total < 0 || c == nil || c.total < 0 {
		return false, nil
	}
	if !c.wrote && stamp.total == c.total {
		return true, nil
	}
	if c.byEnv == nil {
		rows, err := tx.query(ctx, `SELECT environment, seq FROM change_counts`)
		if err != nil {
			return false, fmt.Errorf("read the counts of change writes: %w", err)
		}
		defer rows.Close()
		byEnv := map[string]int64{}
		for rows.Next() {
			var env string
			var seq int64
			if err := rows.Scan(&env, &seq); err != nil {
				return false, err
			}
			byEnv[env] = seq
		}
		if err := rows.Err(); err != nil {
			return false, err
		}
		if err := tx.queryRow(ctx, `SELECT incidents_seq FROM audit_checkpoint WHERE id = 1`).Scan(&c.incidents); err != nil {
			return false, fmt.Errorf("read the count of incident writes: %w", err)
		}
		c.byEnv = byEnv
	}
	// An environment nobody wrote a change of has no row: 0, as the read
	// saw it.
	return c.byEnv[stamp.env] == stamp.envSeq && (stamp.from == "" || c.byEnv[stamp.from] == stamp.fromSeq) &&
		c.incidents == stamp.incidents, nil
}

// ErrNoChange is returned by Update when its function called NoChange and
// recorded nothing: the request wrote nothing and needs no audit entry.
var ErrNoChange = errors.New("nothing to change")

// NoChange marks a request that found nothing to do, such as publishing
// the catalog version already in force. If it records no event, it is
// rolled back and Update returns ErrNoChange instead of refusing a write
// without an audit entry.
func (tx *Tx) NoChange() { tx.noChange = true }

// AuditSize returns the size of the audit log before this request's
// entries: the index its first entry takes. Read under the log's lock, no
// other writer can change it before the transaction commits.
func (tx *Tx) AuditSize() int64 { return tx.size }

// Record queues an audit event; it is appended in this transaction. The
// event's data is captured now, so that the record shows the state at the
// moment of the event even if the caller changes the value afterwards.
func (tx *Tx) Record(ev andon.Event) {
	if ev.Data != nil {
		data, err := json.Marshal(ev.Data)
		if err != nil {
			tx.recordErr = errors.Join(tx.recordErr, fmt.Errorf("audit event %s: %w", ev.Type, err))
			return
		}
		ev.Data = json.RawMessage(data)
	}
	tx.events = append(tx.events, ev)
}

// maxBatch bounds how many requests share one commit.
const maxBatch = 128

// batchTimeout bounds one batch's transaction, waiting for the log's lock
// included.
const batchTimeout = 60 * time.Second

// writeRequest is one call of Update waiting for the writer.
type writeRequest struct {
	ctx  context.Context
	fn   func(context.Context, *Tx) error
	done chan writeResult
}

type writeResult struct {
	indexes []int64
	err     error
}

var errClosed = andon.Errorf(andon.EINTERNAL, "the store is closed")

// Update runs fn as part of a write transaction, appends the events fn
// recorded to the audit log and re-signs the checkpoint. It returns only
// once the transaction is durably committed, with the audit indexes of the
// appended entries. If fn or the audit append fails, nothing fn wrote is
// kept and the error is returned.
//
// Concurrent calls are committed together (group commit): one writer runs
// each request inside its own savepoint of a shared transaction, so a
// failing request is rolled back alone, and one fsync acknowledges them
// all. That is what lets durable writes outpace the disk's flush rate.
func (db *DB) Update(ctx context.Context, fn func(context.Context, *Tx) error) ([]int64, error) {
	if db.Signer == nil {
		return nil, andon.Errorf(andon.EINTERNAL, "database opened without an audit signing key: writes are refused")
	}
	db.inflight.Add(1)
	defer db.inflight.Add(-1)
	req := &writeRequest{ctx: ctx, fn: fn, done: make(chan writeResult, 1)}
	select {
	case db.writes <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-db.closing:
		return nil, errClosed
	}
	// Once queued, the request may be committed: wait for the verdict even
	// if ctx ends, so that the caller never reports a failure for a write
	// that happened.
	r := <-req.done
	return r.indexes, r.err
}

// busy reports whether a write is queued or being committed, which a new
// write would wait for.
func (db *DB) busy() bool { return db.inflight.Load() > 0 }

// writer commits queued writes in batches until the DB closes.
func (db *DB) writer() {
	defer close(db.writerDone)
	for {
		var batch []*writeRequest
		select {
		case req := <-db.writes:
			batch = append(batch, req)
		case <-db.closing:
			return
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case req := <-db.writes:
				batch = append(batch, req)
			default:
				break drain
			}
		}
		results := db.commitBatch(batch)
		keep := db.toKeep
		db.toKeep = nil
		db.noteFaults(results)
		for i, req := range batch {
			req.done <- results[i]
		}
		if keep != nil {
			db.lastSigned.save(db.logger(), keep)
		}
		db.writeStmts.preparePending(context.Background())
	}
}

// noteFaults wraps the errors of a batch's results that report a fault
// of the storage with it, and remembers whether the batch met one or
// committed (see writeFaults).
func (db *DB) noteFaults(results []writeResult) {
	logger := db.logger()
	var fault error
	committed := false
	for i := range results {
		results[i].err = storageFault(results[i].err, db.file)
		var f *andon.Fault
		switch {
		case results[i].err == nil && len(results[i].indexes) > 0:
			committed = true
		case errors.As(results[i].err, &f):
			fault = results[i].err
		}
	}
	switch {
	case committed:
		db.faults.succeed(logger)
	case fault != nil:
		db.faults.fail(logger, fault, db.Now())
	}
}

func (db *DB) commitBatch(batch []*writeRequest) []writeResult {
	results := make([]writeResult, len(batch))
	fail := func(err error) []writeResult {
		for i := range results {
			if results[i].err == nil {
				results[i] = writeResult{err: err}
			}
		}
		return results
	}
	// The transaction is not bound to any request's context: one caller
	// giving up must not roll back the others. It has a deadline of its
	// own, so that a database that stops answering fails the batch rather
	// than hang every writer behind it.
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fail(fmt.Errorf("begin: %w", err))
	}
	defer sqlTx.Rollback()
	size, changesSeq, signed, err := auditSize(ctx, &Tx{stx: sqlTx, db: db})
	if err != nil {
		return fail(fmt.Errorf("read audit checkpoint: %w", err))
	}
	if err := db.checkStoredSigner(signed); err != nil {
		db.auditKey.Add(uint64(len(batch)))
		return fail(fmt.Errorf("read audit checkpoint: %w", err))
	}
	start := size
	// Hashes written in this transaction are cached only once it commits.
	defer db.hashes.abort()
	// A request alone in its transaction needs no savepoint: if it fails,
	// the whole transaction is rolled back. In a batch, a request takes a
	// savepoint before its first write (see Tx.beforeWrite), so that a
	// failing request is rolled back alone; one that only reads takes
	// none. Each savepoint is a round trip on PostgreSQL.
	alone := len(batch) == 1
	counts := &changeCounts{total: changesSeq}
	var entries []auditRow
	var hashes []auditlog.StoredHash
	for i, req := range batch {
		if err := req.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		tx := &Tx{stx: sqlTx, db: db, now: db.Now().UTC(), size: size, batchStart: start, savepoints: !alone,
			counts: counts}
		err := runRequest(ctx, req, tx)
		if tx.wrote {
			// A request that wrote may have changed what the reads of the
			// requests after it saw: the counts are read again.
			counts.wrote, counts.byEnv = true, nil
		}
		if err != nil {
			results[i].err = err
			if !tx.savepointTaken {
				if tx.wrote || tx.failedStatement {
					// Nothing to roll back to: the request's writes, or
					// PostgreSQL's aborted transaction, would reach the
					// others. Fail them all; nothing is committed.
					return fail(fmt.Errorf("a request of the same transaction failed: %w", err))
				}
				continue
			}
			if _, rerr := sqlTx.ExecContext(ctx, "ROLLBACK TO request"); rerr != nil {
				return fail(fmt.Errorf("roll back a failed request: %w", rerr))
			}
		} else {
			results[i].indexes = tx.appended
			size = tx.size
			entries = append(entries, tx.entries...)
			hashes = append(hashes, tx.hashes...)
			for _, h := range tx.hashes {
				db.hashes.pending[h.Index] = h.Hash
			}
		}
		if tx.savepointTaken {
			if _, err := sqlTx.ExecContext(ctx, "RELEASE request"); err != nil {
				return fail(fmt.Errorf("release savepoint: %w", err))
			}
		}
	}
	if len(entries) == 0 {
		return results
	}
	// The audit entries of every request are written together, after the
	// requests: a few statements for the whole batch instead of two per
	// request. If they cannot be written, nothing of the batch is kept.
	if err := insertAudit(ctx, &Tx{stx: sqlTx, db: db}, entries, hashes); err != nil {
		db.countAuditWriteFailures(results)
		return fail(db.internalError("append audit entries", err))
	}
	signed, err = signCheckpoint(ctx, &Tx{stx: sqlTx, db: db, batchStart: start}, size)
	if err != nil {
		db.countAuditWriteFailures(results)
		return fail(db.internalError("sign audit checkpoint", err))
	}
	// A SQLite file deleted or replaced under the server still takes
	// writes, to an inode nobody will open again: they would be lost on
	// restart, so they are not acknowledged.
	if err := db.file.check(); err != nil {
		return fail(err)
	}
	if err := sqlTx.Commit(); err != nil {
		return fail(fmt.Errorf("commit: %w", err))
	}
	db.hashes.commit()
	db.knownNote = signed
	// Kept once the commit is durable, never before (see lastSigned), by
	// the writer once it has answered the batch's callers.
	db.toKeep = signed
	return results
}

// countAuditWriteFailures counts, as writes whose audit entries could not
// be written, the requests of a batch that had not failed on their own
// when the batch's entries or checkpoint failed, failing them all.
func (db *DB) countAuditWriteFailures(results []writeResult) {
	var n uint64
	for _, r := range results {
		if r.err == nil {
			n++
		}
	}
	db.auditWrite.Add(n)
}

// Causes of the writes refused because their audit entries could not be
// appended: the keys of AuditFailures, and the values of the cause label
// of andon_audit_append_failures_total.
const (
	// AuditFailedWrite: the entries, their tree hashes or the checkpoint
	// signed over them could not be made or stored.
	AuditFailedWrite = "write"
	// AuditFailedKey: the stored checkpoint was signed with another key
	// than this process's (see checkStoredSigner).
	AuditFailedKey = "key"
)

// AuditFailures returns how many writes this process refused because
// their audit entries could not be appended, by cause (AuditFailedWrite,
// AuditFailedKey), since it opened the DB. Every cause is present, zero
// included. Such a write fails whole: nothing of it is kept.
func (db *DB) AuditFailures() map[string]uint64 {
	return map[string]uint64{AuditFailedWrite: db.auditWrite.Load(), AuditFailedKey: db.auditKey.Load()}
}

// logger returns the Logger, or slog.Default() when it is nil.
func (db *DB) logger() *slog.Logger {
	if db.Logger == nil {
		return slog.Default()
	}
	return db.Logger
}

// internalError returns err, which failed what the writer was doing, as
// an internal error whatever its code: a tree hash missing is the store's
// fault, not the request's. A fault of the storage (a full or read-only
// disk) is kept, for the caller to be told.
func (db *DB) internalError(what string, err error) error {
	if err = storageFault(err, db.file); isFault(err) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return andon.Errorf(andon.EINTERNAL, "%s: %v", what, err)
}

// isFault reports whether err is an andon.Fault.
func isFault(err error) bool {
	var fault *andon.Fault
	return errors.As(err, &fault)
}

// runRequest runs one request's function and appends its audit entries,
// turning a panic into an error so that the writer survives it.
func runRequest(batchCtx context.Context, req *writeRequest, tx *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("write panicked: %v", r)
		}
	}()
	// Once started, a request runs to its end: cancelling a statement
	// mid-way makes SQLite roll back the whole shared transaction, which
	// would fail the other requests of the batch too.
	// It keeps the request's values (the user) and takes the batch's
	// deadline.
	ctx := context.WithoutCancel(req.ctx)
	if deadline, ok := batchCtx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	if err := req.fn(ctx, tx); err != nil {
		return err
	}
	if tx.recordErr != nil {
		tx.db.auditWrite.Add(1)
		return tx.recordErr
	}
	if len(tx.events) == 0 {
		if tx.noChange {
			return ErrNoChange
		}
		return andon.Errorf(andon.EINTERNAL, "write without audit event refused")
	}
	if err := tx.appendAudit(ctx); err != nil {
		// Whatever the cause, a failed append is the store's fault, not
		// the request's: report it as internal, never as not found.
		tx.db.auditWrite.Add(1)
		return tx.db.internalError("append audit entry", err)
	}
	return nil
}

func micros(t time.Time) int64 { return t.UnixMicro() }
