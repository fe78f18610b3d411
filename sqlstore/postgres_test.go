package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
	"github.com/google/go-cmp/cmp"
)

func TestRedactDSN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://andon:s3cret@db:5432/andon?sslmode=require", "postgres://andon:xxxxx@db:5432/andon?sslmode=require"},
		{"postgres://db/andon?password=s3cret&user=andon", "postgres://db/andon?password=xxxxx&user=andon"},
		{"postgres://andon@db/andon", "postgres://andon@db/andon"},
		{"connect to postgres://u:p@h/d: refused", "connect to postgres://u:xxxxx@h/d: refused"},
		{"sqlite://data/andon.db", "sqlite://data/andon.db"},
	}
	for _, tt := range tests {
		if got := sqlstore.RedactDSN(tt.in); got != tt.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A refused connection is reported once, with the server's or the
// network's reason, where pgx lists each attempt that sslmode=prefer makes.
func TestPostgresConnectErrors(t *testing.T) {
	base := os.Getenv(sqlstoretest.EnvPostgres)
	if base == "" {
		t.Skipf("%s is not set", sqlstoretest.EnvPostgres)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	noRole := *u
	noRole.User = url.UserPassword("andon_no_such_role", "s3cret")
	noRole.RawQuery = "" // sslmode=prefer: two attempts
	closed := *u
	closed.Host = closedPort(t)
	closed.RawQuery = ""
	for dsn, want := range map[string]string{
		noRole.String(): `role "andon_no_such_role" does not exist`,
		closed.String(): "connection refused",
	} {
		_, err := sqlstore.Open(context.Background(), dsn)
		msg := andon.ErrorMessage(err)
		if !strings.HasPrefix(msg, "connect to PostgreSQL at ") || strings.Count(msg, want) != 1 || strings.Contains(msg, "s3cret") {
			t.Errorf("open %s: %q, want the reason %q once and no password", sqlstore.RedactDSN(dsn), msg, want)
		}
	}
}

// closedPort returns the address of a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// A schema holding another program's tables is refused, to write as to
// read, and left as it was: andon adds no table to it. A search path
// naming no schema that exists is named as such.
func TestOpenRefusesAnotherProgramsSchema(t *testing.T) {
	dsn := sqlstoretest.Postgres(t)
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TABLE orders (id INTEGER); CREATE TABLE invoices (id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	tables := func() []string {
		t.Helper()
		rows, err := raw.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		return names
	}
	for name, open := range map[string]func(context.Context, string) (*sqlstore.DB, error){"Open": sqlstore.Open, "OpenReadOnly": sqlstore.OpenReadOnly} {
		db, err := open(context.Background(), dsn)
		if err == nil {
			db.Close()
		}
		want := "is not an andon database: it has no andon tables, and its schema andon_test_"
		if name == "OpenReadOnly" {
			want = "no andon database at"
		}
		if msg := andon.ErrorMessage(err); !strings.Contains(msg, want) || (name == "Open" && !strings.Contains(msg, "(invoices, orders)")) {
			t.Errorf("%s: %v; want %q, naming the tables", name, err, want)
		}
	}
	if diff := cmp.Diff([]string{"invoices", "orders"}, tables()); diff != "" {
		t.Errorf("opening changed the schema's tables (-before +after):\n%s", diff)
	}

	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", "andon_no_such_schema")
	u.RawQuery = q.Encode()
	_, err = sqlstore.Open(context.Background(), u.String())
	if msg := andon.ErrorMessage(err); andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(msg, "no schema of the search path exists") {
		t.Errorf("open with a search path naming no schema: %v; want it said", err)
	}
}

// A new database whose schema holds only the relations of an extension,
// such as the views of pg_stat_statements that a DBA installs in every
// database, is no other program's: andon opens it and migrates it.
func TestOpenBesideAnExtension(t *testing.T) {
	sqlstoretest.Postgres(t) // skips without PostgreSQL
	base := os.Getenv(sqlstoretest.EnvPostgres)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() }) // after the database is dropped
	// A database of its own: an extension is installed once per database.
	name := fmt.Sprintf("andon_ext_%d", time.Now().UnixNano())
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	dsn := u.String()
	ext, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close()
	if _, err := ext.Exec(`CREATE EXTENSION pg_stat_statements SCHEMA public`); err != nil {
		t.Skipf("pg_stat_statements cannot be installed: %v", err)
	}
	db, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open a database whose schema holds an extension's views: %v", err)
	}
	db.Close()
}

// A database that stops answering while the store serves: the gate
// denies and says why, Ping says the same (it is what /readyz shows), and
// both recover when the database is back. The role the store connects as
// loses its login and its sessions, which is what the store sees of a
// database gone away, without touching the server other tests share.
func TestPostgresGoneAndBack(t *testing.T) {
	dsn, gone := sqlstoretest.PostgresGoing(t)
	e := (&env{engine: "postgres", dir: t.TempDir(), dsn: dsn}).open(t, time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	ctx := context.Background()
	gate := func() (*andon.GateResult, error) {
		return e.gate.Decide(as("alice"), andon.GateRequest{Environment: "dev", Image: imageStaged})
	}
	if res, err := gate(); err != nil || !res.Allow {
		t.Fatalf("gate before: %+v, %v; want allowed", res, err)
	}

	gone(true)
	if err := e.db.Ping(ctx); andon.ErrorMessage(err) != "the database does not answer" {
		t.Errorf("ping while the database is gone: %v; want it said that the database does not answer", err)
	}
	res, err := gate()
	want := []andon.Reason{{Code: andon.ReasonInternal, Message: "the gate could not decide: the database does not answer; deployment refused"}}
	if err == nil || res == nil || res.Allow {
		t.Fatalf("gate while the database is gone: %+v, %v; want denied with an error", res, err)
	}
	if diff := cmp.Diff(want, res.Reasons); diff != "" {
		t.Errorf("gate while the database is gone: reasons (-want +got):\n%s", diff)
	}

	gone(false)
	if err := e.db.Ping(ctx); err != nil {
		t.Errorf("ping once the database is back: %v", err)
	}
	if res, err := gate(); err != nil || !res.Allow {
		t.Errorf("gate once the database is back: %+v, %v; want allowed", res, err)
	}
	if r := e.verify(t); !r.OK {
		t.Errorf("audit verify: %+v", r)
	}
}
