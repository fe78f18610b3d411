// Package andon holds the domain of andon, a change-governance control
// plane for Odoo on Kubernetes: the catalog of plants, processes,
// environments, windows and teams; changes and their lifecycle; the rules
// of segregation of duties; and the service interfaces that the store, the
// policy engine and the HTTP server implement or consume.
//
// The package imports only the standard library. Rules that need no I/O
// live here as pure functions; everything that talks to the outside world
// lives in a subpackage named after what it talks to.
package andon

import (
	"context"
	"strings"
	"sync/atomic"
	"time"
)

// Version is the version of andon, set at build time.
var Version = "dev"

// CatalogSource hands out the catalog in force. A reload swaps it
// atomically; callers keep the *Catalog they got for the whole request.
type CatalogSource interface {
	Catalog() *Catalog
}

// TokenService issues and resolves tokens. An API token opens the whole
// API. A feed token opens only the calendar feed: calendar clients cannot
// send headers, so it travels in the feed's URL, where it is more likely
// to leak, and it is therefore worth less. A session token opens only the
// board: signing in with an API token issues one, for the board's cookie,
// so that a cookie copied from a browser is not the API token and stops
// working at sign-out or after a few hours.
type TokenService interface {
	// CreateToken issues a new API token for user and returns it in
	// clear; only its hash is kept. It stops authenticating at expires,
	// unless that is the zero time.
	CreateToken(ctx context.Context, user string, expires time.Time) (string, error)
	// Authenticate returns whom an API token was issued to, and when it
	// expires. A feed token is refused, as an unknown or expired one is
	// (EUNAUTHORIZED).
	Authenticate(ctx context.Context, token string) (Bearer, error)
	// CreateFeedToken issues a new feed token for user and returns it in
	// clear, with when it expires; only its hash is kept. It expires when
	// the API token of the user of ctx does, if that one expires, and
	// never (nil) otherwise; revoking that API token revokes it too.
	CreateFeedToken(ctx context.Context, user string) (token string, expires *time.Time, err error)
	// AuthenticateFeed returns the user name a feed token was issued to.
	// An API token is refused, as an unknown one is (EUNAUTHORIZED).
	AuthenticateFeed(ctx context.Context, token string) (string, error)
	// CreateSession issues a session token for the user of ctx, who
	// signed in with the API token that User.TokenID names, or through
	// the OpenID Connect issuer that User.Issuer names, and returns it in
	// clear with when it expires; only its hash is kept. It expires
	// lifetime from now, or with that API token if that is sooner, and
	// revoking that API token revokes it too.
	CreateSession(ctx context.Context, lifetime time.Duration) (token string, expires time.Time, err error)
	// AuthenticateSession returns the session of a session token. An API
	// or feed token is refused, as an unknown one is (EUNAUTHORIZED); an
	// expired session is refused with an *ExpiredTokenError.
	AuthenticateSession(ctx context.Context, token string) (Session, error)
	// ActiveGrants returns the grants of just-in-time access of user
	// active now, the first to end first: authentication gives them to
	// the holder of an OpenID Connect issuer's token, of which andon
	// keeps nothing to read them with.
	ActiveGrants(ctx context.Context, user string) ([]Grant, error)
	// EndSession revokes a session token: signing out. A token that is
	// no session token, or no longer exists, is left alone and is not an
	// error: signing out never revokes an API token.
	EndSession(ctx context.Context, token string) error
	// RotateToken issues a new API token in place of the one ref names
	// (its ID, or the token itself), for the same user, read-only if it
	// was, and returns it in clear; the old one goes on working for
	// overlap (CheckTokenOverlap), never longer than it would have, and
	// is revoked at once for an overlap of 0. The new token expires at
	// expires, or with the zero time after as long as the old one was
	// made to live (never, for one that never expires). A feed or session
	// token, and one that has expired, are refused (EINVALID).
	RotateToken(ctx context.Context, ref string, overlap time.Duration, expires time.Time) (RotatedToken, error)
}

// DefaultTokenOverlap is how long an API token rotated goes on working
// beside the new one, unless told otherwise: a day, for a pipeline's
// secret to be updated and its runs in flight to end.
const DefaultTokenOverlap = 24 * time.Hour

// MaxTokenOverlap is the longest overlap of a rotation: a rotation is a
// replacement, and two tokens that both work for months are two
// credentials to guard.
const MaxTokenOverlap = 30 * 24 * time.Hour

