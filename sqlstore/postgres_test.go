package sqlstore_test

import (
	"context"
	"database/sql"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"

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
