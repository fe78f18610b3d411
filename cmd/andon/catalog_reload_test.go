package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/client"
	"github.com/google/go-cmp/cmp"
)

// mustGit runs git in dir and returns its output.
func mustGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// mustCopyDir copies the files of src into dst.
func mustCopyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// mustCatalogRepo makes a git repository whose one commit holds the
// example catalog in catalog/.
func mustCatalogRepo(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	mustCopyDir(t, exampleCatalog, filepath.Join(repo, "catalog"))
	mustGit(t, repo, "init", "-q", "-b", "main")
	mustGit(t, repo, "add", ".")
	mustGit(t, repo, "commit", "-q", "-m", "catalog")
	return repo
}

// TestCatalogFromGit serves the catalog from a real git repository and
// commits to it while the server runs: a valid commit is put in force and
// recorded with its hash, an invalid one is refused with its problems
// logged, and the version in force stays.
func TestCatalogFromGit(t *testing.T) {
	repo := mustCatalogRepo(t)
	first := mustGit(t, repo, "rev-parse", "HEAD")

	data := t.TempDir()
	token := strings.TrimSpace(runCLI(t, nil, "token", "create", "--data", data, "--user", "gus").stdout)
	ctx := context.Background()
	addr, logs, stop := mustServeGit(t, data, repo)
	defer stop()
	c := client.New("http://"+addr, token)
	cat, err := c.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	started := cat.Revision

	// loaded returns the commits of the catalog.loaded entries so far.
	loaded := func() []string {
		entries, err := c.Entries(ctx, andon.AuditFilter{Type: andon.EventCatalogLoaded, After: -1})
		if err != nil {
			t.Fatal(err)
		}
		var commits []string
		for _, e := range entries {
			var d struct{ Commit string }
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			commits = append(commits, d.Commit)
		}
		return commits
	}
	if got := loaded(); len(got) != 1 || got[0] != first {
		t.Fatalf("catalog.loaded commits at start = %v, want [%s]", got, first)
	}

	plants := filepath.Join(repo, "catalog", "plants.yaml")
	b, err := os.ReadFile(plants)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plants, append(b, []byte("\n# reviewed by the plant manager\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	mustGit(t, repo, "commit", "-q", "-am", "review")
	second := mustGit(t, repo, "rev-parse", "HEAD")
	waitFor(t, 15*time.Second, func() bool { got := loaded(); return len(got) == 2 && got[1] == second }, logs)
	// The version is recorded, then put in force: wait for the catalog
	// the API serves to follow the record.
	var inForce string
	waitFor(t, 15*time.Second, func() bool {
		cat, err := c.Catalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		inForce = cat.Revision
		return inForce != started
	}, logs)

	if err := os.WriteFile(plants, append(b, []byte("\nkind: Plant\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if m := mustGet(t, "http://"+addr+"/metrics"); !strings.Contains(m, "\nandon_catalog_last_read_successful 1\n") ||
		!strings.Contains(m, `andon_catalog_info{revision="`+inForce+`"} 1`) {
		t.Errorf("metrics before an invalid commit:\n%s", grepLines(m, "andon_catalog"))
	}
	mustGit(t, repo, "commit", "-q", "-am", "broken")
	waitFor(t, 15*time.Second, func() bool { return strings.Contains(logs.String(), "catalog refused") }, logs)
	// Which an alert sees, as the log says it.
	if m := mustGet(t, "http://"+addr+"/metrics"); !strings.Contains(m, "\nandon_catalog_last_read_successful 0\n") ||
		!strings.Contains(m, `andon_catalog_info{revision="`+inForce+`"} 1`) {
		t.Errorf("metrics after an invalid commit:\n%s", grepLines(m, "andon_catalog"))
	}
	if !strings.Contains(logs.String(), "plants.yaml") {
		t.Errorf("the refusal does not name the file; logs:\n%s", logs.String())
	}
	time.Sleep(300 * time.Millisecond) // a few more intervals
	if got := loaded(); len(got) != 2 {
		t.Errorf("catalog.loaded commits after an invalid commit = %v, want still 2", got)
	}
	if cat, err := c.Catalog(ctx); err != nil || cat.Revision != inForce {
		t.Errorf("catalog in force after an invalid commit = %v, %v; want %s", cat.Revision, err, inForce)
	}
	if n := strings.Count(logs.String(), "level=ERROR msg=\"catalog refused"); n != 1 {
		t.Errorf("the refusal was logged %d times at error level, want once", n)
	}

	// With the repository gone, a restarted server starts with the version
	// in force, as a new replica must while the git server is down.
	stop()
	if err := os.RemoveAll(repo); err != nil {
		t.Fatal(err)
	}
	addr, logs, stop = mustServeGit(t, data, repo)
	defer stop()
	if !strings.Contains(logs.String(), "starting with the version in force") {
		t.Errorf("restart without the repository did not say it starts with the version in force; logs:\n%s", logs.String())
	}
	c = client.New("http://"+addr, token)
	if cat, err := c.Catalog(ctx); err != nil || cat.Revision != inForce {
		t.Errorf("catalog after a restart without its repository = %v, %v; want %s", cat.Revision, err, inForce)
	}
}

// mustServeGit starts andon serve with its catalog in the git repository
// repo, and returns its address, its logs and how to stop it.
func mustServeGit(t *testing.T, data, repo string) (string, *syncBuffer, func()) {
	t.Helper()
	url, logs, stop := startServe(t, "--data", data,
		"--catalog-git", "file://"+repo, "--catalog-git-ref", "main", "--catalog-git-path", "catalog",
		"--catalog-interval", "100ms", "--catalog-follow-interval", "100ms")
	return strings.TrimPrefix(url, "http://"), logs, func() { stop() }
}

func waitFor(t *testing.T, d time.Duration, ok func() bool, logs *syncBuffer) {
	t.Helper()
	for deadline := time.Now().Add(d); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out; logs:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCatalogEmptiedInGit: a commit that empties every file of the catalog
// would take every environment and team out of force; it is refused like
// any invalid catalog, and the version in force stays.
func TestCatalogEmptiedInGit(t *testing.T) {
	repo := mustCatalogRepo(t)

	data := t.TempDir()
	token := strings.TrimSpace(runCLI(t, nil, "token", "create", "--data", data, "--user", "gus").stdout)
	addr, logs, stop := mustServeGit(t, data, repo)
	defer stop()
	c := client.New("http://"+addr, token)
	before, err := c.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	yamls, err := filepath.Glob(filepath.Join(repo, "catalog", "*.yaml"))
	if err != nil || len(yamls) == 0 {
		t.Fatalf("no YAML files in the example catalog: %v", err)
	}
	for _, p := range yamls {
		if err := os.WriteFile(p, []byte("---\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustGit(t, repo, "commit", "-q", "-am", "emptied")
	waitFor(t, 15*time.Second, func() bool { return strings.Contains(logs.String(), "catalog refused") }, logs)
	if !strings.Contains(logs.String(), "no catalog documents found") {
		t.Errorf("the refusal does not say the catalog has no documents; logs:\n%s", logs.String())
	}
	after, err := c.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if after.Revision != before.Revision || len(after.Environments) != len(before.Environments) || len(after.Teams) != len(before.Teams) {
		t.Errorf("catalog in force after an emptied commit: revision %s, %d environments, %d teams; want %s, %d, %d",
			after.Revision, len(after.Environments), len(after.Teams), before.Revision, len(before.Environments), len(before.Teams))
	}
}

// TestCatalogRefusedLogsEachProblem: a catalog with two problems is
// logged a record per problem, with its file, line, document and field,
// in either log format, rather than one record whose line breaks the log
// escapes.
func TestCatalogRefusedLogsEachProblem(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			mustCopyDir(t, exampleCatalog, dir)
			_, logs, _ := startServe(t, "--data", t.TempDir(), "--catalog", dir, "--catalog-interval", "100ms", "--log-format", format, "--log-level", "debug")
			plants := filepath.Join(dir, "plants.yaml")
			b, err := os.ReadFile(plants)
			if err != nil {
				t.Fatal(err)
			}
			broken := strings.Replace(strings.Replace(string(b), "criticality: critical ", "criticality: severe ", 1), "criticality: high ", "criticality: big ", 1)
			mustWriteFile(t, plants, broken)
			const refused = "catalog refused; the catalog in force stays"
			// Refused at the next read of the source, then again only at
			// debug level.
			waitFor(t, 15*time.Second, func() bool { return strings.Contains(logs.String(), refused) }, logs)
			waitFor(t, 5*time.Second, func() bool { return strings.Contains(logs.String(), "catalog still refused") }, logs)
			var got []map[string]any
			for _, r := range logRecords(t, format, logs.String()) {
				if r["msg"] == refused {
					delete(r, "time")
					got = append(got, r)
				}
			}
			record := func(line, plant, value string) map[string]any {
				return map[string]any{"level": "ERROR", "msg": refused, "source": "dir " + dir, "file": "plants.yaml", "line": line,
					"document": "Plant/" + plant, "field": "spec.criticality", "err": `"` + value + `" is not one of critical, high, medium, low`}
			}
			want := []map[string]any{record("10", "lyon", "severe"), record("17", "geelong", "big")}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("records of the refusal (-want +got):\n%s\nlogs:\n%s", diff, logs.String())
			}
		})
	}
}

// TestCatalogRefusedAgain: a source that fails, recovers and fails again
// the same way (the git server down twice, a branch deleted twice) is
// logged in full each time, not only the first: the leader reads the
// version in force in between, which ends the first refusal.
func TestCatalogRefusedAgain(t *testing.T) {
	repo := mustCatalogRepo(t)
	// git renames a branch by deleting the old ref before writing the new
	// one: with main the only ref, a read in between finds a repository
	// with no refs at all, a refusal of another kind. A tag keeps one ref
	// there throughout, so every read of the renamed branch finds main
	// missing, as a deleted branch is.
	mustGit(t, repo, "tag", "kept")
	_, logs, stop := mustServeGit(t, t.TempDir(), repo)
	defer stop()

	refused := func() int { return strings.Count(logs.String(), `level=ERROR msg="catalog refused`) }
	for i := 1; i <= 2; i++ {
		mustGit(t, repo, "branch", "-m", "main", "gone")
		waitFor(t, 15*time.Second, func() bool { return refused() == i }, logs)
		if !strings.Contains(logs.String(), `ref \"main\" not found`) {
			t.Fatalf("the refusal does not say the ref is gone; logs:\n%s", logs.String())
		}
		mustGit(t, repo, "branch", "-m", "gone", "main")
		waitFor(t, 15*time.Second, func() bool {
			return strings.Count(logs.String(), `msg="catalog source read again"`) == i
		}, logs)
	}
}

// grepLines returns the lines of text that contain s.
func grepLines(text, s string) string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// TestPolicyReloadOnSIGHUP runs andon serve as its own process with a
// policy directory, breaks the policy and sends SIGHUP: the reload fails,
// the policy in force stays and decides, the log says why, a record per
// problem with its file and line in either log format, and the metric an
// alert watches says so until a reload succeeds.
func TestPolicyReloadOnSIGHUP(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) { testPolicyReload(t, format) })
	}
}

func testPolicyReload(t *testing.T, format string) {
	dir := t.TempDir()
	gate := filepath.Join(dir, "gate.rego")
	// The embedded gate, with its message reworded: which one decides shows.
	const good = "package andon.gate\n\ndefault allow := false\n\nreasons := [{\"code\": \"CLOSED\", \"message\": \"closed by the plant's own policy\"}]\n"
	if err := os.WriteFile(gate, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	p := mustStartServer(t, "andon", "--data", data, "--policy", dir, "--log-format", format)
	addr, logs := strings.TrimPrefix(p.url, "http://"), p.logs
	// reload sends SIGHUP and waits for that many more records saying
	// want: a failed reload logs one record for each problem, one after
	// the other, and the log must not be read after the first only.
	reload := func(want string, records int) {
		t.Helper()
		before := strings.Count(logs.String(), want)
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 15*time.Second, func() bool { return strings.Count(logs.String(), want) >= before+records }, logs)
	}
	metric := func() string { return metricLine(t, p.url, "andon_policy_last_reload_successful") }
	if got := metric(); got != "andon_policy_last_reload_successful 1" {
		t.Errorf("at start: %q", got)
	}

	roles := filepath.Join(dir, "lib", "roles.rego")
	mustWriteFile(t, gate, "package andon.gate\n\nallow if {\n")
	mustWriteFile(t, roles, "package acme.roles\n\nadmin := := \"platform-admin\"\n")
	const refused = "policy reload failed; the policy in force stays"
	reload(refused, 2)
	// OPA's problems span lines, which a record would hold escaped: each
	// is a record of its own, the line of source without its caret.
	var got []map[string]any
	for _, r := range logRecords(t, format, logs.String()) {
		if r["msg"] == refused {
			delete(r, "time")
			got = append(got, r)
		}
	}
	want := []map[string]any{{
		"level": "ERROR", "msg": refused, "file": gate, "line": "4",
		"err": "rego_parse_error: unexpected eof token", "detail": "allow if {",
	}, {
		"level": "ERROR", "msg": refused, "file": roles, "line": "3", "column": "10",
		"err": "rego_parse_error: unexpected assign token: expected rule value term (e.g., admin := <VALUE> { ... })", "detail": `admin := := "platform-admin"`,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records of the failed reload (-want +got):\n%s\nlogs:\n%s", diff, logs.String())
	}
	if got := metric(); got != "andon_policy_last_reload_successful 0" {
		t.Errorf("after a failed reload: %q", got)
	}
	token := runCLI(t, nil, "token", "create", "--data", data, "--user", "alice")
	res := runCLI(t, map[string]string{"ANDON_SERVER": "http://" + addr, "ANDON_TOKEN": strings.TrimSpace(token.stdout)},
		"gate", "--env", "dev", "--image", imageRelease)
	wantExit(t, res, 1, "closed by the plant's own policy")

	mustWriteFile(t, gate, good)
	if err := os.Remove(roles); err != nil {
		t.Fatal(err)
	}
	reload("policy reloaded", 1)
	if got := metric(); got != "andon_policy_last_reload_successful 1" {
		t.Errorf("after a reload that succeeded: %q", got)
	}
}

// logRecords reads the records of a log in format, text or json, as maps
// of their attributes; a number is kept as its text, as the text format
// writes it.
func logRecords(t *testing.T, format, logs string) []map[string]any {
	t.Helper()
	var records []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(logs), "\n") {
		r := map[string]any{}
		if format == "json" {
			dec := json.NewDecoder(strings.NewReader(line))
			dec.UseNumber()
			if err := dec.Decode(&r); err != nil {
				t.Fatalf("not a JSON record: %v\n%s", err, line)
			}
			for k, v := range r {
				if n, ok := v.(json.Number); ok {
					r[k] = n.String()
				}
			}
		} else {
			for rest := line; rest != ""; {
				key, value, ok := strings.Cut(rest, "=")
				if !ok {
					t.Fatalf("not a text record: %q", line)
				}
				if strings.HasPrefix(value, `"`) {
					quoted, err := strconv.QuotedPrefix(value)
					if err != nil {
						t.Fatalf("not a text record: %v\n%s", err, line)
					}
					rest = strings.TrimPrefix(value[len(quoted):], " ")
					value, _ = strconv.Unquote(quoted)
				} else {
					value, rest, _ = strings.Cut(value, " ")
				}
				r[key] = value
			}
		}
		records = append(records, r)
	}
	return records
}

// metricLine returns the line of the gauge without labels name in the
// metrics of the server at url, or "".
func metricLine(t *testing.T, url, name string) string {
	t.Helper()
	for line := range strings.SplitSeq(mustGet(t, url+"/metrics"), "\n") {
		if strings.HasPrefix(line, name+" ") {
			return line
		}
	}
	return ""
}

// TestCatalogRefusedOnAFollower runs two replicas on one PostgreSQL
// database with the catalog in a directory: the catalog is broken and
// the replica that does not lead reads it on SIGHUP, which refuses it.
// Once the catalog is mended, the leader puts it in force and the other
// follows; neither reports a refusal then, as the alert on
// andon_catalog_last_read_successful would otherwise fire for ever: the
// follower never reads the source again to end its refusal.
func TestCatalogRefusedOnAFollower(t *testing.T) {
	data := t.TempDir()
	db := mustStore(t, "postgres", data)
	dir := t.TempDir()
	mustCopyDir(t, exampleCatalog, dir)
	args := []string{"--db", db, "--data", data, "--catalog", dir, "--catalog-interval", "100ms", "--catalog-follow-interval", "100ms"}
	leaderURL, leaderLogs, _ := startServe(t, args...)
	waitFor(t, 15*time.Second, func() bool { return strings.Contains(leaderLogs.String(), "leading background work") }, leaderLogs)
	follower := mustStartServer(t, "follower", args...)

	plants := filepath.Join(dir, "plants.yaml")
	b, err := os.ReadFile(plants)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plants, append(b, []byte("\nkind: Plant\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, func() bool { return strings.Contains(leaderLogs.String(), "catalog refused") }, leaderLogs)
	if err := follower.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, func() bool { return strings.Contains(follower.logs.String(), "catalog refused") }, follower.logs)

	if err := os.WriteFile(plants, append(b, []byte("\n# mended\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, func() bool { return strings.Contains(follower.logs.String(), "catalog put in force") }, follower.logs)
	// A catalog read from a directory has no commit to log.
	if lines := grepLines(leaderLogs.String()+follower.logs.String(), `commit=""`); lines != "" {
		t.Errorf("records with an empty commit:\n%s", lines)
	}
	for name, url := range map[string]string{"leader": leaderURL, "follower": follower.url} {
		if got := metricLine(t, url, "andon_catalog_last_read_successful"); got != "andon_catalog_last_read_successful 1" {
			t.Errorf("%s, once the catalog is mended and in force: %q", name, got)
		}
	}
}
