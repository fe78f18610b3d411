package github_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/calendar"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/examples"
	"github.com/andon-governance/andon/github"
	"github.com/andon-governance/andon/github/githubtest"
	"github.com/andon-governance/andon/policy"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	appID  = 4242
	secret = "it's a secret to everybody"
	image  = "registry.example.com/odoo/odoo:17.1@sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

// stack is a store with the services over it, the example catalog, the
// default policy, a clock the test moves, a fake GitHub and the App.
type stack struct {
	now     time.Time
	db      *sqlstore.DB
	changes *sqlstore.ChangeService
	audit   *sqlstore.AuditService
	gate    *sqlstore.GateService
	github  *githubtest.GitHub
	app     *github.Protector
	// deliveries counts the deliveries made, each its own ID.
	deliveries int
}

func eachEngine(t *testing.T, test func(t *testing.T, s *stack)) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) { test(t, mustStack(t, engine, nil)) })
	}
}

func mustStack(t *testing.T, engine string, envs map[string]string) *stack {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cat := mustCatalog(t)
	pol, err := policy.New(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.LoadOrCreateKey(dir, "andon")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, sqlstoretest.DSN(t, engine, dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &stack{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), db: db}
	db.Signer = signer
	db.Now = func() time.Time { return s.now }
	holder := andon.NewCatalogHolder(cat)
	cal := calendar.NewService(holder)
	s.changes = sqlstore.NewChangeService(db, holder, pol, cal)
	s.audit = sqlstore.NewAuditService(db)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s.gate = sqlstore.NewGateService(db, s.changes, holder, pol, cal, slog.New(slog.DiscardHandler))
	s.github = githubtest.New(t, appID, &key.PublicKey, db.Now)
	s.app = github.New(github.Config{AppID: appID, Key: key, Secret: func() ([]byte, error) { return []byte(secret), nil },
		APIURL: s.github.URL, Environments: envs, Store: sqlstore.NewGitHubStore(db), Changes: s.changes,
		Gate: s.gate, Catalog: holder, Now: db.Now})
	return s
}

func mustCatalog(t *testing.T) *andon.Catalog {
	t.Helper()
	cat, err := catalog.LoadFS(examples.Catalog, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func as(user string) context.Context {
	return andon.NewContextWithUser(context.Background(), &andon.User{Name: user})
}

// runURL is the page of run of the test's repository.
func runURL(run int) string {
	return fmt.Sprintf("https://github.com/odoo-lyon/erp/actions/runs/%d", run)
}

// request is a deployment_protection_rule delivery of run for a GitHub
// environment, signed with the secret, a new delivery each time.
func (s *stack) request(run int, env string) andon.GitHubDelivery {
	body := githubtest.Request(s.github.URL, "odoo-lyon/erp", run, env)
	s.deliveries++
	return andon.GitHubDelivery{Event: "deployment_protection_rule", ID: fmt.Sprint("delivery-", s.deliveries), Signature: githubtest.Sign(secret, body), Body: []byte(body)}
}

// mustDeliver delivers d and wants it recorded, waiting.
func (s *stack) mustDeliver(t *testing.T, d andon.GitHubDelivery) *andon.GitHubDeployment {
	t.Helper()
	rec, err := s.app.Deliver(context.Background(), d)
	if err != nil || rec == nil || rec.State != andon.GitHubWaiting {
		t.Fatalf("Deliver = %+v, %v; want a waiting request", rec, err)
	}
	return rec
}

// mustChange opens a change of env with image, linked to run.
func (s *stack) mustChange(t *testing.T, env string, typ andon.ChangeType, run int) *andon.Change {
	t.Helper()
	c, err := s.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: env, Type: typ, Title: "Release 4f2a6c8e",
		Artifacts: []string{image}, Links: []andon.Link{{Kind: "ticket", URL: runURL(run) + "0"}, {Kind: "pipeline", URL: runURL(run)}}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (s *stack) mustCheck(t *testing.T) {
	t.Helper()
	if err := s.app.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (s *stack) wantCallbacks(t *testing.T, want ...githubtest.Callback) {
	t.Helper()
	got := s.github.Callbacks()
	for i := range got {
		if i < len(want) && strings.Contains(got[i].Note, want[i].Note) {
			got[i].Note = want[i].Note
		}
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(githubtest.Callback{}, "Path"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("callbacks (-want +got):\n%s", diff)
	}
}

func (s *stack) mustFind(t *testing.T, id string) *andon.GitHubDeployment {
	t.Helper()
	list, err := s.app.FindGitHubDeployments(context.Background(), andon.GitHubDeploymentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range list {
		if d.ID == id {
			return d
		}
	}
	t.Fatalf("no GitHub deployment %s in %+v", id, list)
	return nil
}

func (s *stack) mustEntries(t *testing.T, typ string) []*andon.Entry {
	t.Helper()
	entries, err := s.audit.FindEntries(context.Background(), andon.AuditFilter{Type: typ, After: -1})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestBadSignatureRecordsNothing(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *stack) {
		good := s.request(1, "staging-geelong")
		for name, sig := range map[string]string{
			"missing":        "",
			"another secret": "sha256=" + strings.Repeat("ab", 32),
			"not hex":        "sha256=zz",
			"sha1":           "sha1=" + strings.Repeat("ab", 20),
		} {
			d := good
			d.Signature = sig
			rec, err := s.app.Deliver(context.Background(), d)
			if andon.ErrorCode(err) != andon.EUNAUTHORIZED || rec != nil {
				t.Errorf("%s signature: Deliver = %+v, %v; want unauthorized", name, rec, err)
			}
		}
		d := good
		d.Body = append([]byte(nil), d.Body...)
		d.Body[len(d.Body)-3] = '8' // the installation, 78: the signature no longer matches
		if _, err := s.app.Deliver(context.Background(), d); andon.ErrorCode(err) != andon.EUNAUTHORIZED {
			t.Errorf("altered body: Deliver = %v; want unauthorized", err)
		}
		if list, err := s.app.FindGitHubDeployments(context.Background(), andon.GitHubDeploymentFilter{}); err != nil || len(list) != 0 {
			t.Errorf("recorded %+v, %v; want nothing", list, err)
		}
		if got := s.mustEntries(t, andon.EventGitHubRequested); len(got) != 0 {
			t.Errorf("audit entries %+v; want none", got)
		}
	})
}

func TestApprovedChangeIsApprovedAndImplementing(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *stack) {
		c := s.mustChange(t, "staging-geelong", andon.ChangeStandard, 12)
		if c.State != andon.StateApproved {
			t.Fatalf("change %s is %s; want it approved at once", c.ID, c.State)
		}
		rec := s.mustDeliver(t, s.request(12, "staging-geelong"))
		if again := s.mustDeliver(t, s.request(12, "staging-geelong")); again.ID != rec.ID {
			t.Errorf("the same delivery again recorded %s; want %s", again.ID, rec.ID)
		}
		if rec.RunURL != runURL(12) || rec.Environment != "staging-geelong" || rec.InstallationID != 77 || rec.SHA != "4f2a6c8e" {
			t.Errorf("recorded %+v", rec)
		}
		s.mustCheck(t)
		s.wantCallbacks(t, githubtest.Callback{Env: "staging-geelong", State: "approved", Note: c.ID + " (Release 4f2a6c8e) allowed to staging-geelong"})
		got, err := s.changes.FindChangeByID(context.Background(), c.ID)
		if err != nil || got.State != andon.StateImplementing {
			t.Errorf("change after the answer = %+v, %v; want it implementing", got, err)
		}
		d := s.mustFind(t, rec.ID)
		if d.State != andon.GitHubApproved || d.Change != c.ID || d.AnsweredAt == nil {
			t.Errorf("request after the answer = %+v; want it approved, of %s, answered", d, c.ID)
		}
		for _, typ := range []string{andon.EventGitHubRequested, andon.EventGitHubDecided, andon.EventGitHubAnswered} {
			if entries := s.mustEntries(t, typ); len(entries) != 1 || entries[0].Subject != rec.ID {
				t.Errorf("%s entries %+v; want one of %s", typ, entries, rec.ID)
			}
		}
		gate := s.mustEntries(t, andon.EventGateDecision)
		if len(gate) != 1 || gate[0].Actor != "github:odoo-lyon/erp" {
			t.Errorf("gate decisions %+v; want one, by github:odoo-lyon/erp", gate)
		}
		// Answered, it is asked about no more.
		s.mustCheck(t)
		if n := len(s.github.Callbacks()); n != 1 {
			t.Errorf("%d callbacks after another check; want 1", n)
		}
	})
}

func TestPendingChangeWaitsForItsApprovals(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *stack) {
		c := s.mustChange(t, "staging-geelong", andon.ChangeEmergency, 13)
		if c.State != andon.StatePending {
			t.Fatalf("change %s is %s; want it pending", c.ID, c.State)
		}
		rec := s.mustDeliver(t, s.request(13, "staging-geelong"))
		for range 3 {
			s.mustCheck(t)
			s.now = s.now.Add(time.Minute)
		}
		s.wantCallbacks(t)
		if d := s.mustFind(t, rec.ID); d.State != andon.GitHubWaiting || d.Change != "" {
			t.Errorf("request = %+v; want it waiting", d)
		}
		// Asked every minute while it waits, the gate records nothing:
		// only an answer for good is a decision of the audit log.
		if gate := s.mustEntries(t, andon.EventGateDecision); len(gate) != 0 {
			t.Errorf("gate decisions while it waits: %+v; want none", gate)
		}
		if _, err := s.changes.Decide(as("erin"), c.ID, andon.Approve, "go"); err != nil {
			t.Fatal(err)
		}
		s.mustCheck(t)
		s.wantCallbacks(t, githubtest.Callback{Env: "staging-geelong", State: "approved", Note: c.ID})
		if gate := s.mustEntries(t, andon.EventGateDecision); len(gate) != 1 || !strings.Contains(string(gate[0].Data), `"allow":true`) {
			t.Errorf("gate decisions: %+v; want the one that allowed it", gate)
		}
	})
}

func TestWaitingTooLongIsRejected(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *stack) {
		c := s.mustChange(t, "staging-geelong", andon.ChangeEmergency, 20)
		s.mustDeliver(t, s.request(20, "staging-geelong"))
		s.now = s.now.Add(github.DefaultMaxWait - time.Second)
		s.mustCheck(t)
		s.wantCallbacks(t)
		s.now = s.now.Add(time.Second)
		s.mustCheck(t)
		s.wantCallbacks(t, githubtest.Callback{Env: "staging-geelong", State: "rejected",
			Note: fmt.Sprintf("andon: waited 1d, and the gate still denies %s: NO_APPROVED_CHANGE: change %s is pending, not approved", c.ID, c.ID)})
		if gate := s.mustEntries(t, andon.EventGateDecision); len(gate) != 1 || !strings.Contains(string(gate[0].Data), `"allow":false`) {
			t.Errorf("gate decisions: %+v; want the refusal it was rejected for", gate)
		}
	})
}

