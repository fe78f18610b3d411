package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/andon-governance/andon"
)

// TokenService implements andon.TokenService. Tokens are random and kept
// only as SHA-256 hashes, with their scope: "api", "feed" or "session".
type TokenService struct {
	db    *DB
	cache tokenCache
}

// NewTokenService returns a TokenService over db.
func NewTokenService(db *DB) *TokenService { return &TokenService{db: db} }

var _ andon.TokenService = (*TokenService)(nil)

// Prefixes of andon's API, feed and session tokens, so that secret
// scanners can find them and people can tell them apart.
const (
	tokenPrefix        = "andon_"
	feedTokenPrefix    = andon.FeedTokenPrefix
	sessionTokenPrefix = andon.SessionTokenPrefix
)

// Scopes of tokens, as stored.
const (
	scopeAPI     = "api"
	scopeFeed    = "feed"
	scopeSession = "session"
)

// tokenActor is who issues or revokes a token, for the audit log: the
// user of ctx, or "admin" for the offline commands.
func tokenActor(ctx context.Context) string {
	if user := andon.UserNameFromContext(ctx); user != "" {
		return user
	}
	return andon.ActorAdmin
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateToken issues a new token for user, which stops authenticating at
// expires unless that is the zero time. The actor recorded in the audit
// log is the user of ctx, or "admin" for the offline command.
func (s *TokenService) CreateToken(ctx context.Context, user string, expires time.Time) (string, error) {
	return s.createAPIToken(ctx, user, expires, false)
}

// CreateReadOnlyToken issues a new API token for user, as CreateToken
// does, that may read and never write (andon.Bearer.ReadOnly): the
// server refuses it every request that would write, and the sessions of
// the board opened with it are read-only too. Its token.created entry
// has the data {"readOnly": true}.
func (s *TokenService) CreateReadOnlyToken(ctx context.Context, user string, expires time.Time) (string, error) {
	return s.createAPIToken(ctx, user, expires, true)
}

func (s *TokenService) createAPIToken(ctx context.Context, user string, expires time.Time, readOnly bool) (string, error) {
	token, err := newToken(tokenPrefix)
	if err != nil {
		return "", err
	}
	_, err = s.add(ctx, user, token, scopeAPI, expires, "", readOnly, "")
	return token, err
}

// CreateFeedToken issues a new feed token for user, which opens only the
// calendar feed. The audit entry is token.created with data
// {"scope": "feed"}. A feed token asked for with an API token (the user
// of ctx, andon.User.TokenID) lives no longer than it: it expires with it,
// if it expires, and it is revoked with it (the entry's data then names
// it in parent). A token made to work for a day, or revoked because it
// leaked, must not leave behind a credential that works for ever. A user
// who signed in through an OpenID Connect issuer is refused
// (feedTokenRefusal): there is no API token to tie the feed token to.
func (s *TokenService) CreateFeedToken(ctx context.Context, user string) (string, *time.Time, error) {
	token, err := newToken(feedTokenPrefix)
	if err != nil {
		return "", nil, err
	}
	u := andon.UserFromContext(ctx)
	if u != nil && u.TokenID == "" && u.Issuer != "" {
		return "", nil, feedTokenRefusal(u)
	}
	var parent string
	if u != nil {
		parent = u.TokenID
	}
	var expires time.Time
	if u != nil && u.TokenExpiresAt != nil {
		expires = *u.TokenExpiresAt
	}
	if expires, err = s.add(ctx, user, token, scopeFeed, expires, parent, false, ""); err != nil || expires.IsZero() {
		return token, nil, err
	}
	return token, &expires, nil
}

// feedTokenRefusal is the refusal of a feed token to user, who signed in
// through an OpenID Connect issuer: a feed token lives until its API
// token is revoked, and theirs has none, only a token that lives
// minutes, or a session of the board.
func feedTokenRefusal(u *andon.User) error {
	return andon.Errorf(andon.EFORBIDDEN, "a calendar feed token is issued only with an andon API token: %s signed in through the OpenID Connect issuer %s, and a feed token, which lives until its API token is revoked, would outlive that sign-in; sign in with an API token to get one (andon token create)", u.Name, u.Issuer)
}

// CreateSession issues a session token for the user of ctx, for the
// board's cookie. The audit entry is token.created with data {"scope":
// "session", "expiresAt", "parent"} (and "readOnly": true for a session
// opened with a read-only token, which is read-only too): the session is
// linked to the API token signed in with (andon.User.TokenID), expires
// with it if it expires sooner, and is revoked with it. If that API token is revoked
// between the sign-in's check and this write, the session is refused
// (add), as AuthenticateSession would find no API token behind it.
// A user who signed in through an OpenID Connect provider
// (andon.User.Issuer) has no API token: the session names the issuer
// instead of a parent (data "issuer"), and lasts lifetime.
func (s *TokenService) CreateSession(ctx context.Context, lifetime time.Duration) (string, time.Time, error) {
	u := andon.UserFromContext(ctx)
	if u == nil || (u.TokenID == "" && u.Issuer == "") {
		return "", time.Time{}, andon.Errorf(andon.EUNAUTHORIZED, "a session is opened by signing in with an API token or an identity provider")
	}
	if lifetime <= 0 {
		return "", time.Time{}, andon.Errorf(andon.EINVALID, "session lifetime %s: want more than 0", lifetime)
	}
	token, err := newToken(sessionTokenPrefix)
	if err != nil {
		return "", time.Time{}, err
	}
	expires := s.db.Now().Add(lifetime)
	if u.TokenID != "" && u.TokenExpiresAt != nil && u.TokenExpiresAt.Before(expires) {
		expires = *u.TokenExpiresAt
	}
	expires = expires.UTC().Truncate(time.Microsecond)
	issuer := ""
	if u.TokenID == "" {
		issuer = u.Issuer
	}
	expires, err = s.add(ctx, u.Name, token, scopeSession, expires, u.TokenID, u.ReadOnly, issuer)
	return token, expires, err
}

// AuthenticateSession returns the session of a session token, with the
// API token it was opened with, or the OpenID Connect issuer it was
// opened through. Sessions are not cached, as API tokens
// are: a page of the board makes many queries already, and so signing
// out, or revoking the API token, ends a session at once on every
// replica rather than within tokenCacheTTL.
func (s *TokenService) AuthenticateSession(ctx context.Context, token string) (andon.Session, error) {
	var sess andon.Session
	var user string
	var created int64
	var expires, apiCreated, apiExpires sql.NullInt64
	var parent, issuer, apiHash, apiUser sql.NullString
	var readOnly, apiReadOnly sql.NullBool
	hash := hashToken(token)
	// A session is read-only when the API token it was opened with is:
	// the session's own mark, made from that token's, is for its record.
	// A session opened through an identity provider has no API token,
	// and its own mark, from the issuer's configuration, is the one.
	err := s.db.readRow(ctx, `SELECT s.username, s.created_at, s.expires_at, s.parent, s.issuer, s.read_only, a.hash, a.username, a.created_at, a.expires_at, a.read_only
		FROM tokens s LEFT JOIN tokens a ON a.hash = s.parent AND a.scope = ?
		WHERE s.hash = ? AND s.scope = ?`, scopeAPI, hash, scopeSession).
		Scan(&user, &created, &expires, &parent, &issuer, &readOnly, &apiHash, &apiUser, &apiCreated, &apiExpires, &apiReadOnly)
	if errors.Is(err, sql.ErrNoRows) {
		return andon.Session{}, andon.Errorf(andon.EUNAUTHORIZED, "invalid session")
	}
	if err != nil {
		return andon.Session{}, err
	}
	// Every session expires, and is its API token's user's, or was
	// opened through an issuer with no API token at all; one that would
	// not is refused rather than trusted.
	switch {
	case !expires.Valid:
		return andon.Session{}, andon.Errorf(andon.EUNAUTHORIZED, "invalid session")
	case apiHash.Valid && apiUser.String == user:
		sess.Token = andon.Bearer{ID: apiHash.String, User: user, CreatedAt: time.UnixMicro(apiCreated.Int64).UTC(), ReadOnly: apiReadOnly.Bool}
		if apiExpires.Valid {
			sess.Token.ExpiresAt = time.UnixMicro(apiExpires.Int64).UTC()
		}
	case !parent.Valid && issuer.Valid && issuer.String != "":
		sess.Token = andon.Bearer{User: user, Issuer: issuer.String, CreatedAt: time.UnixMicro(created).UTC(), ReadOnly: readOnly.Bool}
	default:
		return andon.Session{}, andon.Errorf(andon.EUNAUTHORIZED, "invalid session")
	}
	sess.ID, sess.ExpiresAt = hash, time.UnixMicro(expires.Int64).UTC()
	now := s.db.Now()
	if !now.Before(sess.ExpiresAt) {
		return andon.Session{}, &andon.ExpiredTokenError{At: sess.ExpiresAt}
	}
	if !sess.Token.ExpiresAt.IsZero() && !now.Before(sess.Token.ExpiresAt) {
		return andon.Session{}, &andon.ExpiredTokenError{At: sess.Token.ExpiresAt}
	}
	// The board acts with the grants active now, read through the index
	// of the active ones, as it reads the session: uncached.
	if sess.Token.Grants, err = readGrants(ctx, s.db.readQuery, user, now); err != nil {
		return andon.Session{}, err
	}
	return sess, nil
}

// ActiveGrants returns the grants of user active now, read through the
// index of the active ones, uncached: an issuer's token is verified at
// every request, and its grants are read with it, so that one revoked
// or ended opens nothing from then on.
func (s *TokenService) ActiveGrants(ctx context.Context, user string) ([]andon.Grant, error) {
	return readGrants(ctx, s.db.readQuery, user, s.db.Now())
}

// Forget drops what authentication remembers of tokens, so that the next
// request of each reads its user's grants again: a grant begun or ended
// on this replica counts at once.
func (s *TokenService) Forget() { s.cache.clear() }

// EndSession revokes a session token, recording its token.revoked entry
// with the session's user as the actor: they signed out. An API or feed
// token is left alone, and one that no longer exists (signed out in
// another tab, revoked) changes nothing: neither is an error.
func (s *TokenService) EndSession(ctx context.Context, token string) error {
	_, err := s.revoke(ctx, `hash = ? AND scope = ?`, []any{hashToken(token), scopeSession},
		func([]andon.TokenInfo) error { return nil },
		func(t andon.TokenInfo) string { return t.User })
	return err
}

func newToken(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// AddToken registers an API token chosen by the caller; the demo uses it
// for its well-known tokens.
func (s *TokenService) AddToken(ctx context.Context, user, token string) error {
	_, err := s.add(ctx, user, token, scopeAPI, time.Time{}, "", false, "")
	return err
}

// AddReadOnlyToken registers a read-only API token chosen by the caller,
// as AddToken does; the demo uses it for its wall screen's.
func (s *TokenService) AddReadOnlyToken(ctx context.Context, user, token string) error {
	_, err := s.add(ctx, user, token, scopeAPI, time.Time{}, "", true, "")
	return err
}

// add stores token, and records its token.created entry, and returns
// the expiry kept (the zero time for none). parent is the hash of the API
// token a feed token or session was asked for with, or "": the token
// expires no later than that one does as the write reads it, and is
// refused (EUNAUTHORIZED) if it was revoked. The request was signed in
// earlier, perhaps with an expiry cached by another replica: the parent
// may have been rotated, its expiry brought forward, or revoked since,
// and a feed token outliving it would work on for ever. readOnly marks an
// API token, or a session, that may not write. issuer is the OpenID
// Connect issuer a session was opened through, or "".
func (s *TokenService) add(ctx context.Context, user, token, scope string, expires time.Time, parent string, readOnly bool, issuer string) (time.Time, error) {
	if err := andon.CheckUserName(user); err != nil {
		return time.Time{}, andon.Errorf(andon.EINVALID, "user: %s", andon.ErrorMessage(err))
	}
	if len(token) < 8 {
		return time.Time{}, andon.Errorf(andon.EINVALID, "token: too short")
	}
	actor := tokenActor(ctx)
	var expiresAt sql.NullInt64
	parentHash := sql.NullString{String: parent, Valid: parent != ""}
	issuerURL := sql.NullString{String: issuer, Valid: issuer != ""}
	if !expires.IsZero() {
		expires = expires.UTC().Truncate(time.Microsecond)
		expiresAt = sql.NullInt64{Int64: micros(expires), Valid: true}
	}
	_, err := s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if parentHash.Valid {
			var parentExpires sql.NullInt64
			err := tx.queryRow(ctx, `SELECT expires_at FROM tokens WHERE hash = ? AND scope = ?`, parent, scopeAPI).Scan(&parentExpires)
			if errors.Is(err, sql.ErrNoRows) {
				return andon.Errorf(andon.EUNAUTHORIZED, "the API token this %s token is asked for with was revoked meanwhile", scope)
			} else if err != nil {
				return err
			}
			if parentExpires.Valid && (!expiresAt.Valid || parentExpires.Int64 < expiresAt.Int64) {
				expiresAt, expires = parentExpires, time.UnixMicro(parentExpires.Int64).UTC()
				if !expires.After(tx.now) {
					return andon.Errorf(andon.EUNAUTHORIZED, "the API token this %s token is asked for with expired at %s", scope, expires.Format(time.RFC3339))
				}
			}
		}
		if expiresAt.Valid && !expires.After(tx.now) {
			return andon.Errorf(andon.EINVALID, "expiry %s is not in the future", expires.Format(time.RFC3339))
		}
		if _, err := tx.exec(ctx, `INSERT INTO tokens (hash, username, created_at, scope, expires_at, parent, read_only, issuer) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, hashToken(token), user, micros(tx.now), scope, expiresAt, parentHash, readOnly, issuerURL); err != nil {
			return err
		}
		// The token itself is never recorded, only who got one. API
		// tokens that never expire keep the entry they always had.
		ev := andon.Event{Type: andon.EventTokenCreated, Actor: actor, Subject: user}
		data := map[string]any{}
		if scope != scopeAPI {
			data["scope"] = scope
		}
		if expiresAt.Valid {
			data["expiresAt"] = expires
		}
		if parentHash.Valid {
			data["parent"] = tokenID(parent)
		}
		if readOnly {
			data["readOnly"] = true
		}
		if issuerURL.Valid {
			data["issuer"] = issuer
		}
		if len(data) > 0 {
			ev.Data = data
		}
		tx.Record(ev)
		return nil
	})
	if err != nil {
		return time.Time{}, err
	}
	return expires, nil
}

// Authenticate returns whom an API token was issued to, and when it
// expires; a feed or session token is refused.
func (s *TokenService) Authenticate(ctx context.Context, token string) (andon.Bearer, error) {
	return s.authenticate(ctx, token, scopeAPI)
}

// AuthenticateFeed returns the user a feed token was issued to; an API
// token is refused.
func (s *TokenService) AuthenticateFeed(ctx context.Context, token string) (string, error) {
	b, err := s.authenticate(ctx, token, scopeFeed)
	return b.User, err
}

func (s *TokenService) authenticate(ctx context.Context, token, scope string) (andon.Bearer, error) {
	hash := hashToken(token)
	now := s.db.Now()
	if b, ok := s.cache.get(hash, scope, now); ok {
		return b, nil
	}
	var b andon.Bearer
	var created int64
	var expiresAt sql.NullInt64
	// The user's active grants come in the same statement, a row each
	// (through the index of the active ones), or one row of NULLs.
	rows, err := s.db.readQuery(ctx, `SELECT t.username, t.created_at, t.expires_at, t.read_only, t.rotated_to, g.id, g.team, g.ends_at
		FROM tokens t LEFT JOIN access_requests g ON g.username = t.username AND g.state = 'active' AND g.ends_at > ?
		WHERE t.hash = ? AND t.scope = ? ORDER BY g.ends_at`, micros(now), hash, scope)
	if err != nil {
		return andon.Bearer{}, err
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		var id, team, rotatedTo sql.NullString
		var ends sql.NullInt64
		if err := rows.Scan(&b.User, &created, &expiresAt, &b.ReadOnly, &rotatedTo, &id, &team, &ends); err != nil {
			return andon.Bearer{}, err
		}
		found, b.Rotated = true, rotatedTo.Valid
		if id.Valid {
			b.Grants = append(b.Grants, andon.Grant{ID: id.String, Team: team.String, EndsAt: time.UnixMicro(ends.Int64).UTC()})
		}
	}
	if err := rows.Err(); err != nil {
		return andon.Bearer{}, err
	}
	if !found {
		return andon.Bearer{}, andon.Errorf(andon.EUNAUTHORIZED, "invalid token")
	}
	b.ID, b.CreatedAt = hash, time.UnixMicro(created).UTC()
	until := now.Add(tokenCacheTTL)
	// A grant ends for this replica when it ends: the cache keeps the
	// token no longer. One revoked or begun elsewhere is seen within
	// tokenCacheTTL; the writes decide by the grants of the database.
	if len(b.Grants) > 0 && b.Grants[0].EndsAt.Before(until) {
		until = b.Grants[0].EndsAt
	}
	if expiresAt.Valid {
		b.ExpiresAt = time.UnixMicro(expiresAt.Int64).UTC()
		if !now.Before(b.ExpiresAt) {
			return andon.Bearer{}, &andon.ExpiredTokenError{At: b.ExpiresAt}
		}
		if b.ExpiresAt.Before(until) {
			until = b.ExpiresAt
		}
	}
	s.cache.put(hash, scope, b, until)
	return b, nil
}

// tokenIDLength is how many hexadecimal digits of a token's hash name it
// in listings (andon.TokenInfo.ID).
const tokenIDLength = 12

// ListTokens returns the tokens issued, oldest first: only those of user
// when it is not empty, and only those of the given scopes ("api", "feed",
// "session") when any is given. An unknown scope is refused (EINVALID).
func (s *TokenService) ListTokens(ctx context.Context, user string, scopes ...string) ([]andon.TokenInfo, error) {
	var conds []string
	var args []any
	if user != "" {
		conds, args = append(conds, `username = ?`), append(args, user)
	}
	if len(scopes) > 0 {
		marks := make([]string, 0, len(scopes))
		for _, scope := range scopes {
			if !slices.Contains(tokenScopes, scope) {
				return nil, andon.Errorf(andon.EINVALID, "scope %q: want %s", scope, strings.Join(tokenScopes, ", "))
			}
			marks, args = append(marks, "?"), append(args, scope)
		}
		conds = append(conds, `scope IN (`+strings.Join(marks, ", ")+`)`)
	}
	q := `SELECT ` + tokenColumns + ` FROM tokens`
	if len(conds) > 0 {
		q += ` WHERE ` + strings.Join(conds, ` AND `)
	}
	rows, err := s.db.readQuery(ctx, q+` ORDER BY created_at, hash`, args...)
	if err != nil {
		return nil, err
	}
	tokens, _, err := scanTokens(rows)
	return tokens, err
}

// tokenScopes are the scopes a token may have, as ListTokens takes them.
var tokenScopes = []string{scopeAPI, scopeFeed, scopeSession}

// CountSessions counts the session tokens of user, or of every user when
// user is empty: those open and those expired at the store's clock. A
// listing that leaves the sessions out says how many there are with it.
func (s *TokenService) CountSessions(ctx context.Context, user string) (andon.SessionCount, error) {
	q := `SELECT COUNT(*), COALESCE(SUM(CASE WHEN expires_at <= ? THEN 1 ELSE 0 END), 0) FROM tokens WHERE scope = ?`
	args := []any{micros(s.db.Now()), scopeSession}
	if user != "" {
		q, args = q+` AND username = ?`, append(args, user)
	}
	var all, expired int
	if err := s.db.readRow(ctx, q, args...).Scan(&all, &expired); err != nil {
		return andon.SessionCount{}, err
	}
	return andon.SessionCount{Open: all - expired, Expired: expired}, nil
}

// RevokeTokens deletes the token that ref names, or with an empty ref
// every token of user, and records a token.revoked entry for each, in one
// write. ref is a token's ID as ListTokens gives it (or at least its
// first 8 digits), or the token itself. The feed and session tokens
// asked for with an API token revoked are revoked with it, after the
// tokens ref or user names in the answer. A ref that names no token or
// several, and a user who has none, are refused and change nothing.
// Servers that authenticated a revoked API or feed token in the last
// tokenCacheTTL may accept it until then; a session ends at once.
func (s *TokenService) RevokeTokens(ctx context.Context, ref, user string) ([]andon.TokenInfo, error) {
	user = strings.TrimSpace(user)
	var where string
	var arg any
	switch {
	case ref != "" && user != "":
		return nil, andon.Errorf(andon.EINVALID, "give a token or a user, not both")
	case ref != "":
		var err error
		if where, arg, err = tokenRef(ref); err != nil {
			return nil, err
		}
	case user != "":
		where, arg = `username = ?`, user
	default:
		return nil, andon.Errorf(andon.EINVALID, "give the token to revoke (its ID, or the token itself) or a user")
	}
	return s.revoke(ctx, where, []any{arg}, func(found []andon.TokenInfo) error {
		if len(found) == 0 && user != "" {
			return andon.Errorf(andon.ENOTFOUND, "user %s has no token", user)
		}
		if user == "" {
			return oneToken(ref, found)
		}
		return nil
	}, nil)
}

// tokenRef returns the condition on tokens, with its argument, that
// selects the token ref names: its ID as ListTokens gives it (or at least
// its first 8 digits), or the token itself.
func tokenRef(ref string) (where string, arg any, err error) {
	// A reference of hexadecimal digits is an ID; anything else is a
	// token (andon's own begin with andon_ or andonfeed_, the demo's do
	// not).
	id := strings.ToLower(ref)
	if _, notHex := hex.DecodeString(id); notHex != nil || len(id) > sha256.Size*2 {
		return `hash = ?`, hashToken(ref), nil
	}
	if len(id) < 8 {
		return "", nil, andon.Errorf(andon.EINVALID, "token ID %q: give at least 8 of the %d hexadecimal digits andon token list shows", ref, tokenIDLength)
	}
	return `hash LIKE ?`, id + "%", nil
}

// oneToken checks that the tokens found for ref (tokenRef) are one.
func oneToken(ref string, found []andon.TokenInfo) error {
	where, _, _ := tokenRef(ref)
	switch {
	case len(found) == 0 && where != `hash = ?`:
		return andon.Errorf(andon.ENOTFOUND, "no token has the ID %s: none was issued by this store, or it was revoked (revoking deletes a token; the audit log's token.revoked entries name the IDs)", ref)
	case len(found) == 0:
		// The token itself is not repeated: it may be a secret.
		return andon.Errorf(andon.ENOTFOUND, "no token matches: what was given is not a token ID (the %d hexadecimal digits andon token list shows), nor a token issued by this store and not yet revoked", tokenIDLength)
	case len(found) > 1:
		return andon.Errorf(andon.EINVALID, "token ID %s names %d tokens: give more of its digits", ref, len(found))
	}
	return nil
}

// RevokeExpiredTokens deletes the tokens that have expired, recording a
// token.revoked entry for each, in one write, and returns them: none is
// not an error. Expired tokens open nothing; this keeps the list of
// credentials to what still works.
func (s *TokenService) RevokeExpiredTokens(ctx context.Context) ([]andon.TokenInfo, error) {
	return s.revoke(ctx, `expires_at <= ?`, []any{micros(s.db.Now())}, func([]andon.TokenInfo) error { return nil }, nil)
}

// DeleteExpiredSessions deletes the session tokens that expired at least
// retention ago, at most limit of them, those that expired first, and
// records a token.revoked entry for each with the actor andon, as token
// revoke --expired does, in one write. It returns them: none is not an
// error. The leading server calls it in its background work, so that the
// sessions every sign-in opens do not pile up in the store; limit keeps
// each write, and its audit entries, to a bounded size, the next call
// taking the rest.
func (s *TokenService) DeleteExpiredSessions(ctx context.Context, retention time.Duration, limit int) ([]andon.TokenInfo, error) {
	if retention < 0 || limit <= 0 {
		return nil, andon.Errorf(andon.EINVALID, "deleting expired sessions: retention %s and limit %d: want a retention of 0 or more and a limit of 1 or more", retention, limit)
	}
	// ORDER BY ends with the hash, unique, so that the subquery selects
	// the same tokens each time the revocation evaluates it.
	where := `hash IN (SELECT hash FROM tokens WHERE scope = ? AND expires_at <= ? ORDER BY expires_at, hash LIMIT ?)`
	return s.revoke(ctx, where, []any{scopeSession, micros(s.db.Now().Add(-retention)), limit},
		func([]andon.TokenInfo) error { return nil },
		func(andon.TokenInfo) string { return andon.ActorAndon })
}

// errNoTokens ends a revocation that found nothing to revoke.
var errNoTokens = errors.New("no token to revoke")

// revoke deletes the tokens that the condition where, with args, selects,
// once check has accepted them, and the feed and session tokens asked for
// with them, and records a token.revoked entry for each, in one write.
// It returns them, those where selects first. The actor of the entries is
// actorOf each token, or with a nil actorOf the user of ctx (or "admin").
func (s *TokenService) revoke(ctx context.Context, where string, args []any, check func([]andon.TokenInfo) error, actorOf func(andon.TokenInfo) string) ([]andon.TokenInfo, error) {
	if actorOf == nil {
		actor := tokenActor(ctx)
		actorOf = func(andon.TokenInfo) string { return actor }
	}
	var revoked []andon.TokenInfo
	_, err := s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE `+where+` ORDER BY created_at, hash`, args...)
		if err != nil {
			return err
		}
		if revoked, _, err = scanTokens(rows); err != nil {
			return err
		}
		if err := check(revoked); err != nil {
			return err
		}
		if len(revoked) == 0 {
			return errNoTokens // a write must record something
		}
		revoked, err = deleteTokens(ctx, tx, revoked, where, args, actorOf)
		return err
	})
	if errors.Is(err, errNoTokens) {
		return []andon.TokenInfo{}, nil
	} else if err != nil {
		return nil, err
	}
	// This process forgets them at once; other servers within the TTL.
	s.cache.clear()
	return revoked, nil
}

