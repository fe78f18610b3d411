package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/calendar"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/examples"
	"github.com/andon-governance/andon/policy"
	"github.com/andon-governance/andon/server"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/note"

	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
)

// env is a store with the services over it, the example catalog, the
// default policy and a clock the test moves.
type env struct {
	engine    string
	dsn       string
	db        *sqlstore.DB
	dir       string
	now       time.Time
	changes   *sqlstore.ChangeService
	gate      *sqlstore.GateService
	audit     *sqlstore.AuditService
	tokens    *sqlstore.TokenService
	incidents *sqlstore.IncidentService
	backups   *sqlstore.BackupService
	cal       *calendar.Service
	catalog   *andon.CatalogHolder
	policy    *policy.Engine
}

// eachEngine runs test against a new store on SQLite, and on PostgreSQL
// when ANDON_TEST_POSTGRES is set.
func eachEngine(t *testing.T, test func(t *testing.T, e *env)) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) { test(t, MustOpen(t, engine)) })
	}
}

// MustOpen opens a new store on engine, its signing key in a temporary
// directory.
func MustOpen(tb testing.TB, engine string) *env {
	tb.Helper()
	dir := tb.TempDir()
	e := &env{engine: engine, dir: dir, dsn: sqlstoretest.DSN(tb, engine, dir)}
	return e.open(tb, time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
}

// MustOpenReplica opens a second store on the database of e, with the same
// signing key, as a second server process would: on PostgreSQL the two
// write concurrently.
func (e *env) MustOpenReplica(tb testing.TB) *env {
	tb.Helper()
	r := &env{engine: e.engine, dir: e.dir, dsn: e.dsn}
	return r.open(tb, e.now)
}

func (e *env) open(tb testing.TB, now time.Time) *env {
	tb.Helper()
	ctx := context.Background()
	cat, err := catalog.LoadFS(examples.Catalog, "catalog")
	if err != nil {
		tb.Fatal(err)
	}
	pol, err := policy.New(ctx, "")
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := auditlog.LoadOrCreateKey(e.dir, "andon")
	if err != nil {
		tb.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, e.dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	e.db, e.now = db, now
	db.Signer = signer
	db.Now = func() time.Time { return e.now }
	holder := andon.NewCatalogHolder(cat)
	e.catalog, e.policy = holder, pol
	e.cal = calendar.NewService(holder)
	e.changes = sqlstore.NewChangeService(db, holder, pol, e.cal)
	e.gate = sqlstore.NewGateService(db, e.changes, holder, pol, e.cal, slog.New(slog.DiscardHandler))
	e.audit = sqlstore.NewAuditService(db)
	e.tokens = sqlstore.NewTokenService(db)
	e.incidents = sqlstore.NewIncidentService(db, holder)
	e.backups = sqlstore.NewBackupService(db, holder, pol)
	return e
}

// MustBreakAudit makes every audit append fail, as a full disk or a broken
// table would, until the returned function repairs it. It works behind
// the store's back, through a connection of its own.
func (e *env) MustBreakAudit(tb testing.TB) (repair func()) {
	tb.Helper()
	raw := e.mustRaw(tb)
	var breakSQL, repairSQL []string
	switch e.engine {
	case "sqlite":
		breakSQL = []string{`CREATE TRIGGER audit_fails BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'disk full'); END`}
		repairSQL = []string{`DROP TRIGGER audit_fails`}
	case "postgres":
		breakSQL = []string{
			`CREATE FUNCTION audit_fails() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$`,
			`CREATE TRIGGER audit_fails BEFORE INSERT ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_fails()`,
		}
		repairSQL = []string{`DROP TRIGGER audit_fails ON audit_entries`, `DROP FUNCTION audit_fails()`}
	}
	for _, q := range breakSQL {
		if _, err := raw.Exec(q); err != nil {
			tb.Fatal(err)
		}
	}
	return func() {
		for _, q := range repairSQL {
			if _, err := raw.Exec(q); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

func as(user string) context.Context {
	return andon.NewContextWithUser(context.Background(), &andon.User{Name: user})
}

const (
	imageStaged = "registry.example.com/odoo/odoo:17.0@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	imageNew    = "registry.example.com/odoo/odoo:17.1@sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

// MustStage deploys image to staging-geelong through the gate and completes it.
func (e *env) MustStage(tb testing.TB, image string) {
	tb.Helper()
	res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "staging-geelong", Image: image})
	if err != nil || !res.Allow {
		tb.Fatalf("staging gate: %v %+v", err, res)
	}
	if _, err := e.changes.Transition(as("alice"), res.Change.ID, andon.StateCompleted, ""); err != nil {
		tb.Fatal(err)
	}
}

func (e *env) verify(tb testing.TB) *auditlog.Report {
	tb.Helper()
	v, err := auditlog.LoadVerifier(filepath.Join(e.dir, "audit.pub"))
	if err != nil {
		tb.Fatal(err)
	}
	r, err := auditlog.Verify(context.Background(), e.db, v)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func TestEmergencyReviewOverdue(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.MustStage(t, imageStaged)
		c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "prod-geelong", Type: andon.ChangeEmergency, Title: "Hotfix labels",
			Artifacts: []string{imageStaged}, Facts: andon.Facts{Modules: []string{"delivery"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := c.Risk.Approvals; len(diff) != 1 || diff[0].Role != andon.RoleEmergencyApprover {
			t.Fatalf("emergency approvals = %+v, want one emergency-approver", c.Risk.Approvals)
		}
		if _, err := e.changes.Decide(as("erin"), c.ID, andon.Approve, "outage"); err != nil {
			t.Fatal(err)
		}
		res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged})
		if err != nil || !res.Allow {
			t.Fatalf("emergency gate outside maintenance: %v %+v", err, res)
		}
		if res.Change.State != andon.StateImplementing || res.Change.ReviewDue == nil || !res.Change.ReviewDue.Equal(e.now.Add(48*time.Hour)) {
			t.Fatalf("after the gate: state %s, review due %v; want implementing, due in 48h", res.Change.State, res.Change.ReviewDue)
		}

		findings, err := e.changes.Findings(context.Background())
		if err != nil || len(findings) != 0 {
			t.Fatalf("findings before the deadline = %+v, %v; want none", findings, err)
		}
		// The review is owed before it is due, and stays owed until given.
		owed := func() []string {
			t.Helper()
			list, _, err := e.changes.FindChanges(context.Background(), andon.ChangeFilter{ReviewOwed: true})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range list {
				ids = append(ids, c.ID)
			}
			return ids
		}
		if got := owed(); !slices.Equal(got, []string{c.ID}) {
			t.Errorf("reviews owed before the deadline: %v, want %s", got, c.ID)
		}
		e.now = e.now.Add(49 * time.Hour)
		findings, err = e.changes.Findings(context.Background())
		if err != nil || len(findings) != 1 || findings[0].ChangeID != c.ID || findings[0].Code != "REVIEW_OVERDUE" {
			t.Fatalf("findings after the deadline = %+v, %v; want REVIEW_OVERDUE for %s", findings, err, c.ID)
		}
		if got := owed(); !slices.Equal(got, []string{c.ID}) {
			t.Errorf("reviews owed after the deadline: %v, want %s", got, c.ID)
		}
		// A later deployment is recorded with where the review stands,
		// not with the 48 h the first one was given.
		due := res.Change.ReviewDue.UTC().Format(time.RFC3339)
		later, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged})
		if err != nil || !later.Allow || len(later.Reasons) != 1 || !strings.HasSuffix(later.Reasons[0].Message, "its retrospective review was due at "+due+" and is overdue") {
			t.Errorf("gate after the deadline: %v %+v; want allowed, saying the review due at %s is overdue", err, later, due)
		}

		if _, err := e.changes.ReviewChange(as("alice"), c.ID, "looks fine"); andon.ErrorCode(err) != andon.EFORBIDDEN {
			t.Errorf("requester reviewing own change: %v, want forbidden", err)
		}
		if _, err := e.changes.ReviewChange(as("erin"), c.ID, "looks fine"); andon.ErrorCode(err) != andon.EFORBIDDEN {
			t.Errorf("non change-manager reviewing: %v, want forbidden", err)
		}
		if _, err := e.changes.ReviewChange(as("bob"), c.ID, "root cause understood, test added"); err != nil {
			t.Fatal(err)
		}
		findings, _ = e.changes.Findings(context.Background())
		if len(findings) != 0 {
			t.Errorf("findings after the review = %+v, want none", findings)
		}
		if got := owed(); got != nil {
			t.Errorf("reviews owed after the review: %v, want none", got)
		}
		reviewed, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged})
		if err != nil || !reviewed.Allow || len(reviewed.Reasons) != 1 || !strings.HasSuffix(reviewed.Reasons[0].Message, "its retrospective review was given by bob") {
			t.Errorf("gate after the review: %v %+v; want allowed, saying bob gave the review", err, reviewed)
		}
		if r := e.verify(t); !r.OK {
			t.Errorf("audit verify: %+v", r)
		}
	})
}

// The overdue reviews a look at the findings lists are bounded, as the
// other findings are: the longest overdue first, whatever the order in
// which the changes were opened, and only those; a review given or not
// yet due takes no place among them. A store with years of reviews never
// given listed them all.
func TestOverdueReviewsAreBounded(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		start := e.now
		// implement opens an emergency change at the time of the test and
		// starts it at, so that its review is due 48h after.
		implement := func(title string, at time.Time) *andon.Change {
			t.Helper()
			c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "prod-geelong", Type: andon.ChangeEmergency, Title: title})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.changes.Decide(as("erin"), c.ID, andon.Approve, "outage"); err != nil {
				t.Fatal(err)
			}
			now := e.now
			e.now = at
			defer func() { e.now = now }()
			if c, err = e.changes.Transition(as("alice"), c.ID, andon.StateImplementing, "at once"); err != nil {
				t.Fatal(err)
			}
			return c
		}
		// Opened in one order, due in another.
		latest := implement("Hotfix labels", start.Add(10*time.Hour))
		e.now = start.Add(time.Minute)
		first := implement("Hotfix routing", start.Add(time.Hour))
		reviewed := implement("Hotfix MRP", start.Add(time.Minute))
		middle := implement("Hotfix stock", start.Add(5*time.Hour))
		notYet := implement("Hotfix invoices", start.Add(40*time.Hour))
		if _, err := e.changes.ReviewChange(as("bob"), reviewed.ID, "root cause understood"); err != nil {
			t.Fatal(err)
		}
		e.now = start.Add(80 * time.Hour)

		overdue := func() (got []string) {
			t.Helper()
			findings, err := e.changes.Findings(context.Background(), andon.FindingReviewOverdue)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range findings {
				got = append(got, f.ChangeID)
			}
			return got
		}
		if got, want := overdue(), []string{first.ID, middle.ID, latest.ID}; !slices.Equal(got, want) {
			t.Fatalf("overdue reviews: %v, want %v, the longest overdue first (%s was reviewed, %s is not due)", got, want, reviewed.ID, notYet.ID)
		}
		e.changes.SetFindingsBound(2)
		if got, want := overdue(), []string{first.ID, middle.ID}; !slices.Equal(got, want) {
			t.Errorf("overdue reviews, two at most: %v, want %v, the two longest overdue", got, want)
		}
		all, err := e.changes.Findings(context.Background())
		if err != nil || len(all) != 2 || all[0].ChangeID != first.ID || all[1].ChangeID != middle.ID {
			t.Errorf("every finding, two of each at most: %+v, %v; want the reviews of %s and %s", all, err, first.ID, middle.ID)
		}
	})
}

func TestAuditFailureChangesNothing(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: "first"}); err != nil {
			t.Fatal(err)
		}
		before := e.verify(t)

		repair := e.MustBreakAudit(t)

		if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: "second"}); err == nil {
			t.Fatal("create succeeded although its audit entry could not be written")
		}
		// Each write refused is counted, for an alert to say so.
		if got := e.db.AuditFailures(); got[sqlstore.AuditFailedWrite] != 1 || got[sqlstore.AuditFailedKey] != 0 {
			t.Errorf("audit failures after a create refused: %v; want 1 write", got)
		}
		res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "staging-lyon", Image: imageNew})
		if err == nil || res.Allow {
			t.Fatalf("gate with a failing audit log: allow=%v err=%v; want a denial and an error", res.Allow, err)
		}
		if got := e.db.AuditFailures()[sqlstore.AuditFailedWrite]; got < 2 {
			t.Errorf("audit write failures after a gate decision refused: %d; want it counted", got)
		}
		changes, total, err := e.changes.FindChanges(context.Background(), andon.ChangeFilter{})
		if err != nil || total != 1 || changes[0].Title != "first" {
			t.Fatalf("changes after failed writes: %d (%v); want only the first", total, err)
		}

		repair()
		after := e.verify(t)
		if !after.OK || after.Entries != before.Entries {
			t.Errorf("audit log after failed writes: %+v; want OK with %d entries", after, before.Entries)
		}
		failed := e.db.AuditFailures()
		if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: "third"}); err != nil {
			t.Fatal(err)
		}
		if got := e.db.AuditFailures(); !maps.Equal(got, failed) {
			t.Errorf("audit failures after a write that succeeded: %v; want them as they were, %v", got, failed)
		}
	})
}

func TestConcurrentApprovalsOfOneSlot(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "report tweak", Facts: andon.Facts{Modules: []string{"account"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		// bob and brigitte both hold change-manager and neither owns finance:
		// only one of them may fill the one change-manager slot. Writes are
		// serialised (one writer, and the audit checkpoint's row lock across
		// processes), so the second sees the first's approval and is refused
		// by the slot rule; TestRacingApprovalsOnTwoReplicas races them
		// through two stores.
		errs := make(chan error, 2)
		for _, u := range []string{"bob", "brigitte"} {
			go func() {
				_, err := e.changes.Decide(as(u), c.ID, andon.Approve, "")
				errs <- err
			}()
		}
		var failed int
		for range 2 {
			if err := <-errs; err != nil {
				failed++
			}
		}
		got, _ := e.changes.FindChangeByID(context.Background(), c.ID)
		var approvals int
		for _, a := range got.Approvals {
			if a.Role == andon.RoleChangeManager {
				approvals++
			}
		}
		if approvals != 1 || failed != 1 {
			t.Errorf("change-manager slot filled %d times with %d refusals; want 1 and 1", approvals, failed)
		}
	})
}

