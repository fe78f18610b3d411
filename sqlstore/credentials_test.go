package sqlstore_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
)

// TestOpenRotating rotates the credentials of a store opened from a file
// that holds its URL, as a mounted Secret of CloudNativePG or Vault is
// rewritten, on the real PostgreSQL: once the file names a new role with
// its password, the connections opened from then on use it, those opened
// before are replaced within their lifetime, and writes go on after the
// old role's login is taken away, which the old URL alone could not
// survive. A file that cannot be read,
// or names another engine or database, keeps the last good credentials,
// and each problem is logged once however many connections are opened.
func TestOpenRotating(t *testing.T) {
	roles := sqlstoretest.PostgresRoles(t)
	exec, as := roles.Exec, roles.URL
	oldRole, newRole := roles.Old, roles.New
	dir := t.TempDir()
	file := filepath.Join(dir, "uri")
	write := func(dsn string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(dsn+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	reread := func() (string, error) {
		b, err := os.ReadFile(file)
		return strings.TrimSpace(string(b)), err
	}
	oldDSN := as(oldRole, "old-secret")
	write(oldDSN)
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	ctx := context.Background()
	// Connections live two seconds here, as they live
	// sqlstore.ConnLifetime in andon serve.
	db, err := sqlstore.OpenRotating(ctx, oldDSN, reread, 2*time.Second, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Signer, err = auditlog.LoadOrCreateKey(dir, "andon"); err != nil {
		t.Fatal(err)
	}
	tokens := sqlstore.NewTokenService(db)
	// A write, retried while the store finds out that the sessions it
	// held were ended, as a server's next requests would.
	mustWrite := func(what string) {
		t.Helper()
		var err error
		for range 50 {
			if _, err = tokens.CreateToken(ctx, "alice", time.Time{}); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("%s: %v", what, err)
	}
	sessionsOf := roles.Sessions
	endSessions := func(role string) { exec(roles.Ended(role)) }
	mustWrite("a write with the first credentials")

	// The Secret is rotated: a new role, whose password is changed as
	// well, and the old role's login taken away. Its sessions are not
	// ended: PostgreSQL does not end them, and the store replaces them
	// itself once they have lived their lifetime, while it writes on.
	exec(`ALTER ROLE ` + newRole + ` PASSWORD 'second-secret'`)
	write(as(newRole, "second-secret"))
	exec(`ALTER ROLE ` + oldRole + ` NOLOGIN`)
	for i := 0; sessionsOf(oldRole) != 0; i++ {
		if i == 50 {
			t.Fatalf("%d sessions of %s ten seconds after the rotation: the connections opened before it are kept", sessionsOf(oldRole), oldRole)
		}
		mustWrite("a write once the credentials are rotated")
		time.Sleep(200 * time.Millisecond)
	}
	mustWrite("a write once the credentials are rotated")
	if n := sessionsOf(newRole); n == 0 {
		t.Errorf("no session of %s after the rotation", newRole)
	}
	if !strings.Contains(logs.String(), `msg="the database URL read again has new credentials: new connections use them" user=`+newRole) {
		t.Errorf("logs: want the new credentials said once:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "second-secret") {
		t.Errorf("the logs hold the password:\n%s", logs.String())
	}
	// The old URL alone no longer opens the database.
	if old, err := sqlstore.Open(ctx, oldDSN); err == nil {
		old.Close()
		t.Error("the old URL still opens the database")
	}

	// A file that names another database, or that goes missing, keeps
	// the credentials that work; each problem is logged once, however
	// many connections are opened meanwhile.
	for _, tc := range []struct {
		name    string
		change  func()
		problem string
	}{
		{"another host", func() { write(strings.Replace(as(newRole, "second-secret"), "127.0.0.1", "localhost", 1)) }, "not test at 127.0.0.1:5432, which andon started with"},
		{"another engine", func() { write("sqlite:///tmp/andon.db") }, "another engine than PostgreSQL"},
		{"gone", func() { os.Remove(file) }, "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(logs.String())
			tc.change()
			for range 3 {
				endSessions(newRole)
				mustWrite("a write after " + tc.name)
			}
			if got := strings.Count(logs.String()[before:], tc.problem); got != 1 {
				t.Errorf("logs: %q %d times, want once:\n%s", tc.problem, got, logs.String()[before:])
			}
			if n := sessionsOf(newRole); n == 0 {
				t.Errorf("no session of %s: the last good credentials were not kept", newRole)
			}
		})
	}
}
