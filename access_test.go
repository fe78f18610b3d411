package andon_test

import (
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/google/go-cmp/cmp"
)

// accessCatalog lists dave as eligible for cm and lyon-ops, and fiona
// for lyon-ops, of which brigitte is a member.
func accessCatalog() *andon.Catalog {
	cat := testCatalog()
	cat.Teams[0].Eligible = []string{"dave"}
	cat.Teams[1].Eligible = []string{"dave", "fiona"}
	return cat
}

func TestRolesWith(t *testing.T) {
	cat := accessCatalog()
	ends := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	cm := andon.Grant{ID: "ACC-1", Team: "cm", EndsAt: ends}
	ops := andon.Grant{ID: "ACC-2", Team: "lyon-ops", EndsAt: ends}
	finance := andon.Grant{ID: "ACC-3", Team: "finance", EndsAt: ends}
	gone := andon.Grant{ID: "ACC-4", Team: "removed", EndsAt: ends}
	tests := []struct {
		name   string
		user   string
		grants []andon.Grant
		want   []string
	}{
		{"no grant", "dave", nil, nil},
		{"a team's roles", "dave", []andon.Grant{cm}, []string{"change-manager"}},
		// A grant of a team that owns a process gives its owner's role,
		// as a membership does.
		{"a process owner", "dave", []andon.Grant{cm, ops}, []string{"change-manager", "process-owner:production"}},
		{"standing roles kept", "fiona", []andon.Grant{ops}, []string{"process-owner:finance", "process-owner:production"}},
		// The catalog decides: a team that does not list the holder as
		// eligible, or that is gone, gives nothing.
		{"not eligible", "dave", []andon.Grant{finance}, nil},
		{"team removed", "dave", []andon.Grant{gone}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, cat.RolesWith(tt.user, tt.grants)); diff != "" {
				t.Errorf("RolesWith(%s) (-want +got):\n%s", tt.user, diff)
			}
		})
	}
	if got := cat.GrantFor("dave", andon.RoleChangeManager, []andon.Grant{ops, cm}); got != "ACC-1" {
		t.Errorf("GrantFor(dave, change-manager) = %q, want ACC-1", got)
	}
	if got := cat.GrantFor("bob", andon.RoleChangeManager, []andon.Grant{cm}); got != "" {
		t.Errorf("GrantFor(bob, change-manager), held standing = %q, want none", got)
	}
}

func TestAccessRequestStateAt(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	ends := at.Add(2 * time.Hour)
	tests := []struct {
		name string
		req  andon.AccessRequest
		now  time.Time
		want string
	}{
		{"pending", andon.AccessRequest{State: andon.AccessPending, ExpiresAt: at.Add(time.Hour)}, at.Add(59 * time.Minute), andon.AccessPending},
		{"expired", andon.AccessRequest{State: andon.AccessPending, ExpiresAt: at.Add(time.Hour)}, at.Add(time.Hour), andon.AccessExpired},
		{"active", andon.AccessRequest{State: andon.AccessActive, EndsAt: &ends}, ends.Add(-time.Second), andon.AccessActive},
		{"ended", andon.AccessRequest{State: andon.AccessActive, EndsAt: &ends}, ends, andon.AccessEnded},
		{"revoked", andon.AccessRequest{State: andon.AccessRevoked, EndsAt: &ends}, ends.Add(time.Hour), andon.AccessRevoked},
	}
	for _, tt := range tests {
		if got := tt.req.StateAt(tt.now); got != tt.want {
			t.Errorf("%s: StateAt = %s, want %s", tt.name, got, tt.want)
		}
	}
}
