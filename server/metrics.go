package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/andon-governance/andon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Results of gate decisions, the values of the result label of
// andon_gate_decisions_total.
const (
	gateAllow = "allow"
	gateDeny  = "deny"
	// gateClientError: the gate refused the request with a 4xx and no
	// decision, for the client to mend (an unknown environment, an image
	// not pinned by digest, a malformed body) or retry (a conflict).
	gateClientError = "client_error"
	// gateError: the gate could not decide for reasons of its own (its
	// store, its policy, an internal error) and failed closed with a 5xx.
	gateError = "error"
)

// metrics holds the collectors the handlers update.
type metrics struct {
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	gate      *prometheus.CounterVec
	// driftObjects and driftChecked hold the last drift report this
	// process recorded for each environment.
	driftObjects *prometheus.GaugeVec
	driftChecked *prometheus.GaugeVec
}

// newMetrics creates andon's collectors and registers them, the Go and
// process collectors and, when cfg has the functions they need, the
// andon_changes, andon_incidents_open, recovery and
// andon_token_*_timestamp_seconds gauges in cfg.Registry. Collectors already registered by an earlier
// call are reused, so that several handlers may share one registry.
func newMetrics(cfg Config) *metrics {
	reg := cfg.Registry
	m := &metrics{
		requests: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "andon_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "code"})),
		durations: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "andon_http_request_duration_seconds",
			Help:    "Time taken to answer HTTP requests, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"})),
		gate: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "andon_gate_decisions_total",
			Help: "Gate answers: allow, deny, client_error when the request was refused with a 4xx (the client's to mend), or error when the gate could not decide for reasons of its own and failed closed with a 5xx.",
		}, []string{"result"})),
		driftObjects: register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "andon_drift_objects",
			Help: "Objects that differed from the desired manifests at the last drift check this replica recorded, by environment and kind of drift (added, missing, changed).",
		}, []string{"environment", "kind"})),
		driftChecked: register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "andon_drift_last_check_timestamp_seconds",
			Help: "Unix time of the last drift check this replica recorded, by environment.",
		}, []string{"environment"})),
	}
	// Every result is exported from the start, so that a rate over a
	// result that has not happened yet is zero rather than absent.
	for _, result := range []string{gateAllow, gateDeny, gateClientError, gateError} {
		m.gate.WithLabelValues(result)
	}
	register(reg, collectors.NewGoCollector())
	register(reg, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if cfg.ChangeCounts != nil {
		register(reg, changesByState(cfg.ChangeCounts, cfg.Logger))
	}
	if cfg.IncidentCounts != nil {
		register(reg, incidentsBySeverity(cfg.IncidentCounts, cfg.Logger))
	}
	if cfg.AccessCounts != nil {
		register(reg, grantsByTeam(cfg.AccessCounts, cfg.Catalog, cfg.Logger))
	}
	if cfg.Recovery != nil {
		register(reg, recoveryTimes(cfg.Recovery, cfg.Logger))
	}
	if cfg.ListTokens != nil {
		register(reg, tokenTimes(cfg.ListTokens, cfg.Logger))
	}
	if cfg.Loads != nil {
		register(reg, loadsCollector(cfg.Loads))
	}
	if cfg.AuditFailures != nil {
		register(reg, auditFailuresCollector(cfg.AuditFailures))
	}
	if cfg.CheckpointCopyFailures != nil {
		// Not a cause of andon_audit_append_failures_total: the write
		// whose copy failed was kept, and refused nothing.
		copyFailures := cfg.CheckpointCopyFailures
		register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "andon_audit_checkpoint_copy_failures_total",
			Help: "Commits (one write, or a batch of writes under load) after which this replica could not keep a copy of the checkpoint it signed last beside its SQLite database (andon.db-checkpoint): the writes were kept, but a loss of the audit log's last entries (a write-ahead log deleted) is not found at the next start or by andon audit verify until a copy is written again. Always 0 on PostgreSQL, where no copy is kept.",
		}, func() float64 { return float64(copyFailures()) }))
	}
	return m
}

// auditFailuresCollector exports the store's count of the writes refused
// because their audit entries could not be appended: each such write
// failed whole, and only the log said why.
type auditFailuresCollector func() map[string]uint64

