// Package server is andon's JSON API over HTTP: the handlers of every route
// listed in docs/api.md, the middleware that authenticates, logs, measures
// and recovers, and the OpenAPI description of it all.
//
// Handlers depend only on the service interfaces of package andon; the
// stores, the policy engine and the catalog loader are wired in by the
// caller through Config. Every route is declared once, in routes.go.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/andon-governance/andon"
	"github.com/prometheus/client_golang/prometheus"
)

// Config holds the dependencies of the HTTP API.
type Config struct {
	// Logger receives the request log and the details of internal errors.
	// Nil discards them.
	Logger *slog.Logger

	Changes  andon.ChangeService
	Gate     andon.GateService
	Audit    andon.AuditService
	Calendar andon.CalendarService
	Catalog  andon.CatalogSource
	Tokens   andon.TokenService
	// Identity verifies the bearer tokens that are JWTs of the OpenID
	// Connect issuers of andon serve --auth-config; nil refuses every
	// JWT.
	Identity andon.IdentityService
	// Admission answers the admission reviews served by NewAdmission.
	Admission andon.AdmissionService
	Drift     andon.DriftService
	Incidents andon.IncidentService
	// Access answers the requests for just-in-time access
	// (/api/v1/access-requests).
	Access  andon.AccessService
	Backups andon.BackupService
	// GitHub receives the GitHub App's webhook and lists its deployment
	// protection requests; nil answers their routes 404.
	GitHub andon.GitHubService
	// Reports answers the reports (GET /api/v1/reports/…).
	Reports andon.ReportService

	// UI serves every path the API does not (package web: the andon
	// board). Nil answers them with JSON errors, as the API does.
	UI http.Handler

	// Ready reports whether the server can serve: nil means ready. A nil
	// Ready means always ready.
	Ready func(ctx context.Context) error
	// Ping checks that the store answers; when it does not, its error is
	// an andon.Fault (sqlstore's ErrNoAnswer). A request that fails with
	// an internal error that names no fault pings it, and the client of
	// a store that does not answer is told so, with a 503, as the gate
	// tells it, rather than "Internal error.". Nil never pings.
	Ping func(ctx context.Context) error
	// Now is the clock used for query defaults and calendar exports. Nil
	// means time.Now.
	Now func() time.Time

	// Registry is where New registers its metrics and the Go and process
	// collectors, and what /metrics serves. Nil means a new registry.
	Registry *prometheus.Registry
	// ChangeCounts returns the number of changes per state, for the
	// andon_changes gauge. A collector calls it at scrape time so that the
	// gauge never drifts from the store. Nil leaves the gauge out.
	ChangeCounts func(ctx context.Context) (map[andon.State]int, error)
	// IncidentCounts returns the number of open incidents per severity,
	// for the andon_incidents_open gauge, at scrape time as ChangeCounts
	// (sqlstore's IncidentService.CountOpen). Nil leaves the gauge out.
	IncidentCounts func(ctx context.Context) (map[andon.Level]int, error)
	// AccessCounts returns the number of active grants of just-in-time
	// access by team, for the andon_access_grants_active gauge, at scrape
	// time (sqlstore's AccessService.CountActive). Nil leaves it out.
	AccessCounts func(ctx context.Context) (map[string]int, error)
	// Recovery returns the recovery posture of every environment of the
	// catalog in force (sqlstore's BackupService.RecoveryStatus of ""), for
	// the andon_backup_last_completed_timestamp_seconds,
	// andon_restore_test_last_* and andon_recovery_objective_seconds
	// gauges. A collector calls it at scrape time. Nil leaves them out.
	Recovery func(ctx context.Context) (*andon.RecoveryStatus, error)
	// ListTokens lists the tokens issued, for the
	// andon_token_expiry_timestamp_seconds gauge of those that expire. A
	// collector calls it at scrape time. Nil leaves the gauge out.
	ListTokens func(ctx context.Context) ([]andon.TokenInfo, error)
	// Loads reports what this replica has in force and whether its last
	// attempts to load a newer catalog and policy succeeded, for the
	// andon_catalog_* and andon_policy_* gauges. A collector calls it at
	// scrape time. Nil leaves the gauges out.
	Loads func() Loads
	// AuditFailures returns how many writes the store refused because
	// their audit entries could not be appended, by cause (sqlstore's
	// AuditFailures), for andon_audit_append_failures_total. A collector
	// calls it at scrape time. Nil leaves the counter out.
	AuditFailures func() map[string]uint64
	// CheckpointCopyFailures returns how many times the store could not
	// write the checkpoint it signed last beside its SQLite database
	// (sqlstore's CheckpointCopyFailures), for
	// andon_audit_checkpoint_copy_failures_total. A collector calls it at
	// scrape time. Nil leaves the counter out.
	CheckpointCopyFailures func() uint64
}

// Loads is what a replica has in force: the revisions of its catalog and
// policy, and whether the last read of the catalog source (on the replica
// that leads, which reads it) and the last reload of the policy were
// refused, leaving the version in force as it was.
type Loads struct {
	Catalog, Policy string
	CatalogRefused  bool
	PolicyRefused   bool
}

// errorWriter returns what writes the API's errors.
func (c Config) errorWriter() errorWriter {
	return errorWriter{logger: c.Logger, ping: c.Ping}
}

// withDefaults fills in the optional fields so that handlers need not check
// them.
func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Ready == nil {
		c.Ready = func(context.Context) error { return nil }
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	return c
}

// New returns the handler of the whole API: every route of routes.go behind
// the authentication, logging, metrics and panic-recovery middleware.
func New(cfg Config) http.Handler {
	cfg = cfg.withDefaults()
	m := newMetrics(cfg)
	mux := http.NewServeMux()
	for _, rt := range routes(cfg, m) {
		h := rt.handler
		if rt.access != public {
			if !rt.openToReadOnly() {
				h = refuseReadOnly(cfg.errorWriter(), h)
			}
			h = authenticate(cfg.errorWriter(), cfg.Tokens, cfg.Identity, cfg.Catalog, cfg.Now, rt.access == feed, h)
		}
		_, route, _ := strings.Cut(rt.pattern, " ")
		mux.Handle(rt.pattern, labelled(route, h))
	}
	unrouted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { notRouted(w, r, mux, apiServes) })
	mux.Handle(apiCatchAll, unrouted)
	if cfg.UI != nil {
		// The pages have routes of their own; one label keeps the
		// metrics bounded whatever paths are asked for. A path of the
		// server's own (/healthz, /metrics) asked with another method is
		// answered 405 here, not taken for a page.
		ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if len(allowedMethods(r, mux)) > 0 {
				notRouted(w, r, mux, apiServes)
				return
			}
			cfg.UI.ServeHTTP(w, r)
		})
		mux.Handle(catchAll, labelled(uiRoute, ui))
	} else {
		mux.Handle(catchAll, unrouted)
	}
	return instrument(cfg.Logger, m, mux)
}

// Timeouts of the server returned by NewHTTPServer. Reads are bounded so
// that slow clients cannot hold connections open; the write timeout leaves
// room for a gate decision that waits on the store and the policy.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
)

// NewHTTPServer returns an http.Server for h listening on addr, with
// timeouts and a header size limit set, as a server facing a network needs.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}