func TestRejectedChangeIsRejectedWithTheGatesReasons(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *stack) {
		c := s.mustChange(t, "staging-geelong", andon.ChangeEmergency, 14)
		s.mustDeliver(t, s.request(14, "staging-geelong"))
		s.mustCheck(t)
		if _, err := s.changes.Decide(as("erin"), c.ID, andon.Reject, "the image is broken"); err != nil {
			t.Fatal(err)
		}
		s.mustCheck(t)
		s.wantCallbacks(t, githubtest.Callback{Env: "staging-geelong", State: "rejected",
			Note: fmt.Sprintf("andon: %s is rejected: NO_APPROVED_CHANGE: change %s is rejected, not approved", c.ID, c.ID)})
		if gate := s.mustEntries(t, andon.EventGateDecision); len(gate) != 1 {
			t.Errorf("gate decisions: %+v; want the refusal it was rejected for", gate)
		}
	})
}

func TestCallbackFailingIsTriedAgain(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *stack) {
		s.mustChange(t, "staging-geelong", andon.ChangeStandard, 15)
		rec := s.mustDeliver(t, s.request(15, "staging-geelong"))
		s.github.FailNext(2)
		if err := s.app.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "502") {
			t.Errorf("Check with GitHub failing = %v; want its 502", err)
		}
		d := s.mustFind(t, rec.ID)
		if d.State != andon.GitHubApproved || d.AnsweredAt != nil {
			t.Errorf("request = %+v; want it approved, not answered", d)
		}
		// Not before its backoff: 30 seconds, then a minute.
		s.mustCheck(t)
		s.now = s.now.Add(30 * time.Second)
		if err := s.app.Check(context.Background()); err == nil {
			t.Error("Check with GitHub failing again = nil; want its 502")
		}
		s.now = s.now.Add(59 * time.Second)
		s.mustCheck(t)
		s.wantCallbacks(t)
		s.now = s.now.Add(time.Second)
		s.mustCheck(t)
		s.wantCallbacks(t, githubtest.Callback{Env: "staging-geelong", State: "approved"})
		if d := s.mustFind(t, rec.ID); d.AnsweredAt == nil {
			t.Errorf("request = %+v; want it answered", d)
		}
		if n := len(s.mustEntries(t, andon.EventGitHubDecided)); n != 1 {
			t.Errorf("%d decisions recorded; want 1", n)
		}
	})
}