var auditFailures = prometheus.NewDesc("andon_audit_append_failures_total",
	"Writes this replica refused because their audit entries could not be appended, by cause: write (the entries or the checkpoint signed over them could not be made or stored), key (the stored checkpoint was signed with another key than this replica's).", []string{"cause"}, nil)

// Describe implements prometheus.Collector.
func (c auditFailuresCollector) Describe(ch chan<- *prometheus.Desc) { ch <- auditFailures }

// Collect implements prometheus.Collector. The causes are the store's,
// a fixed set that it reports whole, zero included.
func (c auditFailuresCollector) Collect(ch chan<- prometheus.Metric) {
	for cause, n := range c() {
		ch <- prometheus.MustNewConstMetric(auditFailures, prometheus.CounterValue, float64(n), cause)
	}
}

// loadsCollector exports what the replica has in force and whether its
// last loads succeeded: a catalog refused in git leaves the windows, teams
// and environments of the version before in force, which only the log
// said.
type loadsCollector func() Loads

var (
	catalogInfo = prometheus.NewDesc("andon_catalog_info",
		"The catalog version this replica has in force, by revision (always 1).", []string{"revision"}, nil)
	policyInfo = prometheus.NewDesc("andon_policy_info",
		"The policy this replica has in force, by revision (always 1).", []string{"revision"}, nil)
	catalogRead = prometheus.NewDesc("andon_catalog_last_read_successful",
		"0 when this replica's last read of the catalog source was refused (the source unreadable, or the version invalid) and the catalog in force stays; 1 otherwise. Only the leading replica reads the source; the others report 1.", nil, nil)
	policyReload = prometheus.NewDesc("andon_policy_last_reload_successful",
		"0 when this replica's last policy reload failed and the policy in force stays; 1 otherwise.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c loadsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{catalogInfo, policyInfo, catalogRead, policyReload} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c loadsCollector) Collect(ch chan<- prometheus.Metric) {
	l := c()
	ch <- prometheus.MustNewConstMetric(catalogInfo, prometheus.GaugeValue, 1, l.Catalog)
	ch <- prometheus.MustNewConstMetric(policyInfo, prometheus.GaugeValue, 1, l.Policy)
	ch <- prometheus.MustNewConstMetric(catalogRead, prometheus.GaugeValue, success(!l.CatalogRefused))
	ch <- prometheus.MustNewConstMetric(policyReload, prometheus.GaugeValue, success(!l.PolicyRefused))
}

// success is 1 for true and 0 for false, as a gauge of success reads.
func success(ok bool) float64 {
	if ok {
		return 1
	}
	return 0
}

// register registers c in reg and returns it, or returns the equal
// collector already registered. Any other failure is a programming error,
// such as two metrics of one name with different labels, and panics as
// prometheus.MustRegister does.
func register[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing
		}
		return c
	}
	panic(fmt.Sprintf("server: register metrics: %v", err))
}

// knownMethods bounds the method label: any other method is "other".
var knownMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace}

// observeRequest records one answered request.
func (m *metrics) observeRequest(method, route string, status int, elapsed time.Duration) {
	if !slices.Contains(knownMethods, method) {
		method = "other"
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.durations.WithLabelValues(route).Observe(elapsed.Seconds())
}

// observeGate records one gate answer.
func (m *metrics) observeGate(result string) { m.gate.WithLabelValues(result).Inc() }

// observeDrift records the counts of a drift report on env, checked at
// at. The environment label is bounded by the catalog: the store records
// reports on its environments only.
func (m *metrics) observeDrift(env string, c andon.DriftCounts, at time.Time) {
	m.driftObjects.WithLabelValues(env, andon.DriftAdded).Set(float64(c.Added))
	m.driftObjects.WithLabelValues(env, andon.DriftMissing).Set(float64(c.Missing))
	m.driftObjects.WithLabelValues(env, andon.DriftChanged).Set(float64(c.Changed))
	m.driftChecked.WithLabelValues(env).Set(float64(at.UnixNano()) / 1e9)
}

// scrapeTimeout bounds the store query of one scrape of a storeCollector.
const scrapeTimeout = 10 * time.Second

// storeCollector exports what the store says at scrape time: a gauge
// updated by the handlers would drift whenever another replica or an
// admin command changed the store. When the store cannot answer, the
// scrape reports the error for these metrics and the others still go out.
type storeCollector struct {
	descs []*prometheus.Desc
	what  string // what collect does, for the log
	// collect queries the store, then sends the metrics of descs.
	collect func(ctx context.Context, ch chan<- prometheus.Metric) error
	logger  *slog.Logger
}

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	if err := c.collect(ctx, ch); err != nil {
		c.logger.Error(c.what+" for metrics", slog.Any("err", err))
		for _, d := range c.descs {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
	}
}

// changesByState exports the number of changes per state. Every state is
// exported, zero included, so that alerts on a state do not see it
// vanish.
func changesByState(counts func(context.Context) (map[andon.State]int, error), logger *slog.Logger) *storeCollector {
	desc := prometheus.NewDesc("andon_changes", "Changes in the store, by state.", []string{"state"}, nil)
	return &storeCollector{descs: []*prometheus.Desc{desc}, what: "count changes", logger: logger,
		collect: func(ctx context.Context, ch chan<- prometheus.Metric) error {
			n, err := counts(ctx)
			if err != nil {
				return err
			}
			states := slices.Clone(andon.States)
			for s := range n {
				if !slices.Contains(states, s) {
					states = append(states, s)
				}
			}
			for _, s := range states {
				ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(n[s]), string(s))
			}
			return nil
		}}
}

