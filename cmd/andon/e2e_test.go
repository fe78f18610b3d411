package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/calendar"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
	"github.com/google/go-cmp/cmp"
)

// The tests in this file run the real server through run() on a loopback
// port with a temporary data directory and the example catalog, and drive
// it through the CLI as a person or a pipeline would. The tests of the
// change loop run on SQLite, and again on PostgreSQL when
// ANDON_TEST_POSTGRES is set.

const exampleCatalog = "../../examples/catalog"

// syncBuffer is a bytes.Buffer safe for the server goroutine's logs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// listening finds the address in the server's "listening" log line, of
// either log format.
var listening = regexp.MustCompile(`(?:msg=listening addr=|"msg":"listening","addr":")([^\s"]+)`)

// liveServer is an andon serve process running in-process.
type liveServer struct {
	url  string
	data string
	// db is the server's --db, a PostgreSQL URL, or "" for the SQLite
	// file in data.
	db     string
	tokens map[string]string
	logs   *syncBuffer
	stop   func() int
}

// do sends method path with body to the server as user, with no token
// when user is "", and returns the answer, its body closed with the test.
func (s *liveServer) do(t testing.TB, method, path, user, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+s.tokens[user])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// storeFlags are the flags that name the server's store to the offline
// commands, such as andon audit verify.
func (s *liveServer) storeFlags() []string {
	if s.db == "" {
		return []string{"--data", s.data}
	}
	return []string{"--data", s.data, "--db", s.db}
}

// forEachEngine runs test as one subtest per engine: SQLite always, and
// PostgreSQL when ANDON_TEST_POSTGRES is set (sqlstoretest skips it
// otherwise).
func forEachEngine(t *testing.T, test func(t *testing.T, engine string)) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) { test(t, engine) })
	}
}

// MustServe starts andon serve on SQLite with args added and waits until
// it is ready.
func MustServe(t testing.TB, data string, args ...string) *liveServer {
	t.Helper()
	return MustServeOn(t, "sqlite", data, args...)
}

// mustStore prepares a store on engine for data: for PostgreSQL, the
// audit signing key that every replica shares (the server never makes it
// there) and the URL of a fresh schema, dropped when the test ends; for
// SQLite nothing, and "" for the file in data.
func mustStore(t testing.TB, engine, data string) (db string) {
	t.Helper()
	if engine == "sqlite" {
		return ""
	}
	db = sqlstoretest.DSN(t, engine, data)
	if r := runCLI(t, nil, "audit", "keygen", "--data", data); r.code != 0 {
		t.Fatalf("audit keygen: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return db
}

// MustServeOn starts andon serve with args added on a new store of engine
// ("sqlite" or "postgres") and waits until it is ready.
func MustServeOn(t testing.TB, engine, data string, args ...string) *liveServer {
	t.Helper()
	s := &liveServer{data: data, db: mustStore(t, engine, data), tokens: map[string]string{}}
	if s.db != "" {
		args = append([]string{"--db", s.db}, args...)
	}
	s.url, s.logs, s.stop = startServe(t, append([]string{"--data", data, "--catalog", exampleCatalog}, args...)...)
	for _, user := range []string{"alice", "bob", "brigitte", "carol", "dave", "erin", "frank"} {
		r := runCLI(t, nil, append([]string{"token", "create", "--user", user}, s.storeFlags()...)...)
		if r.code != 0 {
			t.Fatalf("token create %s: %d %s", user, r.code, r.stderr)
		}
		s.tokens[user] = strings.TrimSpace(r.stdout)
	}
	return s
}

// startServe runs andon serve with args in-process on a port the kernel
// picks, waits until /readyz answers, and returns its URL, its logs and a
// stop function that returns its exit code (called at cleanup too).
func startServe(t testing.TB, args ...string) (url string, logs *syncBuffer, stop func() int) {
	t.Helper()
	return startCommand(t, append([]string{"andon", "serve", "--addr", "127.0.0.1:0"}, args...)...)
}

// startCommand runs argv, andon serve or andon demo listening on port 0,
// as startServe does.
func startCommand(t testing.TB, argv ...string) (url string, logs *syncBuffer, stop func() int) {
	t.Helper()
	return startCommandTo(t, io.Discard, argv...)
}

// startCommandTo runs argv as startCommand does, its standard output
// written to stdout (andon demo's banner).
func startCommandTo(t testing.TB, stdout io.Writer, argv ...string) (url string, logs *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, argv, func(string) string { return "" }, strings.NewReader(""), stdout, logs)
	}()
	stopped := false
	stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(20 * time.Second):
			t.Fatalf("server did not stop; logs:\n%s", logs.String())
			return -1
		}
	}
	t.Cleanup(func() { stop() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case code := <-done:
			stopped = true
			t.Fatalf("server exited with %d; logs:\n%s", code, logs.String())
		default:
		}
		if url == "" {
			if m := listening.FindStringSubmatch(logs.String()); m != nil {
				url = "http://" + m[1]
			}
		}
		if url != "" {
			if resp, err := http.Get(url + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return url, logs, stop
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready after 30s; logs:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// as runs a client command as user.
func (s *liveServer) as(t *testing.T, user string, args ...string) result {
	t.Helper()
	return runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": s.tokens[user]}, args...)
}

// mustJSON runs a command with -o json as user, wants exit code want and
// decodes its output.
func mustJSON[T any](t *testing.T, s *liveServer, user string, want int, args ...string) T {
	t.Helper()
	r := s.as(t, user, append(args, "-o", "json")...)
	if r.code != want {
		t.Fatalf("andon %s as %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), user, r.code, want, r.stdout, r.stderr)
	}
	var v T
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("andon %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, r.stdout)
	}
	return v
}

func wantExit(t *testing.T, r result, code int, stderrHas string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.stderr+r.stdout, stderrHas) {
		t.Errorf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", r.code, code, stderrHas, r.stdout, r.stderr)
	}
}

func reasonCodes(res andon.GateResult) []string {
	var codes []string
	for _, r := range res.Reasons {
		codes = append(codes, r.Code)
	}
	return codes
}

const (
	imageRelease = "registry.example.com/odoo/odoo-lyon:17.0-2026.11@sha256:9a1e5f7c3b2d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"
	imageUnseen  = "registry.example.com/odoo/odoo-lyon:17.0-2026.12@sha256:5555555555555555555555555555555555555555555555555555555555555555"
)

// nextSlot asks the server for the next maintenance slot of prod-lyon.
func nextSlot(t *testing.T, s *liveServer) andon.Span {
	t.Helper()
	return mustJSON[andon.Span](t, s, "alice", 0, "calendar", "next", "--env", "prod-lyon", "--duration", "1h")
}

// frozenNow reports whether a freeze applies to env at this moment.
func frozenNow(t *testing.T, s *liveServer, env string) bool {
	t.Helper()
	now := time.Now()
	cal := mustJSON[struct{ Occurrences []andon.Occurrence }](t, s, "alice", 0, "calendar", "show", "--env", env,
		"--from", now.Add(-time.Minute).Format(time.RFC3339), "--to", now.Add(time.Minute).Format(time.RFC3339))
	for _, o := range cal.Occurrences {
		if o.Type == andon.WindowFreeze && !now.Before(o.Start) && now.Before(o.End) {
			return true
		}
	}
	return false
}

// TestWalkthrough is the README's walkthrough: promote a release from
// staging to production through risk, two approvals and the gate.
func TestWalkthrough(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := MustServeOn(t, engine, t.TempDir())

		// Staging: a deployment with no change is recorded as a low, standard
		// change and allowed.
		res := mustJSON[andon.GateResult](t, s, "alice", 0, "gate", "--env", "staging-lyon", "--image", imageRelease)
		if !res.Allow || res.Change == nil || res.Change.Type != andon.ChangeStandard || res.Change.Risk.Tier != andon.LevelLow || res.Change.State != andon.StateImplementing {
			t.Fatalf("staging gate = %+v; want an allowed, recorded standard low change being implemented", res)
		}
		if r := s.as(t, "alice", "change", "complete", res.Change.ID); r.code != 0 {
			t.Fatalf("complete staging change: %s", r.stderr)
		}

		// Production: a high-risk change needs a change manager and the owner
		// of production.
		c := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "prod-lyon", "--type", "normal",
			"--title", "November release", "--image", imageRelease, "--module", "mrp_workorder", "--rollback-plan", "redeploy the previous image")
		if c.State != andon.StatePending || c.Risk.Tier != andon.LevelHigh || len(c.Risk.Approvals) != 2 {
			t.Fatalf("created change = state %s tier %s approvals %+v; want pending, high, two slots", c.State, c.Risk.Tier, c.Risk.Approvals)
		}
		wantExit(t, s.as(t, "alice", "gate", "--env", "prod-lyon", "--image", imageRelease), 1, "NO_APPROVED_CHANGE")

		if r := s.as(t, "bob", "change", "approve", c.ID, "--comment", "tested in staging"); r.code != 0 {
			t.Fatalf("bob approves: %s", r.stderr)
		}
		c = mustJSON[andon.Change](t, s, "carol", 0, "change", "approve", c.ID, "--comment", "planning agrees")
		if c.State != andon.StateApproved {
			t.Fatalf("after two approvals: %s, want approved", c.State)
		}

		// --at asks about another time: a dry run that authorises nothing.
		// Freeze wins over maintenance: Sunday 29 November 2026 02:30 in Lyon
		// is inside the Sunday maintenance window and the month-end close.
		res = mustJSON[andon.GateResult](t, s, "alice", 1, "gate", "--env", "prod-lyon", "--image", imageRelease, "--at", "2026-11-29T02:30:00+01:00")
		if res.Allow || !res.DryRun || !strings.Contains(strings.Join(reasonCodes(res), ","), "FROZEN") {
			t.Fatalf("gate inside freeze and maintenance = %+v; want a dry run denied FROZEN", res)
		}
		// Outside any maintenance window a high change is refused.
		slot := nextSlot(t, s)
		res = mustJSON[andon.GateResult](t, s, "alice", 1, "gate", "--env", "prod-lyon", "--image", imageRelease, "--at", slot.Start.Add(-3*time.Hour).Format(time.RFC3339))
		if res.Allow || strings.Join(reasonCodes(res), ",") != "NO_MAINTENANCE_WINDOW" {
			t.Fatalf("gate outside maintenance = %+v; want NO_MAINTENANCE_WINDOW", res)
		}
		// Inside the next safe slot it would go ahead, but a dry run moves
		// nothing.
		res = mustJSON[andon.GateResult](t, s, "alice", 0, "gate", "--env", "prod-lyon", "--image", imageRelease, "--at", slot.Start.Add(10*time.Minute).Format(time.RFC3339))
		if !res.Allow || !res.DryRun {
			t.Fatalf("gate in the slot = %+v; want a dry run that would allow", res)
		}
		if c = mustJSON[andon.Change](t, s, "alice", 0, "change", "show", c.ID); c.State != andon.StateApproved {
			t.Fatalf("after a dry run the change is %s, want still approved", c.State)
		}
		if c = mustJSON[andon.Change](t, s, "alice", 0, "change", "cancel", c.ID, "--comment", "replanned with its own window"); c.State != andon.StateCancelled {
			t.Fatalf("cancel: %s", c.State)
		}

		// A change with its own approved window may go ahead inside it, unless
		// a freeze is on now.
		now := time.Now()
		c = mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "prod-lyon", "--type", "normal",
			"--title", "November release, today", "--image", imageRelease, "--module", "mrp_workorder",
			"--start", now.Add(-5*time.Minute).Format(time.RFC3339), "--end", now.Add(2*time.Hour).Format(time.RFC3339))
		for _, u := range []string{"bob", "brigitte"} {
			if r := s.as(t, u, "change", "approve", c.ID); r.code != 0 {
				t.Fatalf("%s approves: %s", u, r.stderr)
			}
		}
		if frozenNow(t, s, "prod-lyon") {
			res = mustJSON[andon.GateResult](t, s, "alice", 1, "gate", "--env", "prod-lyon", "--image", imageRelease)
			if !strings.Contains(strings.Join(reasonCodes(res), ","), "FROZEN") {
				t.Fatalf("gate during a freeze = %+v; want FROZEN", res)
			}
		} else {
			res = mustJSON[andon.GateResult](t, s, "alice", 0, "gate", "--env", "prod-lyon", "--image", imageRelease)
			if !res.Allow || res.DryRun || res.Change == nil || res.Change.ID != c.ID || res.Change.State != andon.StateImplementing {
				t.Fatalf("gate now = %+v; want allowed, %s implementing", res, c.ID)
			}
			if r := s.as(t, "alice", "change", "complete", c.ID); r.code != 0 {
				t.Fatalf("complete: %s", r.stderr)
			}
			// The change's history holds the gate's decision, whose
			// subject is the environment.
			var got []string
			for _, en := range mustJSON[struct{ Entries []andon.Entry }](t, s, "frank", 0, "audit", "entries", "--change", c.ID).Entries {
				got = append(got, en.Type+" "+en.Subject)
			}
			want := []string{
				"change.created " + c.ID, "change.approved " + c.ID, "change.approved " + c.ID,
				"change.transitioned " + c.ID, "gate.decided prod-lyon", "change.transitioned " + c.ID,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("audit entries --change %s (-want +got):\n%s", c.ID, diff)
			}
		}

		// Every decision is in the audit log, and the log verifies offline.
		entries := mustJSON[struct{ Entries []andon.Entry }](t, s, "frank", 0, "audit", "entries", "--type", andon.EventGateDecision).Entries
		if len(entries) != 6 {
			t.Errorf("gate decisions recorded = %d, want 6", len(entries))
		}
		if r := runCLI(t, nil, append([]string{"audit", "verify"}, s.storeFlags()...)...); r.code != 0 || !strings.Contains(r.stdout, "OK") {
			t.Errorf("audit verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// TestUnknownNames checks that a query parameter or a field of the body
// naming an environment, a plant or a change that does not exist is a 400,
// with the closest names of the catalog, on every route, and that a path
// naming one is a 404.
func TestUnknownNames(t *testing.T) {
	s := MustServe(t, t.TempDir())
	image := `"registry.example.com/odoo/odoo-lyon@sha256:` + strings.Repeat("a", 64) + `"`
	tests := []struct {
		method, path, body string
		wantStatus         int
		wantMessage        string
	}{
		{"GET", "/api/v1/calendar?env=prod-lyonn", "", 400, `environment "prod-lyonn" is not in the catalog; did you mean prod-lyon?`},
		{"GET", "/api/v1/calendar/next?env=prod-lyonn&duration=1h", "", 400, `environment "prod-lyonn" is not in the catalog; did you mean prod-lyon?`},
		{"GET", "/api/v1/calendar.ics?env=prod-lyonn", "", 400, `environment "prod-lyonn" is not in the catalog; did you mean prod-lyon?`},
		{"GET", "/api/v1/calendar.ics?plant=lyom", "", 400, `plant "lyom" is not in the catalog; did you mean lyon?`},
		{"POST", "/api/v1/changes", `{"environment": "prod-lyonn", "type": "normal", "title": "t"}`, 400, `environment: "prod-lyonn" is not in the catalog; did you mean prod-lyon?`},
		{"POST", "/api/v1/gate", `{"environment": "prod-lyonn", "image": ` + image + `}`, 400, `environment "prod-lyonn" is not in the catalog; did you mean prod-lyon?`},
		{"GET", "/api/v1/audit/entries?change=CHG-999", "", 400, `change: no change CHG-999`},
		{"GET", "/api/v1/audit/evidence?change=CHG-999", "", 400, `change: no change CHG-999`},
		{"GET", "/api/v1/catalog/environments/prod-lyonn", "", 404, `environment "prod-lyonn" is not in the catalog; did you mean prod-lyon?`},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp := s.do(t, tt.method, tt.path, "alice", tt.body)
			// An error, or the gate's refusal with its reason.
			var got struct {
				Message string
				Reasons []andon.Reason
			}
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if len(got.Reasons) > 0 {
				got.Message = got.Reasons[0].Message
			}
			if resp.StatusCode != tt.wantStatus || got.Message != tt.wantMessage {
				t.Errorf("status %d, %q; want %d, %q", resp.StatusCode, got.Message, tt.wantStatus, tt.wantMessage)
			}
		})
	}
	// The CLI exits 2, could not decide, as for any bad input.
	wantExit(t, s.as(t, "alice", "calendar", "next", "--env", "prod-lyonn", "--duration", "1h"), 2,
		`andon: environment "prod-lyonn" is not in the catalog; did you mean prod-lyon?`)
}

// TestChangeListByProcess lists the changes that affected one business
// process, as its owner or an auditor asks for them: those that named it
// and those that touched a module that implements it, and no others. A
// process the catalog does not hold that no change affects is refused,
// naming the closest one (TestProcessNotInCatalog).
func TestChangeListByProcess(t *testing.T) {
	s := MustServe(t, t.TempDir())
	invoices := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "dev", "--type", "normal",
		"--title", "Invoice layout", "--module", "account")
	closing := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "dev", "--type", "normal",
		"--title", "Closing checklist", "--process", "finance")
	mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "dev", "--type", "normal",
		"--title", "Work order screen", "--module", "mrp")

	listed := mustJSON[struct {
		Changes []andon.Change
		Total   int
	}](t, s, "alice", 0, "change", "list", "--process", "finance")
	var ids []string
	for _, c := range listed.Changes {
		ids = append(ids, c.ID)
	}
	if want := []string{closing.ID, invoices.ID}; !slices.Equal(ids, want) || listed.Total != 2 {
		t.Errorf("change list --process finance: %q (total %d); want %q", ids, listed.Total, want)
	}
	r := s.as(t, "alice", "change", "list", "--process", "Finance")
	wantExit(t, r, 2, "andon: --process Finance: no change matches, and \"Finance\" is not in the catalog; did you mean finance?\n")
	wantExit(t, s.as(t, "alice", "change", "list", "--process", ""), 2,
		"andon: --process: required, a business process of the catalog (andon catalog show lists them)")
}