func TestUnmappedEnvironmentIsRejected(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := mustStack(t, engine, map[string]string{"production": "prod-lyon", "qa": "qa-lyon"})
			prod := s.mustDeliver(t, s.request(16, "production"))
			unmapped := s.mustDeliver(t, s.request(17, "preview"))
			gone := s.mustDeliver(t, s.request(18, "qa"))
			if prod.Environment != "prod-lyon" || unmapped.Environment != "" || gone.Environment != "qa-lyon" {
				t.Errorf("environments %q, %q, %q; want prod-lyon, none, qa-lyon", prod.Environment, unmapped.Environment, gone.Environment)
			}
			s.mustCheck(t)
			s.wantCallbacks(t,
				githubtest.Callback{Env: "preview", State: "rejected", Note: "the GitHub environment preview maps to no andon environment"},
				githubtest.Callback{Env: "qa", State: "rejected", Note: "the GitHub environment qa maps to qa-lyon, which andon's catalog does not hold"})
			if d := s.mustFind(t, prod.ID); d.State != andon.GitHubWaiting {
				t.Errorf("request of production = %+v; want it waiting for a change", d)
			}
		})
	}
}

func TestNoLinkedChangeIsRejectedAfterAWhile(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *stack) {
		// A change of another run does not count.
		s.mustChange(t, "staging-geelong", andon.ChangeStandard, 1)
		s.mustDeliver(t, s.request(19, "staging-geelong"))
		s.now = s.now.Add(github.DefaultLinkWait - time.Second)
		s.mustCheck(t)
		s.wantCallbacks(t)
		s.now = s.now.Add(time.Second)
		s.mustCheck(t)
		s.wantCallbacks(t, githubtest.Callback{Env: "staging-geelong", State: "rejected", Note: "no change of staging-geelong links to this run after 15m"})
	})
}

