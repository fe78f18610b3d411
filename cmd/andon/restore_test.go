package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
)

// TestAuditVerifySavedCheckpoints restores an older backup of a data
// directory over a newer log, as docs/operations.md describes: the
// restored log verifies on its own, and only the checkpoints an auditor
// saved before show that entries were lost, also once the log has grown
// past them again.
func TestAuditVerifySavedCheckpoints(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	s := MustServe(t, data)
	saveCheckpoint := func(url, name string) (string, andon.Checkpoint) {
		t.Helper()
		r := runCLI(t, map[string]string{"ANDON_SERVER": url, "ANDON_TOKEN": s.tokens["alice"]}, "audit", "checkpoint", "-o", "json")
		var cp andon.Checkpoint
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &cp) != nil {
			t.Fatalf("audit checkpoint: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		file := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(file, []byte(r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		return file, cp
	}
	early, _ := saveCheckpoint(s.url, "early.json")
	r := s.as(t, "alice", "audit", "proof", "3", "-o", "json")
	if r.code != 0 {
		t.Fatalf("audit proof: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	proof := filepath.Join(t.TempDir(), "proof.json")
	altered := filepath.Join(t.TempDir(), "altered.json")
	if err := os.WriteFile(proof, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(altered, []byte(strings.Replace(r.stdout, `"actor": "admin"`, `"actor": "andon"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("server exit code %d", code)
	}
	backup := filepath.Join(t.TempDir(), "backup")
	if err := os.CopyFS(backup, os.DirFS(data)); err != nil {
		t.Fatal(err)
	}

	// The log grows after the backup, and the auditor saves its
	// checkpoint again.
	for _, user := range []string{"gus", "fiona"} {
		wantExit(t, runCLI(t, nil, "token", "create", "--user", user, "--data", data), 0, "")
	}
	url, _, stop := startServe(t, "--data", data, "--catalog", exampleCatalog)
	late, lateCP := saveCheckpoint(url, "late.json")
	if code := stop(); code != 0 {
		t.Fatalf("server exit code %d", code)
	}
	verify := func(saved ...string) result {
		args := []string{"audit", "verify", "--data", data}
		for _, f := range saved {
			args = append(args, "--checkpoint", f)
		}
		return runCLI(t, nil, args...)
	}
	wantExit(t, verify(early, late), 0, "the log extends the 2 saved checkpoints given")
	// A saved proof gives its checkpoint, once the proof itself holds.
	wantExit(t, verify(proof), 0, "the log extends the 1 saved checkpoint given")
	wantExit(t, verify(altered), 2, "--checkpoint "+altered+": proof of entry 3: the leaf hash is not the hash of the record")

	// The older backup restored over it.
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(data, os.DirFS(backup)); err != nil {
		t.Fatal(err)
	}
	wantExit(t, verify(), 0, "audit log OK")
	wantExit(t, verify(early), 0, "the log extends the 1 saved checkpoint given")
	wantExit(t, verify(early, late), 1, "the log was rolled back")

	// Written again past the size of the checkpoint saved last: the
	// sizes no longer tell, the roots do.
	for _, user := range []string{"gus", "fiona", "erin", "dave", "carol"} {
		wantExit(t, runCLI(t, nil, "token", "create", "--user", user, "--data", data), 0, "")
	}
	r = verify()
	if r.code != 0 || !strings.Contains(r.stdout, "audit log OK") {
		t.Fatalf("verify after the restore: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	wantExit(t, verify(early, late), 1, fmt.Sprintf("the first %d entries are not those of the checkpoint saved earlier", lateCP.Size))

	// The bare note, as jq -r .note saves it, is read too.
	note := filepath.Join(t.TempDir(), "late.note")
	if err := os.WriteFile(note, []byte(lateCP.Note+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantExit(t, verify(note), 1, "are not those of the checkpoint saved earlier")

	// A file that is no checkpoint, or one another key signed, is bad
	// input: exit 2, naming the file.
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"size": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	wantExit(t, verify(bad), 2, "--checkpoint "+bad+": no \"note\" field")
	other := t.TempDir()
	wantExit(t, runCLI(t, nil, "audit", "keygen", "--data", other), 0, "audit.pub")
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", data, "--key", filepath.Join(other, "audit.pub"), "--checkpoint", late), 2, "--checkpoint "+late+": the checkpoint is not signed by key")
}

// TestAuditExport exports a change's history from a running server and
// checks it offline with the data directory's verifier key alone, as an
// auditor does: it holds, an altered copy fails naming the entry, and a
// proof of audit proof is checked alike.
func TestAuditExport(t *testing.T) {
	data := t.TempDir()
	s := MustServe(t, data)
	created := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "staging-lyon", "--type", "normal",
		"--title", "Label printer <fix> & more", "--image", imageRelease)
	wantExit(t, s.as(t, "alice", "gate", "--env", "staging-lyon", "--image", imageRelease), 0, "ALLOWED")
	mustJSON[andon.Change](t, s, "bob", 0, "change", "create", "--env", "dev", "--type", "normal", "--title", "another change")

	r := s.as(t, "frank", "audit", "export", "--change", created.ID)
	if r.code != 0 || !strings.Contains(r.stderr, "exported 3 entries") {
		t.Fatalf("audit export: exit %d\n%s", r.code, r.stderr)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "evidence.json")
	if err := os.WriteFile(file, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	key := auditlog.PubPath(data)
	// The whole log still holds the export's checkpoint.
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", data, "--checkpoint", file), 0, "the log extends the 1 saved checkpoint given")
	ok := runCLI(t, nil, "audit", "verify-export", file, "--key", key)
	if ok.code != 0 || !strings.Contains(ok.stdout, "evidence OK: 3 entries") || !strings.Contains(ok.stdout, "gate.decided") ||
		!strings.Contains(ok.stdout, "\nfilter: change \""+created.ID+"\"\n") {
		t.Errorf("verify-export: exit %d, want the entries and the filter they match\n%s%s", ok.code, ok.stdout, ok.stderr)
	}
	okJSON := runCLI(t, nil, "audit", "verify-export", file, "--key", key, "-o", "json")
	var verified struct {
		OK     bool              `json:"ok"`
		Filter andon.AuditFilter `json:"filter"`
	}
	if err := json.Unmarshal([]byte(okJSON.stdout), &verified); err != nil || !verified.OK || verified.Filter != (andon.AuditFilter{Change: created.ID, After: -1}) {
		t.Errorf("verify-export -o json: %v, %+v; want ok and the filter\n%s", err, verified, okJSON.stdout)
	}

	// A record altered (the change's title), and an honest export of
	// other entries whose filter was edited to claim them.
	altered := filepath.Join(dir, "altered.json")
	if err := os.WriteFile(altered, []byte(strings.Replace(r.stdout, `"Label printer`, `"Label printer (urgent)`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := runCLI(t, nil, "audit", "verify-export", altered, "--key", key, "-o", "json")
	var rep struct {
		OK      bool   `json:"ok"`
		Problem string `json:"problem"`
	}
	if err := json.Unmarshal([]byte(bad.stdout), &rep); err != nil || bad.code != 1 || rep.OK ||
		!strings.Contains(rep.Problem, "the leaf hash is not the hash of the record") {
		t.Errorf("verify-export of an altered export: exit %d, %+v\n%s%s", bad.code, rep, bad.stdout, bad.stderr)
	}
	other := s.as(t, "frank", "audit", "export", "--type", andon.EventChangeCreated)
	var mixed andon.Evidence
	if err := json.Unmarshal([]byte(other.stdout), &mixed); err != nil || len(mixed.Entries) != 2 {
		t.Fatalf("export of the creations: %v\n%s", err, other.stdout)
	}
	mixed.Filter.Type = andon.EventGateDecision
	b, _ := json.Marshal(mixed)
	wantExit(t, runCLIWithStdin(t, string(b), "audit", "verify-export", "-", "--key", key), 1,
		"does not match the export's filter: its type is change.created, not gate.decided")

	// An export of every entry after 0: one of them left out is named.
	all := s.as(t, "frank", "audit", "export", "--after", "0")
	var every andon.Evidence
	if err := json.Unmarshal([]byte(all.stdout), &every); err != nil || len(every.Entries) < 4 {
		t.Fatalf("export of every entry: %v\n%s", err, all.stdout)
	}
	wantExit(t, runCLIWithStdin(t, all.stdout, "audit", "verify-export", "-", "--key", key), 0, "evidence OK")
	every.Entries = slices.Delete(every.Entries, 1, 2)
	b, _ = json.Marshal(every)
	wantExit(t, runCLIWithStdin(t, string(b), "audit", "verify-export", "-", "--key", key), 1,
		"entry 2 is missing before entry 3: an export of every entry after 0 holds each of them")

	proof := s.as(t, "frank", "audit", "proof", "0", "-o", "json")
	wantExit(t, runCLIWithStdin(t, proof.stdout, "audit", "verify-export", "-", "--key", key), 0, "evidence OK: 1 entry")

	// A file that is an export and a proof at once, and a filter this
	// andon cannot apply, are not checked as if they were something else.
	var both map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &both); err != nil {
		t.Fatal(err)
	}
	var proofDoc map[string]any
	if err := json.Unmarshal([]byte(proof.stdout), &proofDoc); err != nil {
		t.Fatal(err)
	}
	for k, v := range proofDoc {
		if k != "checkpoint" {
			both[k] = v
		}
	}
	b, _ = json.Marshal(both)
	wantExit(t, runCLIWithStdin(t, string(b), "audit", "verify-export", "-", "--key", key), 2,
		"holds both an export's fields (entries, filter) and a proof's (index, record, leafHash, hashes)")
	unknown := strings.Replace(r.stdout, `"change":`, `"changes":`, 1)
	wantExit(t, runCLIWithStdin(t, unknown, "audit", "verify-export", "-", "--key", key), 2, `filter: json: unknown field "changes"`)

	// A period: the entries of the day the change was created, by date,
	// checked like any export. The day is the change's, not the clock's
	// now, which may have passed midnight since; no entry is a year later.
	day := created.CreatedAt.UTC()
	period := s.as(t, "frank", "audit", "export", "--since", day.Format(time.DateOnly), "--until", day.AddDate(0, 0, 1).Format(time.DateOnly))
	if period.code != 0 || !strings.Contains(period.stderr, "exported ") {
		t.Fatalf("audit export of %s: exit %d\n%s", day.Format(time.DateOnly), period.code, period.stderr)
	}
	wantExit(t, runCLIWithStdin(t, period.stdout, "audit", "verify-export", "-", "--key", key), 0, "evidence OK")
	later := day.AddDate(1, 0, 0).Format(time.DateOnly)
	wantExit(t, s.as(t, "frank", "audit", "entries", "--since", later), 0, "no entries")
	wantExit(t, s.as(t, "frank", "audit", "entries", "--since", "last week"), 2, `--since "last week": want an RFC 3339 time`)
	wantExit(t, s.as(t, "frank", "audit", "entries", "--since", "1900-01-01T00:00:00Z"), 2, "--since: 1900-01-01T00:00:00Z is outside the years andon reasons about")
	wantExit(t, s.as(t, "frank", "audit", "export", "--since", "1900-01-01"), 2, "--since: 1900-01-01T00:00:00Z is outside the years andon reasons about")
	for range 10 {
		wantExit(t, s.as(t, "frank", "audit", "entries", "--since", "soon", "--until", "later"), 2, `--since "soon": want an RFC 3339 time`)
	}
	wantExit(t, s.as(t, "frank", "audit", "entries", "--since", later, "--until", day.Format(time.DateOnly)), 2, "is not before --until")

	wantExit(t, s.as(t, "frank", "audit", "export", "--change", "CHG-999"), 2, "no change CHG-999")
	wantExit(t, runCLI(t, nil, "audit", "verify-export", file), 2, "--key: required")
	wantExit(t, runCLI(t, nil, "audit", "verify-export", filepath.Join(dir, "none.json"), "--key", key), 2, "none.json")
	wantExit(t, runCLIWithStdin(t, `{"changes": []}`, "audit", "verify-export", "-", "--key", key), 2, "not an export")
	wantExit(t, s.as(t, "frank", "audit", "export", "-o", "yaml"), 2, "an export is JSON")
}

// TestAuditExportFromTheBoard downloads a change's evidence from its page
// on the board, as an auditor who does not use the CLI does: the file is
// byte for byte what andon audit export --change writes, records
// escaped as they were hashed, and andon audit verify-export accepts it.
func TestAuditExportFromTheBoard(t *testing.T) {
	data := t.TempDir()
	s := MustServe(t, data)
	created := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "staging-lyon", "--type", "normal",
		"--title", "Label printer <fix> & more", "--description", "Prints \"labels\" — again", "--image", imageRelease)
	wantExit(t, s.as(t, "alice", "gate", "--env", "staging-lyon", "--image", imageRelease), 0, "ALLOWED")

	// Signed in on the board as frank, who may read the audit log.
	client, cookies := boardSession(t, s, "frank")
	req, err := http.NewRequest(http.MethodGet, s.url+"/changes/"+created.ID+"/evidence", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	downloaded, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("download the evidence: status %d, %v\n%.300s", res.StatusCode, err, downloaded)
	}
	if got, want := res.Header.Get("Content-Disposition"), `attachment; filename="`+created.ID+`.evidence.json"`; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}

	exported := s.as(t, "frank", "audit", "export", "--change", created.ID)
	if exported.code != 0 {
		t.Fatalf("audit export: exit %d\n%s", exported.code, exported.stderr)
	}
	if string(downloaded) != exported.stdout {
		t.Errorf("the evidence downloaded from the board is not what andon audit export writes:\nboard:\n%s\nCLI:\n%s", downloaded, exported.stdout)
	}
	file := filepath.Join(t.TempDir(), created.ID+".evidence.json")
	if err := os.WriteFile(file, downloaded, 0o600); err != nil {
		t.Fatal(err)
	}
	ok := runCLI(t, nil, "audit", "verify-export", file, "--key", auditlog.PubPath(data))
	if ok.code != 0 || !strings.Contains(ok.stdout, "evidence OK: 3 entries") || !strings.Contains(ok.stdout, "\nfilter: change \""+created.ID+"\"\n") {
		t.Errorf("verify-export of the downloaded evidence: exit %d\n%s%s", ok.code, ok.stdout, ok.stderr)
	}

	// The audit page's download is the export of its filter: the
	// changes of a business process in a period.
	mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "dev", "--type", "normal",
		"--title", "Closing checklist", "--process", "finance")
	req, err = http.NewRequest(http.MethodGet, s.url+"/audit/evidence?process=finance&since=2000-01-01&until=2100-01-01", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	downloaded, err = io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("download the evidence of finance: status %d, %v\n%.300s", res.StatusCode, err, downloaded)
	}
	exported = s.as(t, "frank", "audit", "export", "--process", "finance", "--since", "2000-01-01", "--until", "2100-01-01")
	if exported.code != 0 {
		t.Fatalf("audit export --process finance: exit %d\n%s", exported.code, exported.stderr)
	}
	if string(downloaded) != exported.stdout || !strings.Contains(exported.stdout, "Closing checklist") {
		t.Errorf("the evidence of finance downloaded from the audit page is not what andon audit export writes:\nboard:\n%s\nCLI:\n%s", downloaded, exported.stdout)
	}
}
