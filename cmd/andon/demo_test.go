package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/catalogsync"
	"github.com/andon-governance/andon/examples"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
	"github.com/google/go-cmp/cmp"
)

// TestDemoSeedsOnAnyDay seeds the demo history as if the demo started on
// days that stress the calendar: inside the month-end close, inside the
// year-end freeze, and on the days the clocks change in Lyon and Geelong.
func TestDemoSeedsOnAnyDay(t *testing.T) {
	days := []string{
		"2026-11-29T10:00:00Z", // month-end close
		"2026-12-25T10:00:00Z", // year-end freeze
		"2027-01-01T00:30:00Z",
		"2027-03-28T01:30:00Z", // Lyon springs forward
		"2027-04-04T16:30:00Z", // Geelong falls back
		"2027-10-03T16:30:00Z", // Geelong springs forward
	}
	for _, day := range days {
		t.Run(day, func(t *testing.T) {
			now, err := time.Parse(time.RFC3339, day)
			if err != nil {
				t.Fatal(err)
			}
			o := &serveOptions{data: t.TempDir(), catalog: "(built-in example)"}
			a, err := startApp(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), o, catalogsync.FS(examples.Catalog, "catalog", "built-in example catalog"))
			if err != nil {
				t.Fatal(err)
			}
			defer a.close()
			if err := a.seedDemo(context.Background(), now); err != nil {
				t.Fatalf("seed on %s: %v", day, err)
			}
			wantSeeded(t, a)
		})
	}
}

