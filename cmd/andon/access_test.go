package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

// TestAccessJustInTime asks for a team's roles from the command line, has
// a member of the team approve, and uses the grant: whoami and /me show
// it with its end, an approval given with it names it, the metrics count
// it, and revoked, the roles are gone at once.
func TestAccessJustInTime(t *testing.T) {
	s := MustServe(t, t.TempDir())
	wantExit(t, s.as(t, "carol", "access", "request", "--team", "change-managers", "--for", "9h", "--reason", "cover"), 2,
		"--for: 9h is longer than team change-managers grants its roles for (maxElevation 8h)")
	wantExit(t, s.as(t, "carol", "access", "request", "--team", "change-managers", "--for", "two hours", "--reason", "cover"), 2, `--for: invalid duration "two hours"`)
	wantExit(t, s.as(t, "carol", "access", "request", "--team", "nobody", "--for", "2h", "--reason", "cover"), 2, `--team: no team "nobody" in the catalog`)
	wantExit(t, s.as(t, "alice", "access", "request", "--team", "change-managers", "--for", "2h", "--reason", "cover"), 1, "alice is not eligible")
	req := mustJSON[andon.AccessRequest](t, s, "carol", 0, "access", "request", "--team", "change-managers", "--for", "2h", "--reason", "Bob and Brigitte are at the supplier audit")
	if req.ID != "ACC-1" || req.State != andon.AccessPending || req.Duration != 2*time.Hour {
		t.Fatalf("request = %+v; want ACC-1 pending for 2h", req)
	}
	// Segregation of duties is a 403, a request decided already a 409.
	resp := s.do(t, "POST", "/api/v1/access-requests/ACC-1/approve", "carol", `{}`)
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "segregation of duties") {
		t.Fatalf("self-approval: %d %s; want a 403", resp.StatusCode, body)
	}
	// The completion offers the teams one may ask for, and the pending
	// requests to approve.
	asBob := map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": s.tokens["bob"]}
	if r := runCLI(t, asBob, "__complete", "access", "request", "--team", ""); !strings.Contains(r.stdout, "change-managers\tchange-manager\n") ||
		!strings.Contains(r.stdout, "platform-admins\tplatform-admin\n") || strings.Contains(r.stdout, "auditors") {
		t.Errorf("access request --team completes to\n%s", r.stdout)
	}
	if r := runCLI(t, asBob, "__complete", "access", "approve", ""); !strings.Contains(r.stdout, "ACC-1\tpending, carol for change-managers: Bob and Brigitte are at the supplier audit\n") {
		t.Errorf("access approve completes to\n%s", r.stdout)
	}
	if r := s.as(t, "bob", "access", "approve", "acc-1", "--comment", "covered"); r.code != 0 || !strings.Contains(r.stdout, "state:") || !strings.Contains(r.stdout, "active") {
		t.Fatalf("approve: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The comment is optional: a body left out is one without it.
	resp = s.do(t, "POST", "/api/v1/access-requests/ACC-1/approve", "brigitte", "")
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusConflict || !strings.Contains(string(body), "ACC-1 is active") {
		t.Fatalf("second approval: %d %s; want a 409", resp.StatusCode, body)
	}

	if r := s.as(t, "carol", "whoami"); r.code != 0 || !strings.Contains(r.stdout, "change-manager") || !strings.Contains(r.stdout, "grant:") ||
		!strings.Contains(r.stdout, "ACC-1 of team change-managers, until ") {
		t.Fatalf("whoami with the grant: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	resp = s.do(t, "GET", "/api/v1/me", "carol", "")
	var me andon.User
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil || len(me.Grants) != 1 || me.Grants[0].ID != "ACC-1" || me.Grants[0].EndsAt.IsZero() {
		t.Fatalf("/me = %+v, %v; want the grant ACC-1 with its end", me, err)
	}
	if list := mustJSON[struct{ AccessRequests []andon.AccessRequest }](t, s, "frank", 0, "access", "list", "--state", "active"); len(list.AccessRequests) != 1 {
		t.Fatalf("active = %+v; want ACC-1", list.AccessRequests)
	}
	resp = s.do(t, "GET", "/metrics", "", "")
	if body, _ := io.ReadAll(resp.Body); !strings.Contains(string(body), `andon_access_grants_active{team="change-managers"} 1`) ||
		!strings.Contains(string(body), `andon_access_grants_active{team="platform-admins"} 0`) {
		t.Errorf("metrics without the active grant:\n%s", grepLines(string(body), "andon_access"))
	}

	start := time.Now().Add(48 * time.Hour)
	ch := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "prod-geelong", "--type", "normal", "--title", "Routing",
		"--start", start.Format(time.RFC3339), "--end", start.Add(2*time.Hour).Format(time.RFC3339))
	approved := mustJSON[andon.Change](t, s, "carol", 0, "change", "approve", ch.ID)
	if len(approved.Approvals) != 1 || approved.Approvals[0].Role != andon.RoleChangeManager || approved.Approvals[0].Grant != "ACC-1" {
		t.Fatalf("approval with the grant = %+v; want change-manager through ACC-1", approved.Approvals)
	}

	if r := s.as(t, "carol", "access", "revoke", "ACC-1", "--comment", "they are back"); r.code != 0 || !strings.Contains(r.stdout, "revoked") {
		t.Fatalf("revoke: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := s.as(t, "carol", "whoami"); r.code != 0 || strings.Contains(r.stdout, "change-manager") || strings.Contains(r.stdout, "grant:") {
		t.Fatalf("whoami once revoked: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	wantExit(t, s.as(t, "bob", "access", "reject", "ACC-1"), 2, "andon: missing --comment")
	wantExit(t, s.as(t, "frank", "access", "list", "--state", "granted"), 2, `--state: "granted" is not one of pending, active`)
}
