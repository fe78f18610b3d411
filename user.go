package andon

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// User is the authenticated actor of a request, with the roles the catalog
// gives them.
type User struct {
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
	// TokenExpiresAt is when the API token the user signed in with stops
	// authenticating; nil for never.
	TokenExpiresAt *time.Time `json:"tokenExpiresAt,omitempty"`
	// ReadOnly is set when the user signed in with a read-only API token
	// (Bearer.ReadOnly): every request that would write is refused.
	ReadOnly bool `json:"readOnly"`
	// Issuer is the OpenID Connect issuer whose token authenticated the
	// user (Bearer.Issuer), or "" for an andon API token.
	Issuer string `json:"issuer,omitempty"`
	// TokenID is the Bearer.ID of the API token the user signed in with,
	// or "" for none: the feed tokens asked for with it are revoked with
	// it.
	TokenID string `json:"-"`
	// Grants are the user's active grants of just-in-time access, whose
	// teams' roles Roles holds (docs/access.md).
	Grants []Grant `json:"grants"`
}

// The actors the audit log records for what no user did: andon itself
// (catalog versions, the policy loaded, overdue reviews) and the offline
// commands on a data directory (tokens issued there).
const (
	ActorAndon = "andon"
	ActorAdmin = "admin"
)

// SystemActors are the names of the actors that are no user. No person
// may hold them, or their entries would read as andon's own.
var SystemActors = []string{ActorAndon, ActorAdmin}

// MaxUserNameLength is the longest user name in bytes: room for an email
// address or a directory's account name.
const MaxUserNameLength = 128

// CheckUserName checks the name of a user: one that tokens authenticate
// as and Team documents list. It is printed in tables, logs and the audit
// log, and compared exactly with the catalog's members, so it holds no
// white space, no control or invisible format character (a right-to-left
// override would show another name), and none of the SystemActors in any
// case. Its message names the problem; the caller names the field.
func CheckUserName(name string) error {
	switch {
	case name == "":
		return Errorf(EINVALID, "required")
	case !utf8.ValidString(name):
		return Errorf(EINVALID, "%q is not valid UTF-8", name)
	case len(name) > MaxUserNameLength:
		return Errorf(EINVALID, "%d bytes long, longer than %d", len(name), MaxUserNameLength)
	case slices.ContainsFunc(SystemActors, func(a string) bool { return strings.EqualFold(a, name) }):
		return Errorf(EINVALID, "%q is the name the audit log records andon's own actions under; give a person's or a pipeline's", name)
	}
	runes := []rune(name)
	for i, r := range runes {
		// Joiners between letters are part of how some scripts write
		// names (Persian, the Indic scripts); elsewhere they hide.
		if (r == zwnj || r == zwj) && i > 0 && i < len(runes)-1 && unicode.IsLetter(runes[i-1]) && unicode.IsLetter(runes[i+1]) {
			continue
		}
		if unicode.IsSpace(r) || IsControl(r) || unicode.Is(unicode.Cf, r) {
			return Errorf(EINVALID, "%q holds %U; a user name has no white space, control or format character", name, r)
		}
	}
	return nil
}

// The zero-width joiners, which some scripts need inside words.
const (
	zwnj = '\u200c'
	zwj  = '\u200d'
)

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

// ReadOnlyRefusal is the refusal of a request that would write, made by
// user with a read-only API token (Bearer.ReadOnly), or in a session of
// the board opened with one, or through an OpenID Connect issuer whose
// users are read-only: EFORBIDDEN, as every refusal of what the actor
// may not do.
func ReadOnlyRefusal(user *User) *Error {
	if user.Issuer != "" {
		return Errorf(EFORBIDDEN, "%s signed in through the OpenID Connect issuer %s, whose users may read and never write (readOnly in andon serve --auth-config)", user.Name, user.Issuer)
	}
	return Errorf(EFORBIDDEN, "%s signed in with a read-only API token, which may read and never write: use a token made without --read-only (andon token create)", user.Name)
}