func TestFindChangesFilters(t *testing.T) {
	const (
		digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	)
	eachEngine(t, func(t *testing.T, e *env) {
		var ids []string
		for _, req := range []andon.ChangeRequest{
			{Environment: "dev", Type: andon.ChangeNormal, Title: "Barcode scanner tweak"},
			{Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "Invoice layout", Facts: andon.Facts{Modules: []string{"account"}},
				Artifacts: []string{"registry.example.com/odoo/odoo:17.0-a@" + digestA, "registry.example.com/odoo/addons@" + digestB}},
			{Environment: "prod-lyon", Type: andon.ChangeStandard, Title: "Routine restart",
				Artifacts: []string{"registry.example.com/odoo/odoo-mirror@" + digestA}},
		} {
			c, err := e.changes.CreateChange(as("alice"), &req)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		tests := []struct {
			filter andon.ChangeFilter
			want   []string
		}{
			{andon.ChangeFilter{}, []string{"Routine restart", "Invoice layout", "Barcode scanner tweak"}},
			{andon.ChangeFilter{Environment: "prod-lyon"}, []string{"Routine restart", "Invoice layout"}},
			{andon.ChangeFilter{State: andon.StateApproved}, []string{"Routine restart", "Barcode scanner tweak"}},
			{andon.ChangeFilter{Tier: andon.LevelLow}, []string{"Routine restart", "Barcode scanner tweak"}},
			{andon.ChangeFilter{Type: andon.ChangeStandard}, []string{"Routine restart"}},
			{andon.ChangeFilter{Type: andon.ChangeNormal, Environment: "prod-lyon"}, []string{"Invoice layout"}},
			{andon.ChangeFilter{Type: andon.ChangeEmergency}, nil},
			{andon.ChangeFilter{ReviewOwed: true}, nil},
			{andon.ChangeFilter{Query: "INVOICE"}, []string{"Invoice layout"}},
			{andon.ChangeFilter{Query: "inv"}, []string{"Invoice layout"}},
			{andon.ChangeFilter{Query: "scanner"}, []string{"Barcode scanner tweak"}},
			{andon.ChangeFilter{Query: "'); DROP TABLE changes; --"}, nil},
			{andon.ChangeFilter{Query: "!&|:*"}, nil},
			// LIKE's wildcards are text like any other.
			{andon.ChangeFilter{Query: "%"}, nil},
			{andon.ChangeFilter{Query: "_"}, nil},
			{andon.ChangeFilter{Query: "e_r"}, nil},
			{andon.ChangeFilter{Limit: 1, Offset: 1}, []string{"Invoice layout"}},
			{andon.ChangeFilter{Before: ids[2]}, []string{"Invoice layout", "Barcode scanner tweak"}},
			{andon.ChangeFilter{Before: strings.ToLower(ids[1])}, []string{"Barcode scanner tweak"}},
			{andon.ChangeFilter{Before: ids[2], Environment: "prod-lyon"}, []string{"Invoice layout"}},
			{andon.ChangeFilter{Before: ids[0]}, nil},
			// An image is its repository and digest; the tag does not count,
			// nor does the same digest under another name.
			{andon.ChangeFilter{Image: "registry.example.com/odoo/odoo@" + digestA}, []string{"Invoice layout"}},
			{andon.ChangeFilter{Image: "registry.example.com/odoo/odoo:other@" + digestA}, []string{"Invoice layout"}},
			{andon.ChangeFilter{Image: "registry.example.com/odoo/addons@" + digestB, Environment: "prod-lyon"}, []string{"Invoice layout"}},
			{andon.ChangeFilter{Image: "registry.example.com/odoo/odoo-mirror@" + digestA}, []string{"Routine restart"}},
			{andon.ChangeFilter{Image: "registry.example.com/odoo/odoo@" + digestB}, nil},
			{andon.ChangeFilter{Image: "registry.example.com/odoo/odoo@" + digestA, Environment: "dev"}, nil},
			// A process is affected through the modules that implement it.
			{andon.ChangeFilter{Process: "finance"}, []string{"Invoice layout"}},
			{andon.ChangeFilter{Process: "finance", Type: andon.ChangeNormal, Environment: "prod-lyon"}, []string{"Invoice layout"}},
			{andon.ChangeFilter{Process: "finance", Environment: "dev"}, nil},
			{andon.ChangeFilter{Process: "production"}, nil},
			{andon.ChangeFilter{Process: "nowhere"}, nil},
			// IDs keeps those changes alone, newest first, whatever the
			// case of the prefix; an unknown one keeps nothing, and no
			// ID at all keeps no change.
			{andon.ChangeFilter{IDs: []string{ids[0], strings.ToLower(ids[2]), "CHG-999"}}, []string{"Routine restart", "Barcode scanner tweak"}},
			{andon.ChangeFilter{IDs: []string{ids[0], ids[1]}, Environment: "prod-lyon"}, []string{"Invoice layout"}},
			{andon.ChangeFilter{IDs: []string{}}, nil},
		}
		for _, tt := range tests {
			got, _, err := e.changes.FindChanges(context.Background(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, c := range got {
				titles = append(titles, c.Title)
			}
			if strings.Join(titles, "|") != strings.Join(tt.want, "|") {
				t.Errorf("FindChanges(%+v) = %q, want %q", tt.filter, titles, tt.want)
			}
		}

		// A cursor counts what is left: the total of the next page.
		if _, total, err := e.changes.FindChanges(context.Background(), andon.ChangeFilter{Before: ids[2], Limit: 1}); err != nil || total != 2 {
			t.Errorf("FindChanges(before %s) total = %d, %v; want 2", ids[2], total, err)
		}
		if _, _, err := e.changes.FindChanges(context.Background(), andon.ChangeFilter{Before: "CHG-999"}); andon.ErrorCode(err) != andon.EINVALID ||
			andon.ErrorMessage(err) != "before: no change CHG-999" {
			t.Errorf("FindChanges(before an unknown change) = %v; want invalid: before: no change CHG-999", err)
		}
		if _, _, err := e.changes.FindChanges(context.Background(), andon.ChangeFilter{Image: "registry.example.com/odoo/odoo:17.0"}); andon.ErrorCode(err) != andon.EINVALID ||
			!strings.Contains(andon.ErrorMessage(err), "not pinned by digest") {
			t.Errorf("FindChanges(an image by tag) = %v; want invalid: not pinned by digest", err)
		}
		if _, _, err := e.changes.FindChanges(context.Background(), andon.ChangeFilter{IDs: make([]string, 1001)}); andon.ErrorCode(err) != andon.EINVALID ||
			andon.ErrorMessage(err) != "ids: 1001 changes; a listing takes at most 1000" {
			t.Errorf("FindChanges(1001 IDs) = %v; want invalid: ids: 1001 changes; a listing takes at most 1000", err)
		}
	})
}

// TestFindChangesSearchWords takes a search of up to andon.MaxSearchWords
// words, however they are separated, and refuses a longer one as bad
// input, where thousands of words failed in the database as an internal
// error.
func TestFindChangesSearchWords(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: "Invoice layout"}); err != nil {
			t.Fatal(err)
		}
		words := func(n int, sep string) string { return strings.Repeat("invoice"+sep, n-1) + "layout" }
		got, _, err := e.changes.FindChanges(context.Background(), andon.ChangeFilter{Query: words(andon.MaxSearchWords, " ")})
		if err != nil || len(got) != 1 {
			t.Errorf("a search of %d words = %d changes, %v; want the one", andon.MaxSearchWords, len(got), err)
		}
		for _, q := range []string{words(andon.MaxSearchWords+1, " "), words(andon.MaxSearchWords+1, "-"), words(5000, " ")} {
			n := strings.Count(q, "invoice") + 1
			_, _, err := e.changes.FindChanges(context.Background(), andon.ChangeFilter{Query: q})
			if want := fmt.Sprintf("q: %d words; a search takes at most %d", n, andon.MaxSearchWords); andon.ErrorCode(err) != andon.EINVALID || !strings.HasPrefix(andon.ErrorMessage(err), want) {
				t.Errorf("a search of %d words = %v; want invalid: %s", n, err, want)
			}
		}
	})
}

// TestFindChangesTextAnyScript searches titles in German and French, whose
// capitals are not ASCII, and by several words in any order, on both
// engines alike.
func TestFindChangesTextAnyScript(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		for _, title := range []string{"Überarbeitung der Buchungslogik", "Étiquettes de palette", "Label printer fix"} {
			if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: title}); err != nil {
				t.Fatal(err)
			}
		}
		for q, want := range map[string]string{
			"überarbeitung":      "Überarbeitung der Buchungslogik",
			"ÜBERARBEITUNG":      "Überarbeitung der Buchungslogik",
			"étiquettes":         "Étiquettes de palette",
			"ÉTIQUETTES PALETTE": "Étiquettes de palette",
			"label fix":          "Label printer fix",
			"fix label":          "Label printer fix",
			"labels print":       "",
		} {
			got, _, err := e.changes.FindChanges(context.Background(), andon.ChangeFilter{Query: q})
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, c := range got {
				titles = append(titles, c.Title)
			}
			if strings.Join(titles, "|") != want {
				t.Errorf("FindChanges(q=%q) = %q, want %q", q, titles, want)
			}
		}
	})
}

func TestTokens(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, err := e.tokens.CreateToken(context.Background(), "bob", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.tokens.Authenticate(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		// The ID is the hash the store keeps, which names the token.
		sum := sha256.Sum256([]byte(tok))
		if diff := cmp.Diff(andon.Bearer{User: "bob", ID: hex.EncodeToString(sum[:]), CreatedAt: e.now.UTC()}, b); diff != "" {
			t.Errorf("Authenticate: bob's, never expiring (-want +got):\n%s", diff)
		}
		if _, err := e.tokens.Authenticate(context.Background(), tok+"x"); andon.ErrorCode(err) != andon.EUNAUTHORIZED {
			t.Errorf("wrong token: %v, want unauthorized", err)
		}
		entries, err := e.audit.FindEntries(context.Background(), andon.AuditFilter{Type: andon.EventTokenCreated, After: -1})
		if err != nil || len(entries) != 1 || entries[0].Subject != "bob" {
			t.Fatalf("token audit entries = %+v, %v", entries, err)
		}
		if strings.Contains(string(entries[0].Data), tok) {
			t.Error("the audit log holds the token in clear")
		}
	})
}

// TestTokenDeletedStopsWorking checks the cache of authenticated tokens: a
// token deleted from the database behind the service's back still opens
// for at most ten seconds, and an unknown token is never remembered.
func TestTokenDeletedStopsWorking(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		tok, err := e.tokens.CreateToken(ctx, "bob", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.tokens.Authenticate(ctx, "andon_unknown"); andon.ErrorCode(err) != andon.EUNAUTHORIZED {
			t.Fatalf("unknown token: %v", err)
		}
		if b, err := e.tokens.Authenticate(ctx, tok); err != nil || b.User != "bob" {
			t.Fatalf("Authenticate = %+v, %v", b, err)
		}
		raw := e.mustRaw(t)
		if _, err := raw.Exec(`DELETE FROM tokens WHERE username = 'bob'`); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(9 * time.Second)
		if b, err := e.tokens.Authenticate(ctx, tok); err != nil || b.User != "bob" {
			t.Errorf("within the cache's ten seconds: %+v, %v", b, err)
		}
		e.now = e.now.Add(2 * time.Second)
		if _, err := e.tokens.Authenticate(ctx, tok); andon.ErrorCode(err) != andon.EUNAUTHORIZED {
			t.Errorf("eleven seconds after its deletion the token still opens: %v", err)
		}
	})
}

// TestTokenExpiry checks a token that expires: it opens until its expiry,
// even when remembered from just before, then is refused with the time it
// expired; listings and the audit entry carry the expiry, and an expiry
// that has passed is refused at creation.
func TestTokenExpiry(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		expires := e.now.Add(time.Hour).UTC()
		tok, err := e.tokens.CreateToken(ctx, "bob", expires)
		if err != nil {
			t.Fatal(err)
		}
		created := e.now.UTC()
		e.now = expires.Add(-5 * time.Second)
		b, err := e.tokens.Authenticate(ctx, tok)
		if err != nil {
			t.Fatalf("five seconds before its expiry: %v", err)
		}
		sum := sha256.Sum256([]byte(tok))
		if diff := cmp.Diff(andon.Bearer{User: "bob", ID: hex.EncodeToString(sum[:]), CreatedAt: created, ExpiresAt: expires}, b); diff != "" {
			t.Fatalf("five seconds before its expiry (-want +got):\n%s", diff)
		}
		// Remembered: the cache keeps the expiry too.
		if b, err := e.tokens.Authenticate(ctx, tok); err != nil || !b.ExpiresAt.Equal(expires) {
			t.Fatalf("again, from the cache: %+v, %v; want it expiring at %s", b, err, expires)
		}
		// Remembered five seconds ago, within the cache's ten: the
		// expiry still wins.
		e.now = expires
		_, err = e.tokens.Authenticate(ctx, tok)
		want := "the token expired at " + expires.Format(time.RFC3339)
		if andon.ErrorCode(err) != andon.EUNAUTHORIZED || andon.ErrorMessage(err) != want {
			t.Errorf("at its expiry: %v; want unauthorized, %q", err, want)
		}

		list, err := e.tokens.ListTokens(ctx, "bob")
		if err != nil || len(list) != 1 || list[0].ExpiresAt == nil || !list[0].ExpiresAt.Equal(expires) {
			t.Errorf("ListTokens = %+v, %v; want one token expiring at %s", list, err, expires)
		}
		entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventTokenCreated, After: -1})
		if err != nil || len(entries) != 1 {
			t.Fatalf("token audit entries = %+v, %v", entries, err)
		}
		if want := `"expiresAt":"` + expires.Format(time.RFC3339Nano) + `"`; !strings.Contains(string(entries[0].Data), want) {
			t.Errorf("token.created data %s, want it to hold %s", entries[0].Data, want)
		}

		_, err = e.tokens.CreateToken(ctx, "bob", e.now.Add(-time.Minute))
		if andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), "is not in the future") {
			t.Errorf("an expiry that has passed: %v; want invalid", err)
		}
		if list, _ := e.tokens.ListTokens(ctx, ""); len(list) != 1 {
			t.Errorf("after the refused creation: %d tokens, want 1", len(list))
		}

		// Revoking the expired tokens takes those and no other.
		if _, err := e.tokens.CreateToken(ctx, "carol", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.tokens.CreateToken(ctx, "dave", e.now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		revoked, err := e.tokens.RevokeExpiredTokens(ctx)
		if err != nil || len(revoked) != 1 || revoked[0].User != "bob" {
			t.Fatalf("RevokeExpiredTokens = %+v, %v; want bob's token", revoked, err)
		}
		if left, _ := e.tokens.ListTokens(ctx, ""); len(left) != 2 {
			t.Errorf("after revoking the expired: %d tokens, want carol's and dave's", len(left))
		}
		entries, err = e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventTokenRevoked, After: -1})
		if err != nil || len(entries) != 1 || entries[0].Subject != "bob" {
			t.Fatalf("token.revoked entries = %+v, %v; want bob's", entries, err)
		}
		if want := `"expiresAt":"` + expires.Format(time.RFC3339Nano) + `"`; !strings.Contains(string(entries[0].Data), want) {
			t.Errorf("token.revoked data %s, want it to hold %s", entries[0].Data, want)
		}
		if again, err := e.tokens.RevokeExpiredTokens(ctx); err != nil || len(again) != 0 {
			t.Errorf("RevokeExpiredTokens again = %+v, %v; want none", again, err)
		}
	})
}