// TestCalendarFeed subscribes to a calendar feed as a calendar client
// would: with the feed token in the URL and no header.
func TestCalendarFeed(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := MustServeOn(t, engine, t.TempDir())
		ft := mustJSON[andon.FeedToken](t, s, "alice", 0, "calendar", "feed-token")
		if !strings.HasPrefix(ft.Token, "andonfeed_") || ft.Environments["prod-lyon"] == "" || ft.Plants["geelong"] == "" {
			t.Fatalf("feed token = %+v, want a token and the feeds of prod-lyon and geelong", ft)
		}
		for _, u := range []string{ft.Environments["prod-lyon"], ft.Plants["geelong"]} {
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), "BEGIN:VTIMEZONE") || !strings.Contains(string(body), "RRULE:") {
				t.Fatalf("GET %s = %d, want a calendar with rules and time zones:\n%s", u, resp.StatusCode, body)
			}
			if _, err := calendar.ParseICS("feed.ics", body); err != nil {
				t.Errorf("the feed does not parse: %v", err)
			}
		}
		if strings.Contains(s.logs.String(), ft.Token) {
			t.Errorf("the server log holds the feed token")
		}
		// The JSON printed holds the URLs as they are to be copied.
		if r := s.as(t, "alice", "calendar", "feed-token", "-o", "json"); !strings.Contains(r.stdout, "?env=prod-lyon&token=andonfeed_") {
			t.Errorf("feed-token -o json does not print the URL as is:\n%s", r.stdout)
		}
		// The feed token opens nothing else.
		r := runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": ft.Token}, "whoami")
		wantExit(t, r, 2, "the bearer token is a calendar feed token (andonfeed_…), which opens only the calendar feed")
		if strings.Contains(r.stderr, "no API token") || !strings.Contains(r.stderr, "The token was read from ANDON_TOKEN") {
			t.Errorf("a token was given in ANDON_TOKEN, yet the CLI does not say so:\n%s", r.stderr)
		}
		// Without any token the CLI says how to give one.
		wantExit(t, runCLI(t, map[string]string{"ANDON_SERVER": s.url}, "whoami"), 2, "andon: no API token was given: set ANDON_TOKEN or --token")
		// The gate too, in the reason a pipeline's log shows first.
		r = runCLI(t, map[string]string{"ANDON_SERVER": s.url}, "gate", "--env", "prod-lyon", "--image", imageRelease)
		if r.code != 2 || !strings.Contains(r.stdout, "CANNOT_DECIDE: no API token was given: set ANDON_TOKEN or --token") {
			t.Errorf("gate without a token: exit %d, want 2 and the reason\n%s%s", r.code, r.stdout, r.stderr)
		}
		// The store recorded who got it.
		entries := mustJSON[struct{ Entries []andon.Entry }](t, s, "alice", 0, "audit", "entries", "--type", "token.created", "--subject", "alice")
		found := false
		for _, e := range entries.Entries {
			var data map[string]string
			_ = json.Unmarshal(e.Data, &data)
			found = found || e.Actor == "alice" && data["scope"] == "feed"
		}
		if !found {
			t.Errorf("no token.created entry with scope feed in %+v", entries)
		}
	})
}

