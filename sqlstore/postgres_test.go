package sqlstore_test

import (
	"context"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
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