// mustSignIn returns the context of a request signed in with the API
// token (server.SignedIn), as the server makes it.
func (e *env) mustSignIn(tb testing.TB, token string) context.Context {
	tb.Helper()
	b, err := e.tokens.Authenticate(context.Background(), token)
	if err != nil {
		tb.Fatal(err)
	}
	return server.SignedIn(context.Background(), e.catalog, b)
}

// mustRaw opens a connection to e's database of its own, behind the
// store's back, closed when the test ends.
func (e *env) mustRaw(tb testing.TB) *sql.DB {
	tb.Helper()
	var raw *sql.DB
	var err error
	switch e.engine {
	case "sqlite":
		raw, err = sql.Open("sqlite", "file:"+sqlstore.DataPath(e.dir)+"?_pragma=busy_timeout(5000)")
	case "postgres":
		raw, err = sql.Open("pgx", e.dsn)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })
	return raw
}

// TestFeedTokens checks that a feed token opens only what AuthenticateFeed
// guards, and an API token only what Authenticate does.
func TestFeedTokens(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := as("alice")
		feed, _, err := e.tokens.CreateFeedToken(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		api, err := e.tokens.CreateToken(ctx, "alice", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(feed, "andonfeed_") || !strings.HasPrefix(api, "andon_") {
			t.Errorf("tokens %q and %q, want the prefixes andonfeed_ and andon_", feed, api)
		}
		if user, err := e.tokens.AuthenticateFeed(context.Background(), feed); err != nil || user != "alice" {
			t.Errorf("AuthenticateFeed(feed token) = %q, %v; want alice", user, err)
		}
		if b, err := e.tokens.Authenticate(context.Background(), api); err != nil || b.User != "alice" {
			t.Errorf("Authenticate(API token) = %+v, %v; want alice", b, err)
		}
		for name, err := range map[string]error{
			"Authenticate(feed token)":    second(e.tokens.Authenticate(context.Background(), feed)),
			"AuthenticateFeed(API token)": second(e.tokens.AuthenticateFeed(context.Background(), api)),
			"AuthenticateFeed(unknown)":   second(e.tokens.AuthenticateFeed(context.Background(), feed+"x")),
		} {
			if andon.ErrorCode(err) != andon.EUNAUTHORIZED {
				t.Errorf("%s: %v, want unauthorized", name, err)
			}
		}
		entries, err := e.audit.FindEntries(context.Background(), andon.AuditFilter{Type: andon.EventTokenCreated, After: -1})
		if err != nil || len(entries) != 2 {
			t.Fatalf("token audit entries = %+v, %v", entries, err)
		}
		if got := entries[0]; got.Actor != "alice" || got.Subject != "alice" || string(got.Data) != `{"scope":"feed"}` {
			t.Errorf("feed token entry = %+v, want by alice about alice with data {\"scope\":\"feed\"}", got)
		}
		if got := entries[1]; len(got.Data) != 0 {
			t.Errorf("API token entry has data %s, want none", got.Data)
		}
		if strings.Contains(string(entries[0].Data), feed) {
			t.Error("the audit log holds the token in clear")
		}
	})
}

func second[T any](_ T, err error) error { return err }

// TestFeedTokenExpiresWithItsAPIToken checks that a feed token asked for
// with an API token that expires stops working when that one does, and
// that one asked for with a token that never expires does not expire.
func TestFeedTokenExpiresWithItsAPIToken(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		expires := e.now.Add(time.Hour).UTC()
		ctx := andon.NewContextWithUser(context.Background(), &andon.User{Name: "alice", TokenExpiresAt: &expires})
		feed, feedExpires, err := e.tokens.CreateFeedToken(ctx, "alice")
		if err != nil || feedExpires == nil || !feedExpires.Equal(expires) {
			t.Fatalf("a feed token asked for with a token that expires: expires %v, %v; want %s", feedExpires, err, expires)
		}
		forever, foreverExpires, err := e.tokens.CreateFeedToken(as("alice"), "alice")
		if err != nil || foreverExpires != nil {
			t.Fatalf("a feed token asked for with a token that never expires: expires %v, %v; want never", foreverExpires, err)
		}
		if user, err := e.tokens.AuthenticateFeed(context.Background(), feed); err != nil || user != "alice" {
			t.Fatalf("before the API token expires: %q, %v; want alice", user, err)
		}
		e.now = expires
		_, err = e.tokens.AuthenticateFeed(context.Background(), feed)
		if want := "the token expired at " + expires.Format(time.RFC3339); andon.ErrorCode(err) != andon.EUNAUTHORIZED || andon.ErrorMessage(err) != want {
			t.Errorf("when the API token expires: %v; want unauthorized, %q", err, want)
		}
		if user, err := e.tokens.AuthenticateFeed(context.Background(), forever); err != nil || user != "alice" {
			t.Errorf("the feed token of a token that never expires: %q, %v; want alice", user, err)
		}
		entries, err := e.audit.FindEntries(context.Background(), andon.AuditFilter{Type: andon.EventTokenCreated, After: -1})
		if err != nil || len(entries) != 2 {
			t.Fatalf("token audit entries = %+v, %v", entries, err)
		}
		if want := `{"expiresAt":"` + expires.Format(time.RFC3339Nano) + `","scope":"feed"}`; string(entries[0].Data) != want {
			t.Errorf("token.created data %s, want %s", entries[0].Data, want)
		}
	})
}

// TestFeedTokenRevokedWithItsAPIToken checks that revoking an API token
// revokes the feed tokens asked for with it, as a request signed in with
// it asks (server.SignedIn), each revocation recorded, and leaves alone
// the feed tokens of the user's other tokens.
func TestFeedTokenRevokedWithItsAPIToken(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		leaked, err := e.tokens.CreateToken(ctx, "alice", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		// Apart in time, so that ListTokens, oldest first, lists them in
		// this order.
		e.now = e.now.Add(time.Second)
		kept, err := e.tokens.CreateToken(ctx, "alice", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(time.Second)
		feed, _, err := e.tokens.CreateFeedToken(e.mustSignIn(t, leaked), "alice")
		if err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(time.Second)
		other, _, err := e.tokens.CreateFeedToken(e.mustSignIn(t, kept), "alice")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.tokens.AuthenticateFeed(ctx, feed); err != nil {
			t.Fatal(err)
		}
		all, err := e.tokens.ListTokens(ctx, "")
		if err != nil || len(all) != 4 {
			t.Fatalf("ListTokens = %+v, %v; want 4 tokens", all, err)
		}
		leakedID, feedID := all[0].ID, all[2].ID

		got, err := e.tokens.RevokeTokens(as("root"), leakedID, "")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]andon.TokenInfo{all[0], all[2]}, got); diff != "" {
			t.Errorf("revoked (-want +got):\n%s", diff)
		}
		if _, err := e.tokens.AuthenticateFeed(ctx, feed); andon.ErrorCode(err) != andon.EUNAUTHORIZED {
			t.Errorf("the feed token of a revoked API token still opens the feed: %v", err)
		}
		if user, err := e.tokens.AuthenticateFeed(ctx, other); err != nil || user != "alice" {
			t.Errorf("the feed token of the token kept: %q, %v; want alice", user, err)
		}
		if b, err := e.tokens.Authenticate(ctx, kept); err != nil || b.User != "alice" {
			t.Errorf("the token kept: %+v, %v; want alice", b, err)
		}

		created, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventTokenCreated, After: -1})
		if err != nil || len(created) != 4 {
			t.Fatalf("token.created entries = %+v, %v", created, err)
		}
		if want := `{"parent":"` + leakedID + `","scope":"feed"}`; string(created[2].Data) != want {
			t.Errorf("token.created data of the feed token %s, want %s", created[2].Data, want)
		}
		revoked, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventTokenRevoked, After: -1})
		if err != nil {
			t.Fatal(err)
		}
		var records []string
		for _, en := range revoked {
			records = append(records, en.Actor+" "+en.Subject+" "+string(en.Data))
		}
		want := []string{
			`root alice {"id":"` + leakedID + `","scope":"api"}`,
			`root alice {"id":"` + feedID + `","parent":"` + leakedID + `","scope":"feed"}`,
		}
		if diff := cmp.Diff(want, records); diff != "" {
			t.Errorf("token.revoked entries (-want +got):\n%s", diff)
		}
		if r := e.verify(t); !r.OK {
			t.Errorf("audit log after the revocation: %s", r.Problem)
		}
	})
}

func TestProofVerifiesOffline(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		for i := range 5 {
			if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: "c" + string(rune('a'+i))}); err != nil {
				t.Fatal(err)
			}
		}
		cp, err := e.audit.Checkpoint(context.Background())
		if err != nil || cp.Size != 5 {
			t.Fatalf("checkpoint = %+v, %v; want size 5", cp, err)
		}
		v, err := note.NewVerifier(cp.VerifierKey)
		if err != nil {
			t.Fatal(err)
		}
		for i := range cp.Size {
			p, err := e.audit.Proof(context.Background(), i)
			if err != nil {
				t.Fatal(err)
			}
			if err := auditlog.CheckProof(p, v); err != nil {
				t.Errorf("proof of entry %d: %v", i, err)
			}
		}
		if _, err := e.audit.Proof(context.Background(), 5); andon.ErrorCode(err) != andon.ENOTFOUND {
			t.Errorf("proof beyond the log: %v, want not_found", err)
		}
	})
}

// TestEvidenceVerifiesOffline exports a change's entries, its gate
// decision among them, and checks the export with the verifier key alone;
// a limit leaves the rest for the next export.
func TestEvidenceVerifiesOffline(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		var ids []string
		for i := range 3 {
			c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "staging-lyon", Type: andon.ChangeNormal,
				Title: "release " + string(rune('a'+i)), Artifacts: []string{imageNew}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "staging-lyon", Image: imageNew})
		if err != nil || !res.Allow || res.Change.ID != ids[2] {
			t.Fatalf("gate = %+v, %v; want %s allowed", res, err, ids[2])
		}
		ev, v, cp, types := mustEvidenceTypes(t, e, andon.AuditFilter{Change: strings.ToLower(ids[2]), After: -1})
		// Created, then the move to implementing that the gate made and
		// its decision, in the order of the log.
		if want := []string{andon.EventChangeCreated, andon.EventChangeTransition, andon.EventGateDecision}; !slices.Equal(types, want) || ev.More || cp.Size != 5 {
			t.Errorf("export of %s: %v (more %v) in a log of %d; want %v, no more, 5", ids[2], types, ev.More, cp.Size, want)
		}
		if ev.Filter.Change != ids[2] {
			t.Errorf("export's filter names change %q, want %q", ev.Filter.Change, ids[2])
		}

		page, err := e.audit.Evidence(context.Background(), andon.AuditFilter{Type: andon.EventChangeCreated, After: -1, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Entries) != 2 || !page.More || page.Entries[1].Index != 1 {
			t.Fatalf("export of 2 of 3 creations: %d entries, more %v", len(page.Entries), page.More)
		}
		if _, _, err := auditlog.CheckEvidence(page, v); err != nil {
			t.Errorf("CheckEvidence of a page: %v", err)
		}
		rest, err := e.audit.Evidence(context.Background(), andon.AuditFilter{Type: andon.EventChangeCreated, After: 1})
		if err != nil || len(rest.Entries) != 1 || rest.More || rest.Entries[0].Index != 2 {
			t.Errorf("the next export: %+v, %v; want entry 2 alone", rest, err)
		}
	})
}

// TestEvidenceOfMoreThanItsLimit exports a log of more entries than an
// export holds, 1000: the export says more follow, where it stopped at
// 1000 saying none did (the store read no 1001st entry to tell), and an
// export of every entry then failed to verify, an entry missing.
func TestEvidenceOfMoreThanItsLimit(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if _, err := e.db.Update(ctx, func(ctx context.Context, tx *sqlstore.Tx) error {
			for i := range 1005 {
				tx.Record(andon.Event{Type: "test.filler", Actor: "alice", Subject: "filler", Data: map[string]int{"n": i}})
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, filter := range []andon.AuditFilter{{After: -1}, {Type: "test.filler", After: -1}} {
			first, err := e.audit.Evidence(ctx, filter)
			if err != nil {
				t.Fatal(err)
			}
			v, err := note.NewVerifier(first.Checkpoint.VerifierKey)
			if err != nil {
				t.Fatal(err)
			}
			if len(first.Entries) != 1000 || !first.More {
				t.Fatalf("export of %+v: %d entries, more %v; want 1000 and more", filter, len(first.Entries), first.More)
			}
			if _, _, err := auditlog.CheckEvidence(first, v); err != nil {
				t.Errorf("CheckEvidence of the first 1000 of %+v: %v", filter, err)
			}
			filter.After = first.Entries[999].Index
			rest, err := e.audit.Evidence(ctx, filter)
			if err != nil || len(rest.Entries) != 5 || rest.More {
				t.Fatalf("the export after entry %d: %v; want the last 5 and no more", filter.After, err)
			}
			// The parts a page offers are those the exports cut.
			filter.After = -1
			parts, err := e.audit.EvidenceParts(ctx, filter)
			if want := []int64{first.Entries[999].Index, rest.Entries[4].Index}; err != nil || !slices.Equal(parts, want) {
				t.Errorf("EvidenceParts(%+v) = %v, %v; want %v", filter, parts, err, want)
			}
		}
	})
}

// TestEvidenceBoundedInBytes exports changes whose records take
// megabytes: an export stops before andon.MaxEvidenceBytes of records and
// says more follow, so that no export is too large to verify.
func TestEvidenceBoundedInBytes(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		// Each record escapes every < as \u003c: 500 paths of 300 of
		// them, twice, take about 1.8 MB.
		paths := make([]string, andon.MaxFactItems)
		for i := range paths {
			paths[i] = strings.Repeat("<", andon.MaxFactLength)
		}
		for i := range 3 {
			_, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal,
				Title: fmt.Sprintf("large %d", i), Facts: andon.Facts{Evidence: map[string][]string{"modules": paths, "migration": paths}}})
			if err != nil {
				t.Fatal(err)
			}
		}
		ctx := context.Background()
		filter := andon.AuditFilter{Type: andon.EventChangeCreated, After: -1}
		first, err := e.audit.Evidence(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		size := 0
		for _, en := range first.Entries {
			size += len(en.Record)
		}
		if len(first.Entries) != 2 || !first.More || size > andon.MaxEvidenceBytes {
			t.Errorf("export of three large changes: %d entries of %d bytes, more %v; want 2 within %d, and more", len(first.Entries), size, first.More, andon.MaxEvidenceBytes)
		}
		if len(first.Entries) == 0 {
			t.FailNow()
		}
		filter.After = first.Entries[len(first.Entries)-1].Index
		rest, err := e.audit.Evidence(ctx, filter)
		if err != nil || len(rest.Entries) != 1 || rest.More {
			t.Fatalf("the next export: %v; want the third change and no more", err)
		}
		// The parts a page offers are those the exports cut, from the
		// records' lengths alone.
		filter.After = -1
		parts, err := e.audit.EvidenceParts(ctx, filter)
		if want := []int64{first.Entries[1].Index, rest.Entries[0].Index}; err != nil || !slices.Equal(parts, want) {
			t.Errorf("EvidenceParts(%+v) = %v, %v; want %v", filter, parts, err, want)
		}
		if parts, err := e.audit.EvidenceParts(ctx, andon.AuditFilter{Type: andon.EventChangeReviewed, After: -1}); err != nil || len(parts) != 0 {
			t.Errorf("EvidenceParts of no entry = %v, %v; want none", parts, err)
		}
		if _, err := e.audit.EvidenceParts(ctx, andon.AuditFilter{Change: "CHG-999", After: -1}); andon.ErrorCode(err) != andon.EINVALID {
			t.Errorf("EvidenceParts of a change never opened: %v; want invalid", err)
		}
	})
}