// TestFeedTokenExpiresWithItsAPIToken: a feed token asked for with an API
// token that expires stops opening the feed when that token expires, and
// says so.
func TestFeedTokenExpiresWithItsAPIToken(t *testing.T) {
	s := MustServe(t, t.TempDir())
	r := runCLI(t, nil, append([]string{"token", "create", "--user", "carol", "--expires", "4s", "-o", "json"}, s.storeFlags()...)...)
	var made struct{ Token, ExpiresAt string }
	if err := json.Unmarshal([]byte(r.stdout), &made); r.code != 0 || err != nil {
		t.Fatalf("token create --expires 4s: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	expires, err := time.Parse(time.RFC3339, made.ExpiresAt)
	if err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": made.Token}, "calendar", "feed-token", "-o", "json")
	var ft andon.FeedToken
	if err := json.Unmarshal([]byte(r.stdout), &ft); r.code != 0 || err != nil || ft.Environments["prod-lyon"] == "" {
		t.Fatalf("calendar feed-token: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if ft.ExpiresAt == nil || !ft.ExpiresAt.Equal(expires) {
		t.Errorf("the feed token says it expires at %v, want %s, as its API token", ft.ExpiresAt, expires)
	}
	r = runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": made.Token}, "calendar", "feed-token")
	if want := "expires:     " + fmtSecond(expires) + ", with the API token that asked for it"; r.code != 0 || !hasLine(r.stdout, want) {
		t.Errorf("calendar feed-token: exit %d, want a line %q:\n%s%s", r.code, want, r.stdout, r.stderr)
	}
	feed := func() (int, string) {
		resp, err := http.Get(ft.Environments["prod-lyon"])
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := feed(); code != http.StatusOK {
		t.Fatalf("the feed before the API token expires: %d\n%s", code, body)
	}
	time.Sleep(time.Until(expires.Add(100 * time.Millisecond)))
	want := "the feed token is not valid: it expired at " + expires.Format(time.RFC3339)
	if code, body := feed(); code != http.StatusUnauthorized || !strings.Contains(body, want) {
		t.Errorf("the feed after the API token expired: %d %s; want 401 and %q", code, body, want)
	}
}

func TestGateFailsClosedOnBadRequests(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := MustServeOn(t, engine, t.TempDir())
		tests := []struct {
			name, env, image, code string
		}{
			{"unknown environment", "prod-mars", imageRelease, "UNKNOWN_ENVIRONMENT"},
			{"tag instead of digest", "prod-lyon", "registry.example.com/odoo/odoo:17.0", "BAD_IMAGE_REFERENCE"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := s.as(t, "alice", "gate", "--env", tt.env, "--image", tt.image, "-o", "json")
				if r.code != 2 {
					t.Fatalf("exit %d, want 2 (could not decide)\n%s%s", r.code, r.stdout, r.stderr)
				}
				var res andon.GateResult
				if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
					t.Fatalf("no gate result on stdout: %v\n%s", err, r.stdout)
				}
				if res.Allow || len(res.Reasons) == 0 || res.Reasons[0].Code != tt.code {
					t.Errorf("result = %+v, want a denial with %s", res, tt.code)
				}
			})
		}
		// The server is gone: the gate cannot decide and says so.
		s.stop()
		wantExit(t, s.as(t, "alice", "gate", "--env", "prod-lyon", "--image", imageRelease), 2, "")
	})
}

func TestSegregationOfDuties(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := MustServeOn(t, engine, t.TempDir())
		c := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "prod-lyon", "--type", "normal",
			"--title", "Work-order tablet layout", "--module", "mrp_workorder")

		wantExit(t, s.as(t, "alice", "change", "approve", c.ID), 1, "cannot approve it (segregation of duties)")
		wantExit(t, s.as(t, "frank", "change", "approve", c.ID), 1, "holds none of the roles")
		wantExit(t, s.as(t, "bob", "change", "approve", c.ID), 0, "")
		wantExit(t, s.as(t, "bob", "change", "approve", c.ID), 1, "one person fills at most one slot")
		// brigitte is a change manager too, but that slot is filled: she fills
		// the process-owner slot instead.
		c = mustJSON[andon.Change](t, s, "brigitte", 0, "change", "approve", c.ID)
		if c.State != andon.StateApproved || c.Approvals[1].Role != "process-owner:production" {
			t.Fatalf("after brigitte: state %s approvals %+v", c.State, c.Approvals)
		}
		wantExit(t, s.as(t, "carol", "change", "approve", c.ID), 1, "only pending changes")

		// A rejection ends the change.
		c = mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "prod-lyon", "--type", "normal",
			"--title", "PostgreSQL minor upgrade", "--component", "postgres")
		if c.Risk.Tier != andon.LevelCritical {
			t.Fatalf("postgres change tier = %s, want critical", c.Risk.Tier)
		}
		wantExit(t, s.as(t, "dave", "change", "reject", c.ID), 2, "comment")
		wantExit(t, s.as(t, "dave", "change", "reject", c.ID, "--comment", "no restore test"), 0, "")
		wantExit(t, s.as(t, "bob", "change", "approve", c.ID), 1, "rejected")
	})
}

func TestPromotionRequired(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := MustServeOn(t, engine, t.TempDir())
		c := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "prod-lyon", "--type", "normal",
			"--title", "Untested build", "--image", imageUnseen, "--module", "stock")
		for _, u := range []string{"bob", "carol"} {
			if r := s.as(t, u, "change", "approve", c.ID); r.code != 0 {
				t.Fatalf("%s approves: %s", u, r.stderr)
			}
		}
		slot := nextSlot(t, s)
		res := mustJSON[andon.GateResult](t, s, "alice", 1, "gate", "--env", "prod-lyon", "--image", imageUnseen, "--at", slot.Start.Add(time.Minute).Format(time.RFC3339))
		if res.Allow || strings.Join(reasonCodes(res), ",") != "NOT_PROMOTED" {
			t.Fatalf("gate = %+v; want only NOT_PROMOTED", res)
		}
	})
}

