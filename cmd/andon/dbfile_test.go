package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
)

// TestServeRereadsDBFile: andon serve --db-file on PostgreSQL reads the
// file again for each new connection, so that when a rotation rewrites it
// (a new role and password, the old role's login taken away and its
// sessions ended) the server writes on without a restart.
func TestServeRereadsDBFile(t *testing.T) {
	// Made before the server starts, the roles are dropped after it stops.
	roles := sqlstoretest.PostgresRoles(t)
	exec, as, ended := roles.Exec, roles.URL, roles.Ended
	oldRole, newRole := roles.Old, roles.New
	data := t.TempDir()
	file := filepath.Join(t.TempDir(), "uri")
	write := func(dsn string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(dsn+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(as(oldRole, "old-secret"))
	if r := runCLI(t, nil, "audit", "keygen", "--data", data); r.code != 0 {
		t.Fatalf("audit keygen: exit %d\n%s", r.code, r.stderr)
	}
	url, logs, _ := startServe(t, "--data", data, "--db-file", file, "--catalog", exampleCatalog)
	r := runCLI(t, nil, "token", "create", "--user", "alice", "--data", data, "--db-file", file)
	if r.code != 0 {
		t.Fatalf("token create: exit %d\n%s", r.code, r.stderr)
	}
	alice := map[string]string{"ANDON_SERVER": url, "ANDON_TOKEN": strings.TrimSpace(r.stdout)}
	// A write through the server: a feed token is stored, with its
	// audit entry.
	write1 := func() result { return runCLI(t, alice, "calendar", "feed-token", "-o", "json") }
	wantExit(t, write1(), 0, "")

	exec(`ALTER ROLE ` + newRole + ` PASSWORD 'second-secret'`)
	write(as(newRole, "second-secret"))
	exec(`ALTER ROLE `+oldRole+` NOLOGIN`, ended(oldRole))
	var last result
	for range 50 {
		if last = write1(); last.code == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if last.code != 0 {
		t.Fatalf("a write once the database URL's file was rotated: exit %d\n%s\nlogs:\n%s", last.code, last.stderr, logs.String())
	}
	if !strings.Contains(logs.String(), "the database URL read again has new credentials") || strings.Contains(logs.String(), "second-secret") {
		t.Errorf("logs: want the new credentials said, without the password:\n%s", logs.String())
	}
}