// tokenColumns are the columns of tokens that scanTokens reads.
const tokenColumns = `hash, username, scope, created_at, expires_at, parent, read_only, rotated_to, issuer`

// deleteTokens deletes, in tx, the tokens selected (those that where,
// with args, selects), and the feed and session tokens asked for with
// them, and records a token.revoked entry for each. It returns them all,
// those selected first.
func deleteTokens(ctx context.Context, tx *Tx, selected []andon.TokenInfo, where string, args []any, actorOf func(andon.TokenInfo) string) ([]andon.TokenInfo, error) {
	// A feed or session token asked for with a token revoked goes with
	// it: a leaked API token must not leave behind a feed, or a board's
	// session, that its holder opened with it.
	hashes := `SELECT hash FROM tokens WHERE ` + where
	rows, err := tx.query(ctx, `SELECT `+tokenColumns+` FROM tokens
		WHERE parent IN (`+hashes+`) AND hash NOT IN (`+hashes+`) ORDER BY created_at, hash`, append(slices.Clone(args), args...)...)
	if err != nil {
		return nil, err
	}
	children, parents, err := scanTokens(rows)
	if err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `DELETE FROM tokens WHERE parent IN (`+hashes+`)`, args...); err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `DELETE FROM tokens WHERE `+where, args...); err != nil {
		return nil, err
	}
	revoked := append(slices.Clone(selected), children...)
	for i, t := range revoked {
		data := map[string]any{"id": t.ID, "scope": t.Scope}
		if t.ExpiresAt != nil {
			data["expiresAt"] = *t.ExpiresAt
		}
		if i >= len(selected) {
			data["parent"] = parents[i-len(selected)]
		}
		tx.Record(andon.Event{Type: andon.EventTokenRevoked, Actor: actorOf(t), Subject: t.User, Data: data})
	}
	return revoked, nil
}

