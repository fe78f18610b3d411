package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/andon-governance/andon"
	"golang.org/x/oauth2"
)

// signInCookie carries, from the start of a sign-in through an identity
// provider to its callback, what binds that callback to this browser:
// the provider, the state and nonce sent to it, the PKCE verifier and the
// page to go back to. It is HttpOnly and Secure as the session cookie is
// (with the __Host- prefix then), and SameSite=Lax, not Strict: the
// callback is a top-level GET from the provider's site, which a Strict
// cookie would not come with. It lasts signInTimeout.
const (
	signInCookie         = "__Host-andon_signin"
	insecureSignInCookie = "andon_signin"
	signInTimeout        = 10 * time.Minute
)

// signIn is the content of the sign-in cookie.
type signIn struct {
	Provider string `json:"p"`
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next"`
}

// The fixed sentences of the sign-in page for a sign-in through an
// identity provider that failed. Nothing the provider or the address
// says is shown: the log has the details.
const (
	signInLost     = "The sign-in with your identity provider could not be completed: it was started in another browser or tab, or took longer than 10 minutes. Sign in again."
	signInDenied   = "Your identity provider did not sign you in: you cancelled, or it refused. Sign in again, or with your API token."
	signInRefused  = "Your identity provider's answer could not be verified, so you are not signed in. Sign in again; if it fails again, tell your platform team (the server's log says why)."
	signInNotFound = "There is no such identity provider to sign in with."
	signInDown     = "Your identity provider cannot be reached from andon just now. Try again in a few minutes, or sign in with your API token."
)

// providerDown answers a sign-in whose provider could not be reached
// (an andon.Fault of the IdentityService): the sign-in page, with a 503
// and a fixed sentence, the details in the log.
func (h *Handler) providerDown(w http.ResponseWriter, r *http.Request, next string, err error) error {
	h.cfg.Logger.WarnContext(r.Context(), "sign-in failed",
		slog.String("reason", err.Error()),
		slog.String("remote", r.RemoteAddr),
		slog.String("request_id", w.Header().Get("X-Request-Id")))
	return h.render(w, r, http.StatusServiceUnavailable, "login", h.loginView(next, signInDown))
}

// signInCookieName is the name of the sign-in cookie as this server
// sends it.
func (h *Handler) signInCookieName() string {
	if h.cfg.InsecureCookies {
		return insecureSignInCookie
	}
	return signInCookie
}

// setSignInCookie sets the sign-in cookie to value for maxAge seconds, or
// clears it with a negative maxAge.
func (h *Handler) setSignInCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     h.signInCookieName(),
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   !h.cfg.InsecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}

// providers returns the identity providers the sign-in page offers.
func (h *Handler) providers() []andon.IdentityProvider {
	if h.cfg.Identity == nil {
		return nil
	}
	return h.cfg.Identity.Providers()
}

// signInStart sends the browser to the sign-in page of the provider of
// the path: the authorization code flow with PKCE, its state, nonce and
// verifier kept in the sign-in cookie.
func (h *Handler) signInStart(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("provider")
	next := safeNext(r.URL.Query().Get("next"))
	if !slices.ContainsFunc(h.providers(), func(p andon.IdentityProvider) bool { return p.ID == id }) {
		return h.render(w, r, http.StatusNotFound, "login", h.loginView(next, signInNotFound))
	}
	s := signIn{Provider: id, State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(), Next: next}
	to, err := h.cfg.Identity.SignInURL(r.Context(), id, s.State, s.Nonce, s.Verifier)
	if fault := (*andon.Fault)(nil); errors.As(err, &fault) {
		return h.providerDown(w, r, next, err)
	} else if err != nil {
		return err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	h.setSignInCookie(w, base64.RawURLEncoding.EncodeToString(b), int(signInTimeout/time.Second))
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// signInCallback ends a sign-in through an identity provider: the state
// of the address must be the cookie's, the code is exchanged with the
// cookie's verifier for an ID token, which must carry the cookie's nonce,
// and its user must be listed by a Team of the catalog. A session then
// opens as the sign-in with an API token opens one.
func (h *Handler) signInCallback(w http.ResponseWriter, r *http.Request) error {
	if h.cfg.Identity == nil {
		return h.render(w, r, http.StatusNotFound, "login", h.loginView("/", signInNotFound))
	}
	q := r.URL.Query()
	var s signIn
	c, err := r.Cookie(h.signInCookieName())
	if err == nil {
		b, derr := base64.RawURLEncoding.DecodeString(c.Value)
		if derr != nil || json.Unmarshal(b, &s) != nil {
			s = signIn{}
		}
	}
	// The cookie serves one callback, whatever comes of it.
	h.setSignInCookie(w, "", -1)
	next := safeNext(s.Next)
	refuse := func(status int, reason, message string) error {
		h.cfg.Logger.WarnContext(r.Context(), "sign-in refused",
			slog.String("reason", reason),
			slog.String("provider", s.Provider),
			slog.String("remote", r.RemoteAddr),
			slog.String("request_id", w.Header().Get("X-Request-Id")))
		return h.render(w, r, status, "login", h.loginView(next, message))
	}
	if s.State == "" || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(s.State)) != 1 {
		return refuse(http.StatusBadRequest, "the state of the callback is not the sign-in cookie's, or there is no cookie", signInLost)
	}
	if e := q.Get("error"); e != "" {
		// The provider's own words are logged, never shown: they come
		// from the address, which anyone can write, so a few of them.
		e = e[:min(len(e), 64)]
		return refuse(http.StatusUnauthorized, "the identity provider answered "+e, signInDenied)
	}
	b, err := h.cfg.Identity.Exchange(r.Context(), s.Provider, q.Get("code"), s.Verifier, s.Nonce)
	switch fault := (*andon.Fault)(nil); {
	case andon.ErrorCode(err) == andon.EUNAUTHORIZED:
		return refuse(http.StatusUnauthorized, andon.ErrorMessage(err), signInRefused)
	case errors.As(err, &fault):
		return h.providerDown(w, r, next, err)
	case err != nil:
		return err
	}
	cat, err := h.catalog()
	if err != nil {
		return err
	}
	if wallScreen(cat, b.User) {
		return refuse(http.StatusForbidden, b.User+" is listed by no Team",
			"You are signed in at your identity provider as "+b.User+", whom no Team of the catalog lists: ask your platform team to add you to your Team, then sign in again.")
	}
	return h.openSession(w, r, b, h.cfg.SessionLifetime, next)
}
