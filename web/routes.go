package web

import (
	"net/http"
	"path"
	"strings"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/server"
)

// access says whether a page needs a signed-in user, and what a user
// signed in with a read-only token (andon.User.ReadOnly) may do there.
type access int

const (
	// signedIn pages need a session. A read-only session may get them
	// and post to none: every form of the board but those below acts,
	// and so a form added later is refused to it too (refuseReadOnly).
	signedIn access = iota
	anyone
	// readsByPost pages take a form that writes nothing of the product's
	// state, which a read-only session may post too: a verification of
	// the audit log, and the calendar's subscription link, whose feed
	// token opens less than the token signed in with and is revoked
	// with it.
	readsByPost
	// acting pages exist only to act (a new change, the confirmation of
	// its end): a read-only session may not even get them.
	acting
)

// route is one entry of the route table.
type route struct {
	pattern string
	access  access
	handler http.Handler
}

// pageFunc is a handler that returns its error, rendered as an error page
// by withErrors.
type pageFunc func(w http.ResponseWriter, r *http.Request) error

// routes is the one list of every page. Forms post to the page they belong
// to; every POST but the sign-in carries the CSRF token (requireSession
// checks it).
func (h *Handler) routes() []route {
	page := func(f pageFunc) http.Handler { return h.withErrors(f) }
	return []route{
		{"GET /assets/{file}", anyone, handleAsset()},
		{"GET /login", anyone, page(h.loginPage)},
		{"POST /login", anyone, page(h.login)},
		{"POST /logout", anyone, page(h.logout)},
		{"GET /login/oidc/callback", anyone, page(h.signInCallback)},
		{"GET /login/oidc/{provider}", anyone, page(h.signInStart)},

		{"GET /{$}", signedIn, page(h.board)},
		{"GET /changes", signedIn, page(h.changeList)},
		{"GET /changes/new", acting, page(h.changeNew)},
		{"POST /changes/new", acting, page(h.changeNew)}, // the "next safe window" button
		{"POST /changes", signedIn, page(h.changeCreate)},
		{"GET /changes/{id}", signedIn, page(h.changeDetail)},
		{"POST /changes/{id}/decision", signedIn, page(h.changeDecide)},
		{"POST /changes/{id}/transition", signedIn, page(h.changeTransition)},
		{"GET /changes/{id}/confirm", acting, page(h.changeConfirm)},
		{"POST /changes/{id}/review", signedIn, page(h.changeReview)},
		{"POST /changes/{id}/verify", readsByPost, page(h.changeVerify)},
		{"GET /changes/{id}/evidence", signedIn, page(h.changeEvidence)},
		{"GET /approvals", signedIn, page(h.approvals)},
		{"GET /calendar", signedIn, page(h.calendar)},
		{"GET /calendar.ics", signedIn, page(h.calendarFile)},
		{"POST /calendar/subscription", readsByPost, page(h.calendarSubscribe)},
		{"GET /audit", signedIn, page(h.auditPage)},
		{"POST /audit/verify", readsByPost, page(h.auditVerify)},
		{"GET /audit/entries/{index}", signedIn, page(h.auditEntry)},
		{"GET /audit/evidence", signedIn, page(h.auditEvidence)},
		{"GET /catalog", signedIn, page(h.catalogPage)},
		{"GET /reports", signedIn, page(h.reports)},
		{"GET /reports/review", signedIn, page(h.review)},
		{"GET /reports/review.md", signedIn, page(h.reviewMarkdown)},
		{"GET /access", signedIn, page(h.accessPage)},
		{"POST /access/{id}/approve", signedIn, page(h.accessApprove)},
		{"POST /access/{id}/reject", signedIn, page(h.accessReject)},
		{"GET /incidents", signedIn, page(h.incidents)},
		{"POST /incidents", signedIn, page(h.incidentOpen)},
		{"GET /incidents/{id}", signedIn, page(h.incidentDetail)},
		{"POST /incidents/{id}/resolve", signedIn, page(h.incidentResolve)},
		{"POST /incidents/{id}/reopen", signedIn, page(h.incidentReopen)},

		// Every other path: no page, said as every page says it.
		{"/", anyone, h.withSessionIfAny(page(h.notFound))},
	}
}

// openToReadOnly reports whether a session opened with a read-only token
// may use the route of pattern and access: get a page that does not only
// act, and post a form that only reads.
func openToReadOnly(pattern string, a access) bool {
	switch a {
	case acting:
		return false
	case readsByPost:
		return true
	}
	return server.Reads(pattern)
}

// refuseReadOnly refuses the request of a session opened with a
// read-only token with a 403 page, before next runs, so that nothing is
// written. It wraps every route that openToReadOnly closes to it.
func (h *Handler) refuseReadOnly(next http.Handler) http.Handler {
	return h.withErrors(func(w http.ResponseWriter, r *http.Request) error {
		if u := andon.UserFromContext(r.Context()); u != nil && u.ReadOnly {
			return readOnlyRefusal(u)
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

// errReadOnly is what the board says to a user signed in with a
// read-only token who asks it to act.
var errReadOnly = andon.Errorf(andon.EFORBIDDEN,
	"you signed in with a read-only token: you may look at everything on the board, but not change anything. Sign in with a token made without --read-only to act")

// errReadOnlyIssuer is what the board says to a user signed in through
// an identity provider whose users are read-only (andon serve
// --auth-config) who asks it to act.
var errReadOnlyIssuer = andon.Errorf(andon.EFORBIDDEN,
	"you signed in through an identity provider whose users are read-only: you may look at everything on the board, but not change anything. Sign in with an API token to act")

// readOnlyRefusal is the refusal of what u, a read-only user, asks the
// board to do.
func readOnlyRefusal(u *andon.User) error {
	if u.Issuer != "" {
		return errReadOnlyIssuer
	}
	return errReadOnly
}

// withSessionIfAny serves a request that carries the session cookie as a
// signed-in page (requireSession), and one without as anyone's: a path
// that is no page is not found for anyone, and shown with the menu to a
// user who is signed in.
func (h *Handler) withSessionIfAny(next http.Handler) http.Handler {
	signed := h.requireSession(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie(h.sessionCookieName()); err == nil {
			signed.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// notFound answers a path that is no page of the board with the error
// page, where the bare text of net/http said "404 page not found". The
// address a form posts to, got rather than posted (the page shown there
// after a refusal, bookmarked, or restored by a phone's browser), leads to
// the page the form belongs to: forms post to their page's path and an
// action.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		post := r.Clone(r.Context())
		post.Method = http.MethodPost
		if _, pattern := h.mux.Handler(post); strings.HasPrefix(pattern, "POST ") {
			http.Redirect(w, r, path.Dir(r.URL.Path), http.StatusSeeOther)
			return nil
		}
	}
	return andon.Errorf(andon.ENOTFOUND, "no page at %s: the pages of the board are in its menu", r.URL.Path)
}