// scanTokens reads rows of the columns tokenColumns. It returns the
// tokens, and the ID of the parent of each ("" for none).
func scanTokens(rows *sql.Rows) ([]andon.TokenInfo, []string, error) {
	defer rows.Close()
	tokens, parents := []andon.TokenInfo{}, []string{}
	for rows.Next() {
		var t andon.TokenInfo
		var created int64
		var expires sql.NullInt64
		var parent, rotatedTo, issuer sql.NullString
		if err := rows.Scan(&t.ID, &t.User, &t.Scope, &created, &expires, &parent, &t.ReadOnly, &rotatedTo, &issuer); err != nil {
			return nil, nil, err
		}
		t.Issuer = issuer.String
		t.ID, t.CreatedAt = tokenID(t.ID), time.UnixMicro(created).UTC()
		t.RotatedTo = tokenID(rotatedTo.String)
		if expires.Valid {
			at := time.UnixMicro(expires.Int64).UTC()
			t.ExpiresAt = &at
		}
		tokens = append(tokens, t)
		parents = append(parents, tokenID(parent.String))
	}
	return tokens, parents, rows.Err()
}

// tokenID is the ID of the token of the given hash, as listings show it,
// or "" for none.
func tokenID(hash string) string { return hash[:min(len(hash), tokenIDLength)] }

