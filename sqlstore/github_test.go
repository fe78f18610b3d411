package sqlstore_test

import (
	"context"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
)

// A request delivered again while it is not answered is the one recorded;
// once answered, the run's next request, another delivery, is a new one,
// and a delivery recorded already is the one recorded, however late it is
// sent again. A decision is made once.
func TestGitHubRequestsRecordedOnce(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		store := sqlstore.NewGitHubStore(e.db)
		req := &andon.GitHubDeployment{Repository: "odoo-lyon/erp", RunURL: "https://github.com/odoo-lyon/erp/actions/runs/12",
			GitHubEnvironment: "staging", Environment: "staging-geelong", InstallationID: 7, Delivery: "72d3162e-1",
			CallbackURL: "https://api.github.com/repos/odoo-lyon/erp/actions/runs/12/deployment_protection_rule"}
		first, created, err := store.RecordRequest(ctx, req)
		if err != nil || !created || first.ID != "GHD-1" || first.State != andon.GitHubWaiting || !first.RequestedAt.Equal(e.now) {
			t.Fatalf("RecordRequest = %+v, %v, %v; want GHD-1 waiting, created now", first, created, err)
		}
		if again, created, err := store.RecordRequest(ctx, req); err != nil || created || again.ID != first.ID {
			t.Errorf("RecordRequest again = %+v, %v, %v; want %s, not created", again, created, err, first.ID)
		}
		if _, err := store.Answered(ctx, first.ID, ""); andon.ErrorCode(err) != andon.ECONFLICT {
			t.Errorf("Answered before a decision = %v; want a conflict", err)
		}
		if _, err := store.Decide(ctx, first.ID, andon.GitHubApproved, "CHG-1", "allowed"); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Decide(ctx, first.ID, andon.GitHubRejected, "CHG-1", "no"); andon.ErrorCode(err) != andon.ECONFLICT {
			t.Errorf("a second decision = %v; want a conflict", err)
		}
		if again, created, err := store.RecordRequest(ctx, req); err != nil || created || again.ID != first.ID || again.State != andon.GitHubApproved {
			t.Errorf("RecordRequest once decided = %+v, %v, %v; want %s as it stands", again, created, err, first.ID)
		}
		if d, err := store.Answered(ctx, first.ID, ""); err != nil || d.AnsweredAt == nil {
			t.Fatalf("Answered = %+v, %v", d, err)
		}
		if replay, created, err := store.RecordRequest(ctx, req); err != nil || created || replay.ID != first.ID || replay.AnsweredAt == nil {
			t.Errorf("RecordRequest of its delivery once answered = %+v, %v, %v; want %s as it stands", replay, created, err, first.ID)
		}
		next := *req
		next.Delivery = "72d3162e-2"
		if next, created, err := store.RecordRequest(ctx, &next); err != nil || !created || next.ID != "GHD-2" {
			t.Errorf("RecordRequest of another delivery once answered = %+v, %v, %v; want GHD-2", next, created, err)
		}
		unnamed := *req
		unnamed.Delivery = ""
		if _, _, err := store.RecordRequest(ctx, &unnamed); andon.ErrorCode(err) != andon.EINVALID {
			t.Errorf("RecordRequest without a delivery = %v; want it invalid", err)
		}
		open, err := store.Find(ctx, andon.GitHubDeploymentFilter{Open: true})
		if err != nil || len(open) != 1 || open[0].ID != "GHD-2" {
			t.Errorf("open requests %+v, %v; want GHD-2 alone", open, err)
		}
		if _, err := store.Decide(ctx, "GHD-9", andon.GitHubApproved, "", ""); andon.ErrorCode(err) != andon.ENOTFOUND {
			t.Errorf("Decide GHD-9 = %v; want not found", err)
		}
		for typ, want := range map[string]int{andon.EventGitHubRequested: 2, andon.EventGitHubDecided: 1, andon.EventGitHubAnswered: 1} {
			entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: typ, After: -1})
			if err != nil || len(entries) != want {
				t.Errorf("%s entries %+v, %v; want %d", typ, entries, err, want)
			}
		}
	})
}
