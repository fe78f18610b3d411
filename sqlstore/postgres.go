package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/andon-governance/andon"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// postgresDialect numbers placeholders and locks rows read for update:
// several replicas write to one PostgreSQL, so the database, not a Go
// mutex, serialises them.
var postgresDialect = dialect{name: "postgres", rebind: rebindDollar, forUpdate: " FOR UPDATE", textMatch: wordMatch,
	recordTime: `(record::json ->> 'time')`,
	bodyText:   func(field string) string { return `(body::json ->> '` + field + `')` },
	contains:   func(column string) string { return `strpos(` + column + `, ?) > 0` },
	recordData: func(key string) string { return `(record::json #>> '{data,` + key + `}')` },
	// A json value is text, parsed again by every field read from it; a
	// jsonb one is parsed once, into a tree its fields are read from.
	recordDoc:     `(record::jsonb -> 'data')`,
	docText:       func(key string) string { return `(d ->> '` + key + `')` },
	docFence:      ` OFFSET 0`,
	openIncidents: `(SELECT COALESCE(json_agg(body::json ORDER BY seq), '[]')::text FROM incidents WHERE state = 'open')`,
	windowBound: func(bound string) string {
		return `EXTRACT(EPOCH FROM (c.body::json #>> '{window,` + bound + `}')::timestamptz)`
	}}

// wordMatch finds changes whose words start with each word of the text,
// ignoring case, through the changes_words index: a substring search
// scans every change, which a million of them make too slow. The text is
// reduced to its letters and digits, so it cannot inject query syntax.
func wordMatch(text string) (string, []any) {
	var terms []string
	for _, w := range searchTerms(strings.ToLower(text)) {
		terms = append(terms, w+":*")
	}
	if len(terms) == 0 {
		return "FALSE", nil
	}
	return "words @@ to_tsquery('simple', ?)", []any{strings.Join(terms, " & ")}
}

// searchTerms splits text into the words wordMatch searches for: its runs
// of letters and digits.
func searchTerms(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// advisoryKey is the SQL of an advisory lock key named by the query's one
// text parameter. Keys are scoped to the schema, so that two andon
// installations sharing a database (or tests in their own schemas) do
// not block each other.
const advisoryKey = `hashtext('andon'), hashtext(current_schema() || '.' || $1)`

func openPostgres(ctx context.Context, dsn string, readOnly bool, rotating *rotation, logger *slog.Logger) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, andon.Errorf(andon.EINVALID, "--db: %s", RedactDSN(err.Error()))
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "andon"
	}
	// A replica cut off from the database must not hold the audit
	// checkpoint's row lock, which every replica's writes wait for: the
	// server ends a session idle in its transaction after this long.
	// And the client notices a vanished server through TCP keep-alives
	// rather than the kernel's retransmission timeout of many minutes.
	// The store's statements are short and many; compiling a plan to
	// machine code (JIT) costs more than any of them, and a planner
	// misled by stale statistics may reach for it.
	if cfg.RuntimeParams["jit"] == "" {
		cfg.RuntimeParams["jit"] = "off"
	}
	if cfg.RuntimeParams["idle_in_transaction_session_timeout"] == "" {
		cfg.RuntimeParams["idle_in_transaction_session_timeout"] = "15s"
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAliveConfig: net.KeepAliveConfig{
		Enable: true, Idle: 10 * time.Second, Interval: 5 * time.Second, Count: 3,
	}}
	cfg.DialFunc = dialer.DialContext
	var options []stdlib.OptionOpenDB
	if rotating != nil {
		options = append(options, stdlib.OptionBeforeConnect(newCredentials(cfg, dsn, rotating.reread, logger).beforeConnect))
	}
	w := stdlib.OpenDB(*cfg, options...)
	// The writer holds one connection; the others serve migrations, the
	// leader lock and background jobs.
	w.SetMaxOpenConns(4)
	w.SetMaxIdleConns(4)
	readCfg := cfg.Copy()
	// Reads never write: the database enforces it.
	readCfg.RuntimeParams["default_transaction_read_only"] = "on"
	r := stdlib.OpenDB(*readCfg, options...)
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	if rotating != nil && rotating.lifetime > 0 {
		// Connections idle for ever would keep the credentials they
		// logged in with: a rotation would never reach them.
		w.SetConnMaxLifetime(rotating.lifetime)
		r.SetConnMaxLifetime(rotating.lifetime)
	}
	db := newDB(w, r, postgresDialect)
	if err := w.PingContext(ctx); err != nil {
		db.closeNow()
		return nil, andon.Errorf(andon.EINTERNAL, "connect to PostgreSQL at %s: %s", RedactDSN(dsn), RedactDSN(connectProblem(err)))
	}
	if err := checkAndonSchema(ctx, r, dsn, readOnly); err != nil {
		db.closeNow()
		return nil, err
	}
	return db, nil
}

