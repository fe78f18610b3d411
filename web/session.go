package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/server"
)

// sessionCookie holds a session token (andon.SessionTokenPrefix), which
// signing in with an API token issues: it opens the board only, never the
// API, ends at sign-out, after Config.SessionLifetime, or when the API
// token is revoked, and is kept in the store, so that every replica
// recognises it. A cookie copied from a browser is therefore neither the
// user's API token nor a credential for ever. A cookie that holds
// anything else, such as the API token itself that the board kept there
// before it had sessions, opens nothing: its holder is asked to sign in
// again.
//
// Sent Secure, its name has the __Host- prefix: browsers then take it only
// from this host, over HTTPS, for the whole site and without a Domain.
// Another host of the same domain (a plant network has many) could
// otherwise set an andon_session cookie for the domain, for the whole site
// or one page, and sign the user in there as someone else, or out. Without
// Secure browsers refuse the prefix, so insecureSessionCookie is used.
const (
	sessionCookie         = "__Host-andon_session"
	insecureSessionCookie = "andon_session"
)

// sessionCookieName is the name of the session cookie as this server
// sends it.
func (h *Handler) sessionCookieName() string {
	if h.cfg.InsecureCookies {
		return insecureSessionCookie
	}
	return sessionCookie
}

// csrfField is the name of the hidden field of every form.
const csrfField = "csrf"