// TestDemoReplicasSeedOnce prepares two demo replicas on one PostgreSQL
// database at the same time: one seeds the history, the other finds it,
// and the demo tokens are made once, where both used to insert them and
// the second failed on a duplicate key.
func TestDemoReplicasSeedOnce(t *testing.T) {
	db := sqlstoretest.Postgres(t)
	data := t.TempDir()
	wantExit(t, runCLI(t, nil, "audit", "keygen", "--data", data), 0, "audit.pub")
	apps := make([]*app, 2)
	for i := range apps {
		o := &serveOptions{data: data, db: db, catalog: "(built-in example)"}
		a, err := startApp(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), o, catalogsync.FS(examples.Catalog, "catalog", "built-in example catalog"))
		if err != nil {
			t.Fatal(err)
		}
		defer a.close()
		apps[i] = a
	}
	now := time.Now()
	fresh := make([]bool, len(apps))
	errs := make([]error, len(apps))
	var wg sync.WaitGroup
	for i, a := range apps {
		wg.Go(func() { fresh[i], errs[i] = a.prepareDemo(context.Background(), now) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	if fresh[0] == fresh[1] {
		t.Errorf("fresh = %v, want one replica to seed", fresh)
	}
	wantSeeded(t, apps[1])
	// The banner says where the history went: the database, not the
	// directory of the signing key.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for i, a := range apps {
		var out strings.Builder
		a.printDemoBanner(&env{stdout: &out}, fresh[i], ln)
		if !strings.Contains(out.String(), "postgres://") || strings.Contains(out.String(), data) {
			t.Errorf("banner of replica %d names %s rather than the database:\n%s", i, data, out.String())
		}
	}
	// --reset would delete the signing key and leave the history: refused.
	wantExit(t, runCLI(t, nil, "demo", "--reset", "--db", db, "--data", data, "--addr", "127.0.0.1:0"), 2, "drop and create the database")
	if _, err := os.Stat(auditlog.KeyPath(data)); err != nil {
		t.Errorf("the refused --reset removed the signing key: %v", err)
	}
	for _, user := range apps[0].catalogs.Catalog().Users() {
		if _, err := apps[0].tokens.Authenticate(context.Background(), demoToken(user)); err != nil {
			t.Errorf("token of %s: %v", user, err)
		}
	}
}

// wantSeeded checks that a's store holds the demo's seeded history, once.
func wantSeeded(t *testing.T, a *app) {
	t.Helper()
	counts, err := a.db.CountByState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[andon.State]int{andon.StateCompleted: 5, andon.StatePending: 2, andon.StateRejected: 1}
	for state, n := range want {
		if counts[state] != n {
			t.Errorf("%s changes = %d, want %d (all: %v)", state, counts[state], n, counts)
		}
	}
	// The label printer outage in Geelong was an incident, opened and
	// resolved: none is left open to stop the README's walkthrough.
	incidents, err := a.incidents.FindIncidents(context.Background(), andon.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(incidents) != 1 || incidents[0].ID != "INC-1" || incidents[0].State != andon.IncidentResolved ||
		incidents[0].OpenedBy != "gus" || incidents[0].ResolvedBy != "bob" || !incidents[0].Scope.Affects(a.catalogs.Catalog().Environment("prod-geelong")) {
		var got []string
		for _, inc := range incidents {
			got = append(got, fmt.Sprintf("%s %s by %s, %s by %s", inc.ID, inc.Scope, inc.OpenedBy, inc.State, inc.ResolvedBy))
		}
		t.Errorf("seeded incidents %q, want INC-1 of the Geelong plant opened by gus and resolved by bob", got)
	}
}

// TestDemoCommand runs andon demo as a newcomer would and looks at what it
// serves.
func TestDemoCommand(t *testing.T) {
	addr := closedServer(t)
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"andon", "demo", "--addr", addr[len("http://"):], "--data", data}, func(string) string { return "" }, nil, out, io.Discard)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("demo exit code %d", code)
		}
	}()
	env := map[string]string{"ANDON_SERVER": addr, "ANDON_TOKEN": "demo-frank"}
	deadline := time.Now().Add(30 * time.Second)
	for runCLI(t, env, "whoami").code != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("demo not serving after 30s; output:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	list := runCLI(t, env, "change", "list", "-o", "json")
	if list.code != 0 || !containsAll(list.stdout, `"total": 10`, "CHG-10") {
		t.Errorf("change list: exit %d\n%s", list.code, list.stdout)
	}
	if r := runCLI(t, env, "incident", "list"); r.code != 0 || !containsAll(r.stdout, "INC-1  resolved  critical  plants geelong", "gus", "Shipping labels fail to print") {
		t.Errorf("incident list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, env, "audit", "entries", "--subject", "INC-1"); r.code != 0 || !containsAll(r.stdout, "incident.opened    gus", "incident.resolved  bob") {
		t.Errorf("audit entries --subject INC-1: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if f := runCLI(t, env, "findings"); f.code != 0 || !containsAll(f.stdout, "REVIEW_OVERDUE", "CHG-5") {
		t.Errorf("findings: exit %d\n%s", f.code, f.stdout)
	}
	// Lyon's production has its backup and a restore test within its RTO;
	// Geelong's has neither.
	if r := runCLI(t, env, "backup", "status", "-o", "json"); r.code != 0 {
		t.Errorf("backup status: exit %d\n%s", r.code, r.stderr)
	} else {
		var status andon.RecoveryStatus
		if err := json.Unmarshal([]byte(r.stdout), &status); err != nil {
			t.Fatal(err)
		}
		met := map[string]bool{}
		for _, p := range status.Environments {
			met[p.Environment] = p.BackupFresh && p.WithinRTO != nil && *p.WithinRTO && p.RestoreTestRecent
		}
		if !met["prod-lyon"] || met["prod-geelong"] {
			t.Errorf("backup status: recovery posture met %v; want prod-lyon's alone\n%s", met, r.stdout)
		}
	}
	// The month's report has something in each measure: a rollback, a
	// failure and its fix, an emergency deployment and an incident.
	var dora andon.DORAReport
	if r := runCLI(t, env, "report", "dora", "-o", "json"); r.code != 0 || json.Unmarshal([]byte(r.stdout), &dora) != nil {
		t.Errorf("report dora: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if tot := dora.Total; tot.Deployments != 7 || tot.EmergencyDeployments != 1 || tot.Completed != 5 || tot.Failed != 1 || tot.RolledBack != 1 ||
		tot.Restore.Count != 2 || tot.LeadTime.Count != 7 || dora.Incidents.Resolved != 1 {
		t.Errorf("report dora of the demo: %+v, incidents %+v; want 7 deployments, 1 an emergency, 5 completed, 1 failed and restored, 1 rolled back, 1 incident resolved", tot, dora.Incidents)
	}
	if !containsAll(out.String(), "export ANDON_TOKEN=demo-alice", "seeded history") {
		t.Errorf("banner lacks the demo tokens:\n%s", out.String())
	}

	// The wall screen's token reads and never writes.
	if !containsAll(out.String(), "export ANDON_TOKEN=demo-wall", "read-only: the board on a wall screen", "/?kiosk=1") {
		t.Errorf("banner lacks the wall screen's token:\n%s", out.String())
	}
	wall := map[string]string{"ANDON_SERVER": addr, "ANDON_TOKEN": "demo-wall"}
	if r := runCLI(t, wall, "whoami", "-o", "json"); r.code != 0 || !containsAll(r.stdout, `"name": "wall"`, `"readOnly": true`) {
		t.Errorf("whoami as the wall screen: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, wall, "change", "list"); r.code != 0 {
		t.Errorf("change list as the wall screen: exit %d\n%s", r.code, r.stderr)
	}
	wantExit(t, runCLI(t, wall, "change", "create", "--env", "dev", "--type", "normal", "--title", "from the wall"), 1, "read-only")
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// A port alone, as --addr 8085, is named with the form it misses.
func TestAddressWithoutColon(t *testing.T) {
	wantExit(t, runCLI(t, nil, "demo", "--data", t.TempDir(), "--addr", "8085"), 2,
		"listen on 8085 (--addr): give a host and a port, or a port after a colon for every interface, such as :8085")
}

// An address in use fails the demo at once, before it seeds or announces
// anything, and says which flag chooses another.
func TestDemoAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	data := t.TempDir()
	r := runCLI(t, nil, "demo", "--data", data, "--addr", ln.Addr().String())
	wantExit(t, r, 2, "is in use, perhaps by another andon: stop it, or choose another address with --addr")
	if r.stdout != "" {
		t.Errorf("the demo announced itself on a port it could not open:\n%s", r.stdout)
	}
	if _, err := os.Stat(sqlstore.DataPath(data)); err == nil {
		t.Errorf("the demo seeded %s before finding its port in use", sqlstore.DataPath(data))
	}
	// Nor does --reset delete the data of the demo that holds the port.
	if err := os.WriteFile(sqlstore.DataPath(data), []byte("a running demo's"), 0o600); err != nil {
		t.Fatal(err)
	}
	wantExit(t, runCLI(t, nil, "demo", "--reset", "--data", data, "--addr", ln.Addr().String()), 2, "is in use")
	if _, err := os.Stat(sqlstore.DataPath(data)); err != nil {
		t.Errorf("demo --reset on a port in use deleted the data: %v", err)
	}
}

// One server process at a time uses a SQLite database: a second demo on
// the same data, on another port, is refused, and its --reset deletes
// nothing.
func TestDemoDataInUse(t *testing.T) {
	data := t.TempDir()
	startCommand(t, "andon", "demo", "--data", data, "--addr", "127.0.0.1:0")
	elsewhere := "sqlite://" + filepath.Join(t.TempDir(), "other.db")
	database := sqlstore.DataPath(data) + " is in use by another andon serve or demo"
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"demo", "--data", data, "--addr", "127.0.0.1:0"}, database},
		{[]string{"demo", "--reset", "--data", data, "--addr", "127.0.0.1:0"}, database},
		// The directory holds the running demo's signing key: another
		// --db does not help.
		{[]string{"demo", "--reset", "--data", data, "--db", elsewhere, "--addr", "127.0.0.1:0"},
			"the data directory " + data + ", with its audit signing key, is in use by another andon serve or demo (it holds " +
				sqlstore.DataPath(data) + "-lock): stop it first, or give this one another --data"},
		{[]string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--catalog", exampleCatalog}, database},
	} {
		wantExit(t, runCLI(t, nil, tt.args...), 2, tt.want)
	}
	for _, name := range []string{sqlstore.DataPath(data), auditlog.KeyPath(data)} {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("the running demo's %s is gone: %v", filepath.Base(name), err)
		}
	}
	// --reset deletes the directory, not a database elsewhere: refused.
	wantExit(t, runCLI(t, nil, "demo", "--reset", "--data", t.TempDir(), "--db", elsewhere, "--addr", "127.0.0.1:0"), 2,
		"but --db keeps the history elsewhere")
}

// demoCriticalRisk replaces andon.risk: every change is critical, so that a
// standard change in staging, which the embedded policy pre-approves, waits
// for approvals and the gate denies it.
const demoCriticalRisk = `package andon.risk

tier := "critical"

reasons := ["every change is critical at this plant"]

approvals := [{"role": "change-manager", "count": 1}, {"role": "platform-admin", "count": 1}]
`

// startDemo runs andon demo with args on port 0 and waits until it is
// ready. It returns the server's URL, the banner and the log, and stop,
// which ends the demo and returns its exit code.
func startDemo(t *testing.T, args ...string) (url string, banner, logs *syncBuffer, stop func() int) {
	t.Helper()
	banner = &syncBuffer{}
	url, logs, stop = startCommandTo(t, banner, append([]string{"andon", "demo", "--addr", "127.0.0.1:0"}, args...)...)
	return url, banner, logs, stop
}

// policyLoadedEntries returns the policy.loaded entries of the audit log
// in data, read offline.
func policyLoadedEntries(t *testing.T, data string) []map[string]any {
	t.Helper()
	r := runCLI(t, nil, "audit", "entries", "--data", data, "--type", andon.EventPolicyLoaded, "-o", "json")
	if r.code != 0 {
		t.Fatalf("audit entries: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var out struct{ Entries []andon.Entry }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("audit entries: %v\n%s", err, r.stdout)
	}
	var loaded []map[string]any
	for _, e := range out.Entries {
		var d map[string]any
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		loaded = append(loaded, d)
	}
	return loaded
}

// TestDemoPolicy runs andon demo with a policy that makes every change
// critical: the history is seeded under the embedded policy, where the
// seeded standard change in staging used to be denied by the gate and
// stop the demo, then the policy given decides, recorded as a reload is.
// A demo seeded before starts with the policy given at once.
func TestDemoPolicy(t *testing.T) {
	dir := t.TempDir()
	mustWriteFile(t, filepath.Join(dir, "risk.rego"), demoCriticalRisk)
	data := t.TempDir()
	url, banner, _, stop := startDemo(t, "--data", data, "--policy", dir)

	alice := map[string]string{"ANDON_SERVER": url, "ANDON_TOKEN": "demo-alice"}
	if list := runCLI(t, alice, "change", "list", "-o", "json"); list.code != 0 || !containsAll(list.stdout, `"total": 10`, "CHG-10") {
		t.Errorf("the seeded history: change list: exit %d\n%s%s", list.code, list.stdout, list.stderr)
	}
	r := runCLI(t, alice, "change", "create", "--env", "staging-lyon", "--type", "standard", "--title", "Label layout", "--image", imageUnseen, "-o", "json")
	if r.code != 0 {
		t.Fatalf("change create: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var c andon.Change
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
		t.Fatal(err)
	}
	if c.Risk.Tier != andon.LevelCritical || c.State != andon.StatePending {
		t.Errorf("a standard change in staging-lyon is %s and %s, want critical and pending under %s", c.Risk.Tier, c.State, dir)
	}
	if !containsAll(banner.String(), "seeded history into "+data, "policy in force: "+dir+" over the embedded default policy",
		"the seeded history was decided under the embedded default policy") {
		t.Errorf("the banner does not say which policy is in force:\n%s", banner.String())
	}
	if code := stop(); code != 0 {
		t.Fatalf("demo exit code %d", code)
	}

	// The embedded policy is recorded before the history it decided, the
	// policy given after it, as a reload.
	check := runCLI(t, nil, "policy", "check", "--timeout", "2m", "--policy", dir, "-o", "json")
	var rev struct{ Revision string }
	if err := json.Unmarshal([]byte(check.stdout), &rev); err != nil || rev.Revision == "" {
		t.Fatalf("policy check: %v\n%s%s", err, check.stdout, check.stderr)
	}
	entries := policyLoadedEntries(t, data)
	if len(entries) != 2 || entries[0]["reload"] != false || entries[0]["revision"] == rev.Revision ||
		entries[1]["reload"] != true || entries[1]["revision"] != rev.Revision {
		t.Errorf("policy.loaded entries = %v, want the embedded policy at start, then %s as a reload", entries, rev.Revision)
	}
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", data), 0, "audit log OK")

	// Seeded before, the demo starts with the policy given: one entry more,
	// at start.
	_, banner, _, stop = startDemo(t, "--data", data, "--policy", dir)
	if !containsAll(banner.String(), "using the existing demo data", "policy in force: "+dir) || strings.Contains(banner.String(), "seeded history was decided") {
		t.Errorf("banner of a demo seeded before:\n%s", banner.String())
	}
	if code := stop(); code != 0 {
		t.Fatalf("demo exit code %d", code)
	}
	entries = policyLoadedEntries(t, data)
	if len(entries) != 3 || entries[2]["reload"] != false || entries[2]["revision"] != rev.Revision {
		t.Errorf("policy.loaded entries = %v, want a third, of %s at start", entries, rev.Revision)
	}
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", data), 0, "audit log OK")
}

// TestDemoPolicyRefused gives andon demo a policy that does not compile,
// and one that is not there: the demo is refused as andon serve refuses
// them, with the same messages and exit codes, before it writes anything.
func TestDemoPolicyRefused(t *testing.T) {
	broken := t.TempDir()
	mustWriteFile(t, filepath.Join(broken, "risk.rego"), "package andon.risk\n\ntier := \"low\" if {\n")
	missing := filepath.Join(t.TempDir(), "nowhere")
	for _, tt := range []struct {
		name   string
		policy string
		code   int
		want   string
	}{
		{"does not compile", broken, 1, "policy is not valid: policy " + broken + ": 1 error(s):\n" + filepath.Join(broken, "risk.rego") + ":4: rego_parse_error"},
		{"missing", missing, 2, "--policy " + missing + ": no such directory (want a directory of Rego files)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "demo-data")
			serve := runCLI(t, nil, "serve", "--catalog", exampleCatalog, "--data", data, "--addr", "127.0.0.1:0", "--policy", tt.policy)
			wantExit(t, serve, tt.code, tt.want)
			demo := runWithin(t, 30*time.Second, "demo", "--data", data, "--addr", "127.0.0.1:0", "--policy", tt.policy)
			wantExit(t, demo, tt.code, tt.want)
			if demo.stderr != serve.stderr {
				t.Errorf("demo says\n%s\nwhere serve says\n%s", demo.stderr, serve.stderr)
			}
			if demo.stdout != "" {
				t.Errorf("the refused demo announced itself:\n%s", demo.stdout)
			}
			if _, err := os.Stat(data); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the refused demo made its data directory: %v", err)
			}
		})
	}

	// With --log-format json, standard error holds JSON records only: one
	// per problem, then what stopped the demo.
	data := filepath.Join(t.TempDir(), "demo-data")
	r := runWithin(t, 30*time.Second, "demo", "--data", data, "--addr", "127.0.0.1:0", "--policy", broken, "--log-format", "json")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	var got []map[string]any
	for _, rec := range logRecords(t, "json", r.stderr) {
		delete(rec, "time")
		got = append(got, rec)
	}
	want := []map[string]any{{
		"level": "ERROR", "msg": "policy is not valid", "source": "dir " + broken, "file": filepath.Join(broken, "risk.rego"), "line": "4",
		"err": "rego_parse_error: unexpected eof token", "detail": `tier := "low" if {`,
	}, {
		"level": "ERROR", "msg": "andon demo stopped", "err": "policy is not valid: 1 problem in dir " + broken + ", logged above",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s\n%s", diff, r.stderr)
	}
	if _, err := os.Stat(data); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused demo made its data directory: %v", err)
	}
}

// TestDemoPolicyReloadOnSIGHUP runs andon demo with a policy as its own
// process, changes the policy and sends SIGHUP: the demo reloads the
// policy given, not the embedded one it seeded its history under.
func TestDemoPolicyReloadOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	risk := filepath.Join(dir, "risk.rego")
	mustWriteFile(t, risk, demoCriticalRisk)
	p := mustStartProcess(t, "andon demo", "demo", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--policy", dir)
	alice := map[string]string{"ANDON_SERVER": p.url, "ANDON_TOKEN": "demo-alice"}
	tierOf := func() andon.Level {
		t.Helper()
		r := runCLI(t, alice, "change", "create", "--env", "staging-lyon", "--type", "standard", "--title", "Label layout", "--image", imageUnseen, "-o", "json")
		var c andon.Change
		if err := json.Unmarshal([]byte(r.stdout), &c); r.code != 0 || err != nil {
			t.Fatalf("change create: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		return c.Risk.Tier
	}
	if got := tierOf(); got != andon.LevelCritical {
		t.Errorf("tier = %s before the reload, want critical", got)
	}
	mustWriteFile(t, risk, strings.Replace(demoCriticalRisk, `tier := "critical"`, `tier := "high"`, 1))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, func() bool { return strings.Contains(p.logs.String(), "policy reloaded") }, p.logs)
	if got := tierOf(); got != andon.LevelHigh {
		t.Errorf("tier = %s after the reload, want high from the changed %s", got, risk)
	}
}
