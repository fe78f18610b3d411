package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/andon-governance/andon/web"
)

// TestReadOnlySession: signed in with a read-only token, the board shows
// everything and offers no action, and every form that acts, through the
// whole route table, is refused with a 403 that says why and writes
// nothing; the forms that only read still work.
func TestReadOnlySession(t *testing.T) {
	s := MustServe(t, nil, thursday)
	c := createChange(t, s, "alice", "prod-lyon", "Replenishment rules")
	// bob is a change manager: a token that writes would let him decide.
	ro, err := s.tokens.CreateReadOnlyToken(context.Background(), "bob", thursday.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.post("/login", url.Values{"token": {ro}}).mustStatus(t, http.StatusSeeOther)

	detail := "/changes/" + c.ID
	p := b.get(detail).mustStatus(t, http.StatusOK)
	for _, form := range []string{"form#decide", "form#transition", "form#review"} {
		if len(p.all(form)) != 0 {
			t.Errorf("the change's page offers %s to a read-only session", form)
		}
	}
	if p.text("#read-only") == "" || p.text("#read-only-token") != "(read-only)" {
		t.Errorf("the change's page does not say the session is read-only:\n%s", p.body)
	}
	if b.get("/approvals").mustStatus(t, http.StatusOK).text("#read-only") == "" {
		t.Error("my approvals does not say the session cannot approve")
	}
	if len(b.get("/changes").mustStatus(t, http.StatusOK).all(`a[href="/changes/new"]`)) != 0 {
		t.Error("the list of changes offers a new change to a read-only session")
	}
	// bob's own session of a token that writes is offered the decision.
	if len(s.MustSignIn(t, "bob").get(detail).mustStatus(t, http.StatusOK).all("form#decide")) == 0 {
		t.Fatal("a session that writes is not offered the decision either: the test proves nothing")
	}

	csrf := p.attr("input[name=csrf]", "value")
	before, err := s.audit.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, rt := range web.Routes() {
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok || !rt.SignedIn || rt.OpenToReadOnly {
			continue
		}
		path = strings.NewReplacer("{id}", c.ID, "{index}", "0").Replace(path)
		form := url.Values{"csrf": {csrf}, "verdict": {"approve"}, "to": {"cancelled"}, "comment": {"fine"},
			"environment": {"staging-lyon"}, "type": {"normal"}, "title": {"Read-only"}, "artifacts": {image}}
		var got *page
		if method == http.MethodGet {
			got = b.get(path)
		} else {
			got = b.post(path, form)
		}
		refused++
		const said = "you signed in with a read-only token: you may look at everything on the board, but not change anything. Sign in with a token made without --read-only to act"
		if got.mustStatus(t, http.StatusForbidden); got.text("#error") != said {
			t.Errorf("%s: %q, want %q", rt.Pattern, got.text("#error"), said)
		}
	}
	if refused < 5 {
		t.Fatalf("%d routes refused, want every form that acts", refused)
	}
	after, err := s.audit.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if after.Size != before.Size {
		t.Errorf("the refused forms wrote %d audit entries", after.Size-before.Size)
	}
	if got, err := s.changes.FindChangeByID(t.Context(), c.ID); err != nil || got.State != "pending" || len(got.Approvals) != 0 {
		t.Errorf("after the refusals: %+v, %v; want it pending, unapproved", got, err)
	}

	// What only reads by POST works: verifying the audit log and the
	// change's entries, and a calendar subscription link.
	b.post("/audit/verify", url.Values{"csrf": {csrf}}).mustStatus(t, http.StatusOK)
	b.post(detail+"/verify", url.Values{"csrf": {csrf}}).mustStatus(t, http.StatusOK)
	if sub := b.post("/calendar/subscription", url.Values{"csrf": {csrf}}).mustStatus(t, http.StatusOK); sub.text("#subscription") == "" {
		t.Errorf("no subscription link:\n%s", sub.body)
	}
}
