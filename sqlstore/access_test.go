package sqlstore_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
)

// accessOf returns the AccessService of e; changed counts the calls of
// its hook.
func accessOf(e *env, changed *int) *sqlstore.AccessService {
	return sqlstore.NewAccessService(e.db, e.catalog, func() { *changed++ })
}

// wantCode fails t unless err has code and its message holds want.
func wantCode(t *testing.T, what string, err error, code, want string) {
	t.Helper()
	if andon.ErrorCode(err) != code || !strings.Contains(andon.ErrorMessage(err), want) {
		t.Errorf("%s: %v (%s); want %s saying %q", what, err, andon.ErrorCode(err), code, want)
	}
}

// normalChange opens a change that a change manager alone approves, as
// requester.
func normalChange(t *testing.T, e *env, requester string) *andon.Change {
	t.Helper()
	c, err := e.changes.CreateChange(as(requester), &andon.ChangeRequest{
		Environment: "prod-geelong", Type: andon.ChangeNormal, Title: "Routing", Artifacts: []string{imageStaged},
		Window: &andon.Span{Start: e.now.Add(48 * time.Hour), End: e.now.Add(50 * time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Risk.Approvals) != 1 || c.Risk.Approvals[0].Role != andon.RoleChangeManager {
		t.Fatalf("approvals asked = %+v; want one change-manager", c.Risk.Approvals)
	}
	return c
}

// A request is checked against the team it names, and nothing is written
// of one refused.
func TestAccessRequestRefused(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		var changed int
		access := accessOf(e, &changed)
		ctx := as("carol")
		size := e.verify(t).Entries
		_, err := access.RequestAccess(ctx, "change-managerz", 2*time.Hour, "cover")
		wantCode(t, "unknown team", err, andon.EINVALID, `team: no team "change-managerz"`)
		_, err = access.RequestAccess(as("alice"), "change-managers", 2*time.Hour, "cover")
		wantCode(t, "not eligible", err, andon.EFORBIDDEN, "alice is not eligible for the roles of team change-managers: its eligible are carol")
		_, err = access.RequestAccess(as("bob"), "change-managers", 2*time.Hour, "cover")
		wantCode(t, "member", err, andon.EINVALID, "bob is a member of team change-managers")
		_, err = access.RequestAccess(ctx, "change-managers", 9*time.Hour, "cover")
		wantCode(t, "too long", err, andon.EINVALID, "duration: 9h is longer than team change-managers grants its roles for (maxElevation 8h)")
		_, err = access.RequestAccess(as("gus"), "platform-admins", 5*time.Hour, "cover")
		wantCode(t, "longer than the default", err, andon.EINVALID, "(maxElevation 4h)")
		_, err = access.RequestAccess(ctx, "change-managers", 0, "cover")
		wantCode(t, "no time", err, andon.EINVALID, "duration: want more than 0")
		_, err = access.RequestAccess(ctx, "change-managers", time.Hour, "  ")
		wantCode(t, "no reason", err, andon.EINVALID, "reason: say why")
		if got := e.verify(t).Entries; got != size {
			t.Errorf("audit log grew from %d to %d entries with refusals alone", size, got)
		}
	})
}

// A grant is approved by a standing member of its team other than its
// requester; while active, its holder holds the team's roles, for
// authentication and for every write, with segregation of duties as for
// anyone; an approval given with it names it; revoked, it gives nothing
// at once.
func TestAccessGrant(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		var changed int
		access := accessOf(e, &changed)
		e.MustStage(t, imageStaged)
		if err := e.tokens.AddToken(context.Background(), "carol", "carol-token"); err != nil {
			t.Fatal(err)
		}
		req, err := access.RequestAccess(as("carol"), "change-managers", 2*time.Hour, "Bob and Brigitte are at the supplier audit")
		if err != nil {
			t.Fatal(err)
		}
		if req.ID != "ACC-1" || req.State != andon.AccessPending || !req.ExpiresAt.Equal(e.now.Add(time.Hour)) ||
			!slices.Equal(req.Roles, []string{andon.RoleChangeManager}) {
			t.Fatalf("request = %+v; want ACC-1 pending for an hour, for change-manager", req)
		}
		_, err = access.RequestAccess(as("carol"), "change-managers", time.Hour, "again")
		wantCode(t, "second request", err, andon.ECONFLICT, "carol has request ACC-1 for team change-managers pending or active already")

		_, err = access.ApproveAccess(as("carol"), "ACC-1", "")
		wantCode(t, "self-approval", err, andon.EFORBIDDEN, "carol requested ACC-1 and cannot approve it (segregation of duties)")
		_, err = access.ApproveAccess(as("dave"), "ACC-1", "")
		wantCode(t, "not a member", err, andon.EFORBIDDEN, "only a standing member of team change-managers (bob, brigitte) may")
		c := normalChange(t, e, "alice")
		_, err = e.changes.Decide(as("carol"), c.ID, andon.Approve, "")
		wantCode(t, "approval before the grant", err, andon.EFORBIDDEN, "carol holds none of the roles")

		if changed != 0 {
			t.Errorf("hook called %d times before a grant", changed)
		}
		e.now = e.now.Add(10 * time.Minute)
		granted, err := access.ApproveAccess(as("bob"), "acc-1", "covered until they are back")
		if err != nil {
			t.Fatal(err)
		}
		if granted.State != andon.AccessActive || granted.DecidedBy != "bob" || granted.EndsAt == nil || !granted.EndsAt.Equal(e.now.Add(2*time.Hour)) {
			t.Fatalf("approved = %+v; want active for 2h from now, by bob", granted)
		}
		if changed != 1 {
			t.Errorf("hook called %d times after a grant, want 1", changed)
		}
		_, err = access.ApproveAccess(as("brigitte"), "ACC-1", "")
		wantCode(t, "approved twice", err, andon.ECONFLICT, "request ACC-1 is active: only a pending request is decided")

		// Authentication reads the grant with the token.
		b, err := e.tokens.Authenticate(context.Background(), "carol-token")
		if err != nil || len(b.Grants) != 1 || b.Grants[0].ID != "ACC-1" || b.Grants[0].Team != "change-managers" || !b.Grants[0].EndsAt.Equal(*granted.EndsAt) {
			t.Fatalf("Authenticate = %+v, %v; want the grant ACC-1", b, err)
		}
		if roles := e.catalog.Catalog().RolesWith("carol", b.Grants); !slices.Contains(roles, andon.RoleChangeManager) {
			t.Errorf("roles with the grant = %v; want change-manager", roles)
		}

		// The grant approves, and the approval names it; the holder's own
		// change stays another's to approve.
		approved, err := e.changes.Decide(as("carol"), c.ID, andon.Approve, "routing checked")
		if err != nil || approved.State != andon.StateApproved || approved.Approvals[0].Grant != "ACC-1" {
			t.Fatalf("approval with the grant = %+v, %v; want approved through ACC-1", approved, err)
		}
		entries, err := e.audit.FindEntries(context.Background(), andon.AuditFilter{Type: andon.EventChangeApproved, Subject: c.ID})
		if err != nil || len(entries) != 1 || !strings.Contains(string(entries[0].Data), `"grant":"ACC-1"`) {
			t.Fatalf("change.approved entries = %v, %v; want one naming the grant", entries, err)
		}
		own := normalChange(t, e, "carol")
		_, err = e.changes.Decide(as("carol"), own.ID, andon.Approve, "")
		wantCode(t, "own change", err, andon.EFORBIDDEN, "segregation of duties")
		// A standing member's approval names no grant.
		if got, err := e.changes.Decide(as("bob"), own.ID, andon.Approve, ""); err != nil || got.Approvals[0].Grant != "" {
			t.Fatalf("bob's approval = %+v, %v; want no grant", got, err)
		}

		_, err = access.RevokeAccess(as("alice"), "ACC-1", "")
		wantCode(t, "revoked by another", err, andon.EFORBIDDEN, "only its holder, carol, a member of team change-managers or a platform-admin may")
		revoked, err := access.RevokeAccess(as("carol"), "ACC-1", "they are back")
		if err != nil || revoked.State != andon.AccessRevoked || revoked.RevokedBy != "carol" || revoked.RevokeComment != "they are back" ||
			revoked.Comment != "covered until they are back" {
			t.Fatalf("revoke = %+v, %v", revoked, err)
		}
		if changed != 2 {
			t.Errorf("hook called %d times after a revocation, want 2", changed)
		}
		// The write decides by the database, whatever a replica's
		// authentication still remembers of the grant.
		next := normalChange(t, e, "alice")
		_, err = e.changes.Decide(as("carol"), next.ID, andon.Approve, "")
		wantCode(t, "approval after the revocation", err, andon.EFORBIDDEN, "carol holds none of the roles")
		_, err = access.RevokeAccess(as("dave"), "ACC-1", "")
		wantCode(t, "revoked twice", err, andon.ECONFLICT, "request ACC-1 is revoked: only an active grant is revoked")

		var types []string
		entries, err = e.audit.FindEntries(context.Background(), andon.AuditFilter{Subject: "ACC-1"})
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			types = append(types, en.Type+" by "+en.Actor)
		}
		want := []string{"access.requested by carol", "access.granted by bob", "access.revoked by carol"}
		if !slices.Equal(types, want) {
			t.Errorf("entries of ACC-1 = %v, want %v", types, want)
		}
	})
}