// TestAuditPeriod lists and exports the entries of a period, found by
// their times: one a day for five days, and the period is days two and
// three.
func TestAuditPeriod(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		start := e.now
		for i := range 5 {
			e.now = start.Add(time.Duration(i) * 24 * time.Hour)
			if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: fmt.Sprintf("day %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		since, until := start.Add(24*time.Hour), start.Add(3*24*time.Hour)
		for _, tt := range []struct {
			f    andon.AuditFilter
			want []int64
		}{
			{andon.AuditFilter{Since: &since, Until: &until, After: -1}, []int64{1, 2}},
			{andon.AuditFilter{Since: &since, After: -1}, []int64{1, 2, 3, 4}},
			{andon.AuditFilter{Until: &until, After: -1}, []int64{0, 1, 2}},
			{andon.AuditFilter{Since: &since, Until: &until, After: 1}, []int64{2}},
			{andon.AuditFilter{Since: &until, Until: &since, After: -1}, nil},
		} {
			if got := mustFindIndexes(t, e, tt.f); !slices.Equal(got, tt.want) {
				t.Errorf("FindEntries(since %v, until %v, after %d) = %v, want %v", tt.f.Since, tt.f.Until, tt.f.After, got, tt.want)
			}
		}
		ev, err := e.audit.Evidence(context.Background(), andon.AuditFilter{Since: &since, Until: &until, After: -1})
		if err != nil {
			t.Fatal(err)
		}
		v, err := note.NewVerifier(ev.Checkpoint.VerifierKey)
		if err != nil {
			t.Fatal(err)
		}
		if _, entries, err := auditlog.CheckEvidence(ev, v); err != nil || len(entries) != 2 {
			t.Errorf("CheckEvidence of the period: %d entries, %v; want 2", len(entries), err)
		}
		// An entry of the day before, added to the file, is named.
		day0, err := e.audit.Evidence(context.Background(), andon.AuditFilter{After: -1, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		ev.Entries = append(day0.Entries, ev.Entries...)
		if _, _, err := auditlog.CheckEvidence(ev, v); err == nil || !strings.Contains(andon.ErrorMessage(err), "entry 0 does not match the export's filter: it was recorded at") {
			t.Errorf("CheckEvidence with an entry before the period: %v", err)
		}
	})
}

// mustFindIndexes returns the indexes of the entries FindEntries lists
// for f.
func mustFindIndexes(t *testing.T, e *env, f andon.AuditFilter) []int64 {
	t.Helper()
	entries, err := e.audit.FindEntries(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, en := range entries {
		got = append(got, en.Index)
	}
	return got
}

// TestAuditPeriodOutOfTimeOrder lists the entries of a period in a log
// whose times do not increase with the index: the demo's, whose history is
// seeded back-dated after its tokens, or one written while a clock was
// wrong. Four entries of today come first, then one a day for the three
// days before; every entry recorded in the period is found, wherever it
// lies in the log.
func TestAuditPeriodOutOfTimeOrder(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		today := e.now
		create := func(title string) {
			t.Helper()
			if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: title}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 4 {
			create(fmt.Sprintf("today %d", i))
		}
		for i := 3; i >= 1; i-- {
			e.now = today.Add(-time.Duration(i) * 24 * time.Hour)
			create(fmt.Sprintf("%d days ago", i))
		}
		since, until := today.Add(-3*24*time.Hour), today.Add(-time.Hour)
		for _, tt := range []struct {
			f    andon.AuditFilter
			want []int64
		}{
			{andon.AuditFilter{Since: &since, Until: &until, After: -1}, []int64{4, 5, 6}},
			{andon.AuditFilter{Until: &until, After: -1}, []int64{4, 5, 6}},
			{andon.AuditFilter{Since: &today, After: -1}, []int64{0, 1, 2, 3}},
			{andon.AuditFilter{Since: &since, Until: &until, After: 4}, []int64{5, 6}},
		} {
			if got := mustFindIndexes(t, e, tt.f); !slices.Equal(got, tt.want) {
				t.Errorf("FindEntries(since %v, until %v, after %d) = %v, want %v", tt.f.Since, tt.f.Until, tt.f.After, got, tt.want)
			}
		}
		ev, err := e.audit.Evidence(context.Background(), andon.AuditFilter{Since: &since, Until: &until, After: -1})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, ee := range ev.Entries {
			got = append(got, ee.Index)
		}
		if want := []int64{4, 5, 6}; !slices.Equal(got, want) {
			t.Errorf("Evidence of the period holds entries %v, want %v", got, want)
		}
		parts, err := e.audit.EvidenceParts(context.Background(), andon.AuditFilter{Since: &since, Until: &until, After: -1})
		if want := []int64{6}; err != nil || !slices.Equal(parts, want) {
			t.Errorf("EvidenceParts of the period = %v, %v; want %v", parts, err, want)
		}
	})
}

func TestGateRecordsAutoChange(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "staging-lyon", Image: imageNew})
		if err != nil || !res.Allow || res.Change == nil {
			t.Fatalf("gate = %+v, %v; want allowed with a recorded change", res, err)
		}
		entries, err := e.audit.FindEntries(context.Background(), andon.AuditFilter{After: -1})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, en := range entries {
			got = append(got, en.Type)
		}
		want := []string{andon.EventChangeCreated, andon.EventChangeTransition, andon.EventGateDecision}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("entries = %v, want %v", got, want)
		}
		// The creation record shows the change as it was created, before the
		// gate moved it on.
		if !strings.Contains(string(entries[0].Data), `"state":"approved"`) {
			t.Errorf("change.created data = %s, want state approved", entries[0].Data)
		}
		if res.AuditIndex != entries[2].Index {
			t.Errorf("result audit index = %d, want %d (the decision)", res.AuditIndex, entries[2].Index)
		}
	})
}

// A gate request whose caller went away before its decision was written
// decides and records nothing: no refusal is written for nobody to read.
func TestGateAbandonedByItsCaller(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx, cancel := context.WithCancel(as("alice"))
		cancel()
		res, err := e.gate.Decide(ctx, andon.GateRequest{Environment: "staging-lyon", Image: imageNew})
		if !errors.Is(err, context.Canceled) || res != nil {
			t.Fatalf("gate = %+v, %v; want no result and the cancellation", res, err)
		}
		entries, err := e.audit.FindEntries(context.Background(), andon.AuditFilter{After: -1})
		if err != nil || len(entries) != 0 {
			t.Errorf("audit entries = %d, %v; want none", len(entries), err)
		}
	})
}

// A dry run outside production records no standard change, and its
// reason says that the change would be recorded, not that it was, whether
// the dry run was asked for or follows from another instant than now.
func TestGateDryRunRecordsNoAutoChange(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		for _, req := range []andon.GateRequest{
			{Environment: "staging-lyon", Image: imageNew, DryRun: true},
			{Environment: "staging-lyon", Image: imageNew, At: e.now.Add(72 * time.Hour)},
		} {
			res, err := e.gate.Decide(as("alice"), req)
			if err != nil || !res.Allow || !res.DryRun || res.Change != nil {
				t.Fatalf("gate %+v = %+v, %v; want a dry run that would allow, with no change", req, res, err)
			}
			const want = "the standard change this deployment would record is approved and, as a low risk change, needs no window"
			if len(res.Reasons) != 1 || res.Reasons[0].Message != want {
				t.Errorf("gate %+v reasons = %+v, want one saying %q", req, res.Reasons, want)
			}
		}
		if list, _, err := e.changes.FindChanges(context.Background(), andon.ChangeFilter{Environment: "staging-lyon"}); err != nil || len(list) != 0 {
			t.Errorf("changes in staging-lyon after dry runs = %+v, %v; want none", list, err)
		}
	})
}

// A high-risk change that names only a medium process (a migration under
// maintenance) is weighed against the environment's processes too, so the
// owners of its critical and high processes approve it, as for a change
// that names none.
func TestRiskAsksTheEnvironmentsOwners(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "Re-index maintenance requests",
			Facts: andon.Facts{Migration: true}, Processes: []string{"maintenance"},
		})
		if err != nil {
			t.Fatal(err)
		}
		var roles []string
		for _, r := range c.Risk.Approvals {
			roles = append(roles, r.Role)
		}
		// The plants' operations teams own four of the five processes:
		// one of them approves for the four, as one person fills one slot.
		want := []string{"change-manager", "process-owner:finance", "process-owner:inventory"}
		if c.Risk.Tier != andon.LevelHigh || !slices.Equal(roles, want) {
			t.Errorf("tier %s, approvals %v; want high and %v (reasons %q)", c.Risk.Tier, roles, want, c.Risk.Reasons)
		}
		if !slices.Contains(c.Risk.Reasons, "no affected process is critical or high: the owners of finance, inventory, production, quality, shipping of environment prod-lyon approve instead") ||
			!slices.Contains(c.Risk.Reasons, "inventory, production, quality, shipping are owned by the same teams (geelong-ops, lyon-ops): one of their owners approves for all of them") {
			t.Errorf("reasons %q do not say whose owners approve", c.Risk.Reasons)
		}
		for _, u := range []string{"bob", "fiona", "carol"} {
			if c, err = e.changes.Decide(as(u), c.ID, andon.Approve, "ok"); err != nil {
				t.Fatalf("%s approves: %v", u, err)
			}
		}
		if c.State != andon.StateApproved {
			t.Errorf("after the three approvals the change is %s, want approved", c.State)
		}
	})
}

// A component misspelt would escape the name the risk policy matches and
// open a production change of postgres as a medium one: it is refused,
// naming the component meant, and nothing is stored; one of a plant's
// own, far from every known name, is taken as any other component.
func TestChangeMisspeltComponentIsRefused(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		req := andon.ChangeRequest{Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "PostgreSQL minor upgrade",
			Facts: andon.Facts{Components: []string{"postgress"}}}
		_, err := e.changes.CreateChange(as("alice"), &req)
		const want = `facts.components[0]: "postgress" looks like postgres`
		if andon.ErrorCode(err) != andon.EINVALID || !strings.HasPrefix(andon.ErrorMessage(err), want) {
			t.Errorf("postgress: %v; want invalid: %s…", err, want)
		}
		if list, _, err := e.changes.FindChanges(context.Background(), andon.ChangeFilter{}); err != nil || len(list) != 0 {
			t.Errorf("changes after the refusal: %d, %v; want none", len(list), err)
		}
		req.Facts.Components = []string{"minio"}
		if c, err := e.changes.CreateChange(as("alice"), &req); err != nil || c.Risk.Tier != andon.LevelMedium {
			t.Errorf("minio: %v, %v; want a medium change", c, err)
		}
	})
}

// A change whose window has already ended could never be deployed: the
// gate, a start by hand and an approval all refuse it for good. It is
// refused when it is opened, naming when it ended, rather than stored as
// a finding to cancel; a window that is still open, or to come, is taken.
func TestChangeWindowEndedIsRefused(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		req := andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: "Labels",
			Window: &andon.Span{Start: e.now.Add(-3 * time.Hour), End: e.now.Add(-time.Hour)}}
		_, err := e.changes.CreateChange(as("alice"), &req)
		want := "window.end: " + e.now.Add(-time.Hour).Format(time.RFC3339) + " has passed (the server's time is " +
			e.now.Format(time.RFC3339) + "): a change whose window has ended can never be deployed; give a window to come"
		if andon.ErrorCode(err) != andon.EINVALID || andon.ErrorMessage(err) != want {
			t.Errorf("a window that ended: %v; want invalid: %s", err, want)
		}
		if list, _, err := e.changes.FindChanges(context.Background(), andon.ChangeFilter{}); err != nil || len(list) != 0 {
			t.Errorf("changes after the refusal: %d, %v; want none", len(list), err)
		}
		req.Window.End = e.now.Add(time.Hour)
		if c, err := e.changes.CreateChange(as("alice"), &req); err != nil || c.State != andon.StateApproved {
			t.Errorf("a window open now: %v, %v; want an approved change", c, err)
		}
	})
}

