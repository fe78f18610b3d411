package server

import (
	"net/http"
	"strings"
)

// access says what credentials a route takes.
type access int

const (
	// authenticated routes need an API token in the Authorization
	// header.
	authenticated access = iota
	// public routes need none.
	public
	// feed routes take an API token in the header, or a feed token in the
	// query parameter token: calendar clients subscribe to a URL and
	// cannot send headers.
	feed
)

// route is one entry of the route table: a ServeMux pattern, the
// credentials it takes, and its handler.
//
// What a read-only token (andon.Bearer.ReadOnly) may do follows from the
// pattern's method: a GET (and so a HEAD) reads, and every other method
// is refused to it (refuseReadOnly), unless the handler is marked
// openToReadOnly. A route added later is therefore refused to read-only
// tokens until someone decides otherwise.
type route struct {
	pattern string
	access  access
	handler http.Handler
}

// routes is the one list of everything the API serves. It is data rather
// than a sequence of mux.Handle calls so that a test can check it against
// the OpenAPI document, and so that authentication is decided in one place.
func routes(cfg Config, m *metrics) []route {
	api := cfg.errorWriter().withErrors
	return []route{
		{"GET /healthz", public, takesNoQuery(cfg.errorWriter(), handleHealthz())},
		{"GET /readyz", public, takesNoQuery(cfg.errorWriter(), handleReadyz(cfg.Logger, cfg.Ready))},
		{"GET /metrics", public, takesNoQuery(cfg.errorWriter(), handleMetrics(cfg.Registry, cfg.Logger))},
		{"GET /api/v1/openapi.json", public, takesNoQuery(cfg.errorWriter(), handleOpenAPI())},

		{"GET /api/v1/me", authenticated, api(handleMe())},
		// A read-only token may ask for a feed token: it opens less than
		// the token it is asked with, and is revoked with it.
		{"POST /api/v1/me/feed-token", authenticated, openToReadOnly{api(handleFeedToken(cfg.Tokens, cfg.Catalog))}},
		// A read-only token may rotate itself: the new one is read-only
		// too, and lives no longer than it was made to.
		{"POST /api/v1/me/token/rotate", authenticated, openToReadOnly{api(handleTokenRotate(cfg.Tokens))}},

		{"GET /api/v1/catalog", authenticated, api(handleCatalog(cfg.Catalog))},
		{"GET /api/v1/catalog/{kind}", authenticated, api(handleCatalogKind(cfg.Catalog))},
		{"GET /api/v1/catalog/{kind}/{name}", authenticated, api(handleCatalogItem(cfg.Catalog))},

		{"POST /api/v1/changes", authenticated, api(handleChangeCreate(cfg.Changes))},
		{"GET /api/v1/changes", authenticated, api(handleChangeList(cfg.Changes))},
		{"GET /api/v1/changes/{id}", authenticated, api(handleChangeGet(cfg.Changes))},
		{"POST /api/v1/changes/{id}/approvals", authenticated, api(handleChangeDecide(cfg.Changes))},
		{"POST /api/v1/changes/{id}/transitions", authenticated, api(handleChangeTransition(cfg.Changes))},
		{"GET /api/v1/changes/{id}/start-check", authenticated, api(handleChangeStartCheck(cfg.Changes))},
		{"POST /api/v1/changes/{id}/review", authenticated, api(handleChangeReview(cfg.Changes))},
		{"GET /api/v1/findings", authenticated, api(handleFindings(cfg.Changes))},

		{"POST /api/v1/incidents", authenticated, api(handleIncidentOpen(cfg.Incidents))},
		{"GET /api/v1/incidents", authenticated, api(handleIncidentList(cfg.Incidents))},
		{"GET /api/v1/incidents/{id}", authenticated, api(handleIncidentGet(cfg.Incidents))},
		{"POST /api/v1/incidents/{id}/resolve", authenticated, api(handleIncidentResolve(cfg.Incidents))},
		{"POST /api/v1/incidents/alertmanager", authenticated, api(handleAlertmanager(cfg.Incidents))},

		{"POST /api/v1/access-requests", authenticated, api(handleAccessRequest(cfg.Access))},
		{"GET /api/v1/access-requests", authenticated, api(handleAccessList(cfg.Access))},
		{"GET /api/v1/access-requests/{id}", authenticated, api(handleAccessGet(cfg.Access))},
		{"POST /api/v1/access-requests/{id}/approve", authenticated, api(approveAccess(cfg.Access))},
		{"POST /api/v1/access-requests/{id}/reject", authenticated, api(rejectAccess(cfg.Access))},
		{"POST /api/v1/access-requests/{id}/cancel", authenticated, api(cancelAccess(cfg.Access))},
		{"POST /api/v1/access-requests/{id}/revoke", authenticated, api(revokeAccess(cfg.Access))},

		{"POST /api/v1/backups", authenticated, api(handleBackupRecord(cfg.Backups))},
		{"GET /api/v1/backups", authenticated, api(handleBackupList(cfg.Backups))},
		{"GET /api/v1/backups/status", authenticated, api(handleRecoveryStatus(cfg.Backups))},
		{"POST /api/v1/restore-tests", authenticated, api(handleRestoreTestRecord(cfg.Backups))},
		{"GET /api/v1/restore-tests", authenticated, api(handleRestoreTestList(cfg.Backups))},

		// The gate renders its own errors: it always answers with a
		// GateResult, never with a bare error body.
		{"POST /api/v1/gate", authenticated, handleGate(cfg.Logger, cfg.Gate, m)},

		// GitHub's deliveries carry no token: the signature of their body
		// with the App's webhook secret authenticates them.
		{"POST /api/v1/integrations/github/webhook", public, api(handleGitHubWebhook(cfg.GitHub))},
		{"GET /api/v1/integrations/github/deployments", authenticated, api(handleGitHubDeployments(cfg.GitHub))},

		{"POST /api/v1/drift", authenticated, api(handleDrift(cfg.Drift, m))},

		{"GET /api/v1/calendar", authenticated, api(handleCalendar(cfg.Calendar, cfg.Now))},
		{"GET /api/v1/calendar/next", authenticated, api(handleCalendarNext(cfg.Calendar, cfg.Now))},
		{"GET /api/v1/calendar/active", authenticated, api(handleCalendarActive(cfg.Calendar, cfg.Now))},
		{"GET " + feedPath, feed, api(handleCalendarICS(cfg.Calendar, cfg.Now))},

		{"GET /api/v1/audit/checkpoint", authenticated, api(handleAuditCheckpoint(cfg.Audit))},
		{"GET /api/v1/audit/entries", authenticated, api(handleAuditEntries(cfg.Audit))},
		{"GET /api/v1/audit/proof", authenticated, api(handleAuditProof(cfg.Audit))},
		{"GET /api/v1/audit/evidence", authenticated, api(handleAuditEvidence(cfg.Audit))},

		{"GET /api/v1/reports/dora", authenticated, api(handleReportDORA(cfg.Reports, cfg.Now))},
		{"GET /api/v1/reports/review", authenticated, api(handleReportReview(cfg.Reports))},
	}
}

// takesNoQuery refuses a request with any query parameter before h, as
// the API's routes that take none refuse one, so that a probe or a scrape
// misconfigured with parameters is told so rather than answered as if
// they meant something.
func takesNoQuery(ew errorWriter, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := parseQuery(r); err != nil {
			ew.write(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// openToReadOnly marks the handler of a route whose method is not GET but
// that read-only tokens may call too: it writes nothing of the product's
// state, and nothing that gives its caller more than reading.
type openToReadOnly struct{ http.Handler }

// Reads reports whether the method of a ServeMux pattern only reads: GET,
// which ServeMux also routes HEAD to, or HEAD. What a read-only token may
// do follows from it, on the API and on the board.
func Reads(pattern string) bool {
	method, _, _ := strings.Cut(pattern, " ")
	return method == http.MethodGet || method == http.MethodHead
}

// openToReadOnly reports whether read-only tokens may call the route rt.
func (rt route) openToReadOnly() bool {
	_, open := rt.handler.(openToReadOnly)
	return Reads(rt.pattern) || open
}