// csrfToken derives the CSRF token of a session from its session token.
// Only someone who knows the token, which the HttpOnly cookie hides from
// scripts and other sites, can compute it.
func csrfToken(token string) string {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("andon csrf v1"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// session is what requireSession learned about the request.
type session struct {
	user *andon.User
	csrf string
	// draftKey seals what the board keeps in the browser for this
	// session alone (sealDraft).
	draftKey []byte
	// expiresSoon is set when the API token signed in with expires soon
	// (andon.Bearer.ExpiresSoon): every page says when.
	expiresSoon bool
}

type sessionKey struct{}

// sessionOf returns the session of a request that went through
// requireSession, or nil.
func sessionOf(r *http.Request) *session {
	s, _ := r.Context().Value(sessionKey{}).(*session)
	return s
}

// requireSession resolves the session cookie to a user, puts the user in
// the request's context (the services take the actor from there) and,
// for a POST, checks the CSRF token. Without a valid session a GET is
// sent to the sign-in page, which comes back to it afterwards.
func (h *Handler) requireSession(next http.Handler) http.Handler {
	return h.withErrors(func(w http.ResponseWriter, r *http.Request) error {
		c, err := r.Cookie(h.sessionCookieName())
		var sess andon.Session
		why := ""
		switch {
		case err != nil || c.Value == "":
		case !strings.HasPrefix(c.Value, andon.SessionTokenPrefix):
			why = endedUpgrade
		default:
			sess, err = h.cfg.Tokens.AuthenticateSession(r.Context(), c.Value)
			if andon.ErrorCode(err) == andon.EINTERNAL {
				return err
			}
			why = endedRevoked
			if expired := (*andon.ExpiredTokenError)(nil); errors.As(err, &expired) {
				why = endedExpired
			}
		}
		if err == nil && sess.Token.User != "" && sess.ExpiresAt.Sub(h.cfg.Now()) > h.cfg.SessionLifetime {
			// A wall screen's long session, whose user a Team has named
			// since: a team member's session lasts a shift.
			cat, cerr := h.catalog()
			if cerr != nil {
				return cerr
			}
			if !wallScreen(cat, sess.Token.User) {
				err, why = andon.Errorf(andon.EUNAUTHORIZED, "a wall screen's session of a team member"), endedExpired
			}
		}
		if err != nil || sess.Token.User == "" {
			signIn := "/login?next=" + url.QueryEscape(r.URL.RequestURI())
			if why != "" {
				signIn += "&ended=" + why
			}
			switch {
			case r.Header.Get("HX-Request") != "":
				// The board's refresh: htmx swaps no 4xx answer and
				// follows HX-Redirect, so a wall screen whose session
				// ended shows the sign-in page rather than going blank.
				w.Header().Set("HX-Redirect", signIn)
				return andon.Errorf(andon.EUNAUTHORIZED, "your session ended: sign in again")
			case r.Method == http.MethodGet:
				http.Redirect(w, r, signIn, http.StatusSeeOther)
				return nil
			}
			if why == "" {
				return andon.Errorf(andon.EUNAUTHORIZED, "you are not signed in: sign in")
			}
			return andon.Errorf(andon.EUNAUTHORIZED, "%s", h.endedMessage(why))
		}
		ctx := server.SignedIn(r.Context(), h.cfg.Catalog, sess.Token)
		s := &session{user: andon.UserFromContext(ctx), csrf: csrfToken(c.Value), draftKey: draftKey(c.Value), expiresSoon: sess.Token.ExpiresSoon(h.cfg.Now())}
		if r.Method == http.MethodPost && !hmac.Equal([]byte(r.PostForm.Get(csrfField)), []byte(s.csrf)) {
			reason := "the form carries no CSRF token"
			if r.PostForm.Get(csrfField) != "" {
				reason = "the form's CSRF token is not the session's (a page of an earlier session, or a forgery)"
			}
			h.refuseForm(w, r, reason, s.user.Name)
			return errFormRefused
		}
		ctx = contextWithSession(ctx, s)
		next.ServeHTTP(w, r.WithContext(ctx))
		return nil
	})
}

// errFormRefused is what the board says of a form it refuses for where it
// came from (its CSRF token, or another origin), in words for the people
// of a plant: what went wrong technically is in the log (refuseForm).
var errFormRefused = andon.Errorf(andon.EFORBIDDEN,
	"this form was not accepted: it was open too long, or it was sent from another page or site. Reload the page and send the form again")

// refuseForm logs why a form was refused for where it came from, at
// level WARN, kept above the request log's level: one now and then is a
// page left open across sessions, many are someone forging forms.
func (h *Handler) refuseForm(w http.ResponseWriter, r *http.Request, reason, user string) {
	h.cfg.Logger.WarnContext(r.Context(), "form refused",
		slog.String("reason", reason),
		slog.String("method", r.Method),
		slog.String("path", server.LogPath(r.URL.Path)),
		slog.String("user", user),
		slog.String("remote", r.RemoteAddr),
		slog.String("request_id", w.Header().Get("X-Request-Id")))
}

// Why a session cookie opened nothing, as the sign-in page's ended
// parameter says it, and what the page then tells the user. The page
// shows only these fixed messages, never text from its address.
const (
	endedExpired = "expired"
	endedRevoked = "revoked"
	endedUpgrade = "upgrade"
	// endedSignedOut is the sign-out's own: the page says it was done.
	endedSignedOut = "signed-out"
)

// endedMessage returns what the sign-in page says for an ended
// parameter, or "" for none or one it does not know.
func (h *Handler) endedMessage(why string) string {
	switch why {
	case endedExpired:
		return "Your session expired: a session of the board lasts " + hoursOf(h.cfg.SessionLifetime) +
			" (30 days for a wall screen's user, whom no Team names), or less when your API token expires sooner. Sign in again."
	case endedRevoked:
		return "Your session has ended: you signed out, or it or your API token was revoked. Sign in again."
	case endedUpgrade:
		return "The board's sign-in changed with an upgrade of andon: sign in again with your API token."
	case endedSignedOut:
		return "You have signed out: your session has ended, on this browser and in any copy of its cookie. Sign in again to use the board."
	}
	return ""
}

// hoursOf says a duration for people: in hours when it is whole hours.
func hoursOf(d time.Duration) string {
	switch {
	case d == time.Hour:
		return "1 hour"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	}
	return d.String()
}

// loginPage shows the sign-in form, saying why when the session the
// browser had ended.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := h.loginView(safeNext(q.Get("next")), "")
	v.Ended = h.endedMessage(q.Get("ended"))
	return h.render(w, r, http.StatusOK, "login", v)
}

// loginView is the data of the sign-in page.
type loginView struct {
	Next  string
	Error string
	// TokenError says that Error is about the API token typed, whose
	// field is then marked invalid; a sign-in through a provider that
	// failed is no fault of that field.
	TokenError bool
	// Ended says why the session the browser had no longer opens the
	// board, or is "".
	Ended string
	// Providers are the identity providers offered beside the API
	// token's form: "Sign in with …".
	Providers []andon.IdentityProvider
}

// loginView returns the data of the sign-in page that goes back to next,
// saying message as its error.
func (h *Handler) loginView(next, message string) *loginView {
	return &loginView{Next: next, Error: message, Providers: h.providers()}
}

// tokenRefused returns the data of the sign-in page that refuses the API
// token typed, saying message beside its field.
func (h *Handler) tokenRefused(next, message string) *loginView {
	v := h.loginView(next, message)
	v.TokenError = true
	return v
}

// wallSessionLifetime is how long the session of a user whom no Team
// names lasts, at the least: a wall screen's (/?kiosk=1), which nobody
// signs in again each shift. Its API token's expiry still ends it first.
const wallSessionLifetime = 30 * 24 * time.Hour

// wallScreen reports whether user is one whom no Team of cat names, as
// a wall screen's user is made (docs/ui.md): one who holds no role and
// approves, reviews and moves no change but its own. A member of a team,
// even one of no role (a release engineer, who starts changes), is not.
func wallScreen(cat *andon.Catalog, user string) bool {
	return !slices.Contains(cat.Users(), user)
}

// login checks the API token, opens a session with it (a session token
// of its own, recorded as token.created) and puts the session token in
// the cookie.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) error {
	token := strings.TrimSpace(r.PostFormValue("token"))
	next := safeNext(r.PostFormValue("next"))
	if token == "" {
		return h.render(w, r, http.StatusBadRequest, "login", h.tokenRefused(next, "Enter your API token."))
	}
	b, err := h.cfg.Tokens.Authenticate(r.Context(), token)
	switch {
	case andon.ErrorCode(err) == andon.EINTERNAL:
		return err
	case err != nil || b.User == "":
		// Above the request log's level, so that it is kept: many from
		// one address are someone trying tokens, and an expired one is
		// someone who needs a new token. The token itself is never logged.
		h.cfg.Logger.WarnContext(r.Context(), "sign-in refused",
			slog.String("reason", server.WhyNotValid(err)),
			slog.String("remote", r.RemoteAddr),
			slog.String("request_id", w.Header().Get("X-Request-Id")))
		return h.render(w, r, http.StatusUnauthorized, "login", h.tokenRefused(next,
			"This token is not valid: "+server.WhyNotValid(err)+". Ask your platform team for a new one (andon token create)."))
	}
	cat, err := h.catalog()
	if err != nil {
		return err
	}
	lifetime := h.cfg.SessionLifetime
	if wallScreen(cat, b.User) {
		lifetime = max(lifetime, wallSessionLifetime)
	}
	return h.openSession(w, r, b, lifetime, next)
}