// Bounds of the cache of authenticated tokens. Every request authenticates,
// and on PostgreSQL the lookup is a round trip to the database: the gate's
// callers (pipelines, the admission webhook) send the same few tokens
// hundreds of times a second. A token found is remembered for
// tokenCacheTTL, so a token deleted from the database, on this replica or
// another, stops working within that time; a token not found is never
// remembered, so a new one works at once.
const (
	tokenCacheTTL  = 10 * time.Second
	tokenCacheSize = 4096
)

// tokenCache remembers the bearers of recently authenticated token
// hashes, each until tokenCacheTTL has passed or the token expires.
type tokenCache struct {
	mu      sync.Mutex
	entries map[tokenKey]cachedBearer
}

type tokenKey struct{ hash, scope string }

type cachedBearer struct {
	bearer andon.Bearer
	until  time.Time
}

func (c *tokenCache) get(hash, scope string, now time.Time) (andon.Bearer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[tokenKey{hash, scope}]
	if !ok || !now.Before(e.until) {
		return andon.Bearer{}, false
	}
	return e.bearer, true
}

func (c *tokenCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
}

func (c *tokenCache) put(hash, scope string, b andon.Bearer, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Full means many distinct tokens in a short time: start again rather
	// than keep a bookkeeping of ages.
	if c.entries == nil || len(c.entries) >= tokenCacheSize {
		c.entries = map[tokenKey]cachedBearer{}
	}
	c.entries[tokenKey{hash, scope}] = cachedBearer{bearer: b, until: until}
}

