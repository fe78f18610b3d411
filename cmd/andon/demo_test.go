package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/catalogsync"
	"github.com/andon-governance/andon/examples"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
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
	if list.code != 0 || !containsAll(list.stdout, `"total": 8`, "CHG-8") {
		t.Errorf("change list: exit %d\n%s", list.code, list.stdout)
	}
	if f := runCLI(t, env, "findings"); f.code != 0 || !containsAll(f.stdout, "REVIEW_OVERDUE", "CHG-5") {
		t.Errorf("findings: exit %d\n%s", f.code, f.stdout)
	}
	if !containsAll(out.String(), "export ANDON_TOKEN=demo-alice", "seeded history") {
		t.Errorf("banner lacks the demo tokens:\n%s", out.String())
	}
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
