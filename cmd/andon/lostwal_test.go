package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/client"
	"github.com/andon-governance/andon/sqlstore"
	"golang.org/x/mod/sumdb/tlog"
)

// TestLostWriteAheadLogIsFound kills a server on SQLite, as a crash or
// the OOM killer would, and deletes the write-ahead log it left behind,
// as someone cleaning up after it might: the writes it acknowledged since
// SQLite's last checkpoint are gone, and the database that remains is
// whole and verifies on its own. The checkpoint andon signed last, kept
// beside the database, shows the loss: andon serve refuses to start on it
// and andon audit verify fails, both saying what was lost.
func TestLostWriteAheadLogIsFound(t *testing.T) {
	store := mustCrashStore(t, "sqlite")
	verify := func() auditlog.Report {
		t.Helper()
		r := runCLI(t, nil, "audit", "verify", "--data", store.data, "-o", "json")
		var rep auditlog.Report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("audit verify: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		return rep
	}
	// The tokens' writes, by processes that closed the database, are in
	// the database file.
	before := verify()
	if !before.OK || before.Entries == 0 {
		t.Fatalf("audit verify before the server ran: %+v", before)
	}

	p := mustStartServer(t, "server", store.flags()...)
	alice := client.New(p.url, store.tokens["alice"])
	ctx := context.Background()
	for i := range 3 {
		if _, err := alice.CreateChange(ctx, &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: fmt.Sprintf("acknowledged %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	signed, err := alice.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.kill(t)
	path := sqlstore.DataPath(store.data)
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("the killed server left no write-ahead log to lose: %v", err)
	}
	if err := os.Remove(path + "-wal"); err != nil {
		t.Fatal(err)
	}

	kept := sqlstore.LastSignedPath(path)
	want := fmt.Sprintf("the audit log of %s has %d entries, but the last checkpoint andon signed there (%s) covers %d: entries %d to %d are lost, with the writes they recorded. Its write-ahead log (andon.db-wal) was deleted or lost",
		path, before.Entries, kept, signed.Size, before.Entries, signed.Size-1)
	r := runWithin(t, 30*time.Second, "serve", "--addr", "127.0.0.1:0", "--data", store.data, "--catalog", exampleCatalog)
	wantExit(t, r, 1, "andon: "+want)
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", store.data), 1, "audit log FAILED verification: "+want)
	if rep := verify(); rep.OK || rep.FirstBad != before.Entries {
		t.Errorf("audit verify -o json: %+v; want not OK, first bad entry %d", rep, before.Entries)
	}

	// Moved away, as the message says, to go on with the log as it is.
	if err := os.Rename(kept, kept+".lost"); err != nil {
		t.Fatal(err)
	}
	_, _, stop := startServe(t, "--data", store.data, "--catalog", exampleCatalog)
	if code := stop(); code != 0 {
		t.Errorf("start once the checkpoint was moved away: exit %d", code)
	}
	if rep := verify(); !rep.OK {
		t.Errorf("audit verify once the checkpoint was moved away: %+v", rep)
	}
}

// TestWriteAheadLogLostOnFirstRun loses the write-ahead log of a server
// killed in its first run, before SQLite ever copied it into the
// database: the file left has no tables at all, which alone would read as
// another program's database.
func TestWriteAheadLogLostOnFirstRun(t *testing.T) {
	data := t.TempDir()
	p := mustStartServer(t, "server", "--data", data)
	p.kill(t)
	path := sqlstore.DataPath(data)
	if err := os.Remove(path + "-wal"); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("andon: %s has no andon tables, but the last checkpoint andon signed there is beside it (%s): everything written to it is lost. Its write-ahead log (andon.db-wal) was deleted or lost",
		path, sqlstore.LastSignedPath(path))
	wantExit(t, runWithin(t, 30*time.Second, "serve", "--addr", "127.0.0.1:0", "--data", data, "--catalog", exampleCatalog), 1, want)
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", data), 1, want)
}

// TestAlteredLastSignedFailsVerify alters the checkpoint andon keeps
// beside a SQLite database, as someone covering up a rollback might:
// edited, or replaced by one signed with a key of their own. andon audit
// verify, whose key opens the log's own checkpoint, fails on it (exit 1,
// in text and in JSON) as evidence of tampering, and does not tell the
// auditor to move the file away, as a server refusing to start does.
func TestAlteredLastSignedFailsVerify(t *testing.T) {
	data := t.TempDir()
	_, _, stop := startServe(t, "--data", data, "--catalog", exampleCatalog)
	if code := stop(); code != 0 {
		t.Fatalf("serve: exit %d", code)
	}
	kept := sqlstore.LastSignedPath(sqlstore.DataPath(data))
	note, err := os.ReadFile(kept)
	if err != nil {
		t.Fatal(err)
	}
	other, err := auditlog.LoadOrCreateKey(t.TempDir(), "andon")
	if err != nil {
		t.Fatal(err)
	}
	forged, err := other.Sign(1000, tlog.Hash{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, note, why string
	}{
		{"edited", strings.Replace(string(note), "\n", "\n1", 1), "the checkpoint signature does not verify with key andon+"},
		{"signed with another key", forged.Note, "the checkpoint is not signed by key andon+"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(kept, []byte(tt.note), 0o644); err != nil {
				t.Fatal(err)
			}
			want := kept + ", the last checkpoint andon signed beside the database, does not open with the key that verifies the log's checkpoint: " + tt.why
			r := runCLI(t, nil, "audit", "verify", "--data", data)
			wantExit(t, r, 1, "audit log FAILED verification: "+want)
			if strings.Contains(r.stdout+r.stderr, "move it away") {
				t.Errorf("audit verify tells the auditor to move the evidence away:\n%s%s", r.stdout, r.stderr)
			}
			r = runCLI(t, nil, "audit", "verify", "--data", data, "-o", "json")
			var rep auditlog.Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 1 || rep.OK || rep.FirstBad != -1 || !strings.HasPrefix(rep.Problem, want) {
				t.Errorf("audit verify -o json: exit %d, %+v, %v; want exit 1, not OK, first bad -1, problem %q\n%s", r.code, rep, err, want, r.stderr)
			}
			// A server still refuses to start on it, with its remedy.
			r = runWithin(t, 30*time.Second, "serve", "--addr", "127.0.0.1:0", "--data", data, "--catalog", exampleCatalog)
			wantExit(t, r, 2, "does not open: "+tt.why)
			wantExit(t, r, 2, "move it away to start without it")
		})
	}
}
