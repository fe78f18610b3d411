package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/calendar"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/policy"
	"github.com/andon-governance/andon/server"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
)

// serveOptions are the flags of andon serve and andon demo.
type serveOptions struct {
	addr      string
	data      string
	db        string
	catalog   string
	policy    string
	logFormat string
	logLevel  string
}

func (o *serveOptions) dsn() string {
	if o.db != "" {
		return o.db
	}
	return "sqlite://" + sqlstore.DataPath(o.data)
}

func newServeCmd(e *env) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve --catalog DIR",
		Short: "Run the andon server",
		Long: `Run the andon server: load the catalog and the policy, open the store and
serve the API. SIGHUP reloads the catalog and the policy; a reload that fails
keeps the ones in force. SIGINT and SIGTERM shut down gracefully.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.catalog == "" {
				return &exitError{code: 2, err: errors.New("--catalog: required (the directory of catalog YAML)")}
			}
			logger, err := newLogger(e, o)
			if err != nil {
				return err
			}
			hup := notifyHUP()
			defer signal.Stop(hup)
			load := func() (*andon.Catalog, error) { return catalog.Load(o.catalog) }
			a, err := startApp(e.ctx, logger, o, load)
			if err != nil {
				return err
			}
			defer a.close()
			return a.serve(e.ctx, hup)
		},
	}
	addServeFlags(cmd, e, o)
	cmd.Flags().StringVar(&o.catalog, "catalog", e.getenv("ANDON_CATALOG"), "catalog directory (env ANDON_CATALOG)")
	cmd.Flags().StringVar(&o.policy, "policy", e.getenv("ANDON_POLICY"), "directory of Rego files that add to or replace the default policy packages (env ANDON_POLICY)")
	return cmd
}

func addServeFlags(cmd *cobra.Command, e *env, o *serveOptions) {
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", envOr(e, "ANDON_ADDR", ":8080"), "listen address (env ANDON_ADDR)")
	f.StringVar(&o.data, "data", envOr(e, "ANDON_DATA", "./data"), "data directory: SQLite database and audit signing key (env ANDON_DATA)")
	f.StringVar(&o.db, "db", e.getenv("ANDON_DB"), "database URL, sqlite://PATH (default: andon.db in the data directory; env ANDON_DB)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
}

func envOr(e *env, key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

func newLogger(e *env, o *serveOptions) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("--log-level: %q is not debug, info, warn or error", o.logLevel)}
	}
	opts := &slog.HandlerOptions{Level: level}
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	}
	return nil, &exitError{code: 2, err: fmt.Errorf("--log-format: %q is not text or json", o.logFormat)}
}

// app is a running andon: store, policy, catalog and the services over them.
type app struct {
	logger   *slog.Logger
	opts     *serveOptions
	load     func() (*andon.Catalog, error)
	db       *sqlstore.DB
	catalogs *andon.CatalogHolder
	policy   *policy.Engine
	calendar *calendar.Service
	changes  *sqlstore.ChangeService
	gate     *sqlstore.GateService
	tokens   *sqlstore.TokenService
	audit    *sqlstore.AuditService
}

// startApp loads everything the server needs and refuses to start on the
// first problem, saying what it is.
func startApp(ctx context.Context, logger *slog.Logger, o *serveOptions, load func() (*andon.Catalog, error)) (*app, error) {
	cat, err := load()
	if err != nil {
		return nil, &exitError{code: 1, err: andon.Errorf(andon.EINVALID, "catalog %s is not valid:\n%s", o.catalog, andon.ErrorMessage(err))}
	}
	pol, err := policy.New(ctx, o.policy)
	if err != nil {
		return nil, &exitError{code: 1, err: andon.Errorf(andon.EINVALID, "policy is not valid: %s", andon.ErrorMessage(err))}
	}
	db, err := openSignedStore(ctx, o)
	if err != nil {
		return nil, err
	}
	a := &app{logger: logger, opts: o, load: load, db: db, policy: pol, catalogs: andon.NewCatalogHolder(cat)}
	a.calendar = calendar.NewService(a.catalogs)
	// Compile the windows now rather than in the first gate decision.
	if _, err := a.calendar.For(cat); err != nil {
		db.Close()
		return nil, &exitError{code: 1, err: andon.Errorf(andon.EINVALID, "catalog %s: %s", o.catalog, andon.ErrorMessage(err))}
	}
	a.changes = sqlstore.NewChangeService(db, a.catalogs, pol)
	a.gate = sqlstore.NewGateService(db, a.changes, a.catalogs, pol, a.calendar, logger)
	a.tokens = sqlstore.NewTokenService(db)
	a.audit = sqlstore.NewAuditService(db)
	if err := a.record(ctx, catalogLoaded(cat), a.policyLoaded(false)); err != nil {
		db.Close()
		return nil, err
	}
	logger.Info("andon started", "version", andon.Version, "catalog", cat.Revision,
		"environments", len(cat.Environments), "policy", strings.Join(pol.Modules(), ","), "db", redact(o.dsn()))
	return a, nil
}

// openSignedStore opens the store with the audit signing key of the data
// directory, creating the key for a new log only: beside a log that is
// already signed, a missing key is an error, and a key that did not sign
// the log is refused, so that nothing re-signs the log with a new key.
func openSignedStore(ctx context.Context, o *serveOptions) (*sqlstore.DB, error) {
	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	db, err := sqlstore.Open(ctx, o.dsn())
	if err != nil {
		return nil, err
	}
	if _, err := db.Checkpoint(ctx); err == nil {
		if _, err := os.Stat(auditlog.KeyPath(o.data)); err != nil {
			db.Close()
			return nil, andon.Errorf(andon.EINVALID, "--data %s holds no audit signing key, but the audit log is already signed: give the data directory that holds its key", o.data)
		}
	}
	if db.Signer, err = auditlog.LoadOrCreateKey(o.data, "andon"); err != nil {
		db.Close()
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	if err := db.CheckSigner(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// record appends events in one audited write.
func (a *app) record(ctx context.Context, events ...andon.Event) error {
	_, err := a.db.Update(ctx, func(ctx context.Context, tx *sqlstore.Tx) error {
		for _, ev := range events {
			tx.Record(ev)
		}
		return nil
	})
	return err
}

func (a *app) policyLoaded(reloaded bool) andon.Event {
	return andon.Event{Type: andon.EventPolicyLoaded, Actor: "andon", Subject: a.policy.Revision(),
		Data: map[string]any{"revision": a.policy.Revision(), "modules": a.policy.Modules(), "reload": reloaded}}
}

func catalogLoaded(cat *andon.Catalog) andon.Event {
	return andon.Event{Type: andon.EventCatalogLoaded, Actor: "andon", Subject: cat.Revision, Data: map[string]any{
		"revision": cat.Revision, "plants": len(cat.Plants), "processes": len(cat.Processes),
		"environments": len(cat.Environments), "windows": len(cat.Windows), "teams": len(cat.Teams),
	}}
}

// reload re-reads the catalog and the policy; what fails to load is
// logged and the version in force stays.
func (a *app) reload(ctx context.Context) {
	if err := a.policy.Reload(ctx); err != nil {
		a.logger.Error("policy reload failed; the policy in force stays", "err", err)
	} else if err := a.record(ctx, a.policyLoaded(true)); err != nil {
		a.logger.Error("policy reload could not be recorded", "err", err)
	} else {
		a.logger.Info("policy reloaded", "revision", a.policy.Revision())
	}
	cat, err := a.load()
	if err != nil {
		a.logger.Error("catalog reload failed; the catalog in force stays", "err", err)
		return
	}
	if cat.Revision == a.catalogs.Catalog().Revision {
		return
	}
	// Compile the new windows before the swap, so that no gate decision
	// waits for it and a catalog that does not compile is refused.
	if _, err := a.calendar.For(cat); err != nil {
		a.logger.Error("catalog reload failed; the catalog in force stays", "err", err)
		return
	}
	if err := a.record(ctx, catalogLoaded(cat)); err != nil {
		a.logger.Error("catalog reload could not be recorded; the catalog in force stays", "err", err)
		return
	}
	a.catalogs.Swap(cat)
	a.logger.Info("catalog reloaded", "revision", cat.Revision)
}

func (a *app) close() { a.db.Close() }

func (a *app) handler() http.Handler {
	return server.New(server.Config{
		Logger:       a.logger,
		Changes:      a.changes,
		Gate:         a.gate,
		Audit:        a.audit,
		Calendar:     a.calendar,
		Catalog:      a.catalogs,
		Tokens:       a.tokens,
		Ready:        a.db.Ping,
		Now:          a.db.Now,
		Registry:     prometheus.NewRegistry(),
		ChangeCounts: a.db.CountByState,
	})
}

// serve listens until ctx ends, then drains requests for up to 15 s. hup
// delivers SIGHUP, which reloads the catalog and the policy; the caller
// registers it before starting, since SIGHUP's default action is to exit.
func (a *app) serve(ctx context.Context, hup <-chan os.Signal) error {
	ln, err := net.Listen("tcp", a.opts.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.opts.addr, err)
	}
	srv := server.NewHTTPServer(a.opts.addr, a.handler())
	a.logger.Info("listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	for {
		select {
		case <-hup:
			a.reload(ctx)
		case err := <-errc:
			return err
		case <-ctx.Done():
			a.logger.Info("shutting down")
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			return srv.Shutdown(shutdownCtx)
		}
	}
}

// notifyHUP returns a channel that receives SIGHUP.
func notifyHUP() chan os.Signal {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	return hup
}

// redact hides a password in a database URL.
func redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if j := strings.Index(dsn[i+3:], "@"); j >= 0 {
			return dsn[:i+3] + "***" + dsn[i+3+j:]
		}
	}
	return dsn
}

// catalogFS loads a catalog from an embedded file system.
func catalogFS(fsys fs.FS, root string) func() (*andon.Catalog, error) {
	return func() (*andon.Catalog, error) { return catalog.LoadFS(fsys, root) }
}