// CheckTokenOverlap checks the overlap of a rotation: 0 (the old token is
// revoked at once) up to MaxTokenOverlap. Its message names the problem;
// the caller names the field and its value.
func CheckTokenOverlap(d time.Duration) error {
	switch {
	case d < 0:
		return Errorf(EINVALID, "negative: give how long the old token goes on working, or 0 to revoke it at once")
	case d > MaxTokenOverlap:
		return Errorf(EINVALID, "longer than the 30 days a rotated token may go on working")
	}
	return nil
}

// ParseTokenOverlap reads the overlap of a rotation: a duration in Go
// units or whole days (24h, 2d), or 0, checked by CheckTokenOverlap. Its
// message names the problem; the caller names the field.
func ParseTokenOverlap(s string) (time.Duration, error) {
	d, err := ParseDuration(strings.TrimPrefix(s, "-"))
	if err != nil {
		return 0, Errorf(EINVALID, "%q: want a duration such as 24h or 2d, or 0 to revoke the old token at once", s)
	}
	if strings.HasPrefix(s, "-") {
		d = -d
	}
	if err := CheckTokenOverlap(d); err != nil {
		return 0, Errorf(EINVALID, "%q: %s", s, ErrorMessage(err))
	}
	return d, nil
}

// RotatedToken is a new API token issued in place of another
// (TokenService.RotateToken), shown once.
type RotatedToken struct {
	// Token is the new token, in clear.
	Token string `json:"token"`
	// ID is the new token's TokenInfo.ID.
	ID   string `json:"id"`
	User string `json:"user"`
	// ExpiresAt is when the new token stops authenticating; nil for
	// never.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	ReadOnly  bool       `json:"readOnly"`
	// OldID is the TokenInfo.ID of the token replaced.
	OldID string `json:"oldId"`
	// OldExpiresAt is when the token replaced stops authenticating: the
	// end of the overlap, or of its own lifetime if that comes first,
	// or the time of the rotation when it was revoked at once.
	OldExpiresAt time.Time `json:"oldExpiresAt"`
	// OldRevoked is set when the token replaced was revoked at once, with
	// the feed tokens and sessions asked for with it (an overlap of 0).
	OldRevoked bool `json:"oldRevoked,omitempty"`
	// EarlierID is set when the token replaced had been rotated already:
	// the TokenInfo.ID of the token that replaced it then, which goes on
	// working, and is to be revoked unless it is in use (two jobs that
	// rotated at once each have one).
	EarlierID string `json:"earlierId,omitempty"`
}

// Session is a signed-in session of the board, which a session token
// opens.
type Session struct {
	// ID identifies the session token as Bearer.ID does an API token.
	ID string
	// ExpiresAt is when the session ends, unless it is ended before.
	ExpiresAt time.Time
	// Token is the API token the user signed in with: the user, and when
	// that token expires (of which the board warns, as the command line
	// does). For a sign-in through an OpenID Connect provider, it has
	// the user and the Issuer, and neither ID nor expiry: the session
	// ends at its own.
	Token Bearer
}

// DefaultSessionLifetime is how long a session of the board lasts, unless
// the API token signed in with expires sooner: a plant's shift; andon
// serve --session-lifetime changes it. A wall screen's user, whom no Team
// names, is signed in for longer (the web package's wallSessionLifetime).
const DefaultSessionLifetime = 12 * time.Hour

// ExpiredSessionRetention is how long a session token stays in the store
// once it has expired, listed as expired (andon token list --scope
// session), before the leading server deletes it. Every sign-in to the
// board opens a session: without this, a plant where dozens of people
// sign in every shift would keep thousands of sessions that open nothing.
// A week leaves time to see who was signed in, and when, after a shift or
// a weekend; the audit log keeps it for good.
const ExpiredSessionRetention = 7 * 24 * time.Hour

// SessionCount counts the sessions of the board kept in the store.
type SessionCount struct {
	// Open is the number of sessions that have not expired.
	Open int `json:"open"`
	// Expired is the number of sessions that have expired and are not
	// deleted yet (see ExpiredSessionRetention).
	Expired int `json:"expired"`
}

// Bearer is the holder of an authenticated API token.
type Bearer struct {
	User string
	// ID identifies the token: the hexadecimal SHA-256 hash of it, whose
	// first digits are its TokenInfo.ID. It reveals nothing of the token.
	ID string
	// CreatedAt is when the token was issued.
	CreatedAt time.Time
	// ExpiresAt is when the token stops authenticating; the zero time
	// for never.
	ExpiresAt time.Time
	// ReadOnly is set for a token issued to read and never write
	// (andon token create --read-only): an auditor's, a wall screen's,
	// an archiver's. The API refuses it every request but a read, and
	// the board every action.
	ReadOnly bool
	// Issuer is the OpenID Connect issuer whose token (or sign-in to the
	// board) authenticated the holder, or "" for an andon API token. A
	// holder of an issuer's token has no ID: nothing is kept of the
	// token.
	Issuer string
	// Grants are the grants of just-in-time access of User active when
	// the token was read (docs/access.md), the first to end first.
	Grants []Grant
	// Rotated is set for an API token replaced already (andon token
	// rotate), which works on only for the overlap: its holder is not
	// warned of its expiry (ExpiresSoon), since the new token is issued.
	Rotated bool
}