// A change the catalog in force can never approve is refused when it is
// opened, saying which role lacks people, rather than left pending for
// ever: dave is the only platform-admin, and a critical change needs
// another.
func TestChangeNobodyCouldApproveIsRefused(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		req := andon.ChangeRequest{Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "PostgreSQL minor upgrade",
			Facts: andon.Facts{Components: []string{"postgres"}}}
		_, err := e.changes.CreateChange(as("dave"), &req)
		const want = "the risk policy asks for an approval by platform-admin, and nobody holds that role besides dave in the catalog in force: the change could never be approved; add members to a team with that role first"
		if andon.ErrorCode(err) != andon.ECONFLICT || andon.ErrorMessage(err) != want {
			t.Errorf("dave opens a critical change: %v; want conflict: %s", err, want)
		}
		if list, _, err := e.changes.FindChanges(context.Background(), andon.ChangeFilter{}); err != nil || len(list) != 0 {
			t.Errorf("changes after the refusal: %d, %v; want none", len(list), err)
		}
		if c, err := e.changes.CreateChange(as("alice"), &req); err != nil || c.State != andon.StatePending {
			t.Errorf("alice opens it: %v, %v; want pending", c, err)
		}
	})
}

// A pending change that the catalog's teams can no longer approve, after
// a change of the teams, is a finding, named with the roles it lacks, and
// no longer once the teams are whole again.
func TestFindingsUnapprovableChange(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "prod-lyon", Type: andon.ChangeNormal,
			Title: "Invoice layout", Facts: andon.Facts{Modules: []string{"account"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.changes.Decide(as("fiona"), c.ID, andon.Approve, "fine by finance"); err != nil {
			t.Fatal(err)
		}
		whole := e.catalog.Catalog()
		cat, err := catalog.LoadFS(examples.Catalog, "catalog")
		if err != nil {
			t.Fatal(err)
		}
		cat.Team("change-managers").Members = []string{"alice"}
		e.catalog.Swap(cat)
		findings, err := e.changes.Findings(context.Background())
		want := "pending change " + c.ID + " still needs approvals by change-manager, which the catalog in force gives to too few people besides its requester alice and those who approved it: add members to the teams with those roles, or cancel it"
		if err != nil || len(findings) != 1 || findings[0].Code != "UNAPPROVABLE" || findings[0].ChangeID != c.ID || findings[0].Message != want {
			t.Fatalf("findings once only alice manages changes = %+v, %v; want UNAPPROVABLE: %s", findings, err, want)
		}
		// Asked for findings of some codes, it gives those alone.
		if only, err := e.changes.Findings(context.Background(), andon.FindingUnapprovable); err != nil || !slices.Equal(only, findings) {
			t.Errorf("findings UNAPPROVABLE = %+v, %v; want %+v", only, err, findings)
		}
		if only, err := e.changes.Findings(context.Background(), andon.FindingReviewOverdue); err != nil || only == nil || len(only) != 0 {
			t.Errorf("findings REVIEW_OVERDUE = %#v, %v; want none, not the UNAPPROVABLE one", only, err)
		}
		if _, err := e.changes.Findings(context.Background(), "OVERDUE"); andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), `finding code "OVERDUE" is not one of REVIEW_OVERDUE, UNAPPROVABLE, WINDOW_ENDED, EMERGENCY_EXPIRED`) {
			t.Errorf("findings OVERDUE: %v; want invalid, naming the codes", err)
		}
		e.catalog.Swap(whole)
		if findings, err := e.changes.Findings(context.Background()); err != nil || len(findings) != 0 {
			t.Errorf("findings with the teams whole again = %+v, %v; want none", findings, err)
		}
	})
}

// Approvals are matched to people, not counted: with dave as the finance
// controller too, a critical change of finance asks for a platform-admin
// and the owner of finance, both only dave, and is refused, though three
// people besides alice hold the three roles it asks for.
func TestChangeOnePersonForTwoSlotsIsRefused(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		cat, err := catalog.LoadFS(examples.Catalog, "catalog")
		if err != nil {
			t.Fatal(err)
		}
		cat.Team("finance-controllers").Members = []string{"dave"}
		e.catalog.Swap(cat)
		_, err = e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "prod-lyon", Type: andon.ChangeNormal,
			Title: "PostgreSQL minor upgrade", Processes: []string{"finance"}, Facts: andon.Facts{Components: []string{"postgres"}}})
		const want = "the risk policy asks for 2 approvals by platform-admin and process-owner:finance, one person each, and only dave holds those roles besides alice in the catalog in force: the change could never be approved; add members to the teams with those roles first"
		if andon.ErrorCode(err) != andon.ECONFLICT || andon.ErrorMessage(err) != want {
			t.Errorf("a change only dave could approve twice: %v; want conflict: %s", err, want)
		}
	})
}

// Naming a process adds to the processes of the modules a change touches:
// a change of a production module that names procurement is still a
// change of production, a critical process, and its tier says so.
func TestNamedProcessesAddToTheModules(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		for _, tt := range []struct {
			migration bool
			tier      andon.Level
		}{{false, andon.LevelHigh}, {true, andon.LevelCritical}} {
			c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
				Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "Work order tablet view",
				Facts: andon.Facts{Modules: []string{"mrp_workorder"}, Migration: tt.migration}, Processes: []string{"procurement"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"procurement", "production"}; !slices.Equal(c.Processes, want) {
				t.Errorf("migration %v: processes %v, want %v", tt.migration, c.Processes, want)
			}
			if c.Risk.Tier != tt.tier {
				t.Errorf("migration %v: tier %s, want %s (reasons %q)", tt.migration, c.Risk.Tier, tt.tier, c.Risk.Reasons)
			}
		}
	})
}

// Outside production, an image whose change waits for approval or was
// rejected is refused, and no standard change is recorded in its place.
func TestGateRefusesAnImageWhoseChangeIsUndecided(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "staging-geelong", Type: andon.ChangeEmergency, Title: "Hot fix", Artifacts: []string{imageNew},
		})
		if err != nil || c.State != andon.StatePending {
			t.Fatalf("create = %+v, %v; want a pending emergency change", c, err)
		}
		for _, step := range []struct {
			verdict andon.Verdict
			state   andon.State
		}{{"", andon.StatePending}, {andon.Reject, andon.StateRejected}} {
			if step.verdict != "" {
				if _, err := e.changes.Decide(as("erin"), c.ID, step.verdict, "the image is broken"); err != nil {
					t.Fatal(err)
				}
			}
			res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "staging-geelong", Image: imageNew})
			if err != nil || res.Allow || res.Change == nil || res.Change.ID != c.ID {
				t.Fatalf("gate with change %s = %+v, %v; want a denial naming %s", step.state, res, err, c.ID)
			}
			if want := fmt.Sprintf("change %s is %s, not approved", c.ID, step.state); res.Reasons[0].Message != want {
				t.Errorf("reason %q, want %q", res.Reasons[0].Message, want)
			}
		}
		if _, total, _ := e.changes.FindChanges(context.Background(), andon.ChangeFilter{Environment: "staging-geelong"}); total != 1 {
			t.Errorf("staging-geelong has %d changes, want only %s", total, c.ID)
		}
		// Nor does the same digest under another name get past it, nor
		// a later change of the image that was only cancelled lift it.
		mirrored := strings.Replace(imageNew, "registry.example.com/odoo/odoo", "mirror.example.com/odoo", 1)
		if res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "staging-geelong", Image: mirrored}); err != nil || res.Allow || res.Change == nil || res.Change.ID != c.ID {
			t.Errorf("gate with the mirrored image = %+v, %v; want a denial naming %s", res, err, c.ID)
		}
		cancelled, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "staging-geelong", Type: andon.ChangeStandard, Title: "Never mind", Artifacts: []string{imageNew},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.changes.Transition(as("alice"), cancelled.ID, andon.StateCancelled, ""); err != nil {
			t.Fatal(err)
		}
		if res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "staging-geelong", Image: imageNew}); err != nil || res.Allow || res.Change == nil || res.Change.ID != c.ID {
			t.Errorf("gate after %s was cancelled = %+v, %v; want a denial naming %s", cancelled.ID, res, err, c.ID)
		}
		// A later change of the image that went through ends the
		// rejection's hold: deployed again, the image is recorded and
		// allowed as usual.
		later, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "staging-geelong", Type: andon.ChangeStandard, Title: "The fixed build", Artifacts: []string{imageNew},
		})
		if err != nil || later.State != andon.StateApproved {
			t.Fatalf("create = %+v, %v; want an approved standard change", later, err)
		}
		if res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "staging-geelong", Image: imageNew}); err != nil || !res.Allow || res.Change == nil || res.Change.ID != later.ID {
			t.Fatalf("gate with %s approved = %+v, %v; want it allowed", later.ID, res, err)
		}
		if _, err := e.changes.Transition(as("alice"), later.ID, andon.StateCompleted, ""); err != nil {
			t.Fatal(err)
		}
		res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "staging-geelong", Image: imageNew})
		if err != nil || !res.Allow || res.Change == nil || res.Change.ID == c.ID || res.Change.ID == later.ID {
			t.Errorf("gate after %s completed = %+v, %v; want a new standard change allowed", later.ID, res, err)
		}
	})
}

// Promotion is by digest: the same image pushed under another repository
// name, a mirror, was completed in staging.
func TestPromotionIsByDigest(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.MustStage(t, imageStaged)
		mirrored := strings.Replace(imageStaged, "registry.example.com/odoo/odoo", "mirror.example.com/plants/odoo", 1)
		res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: mirrored, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Reasons {
			if r.Code == "NOT_PROMOTED" {
				t.Errorf("the mirrored image is refused as not promoted: %s", r.Message)
			}
		}
	})
}

// A time the gate cannot decide about is bad input, refused and
// recorded, not a failure of the gate.
func TestGateRefusesAnImpossibleTime(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		for _, at := range []time.Time{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600))} {
			res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-lyon", Image: imageStaged, At: at})
			if andon.ErrorCode(err) != andon.EINVALID || res.Allow || res.Reasons[0].Code != andon.ReasonBadTime {
				t.Errorf("gate at %s = %+v, %v; want a BAD_TIME refusal", at, res, err)
			}
		}
		entries, err := e.audit.FindEntries(context.Background(), andon.AuditFilter{Type: andon.EventGateDecision, After: -1})
		if err != nil || len(entries) != 2 {
			t.Errorf("gate decisions recorded: %d, %v; want both refusals", len(entries), err)
		}
	})
}

// A request whose environment or image is longer than any valid one is
// refused and recorded, but neither repeated in the reasons nor kept
// whole in the audit log: a 1 MiB body must not become a 3 MiB entry.
func TestGateRefusesOversizedInput(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		long := strings.Repeat("x", 500_000)
		for _, req := range []andon.GateRequest{
			{Environment: long, Image: imageStaged},
			{Environment: "prod-lyon", Image: "registry.example.com/" + long + "@" + strings.Split(imageStaged, "@")[1]},
		} {
			res, err := e.gate.Decide(as("alice"), req)
			if andon.ErrorCode(err) != andon.EINVALID || res.Allow || len(res.Reasons) != 1 || len(res.Reasons[0].Message) > 200 {
				t.Errorf("gate of a %d-byte environment and a %d-byte image = %.300v, %.300v; want one short refusal", len(req.Environment), len(req.Image), res, err)
			}
		}
		entries, err := e.audit.FindEntries(context.Background(), andon.AuditFilter{Type: andon.EventGateDecision, After: -1})
		if err != nil || len(entries) != 2 {
			t.Fatalf("gate decisions recorded: %d, %v; want both refusals", len(entries), err)
		}
		for _, en := range entries {
			if n := len(en.Data) + len(en.Subject); n > 2000 {
				t.Errorf("entry %d holds %d bytes of the request; want it cut", en.Index, n)
			}
		}
	})
}

func TestGateAtAnotherTimeIsADryRun(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.MustStage(t, imageStaged)
		c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "prod-geelong", Type: andon.ChangeNormal, Title: "Routing", Artifacts: []string{imageStaged},
			Window: &andon.Span{Start: e.now.Add(48 * time.Hour), End: e.now.Add(50 * time.Hour)},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"bob"} {
			if _, err := e.changes.Decide(as(u), c.ID, andon.Approve, ""); err != nil {
				t.Fatal(err)
			}
		}
		// Inside the change's window, but two days from now: it would be
		// allowed, and nothing moves.
		res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged, At: e.now.Add(49 * time.Hour)})
		if err != nil || !res.Allow || !res.DryRun {
			t.Fatalf("gate two days ahead = %+v, %v; want a dry run that would allow", res, err)
		}
		if got, _ := e.changes.FindChangeByID(context.Background(), c.ID); got.State != andon.StateApproved {
			t.Errorf("after a dry run the change is %s, want approved", got.State)
		}
		// Within the clock skew the request is real, and decided at the
		// server's time: a minute before the window opens, a time inside
		// it does not open the gate early.
		e.now = c.Window.Start.Add(-time.Minute)
		res, err = e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged, At: c.Window.Start})
		if err != nil || res.Allow || res.DryRun || len(res.Reasons) == 0 || res.Reasons[0].Code != "OUTSIDE_CHANGE_WINDOW" {
			t.Fatalf("gate a minute before the window, asking for its start = %+v, %v; want a real denial at the server's time", res, err)
		}
		if got, _ := e.changes.FindChangeByID(context.Background(), c.ID); got.State != andon.StateApproved {
			t.Errorf("after a denial the change is %s, want approved", got.State)
		}
		e.now = c.Window.Start.Add(time.Hour)
		res, err = e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged, At: e.now.Add(time.Minute)})
		if err != nil || !res.Allow || res.DryRun || res.Change.State != andon.StateImplementing {
			t.Fatalf("gate now = %+v, %v; want a real allow moving the change to implementing", res, err)
		}
	})
}

