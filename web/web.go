// Package web is the andon board: the server-rendered pages for the people
// who approve, plan and audit changes. It is served by andon serve beside
// the JSON API and uses the same services; its only state is the sessions,
// kept in the store as tokens, so any replica serves any page.
//
// Pages are html/template files and a stylesheet embedded in the binary,
// with htmx (vendored from the npm registry, embedded) for the board's
// refresh and a few conveniences. Every page works without JavaScript.
// Sign-in takes an API token and opens a session with it: a session token
// of the store, which opens the board only and ends at sign-out, after
// Config.SessionLifetime or with the API token, kept in a Secure,
// HttpOnly, SameSite cookie; every form carries a CSRF token derived from
// it, and cross-origin requests are refused before any handler runs.
package web

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/andon-governance/andon"
)

// Config holds the dependencies of the pages.
type Config struct {
	// Logger receives the details of internal errors, of the sign-ins
	// refused and of the forms refused for where they came from. Nil
	// discards them.
	Logger *slog.Logger

	Changes  andon.ChangeService
	Audit    andon.AuditService
	Calendar andon.CalendarService
	Catalog  andon.CatalogSource
	Tokens   andon.TokenService
	// Identity signs people in through the identity providers of andon
	// serve --auth-config that have a board, which the sign-in page
	// offers beside the API token's form. Nil offers none.
	Identity andon.IdentityService
	// Incidents lists the open incidents the board shows, once per
	// board. Nil shows none.
	Incidents andon.IncidentService
	// IncidentCounts returns the number of open incidents per severity
	// (sqlstore's IncidentService.CountOpen), for the board to say how
	// many are open beyond those it shows. Nil says only that there are
	// more.
	IncidentCounts func(ctx context.Context) (map[andon.Level]int, error)
	// Backups reads the recovery posture of every environment, once per
	// board (RecoveryStatus of "", one statement in sqlstore), for the
	// recovery note of the production tiles. Nil shows none.
	Backups andon.BackupService
	// Access keeps the requests for just-in-time access that the page
	// /access lists and decides. Nil serves no such page.
	Access andon.AccessService
	// Reports computes the report of the reports page.
	Reports andon.ReportService
	// Counts returns the number of changes per environment and state, for
	// the board, in one query (sqlstore's DB.CountByEnvironment).
	Counts func(ctx context.Context) (map[string]map[andon.State]int, error)
	// EvidenceParts returns the index of the last entry of each export
	// that the entries matching a filter come in (sqlstore's
	// AuditService.EvidenceParts), for a change's page to offer each part
	// of a history longer than one export holds. Nil offers the first.
	EvidenceParts func(ctx context.Context, f andon.AuditFilter) ([]int64, error)
	// Ping checks that the store answers, as server.Config's: a page that
	// fails with an internal error says that the database does not
	// answer when it does not. Nil never pings.
	Ping func(ctx context.Context) error

	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// InsecureCookies leaves the Secure attribute, and with it the
	// __Host- prefix of its name, off the session cookie, for a server
	// reached over plain HTTP by another name than localhost (browsers
	// keep Secure cookies of http://localhost).
	InsecureCookies bool
	// SessionLifetime is how long a session of the board lasts, unless
	// the API token signed in with expires sooner. 0 means
	// andon.DefaultSessionLifetime.
	SessionLifetime time.Duration
}

// Handler serves the pages. It implements http.Handler.
type Handler struct {
	cfg   Config
	mux   *http.ServeMux
	pages pages

	// lastVerify is the result of the last verification run from the
	// audit page, on this replica.
	mu         sync.Mutex
	lastVerify *verifyResult
	// lastFailed is the last verification that failed, kept in view
	// on the audit page once others succeed.
	lastFailed *verifyResult
}

// New returns the handler of every page of routes.go.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionLifetime == 0 {
		cfg.SessionLifetime = andon.DefaultSessionLifetime
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), pages: mustParsePages()}
	for _, rt := range h.routes() {
		handler := rt.handler
		if rt.access != anyone {
			if !openToReadOnly(rt.pattern, rt.access) {
				handler = h.refuseReadOnly(handler)
			}
			handler = h.requireSession(handler)
		}
		h.mux.Handle(rt.pattern, handler)
	}
	return h
}

// ServeHTTP serves a page. Requests from another origin that would change
// something are refused first (net/http's CrossOriginProtection, from the
// Sec-Fetch-Site and Origin headers), so that no form can be posted from
// another site even before the CSRF token is checked.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Pages carry user data and forms: never cached by shared caches, and
	// never framed (clickjacking). Set first, so that refusals carry them.
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !strings.HasPrefix(r.URL.Path, "/assets/") {
		w.Header().Set("Cache-Control", "no-store")
	}
	if err := crossOrigin.Check(r); err != nil {
		h.refuseForm(w, r, "cross-origin request: "+err.Error(), "")
		h.renderError(w, r, errFormRefused)
		return
	}
	// Forms are read once, here, with their size bounded, so that the
	// CSRF check and the handlers read the same values.
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.renderError(w, r, andon.Errorf(andon.EINVALID, "the form could not be read: %v", err))
		return
	}
	// A handler reads a field's first value: one given twice (verdict
	// approve, then reject) would say one thing to a proxy or a reader
	// of the request and another to andon, as the API refuses too.
	for _, name := range slices.Sorted(maps.Keys(r.PostForm)) {
		if len(r.PostForm[name]) > 1 && !listFields[name] {
			h.renderError(w, r, andon.Errorf(andon.EINVALID, "form field %q given %d times", name, len(r.PostForm[name])))
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

// listFields are the form fields that hold lists, selects of several: the
// processes of a new change, and the plants, processes and environments
// an incident stops.
var listFields = map[string]bool{"processes": true, "plants": true, "environments": true}

// maxFormBytes bounds the body of every form.
const maxFormBytes = 1 << 20

// crossOrigin refuses unsafe requests from other origins.
var crossOrigin = http.NewCrossOriginProtection()

// contentSecurityPolicy allows only the page's own scripts and styles.
// By default htmx would inject a style element and evaluate code (hx-on,
// js: values, trigger filters); the htmx-config meta tag of layout.html
// turns both off, and htmx reads it before it would inject the style.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