func TestAnswerRefusedForGoodIsNotSentAgain(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *stack) {
		s.mustChange(t, "staging-geelong", andon.ChangeStandard, 21)
		rec := s.mustDeliver(t, s.request(21, "staging-geelong"))
		// The run's rule answered already, or the run gone: GitHub says
		// so with a 422 however often it is asked.
		s.github.RefuseNext(100, http.StatusUnprocessableEntity)
		s.mustCheck(t)
		d := s.mustFind(t, rec.ID)
		if d.State != andon.GitHubApproved || d.AnsweredAt == nil || !strings.Contains(d.Refused, "422") {
			t.Errorf("request = %+v; want it approved, closed, GitHub's 422 recorded", d)
		}
		s.now = s.now.Add(time.Hour)
		s.mustCheck(t)
		s.github.RefuseNext(0, 0)
		s.mustCheck(t)
		s.wantCallbacks(t)
		entries := s.mustEntries(t, andon.EventGitHubAnswered)
		if len(entries) != 1 || !strings.Contains(string(entries[0].Data), `"refused":"POST `) {
			t.Errorf("answered entries %+v; want one naming GitHub's refusal", entries)
		}
		// A delivery of the run again, as for an attempt run again, is a
		// new request, answered.
		again := s.mustDeliver(t, s.request(21, "staging-geelong"))
		if again.ID == rec.ID {
			t.Errorf("a request after the refusal is %s; want a new one", again.ID)
		}
	})
}

