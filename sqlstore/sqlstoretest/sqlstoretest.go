// Package sqlstoretest gives tests a fresh andon database on each engine:
// SQLite in a temporary directory always, and PostgreSQL when
// ANDON_TEST_POSTGRES names a database. Each PostgreSQL database is a
// schema of its own, dropped when the test ends, so tests run in parallel
// on one server without seeing each other.
//
// A test that asks for PostgreSQL skips when ANDON_TEST_POSTGRES is unset
// (a developer's laptop) and fails when it is set but the database cannot
// be reached, so that CI, which sets it, never passes by skipping.
package sqlstoretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/andon-governance/andon/sqlstore"
)

// EnvPostgres names the environment variable holding the PostgreSQL URL
// that tests may use, such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvPostgres = "ANDON_TEST_POSTGRES"

// Engines are the engines every store test runs against.
var Engines = []string{"sqlite", "postgres"}

// DSN returns the URL of a new, empty andon database on engine, kept in
// dir for SQLite.
func DSN(tb testing.TB, engine, dir string) string {
	tb.Helper()
	switch engine {
	case "sqlite":
		return "sqlite://" + sqlstore.DataPath(dir)
	case "postgres":
		return Postgres(tb)
	}
	tb.Fatalf("unknown engine %q", engine)
	return ""
}

// Postgres returns the URL of a new schema in the database of
// ANDON_TEST_POSTGRES, dropped at the end of the test.
func Postgres(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		tb.Skipf("%s is not set: skipping the PostgreSQL run", EnvPostgres)
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", EnvPostgres, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "andon_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("%s: %v", EnvPostgres, err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		tb.Fatalf("%s is set but PostgreSQL cannot be used: %v", EnvPostgres, err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// PostgresGoing returns the URL of a new schema, as Postgres does, on
// which a role of its own connects, and a function that takes the
// database away from that role (gone true) or gives it back: the role
// loses its login and its sessions, which is what a store sees of a
// database gone away, without touching the server other tests share.
func PostgresGoing(tb testing.TB) (dsn string, gone func(bool)) {
	tb.Helper()
	admin := Postgres(tb)
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	role := schema + "_role"
	exec := func(qs ...string) error {
		db, err := sql.Open("pgx", admin)
		if err != nil {
			return err
		}
		defer db.Close()
		for _, q := range qs {
			if _, err := db.Exec(q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	}
	if err := exec(`CREATE ROLE `+role+` LOGIN`, `GRANT ALL ON SCHEMA `+schema+` TO `+role); err != nil {
		tb.Fatal(err)
	}
	// Registered after the schema's own cleanup, it runs before it.
	tb.Cleanup(func() {
		if err := exec(`DROP OWNED BY ` + role + `; DROP ROLE ` + role); err != nil {
			tb.Errorf("drop role %s: %v", role, err)
		}
	})
	gone = func(gone bool) {
		tb.Helper()
		if !gone {
			if err := exec(`ALTER ROLE ` + role + ` LOGIN`); err != nil {
				tb.Fatal(err)
			}
			return
		}
		if err := exec(`ALTER ROLE `+role+` NOLOGIN`, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '`+role+`'`); err != nil {
			tb.Fatal(err)
		}
		db, err := sql.Open("pgx", admin)
		if err != nil {
			tb.Fatal(err)
		}
		defer db.Close()
		for i := 0; ; i++ {
			var n int
			if err := db.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE usename = '` + role + `'`).Scan(&n); err != nil {
				tb.Fatal(err)
			}
			if n == 0 {
				return
			} else if i == 100 {
				tb.Fatalf("%d sessions of %s still open", n, role)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	u.User = url.User(role)
	return u.String(), gone
}

// Roles are two roles that log in with a password to a new schema of
// their own, as a rotation of Vault's or of CloudNativePG's issues them:
// Old (password old-secret), which owns what andon makes there, and New
// (password first-secret), a member of Old. Both are dropped at the end
// of the test, their sessions ended first.
type Roles struct {
	Schema, Old, New string
	tb               testing.TB
	admin            *url.URL
	db               *sql.DB
}

// PostgresRoles returns the Roles of a new schema, as Postgres makes it.
func PostgresRoles(tb testing.TB) *Roles {
	tb.Helper()
	dsn := Postgres(tb)
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	r := &Roles{Schema: u.Query().Get("search_path"), tb: tb, admin: u, db: db}
	r.Old, r.New = r.Schema+"_old", r.Schema+"_new"
	r.Exec(`CREATE ROLE `+r.Old+` LOGIN PASSWORD 'old-secret'`, `CREATE ROLE `+r.New+` LOGIN PASSWORD 'first-secret'`,
		`GRANT ALL ON SCHEMA `+r.Schema+` TO `+r.Old, `GRANT `+r.Old+` TO `+r.New)
	// Registered after the schema's own cleanup, it runs before it.
	tb.Cleanup(func() {
		defer db.Close()
		for _, q := range []string{r.Ended(r.Old), r.Ended(r.New), `DROP OWNED BY ` + r.Old + `, ` + r.New, `DROP ROLE ` + r.New, `DROP ROLE ` + r.Old} {
			if _, err := db.Exec(q); err != nil {
				tb.Errorf("%s: %v", q, err)
			}
		}
	})
	return r
}

// Exec runs statements as the administrator of ANDON_TEST_POSTGRES.
func (r *Roles) Exec(qs ...string) {
	r.tb.Helper()
	for _, q := range qs {
		if _, err := r.db.Exec(q); err != nil {
			r.tb.Fatalf("%s: %v", q, err)
		}
	}
}

// URL returns the URL of the schema as role, with password.
func (r *Roles) URL(role, password string) string {
	u := *r.admin
	u.User = url.UserPassword(role, password)
	return u.String()
}

// Ended is the statement that ends the sessions of role.
func (r *Roles) Ended(role string) string {
	return `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '` + role + `'`
}

// Sessions counts the sessions of role.
func (r *Roles) Sessions(role string) int {
	r.tb.Helper()
	var n int
	if err := r.db.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE usename = $1`, role).Scan(&n); err != nil {
		r.tb.Fatal(err)
	}
	return n
}