// incidentsBySeverity exports the open incidents per severity, counted at
// scrape time. Every severity is exported, zero included, so that an
// alert on open critical incidents does not see its series vanish once
// the last is resolved.
func incidentsBySeverity(counts func(context.Context) (map[andon.Level]int, error), logger *slog.Logger) *storeCollector {
	desc := prometheus.NewDesc("andon_incidents_open", "Open incidents, by severity: while a critical one is open the default gate refuses every change to production in its scope but an emergency one.", []string{"severity"}, nil)
	return &storeCollector{descs: []*prometheus.Desc{desc}, what: "count open incidents", logger: logger,
		collect: func(ctx context.Context, ch chan<- prometheus.Metric) error {
			n, err := counts(ctx)
			if err != nil {
				return err
			}
			levels := slices.Clone(andon.Levels)
			for l := range n {
				if !slices.Contains(levels, l) {
					levels = append(levels, l)
				}
			}
			for _, l := range levels {
				ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(n[l]), string(l))
			}
			return nil
		}}
}

// grantsByTeam exports the number of active grants of just-in-time
// access by team: every team of the catalog in force that lists someone
// as eligible, 0 when none is active, and any other team that has one
// (removed from the catalog since), so that an alert can watch a team's
// grants without waiting for its first.
func grantsByTeam(counts func(context.Context) (map[string]int, error), catalog andon.CatalogSource, logger *slog.Logger) *storeCollector {
	desc := prometheus.NewDesc("andon_access_grants_active", "Active grants of just-in-time access to a team's roles (andon access), by team.", []string{"team"}, nil)
	return &storeCollector{descs: []*prometheus.Desc{desc}, what: "count active grants", logger: logger,
		collect: func(ctx context.Context, ch chan<- prometheus.Metric) error {
			n, err := counts(ctx)
			if err != nil {
				return err
			}
			var teams []string
			if c := catalog.Catalog(); c != nil {
				for _, t := range c.Teams {
					if len(t.Eligible) > 0 {
						teams = append(teams, t.Name)
					}
				}
			}
			for t := range n {
				if !slices.Contains(teams, t) {
					teams = append(teams, t)
				}
			}
			for _, t := range teams {
				ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(n[t]), t)
			}
			return nil
		}}
}