// openSession opens a session of lifetime for b, who signed in with an
// API token or through an identity provider, puts its token in the
// session cookie and sends the browser to next.
func (h *Handler) openSession(w http.ResponseWriter, r *http.Request, b andon.Bearer, lifetime time.Duration, next string) error {
	session, _, err := h.cfg.Tokens.CreateSession(server.SignedIn(r.Context(), h.cfg.Catalog, b), lifetime)
	if err != nil {
		return err
	}
	// No Expires: the browser sends the cookie until it is closed, and
	// the server, which knows when the session ends, says so then.
	http.SetCookie(w, &http.Cookie{
		Name:     h.sessionCookieName(),
		Value:    session,
		Path:     "/",
		HttpOnly: true,
		Secure:   !h.cfg.InsecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// logout revokes the session token of the cookie, if it holds one, and
// clears the cookie, then shows the sign-in page, which says the user
// signed out. It needs no valid session: signing out of a revoked
// or expired one must work too. An API token in the cookie (from before
// the board had sessions) is not revoked: the user's pipelines may use
// it. If the revocation fails, the cookie is kept and the error shown:
// the user must not believe a session ended that still opens the board.
// Both names are cleared: a browser may still
// hold a token under the name this server does not read, from before an
// upgrade (the name had no prefix) or a change of --insecure-cookies,
// which signing out must not leave behind. A browser takes the clearing
// of the __Host- name only as Secure, which it drops over plain HTTP
// elsewhere than on localhost, where it could not have been set either.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(h.sessionCookieName()); err == nil && strings.HasPrefix(c.Value, andon.SessionTokenPrefix) {
		if err := h.cfg.Tokens.EndSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		name   string
		secure bool
	}{{sessionCookie, true}, {insecureSessionCookie, !h.cfg.InsecureCookies}} {
		http.SetCookie(w, &http.Cookie{
			Name:     c.name,
			Value:    "",
			Path:     "/",
			MaxAge:   -1,
			HttpOnly: true,
			Secure:   c.secure,
			SameSite: http.SameSiteLaxMode,
		})
	}
	http.Redirect(w, r, "/login?ended="+endedSignedOut, http.StatusSeeOther)
	return nil
}

// safeNext returns next when it is a path of this site, and "/" otherwise,
// so that the sign-in page cannot be made to redirect elsewhere. Browsers
// drop tabs and new lines from URLs and read a backslash as a slash, so a
// path that would start with two slashes after that is refused too. The
// path given back is checked as well: where next escapes a slash beside a
// character that must be escaped ("/%2F/evil.example|"), net/url escapes
// the path afresh, with the slash unescaped ("///evil.example%7C"), which
// a browser reads as the host evil.example.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil ||
		!strings.HasPrefix(next, "/") || strings.ContainsAny(next, "\\\t\r\n") || strings.HasPrefix(next, "//") {
		return "/"
	}
	if uri := u.RequestURI(); !strings.HasPrefix(uri, "//") {
		return uri
	}
	return "/"
}