func TestBadCatalogAndPolicyStopTheServer(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "broken.rego"), []byte("package andon.risk\n\ntier := \"low\" if {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A refused start leaves nothing behind: not even the data directory.
	unmade := filepath.Join(t.TempDir(), "data")
	leftNothing := func() {
		t.Helper()
		if _, err := os.Stat(unmade); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("refused start left %s behind (stat: %v)", unmade, err)
		}
	}
	r := runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", unmade, "--catalog", exampleCatalog, "--policy", dir)
	wantExit(t, r, 1, "broken.rego:")
	leftNothing()

	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "plants.yaml"), []byte("apiVersion: andon/v1\nkind: Plant\nmetadata: {name: lyon}\nspec: {timezone: Europe/Lyon}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", unmade, "--catalog", bad)
	wantExit(t, r, 1, "plants.yaml:4: Plant/lyon: spec.timezone")
	leftNothing()
	wantExit(t, runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", unmade, "--catalog", exampleCatalog, "--traefik-major", "4"), 2, "--traefik-major 4")
	leftNothing()
	wantExit(t, runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", unmade, "--catalog", exampleCatalog, "--catalog-interval", "-1m"), 2, "--catalog-interval -1m0s: want 0")
	leftNothing()
	// A server prints its log, not a result to format.
	wantExit(t, runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", unmade, "--catalog", exampleCatalog, "-o", "json"), 2, "--output: andon serve prints its log, not a result")
	leftNothing()
	wantExit(t, runCLI(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", unmade, "-o", "json"), 2, "--output: andon demo prints its log, not a result")
	leftNothing()
	// A git source that cannot be read, with no version published before.
	nowhere := "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "no-repo"))
	wantExit(t, runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", unmade, "--catalog-git", nowhere), 1,
		"and no version was published before: there is no database at "+filepath.Join(unmade, "andon.db")+" yet")
	leftNothing()

	// A misspelt directory stops the server at start, even over a data
	// directory that has a catalog in force.
	data := t.TempDir()
	_, _, stop := startCommand(t, "andon", "serve", "--addr", "127.0.0.1:0", "--data", data, "--catalog", exampleCatalog)
	stop()
	missing := exampleCatalog + "g"
	wantExit(t, runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", data, "--catalog", missing), 2,
		"--catalog "+missing+": no such directory")
	wantExit(t, runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", data, "--catalog", filepath.Join(exampleCatalog, "plants.yaml")), 2,
		"plants.yaml: not a directory")
	wantExit(t, runCLI(t, map[string]string{"ANDON_CATALOG": missing}, "serve", "--addr", "127.0.0.1:0", "--data", data), 2,
		"ANDON_CATALOG "+missing+": no such directory")
}

// TestTamperDetection alters a stopped server's store the three ways an
// attacker with database access could, through the database itself, and
// expects verify to name the entry.
func TestTamperDetection(t *testing.T) {
	tests := []struct {
		name string
		// tamper returns the statements that alter the entry at n.
		tamper func(n int) []string
	}{
		{"edit", func(n int) []string {
			return []string{fmt.Sprintf(`UPDATE audit_entries SET record = REPLACE(record, 'change B', 'change X') WHERE idx = %d`, n)}
		}},
		{"delete", func(n int) []string {
			return []string{fmt.Sprintf(`DELETE FROM audit_entries WHERE idx = %d`, n)}
		}},
		{"swap", func(n int) []string {
			return []string{
				fmt.Sprintf(`UPDATE audit_entries SET idx = -1 WHERE idx = %d`, n),
				fmt.Sprintf(`UPDATE audit_entries SET idx = %d WHERE idx = %d`, n, n+1),
				fmt.Sprintf(`UPDATE audit_entries SET idx = %d WHERE idx = -1`, n+1),
			}
		}},
	}
	forEachEngine(t, func(t *testing.T, engine string) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Each alteration gets a store of its own, written by a
				// server that has stopped since.
				s := MustServeOn(t, engine, t.TempDir())
				for i := range 4 {
					mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "dev", "--type", "normal", "--title", "change "+string(rune('A'+i)))
				}
				if code := s.stop(); code != 0 {
					t.Fatalf("server exit code %d", code)
				}
				verify := append([]string{"audit", "verify"}, s.storeFlags()...)
				if r := runCLI(t, nil, verify...); r.code != 0 {
					t.Fatalf("untouched log does not verify: %s%s", r.stdout, r.stderr)
				}
				db := mustOpenRaw(t, s)
				// The entry that records the creation of change B is the
				// target.
				var n int
				if err := db.QueryRow(`SELECT idx FROM audit_entries WHERE record LIKE '%"title":"change B"%'`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				for _, q := range tt.tamper(n) {
					if _, err := db.Exec(q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				db.Close()
				want := fmt.Sprintf("entry %d", n)
				r := runCLI(t, nil, verify...)
				if r.code != 1 || !strings.Contains(r.stdout, want) {
					t.Errorf("verify after %s: exit %d, want 1 naming %q\n%s%s", tt.name, r.code, want, r.stdout, r.stderr)
				}
				// The JSON report names the entry and the key it was checked with.
				r = runCLI(t, nil, append(verify, "-o", "json")...)
				var report struct {
					OK          bool
					FirstBad    int
					VerifierKey string
				}
				if err := json.Unmarshal([]byte(r.stdout), &report); err != nil || r.code != 1 || report.OK ||
					report.FirstBad != n || report.VerifierKey != auditlog.PubPath(s.data) {
					t.Errorf("verify -o json after %s: exit %d, %+v (%v)\n%s", tt.name, r.code, report, err, r.stdout)
				}
			})
		}
	})
}

// mustOpenRaw opens the store of s as plain database/sql, bypassing
// andon, the way someone with access to the database would.
func mustOpenRaw(t *testing.T, s *liveServer) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+sqlstore.DataPath(s.data)
	if s.db != "" {
		// The sqlstore package registers pgx's database/sql driver.
		driver, dsn = "pgx", s.db
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestPostgresKeyIsMadeOnce checks that replicas sharing PostgreSQL never
// make their own signing keys: the server and token create refuse to start
// without the key, and keygen never replaces one.
func TestPostgresKeyIsMadeOnce(t *testing.T) {
	db := sqlstoretest.Postgres(t)
	data := t.TempDir()
	r := runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", data, "--db", db, "--catalog", exampleCatalog)
	wantExit(t, r, 2, "andon audit keygen --data DIR")
	wantExit(t, runCLI(t, nil, "token", "create", "--data", data, "--db", db, "--user", "alice"), 2, "holds no audit signing key")
	if _, err := os.Stat(auditlog.KeyPath(data)); err == nil {
		t.Errorf("a refused start left a signing key in %s", data)
	}
	wantExit(t, runCLI(t, nil, "audit", "keygen", "--data", data), 0, "audit.pub")
	wantExit(t, runCLI(t, nil, "audit", "keygen", "--data", data), 1, "already exists")
	if r := runCLI(t, nil, "token", "create", "--data", data, "--db", db, "--user", "alice"); r.code != 0 {
		t.Errorf("token create with the key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestServeSaysItMadeTheKey: a first start on SQLite makes the audit
// signing key and says where, so that it is backed up and its verifier
// key reaches the auditors; a later start, with the key there, says
// nothing of it.
func TestServeSaysItMadeTheKey(t *testing.T) {
	data := t.TempDir()
	const made = "made the audit signing key"
	for i, want := range []bool{true, false} {
		_, logs, stop := startServe(t, "--data", data, "--catalog", exampleCatalog)
		if code := stop(); code != 0 {
			t.Fatalf("start %d: exit %d; logs:\n%s", i+1, code, logs)
		}
		got := logs.String()
		if strings.Contains(got, made) != want || want && !strings.Contains(got, "key="+auditlog.KeyPath(data)+" verifier="+auditlog.PubPath(data)) {
			t.Errorf("start %d: logs say %q: %v, want %v, with both paths; logs:\n%s", i+1, made, strings.Contains(got, made), want, got)
		}
	}
}

// TestServeWarnsOfAnExposedKey: a signing key that every user of the
// machine can read (restored from a backup with the umask's 0644, or a
// Secret mounted without defaultMode) is warned of at start, naming the
// file and its mode; the modes andon makes and the docs mount are not.
func TestServeWarnsOfAnExposedKey(t *testing.T) {
	data := t.TempDir()
	wantExit(t, runCLI(t, nil, "audit", "keygen", "--data", data), 0, "audit.pub")
	const warning = "the audit signing key can be read by every user of this machine"
	for _, tt := range []struct {
		mode os.FileMode
		want bool
	}{{0o600, false}, {0o440, false}, {0o644, true}, {0o604, true}} {
		if err := os.Chmod(auditlog.KeyPath(data), tt.mode); err != nil {
			t.Fatal(err)
		}
		_, logs, stop := startServe(t, "--data", data, "--catalog", exampleCatalog)
		if code := stop(); code != 0 {
			t.Fatalf("mode %04o: exit %d; logs:\n%s", tt.mode, code, logs)
		}
		got := logs.String()
		want := fmt.Sprintf("key=%s mode=%04o", auditlog.KeyPath(data), tt.mode)
		if strings.Contains(got, warning) != tt.want || tt.want && !strings.Contains(got, want) {
			t.Errorf("mode %04o: logs warn %v, want %v (with %q); logs:\n%s", tt.mode, strings.Contains(got, warning), tt.want, want, got)
		}
	}
}

// TestServeWarnsOfAnExposedDatabase: a SQLite database that every user
// of the machine can read, as an earlier andon made it (0644) in a data
// directory they may enter (a volume), is warned of at start, naming the
// file and its mode; one in a directory of andon's alone, or made 0600,
// is not.
func TestServeWarnsOfAnExposedDatabase(t *testing.T) {
	data := t.TempDir()
	_, logs, stop := startServe(t, "--data", data, "--catalog", exampleCatalog)
	if code := stop(); code != 0 {
		t.Fatalf("first start: exit %d; logs:\n%s", code, logs)
	}
	db := sqlstore.DataPath(data)
	const warning = "the database can be read by every user of this machine"
	for _, tt := range []struct {
		file, dir os.FileMode
		want      bool
	}{{0o600, 0o755, false}, {0o644, 0o700, false}, {0o644, 0o755, true}, {0o604, 0o711, true}} {
		if err := os.Chmod(db, tt.file); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(data, tt.dir); err != nil {
			t.Fatal(err)
		}
		_, logs, stop := startServe(t, "--data", data, "--catalog", exampleCatalog)
		if code := stop(); code != 0 {
			t.Fatalf("database %04o in a directory %04o: exit %d; logs:\n%s", tt.file, tt.dir, code, logs)
		}
		got := logs.String()
		want := fmt.Sprintf("db=%s mode=%04o", db, tt.file)
		if strings.Contains(got, warning) != tt.want || tt.want && !strings.Contains(got, want) {
			t.Errorf("database %04o in a directory %04o: logs warn %v, want %v (with %q); logs:\n%s", tt.file, tt.dir, strings.Contains(got, warning), tt.want, want, got)
		}
	}
}

// TestDataIsAFile: a --data that names a file is refused as such by the
// commands that open the store, where serve and demo spoke of a lock file
// andon had made up ("lock …/andon.db: open …/andon.db-lock: not a
// directory") and token create of a mkdir.
func TestDataIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(file, []byte("not a directory\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	want := "andon: --data " + file + ": a file, not a directory: give the directory of the audit signing key and the SQLite database\n"
	for _, args := range [][]string{
		{"serve", "--catalog", exampleCatalog, "--addr", "127.0.0.1:0"},
		{"demo", "--addr", "127.0.0.1:0"},
		{"token", "create", "--user", "alice"},
		{"token", "revoke", "--expired"},
	} {
		r := runWithin(t, 30*time.Second, append(args, "--data", file)...)
		if r.code != 2 || r.stderr != want {
			t.Errorf("andon %s: exit %d, stderr %q; want 2 and %q", strings.Join(args, " "), r.code, r.stderr, want)
		}
	}
}

// TestPolicyDirMissing: a --policy directory that is not there is a slip
// in the flag, refused with exit 2 as --catalog's is, where serve called
// it a policy that is not valid, exit 1, with the stat error under it.
func TestPolicyDirMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "polcy")
	want := "andon: --policy " + missing + ": no such directory (want a directory of Rego files)\n"
	for _, args := range [][]string{
		{"serve", "--catalog", exampleCatalog, "--addr", "127.0.0.1:0", "--data", t.TempDir()},
		{"policy", "test", "../../testdata/stacks"},
	} {
		r := runWithin(t, 30*time.Second, append(args, "--policy", missing)...)
		if r.code != 2 || r.stderr != want {
			t.Errorf("andon %s: exit %d, stderr %q; want 2 and %q", strings.Join(args, " "), r.code, r.stderr, want)
		}
	}
}

// TestTokenCreateNeedsAStore checks that token create pointed at a
// directory that does not exist refuses and makes nothing, and that one
// that makes a new database says so.
func TestTokenCreateNeedsAStore(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "dta")
	wantExit(t, runCLI(t, nil, "token", "create", "--data", missing, "--user", "alice"), 2,
		"--data "+missing+": no andon database at "+filepath.Join(missing, "andon.db")+", and no directory "+missing)
	wantExit(t, runCLI(t, nil, "token", "create", "--data", t.TempDir(), "--db", "sqlite://"+filepath.Join(missing, "andon.db"), "--user", "alice"), 2,
		"--db: no andon database at")
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused token create made %s (%v)", missing, err)
	}
	// sqlite: with one slash is a slip for sqlite://, not a path under
	// the working directory.
	slip := "sqlite:" + filepath.Join(missing, "andon.db")
	wantSlip := "--db " + slip + ": needs // after the colon: did you mean sqlite://" + filepath.Join(missing, "andon.db") + "?"
	wantExit(t, runCLI(t, nil, "token", "create", "--data", t.TempDir(), "--db", slip, "--user", "alice"), 2, wantSlip)
	wantExit(t, runCLI(t, nil, "serve", "--data", t.TempDir(), "--db", slip, "--catalog", exampleCatalog, "--addr", "127.0.0.1:0"), 2, wantSlip)
	wantExit(t, runCLI(t, nil, "serve", "--data", t.TempDir(), "--db", "postgres:andon:s3cret@db/andon", "--catalog", exampleCatalog, "--addr", "127.0.0.1:0"), 2,
		"--db: postgres: needs // after the colon")
	if _, err := os.Stat("sqlite:"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused --db %s made the directory sqlite: (%v)", slip, err)
	}

	// A user name that could pass for another, or for andon itself, is
	// refused before anything is made.
	empty := t.TempDir()
	for _, user := range []string{"alice ", "ali\u202ece", "admin"} {
		wantExit(t, runCLI(t, nil, "token", "create", "--data", empty, "--user", user), 2, fmt.Sprintf("--user: %q", user))
	}
	if entries, err := os.ReadDir(empty); err != nil || len(entries) > 0 {
		t.Errorf("refused token creates left %v in the data directory (%v)", entries, err)
	}

	// Another program's database is refused, and left as it was; an
	// empty file is a new database.
	foreign := t.TempDir()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(foreign, "andon.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE orders (id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	before, _ := os.ReadFile(filepath.Join(foreign, "andon.db"))
	wantExit(t, runCLI(t, nil, "token", "create", "--data", foreign, "--user", "alice"), 2, "is not an andon database: it has no andon tables")
	if after, _ := os.ReadFile(filepath.Join(foreign, "andon.db")); !bytes.Equal(before, after) {
		t.Error("token create changed another program's database")
	}
	empty = t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "andon.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, nil, "token", "create", "--data", empty, "--user", "alice"); r.code != 0 || !strings.Contains(r.stderr, "andon: warning: there was no andon database at") {
		t.Errorf("token create on an empty file: exit %d, stderr %q", r.code, r.stderr)
	}

	// Tokens made before a server's first start: a new database, said so.
	data := t.TempDir()
	r := runCLI(t, nil, "token", "create", "--data", data, "--user", "alice")
	if r.code != 0 || !strings.Contains(r.stderr, "there was no andon database at "+filepath.Join(data, "andon.db")+"; a new one was made, with a new audit signing key in "+data+".") {
		t.Errorf("token create in an empty directory: exit %d, stderr %q", r.code, r.stderr)
	}
	// Another database beside that key: no new key to speak of.
	other := "sqlite://" + filepath.Join(data, "other.db")
	r = runCLI(t, nil, "token", "create", "--data", data, "--db", other, "--user", "alice")
	if r.code != 0 || !strings.Contains(r.stderr, "; a new one was made. The token works only") {
		t.Errorf("token create with a new database beside a key: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runCLI(t, nil, "token", "create", "--data", data, "--user", "alice")
	if r.code != 0 || strings.Contains(r.stderr, "no andon database") {
		t.Errorf("token create beside a database: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestTokenListAndRevoke lists the tokens of a running server's store and
// revokes one by its ID, a leaked one by the token itself and a user's
// by name; the server refuses them and the audit log records each.
func TestTokenListAndRevoke(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := MustServeOn(t, engine, t.TempDir())
		store := s.storeFlags()
		// Tokens the server has not seen yet: it refuses them as soon as
		// they are revoked, with nothing remembered.
		mint := func(user string) string {
			r := runCLI(t, nil, append([]string{"token", "create", "--user", user}, store...)...)
			if r.code != 0 {
				t.Fatalf("token create %s: exit %d\n%s", user, r.code, r.stderr)
			}
			return strings.TrimSpace(r.stdout)
		}
		leaked, gus := mint("carol"), mint("gus")

		// -o json prints an object, as every listing does.
		r := runCLI(t, nil, append([]string{"token", "list", "--user", "carol", "-o", "json"}, store...)...)
		var listed struct{ Tokens []andon.TokenInfo }
		if err := json.Unmarshal([]byte(r.stdout), &listed); r.code != 0 || err != nil || len(listed.Tokens) != 2 {
			t.Fatalf("token list --user carol: exit %d, %v, %d tokens\n%s%s", r.code, err, len(listed.Tokens), r.stdout, r.stderr)
		}
		carols := listed.Tokens
		r = runCLI(t, nil, append([]string{"token", "list", "--user", "nobody", "-o", "json"}, store...)...)
		if r.code != 0 || r.stdout != "{\n  \"tokens\": [],\n  \"sessions\": {\n    \"open\": 0,\n    \"expired\": 0\n  }\n}\n" {
			t.Errorf("token list of no tokens -o json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		// For people, no token is a note on standard error, as with
		// every listing, and nothing for a script to read as one.
		r = runCLI(t, nil, append([]string{"token", "list", "--user", "nobody"}, store...)...)
		if r.code != 0 || r.stdout != "" || r.stderr != "no tokens\n" {
			t.Errorf("token list of no tokens: exit %d, stdout %q, stderr %q; want 0, nothing, \"no tokens\"", r.code, r.stdout, r.stderr)
		}
		r = runCLI(t, nil, append([]string{"token", "list"}, store...)...)
		if r.code != 0 || !hasLine(r.stdout, "ID            USER      SCOPE  CREATED               EXPIRES  ACCESS") || strings.Contains(r.stdout, leaked) {
			t.Errorf("token list: exit %d\n%s", r.code, r.stdout)
		}

		wantExit(t, runCLI(t, nil, append([]string{"token", "revoke", leaked}, store...)...), 0,
			"revoked token "+carols[1].ID+" (carol, api, created ")
		r = runCLI(t, nil, append([]string{"token", "revoke", "--user", "gus", "-o", "json"}, store...)...)
		var revoked struct{ Revoked []andon.TokenInfo }
		if err := json.Unmarshal([]byte(r.stdout), &revoked); r.code != 0 || err != nil || len(revoked.Revoked) != 1 || revoked.Revoked[0].User != "gus" {
			t.Errorf("token revoke --user gus -o json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		for _, tok := range []string{leaked, gus} {
			wantExit(t, runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": tok}, "whoami"), 2,
				"the bearer token is not valid: it is unknown or was revoked")
		}
		// carol's first token still works; its ID revokes it.
		wantExit(t, runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": s.tokens["carol"]}, "whoami"), 0, "carol")
		wantExit(t, runCLI(t, nil, append([]string{"token", "revoke", carols[0].ID}, store...)...), 0, "revoked token "+carols[0].ID)

		wantExit(t, runCLI(t, nil, append([]string{"token", "revoke", carols[0].ID}, store...)...), 2, "no token has the ID "+carols[0].ID)
		wantExit(t, runCLI(t, nil, append([]string{"token", "revoke"}, store...)...), 2, "missing the token: give its ID")
		missing := filepath.Join(t.TempDir(), "dta")
		wantExit(t, runCLI(t, nil, "token", "list", "--data", missing), 2, "--data "+missing+": no andon database at")

		r = runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": s.tokens["alice"]}, "audit", "entries", "--type", "token.revoked", "-o", "json")
		var page struct{ Entries []andon.Entry }
		if err := json.Unmarshal([]byte(r.stdout), &page); err != nil || len(page.Entries) != 3 {
			t.Fatalf("token.revoked entries: %v, %d\n%s%s", err, len(page.Entries), r.stdout, r.stderr)
		}
		entries := page.Entries
		for i, want := range []string{"carol", "gus", "carol"} {
			if entries[i].Subject != want || entries[i].Actor != "admin" {
				t.Errorf("entry %d: %s by %s, want about %s by admin", i, entries[i].Subject, entries[i].Actor, want)
			}
		}
	})
}

// TestTokenExpires makes a token that expires: listings show when, and
// once that time has passed the server refuses it saying so; an expiry
// that cannot be read, or has passed, is refused and makes no token.
func TestTokenExpires(t *testing.T) {
	s := MustServe(t, t.TempDir())
	store := s.storeFlags()
	before := time.Now()
	r := runCLI(t, nil, append([]string{"token", "create", "--user", "carol", "--expires", "2s", "-o", "json"}, store...)...)
	var made struct{ Token, ExpiresAt string }
	if err := json.Unmarshal([]byte(r.stdout), &made); r.code != 0 || err != nil {
		t.Fatalf("token create --expires 2s: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	expires, err := time.Parse(time.RFC3339, made.ExpiresAt)
	if err != nil || expires.Before(before.Add(2*time.Second)) || expires.After(time.Now().Add(3*time.Second)) {
		t.Fatalf("expiresAt %q, %v: want two seconds after %s, to the next whole second", made.ExpiresAt, err, before)
	}
	// People are told on standard error, the token alone going to
	// standard output.
	r = runCLI(t, nil, append([]string{"token", "create", "--user", "carol", "--expires", "90d"}, store...)...)
	said, _ := strings.CutPrefix(strings.TrimSpace(r.stderr), "the token expires at ")
	at, err := time.Parse("2006-01-02 15:04:05Z07:00", said)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "andon_") || err != nil || at.Before(before.Add(90*24*time.Hour)) || at.After(time.Now().Add(90*24*time.Hour+time.Second)) {
		t.Errorf("token create --expires 90d: exit %d, expiry %v (%v)\nstdout: %s\nstderr: %s", r.code, at, err, r.stdout, r.stderr)
	}

	// whoami says when a token expires.
	far := strings.TrimSpace(r.stdout)
	r = runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": far}, "whoami")
	if r.code != 0 || !hasLine(r.stdout, "token expires:  "+fmtSecond(at)) || r.stderr != "" {
		t.Errorf("whoami with a token for 90 days: exit %d\nstdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": made.Token}, "whoami", "-o", "json")
	var me andon.User
	if err := json.Unmarshal([]byte(r.stdout), &me); r.code != 0 || err != nil || me.TokenExpiresAt == nil || !me.TokenExpiresAt.Equal(expires) {
		t.Errorf("whoami -o json with a token for 2 seconds: exit %d, %v\nstdout: %s\nstderr: %s", r.code, err, r.stdout, r.stderr)
	}
	// Within two weeks of its expiry, a token made for 90 days is warned
	// of on every command, on standard error; one made for two seconds
	// is not.
	if r.stderr != "" {
		t.Errorf("whoami with a token made for 2 seconds: stderr %q, want nothing", r.stderr)
	}
	oldExpiry := time.Now().Add(10*24*time.Hour + time.Hour).Truncate(time.Second)
	old := mustTokenMadeAt(t, s, "carol", time.Now().Add(-80*24*time.Hour), oldExpiry)
	r = runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": old}, "calendar", "next", "--env", "prod-lyon", "--duration", "1h")
	if r.code != 0 || !strings.HasPrefix(r.stderr, "andon: warning: the API token (ANDON_TOKEN) expires at ") ||
		!strings.Contains(r.stderr, ", in 10 days: ask your platform team for a new one") {
		t.Errorf("calendar next with a token 10 days from its expiry: exit %d, want a warning\nstderr: %s", r.code, r.stderr)
	}
	r = runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": old, "ANDON_NO_EXPIRY_WARNING": "1"}, "calendar", "next", "--env", "prod-lyon", "--duration", "1h")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("with ANDON_NO_EXPIRY_WARNING=1: exit %d, stderr %q; want nothing", r.code, r.stderr)
	}
	// token list says so too, and which: the one to replace.
	r = runCLI(t, nil, append([]string{"token", "list", "--user", "carol"}, store...)...)
	if !strings.Contains(r.stdout, fmtSecond(oldExpiry)+" (in 10 days)") || strings.Count(r.stdout, " (in ") != 1 {
		t.Errorf("token list: want the token with 10 days left, alone, marked so:\n%s", r.stdout)
	}

	// The server's metrics carry the times of every token that expires,
	// for alerts.
	r = runCLI(t, nil, append([]string{"token", "list", "--user", "carol", "-o", "json"}, store...)...)
	var listed struct{ Tokens []andon.TokenInfo }
	if err := json.Unmarshal([]byte(r.stdout), &listed); err != nil {
		t.Fatal(err)
	}
	metrics := mustGet(t, s.url+"/metrics")
	for _, tok := range listed.Tokens {
		for _, name := range []string{"andon_token_expiry_timestamp_seconds", "andon_token_created_timestamp_seconds"} {
			line := fmt.Sprintf(`%s{id=%q}`, name, tok.ID)
			if has := strings.Contains(metrics, "\n"+line+" "); has != (tok.ExpiresAt != nil) {
				t.Errorf("metrics: %s present %v, want %v (expires %v)", line, has, !has, tok.ExpiresAt)
			}
		}
	}

	time.Sleep(time.Until(expires.Add(100 * time.Millisecond)))
	wantExit(t, runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": made.Token}, "whoami"), 2,
		"the bearer token is not valid: it expired at "+expires.Format(time.RFC3339))
	r = runCLI(t, nil, append([]string{"token", "list", "--user", "carol"}, store...)...)
	if r.code != 0 || strings.Join(strings.Fields(strings.SplitN(r.stdout, "\n", 2)[0]), " ") != "ID USER SCOPE CREATED EXPIRES ACCESS" || !strings.Contains(r.stdout, fmtSecond(expires)+" (expired)") {
		t.Errorf("token list: exit %d\n%s", r.code, r.stdout)
	}

	wantExit(t, runCLI(t, nil, append([]string{"token", "create", "--user", "carol", "--expires", "3 months"}, store...)...), 2,
		`--expires "3 months": want a duration such as 90d or 12h, an RFC 3339 time`)
	wantExit(t, runCLI(t, nil, append([]string{"token", "create", "--user", "carol", "--expires", "2020-01-01T00:00:00Z"}, store...)...), 2,
		`--expires "2020-01-01T00:00:00Z": that time has passed`)
	wantExit(t, runCLI(t, nil, append([]string{"token", "create", "--user", "carol", "--expires", "0s"}, store...)...), 2,
		`--expires "0s": a token must live longer than that`)
	r = runCLI(t, nil, append([]string{"token", "list", "--user", "carol", "-o", "json"}, store...)...)
	var page struct{ Tokens []andon.TokenInfo }
	// The server's own token for carol, and the three made here.
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil || len(page.Tokens) != 4 {
		t.Errorf("after the refused expiries: %d tokens, %v; want 4", len(page.Tokens), err)
	}
	tokens := page.Tokens

	wantExit(t, runCLI(t, nil, append([]string{"token", "revoke", "--expired", "--user", "carol"}, store...)...), 2,
		"--expired revokes every expired token: give no token and no --user with it")
	var id string
	for _, tok := range tokens {
		if tok.ExpiresAt != nil && tok.ExpiresAt.Equal(expires) {
			id = tok.ID
		}
	}
	wantExit(t, runCLI(t, nil, append([]string{"token", "revoke", "--expired"}, store...)...), 0,
		"revoked token "+id+" (carol, api, created ")
	wantExit(t, runCLI(t, nil, append([]string{"token", "revoke", "--expired"}, store...)...), 0, "no expired token to revoke")
}

// mustTokenMadeAt issues a token for user in the store of s as if at
// made, expiring at expires, and returns it.
func mustTokenMadeAt(t *testing.T, s *liveServer, user string, made, expires time.Time) string {
	t.Helper()
	db, err := openSignedStore(context.Background(), &serveOptions{data: s.data, db: s.db}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Now = func() time.Time { return made }
	token, err := sqlstore.NewTokenService(db).CreateToken(context.Background(), user, expires)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// TestTokenListNeedsAMigratedStore: token list opens the store read-only
// and so does not migrate it; a store that a server of an older andon
// still runs is named as such rather than failing on a missing column.
func TestTokenListNeedsAMigratedStore(t *testing.T) {
	data := t.TempDir()
	db, err := sqlstore.Open(context.Background(), sqlstore.DataPath(data))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+sqlstore.DataPath(data))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DELETE FROM schema_migrations WHERE name = '0007_token_expiry.sql'`); err != nil {
		t.Fatal(err)
	}
	wantExit(t, runCLI(t, nil, "token", "list", "--data", data), 2,
		"--data "+data+": the store is not migrated to this andon "+andon.Version+" yet (it lacks 0007_token_expiry.sql)")
}

// TestAuditVerifyKeyErrors names the key file verify could not find and
// says how to point at it, rather than failing with an internal error, and
// names the key that does not verify a log.
func TestAuditVerifyKeyErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nowhere")
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", dir), 2, "no verifier key at "+filepath.Join(dir, "audit.pub")+": give the data directory")
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", t.TempDir(), "--key", filepath.Join(dir, "my.pub")), 2, "no verifier key at "+filepath.Join(dir, "my.pub"))

	// Another log's key: the failure names the key, as its file begins,
	// and the file, since every andon key is called andon.
	s := MustServe(t, t.TempDir())
	if code := s.stop(); code != 0 {
		t.Fatalf("server exit code %d", code)
	}
	other := t.TempDir()
	wantExit(t, runCLI(t, nil, "audit", "keygen", "--data", other), 0, "audit.pub")
	pub, err := os.ReadFile(auditlog.PubPath(other))
	if err != nil {
		t.Fatal(err)
	}
	name := strings.Join(strings.SplitN(string(pub), "+", 3)[:2], "+") // andon+<key hash>
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", s.data, "--key", auditlog.PubPath(other)), 1,
		"not signed by key "+name+" (verifier key "+auditlog.PubPath(other)+")")

	// The signing key given for the verifier key.
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", s.data, "--key", auditlog.KeyPath(s.data)), 2,
		"andon: cannot use the verifier key: "+auditlog.KeyPath(s.data)+" is the signing key, which is secret, not a verifier key: give audit.pub")
	wantExit(t, runCLI(t, nil, "audit", "verify-export", "export.json", "--key", auditlog.KeyPath(s.data)), 2,
		"andon: --key: "+auditlog.KeyPath(s.data)+" is the signing key, which is secret, not a verifier key: give audit.pub")
}

// TestTokenCreateWarnsOfUnknownUsers: a token for a name no team of the
// catalog in force holds is made, since teams may follow, but with a
// warning, as a mistyped name would get a token that grants nothing.
func TestTokenCreateWarnsOfUnknownUsers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := MustServeOn(t, engine, t.TempDir())
		r := runCLI(t, nil, append([]string{"token", "create", "--user", "alcie"}, s.storeFlags()...)...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "andon_") || !strings.Contains(r.stderr, "has alcie as a member: the token authenticates, but grants no role") {
			t.Errorf("token for an unknown user: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
		if r := runCLI(t, nil, append([]string{"token", "create", "--user", "alice"}, s.storeFlags()...)...); r.code != 0 || r.stderr != "" {
			t.Errorf("token for a user of the catalog: exit %d, stderr %q", r.code, r.stderr)
		}
	})
}

// TestAuditVerifyEmptyLog: a store with no entries yet passes, saying so,
// and does not claim a checkpoint it does not have.
func TestAuditVerifyEmptyLog(t *testing.T) {
	data := t.TempDir()
	wantExit(t, runCLI(t, nil, "audit", "keygen", "--data", data), 0, "audit.pub")
	db, err := sqlstore.Open(context.Background(), sqlstore.DataPath(data))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	r := runCLI(t, nil, "audit", "verify", "--data", data)
	if r.code != 0 || r.stdout != "audit log OK: no entries yet\n" {
		t.Errorf("verify of an empty log: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// One entry is counted as one.
	wantExit(t, runCLI(t, nil, "token", "create", "--user", "alice", "--data", data), 0, "")
	r = runCLI(t, nil, "audit", "verify", "--data", data)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "audit log OK: 1 entry, root ") || !strings.Contains(r.stdout, "signed checkpoint of 1 entry verified") {
		t.Errorf("verify of a log of one entry: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestServerPathsWithAnotherMethod: /healthz, /readyz and /metrics asked
// with another method answer 405 with the methods they take, as the API's
// paths do, rather than the web UI's 404 for a page it does not have.
func TestServerPathsWithAnotherMethod(t *testing.T) {
	s := MustServe(t, t.TempDir())
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Post(s.url+path, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(resp.Header.Get("Allow"), "GET") {
			t.Errorf("POST %s: %d, Allow %q; want 405 allowing GET", path, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
	if resp, err := http.Get(s.url + "/no-such-page"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /no-such-page: %v, %v; want 404", resp, err)
	} else {
		resp.Body.Close()
	}
}

// A module that no process lists and Odoo does not ship is most likely
// misspelt: the change is created, with a warning naming the module.
func TestCreateWarnsOfUnknownModules(t *testing.T) {
	s := MustServe(t, t.TempDir())
	r := s.as(t, "alice", "change", "create", "--env", "prod-lyon", "--type", "normal", "--title", "Work orders",
		"--module", "mrp_workorderr", "--module", "mrp_workorder", "--module", "account", "--module", " MRP_workorderr")
	if r.code != 0 {
		t.Fatalf("create: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "warning: module mrp_workorderr is not an Odoo 17 core module and no business process of the catalog lists it") ||
		!strings.Contains(r.stderr, "if it is misspelt (did you mean mrp_workorder?), cancel the change") {
		t.Errorf("no warning of the misspelt module:\n%s", r.stderr)
	}
	if strings.Count(r.stderr, "warning:") != 1 {
		t.Errorf("warnings of modules that are known:\n%s", r.stderr)
	}
}

// change create shows the business processes the change affects, those
// of the modules it touches, next to the tier the policy weighed them
// for.
func TestCreateShowsProcesses(t *testing.T) {
	s := MustServe(t, t.TempDir())
	r := s.as(t, "alice", "change", "create", "--env", "prod-lyon", "--type", "normal", "--title", "Stock and MRP",
		"--module", "stock,mrp", "--migration", "--rollback-plan", "restore the backup")
	if r.code != 0 {
		t.Fatalf("create: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if want := "processes:         inventory\n                   production\ntier:"; !strings.Contains(r.stdout, want) {
		t.Errorf("create does not show the processes of stock and mrp; want %q in:\n%s", want, r.stdout)
	}
}

// A migration opened without a rollback plan is warned about; with one,
// or without a migration, it is not.
func TestCreateWarnsOfAMigrationWithoutRollbackPlan(t *testing.T) {
	s := MustServe(t, t.TempDir())
	create := func(args ...string) result {
		t.Helper()
		r := s.as(t, "alice", append([]string{"change", "create", "--env", "prod-lyon", "--type", "normal", "--title", "Stock release", "--module", "stock"}, args...)...)
		if r.code != 0 {
			t.Fatalf("create: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		return r
	}
	r := create("--migration")
	if want := "migrates the database and has no rollback plan"; !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "--rollback-plan") {
		t.Errorf("create --migration without a rollback plan: stderr lacks %q and the flag:\n%s", want, r.stderr)
	}
	if r := create("--migration", "--rollback-plan", "restore the backup taken before it"); strings.Contains(r.stderr, "warning:") {
		t.Errorf("create --migration with a rollback plan is warned about:\n%s", r.stderr)
	}
	if r := create(); strings.Contains(r.stderr, "warning:") {
		t.Errorf("create without a migration is warned about:\n%s", r.stderr)
	}
}

// The slot that calendar next finds is printed as the flags that request
// it, which change create takes as they are.
func TestCalendarNextGivesFlagsOfCreate(t *testing.T) {
	s := MustServe(t, t.TempDir())
	r := s.as(t, "alice", "calendar", "next", "--env", "prod-lyon", "--duration", "2h", "--type", "normal")
	if r.code != 0 {
		t.Fatalf("calendar next: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	_, flags, ok := strings.Cut(strings.TrimSpace(r.stdout), "\nto request it: ")
	if !ok {
		t.Fatalf("calendar next gives no flags to request the slot:\n%s", r.stdout)
	}
	slot := mustJSON[andon.Span](t, s, "alice", 0, "calendar", "next", "--env", "prod-lyon", "--duration", "2h", "--type", "normal")
	ch := mustJSON[andon.Change](t, s, "alice", 0, append([]string{"change", "create", "--env", "prod-lyon", "--type", "normal",
		"--title", "Stock release"}, strings.Fields(flags)...)...)
	if ch.Window == nil || !ch.Window.Start.Equal(slot.Start) || !ch.Window.End.Equal(slot.End) {
		t.Errorf("change create %s: window %+v, want the slot %+v", flags, ch.Window, slot)
	}
}

// A slot that overlaps a peak is offered, as the gate lets a change through
// a peak, with the peak named; --outside-peaks finds one that overlaps
// none. In the example catalog, the Sunday maintenance of Lyon opens at
// 02:00, an hour before the nightly MRP peak ends.
func TestCalendarNextPeaks(t *testing.T) {
	s := MustServe(t, t.TempDir())
	next := func(extra ...string) result {
		t.Helper()
		r := s.as(t, "alice", append([]string{"calendar", "next", "--env", "prod-lyon", "--duration", "2h", "--after", "2026-12-05T12:00:00+01:00"}, extra...)...)
		if r.code != 0 {
			t.Fatalf("calendar next %s: exit %d\n%s%s", extra, r.code, r.stdout, r.stderr)
		}
		return r
	}
	r := next()
	for _, want := range []string{
		"start Sun 2026-12-06 02:00 CET 2026-12-06 01:00Z",
		"overlaps the peak nightly-mrp: Sun 2026-12-06 01:00 CET to Sun 2026-12-06 03:00 CET (2026-12-06 00:00Z to 2026-12-06 02:00Z)",
		"to skip the slots that overlap a peak: add --outside-peaks",
	} {
		if !hasLine(squeeze(r.stdout), want) {
			t.Errorf("calendar next: stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	r = next("--outside-peaks")
	if want := "start Sun 2026-12-06 03:00 CET 2026-12-06 02:00Z"; !hasLine(squeeze(r.stdout), want) || strings.Contains(r.stdout, "peak") {
		t.Errorf("calendar next --outside-peaks: stdout lacks %q, or names a peak:\n%s", want, r.stdout)
	}
	slot := mustJSON[andon.FreeSlot](t, s, "alice", 0, "calendar", "next", "--env", "prod-lyon", "--duration", "2h", "--after", "2026-12-05T12:00:00+01:00", "--outside-peaks")
	if want := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC); !slot.Start.Equal(want) || !slot.End.Equal(want.Add(2*time.Hour)) || len(slot.Peaks) != 0 {
		t.Errorf("calendar next --outside-peaks -o json = %+v; want 2h from %s, overlapping no peak", slot, want)
	}
	// A pipeline reads the peaks the slot overlaps as a person does.
	slot = mustJSON[andon.FreeSlot](t, s, "alice", 0, "calendar", "next", "--env", "prod-lyon", "--duration", "2h", "--after", "2026-12-05T12:00:00+01:00")
	if len(slot.Peaks) != 1 || slot.Peaks[0].Window != "nightly-mrp" || !slot.Peaks[0].Start.Equal(time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("calendar next -o json: peaks %+v; want nightly-mrp from 2026-12-06T00:00:00Z", slot.Peaks)
	}
}

// A window that a freeze covers would have the gate refuse the change
// then: the change is opened, with a warning naming the freeze and how to
// find a window outside it. A change that the freeze allows, or whose
// window lies outside every freeze, is opened without one.
func TestCreateWarnsOfAWindowInAFreeze(t *testing.T) {
	s := MustServe(t, t.TempDir())
	cal := mustJSON[struct{ Occurrences []andon.Occurrence }](t, s, "alice", 0, "calendar", "show", "--env", "prod-lyon", "--days", "70")
	frozen := func(at time.Time) bool {
		for _, o := range cal.Occurrences {
			if o.Type == andon.WindowFreeze && !at.Before(o.Start) && at.Before(o.End) {
				return true
			}
		}
		return false
	}
	// The first month-end close ahead that no other freeze runs into,
	// so that the hour before it is open.
	var freeze *andon.Occurrence
	for i, o := range cal.Occurrences {
		if o.Window == "month-end-close" && o.Start.After(time.Now().Add(2*time.Hour)) && !frozen(o.Start.Add(-time.Minute)) {
			freeze = &cal.Occurrences[i]
			break
		}
	}
	if freeze == nil {
		t.Fatalf("no month-end close ahead in the calendar of prod-lyon:\n%+v", cal.Occurrences)
	}
	start, end := freeze.Start.Add(time.Hour), freeze.Start.Add(3*time.Hour)
	create := func(typ string, start, end time.Time) result {
		t.Helper()
		r := s.as(t, "alice", "change", "create", "--env", "prod-lyon", "--type", typ, "--title", "Stock release",
			"--image", "registry.example.com/odoo/odoo-lyon@sha256:"+strings.Repeat("ab", 32),
			"--start", start.Format(time.RFC3339), "--end", end.Format(time.RFC3339))
		if r.code != 0 {
			t.Fatalf("create: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		return r
	}
	// The freeze is named as the gate names it: its occurrences of two
	// consecutive days, which overlap, are one freeze until the later
	// ends.
	img := "registry.example.com/odoo/odoo-lyon@sha256:" + strings.Repeat("ab", 32)
	gate := s.as(t, "alice", "gate", "--env", "prod-lyon", "--image", img, "--at", start.Format(time.RFC3339))
	_, until, _ := strings.Cut(gate.stdout, "FROZEN: frozen by month-end-close until ")
	until, _, _ = strings.Cut(until, ";")
	if until == "" || until == freeze.End.Format(time.RFC3339) {
		t.Fatalf("gate during the month-end close: want FROZEN until after the first occurrence ends, %s:\n%s%s", freeze.End.Format(time.RFC3339), gate.stdout, gate.stderr)
	}
	r := create("normal", start, end)
	for _, want := range []string{
		"warning: the window of CHG-", "lies inside the freeze month-end-close, " + freeze.Start.Format(time.RFC3339) + " to " + until + ",",
		"which allows only emergency changes: the gate refuses", "(a normal change) during it",
		"andon calendar next --env prod-lyon --duration 2h --type normal",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("create with a window in the month-end close: stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Count(r.stderr, "warning:") != 1 {
		t.Errorf("create with a window in the month-end close: want one warning:\n%s", r.stderr)
	}
	// Its approver, shown the change, is told too, without the advice
	// to its requester; once it has ended, nobody is.
	id := strings.Fields(strings.TrimPrefix(r.stdout, "id:"))[0]
	show := s.as(t, "bob", "change", "show", id)
	if !strings.Contains(show.stderr, "warning: the window of "+id+",") || !strings.Contains(show.stderr, "which allows only emergency changes: the gate refuses "+id+" (a normal change) during it\n") ||
		strings.Contains(show.stderr, "calendar next") || strings.Count(show.stderr, "warning:") != 1 || show.code != 0 {
		t.Errorf("change show %s by its approver: exit %d, want one warning of the freeze, without the advice to its requester:\n%s", id, show.code, show.stderr)
	}
	if r := s.as(t, "bob", "change", "reject", id, "--comment", "not in the close"); r.code != 0 {
		t.Fatalf("reject: exit %d\n%s", r.code, r.stderr)
	}
	if show := s.as(t, "bob", "change", "show", id); strings.Contains(show.stderr, "warning:") {
		t.Errorf("change show of a rejected change warns of its window:\n%s", show.stderr)
	}
	// A window that runs into the freeze overlaps it.
	if r := create("normal", freeze.Start.Add(-time.Hour), freeze.Start.Add(time.Hour)); !strings.Contains(r.stderr, "overlaps the freeze month-end-close") {
		t.Errorf("create with a window running into the month-end close: no warning:\n%s", r.stderr)
	}
	if r := create("emergency", start, end); strings.Contains(r.stderr, "warning:") {
		t.Errorf("an emergency change, which the freeze allows, is warned about:\n%s", r.stderr)
	}
	open := mustJSON[andon.Span](t, s, "alice", 0, "calendar", "next", "--env", "prod-lyon", "--duration", "2h", "--type", "normal")
	if r := create("normal", open.Start, open.End); strings.Contains(r.stderr, "warning:") {
		t.Errorf("a window outside every freeze is warned about:\n%s", r.stderr)
	}
}

// catalog show lists what the server has in force, or a directory read
// offline: the same catalog gives the same tables.
func TestCatalogShow(t *testing.T) {
	s := MustServe(t, t.TempDir())
	online := s.as(t, "alice", "catalog", "show")
	offline := runCLI(t, nil, "catalog", "show", exampleCatalog)
	if online.code != 0 || offline.code != 0 {
		t.Fatalf("catalog show: exit %d and %d\n%s%s%s", online.code, offline.code, online.stderr, offline.stdout, offline.stderr)
	}
	if online.stdout != offline.stdout {
		t.Errorf("the server's catalog and the directory print differently:\n%s\n---\n%s", online.stdout, offline.stdout)
	}
	for _, want := range []string{"prod-lyon  ", "staging-lyon  ", "month-end-close", "Australia/Melbourne", "change-manager"} {
		if !strings.Contains(online.stdout, want) {
			t.Errorf("catalog show lacks %q:\n%s", want, online.stdout)
		}
	}
	// A listing of a misspelt environment says so.
	if r := s.as(t, "alice", "change", "list", "--env", "prod-lyonn"); r.code != 0 || !strings.Contains(r.stderr, `note: --env: "prod-lyonn" is not in the catalog; did you mean prod-lyon?`) {
		t.Errorf("change list --env prod-lyonn: exit %d\n%s", r.code, r.stderr)
	}
	cat := mustJSON[andon.Catalog](t, s, "alice", 0, "catalog", "show")
	if cat.Environment("prod-geelong") == nil || cat.Environment("prod-geelong").PromotesFrom != "staging-geelong" {
		t.Errorf("catalog show -o json: prod-geelong = %+v", cat.Environment("prod-geelong"))
	}
}

// TestChangeListPages: a listing read page by page, with the last ID of
// each page as the cursor of the next, shows every change once although
// changes are opened between the pages, which an offset would shift.
func TestChangeListPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := MustServeOn(t, engine, t.TempDir())
		open := func(title string) string {
			t.Helper()
			return mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "dev", "--type", "standard", "--title", title).ID
		}
		var want []string
		for i := range 5 {
			want = append([]string{open(fmt.Sprintf("change %d", i))}, want...)
		}
		type page struct {
			Changes []andon.Change
			Total   int
		}
		var got []string
		args := []string{"change", "list", "--env", "dev", "--limit", "2"}
		for range 4 {
			p := mustJSON[page](t, s, "alice", 0, args...)
			for _, c := range p.Changes {
				got = append(got, c.ID)
			}
			if len(p.Changes) == 0 {
				break
			}
			// The human view says how to get the next page.
			last := p.Changes[len(p.Changes)-1].ID
			if r := s.as(t, "alice", args...); len(p.Changes) < p.Total && !strings.Contains(r.stderr, "the next page: --before "+last+"\n") {
				t.Errorf("andon %s: stderr = %q, want it to name --before %s", strings.Join(args, " "), r.stderr, last)
			}
			open("opened meanwhile")
			args = []string{"change", "list", "--env", "dev", "--limit", "2", "--before", last}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("changes listed page by page (-opened +listed):\n%s", diff)
		}

		wantExit(t, s.as(t, "alice", "change", "list", "--before", "CHG-999"), 2, "andon: --before: no change CHG-999\n")
	})
}

// TestAuditTypeMisspelt: an event type the audit log does not record is
// refused, naming the flag and the types, where it listed no entries, as
// if none of that kind had been recorded; every type it records completes.
func TestAuditTypeMisspelt(t *testing.T) {
	s := MustServe(t, t.TempDir())
	for _, cmd := range []string{"entries", "export"} {
		wantExit(t, s.as(t, "alice", "audit", cmd, "--type", "change.aproved"), 2,
			`andon: --type: "change.aproved" is not an event type of the audit log; want one of change.created, change.approved, `)
	}
	wantExit(t, s.as(t, "alice", "audit", "entries", "--type", andon.EventCatalogLoaded), 0, andon.EventCatalogLoaded)

	r := runCLI(t, nil, "__complete", "audit", "entries", "--type", "")
	for _, typ := range andon.EventTypes {
		if !hasLine(r.stdout, typ) {
			t.Errorf("--type completes without %s:\n%s", typ, r.stdout)
		}
	}
}

// With --log-format json, what stops andon serve or andon demo is a
// record of its log, level ERROR, with the message in err and the exit
// code it had: standard error holds nothing but JSON records, which a log
// pipeline parses whole. The text format keeps the plain line.
func TestServeFailureInTheLogFormat(t *testing.T) {
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "plants.yaml"), []byte("apiVersion: andon/v1\nkind: Plant\nmetadata: {name: lyon}\nspec: {timezone: Europe/Lyon}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	data := filepath.Join(t.TempDir(), "data")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no catalog", []string{"serve"}, 2, "--catalog: required (the directory of catalog YAML), or --catalog-git URL"},
		{"invalid catalog", []string{"serve", "--catalog", bad}, 1, "catalog is not valid"},
		{"bad flag value", []string{"serve", "--catalog", exampleCatalog, "--traefik-major", "4"}, 2, "--traefik-major 4: want 2 or 3"},
		{"bad log level", []string{"serve", "--catalog", exampleCatalog, "--log-level", "loud"}, 2, `--log-level: "loud" is not debug, info, warn or error`},
		{"negative session lifetime", []string{"serve", "--catalog", exampleCatalog, "--session-lifetime", "-1h"}, 2, "--session-lifetime -1h0m0s: want a positive duration, such as 12h"},
		{"port in use", []string{"serve", "--catalog", exampleCatalog, "--addr", busy.Addr().String()}, 2, "the address is in use"},
		{"demo bad flag value", []string{"demo", "--traefik-major", "4"}, 2, "--traefik-major 4: want 2 or 3"},
		{"demo port in use", []string{"demo", "--addr", busy.Addr().String()}, 2, "the address is in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{tt.args[0], "--addr", "127.0.0.1:0", "--data", data, "--log-format", "json"}, tt.args[1:]...)
			r := runCLI(t, nil, args...)
			if r.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", r.code, tt.wantCode, r.stderr)
			}
			records := mustJSONRecords(t, r.stderr)
			last := records[len(records)-1]
			wantMsg := "andon " + tt.args[0] + " stopped"
			if last.Level != "ERROR" || last.Msg != wantMsg || !strings.Contains(last.Err, tt.wantErr) {
				t.Errorf("last record = %+v, want level ERROR, msg %q and err with %q", last, wantMsg, tt.wantErr)
			}

			text := runCLI(t, nil, append(args, "--log-format", "text")...)
			if text.code != tt.wantCode || !strings.HasPrefix(text.stderr, "andon: ") || !strings.Contains(text.stderr, tt.wantErr) {
				t.Errorf("in the text format: exit %d, stderr %q; want %d and the plain message", text.code, text.stderr, tt.wantCode)
			}
		})
	}
}

// logRecord is a record of andon's JSON log, with the attributes of a
// problem in a catalog or a policy.
type logRecord struct {
	Level, Msg, Err, Source, File, Document, Field string
	Line                                           int
}

// mustJSONRecords parses stderr as andon's JSON log, failing the test on a
// line that is no JSON record or when there is none.
func mustJSONRecords(t *testing.T, stderr string) []logRecord {
	t.Helper()
	var records []logRecord
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		var rec logRecord
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("standard error has a line that is no JSON record, %q: %v", l, err)
		}
		records = append(records, rec)
	}
	return records
}

// An invalid catalog or policy at start is logged with --log-format json
// one record per problem, with its place, as a refused reload is, then the
// record of the stop: all its problems in the stop's err were one line
// with escaped line breaks, and no place a log query could select.
func TestServeInvalidAtStartLoggedPerProblem(t *testing.T) {
	cat := t.TempDir()
	mustCopyDir(t, exampleCatalog, cat)
	plants := filepath.Join(cat, "plants.yaml")
	b, err := os.ReadFile(plants)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte("criticality: critical"), []byte("criticality: severe"), 1)
	b = bytes.Replace(b, []byte("criticality: high"), []byte("criticality: big"), 1)
	if err := os.WriteFile(plants, b, 0o644); err != nil {
		t.Fatal(err)
	}
	pol := t.TempDir()
	if err := os.WriteFile(filepath.Join(pol, "risk.rego"), []byte("package andon.risk\n\nimport rego.v1\n\ntier := \"low\" if {\n  input.x ==\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		args       []string
		want       []logRecord
		wantFinish string
	}{
		{"catalog", []string{"--catalog", cat}, []logRecord{
			{Level: "ERROR", Msg: "catalog is not valid", Source: "dir " + cat, File: "plants.yaml", Line: 10, Document: "Plant/lyon", Field: "spec.criticality", Err: `"severe" is not one of critical, high, medium, low`},
			{Level: "ERROR", Msg: "catalog is not valid", Source: "dir " + cat, File: "plants.yaml", Line: 17, Document: "Plant/geelong", Field: "spec.criticality", Err: `"big" is not one of critical, high, medium, low`},
		}, "catalog is not valid: 2 problems in dir " + cat + ", logged above"},
		{"policy", []string{"--catalog", exampleCatalog, "--policy", pol}, []logRecord{
			{Level: "ERROR", Msg: "policy is not valid", Source: "dir " + pol, File: filepath.Join(pol, "risk.rego"), Line: 7, Err: "rego_parse_error: unexpected } token"},
		}, "policy is not valid: 1 problem in dir " + pol + ", logged above"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--log-format", "json"}, tt.args...)...)
			if r.code != 1 {
				t.Errorf("exit code = %d, want 1; stderr:\n%s", r.code, r.stderr)
			}
			want := append(tt.want, logRecord{Level: "ERROR", Msg: "andon serve stopped", Err: tt.wantFinish})
			if diff := cmp.Diff(want, mustJSONRecords(t, r.stderr)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

// A change whose window has already ended is refused when it is opened,
// exit code 2, naming --end: a pipeline that passes a stale time gets an
// error, not a change that could never be deployed and that its next run
// would find open and wait on.
func TestChangeCreateWindowEnded(t *testing.T) {
	s := MustServe(t, t.TempDir())
	end := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	r := s.as(t, "alice", "change", "create", "--env", "staging-lyon", "--type", "normal", "--title", "Labels",
		"--image", imageRelease, "--start", end.Add(-2*time.Hour).Format(time.RFC3339), "--end", end.Format(time.RFC3339), "-o", "json")
	wantExit(t, r, 2, "andon: --end: "+end.Format(time.RFC3339)+" has passed (the server's time is ")
	if r.stdout != "" {
		t.Errorf("stdout of the refusal: %q, want nothing", r.stdout)
	}
	if list := mustJSON[struct{ Changes []andon.Change }](t, s, "alice", 0, "change", "list", "--image", imageRelease); len(list.Changes) != 0 {
		t.Errorf("changes after the refusal: %+v; want none", list.Changes)
	}
}

// TestChangeWindowAfterCreateAndApprove shows the window of a change once
// it is opened and once it is approved, as change show shows it (in the
// plant's time, then in UTC), in the table view alone: the JSON is the
// change, as before.
func TestChangeWindowAfterCreateAndApprove(t *testing.T) {
	s := MustServe(t, t.TempDir())
	start := time.Date(2031, 3, 9, 1, 0, 0, 0, time.UTC)
	create := []string{"change", "create", "--env", "prod-lyon", "--type", "normal", "--title", "Work-order tablet layout", "--module", "mrp_workorder",
		"--start", start.Format(time.RFC3339), "--end", start.Add(2 * time.Hour).Format(time.RFC3339)}
	want := []string{"window: Sun 2031-03-09 02:00 CET to Sun 2031-03-09 04:00 CET (Europe/Paris)", "2031-03-09 01:00Z to 2031-03-09 03:00Z"}
	created := s.as(t, "alice", create...)
	if created.code != 0 {
		t.Fatalf("change create: exit %d\n%s%s", created.code, created.stdout, created.stderr)
	}
	if shown := s.as(t, "alice", "change", "show", "CHG-1"); !containsInOrder(squeeze(shown.stdout), want) {
		t.Fatalf("change show CHG-1 lacks %q:\n%s", want, shown.stdout)
	}
	if !containsInOrder(squeeze(created.stdout), want) {
		t.Errorf("change create lacks the window as change show gives it, %q:\n%s", want, created.stdout)
	}
	if approved := s.as(t, "bob", "change", "approve", "CHG-1"); approved.code != 0 || !containsInOrder(squeeze(approved.stdout), want) {
		t.Errorf("change approve: exit %d; want 0 and the window as change show gives it, %q:\n%s%s", approved.code, want, approved.stdout, approved.stderr)
	}
	// Programs get the change alone, its window in UTC as stored.
	for _, c := range []struct {
		user string
		args []string
	}{{"alice", create}, {"bob", []string{"change", "approve", "CHG-2"}}} {
		r := s.as(t, c.user, append(c.args, "-o", "json")...)
		var ch map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &ch); r.code != 0 || err != nil || strings.Contains(r.stdout, "Europe/Paris") {
			t.Errorf("andon %s -o json: exit %d, %v; want the change alone:\n%s%s", strings.Join(c.args, " "), r.code, err, r.stdout, r.stderr)
		}
		if got := ch["window"]; !reflect.DeepEqual(got, map[string]any{"start": "2031-03-09T01:00:00Z", "end": "2031-03-09T03:00:00Z"}) {
			t.Errorf("andon %s -o json: window %v", strings.Join(c.args, " "), got)
		}
	}
}