// A grant gives a platform admin's rights to record a backup while it is
// active, and nothing once it has ended; a grant of a team that no longer
// lists its holder gives nothing either.
func TestAccessGrantEnds(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		var changed int
		access := accessOf(e, &changed)
		backup := func() error {
			_, _, err := e.backups.RecordBackup(as("gus"), &andon.BackupRequest{Environment: "prod-geelong", ID: "b-" + e.now.Format("150405"),
				CompletedAt: e.now.Add(-time.Minute)})
			return err
		}
		wantCode(t, "backup before the grant", backup(), andon.EFORBIDDEN, "gus may not record a backup")
		if _, err := access.RequestAccess(as("gus"), "platform-admins", time.Hour, "night backups"); err != nil {
			t.Fatal(err)
		}
		if _, err := access.ApproveAccess(as("dave"), "ACC-1", ""); err != nil {
			t.Fatal(err)
		}
		if err := backup(); err != nil {
			t.Fatalf("backup with the grant: %v", err)
		}
		active, err := access.FindAccessRequests(context.Background(), andon.AccessFilter{State: andon.AccessActive})
		if err != nil || len(active) != 1 || active[0].ID != "ACC-1" {
			t.Fatalf("active = %+v, %v", active, err)
		}
		if n, err := access.CountActive(context.Background()); err != nil || n["platform-admins"] != 1 {
			t.Fatalf("CountActive = %v, %v", n, err)
		}
		e.now = e.now.Add(time.Hour)
		wantCode(t, "backup once the grant ended", backup(), andon.EFORBIDDEN, "gus may not record a backup")
		got, err := access.FindAccessRequestByID(context.Background(), "ACC-1")
		if err != nil || got.State != andon.AccessEnded {
			t.Fatalf("ACC-1 an hour later = %+v, %v; want ended", got, err)
		}
		if ended, err := access.FindAccessRequests(context.Background(), andon.AccessFilter{State: andon.AccessEnded, User: "gus", Team: "platform-admins"}); err != nil || len(ended) != 1 {
			t.Fatalf("ended = %+v, %v", ended, err)
		}
		_, err = access.RevokeAccess(as("dave"), "ACC-1", "")
		wantCode(t, "revoke an ended grant", err, andon.ECONFLICT, "request ACC-1 is ended")

		// The catalog stops listing gus: an active grant gives nothing.
		if _, err := access.RequestAccess(as("gus"), "platform-admins", time.Hour, "night backups"); err != nil {
			t.Fatal(err)
		}
		if _, err := access.ApproveAccess(as("dave"), "ACC-2", ""); err != nil {
			t.Fatal(err)
		}
		cat := *e.catalog.Catalog()
		cat.Teams = slices.Clone(cat.Teams)
		for i, team := range cat.Teams {
			if team.Name == "platform-admins" {
				t2 := *team
				t2.Eligible = nil
				cat.Teams[i] = &t2
			}
		}
		e.catalog.Swap(&cat)
		wantCode(t, "backup once no longer eligible", backup(), andon.EFORBIDDEN, "gus may not record a backup")
	})
}