// recoveryTimes exports, for each environment of the catalog in force,
// when its latest backup completed, when its latest passed restore test
// finished and how long that took, and the strictest RPO and RTO of its
// processes, so that an alert compares ages and durations against the
// objectives without restating them. An environment without a backup, a
// passed test or an objective has no series of it; the environment label
// takes only the catalog's names, whatever the store holds, and the stage
// label the environment's stage, so that an alert selects production
// whatever its environments are named.
func recoveryTimes(status func(context.Context) (*andon.RecoveryStatus, error), logger *slog.Logger) *storeCollector {
	labels := []string{"environment", "stage"}
	backup := prometheus.NewDesc("andon_backup_last_completed_timestamp_seconds",
		"Unix time at which the latest backup recorded of an environment completed (andon backup record), by environment, for those with one.", labels, nil)
	passed := prometheus.NewDesc("andon_restore_test_last_passed_timestamp_seconds",
		"Unix time at which the latest passed restore test of an environment finished (andon backup restore-test), by environment, for those with one.", labels, nil)
	took := prometheus.NewDesc("andon_restore_test_last_duration_seconds",
		"How long the latest passed restore test of an environment took, from the start of its restore to the database ready, by environment, for those with one.", labels, nil)
	objective := prometheus.NewDesc("andon_recovery_objective_seconds",
		"The strictest recovery objective of an environment's business processes in the catalog, by environment, its stage and objective (rpo: the data a recovery may lose; rto: the time it may take), for those whose processes state one.", []string{"environment", "stage", "objective"}, nil)
	return &storeCollector{descs: []*prometheus.Desc{backup, passed, took, objective}, what: "read the recovery posture", logger: logger,
		collect: func(ctx context.Context, ch chan<- prometheus.Metric) error {
			s, err := status(ctx)
			if err != nil {
				return err
			}
			for _, p := range s.Environments {
				env, stage := p.Environment, string(p.Stage)
				if b := p.Backup; b != nil {
					ch <- prometheus.MustNewConstMetric(backup, prometheus.GaugeValue, seconds(b.CompletedAt), env, stage)
				}
				if t := p.PassedRestoreTest; t != nil {
					ch <- prometheus.MustNewConstMetric(passed, prometheus.GaugeValue, seconds(t.FinishedAt), env, stage)
					ch <- prometheus.MustNewConstMetric(took, prometheus.GaugeValue, t.Duration().Seconds(), env, stage)
				}
				if o := p.RPO; o != nil {
					ch <- prometheus.MustNewConstMetric(objective, prometheus.GaugeValue, o.Duration.Seconds(), env, stage, "rpo")
				}
				if o := p.RTO; o != nil {
					ch <- prometheus.MustNewConstMetric(objective, prometheus.GaugeValue, o.Duration.Seconds(), env, stage, "rto")
				}
			}
			return nil
		}}
}

// seconds is t as Unix time in seconds, as the *_timestamp_seconds
// gauges give it.
func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// tokenTimes exports when each API token that expires was issued and
// expires, so that an alert can ask for a new one in time (a pipeline
// whose token expires can no longer deploy), and leave alone the tokens
// made to live only a short while.
//
// The series are labelled by token ID only. /metrics needs no token, and
// a user label would name people to whoever reaches it; andon token list
// says whose a token is.
func tokenTimes(list func(context.Context) ([]andon.TokenInfo, error), logger *slog.Logger) *storeCollector {
	labels := []string{"id"}
	expiry := prometheus.NewDesc("andon_token_expiry_timestamp_seconds",
		"Unix time at which an API token stops authenticating, for each token that expires (expired ones included, until revoked), by token ID.", labels, nil)
	created := prometheus.NewDesc("andon_token_created_timestamp_seconds",
		"Unix time at which an API token that expires was issued, by token ID.", labels, nil)
	return &storeCollector{descs: []*prometheus.Desc{expiry, created}, what: "list tokens", logger: logger,
		collect: func(ctx context.Context, ch chan<- prometheus.Metric) error {
			tokens, err := list(ctx)
			if err != nil {
				return err
			}
			for _, t := range tokens {
				// A feed token that expires does so with the API token it
				// was asked for with, whose series already says when; a
				// session of the board lasts hours by design, and one
				// series each would warn of every sign-in.
				// A token rotated has been replaced: its expiry ends the
				// overlap, and is nothing to alert on.
				if t.ExpiresAt != nil && t.Scope == "api" && t.RotatedTo == "" {
					ch <- prometheus.MustNewConstMetric(expiry, prometheus.GaugeValue, float64(t.ExpiresAt.Unix()), t.ID)
					ch <- prometheus.MustNewConstMetric(created, prometheus.GaugeValue, float64(t.CreatedAt.Unix()), t.ID)
				}
			}
			return nil
		}}
}

// handleMetrics serves the metrics of reg in the Prometheus formats. A
// collector that fails does not hide the others: the error is logged and
// the rest is served.
func handleMetrics(reg *prometheus.Registry, logger *slog.Logger) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      reg,
	})
}