func TestAnswerRefusedForAWhileIsTriedAgain(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *stack) {
		s.mustChange(t, "staging-geelong", andon.ChangeStandard, 22)
		rec := s.mustDeliver(t, s.request(22, "staging-geelong"))
		for _, status := range []int{http.StatusForbidden, http.StatusTooManyRequests, http.StatusUnauthorized} {
			s.github.RefuseNext(1, status)
			if err := s.app.Check(context.Background()); err == nil || !strings.Contains(err.Error(), fmt.Sprint(status)) {
				t.Errorf("Check with GitHub answering %d = %v; want its %d", status, err, status)
			}
			if d := s.mustFind(t, rec.ID); d.AnsweredAt != nil || d.Refused != "" {
				t.Errorf("after a %d, request = %+v; want it open", status, d)
			}
			// Past its backoff, within the token's hour.
			s.now = s.now.Add(5 * time.Minute)
		}
		s.mustCheck(t)
		s.wantCallbacks(t, githubtest.Callback{Env: "staging-geelong", State: "approved"})
	})
}

func TestRequestOfAnotherRepositorysRunIsRefused(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *stack) {
		// A change of odoo-lyon/erp's run 23, approved.
		s.mustChange(t, "staging-geelong", andon.ChangeStandard, 23)
		own := githubtest.Request(s.github.URL, "odoo-lyon/erp", 23, "staging-geelong")
		for name, body := range map[string]string{
			// The answer would approve the job of another repository's
			// run 23, for odoo-lyon/erp's change.
			"callback of another repository": strings.Replace(own, "/repos/odoo-lyon/erp/", "/repos/odoo-lyon/scratch/", 1),
			// The page names odoo-lyon/erp's run, the callback another's.
			"another repository": strings.NewReplacer(`"full_name":"odoo-lyon/erp"`, `"full_name":"odoo-lyon/scratch"`,
				"/repos/odoo-lyon/erp/", "/repos/odoo-lyon/scratch/").Replace(own),
		} {
			d := andon.GitHubDelivery{Event: "deployment_protection_rule", ID: "delivery-" + name, Signature: githubtest.Sign(secret, body), Body: []byte(body)}
			rec, err := s.app.Deliver(context.Background(), d)
			if andon.ErrorCode(err) != andon.EINVALID || rec != nil {
				t.Errorf("%s: Deliver = %+v, %v; want it refused as invalid", name, rec, err)
			}
		}
		s.mustCheck(t)
		s.wantCallbacks(t)
		if got := s.mustEntries(t, andon.EventGitHubRequested); len(got) != 0 {
			t.Errorf("audit entries %+v; want none", got)
		}
	})
}