// A pending request expires unanswered after an hour; only its requester
// cancels it, and a rejection says why.
func TestAccessRequestExpiresCancelledRejected(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		var changed int
		access := accessOf(e, &changed)
		if _, err := access.RequestAccess(as("carol"), "change-managers", time.Hour, "cover"); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(time.Hour)
		_, err := access.ApproveAccess(as("bob"), "ACC-1", "")
		wantCode(t, "approve expired", err, andon.ECONFLICT, "request ACC-1 is expired")
		if got, err := access.FindAccessRequests(context.Background(), andon.AccessFilter{State: andon.AccessExpired}); err != nil || len(got) != 1 {
			t.Fatalf("expired = %+v, %v", got, err)
		}
		// Expired, it no longer stands in the way of a new one.
		if _, err := access.RequestAccess(as("carol"), "change-managers", time.Hour, "cover"); err != nil {
			t.Fatal(err)
		}
		_, err = access.CancelAccess(as("bob"), "ACC-2")
		wantCode(t, "cancel another's", err, andon.EFORBIDDEN, "only its requester, carol, may")
		if got, err := access.CancelAccess(as("carol"), "ACC-2"); err != nil || got.State != andon.AccessCancelled {
			t.Fatalf("cancel = %+v, %v", got, err)
		}
		if _, err := access.RequestAccess(as("carol"), "change-managers", time.Hour, "cover"); err != nil {
			t.Fatal(err)
		}
		_, err = access.RejectAccess(as("bob"), "ACC-3", "")
		wantCode(t, "reject without a comment", err, andon.EINVALID, "comment: say why")
		got, err := access.RejectAccess(as("bob"), "ACC-3", "Brigitte is back at noon")
		if err != nil || got.State != andon.AccessRejected || got.Comment != "Brigitte is back at noon" {
			t.Fatalf("reject = %+v, %v", got, err)
		}
		_, err = access.CancelAccess(as("carol"), "ACC-3")
		wantCode(t, "cancel rejected", err, andon.ECONFLICT, "request ACC-3 is rejected")
		_, err = access.FindAccessRequestByID(context.Background(), "ACC-9")
		wantCode(t, "unknown", err, andon.ENOTFOUND, "no access request ACC-9")
		_, err = access.FindAccessRequests(context.Background(), andon.AccessFilter{State: "granted"})
		wantCode(t, "unknown state", err, andon.EINVALID, `state: "granted" is not one of pending, active`)
		entries, err := e.audit.FindEntries(context.Background(), andon.AuditFilter{Type: andon.EventAccessRejected})
		var data andon.AccessRequest
		if err != nil || len(entries) != 1 || json.Unmarshal(entries[0].Data, &data) != nil || data.Comment != "Brigitte is back at noon" {
			t.Fatalf("access.rejected entries = %v, %v", entries, err)
		}
	})
}