// RotateToken issues a new API token in place of the one ref names (its
// ID, or the token itself, as RevokeTokens takes them), for the same
// user and read-only if it was, and records one token.rotated entry
// naming both IDs. The new token expires at expires, or with the zero
// time after as long as the old one was made to live, from now (never,
// for one that never expires). The old one goes on working for overlap,
// never longer than it would have: its expiry, and that of the feed
// tokens and sessions asked for with it, which end with it rather than
// pass to the new token (a leaked token's holder may have asked for
// them). An overlap of 0 revokes it, and them, at once, each with its
// token.revoked entry. A feed or session token, an expired one, and an
// overlap outside andon.CheckTokenOverlap are refused (EINVALID), a ref
// that names no token ENOTFOUND; nothing is changed then.
func (s *TokenService) RotateToken(ctx context.Context, ref string, overlap time.Duration, expires time.Time) (andon.RotatedToken, error) {
	if err := andon.CheckTokenOverlap(overlap); err != nil {
		return andon.RotatedToken{}, andon.Errorf(andon.EINVALID, "overlap %s: %s", overlap, andon.ErrorMessage(err))
	}
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return andon.RotatedToken{}, andon.Errorf(andon.EINVALID, "give the token to rotate: its ID, or the token itself")
	}
	where, arg, err := tokenRef(ref)
	if err != nil {
		return andon.RotatedToken{}, err
	}
	token, err := newToken(tokenPrefix)
	if err != nil {
		return andon.RotatedToken{}, err
	}
	newHash := hashToken(token)
	actor := tokenActor(ctx)
	var out andon.RotatedToken
	_, err = s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE `+where, arg)
		if err != nil {
			return err
		}
		found, _, err := scanTokens(rows)
		if err != nil {
			return err
		}
		if err := oneToken(ref, found); err != nil {
			return err
		}
		old := found[0]
		switch {
		case old.Scope == scopeFeed:
			return andon.Errorf(andon.EINVALID, "token %s is a calendar feed token: only API tokens rotate; ask for a new feed link with the API token", old.ID)
		case old.Scope != scopeAPI:
			return andon.Errorf(andon.EINVALID, "token %s is a session of the board: only API tokens rotate; sign in again to open a new session", old.ID)
		case old.ExpiresAt != nil && !tx.now.Before(*old.ExpiresAt):
			return andon.Errorf(andon.EINVALID, "token %s expired at %s: an expired token does not rotate; issue a new one (andon token create)", old.ID, old.ExpiresAt.Format(time.RFC3339))
		}
		lifetime, earlier, err := madeFor(ctx, tx, old, where, arg)
		if err != nil {
			return err
		}
		newExpires := expires
		if newExpires.IsZero() && lifetime > 0 {
			newExpires = wholeSecond(tx.now.Add(lifetime))
		}
		var newExpiresAt sql.NullInt64
		if !newExpires.IsZero() {
			newExpires = newExpires.UTC().Truncate(time.Microsecond)
			if !newExpires.After(tx.now) {
				return andon.Errorf(andon.EINVALID, "expiry %s is not in the future", newExpires.Format(time.RFC3339))
			}
			newExpiresAt = sql.NullInt64{Int64: micros(newExpires), Valid: true}
			out.ExpiresAt = &newExpires
		}
		oldEnd := wholeSecond(tx.now.Add(overlap)).UTC()
		if overlap == 0 {
			// Revoked now: the answer and the audit log say so, not that
			// it worked on to the next whole second.
			oldEnd = tx.now.UTC().Truncate(time.Microsecond)
		}
		if old.ExpiresAt != nil && old.ExpiresAt.Before(oldEnd) {
			oldEnd = *old.ExpiresAt
		}
		// The old token is named by its full hash from here on: ref may be
		// a prefix, which the new token's hash could share.
		var oldHash string
		if err := tx.queryRow(ctx, `SELECT hash FROM tokens WHERE `+where, arg).Scan(&oldHash); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO tokens (hash, username, created_at, scope, expires_at, read_only) VALUES (?, ?, ?, ?, ?, ?)`,
			newHash, old.User, micros(tx.now), scopeAPI, newExpiresAt, old.ReadOnly); err != nil {
			return err
		}
		out.Token, out.ID, out.User, out.ReadOnly = token, tokenID(newHash), old.User, old.ReadOnly
		out.OldID, out.OldExpiresAt = old.ID, oldEnd
		// The token itself is never recorded; the IDs are.
		data := map[string]any{"id": out.ID, "from": old.ID, "fromExpiresAt": oldEnd}
		if out.ExpiresAt != nil {
			data["expiresAt"] = newExpires
		}
		if old.ReadOnly {
			data["readOnly"] = true
		}
		if overlap == 0 {
			data["fromRevoked"] = true
		}
		if earlier != "" {
			// The token that replaced it before works on: named, so that
			// it is not forgotten.
			out.EarlierID, data["earlier"] = earlier, earlier
		}
		tx.Record(andon.Event{Type: andon.EventTokenRotated, Actor: actor, Subject: old.User, Data: data})
		if overlap == 0 {
			out.OldRevoked = true
			_, err := deleteTokens(ctx, tx, found, `hash = ?`, []any{oldHash}, func(andon.TokenInfo) string { return actor })
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE tokens SET expires_at = ?, rotated_to = ? WHERE hash = ?`, micros(oldEnd), newHash, oldHash); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE tokens SET expires_at = ? WHERE parent = ? AND (expires_at IS NULL OR expires_at > ?)`, micros(oldEnd), oldHash, micros(oldEnd))
		return err
	})
	if err != nil {
		return andon.RotatedToken{}, err
	}
	// This process sees the nearer expiry at once; other servers within
	// the TTL.
	s.cache.clear()
	return out, nil
}