func TestListingSaysWhyARequestWaits(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *stack) {
		rec := s.mustDeliver(t, s.request(24, "staging-geelong"))
		if d := s.mustFind(t, rec.ID); !strings.Contains(d.Waiting, "no change of staging-geelong links to the run yet") ||
			!strings.Contains(d.Waiting, "2026-11-26T09:15:00Z") {
			t.Errorf("waiting for %q; want no change linked, rejected from 09:15", d.Waiting)
		}
		c := s.mustChange(t, "staging-geelong", andon.ChangeEmergency, 24)
		s.mustCheck(t)
		if d := s.mustFind(t, rec.ID); !strings.Contains(d.Waiting, "the gate denies "+c.ID+": NO_APPROVED_CHANGE") ||
			!strings.Contains(d.Waiting, "2026-11-27T09:00:00Z") {
			t.Errorf("waiting for %q; want the gate's reason, rejected from the next day", d.Waiting)
		}
		if _, err := s.changes.Decide(as("erin"), c.ID, andon.Approve, "go"); err != nil {
			t.Fatal(err)
		}
		if d := s.mustFind(t, rec.ID); !strings.Contains(d.Waiting, "the gate allows "+c.ID) {
			t.Errorf("waiting for %q; want the gate allowing it", d.Waiting)
		}
		// The listing asks the gate as a preview: it records nothing.
		if gate := s.mustEntries(t, andon.EventGateDecision); len(gate) != 0 {
			t.Errorf("gate decisions: %+v; want none", gate)
		}
		s.mustCheck(t)
		if d := s.mustFind(t, rec.ID); d.State != andon.GitHubApproved || d.Waiting != "" {
			t.Errorf("request = %+v; want it approved, waiting for nothing", d)
		}
	})
}

func TestDeliveryReplayedRecordsNothing(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *stack) {
		s.mustChange(t, "staging-geelong", andon.ChangeStandard, 25)
		d := s.request(25, "staging-geelong")
		rec := s.mustDeliver(t, d)
		s.mustCheck(t)
		s.wantCallbacks(t, githubtest.Callback{Env: "staging-geelong", State: "approved"})
		// The same signed delivery, sent again once answered (by whoever
		// kept it), is the request it recorded: no new request, no second
		// gate decision, no second answer.
		s.now = s.now.Add(time.Hour)
		again, err := s.app.Deliver(context.Background(), d)
		if err != nil || again == nil || again.ID != rec.ID || again.AnsweredAt == nil {
			t.Fatalf("Deliver again = %+v, %v; want %s as it stands, answered", again, err, rec.ID)
		}
		s.mustCheck(t)
		s.wantCallbacks(t, githubtest.Callback{Env: "staging-geelong", State: "approved"})
		if n := len(s.mustEntries(t, andon.EventGitHubRequested)); n != 1 {
			t.Errorf("%d requests recorded; want 1", n)
		}
		if n := len(s.mustEntries(t, andon.EventGateDecision)); n != 1 {
			t.Errorf("%d gate decisions recorded; want 1", n)
		}
		// A delivery without its X-GitHub-Delivery is refused.
		d.ID = ""
		if _, err := s.app.Deliver(context.Background(), d); andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(err.Error(), "X-GitHub-Delivery") {
			t.Errorf("Deliver without X-GitHub-Delivery = %v; want it invalid, naming the header", err)
		}
	})
}

func TestGitHubUnreachableNamesTheFlag(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *stack) {
		// A port nothing listens on: the API that GitHub's callback names
		// and andon was given, but closed.
		closed := "http://127.0.0.1:1"
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		holder := andon.NewCatalogHolder(mustCatalog(t))
		app := github.New(github.Config{AppID: appID, Key: key, Secret: func() ([]byte, error) { return []byte(secret), nil },
			APIURL: closed, Store: sqlstore.NewGitHubStore(s.db), Changes: s.changes, Gate: s.gate, Catalog: holder, Now: s.db.Now})
		s.mustChange(t, "staging-geelong", andon.ChangeStandard, 26)
		body := githubtest.Request(closed, "odoo-lyon/erp", 26, "staging-geelong")
		if _, err := app.Deliver(context.Background(), andon.GitHubDelivery{Event: "deployment_protection_rule", ID: "closed-26",
			Signature: githubtest.Sign(secret, body), Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
		if err := app.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "--github-api-url "+closed) {
			t.Errorf("Check with GitHub closed = %v; want it to name --github-api-url %s", err, closed)
		}
	})
}
