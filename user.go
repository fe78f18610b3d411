package andon

import (
	"context"
	"time"
)

// User is the authenticated actor of a request, with the roles the catalog
// gives them.
type User struct {
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
	// TokenExpiresAt is when the API token the user signed in with stops
	// authenticating; nil for never.
	TokenExpiresAt *time.Time `json:"tokenExpiresAt,omitempty"`
}

type userKey struct{}

// NewContextWithUser returns a context carrying user.
func NewContextWithUser(ctx context.Context, user *User) context.Context {
	return context.WithValue(ctx, userKey{}, user)
}

// UserFromContext returns the user of ctx, or nil.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userKey{}).(*User)
	return u
}

// UserNameFromContext returns the name of the user of ctx, or "".
func UserNameFromContext(ctx context.Context) string {
	if u := UserFromContext(ctx); u != nil {
		return u.Name
	}
	return ""
}
