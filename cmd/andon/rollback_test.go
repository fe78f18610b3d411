package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/google/go-cmp/cmp"
)

// TestRecordRollback restores an older andon.db into a data directory
// whose kept checkpoint is ahead of it, as a restore of the database
// alone does: andon serve refuses it, andon audit record-rollback records
// the rollback in the log, with the reason and the checkpoint lost, and
// then the server starts and a verification against the checkpoint saved
// before the restore names the entry instead of failing.
func TestRecordRollback(t *testing.T) {
	data := t.TempDir()
	wantExit(t, runCLI(t, nil, "token", "create", "--user", "alice", "--data", data), 0, "")
	path := sqlstore.DataPath(data)
	backup, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"gus", "fiona"} {
		wantExit(t, runCLI(t, nil, "token", "create", "--user", user, "--data", data), 0, "")
	}
	// The checkpoint an auditor saved, as the bare note.
	kept, err := os.ReadFile(sqlstore.LastSignedPath(path))
	if err != nil {
		t.Fatal(err)
	}
	late := filepath.Join(t.TempDir(), "late.note")
	if err := os.WriteFile(late, append(bytes.TrimRight(kept, "\n"), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}

	// The older database restored alone, beside the newer checkpoint.
	for _, f := range []string{path + "-wal", path + "-shm"} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, backup, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runWithin(t, 30*time.Second, "serve", "--addr", "127.0.0.1:0", "--data", data, "--catalog", exampleCatalog)
	wantExit(t, r, 1, "record it in the log with `andon audit record-rollback --data "+data+" --reason TEXT`")
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", data, "--checkpoint", late), 1, "the log was rolled back")

	wantExit(t, runCLI(t, nil, "audit", "record-rollback", "--data", data), 2, "missing --reason")
	wantExit(t, runCLI(t, nil, "audit", "record-rollback", "--data", data, "--reason", " "), 2, "--reason: empty")
	r = runCLI(t, nil, "audit", "record-rollback", "--data", data, "--reason", "CHG-9: disk lost, restored the 02:00 backup", "-o", "json")
	var rec struct {
		Entry int64 `json:"entry"`
		andon.RolledBack
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rec) != nil {
		t.Fatalf("record-rollback: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if rec.Entry != rec.Size || len(rec.Checkpoints) != 1 || rec.Checkpoints[0].Source != sqlstore.LastSignedPath(path) || rec.Checkpoints[0].Size <= rec.Size {
		t.Errorf("record-rollback recorded %+v; want the entry after the restored log, and the kept checkpoint, ahead of it", rec)
	}

	// Whoever holds the key can record a rollback: the verification
	// fails until a person accepts it by the entry's index.
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", data, "--checkpoint", late), 1,
		fmt.Sprintf("entry %d records that it was restored to an earlier point (CHG-9: disk lost, restored the 02:00 backup); check that against the incident or change record, and accept it with --accept-rollback %d", rec.Entry, rec.Entry))
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", data, "--checkpoint", late, "--accept-rollback", fmt.Sprint(rec.Entry+1)), 1, "--accept-rollback")
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", data, "--checkpoint", late, "--accept-rollback", fmt.Sprint(rec.Entry)), 0,
		"rolled back, accepted: the log no longer holds the saved checkpoint of "+count(rec.Checkpoints[0].Size, "entry"))
	r = runCLI(t, nil, "audit", "entries", "--data", data, "--type", andon.EventAuditRolledBack, "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, "CHG-9: disk lost") {
		t.Errorf("audit entries --type %s: exit %d\n%s%s", andon.EventAuditRolledBack, r.code, r.stdout, r.stderr)
	}
	_, _, stop := startServe(t, "--data", data, "--catalog", exampleCatalog)
	if code := stop(); code != 0 {
		t.Errorf("start once the rollback was recorded: exit %d", code)
	}
	wantExit(t, runCLI(t, nil, "audit", "record-rollback", "--data", data, "--reason", "again", "--checkpoint", late), 2, "or records its rollback already")
	wantExit(t, runCLI(t, nil, "audit", "record-rollback", "--data", data, "--reason", "again"), 2, "nothing to record")
}

// TestRecordRollbackUnmigrated refuses to record the rollback of a store
// that an older andon left, which opening it to write would migrate, and
// leaves it as it was; and one that a newer andon migrated.
func TestRecordRollbackUnmigrated(t *testing.T) {
	data := t.TempDir()
	wantExit(t, runCLI(t, nil, "token", "create", "--user", "alice", "--data", data), 0, "")
	for _, c := range []struct {
		name  string
		stmts []string
		want  string
	}{{
		"older",
		[]string{`DROP TABLE change_processes`, `DELETE FROM schema_migrations WHERE name = '0013_change_processes.sql'`},
		"andon: --data " + data + ": the restored store is not migrated to this andon " + andon.Version + " (it lacks 0013_change_processes.sql), and recording its rollback must not change its schema: record it with the andon that wrote the backup, or start andon serve of this version on it once",
	}, {
		"newer",
		[]string{`CREATE TABLE change_processes (x TEXT)`, `INSERT INTO schema_migrations (name) VALUES ('0013_change_processes.sql'), ('9999_later.sql')`},
		"the database was migrated by a newer andon (it records migration 9999_later.sql",
	}} {
		db := mustOpenSQLite(t, data)
		for _, stmt := range c.stmts {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		before := mustChecksums(t, data)
		wantExit(t, runCLI(t, nil, "audit", "record-rollback", "--data", data, "--reason", "CHG-9: restored the 02:00 backup"), 2, c.want)
		after := mustChecksums(t, data)
		// The lock it takes, empty, is the only file it may leave.
		delete(before, "andon.db-lock")
		delete(after, "andon.db-lock")
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("%s: a refused record-rollback changed the files (-before +after):\n%s", c.name, diff)
		}
	}
}
