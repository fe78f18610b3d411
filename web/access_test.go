package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

// TestAccessPage lists the pending requests for just-in-time access and
// the active grants, linked from the menu; a standing member of the team
// other than the requester approves or rejects from it, and the others
// are offered no form, and are refused if they post one anyway.
func TestAccessPage(t *testing.T) {
	s := MustServe(t, nil, thursday)
	carol := andon.NewContextWithUser(t.Context(), &andon.User{Name: "carol"})
	if _, err := s.access.RequestAccess(carol, "change-managers", 2*time.Hour, "Bob and Brigitte are at the supplier audit"); err != nil {
		t.Fatal(err)
	}

	for user, may := range map[string]bool{"bob": true, "brigitte": true, "carol": false, "dave": false} {
		p := s.MustSignIn(t, user).get("/access").mustStatus(t, http.StatusOK)
		if p.all(`nav a[href="/access"]`) == nil {
			t.Errorf("%s: the menu does not link the page", user)
		}
		if got := p.text(`#pending tr[data-request="ACC-1"]`); !strings.Contains(got, "carol") || !strings.Contains(got, "change-managers: change-manager") {
			t.Errorf("%s: the pending row reads %q", user, got)
		}
		if got := p.all("#approve-ACC-1") != nil; got != may {
			t.Errorf("%s is offered the decision: %v, want %v", user, got, may)
		}
	}
	if got := s.MustSignIn(t, "carol").get("/access").text(".hint"); !strings.Contains(got, "You may ask for the roles of change-managers.") {
		t.Errorf("carol is not told what she may ask for: %q", got)
	}

	// The requester posts an approval anyway: refused, said beside it,
	// and nothing is written.
	c := s.MustSignIn(t, "carol")
	before := auditSize(t, s)
	csrf := c.get("/access").attr("input[name=csrf]", "value")
	p := c.post("/access/ACC-1/approve", url.Values{"csrf": {csrf}, "comment": {"mine"}}).mustStatus(t, http.StatusForbidden)
	if got := p.text("#error"); got != "carol requested ACC-1 and cannot approve it (segregation of duties)" {
		t.Errorf("carol approving her own: %q", got)
	}
	if after := auditSize(t, s); after != before {
		t.Errorf("the refused approval wrote %d audit entries", after-before)
	}

	// A rejection needs a comment, said in the row's form.
	bob := s.MustSignIn(t, "bob")
	p = bob.submit("/access", "/access/ACC-1/reject", url.Values{"comment": {" "}}).mustStatus(t, http.StatusBadRequest)
	if got := p.text("#refusal-ACC-1"); got != "✖ Refused: comment: say why the request is rejected" {
		t.Errorf("rejection without a comment: %q", got)
	}
	p = bob.submit("/access", "/access/ACC-1/approve", url.Values{"comment": {"covered"}}).mustStatus(t, http.StatusSeeOther)
	if p.location != "/access?done=approved" {
		t.Fatalf("approval redirects to %q", p.location)
	}
	p = bob.get(p.location).mustStatus(t, http.StatusOK)
	if got := p.text(`#active tr[data-grant="ACC-1"]`); !strings.Contains(got, "carol") || !strings.Contains(got, "bob") || !strings.Contains(got, "Thu 26 Nov 2026 11:00") {
		t.Errorf("the active grant reads %q", got)
	}
	if p.all(`#pending tr[data-request]`) != nil || p.text("#done") == "" {
		t.Errorf("after the approval: pending %d rows, done %q", len(p.all(`#pending tr[data-request]`)), p.text("#done"))
	}
}