// TokenExpiryNotice is how long before its token expires its holder is
// warned, when the token was made to live longer than that: by the
// command line on every command, by the web UI and by the API's
// TokenExpiresHeader. A token that stops working stops deployments (the
// gate fails closed), and a new one may need a change window of its own
// to reach a pipeline's secrets. A token made to live less long (for an
// afternoon's work, say) was meant to end soon, and is not warned of.
const TokenExpiryNotice = 14 * 24 * time.Hour

// ExpiresSoon reports whether b's holder is warned at now that the token
// expires: within TokenExpiryNotice, having been made to live longer, and
// not rotated already. A token rotated ends with its overlap, and the
// warning, which says to rotate it, would have the jobs still running
// with it issue one new token each, beside the one already in use. The
// token of an OpenID Connect issuer (b.Issuer) is not warned of either:
// the issuer renews it, andon token rotate refuses it, and one may say
// nothing of when it was issued.
func (b Bearer) ExpiresSoon(now time.Time) bool {
	return !b.Rotated && b.Issuer == "" && !b.ExpiresAt.IsZero() && b.ExpiresAt.Sub(b.CreatedAt) > TokenExpiryNotice && b.ExpiresAt.Sub(now) < TokenExpiryNotice
}

// TokenExpiresHeader is the HTTP header of the API's answers to a request
// whose token expires soon (Bearer.ExpiresSoon): when it expires (RFC
// 3339).
const TokenExpiresHeader = "Andon-Token-Expires"

// TokenInfo describes an issued token without the token: what an
// administrator lists, and revokes by ID.
type TokenInfo struct {
	// ID is the first 12 hexadecimal digits of the token's SHA-256 hash:
	// it names the token and reveals nothing of it.
	ID        string    `json:"id"`
	User      string    `json:"user"`
	Scope     string    `json:"scope"` // "api", "feed" or "session"
	CreatedAt time.Time `json:"createdAt"`
	// ExpiresAt is when the token stops authenticating; nil for never.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// ReadOnly is set for an API token that may read and never write
	// (Bearer.ReadOnly), and for the sessions of the board opened with
	// one.
	ReadOnly bool `json:"readOnly"`
	// RotatedTo is the ID of the API token issued in place of this one
	// (TokenService.RotateToken), which goes on working until ExpiresAt;
	// "" for a token not rotated.
	RotatedTo string `json:"rotatedTo,omitempty"`
	// Issuer is the OpenID Connect issuer a session of the board was
	// opened through, or "" for one opened with an API token and for
	// every other token.
	Issuer string `json:"issuer,omitempty"`
}

// FeedTokenPrefix begins every feed token, so that people and secret
// scanners can tell them from API tokens.
const FeedTokenPrefix = "andonfeed_"

// SessionTokenPrefix begins every session token, the value of the board's
// cookie.
const SessionTokenPrefix = "andonsession_"

// FeedToken is a new feed token with the paths of the calendar feeds it
// opens, relative to the server's base URL, by environment and by plant,
// and when it expires: with the API token it was asked for with, if that
// one expires.
type FeedToken struct {
	Token        string            `json:"token"`
	Environments map[string]string `json:"environments"`
	Plants       map[string]string `json:"plants"`
	ExpiresAt    *time.Time        `json:"expiresAt,omitempty"`
}

// Clock returns the current time. Services take one so tests can fix it.
type Clock func() time.Time

// CatalogHolder holds the catalog in force; Swap replaces it atomically.
// It implements CatalogSource.
type CatalogHolder struct {
	p atomic.Pointer[Catalog]
}

// NewCatalogHolder returns a holder of cat.
func NewCatalogHolder(cat *Catalog) *CatalogHolder {
	h := &CatalogHolder{}
	h.p.Store(cat)
	return h
}

// Catalog returns the catalog in force.
func (h *CatalogHolder) Catalog() *Catalog { return h.p.Load() }

// Swap puts cat in force.
func (h *CatalogHolder) Swap(cat *Catalog) { h.p.Store(cat) }