// checkAndonSchema refuses a schema that is not andon's before anything
// is written to it: to read, one without andon's tables; to write, one
// that holds another program's tables, which andon would otherwise add
// its own to (as SQLite refuses another program's file). An empty schema
// is a new database; a search path that names no existing schema is
// named as such rather than left for the first CREATE TABLE to refuse.
// The relations of an extension (the views of pg_stat_statements, the
// table of PostGIS), which a DBA may install in the schema of every new
// database, are no program's tables: they do not make a schema another
// program's.
func checkAndonSchema(ctx context.Context, r *sql.DB, dsn string, readOnly bool) error {
	var schema sql.NullString
	if err := r.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("read the current schema: %w", err)
	}
	if !schema.Valid {
		return andon.Errorf(andon.EINVALID, "--db %s: no schema of the search path exists in the database: create it, or name another with search_path", RedactDSN(dsn))
	}
	tables, err := queryStrings(ctx, r, `SELECT c.relname FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
		AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
			WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
		ORDER BY c.relname`)
	if err != nil {
		return fmt.Errorf("list the tables of schema %s: %w", schema.String, err)
	}
	switch {
	case slices.Contains(tables, "audit_entries"):
		return nil
	case readOnly:
		return andon.Errorf(andon.ENOTFOUND, "no andon database at %s: it has no audit_entries table in the current schema", RedactDSN(dsn))
	case len(tables) > 0:
		shown := tables[:min(len(tables), 5)]
		more := ""
		if len(tables) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(tables)-len(shown))
		}
		return andon.Errorf(andon.EINVALID, "%s is not an andon database: it has no andon tables, and its schema %s holds another program's (%s%s): give andon a database or a schema of its own",
			RedactDSN(dsn), schema.String, strings.Join(shown, ", "), more)
	}
	return nil
}

// connectProblem says why a connection failed: the server's refusal or
// the network's, of the last attempt, where pgx lists every attempt
// (sslmode=prefer makes two, with and without TLS), often with the same
// cause. The last is the one the settings meant to succeed.
func connectProblem(err error) string {
	var last error
	var walk func(error)
	walk = func(e error) {
		switch u := e.(type) {
		case *pgconn.PgError, net.Error:
			last = e
		case interface{ Unwrap() []error }:
			for _, c := range u.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			if c := u.Unwrap(); c != nil {
				walk(c)
			}
		}
	}
	walk(err)
	if last == nil {
		return err.Error()
	}
	return last.Error()
}

// rebinds caches rebound queries: the store's queries are a small fixed set.
var rebinds sync.Map

// rebindDollar turns the "?" placeholders of q into $1, $2, …. The store's
// SQL has no "?" inside literals, and none of PostgreSQL's "?" operators.
func rebindDollar(q string) string {
	if v, ok := rebinds.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	out := b.String()
	rebinds.Store(q, out)
	return out
}

// RedactDSN hides the password of a database URL, in the user information
// or in a password parameter, wherever it appears in s (a URL or a message
// that quotes one), for logs and errors.
func RedactDSN(s string) string {
	fields := strings.Fields(s)
	for i, f := range fields {
		j := strings.Index(f, "://")
		if j < 0 {
			continue
		}
		u, err := url.Parse(strings.Trim(f, `"'(),`))
		if err != nil {
			fields[i] = f[:j+3] + "***"
			continue
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		fields[i] = strings.Replace(f, strings.Trim(f, `"'(),`), u.Redacted(), 1)
	}
	return strings.Join(fields, " ")
}