func TestFindChangesCountStopsAtMaxCount(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		_, errs := e.db.CommitBatch(func(ctx context.Context, tx *sqlstore.Tx) error {
			tx.Record(andon.Event{Type: "test", Actor: "t"})
			return tx.Exec(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
				INSERT INTO changes (id, environment, type, state, tier, requester, title, description, version, created_at, updated_at, body)
				SELECT 'BULK-' || i, 'dev', 'normal', 'completed', 'low', 'alice', 'bulk', '', 1, 0, 0, '{}' FROM n`, andon.MaxCount+5)
		})
		if errs[0] != nil {
			t.Fatal(errs[0])
		}
		for _, tt := range []struct {
			filter andon.ChangeFilter
			want   int
		}{
			{andon.ChangeFilter{}, andon.MaxCount},
			{andon.ChangeFilter{Environment: "prod-lyon"}, 0},
		} {
			got, total, err := e.changes.FindChanges(ctx, tt.filter)
			if err != nil || total != tt.want {
				t.Errorf("FindChanges(%+v) total = %d, %v; want %d", tt.filter, total, err, tt.want)
			}
			if want := min(tt.want, 100); len(got) != want {
				t.Errorf("FindChanges(%+v) = %d changes, want %d", tt.filter, len(got), want)
			}
		}
	})
}

func TestFindEntriesOfChange(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// The gate records a standard change of its own in staging and
		// deploys it: another change, with a gate decision of its own.
		e.MustStage(t, imageStaged)
		c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "prod-geelong", Type: andon.ChangeNormal, Title: "Routing", Artifacts: []string{imageStaged},
			Window: &andon.Span{Start: e.now.Add(time.Hour), End: e.now.Add(3 * time.Hour)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.changes.Decide(as("bob"), c.ID, andon.Approve, ""); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(2 * time.Hour)
		if res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged}); err != nil || !res.Allow {
			t.Fatalf("gate = %+v, %v; want allowed", res, err)
		}
		// A denial that finds no change concerns none.
		if res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageNew}); err != nil || res.Allow {
			t.Fatalf("gate without a change = %+v, %v; want denied", res, err)
		}
		staged, _, err := e.changes.FindChanges(ctx, andon.ChangeFilter{Environment: "staging-geelong"})
		if err != nil || len(staged) != 1 {
			t.Fatalf("staging changes = %+v, %v; want one", staged, err)
		}
		other := staged[0].ID

		all, err := e.audit.FindEntries(ctx, andon.AuditFilter{Change: c.ID, After: -1})
		if err != nil {
			t.Fatal(err)
		}
		first := all[0].Index
		tests := []struct {
			filter andon.AuditFilter
			want   []string // type and subject of each entry
		}{
			{andon.AuditFilter{Change: c.ID, After: -1}, []string{
				"change.created " + c.ID, "change.approved " + c.ID, "change.transitioned " + c.ID, "gate.decided prod-geelong",
			}},
			{andon.AuditFilter{Change: other, After: -1}, []string{
				"change.created " + other, "change.transitioned " + other, "gate.decided staging-geelong", "change.transitioned " + other,
			}},
			{andon.AuditFilter{Change: c.ID, Type: andon.EventGateDecision, After: -1}, []string{"gate.decided prod-geelong"}},
			{andon.AuditFilter{Change: c.ID, Subject: "prod-geelong", After: -1}, []string{"gate.decided prod-geelong"}},
			{andon.AuditFilter{Change: c.ID, Subject: other, After: -1}, nil},
			{andon.AuditFilter{Change: c.ID, Actor: "bob", After: -1}, []string{"change.approved " + c.ID}},
			{andon.AuditFilter{Change: c.ID, After: first, Limit: 2}, []string{"change.approved " + c.ID, "change.transitioned " + c.ID}},
			// The last two, in index order.
			{andon.AuditFilter{Change: c.ID, After: -1, Limit: 2, Newest: true}, []string{"change.transitioned " + c.ID, "gate.decided prod-geelong"}},
			{andon.AuditFilter{Change: other, Type: "change.transitioned", After: -1, Limit: 1, Newest: true}, []string{"change.transitioned " + other}},
			{andon.AuditFilter{Change: c.ID, After: -1, Limit: 10, Newest: true}, []string{
				"change.created " + c.ID, "change.approved " + c.ID, "change.transitioned " + c.ID, "gate.decided prod-geelong",
			}},
		}
		for _, tt := range tests {
			if diff := cmp.Diff(tt.want, mustEntryNames(t, e, tt.filter)); diff != "" {
				t.Errorf("FindEntries(%+v) (-want +got):\n%s", tt.filter, diff)
			}
		}
		// A change never opened has no history, rather than an empty one
		// that a misspelt ID would pass for.
		for _, find := range []func() error{
			func() error {
				_, err := e.audit.FindEntries(ctx, andon.AuditFilter{Change: "CHG-999", After: -1})
				return err
			},
			func() error {
				_, err := e.audit.Evidence(ctx, andon.AuditFilter{Change: "chg-999", After: -1})
				return err
			},
		} {
			if err := find(); andon.ErrorCode(err) != andon.EINVALID || andon.ErrorMessage(err) != "change: no change CHG-999" {
				t.Errorf("the history of CHG-999: %v; want invalid: change: no change CHG-999", err)
			}
		}
	})
}

func TestCountByEnvironment(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.MustStage(t, imageStaged)
		for _, req := range []andon.ChangeRequest{
			{Environment: "dev", Type: andon.ChangeNormal, Title: "Barcode scanner tweak"},
			{Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "Invoice layout", Facts: andon.Facts{Modules: []string{"account"}}},
			{Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "Stock rules", Facts: andon.Facts{Modules: []string{"stock"}}},
		} {
			if _, err := e.changes.CreateChange(as("alice"), &req); err != nil {
				t.Fatal(err)
			}
		}
		got, err := e.db.CountByEnvironment(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]map[andon.State]int{
			"staging-geelong": states(andon.StateCompleted, 1),
			"dev":             states(andon.StateApproved, 1),
			"prod-lyon":       states(andon.StatePending, 2),
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CountByEnvironment (-want +got):\n%s", diff)
		}
	})
}

// states returns a count of every state, zero but for s, which has n.
func states(s andon.State, n int) map[andon.State]int {
	m := map[andon.State]int{}
	for _, st := range andon.States {
		m[st] = 0
	}
	m[s] = n
	return m
}

// A reason that shows nothing, or reads in another order than it was
// written, is no reason: refused, and nothing is recorded.
func TestCommentsThatShowNothing(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "prod-geelong", Type: andon.ChangeNormal, Title: "Later"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			verdict andon.Verdict
			comment string
			want    string
		}{
			{andon.Reject, "\u200b\u00a0", "comment: a rejection needs a reason"},
			{andon.Approve, "LGTM \u202e gnissim kcabllor", "comment: holds the bidirectional control U+202E at byte 5"},
			{andon.Approve, strings.Repeat("ok ", andon.MaxText), "comment: 196608 bytes long, longer than 65536"},
		} {
			if _, err := e.changes.Decide(as("bob"), c.ID, tt.verdict, tt.comment); andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), tt.want) {
				t.Errorf("%s with %.40q: %v; want invalid, %q", tt.verdict, tt.comment, err, tt.want)
			}
		}
		got, err := e.changes.FindChangeByID(context.Background(), c.ID)
		if err != nil || got.State != andon.StatePending || len(got.Approvals) != 0 {
			t.Errorf("after refused decisions: %+v, %v; want it pending, with no approval", got, err)
		}
	})
}

// A refused transition says why: the change is there already, or which
// states its own can lead to.
func TestTransitionRefusals(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.MustStage(t, imageStaged)
		pending, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "prod-geelong", Type: andon.ChangeNormal, Title: "Later"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.changes.Transition(as("alice"), pending.ID, andon.StateImplementing, "")
		if want := "change " + pending.ID + " is pending and cannot become implementing; a pending change needs its approvals before it can start, or it can be cancelled"; andon.ErrorMessage(err) != want {
			t.Errorf("from pending: %v, want %q", err, want)
		}
		c := approvedInWindow(t, e)
		tests := []struct {
			to   andon.State
			want string
		}{
			{andon.StateCompleted, "change " + c.ID + " is approved and cannot become completed; an approved change can become implementing or cancelled"},
			{andon.StateApproved, "change " + c.ID + " is already approved"},
		}
		for _, tt := range tests {
			_, err := e.changes.Transition(as("alice"), c.ID, tt.to, "")
			if andon.ErrorCode(err) != andon.ECONFLICT || andon.ErrorMessage(err) != tt.want {
				t.Errorf("to %s: %v, want %q", tt.to, err, tt.want)
			}
		}
		// An ID typed in lower case names the same change, in the audit
		// log's filter too.
		if entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{Change: strings.ToLower(c.ID)}); err != nil || len(entries) == 0 {
			t.Errorf("FindEntries(change %s) = %d entries, %v", strings.ToLower(c.ID), len(entries), err)
		}
		if got, err := e.changes.FindChangeByID(as("alice"), strings.ToLower(c.ID)); err != nil || got.ID != c.ID {
			t.Fatalf("FindChangeByID(%s) = %+v, %v", strings.ToLower(c.ID), got, err)
		}
		if got, err := e.changes.Transition(as("alice"), strings.ToLower(c.ID), andon.StateCancelled, ""); err != nil || got.ID != c.ID {
			t.Fatalf("Transition(%s) = %+v, %v", strings.ToLower(c.ID), got, err)
		}
		_, err = e.changes.Transition(as("alice"), c.ID, andon.StateImplementing, "")
		if want := "change " + c.ID + " is cancelled and cannot become implementing; a cancelled change is closed, and no request moves it"; andon.ErrorMessage(err) != want {
			t.Errorf("from cancelled: %v, want %q", err, want)
		}
	})
}

// TestRevokeTokens lists tokens and revokes them by ID, by the token
// itself and by user, each revocation recorded; a reference that names
// no token, or several, changes nothing.
func TestRevokeTokens(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		mustToken := func(token string, err error) string {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		bobAPI := mustToken(e.tokens.CreateToken(ctx, "bob", time.Time{}))
		e.now = e.now.Add(time.Second)
		aliceAPI := mustToken(e.tokens.CreateToken(ctx, "alice", time.Time{}))
		e.now = e.now.Add(time.Second)
		aliceFeed, _, err := e.tokens.CreateFeedToken(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		// Authenticated once, so that this process has it in its cache.
		if _, err := e.tokens.Authenticate(ctx, bobAPI); err != nil {
			t.Fatal(err)
		}

		all, err := e.tokens.ListTokens(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var users, scopes []string
		for _, tok := range all {
			users, scopes = append(users, tok.User), append(scopes, tok.Scope)
			if len(tok.ID) != 12 || strings.Contains(aliceAPI+bobAPI+aliceFeed, tok.ID) {
				t.Errorf("token ID %q: want 12 digits of the hash, not of the token", tok.ID)
			}
		}
		if diff := cmp.Diff([]string{"bob", "alice", "alice"}, users); diff != "" {
			t.Errorf("ListTokens users, oldest first (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"api", "api", "feed"}, scopes); diff != "" {
			t.Errorf("ListTokens scopes (-want +got):\n%s", diff)
		}
		if mine, err := e.tokens.ListTokens(ctx, "alice"); err != nil || len(mine) != 2 {
			t.Errorf("ListTokens(alice) = %d tokens, %v; want 2", len(mine), err)
		}

		refused := []struct{ ref, user, code, want string }{
			{"zz12", "", andon.ENOTFOUND, "no token matches: what was given is not a token ID"},
			{"1234", "", andon.EINVALID, `token ID "1234": give at least 8 of the 12 hexadecimal digits`},
			{"", "", andon.EINVALID, "give the token to revoke"},
			{all[0].ID, "bob", andon.EINVALID, "not both"},
			{"000000000000", "", andon.ENOTFOUND, "no token has the ID 000000000000"},
			{"andon_never-issued", "", andon.ENOTFOUND, "nor a token issued by this store"},
			{"", "carol", andon.ENOTFOUND, "user carol has no token"},
		}
		for _, r := range refused {
			_, err := e.tokens.RevokeTokens(ctx, r.ref, r.user)
			if andon.ErrorCode(err) != r.code || !strings.Contains(andon.ErrorMessage(err), r.want) {
				t.Errorf("RevokeTokens(%q, %q) = %v; want %s %q", r.ref, r.user, err, r.code, r.want)
			}
		}

		got, err := e.tokens.RevokeTokens(as("root"), strings.ToUpper(all[0].ID), "")
		if err != nil || len(got) != 1 || got[0] != all[0] {
			t.Fatalf("revoke by ID = %+v, %v; want %+v", got, err, all[0])
		}
		if _, err := e.tokens.Authenticate(ctx, bobAPI); andon.ErrorCode(err) != andon.EUNAUTHORIZED {
			t.Errorf("a revoked token still opens the API in the process that revoked it: %v", err)
		}
		if got, err = e.tokens.RevokeTokens(ctx, aliceFeed, ""); err != nil || len(got) != 1 || got[0] != all[2] {
			t.Fatalf("revoke by token = %+v, %v; want %+v", got, err, all[2])
		}
		if got, err = e.tokens.RevokeTokens(ctx, "", "alice"); err != nil || len(got) != 1 || got[0] != all[1] {
			t.Fatalf("revoke by user = %+v, %v; want %+v", got, err, all[1])
		}
		if left, err := e.tokens.ListTokens(ctx, ""); err != nil || len(left) != 0 {
			t.Errorf("after revoking all: %+v, %v", left, err)
		}

		entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventTokenRevoked})
		if err != nil {
			t.Fatal(err)
		}
		var records []string
		for _, en := range entries {
			records = append(records, en.Actor+" "+en.Subject+" "+string(en.Data))
		}
		want := []string{
			`root bob {"id":"` + all[0].ID + `","scope":"api"}`,
			`admin alice {"id":"` + all[2].ID + `","scope":"feed"}`,
			`admin alice {"id":"` + all[1].ID + `","scope":"api"}`,
		}
		if diff := cmp.Diff(want, records); diff != "" {
			t.Errorf("token.revoked entries (-want +got):\n%s", diff)
		}
		// A token of the caller's choosing (the demo's) is revoked by
		// itself too; a blank user is no user.
		if err := e.tokens.AddToken(ctx, "dave", "demo-dave"); err != nil {
			t.Fatal(err)
		}
		if got, err = e.tokens.RevokeTokens(ctx, "demo-dave", " "); err != nil || len(got) != 1 || got[0].User != "dave" {
			t.Errorf("revoke the demo's token = %+v, %v; want dave's", got, err)
		}
		if r := e.verify(t); !r.OK {
			t.Errorf("audit log after revocations: %s", r.Problem)
		}
	})
}

// TestRevokeTokensAmbiguousID refuses an ID prefix two tokens share.
func TestRevokeTokensAmbiguousID(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// Two tokens whose hashes share their first 8 digits: found by
		// trying, some 80,000 hashes on average.
		seen := map[string]string{}
		var prefix string
		for i := 0; prefix == ""; i++ {
			tok := fmt.Sprintf("andon_collide-%d", i)
			sum := sha256.Sum256([]byte(tok))
			p := hex.EncodeToString(sum[:4])
			if other, ok := seen[p]; ok {
				for _, tk := range []string{other, tok} {
					if err := e.tokens.AddToken(ctx, "bob", tk); err != nil {
						t.Fatal(err)
					}
				}
				prefix = p
			}
			seen[p] = tok
		}
		_, err := e.tokens.RevokeTokens(ctx, prefix, "")
		if want := "token ID " + prefix + " names 2 tokens: give more of its digits"; andon.ErrorMessage(err) != want {
			t.Errorf("RevokeTokens(%s) = %v; want %q", prefix, err, want)
		}
		if left, err := e.tokens.ListTokens(ctx, "bob"); err != nil || len(left) != 2 {
			t.Errorf("after a refused revocation: %d tokens, %v; want 2", len(left), err)
		}
	})
}

// A store opened read-only, as audit verify opens the one it checks,
// reads what a running server wrote, and once the server is gone changes
// nothing: not the database's bytes, not its directory. A file that holds
// no andon tables is named as such.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "andon.db")
	e := (&env{engine: "sqlite", dir: dir, dsn: dsn}).open(t, time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	if _, err := e.tokens.CreateToken(ctx, "bob", time.Time{}); err != nil {
		t.Fatal(err)
	}
	readTokens := func() []andon.TokenInfo {
		t.Helper()
		db, err := sqlstore.OpenReadOnly(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		tokens, err := sqlstore.NewTokenService(db).ListTokens(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		return tokens
	}
	if got := readTokens(); len(got) != 1 || got[0].User != "bob" {
		t.Fatalf("beside the running store: %+v, want bob's token", got)
	}
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	// A copy in rollback-journal mode, as a backup tool may leave one:
	// an open that set WAL mode would rewrite the file's header.
	plain, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "andon.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Exec(`PRAGMA journal_mode=DELETE`); err != nil {
		t.Fatal(err)
	}
	plain.Close()
	before := dirState(t, dir)
	if got := readTokens(); len(got) != 1 {
		t.Fatalf("after the store closed: %+v, want bob's token", got)
	}
	if after := dirState(t, dir); before["andon.db"] == "" || after["andon.db"] != before["andon.db"] {
		t.Errorf("reading changed the database file: %s before, %s after", before["andon.db"], after["andon.db"])
	}

	empty := filepath.Join(t.TempDir(), "andon.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = sqlstore.OpenReadOnly(ctx, "sqlite://"+empty)
	if andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), "is not an andon database") {
		t.Errorf("an empty file: %v; want it named not an andon database", err)
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Errorf("an empty file opened read-only: %v, %v; want it left empty", fi, err)
	}
}

// dirState is the name and content hash of every file in dir.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		state[e.Name()] = hex.EncodeToString(sum[:])
	}
	return state
}

// Another program's SQLite database is refused, to write as to read, and
// left byte for byte as it was: not turned to WAL, given no andon table.
func TestOpenRefusesAnotherProgramsDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "andon.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE orders (id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	before := dirState(t, filepath.Dir(path))
	for _, open := range []func(context.Context, string) (*sqlstore.DB, error){sqlstore.Open, sqlstore.OpenReadOnly} {
		db, err := open(context.Background(), "sqlite://"+path)
		if err == nil {
			db.Close()
		}
		if andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), "is not an andon database") {
			t.Errorf("open: %v; want it named not an andon database", err)
		}
	}
	if diff := cmp.Diff(before, dirState(t, filepath.Dir(path))); diff != "" {
		t.Errorf("opening changed the directory (-before +after):\n%s", diff)
	}
}

// TestSessionTokens checks the sessions of the board: a session token,
// opened with an API token, opens only what AuthenticateSession guards,
// ends at its lifetime or with its API token, whichever comes first, is
// ended by EndSession (which never revokes an API token), and goes with
// its API token when that is revoked, every step recorded.
func TestSessionTokens(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		apiExpires := e.now.Add(30 * 24 * time.Hour).UTC()
		api, err := e.tokens.CreateToken(ctx, "alice", apiExpires)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.tokens.CreateSession(ctx, 12*time.Hour); andon.ErrorCode(err) != andon.EUNAUTHORIZED {
			t.Errorf("a session without an API token: %v, want unauthorized", err)
		}
		if _, _, err := e.tokens.CreateSession(e.mustSignIn(t, api), -time.Hour); andon.ErrorCode(err) != andon.EINVALID {
			t.Errorf("a session of a negative lifetime: %v, want invalid", err)
		}
		e.now = e.now.Add(time.Second)
		sess, expires, err := e.tokens.CreateSession(e.mustSignIn(t, api), 12*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sess, "andonsession_") || !expires.Equal(e.now.Add(12*time.Hour)) {
			t.Errorf("session %q expiring %s, want the prefix andonsession_ and %s", sess, expires, e.now.Add(12*time.Hour))
		}
		got, err := e.tokens.AuthenticateSession(ctx, sess)
		if err != nil {
			t.Fatal(err)
		}
		apiBearer, err := e.tokens.Authenticate(ctx, api)
		if err != nil {
			t.Fatal(err)
		}
		if !got.ExpiresAt.Equal(expires) || !cmp.Equal(got.Token, apiBearer) || got.ID == apiBearer.ID {
			t.Errorf("AuthenticateSession = %+v, want its own ID, expiring %s, with the API token %+v", got, expires, apiBearer)
		}
		// A session token opens neither the API nor the feed, and an API
		// token is no session.
		for name, err := range map[string]error{
			"Authenticate(session token)":        second(e.tokens.Authenticate(ctx, sess)),
			"AuthenticateFeed(session token)":    second(e.tokens.AuthenticateFeed(ctx, sess)),
			"AuthenticateSession(API token)":     second(e.tokens.AuthenticateSession(ctx, api)),
			"AuthenticateSession(unknown token)": second(e.tokens.AuthenticateSession(ctx, sess+"x")),
		} {
			if andon.ErrorCode(err) != andon.EUNAUTHORIZED {
				t.Errorf("%s: %v, want unauthorized", name, err)
			}
		}
		list, err := e.tokens.ListTokens(ctx, "alice")
		if err != nil || len(list) != 2 || list[1].Scope != "session" || !list[1].ExpiresAt.Equal(expires) {
			t.Fatalf("ListTokens = %+v, %v; want the API token, then the session", list, err)
		}
		apiID, sessID := list[0].ID, list[1].ID

		// It expires at the end of its lifetime.
		e.now = expires
		_, err = e.tokens.AuthenticateSession(ctx, sess)
		if expired := (*andon.ExpiredTokenError)(nil); !errors.As(err, &expired) || !expired.At.Equal(expires) {
			t.Errorf("at the end of the session: %v, want it expired at %s", err, expires)
		}

		// A session lives no longer than its API token.
		e.now = apiExpires.Add(-time.Hour)
		short, shortExpires, err := e.tokens.CreateSession(e.mustSignIn(t, api), 12*time.Hour)
		if err != nil || !shortExpires.Equal(apiExpires) {
			t.Fatalf("a session of a token expiring in an hour: expires %s, %v; want %s", shortExpires, err, apiExpires)
		}

		// Signing out with the API token revokes nothing; with the
		// session, the session only; a second time, nothing.
		if err := e.tokens.EndSession(as("alice"), api); err != nil {
			t.Fatal(err)
		}
		if _, err := e.tokens.Authenticate(ctx, api); err != nil {
			t.Errorf("EndSession(API token) revoked it: %v", err)
		}
		e.now = apiExpires.Add(-30 * time.Minute)
		if err := e.tokens.EndSession(ctx, short); err != nil {
			t.Fatal(err)
		}
		if err := e.tokens.EndSession(ctx, short); err != nil {
			t.Errorf("ending an ended session: %v, want nothing", err)
		}
		if _, err := e.tokens.AuthenticateSession(ctx, short); andon.ErrorCode(err) != andon.EUNAUTHORIZED {
			t.Errorf("a session signed out of: %v, want unauthorized", err)
		}
		if _, err := e.tokens.Authenticate(ctx, api); err != nil {
			t.Errorf("signing out revoked the API token: %v", err)
		}

		// Revoking the API token revokes its sessions.
		third, _, err := e.tokens.CreateSession(e.mustSignIn(t, api), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		revoked, err := e.tokens.RevokeTokens(as("root"), apiID, "")
		if err != nil || len(revoked) != 3 || revoked[1].ID != sessID || revoked[2].Scope != "session" {
			t.Fatalf("revoking the API token: %+v, %v; want it and its two sessions", revoked, err)
		}
		if _, err := e.tokens.AuthenticateSession(ctx, third); andon.ErrorCode(err) != andon.EUNAUTHORIZED {
			t.Errorf("the session of a revoked API token: %v, want unauthorized", err)
		}

		created, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventTokenCreated, After: -1})
		if err != nil || len(created) != 4 {
			t.Fatalf("token.created entries = %+v, %v", created, err)
		}
		if got, want := string(created[1].Data), `{"expiresAt":"`+expires.Format(time.RFC3339Nano)+`","parent":"`+apiID+`","scope":"session"}`; created[1].Actor != "alice" || got != want {
			t.Errorf("token.created of the session: by %s, %s; want by alice, %s", created[1].Actor, got, want)
		}
		ended, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventTokenRevoked, After: -1})
		if err != nil || len(ended) != 4 {
			t.Fatalf("token.revoked entries = %+v, %v; want the sign-out and the three of the API token's revocation", ended, err)
		}
		if got := ended[0]; got.Actor != "alice" || got.Subject != "alice" || !strings.Contains(string(got.Data), `"scope":"session"`) {
			t.Errorf("token.revoked of the sign-out = %+v, want by alice, of a session", got)
		}
		if got, want := string(ended[2].Data), `{"expiresAt":"`+expires.Format(time.RFC3339Nano)+`","id":"`+sessID+`","parent":"`+apiID+`","scope":"session"}`; ended[2].Actor != "root" || got != want {
			t.Errorf("token.revoked of the session with its API token: by %s, %s; want by root, %s", ended[2].Actor, got, want)
		}
		for _, en := range append(created, ended...) {
			for _, tok := range []string{sess, short, third} {
				if strings.Contains(string(en.Data), tok) {
					t.Error("the audit log holds a session token in clear")
				}
			}
		}
	})
}

// TestRevokeUserEndsSessions checks that revoking every token of a user
// ends their sessions of the board.
func TestRevokeUserEndsSessions(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		api, err := e.tokens.CreateToken(ctx, "bob", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		sess, expires, err := e.tokens.CreateSession(e.mustSignIn(t, api), 12*time.Hour)
		if err != nil || !expires.Equal(e.now.Add(12*time.Hour)) {
			t.Fatalf("a session of a token that never expires: %s, %v; want it to expire in 12 hours", expires, err)
		}
		revoked, err := e.tokens.RevokeTokens(ctx, "", "bob")
		if err != nil || len(revoked) != 2 {
			t.Fatalf("RevokeTokens(--user bob) = %+v, %v; want the API token and the session", revoked, err)
		}
		if _, err := e.tokens.AuthenticateSession(ctx, sess); andon.ErrorCode(err) != andon.EUNAUTHORIZED {
			t.Errorf("a session of a user whose tokens were revoked: %v, want unauthorized", err)
		}
	})
}

// TestDeleteExpiredSessions checks that the sessions of the board expired
// for the retention are deleted, those that expired first first and at
// most the limit in one write, each with its token.revoked entry by
// andon, while sessions expired more recently, open sessions and API
// tokens, expired or not, stay.
func TestDeleteExpiredSessions(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const retention = 7 * 24 * time.Hour
		start := e.now
		api, err := e.tokens.CreateToken(ctx, "alice", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		// bob's API token expires within the hour: deleting sessions
		// leaves it for token revoke --expired.
		e.now = start.Add(time.Second)
		if _, err := e.tokens.CreateToken(ctx, "bob", start.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		signedIn := e.mustSignIn(t, api)
		open := func(at time.Time, lifetime time.Duration) {
			t.Helper()
			e.now = at
			if _, _, err := e.tokens.CreateSession(signedIn, lifetime); err != nil {
				t.Fatal(err)
			}
		}
		open(start, time.Hour)                        // expires at start+1h
		open(start.Add(2*time.Hour), time.Hour)       // start+3h
		open(start.Add(90*time.Minute), 2*time.Hour)  // start+3h30
		open(start.Add(3*time.Hour), 30*24*time.Hour) // open for 30 days
		sessions, err := e.tokens.ListTokens(ctx, "", "session")
		if err != nil || len(sessions) != 4 {
			t.Fatalf("ListTokens(session) = %+v, %v; want the 4 sessions", sessions, err)
		}
		first, second, third, long := sessions[0], sessions[2], sessions[1], sessions[3] // oldest first

		deleteExpired := func(at time.Time, limit int) []string {
			t.Helper()
			e.now = at
			deleted, err := e.tokens.DeleteExpiredSessions(ctx, retention, limit)
			if err != nil {
				t.Fatal(err)
			}
			ids := []string{}
			for _, d := range deleted {
				ids = append(ids, d.ID)
			}
			return ids
		}
		// A second short of a week after the first expired: nothing.
		if got := deleteExpired(start.Add(time.Hour+retention-time.Second), 500); len(got) != 0 {
			t.Errorf("before the retention: deleted %v, want none", got)
		}
		count, err := e.tokens.CountSessions(ctx, "")
		if want := (andon.SessionCount{Open: 1, Expired: 3}); err != nil || count != want {
			t.Errorf("CountSessions = %+v, %v; want %+v", count, err, want)
		}
		// A week after: the first, alone.
		if diff := cmp.Diff([]string{first.ID}, deleteExpired(start.Add(time.Hour+retention), 500)); diff != "" {
			t.Errorf("a week after the first expired (-want +got):\n%s", diff)
		}
		// Long after the other two expired, with a limit of one: the one
		// that expired first, then the other, then none.
		later := start.Add(4*time.Hour + retention)
		for i, want := range [][]string{{second.ID}, {third.ID}, {}} {
			if diff := cmp.Diff(want, deleteExpired(later, 1)); diff != "" {
				t.Errorf("call %d with a limit of one (-want +got):\n%s", i+1, diff)
			}
		}
		if _, err := e.tokens.DeleteExpiredSessions(ctx, retention, 0); andon.ErrorCode(err) != andon.EINVALID {
			t.Errorf("a limit of 0: %v, want invalid", err)
		}

		left, err := e.tokens.ListTokens(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tok := range left {
			got = append(got, tok.User+" "+tok.Scope)
		}
		if diff := cmp.Diff([]string{"alice api", "bob api", "alice session"}, got); diff != "" {
			t.Errorf("tokens left (-want +got):\n%s", diff)
		}
		if left[2].ID != long.ID {
			t.Errorf("the session left is %s, want the open one %s", left[2].ID, long.ID)
		}
		count, err = e.tokens.CountSessions(ctx, "alice")
		if want := (andon.SessionCount{Open: 1}); err != nil || count != want {
			t.Errorf("CountSessions(alice) = %+v, %v; want %+v", count, err, want)
		}

		// One token.revoked entry each, by andon, as token revoke
		// --expired records them.
		entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventTokenRevoked, After: -1})
		if err != nil || len(entries) != 3 {
			t.Fatalf("token.revoked entries = %+v, %v; want 3", entries, err)
		}
		for i, tok := range []andon.TokenInfo{first, second, third} {
			want := `{"expiresAt":"` + tok.ExpiresAt.Format(time.RFC3339Nano) + `","id":"` + tok.ID + `","scope":"session"}`
			if en := entries[i]; en.Actor != andon.ActorAndon || en.Subject != "alice" || string(en.Data) != want {
				t.Errorf("entry %d: by %s of %s, %s; want by andon of alice, %s", i, en.Actor, en.Subject, en.Data, want)
			}
		}
	})
}

// TestListTokensByScope checks that ListTokens lists the scopes asked
// for only, and refuses a scope that does not exist, and that
// CountSessions counts the sessions open and expired.
func TestListTokensByScope(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		api, err := e.tokens.CreateToken(ctx, "alice", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		signedIn := e.mustSignIn(t, api)
		// Apart in time, so that the listings, oldest first, list them
		// in this order.
		e.now = e.now.Add(time.Second)
		if _, _, err := e.tokens.CreateFeedToken(signedIn, "alice"); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(time.Second)
		if _, _, err := e.tokens.CreateSession(signedIn, time.Hour); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(time.Second)
		if _, err := e.tokens.CreateToken(ctx, "bob", time.Time{}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			user   string
			scopes []string
			want   []string
		}{
			{"", nil, []string{"alice api", "alice feed", "alice session", "bob api"}},
			{"", []string{"api", "feed"}, []string{"alice api", "alice feed", "bob api"}},
			{"", []string{"session"}, []string{"alice session"}},
			{"bob", []string{"session"}, []string{}},
			{"bob", []string{"api"}, []string{"bob api"}},
		} {
			list, err := e.tokens.ListTokens(ctx, tc.user, tc.scopes...)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, tok := range list {
				got = append(got, tok.User+" "+tok.Scope)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ListTokens(%q, %v) (-want +got):\n%s", tc.user, tc.scopes, diff)
			}
		}
		for user, want := range map[string]andon.SessionCount{"": {Open: 1}, "bob": {}} {
			if got, err := e.tokens.CountSessions(ctx, user); err != nil || got != want {
				t.Errorf("CountSessions(%q) = %+v, %v; want %+v", user, got, err, want)
			}
		}
		e.now = e.now.Add(time.Hour)
		if got, err := e.tokens.CountSessions(ctx, "alice"); err != nil || got != (andon.SessionCount{Expired: 1}) {
			t.Errorf("CountSessions(alice) an hour later = %+v, %v; want 1 expired", got, err)
		}
		_, err = e.tokens.ListTokens(ctx, "", "sessions")
		if want := `scope "sessions": want api, feed, session`; andon.ErrorCode(err) != andon.EINVALID || andon.ErrorMessage(err) != want {
			t.Errorf("an unknown scope: %v; want invalid, %q", err, want)
		}
	})
}

// A newer approved change whose window opens later does not hide an
// older approved change of the same image that may deploy now: the gate
// decides with the one whose window contains the instant, or that has
// none, and starts that one. Alone, the later change is refused as
// outside its window.
func TestGatePrefersAnApprovedChangeThatMayDeployNow(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		for i, tt := range []struct {
			name      string
			window    func(now time.Time) *andon.Span
			readFirst bool
		}{
			{"no window", func(time.Time) *andon.Span { return nil }, false},
			// In Geelong's time, as a person there would give it.
			{"a window from now", func(now time.Time) *andon.Span {
				now = now.In(time.FixedZone("AEDT", 11*60*60))
				return &andon.Span{Start: now, End: now.Add(2 * time.Hour)}
			}, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if i > 0 {
					e = MustOpen(t, e.engine)
				}
				e.gate.SetReadBeforeWrite(tt.readFirst)
				e.MustStage(t, imageStaged)
				older, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
					Environment: "prod-geelong", Type: andon.ChangeEmergency, Title: "Hotfix labels",
					Artifacts: []string{imageStaged}, Window: tt.window(e.now),
				})
				if err != nil {
					t.Fatal(err)
				}
				tonight := &andon.Span{Start: e.now.Add(6 * time.Hour), End: e.now.Add(8 * time.Hour)}
				newer, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
					Environment: "prod-geelong", Type: andon.ChangeNormal, Title: "Routing", Artifacts: []string{imageStaged}, Window: tonight,
				})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.changes.Decide(as("bob"), newer.ID, andon.Approve, ""); err != nil {
					t.Fatal(err)
				}
				gate := func() *andon.GateResult {
					t.Helper()
					res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged})
					if err != nil {
						t.Fatal(err)
					}
					return res
				}
				// The emergency change still waits for its approval: the
				// approved change of tonight is the one the gate weighs.
				res := gate()
				if res.Allow || res.Change == nil || res.Change.ID != newer.ID || len(res.Reasons) != 1 || res.Reasons[0].Code != "OUTSIDE_CHANGE_WINDOW" {
					t.Fatalf("gate with only %s approved = %+v; want OUTSIDE_CHANGE_WINDOW naming it", newer.ID, res)
				}
				if _, err := e.changes.Decide(as("erin"), older.ID, andon.Approve, "outage"); err != nil {
					t.Fatal(err)
				}
				res = gate()
				if !res.Allow || res.Change == nil || res.Change.ID != older.ID || res.Change.State != andon.StateImplementing {
					t.Fatalf("gate with %s approved for now and %s for tonight = %+v; want an allow moving %s to implementing", older.ID, newer.ID, res, older.ID)
				}
				for id, want := range map[string]andon.State{older.ID: andon.StateImplementing, newer.ID: andon.StateApproved} {
					if got, err := e.changes.FindChangeByID(context.Background(), id); err != nil || got.State != want {
						t.Errorf("after the gate %s is %v, %v; want %s", id, got, err, want)
					}
				}
			})
		}
	})
}

// An approved emergency change without a window whose validity has
// passed (EMERGENCY_EXPIRED, 48h after its approval in the default
// policy) does not hide an older approved change of the same image that
// may deploy now; until then, being newer, it is the one the gate weighs.
func TestGatePassesOverAnExpiredEmergencyChange(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		for i, readFirst := range []bool{false, true} {
			t.Run(fmt.Sprintf("read first %v", readFirst), func(t *testing.T) {
				if i > 0 {
					e = MustOpen(t, e.engine)
				}
				e.gate.SetReadBeforeWrite(readFirst)
				e.MustStage(t, imageStaged)
				approved := e.now
				normal, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
					Environment: "prod-geelong", Type: andon.ChangeNormal, Title: "Routing", Artifacts: []string{imageStaged},
					Window: &andon.Span{Start: approved.Add(47 * time.Hour), End: approved.Add(49 * time.Hour)},
				})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.changes.Decide(as("bob"), normal.ID, andon.Approve, ""); err != nil {
					t.Fatal(err)
				}
				emergency, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
					Environment: "prod-geelong", Type: andon.ChangeEmergency, Title: "Hotfix labels", Artifacts: []string{imageStaged},
				})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.changes.Decide(as("erin"), emergency.ID, andon.Approve, "outage"); err != nil {
					t.Fatal(err)
				}
				gate := func(preview bool) *andon.GateResult {
					t.Helper()
					res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged, Preview: preview})
					if err != nil {
						t.Fatal(err)
					}
					return res
				}
				// A second before its validity ends, the emergency change,
				// newer, is the one that goes ahead.
				e.now = approved.Add(48*time.Hour - time.Second)
				if res := gate(true); !res.Allow || res.Change == nil || res.Change.ID != emergency.ID {
					t.Fatalf("gate 1s before %s expires = %+v; want an allow naming it", emergency.ID, res)
				}
				e.now = approved.Add(48 * time.Hour)
				res := gate(false)
				if !res.Allow || res.Change == nil || res.Change.ID != normal.ID || res.Change.State != andon.StateImplementing {
					t.Fatalf("gate once %s expired, with %s in its window = %+v; want an allow moving %s to implementing", emergency.ID, normal.ID, res, normal.ID)
				}
				for id, want := range map[string]andon.State{normal.ID: andon.StateImplementing, emergency.ID: andon.StateApproved} {
					if got, err := e.changes.FindChangeByID(context.Background(), id); err != nil || got.State != want {
						t.Errorf("after the gate %s is %v, %v; want %s", id, got, err, want)
					}
				}
			})
		}
	})
}

// TestFindEntriesOfProcess checks that the entries of a business process
// are those of each change that affects it, named or through the modules
// it touches, its gate decisions included, as the entries of one change
// are; and that an export of them, in a period, verifies offline.
func TestFindEntriesOfProcess(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		var ids []string
		for _, req := range []andon.ChangeRequest{
			{Environment: "staging-lyon", Type: andon.ChangeNormal, Title: "Invoice layout", Facts: andon.Facts{Modules: []string{"account"}}},
			{Environment: "staging-lyon", Type: andon.ChangeNormal, Title: "Inspection sheet", Processes: []string{"quality"}},
			{Environment: "staging-lyon", Type: andon.ChangeNormal, Title: "Closing", Processes: []string{"finance"}, Artifacts: []string{imageNew}},
		} {
			c, err := e.changes.CreateChange(as("alice"), &req)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		e.now = e.now.Add(time.Hour)
		since := e.now
		if res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "staging-lyon", Image: imageNew}); err != nil || !res.Allow || res.Change.ID != ids[2] {
			t.Fatalf("gate = %+v, %v; want %s allowed", res, err, ids[2])
		}
		until := e.now.Add(time.Second)
		tests := []struct {
			filter andon.AuditFilter
			want   []string // type and subject of each entry
		}{
			{andon.AuditFilter{Process: "finance", After: -1}, []string{
				"change.created " + ids[0], "change.created " + ids[2], "change.transitioned " + ids[2], "gate.decided staging-lyon",
			}},
			{andon.AuditFilter{Process: "quality", After: -1}, []string{"change.created " + ids[1]}},
			{andon.AuditFilter{Process: "finance", Type: andon.EventGateDecision, After: -1}, []string{"gate.decided staging-lyon"}},
			{andon.AuditFilter{Process: "finance", Change: ids[0], After: -1}, []string{"change.created " + ids[0]}},
			{andon.AuditFilter{Process: "quality", Change: ids[0], After: -1}, nil},
			{andon.AuditFilter{Process: "finance", Since: &since, Until: &until, After: -1}, []string{
				"change.transitioned " + ids[2], "gate.decided staging-lyon",
			}},
			{andon.AuditFilter{Process: "finance", After: -1, Limit: 1, Newest: true}, []string{"gate.decided staging-lyon"}},
			// A process no change affects has no entries, and is no error:
			// one the catalog no longer holds may still have some.
			{andon.AuditFilter{Process: "payroll", After: -1}, nil},
		}
		for _, tt := range tests {
			if diff := cmp.Diff(tt.want, mustEntryNames(t, e, tt.filter)); diff != "" {
				t.Errorf("FindEntries(%+v) (-want +got):\n%s", tt.filter, diff)
			}
		}

		ev, v, _, types := mustEvidenceTypes(t, e, andon.AuditFilter{Process: "finance", Since: &since, After: -1})
		if want := []string{andon.EventChangeTransition, andon.EventGateDecision}; !slices.Equal(types, want) || ev.More || ev.Filter.Process != "finance" {
			t.Errorf("export of finance since %s: %v (more %v, filter %+v); want %v, no more, its process named", since, types, ev.More, ev.Filter, want)
		}
		// An export of a process, with no other filter, leaves out the
		// entries of other processes: it is not one of every entry.
		whole, err := e.audit.Evidence(ctx, andon.AuditFilter{Process: "finance", After: -1})
		if err != nil {
			t.Fatal(err)
		}
		if _, entries, err := auditlog.CheckEvidence(whole, v); err != nil || len(entries) != 4 {
			t.Errorf("CheckEvidence of every entry of finance: %d entries, %v; want 4, verified", len(entries), err)
		}
		if parts, err := e.audit.EvidenceParts(ctx, andon.AuditFilter{Process: "finance", After: -1}); err != nil || len(parts) != 1 || parts[0] != ev.Entries[len(ev.Entries)-1].Index {
			t.Errorf("EvidenceParts(finance) = %v, %v; want one part ending at its gate decision", parts, err)
		}
	})
}

// mustEvidenceTypes exports the entries of filter, checks the export as an
// auditor does, offline with the key it names, and returns it, that key's
// verifier, its checkpoint and the types of its entries in order.
func mustEvidenceTypes(t *testing.T, e *env, filter andon.AuditFilter) (*andon.Evidence, note.Verifier, *andon.Checkpoint, []string) {
	t.Helper()
	ev, err := e.audit.Evidence(context.Background(), filter)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(ev.Checkpoint.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	cp, entries, err := auditlog.CheckEvidence(ev, v)
	if err != nil {
		t.Fatalf("CheckEvidence: %v", err)
	}
	var types []string
	for _, en := range entries {
		types = append(types, en.Type)
	}
	return ev, v, cp, types
}

// mustEntryNames finds the entries of filter and names each by its type
// and subject, in the order found.
func mustEntryNames(t *testing.T, e *env, filter andon.AuditFilter) []string {
	t.Helper()
	entries, err := e.audit.FindEntries(context.Background(), filter)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, en := range entries {
		got = append(got, en.Type+" "+en.Subject)
	}
	return got
}

// A change is found by the URL of one of its links, exactly: not by a
// URL it begins with, nor one in another case.
func TestFindChangesByLink(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		run := "https://github.com/odoo-lyon/erp/actions/runs/12"
		var ids []string
		for _, url := range []string{run, run + "3", "https://github.com/Odoo-Lyon/erp/actions/runs/12"} {
			c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "staging-geelong", Type: andon.ChangeStandard,
				Title: "Release", Artifacts: []string{imageNew}, Links: []andon.Link{{Kind: "pipeline", URL: url}}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		for _, tt := range []struct {
			env, link string
			want      []string
		}{
			{"staging-geelong", run, []string{ids[0]}},
			{"staging-geelong", run + "3", []string{ids[1]}},
			{"staging-geelong", run + "4", nil},
			{"staging-lyon", run, nil},
		} {
			list, _, err := e.changes.FindChanges(context.Background(), andon.ChangeFilter{Environment: tt.env, Link: tt.link})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range list {
				got = append(got, c.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("changes of %s linked to %s (-want +got):\n%s", tt.env, tt.link, diff)
			}
		}
	})
}