// A grant revoked on one replica opens nothing on another, whose
// authentication may still remember it for a few seconds: its writes
// read the grants in their own transaction.
func TestAccessRevokedOnAnotherReplica(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		var changed int
		access := accessOf(e, &changed)
		e.MustStage(t, imageStaged)
		if err := e.tokens.AddToken(context.Background(), "carol", "carol-token"); err != nil {
			t.Fatal(err)
		}
		if _, err := access.RequestAccess(as("carol"), "change-managers", 2*time.Hour, "cover"); err != nil {
			t.Fatal(err)
		}
		if _, err := access.ApproveAccess(as("bob"), "ACC-1", ""); err != nil {
			t.Fatal(err)
		}
		r := e.MustOpenReplica(t)
		if b, err := r.tokens.Authenticate(context.Background(), "carol-token"); err != nil || len(b.Grants) != 1 {
			t.Fatalf("replica's Authenticate = %+v, %v; want the grant", b, err)
		}
		c := normalChange(t, e, "alice")
		if _, err := access.RevokeAccess(as("dave"), "ACC-1", "audit over"); err != nil {
			t.Fatal(err)
		}
		if b, err := r.tokens.Authenticate(context.Background(), "carol-token"); err != nil || len(b.Grants) != 1 {
			t.Fatalf("replica's Authenticate within its cache = %+v, %v; want the grant it remembers", b, err)
		}
		_, err := r.changes.Decide(as("carol"), c.ID, andon.Approve, "")
		wantCode(t, "approval on the other replica", err, andon.EFORBIDDEN, "carol holds none of the roles")
	})
}
