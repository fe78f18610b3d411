package main

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/sqlstore"
)

// mustChecksums returns the SHA-256 of every file under dir, by its path
// inside dir: a file added (a write-ahead log, its index) shows as well as
// one changed.
func mustChecksums(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		rel, _ := filepath.Rel(dir, path)
		sums[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

// mustCopyData copies the data directory src to a new directory.
func mustCopyData(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// auditState is what a read must leave as it was in a PostgreSQL store:
// the number of entries and the signed checkpoint.
func auditState(t *testing.T, s *liveServer) string {
	t.Helper()
	db := mustOpenRaw(t, s)
	defer db.Close()
	var n int
	var note []byte
	if err := db.QueryRow(`SELECT COUNT(*) FROM audit_entries`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT note FROM audit_checkpoint WHERE id = 1`).Scan(&note); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d entries, checkpoint %q", n, note)
}

// TestAuditOffline hands an auditor a stopped server's store: a copy of
// its data directory (SQLite), or its database (PostgreSQL). andon audit
// entries and export read it with --data/--db, with no server and no
// token, print what the server printed, byte for byte, and write nothing
// to it.
func TestAuditOffline(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := MustServeOn(t, engine, t.TempDir())
		for _, title := range []string{"first", "second", "third"} {
			mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "dev", "--type", "normal", "--title", title)
		}
		mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "dev", "--type", "normal", "--title", "Invoice layout", "--module", "account")
		queries := [][]string{
			{"audit", "entries"},
			{"audit", "entries", "--change", "CHG-2", "-o", "json"},
			{"audit", "entries", "--type", "change.created", "--after", "3", "--limit", "1", "-o", "yaml"},
			{"audit", "entries", "--since", "2000-01-01", "--actor", "alice"},
			{"audit", "export", "--change", "CHG-2"},
			{"audit", "export", "--limit", "2", "--after", "1"},
			{"audit", "export", "--type", "token.created", "--since", "2000-01-01T00:00:00+02:00"},
			{"audit", "entries", "--process", "finance"},
			{"audit", "export", "--process", "finance", "--since", "2000-01-01"},
		}
		online := map[string]result{}
		for _, q := range queries {
			r := s.as(t, "alice", q...)
			if r.code != 0 {
				t.Fatalf("andon %s: exit %d\n%s%s", strings.Join(q, " "), r.code, r.stdout, r.stderr)
			}
			online[strings.Join(q, " ")] = r
		}
		if code := s.stop(); code != 0 {
			t.Fatalf("server exit code %d", code)
		}

		// The auditor's copy, and their own copy of the verifier key.
		store := []string{"--data", mustCopyData(t, s.data)}
		key := filepath.Join(t.TempDir(), "audit.pub")
		if pub, err := os.ReadFile(auditlog.PubPath(s.data)); err != nil || os.WriteFile(key, pub, 0o644) != nil {
			t.Fatalf("copy audit.pub: %v", err)
		}
		if s.db != "" {
			store = append(store, "--db", s.db)
		}
		files := mustChecksums(t, store[1])
		var rows string
		if s.db != "" {
			rows = auditState(t, s)
		}

		for _, q := range queries {
			name := strings.Join(q, " ")
			args := append(append([]string{}, q...), store...)
			if q[1] == "export" {
				args = append(args, "--key", key)
			}
			r := runCLI(t, nil, args...)
			if r.code != 0 {
				t.Errorf("andon %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
				continue
			}
			if diff := cmp.Diff(online[name].stdout, r.stdout); diff != "" {
				t.Errorf("andon %s offline differs from the server's (-server +offline):\n%s", name, diff)
			}
			if diff := cmp.Diff(online[name].stderr, r.stderr); diff != "" {
				t.Errorf("andon %s offline: standard error differs from the server's (-server +offline):\n%s", name, diff)
			}
			if q[1] == "export" {
				file := filepath.Join(t.TempDir(), "evidence.json")
				if err := os.WriteFile(file, []byte(r.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				wantExit(t, runCLI(t, nil, "audit", "verify-export", file, "--key", key), 0, "evidence OK")
			}
		}

		// Nothing was written: not a byte of the copy, no file beside it,
		// no row of the database.
		if diff := cmp.Diff(files, mustChecksums(t, store[1])); diff != "" {
			t.Errorf("reading the copy changed its files (-before +after):\n%s", diff)
		}
		if s.db != "" {
			if after := auditState(t, s); after != rows {
				t.Errorf("reading the database changed its log: before %s, after %s", rows, after)
			}
		}

		// A store and a server are one too many; so are a store and a
		// token.
		wantExit(t, runCLI(t, nil, append([]string{"audit", "entries", "--server", "http://127.0.0.1:1"}, store...)...), 2,
			"--server and --data: give one")
		wantExit(t, runCLI(t, nil, append([]string{"audit", "export", "--token", "x"}, store...)...), 2,
			"--token and --data: give one")
		// Offline, the filters are checked as the server checks them.
		for _, bad := range []struct {
			args []string
			want string
		}{
			{[]string{"--type", "change.aproved"}, `--type: "change.aproved" is not an event type of the audit log`},
			{[]string{"--limit", "5000"}, "--limit: 5000 is not between 1 and 1000"},
			{[]string{"--after", "-2"}, "--after: -2 is not between -1 and"},
			{[]string{"--change", "CHG-99"}, "--change: no change CHG-99"},
			{[]string{"--process", ""}, "--process: required, a business process of the catalog"},
			// Looked up in the catalog in force in the store read.
			{[]string{"--process", "Finance"}, `--process Finance: no entry matches, and "Finance" is not in the catalog; did you mean finance?`},
			{[]string{"--change", ""}, "--change: empty, which would filter nothing and select the entries of every one"},
			{[]string{"--actor", " "}, "--actor: empty, which would filter nothing"},
		} {
			for _, cmd := range []string{"entries", "export"} {
				wantExit(t, runCLI(t, nil, append(append([]string{"audit", cmd}, store...), bad.args...)...), 2, bad.want)
			}
		}
		// The checkpoint of an export is checked with the key given.
		other := t.TempDir()
		wantExit(t, runCLI(t, nil, "audit", "keygen", "--data", other), 0, "")
		wantExit(t, runCLI(t, nil, append([]string{"audit", "export", "--key", auditlog.PubPath(other)}, store...)...), 2,
			"the stored checkpoint does not verify with "+auditlog.PubPath(other))

		// A tampered store is still listed as it is, and audit verify names
		// the entry, as before.
		db := mustOpenRaw(t, s)
		if s.db == "" {
			db = mustOpenSQLite(t, store[1])
		}
		var n int
		if err := db.QueryRow(`SELECT idx FROM audit_entries WHERE record LIKE '%"title":"second"%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(fmt.Sprintf(`UPDATE audit_entries SET record = REPLACE(record, 'second', 'altered') WHERE idx = %d`, n)); err != nil {
			t.Fatal(err)
		}
		db.Close()
		r := runCLI(t, nil, append([]string{"audit", "entries", "--change", "CHG-2", "-o", "json"}, store...)...)
		if r.code != 0 || !strings.Contains(r.stdout, `"title": "altered"`) {
			t.Errorf("entries of a tampered store: exit %d, want 0 listing the altered title\n%s%s", r.code, r.stdout, r.stderr)
		}
		wantExit(t, runCLI(t, nil, append([]string{"audit", "verify", "--key", key}, store...)...), 1, fmt.Sprintf("entry %d", n))
	})
}

// mustOpenSQLite opens the SQLite database of the data directory dir as
// plain database/sql, as someone with the file would.
func mustOpenSQLite(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+sqlstore.DataPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestAuditOfflineWriteAheadLog reads copies taken while the server ran,
// whose last writes are in the write-ahead log: with its index, and
// without it (a copy that left andon.db-shm out). Both list every entry
// and are left as they were.
func TestAuditOfflineWriteAheadLog(t *testing.T) {
	s := MustServe(t, t.TempDir())
	for _, title := range []string{"first", "second"} {
		mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "dev", "--type", "normal", "--title", title)
	}
	want := mustJSON[struct{ Entries []andon.Entry }](t, s, "alice", 0, "audit", "entries")
	withIndex := mustCopyData(t, s.data)
	withoutIndex := mustCopyData(t, s.data)
	if err := os.Remove(filepath.Join(withoutIndex, "andon.db-shm")); err != nil {
		t.Fatal(err)
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("server exit code %d", code)
	}
	for _, dir := range []string{withIndex, withoutIndex} {
		if _, err := os.Stat(sqlstore.DataPath(dir) + "-wal"); err != nil {
			t.Fatalf("the copy of a running server has no write-ahead log: %v", err)
		}
		before := mustChecksums(t, dir)
		r := runCLI(t, nil, "audit", "entries", "--data", dir, "-o", "json")
		var got struct{ Entries []andon.Entry }
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil {
			t.Fatalf("entries of %s: exit %d\n%s%s", dir, r.code, r.stdout, r.stderr)
		}
		if len(got.Entries) != len(want.Entries) {
			t.Errorf("entries of %s: %d entries, want the server's %d", dir, len(got.Entries), len(want.Entries))
		}
		if diff := cmp.Diff(before, mustChecksums(t, dir)); diff != "" {
			t.Errorf("reading %s changed its files (-before +after):\n%s", dir, diff)
		}
	}
}

// TestAuditOfflineUnmigrated refuses to read a store that andon serve of
// this version would migrate first, and leaves it unmigrated.
func TestAuditOfflineUnmigrated(t *testing.T) {
	s := MustServe(t, t.TempDir())
	if code := s.stop(); code != 0 {
		t.Fatalf("server exit code %d", code)
	}
	dir := mustCopyData(t, s.data)
	db := mustOpenSQLite(t, dir)
	// A store older than this andon only in what the audit log's readers
	// do not read is read.
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE name IN ('0007_token_expiry.sql', '0008_feed_token_parent.sql', '0009_audit_time.sql', '0010_token_read_only.sql')`); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"entries", "export"} {
		if r := runCLI(t, nil, "audit", cmd, "--data", dir); r.code != 0 {
			t.Errorf("audit %s of a store without the tokens' latest migrations: exit %d\n%s", cmd, r.code, r.stderr)
		}
	}
	// A store older than the index of the changes' processes is read, but
	// not by process: it has no such index to read.
	for _, stmt := range []string{`DROP TABLE change_processes`, `DELETE FROM schema_migrations WHERE name = '0013_change_processes.sql'`} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	for _, cmd := range []string{"entries", "export"} {
		if r := runCLI(t, nil, "audit", cmd, "--data", dir, "--since", "2000-01-01"); r.code != 0 {
			t.Errorf("audit %s of a store without the index of processes: exit %d\n%s", cmd, r.code, r.stderr)
		}
		wantExit(t, runCLI(t, nil, "audit", cmd, "--data", dir, "--process", "finance"), 2,
			"andon: --process: --data "+dir+": the store was left by an andon older than the index of the changes' processes (it lacks 0013_change_processes.sql), so its entries cannot be read by process; read them by change (--change)")
	}
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE name = '0004_audit_change.sql'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := mustChecksums(t, dir)
	for _, cmd := range []string{"entries", "export"} {
		wantExit(t, runCLI(t, nil, "audit", cmd, "--data", dir), 2,
			"--data "+dir+": the store is not migrated to this andon "+andon.Version+" yet (it lacks 0004_audit_change.sql)")
	}
	if diff := cmp.Diff(before, mustChecksums(t, dir)); diff != "" {
		t.Errorf("a refused read changed the files (-before +after):\n%s", diff)
	}
}

// TestProcessNotInCatalog looks --process up in the catalog, the server's
// or offline the one in force in the store read: audit entries, audit
// export and change list refuse a process it does not hold that selects
// nothing, a misspelt one most likely, rather than answer as for a process
// without any, and write nothing on standard output; they read a process
// the catalog no longer holds, with a note; and offline, a store that
// holds no catalog is read with a note that the process was not checked.
func TestProcessNotInCatalog(t *testing.T) {
	catalog := t.TempDir()
	mustCopyDir(t, exampleCatalog, catalog)
	processes := filepath.Join(catalog, "processes.yaml")
	b, err := os.ReadFile(processes)
	if err != nil {
		t.Fatal(err)
	}
	payroll := "\n---\napiVersion: andon/v1\nkind: BusinessProcess\nmetadata: {name: payroll}\nspec:\n  tier: high\n  rpo: 1h\n  rto: 4h\n  modules: [hr_payroll]\n  owners: [lyon-ops]\n"
	if err := os.WriteFile(processes, append(b, payroll...), 0o644); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	s := MustServe(t, data, "--catalog", catalog)
	payslip := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "dev", "--type", "normal", "--title", "Payslip layout", "--process", "payroll")
	if code := s.stop(); code != 0 {
		t.Fatalf("server exit code %d", code)
	}
	// The catalog in force no longer holds payroll.
	s = MustServe(t, data)

	const misspelt = `"Finance" is not in the catalog; did you mean finance?`
	const former = `note: --process: "payroll" is not in the catalog in force; what matches it is from when a catalog held it`
	for _, c := range []struct {
		args []string
		item string
	}{
		{[]string{"audit", "entries"}, "entry"},
		{[]string{"audit", "entries", "-o", "json"}, "entry"},
		{[]string{"audit", "export"}, "entry"},
		{[]string{"change", "list"}, "change"},
		{[]string{"change", "list", "-o", "json"}, "change"},
	} {
		name := strings.Join(c.args, " ")
		r := s.as(t, "alice", append(c.args, "--process", "Finance")...)
		wantExit(t, r, 2, "andon: --process Finance: no "+c.item+" matches, and "+misspelt+"\n")
		if r.stdout != "" {
			t.Errorf("%s --process Finance: standard output %q, want none", name, r.stdout)
		}
		r = s.as(t, "alice", append(c.args, "--process", "payroll")...)
		wantExit(t, r, 0, former)
		if !strings.Contains(r.stdout, payslip.ID) {
			t.Errorf("%s --process payroll: standard output %q, want what matches it", name, r.stdout)
		}
		if r := s.as(t, "alice", append(c.args, "--process", "finance")...); r.code != 0 || strings.Contains(r.stderr, "--process") {
			t.Errorf("%s --process finance: exit %d, standard error %q; want 0 and no word of the process", name, r.code, r.stderr)
		}
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("server exit code %d", code)
	}

	// Offline, the catalog in force in the store read.
	store := mustCopyData(t, data)
	for _, cmd := range []string{"entries", "export"} {
		r := runCLI(t, nil, "audit", cmd, "--data", store, "--process", "Finance")
		wantExit(t, r, 2, "andon: --process Finance: no entry matches, and "+misspelt+"\n")
		if r.stdout != "" {
			t.Errorf("audit %s --data --process Finance: standard output %q, want none", cmd, r.stdout)
		}
		wantExit(t, runCLI(t, nil, "audit", cmd, "--data", store, "--process", "payroll"), 0, former)
	}
	// A store no server published a catalog in has none to tell.
	bare := t.TempDir()
	wantExit(t, runCLI(t, nil, "token", "create", "--user", "alice", "--data", bare), 0, "")
	for _, cmd := range []string{"entries", "export"} {
		wantExit(t, runCLI(t, nil, "audit", cmd, "--data", bare, "--process", "Finance"), 0,
			`note: --process: the store read holds no catalog (no server published one there), so whether "Finance" is a business process was not checked`)
	}
}

// TestAuditByProcess lists and exports the audit entries of the changes of
// one business process, as an auditor of finance asks for them: those of
// the changes that named it or touched a module that implements it, and
// no others; and verify-export says what it could not check of such an
// export.
func TestAuditByProcess(t *testing.T) {
	s := MustServe(t, t.TempDir())
	invoices := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "dev", "--type", "normal",
		"--title", "Invoice layout", "--module", "account")
	mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "dev", "--type", "normal",
		"--title", "Work order screen", "--module", "mrp")
	closing := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "dev", "--type", "normal",
		"--title", "Closing checklist", "--process", "finance")

	listed := mustJSON[struct{ Entries []andon.Entry }](t, s, "alice", 0, "audit", "entries", "--process", "finance")
	var got []string
	for _, en := range listed.Entries {
		got = append(got, en.Type+" "+en.Subject)
	}
	if want := []string{"change.created " + invoices.ID, "change.created " + closing.ID}; !slices.Equal(got, want) {
		t.Errorf("audit entries --process finance: %q; want %q", got, want)
	}
	wantExit(t, s.as(t, "alice", "audit", "export", "--process", ""), 2,
		"andon: --process: required, a business process of the catalog (andon catalog show lists them)")

	r := s.as(t, "alice", "audit", "export", "--process", "finance")
	if r.code != 0 {
		t.Fatalf("audit export --process finance: exit %d\n%s", r.code, r.stderr)
	}
	file := filepath.Join(t.TempDir(), "finance.evidence.json")
	if err := os.WriteFile(file, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	// Not an export of every entry, whose entries left out would fail it.
	v := runCLI(t, nil, "audit", "verify-export", file, "--key", auditlog.PubPath(s.data))
	wantExit(t, v, 0, "evidence OK: 2 entries")
	for _, want := range []string{"filter: process \"finance\"\n", "note: process \"finance\" is not checked"} {
		if !strings.Contains(v.stdout, want) {
			t.Errorf("verify-export of an export of finance: want %q in:\n%s", want, v.stdout)
		}
	}
}