// madeFor returns how long the API token old, which where with arg
// selects, was made to live, 0 for ever, and the ID of the token that
// replaced it already, if any is kept. A token rotated already has had
// its expiry brought forward to the end of the overlap: it was made to
// live as long as the token that replaced it, while that one is kept (a
// pipeline rotating again, its first answer lost, gets a token for as
// long as the first), and otherwise, never longer, until its new expiry.
func madeFor(ctx context.Context, tx *Tx, old andon.TokenInfo, where string, arg any) (time.Duration, string, error) {
	if old.RotatedTo != "" {
		var hash string
		var created int64
		var expires sql.NullInt64
		err := tx.queryRow(ctx, `SELECT hash, created_at, expires_at FROM tokens WHERE hash = (SELECT rotated_to FROM tokens WHERE `+where+`)`, arg).Scan(&hash, &created, &expires)
		switch {
		case err == nil && !expires.Valid:
			return 0, tokenID(hash), nil
		case err == nil:
			return time.Duration(expires.Int64-created) * time.Microsecond, tokenID(hash), nil
		case !errors.Is(err, sql.ErrNoRows):
			return 0, "", err
		}
	}
	if old.ExpiresAt == nil {
		return 0, "", nil
	}
	return old.ExpiresAt.Sub(old.CreatedAt), "", nil
}

// wholeSecond is t rounded up to the whole second: expiries are kept so,
// as andon token create keeps them, and shown and named to the second.
func wholeSecond(t time.Time) time.Time {
	if whole := t.Truncate(time.Second); whole.Before(t) {
		return whole.Add(time.Second)
	}
	return t
}
