package andon

import (
	"context"
	"slices"
	"time"
)

// Just-in-time access: a user a Team lists as eligible asks for the
// team's roles for a while (an AccessRequest); a standing member of the
// team, not the requester, approves it, and the roles are the user's
// from then until the grant ends, is revoked, or the catalog stops
// listing them as eligible. See docs/access.md.

// AccessRequestTTL is how long a request for access waits for an answer
// before it expires: long enough for a colleague on shift to see it, short
// enough that a request left behind is not granted hours later, when the
// reason given for it no longer holds.
const AccessRequestTTL = time.Hour

// States of an AccessRequest. Pending, granted, rejected, cancelled and
// revoked are written; a pending request past its ExpiresAt is expired,
// and a granted one is active until its EndsAt and ended after, as read.
const (
	AccessPending   = "pending"
	AccessActive    = "active"
	AccessEnded     = "ended"
	AccessExpired   = "expired"
	AccessRejected  = "rejected"
	AccessCancelled = "cancelled"
	AccessRevoked   = "revoked"
)

// AccessStates are the states an AccessRequest may be in, as listings
// filter them.
var AccessStates = []string{AccessPending, AccessActive, AccessEnded, AccessExpired, AccessRejected, AccessCancelled, AccessRevoked}

// The audit entries of just-in-time access; the subject is the request's
// ID.
const (
	EventAccessRequested = "access.requested"
	EventAccessGranted   = "access.granted"
	EventAccessRejected  = "access.rejected"
	EventAccessCancelled = "access.cancelled"
	EventAccessRevoked   = "access.revoked"
)

// AccessRequest is a request for the roles of a team for a while, and,
// once approved, the grant of them.
type AccessRequest struct {
	ID     string   `json:"id"`
	Team   string   `json:"team"`
	User   string   `json:"user"`
	Roles  []string `json:"roles"` // the team's, as the request was made
	Reason string   `json:"reason"`
	// Duration is how long the grant lasts from its approval.
	Duration  time.Duration `json:"duration"`
	State     string        `json:"state"`
	CreatedAt time.Time     `json:"createdAt"`
	// ExpiresAt is when the request expires unanswered.
	ExpiresAt time.Time `json:"expiresAt"`
	// DecidedBy, DecidedAt and Comment are the approver's or the
	// rejecter's, or the requester's who cancelled it.
	DecidedBy string     `json:"decidedBy,omitempty"`
	DecidedAt *time.Time `json:"decidedAt,omitempty"`
	Comment   string     `json:"comment,omitempty"`
	// EndsAt is when the grant ends: its approval and Duration.
	EndsAt    *time.Time `json:"endsAt,omitempty"`
	RevokedBy string     `json:"revokedBy,omitempty"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	// RevokeComment is the revoker's comment, beside the approver's.
	RevokeComment string `json:"revokeComment,omitempty"`
}

// StateAt returns the state of r at now: a written state, or one that
// time made of it (expired, active, ended).
func (r *AccessRequest) StateAt(now time.Time) string {
	switch {
	case r.State == AccessPending && !now.Before(r.ExpiresAt):
		return AccessExpired
	case r.State == AccessActive && r.EndsAt != nil && !now.Before(*r.EndsAt):
		return AccessEnded
	}
	return r.State
}

// Grant is an active grant of a team's roles to a user, as authentication
// reads it.
type Grant struct {
	ID     string    `json:"id"`
	Team   string    `json:"team"`
	EndsAt time.Time `json:"endsAt"`
}

// AccessFilter selects access requests; zero fields select all.
type AccessFilter struct {
	State string
	User  string
	Team  string
	Limit int
}

// AccessService keeps requests for just-in-time access and their grants.
type AccessService interface {
	// RequestAccess asks, for the user of ctx, for the roles of team for
	// d, saying why.
	RequestAccess(ctx context.Context, team string, d time.Duration, reason string) (*AccessRequest, error)
	FindAccessRequests(ctx context.Context, f AccessFilter) ([]*AccessRequest, error)
	FindAccessRequestByID(ctx context.Context, id string) (*AccessRequest, error)
	// ApproveAccess, RejectAccess, CancelAccess and RevokeAccess move a
	// request on, as the user of ctx.
	ApproveAccess(ctx context.Context, id, comment string) (*AccessRequest, error)
	RejectAccess(ctx context.Context, id, comment string) (*AccessRequest, error)
	CancelAccess(ctx context.Context, id string) (*AccessRequest, error)
	RevokeAccess(ctx context.Context, id, comment string) (*AccessRequest, error)
}

// GrantedTeams returns the names of the teams of grants that the catalog
// still lets user hold: those of a team that lists user as eligible. A
// grant of a team removed, or that no longer lists user, gives nothing.
func (c *Catalog) GrantedTeams(user string, grants []Grant) []string {
	var teams []string
	for _, g := range grants {
		if c.GrantCounts(user, g) {
			teams = append(teams, g.Team)
		}
	}
	return teams
}

// GrantCounts reports whether the catalog still lets user hold g: its
// team is in the catalog and lists user as eligible.
func (c *Catalog) GrantCounts(user string, g Grant) bool {
	t := c.Team(g.Team)
	return t != nil && slices.Contains(t.Eligible, user)
}

// RolesWith returns the sorted roles user holds with grants: the standing
// roles (RolesOf) and those of the teams of the grants the catalog still
// lets user hold (GrantedTeams), the process-owner roles of the processes
// those teams own included.
func (c *Catalog) RolesWith(user string, grants []Grant) []string {
	if len(grants) == 0 {
		return c.RolesOf(user)
	}
	return c.rolesOfTeams(user, c.GrantedTeams(user, grants))
}

// TeamGrants returns the roles a grant of team gives: the team's roles,
// and process-owner:P for each process P it owns.
func (c *Catalog) TeamGrants(team string) []string {
	return c.rolesOfTeams("", []string{team})
}

// GrantFor returns the ID of the grant of grants through which user holds
// role, or "" when user holds it standing (or not at all): the approval
// given with it records it.
func (c *Catalog) GrantFor(user, role string, grants []Grant) string {
	if slices.Contains(c.RolesOf(user), role) {
		return ""
	}
	for _, g := range grants {
		if c.GrantCounts(user, g) && slices.Contains(c.TeamGrants(g.Team), role) {
			return g.ID
		}
	}
	return ""
}
