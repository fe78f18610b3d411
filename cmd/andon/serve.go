package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/admission"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/calendar"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/catalogsync"
	"github.com/andon-governance/andon/drift"
	"github.com/andon-governance/andon/github"
	"github.com/andon-governance/andon/identity"
	"github.com/andon-governance/andon/policy"
	"github.com/andon-governance/andon/server"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/web"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
)

// serveOptions are the flags of andon serve and andon demo.
type serveOptions struct {
	addr      string
	data      string
	db        string
	dbFile    string
	catalog   string
	policy    string
	logFormat string
	logLevel  string
	// rollingBack opens a SQLite store whose log no longer holds the
	// checkpoint kept beside it, for andon audit record-rollback to
	// record that.
	rollingBack bool

	// The catalog from git instead of a directory.
	catalogGit     string
	catalogGitRef  string
	catalogGitPath string
	// catalogInterval is how often the leader reads the catalog source for
	// a new version; 0 reads it at start and on SIGHUP only.
	catalogInterval time.Duration
	// followInterval is how often every replica looks for a catalog version
	// published by another.
	followInterval time.Duration
	// jobInterval is how often the leader scans for overdue reviews.
	jobInterval time.Duration
	// sessionLifetime is how long a session of the board lasts; 0 means
	// andon.DefaultSessionLifetime.
	sessionLifetime time.Duration
	// shutdownTimeout is how long the server finishes the requests in
	// flight after SIGTERM; 0 means defaultShutdownTimeout.
	shutdownTimeout time.Duration

	// The admission webhook's listener, off when admissionAddr is "".
	admissionAddr     string
	tlsCert, tlsKey   string
	admissionClientCA string
	traefikMajor      int
	// trustedControllers, when set, replaces the default list of
	// admission.DefaultTrustedControllers.
	trustedControllers []string
	// admissionKubeconfig is the kubeconfig through which the webhook
	// reads CloudNativePG's image catalogs; inside a pod without one, the
	// pod's service account.
	admissionKubeconfig string
	// admissionCluster is the catalog's name of the cluster that
	// admissionKubeconfig (or the pod) reaches.
	admissionCluster string
	// getenv reads the environment, for the Kubernetes configuration.
	getenv func(string) string

	// github holds the flags of andon's GitHub App.
	github githubOptions

	// insecureCookies leaves Secure off the web UI's session cookie.
	insecureCookies bool

	// authConfig is the file of the OpenID Connect issuers whose tokens
	// authenticate users (andon serve only); "" for none.
	authConfig string
	// publicURL is the server's external address, to which the board's
	// identity providers send browsers back.
	publicURL string
}

// dsn returns the database URL: --db, else the content of --db-file (a
// mounted Secret, say), else the SQLite file in the data directory.
func (o *serveOptions) dsn() (string, error) {
	switch {
	case o.db != "" && o.dbFile != "":
		return "", &exitError{code: 2, err: errors.New("--db and --db-file: give one, not both")}
	case o.db != "":
		return o.db, nil
	case o.dbFile != "":
		b, err := os.ReadFile(o.dbFile)
		if err != nil {
			return "", andon.Errorf(andon.EINVALID, "--db-file: %v", err)
		}
		dsn := strings.TrimSpace(string(b))
		if dsn == "" {
			return "", andon.Errorf(andon.EINVALID, "--db-file: %s is empty", o.dbFile)
		}
		return dsn, nil
	}
	return "sqlite://" + sqlstore.DataPath(o.data), nil
}

// catalogSource returns where the catalog comes from.
func (o *serveOptions) catalogSource(cmd *cobra.Command, e *env) (catalogsync.Source, error) {
	switch {
	case o.catalog != "" && o.catalogGit != "":
		return nil, &exitError{code: 2, err: errors.New("--catalog and --catalog-git: give one, not both")}
	case o.catalogGit != "":
		src, err := catalogsync.Git(catalogsync.GitOptions{
			// No cache directory: the history is kept in memory, so that
			// the data directory may be a read-only Secret.
			URL: o.catalogGit, Ref: o.catalogGitRef, Path: o.catalogGitPath,
			Username: e.getenv("ANDON_CATALOG_GIT_USERNAME"), Password: e.getenv("ANDON_CATALOG_GIT_PASSWORD"),
		})
		if err != nil {
			return nil, &exitError{code: 2, err: fmt.Errorf("--catalog-git: %w", err)}
		}
		return src, nil
	case o.catalog != "":
		// A directory that is not there is a slip in the flag, not a
		// source that cannot be read for now (as a git server can be):
		// even a ConfigMap's mount exists before the server starts.
		name := "--catalog"
		if !cmd.Flags().Changed("catalog") {
			name = "ANDON_CATALOG" // as the Helm chart sets it
		}
		if err := unreadableCatalogDir(name, o.catalog); err != nil {
			return nil, err
		}
		return catalogsync.Dir(o.catalog), nil
	}
	return nil, &exitError{code: 2, err: errors.New("--catalog: required (the directory of catalog YAML), or --catalog-git URL")}
}

func newServeCmd(e *env) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve --catalog DIR | --catalog-git URL",
		Short: "Run the andon server",
		Example: `  # One server on SQLite in ./data; the audit signing key is made on first start.
  andon serve --catalog ./catalog --data ./data

  # A replica over PostgreSQL, with the key made once by andon audit keygen --data ./keys.
  andon serve --catalog-git https://git.example.com/plant-it/estate.git --catalog-git-path catalog \
    --data ./keys --db postgres://andon@db:5432/andon`,
		Long: `Run the andon server: load the catalog and the policy, open the store and
serve the API.

The catalog comes from a directory (--catalog) or a git repository
(--catalog-git, with --catalog-git-ref and --catalog-git-path; credentials in
ANDON_CATALOG_GIT_USERNAME and ANDON_CATALOG_GIT_PASSWORD). One replica, the
leader, reads it every --catalog-interval and publishes a valid new version
through the database, recorded in the audit log with its git commit; every
replica puts it in force. An invalid version is refused with all its
problems logged, and the version in force stays. The leader also records
the emergency reviews that fall overdue, and deletes the sessions of the
board that expired a week ago or more. With andon's GitHub App
(--github-app-id, --github-app-key-file, --github-webhook-secret-file), it
also answers GitHub's deployment protection requests once the gate allows
their change (docs/pipelines.md).

The database is embedded SQLite in --data by default, or PostgreSQL with
--db postgres://… or --db-file (a file holding the URL, such as a mounted
Secret, read again for every new connection to PostgreSQL, each used for
five minutes at most, so that a rotated password applies without a
restart), where several replicas may run. SIGHUP reloads the policy and
reads the catalog source now. SIGINT and SIGTERM shut down gracefully.

Before it serves, andon migrates the database to its version: it applies
the migrations the database does not record, each in one transaction that
a failure rolls back, and logs each it applies; on PostgreSQL one replica
applies each while the others wait. There are no down migrations: back up
the database before an upgrade, and restore that backup to go back. A
database migrated by a newer andon is refused, naming the migration this
version does not know, and is left as it is.

The log goes to standard error. With --log-format json, what stops the
server, at start or later, is a record of it too (level ERROR, msg "andon
serve stopped", the message in err), not a plain line; a catalog or a
policy that is not valid is logged before it one record per problem. At
--log-level debug, what the print calls of the --policy files print in a
decision is logged too (msg "policy print"); at other levels they are
compiled out.`,
		Args:    cobra.NoArgs,
		PreRunE: refuseOutput,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			logger, err := newLogger(e, o)
			if logger != nil && o.logFormat == "json" {
				// What stops the server goes to the log, in its format,
				// for whatever parses it: a plain line among JSON
				// records would be dropped or misread.
				defer func() { err = logFailure(logger, "andon serve", err) }()
			}
			if err != nil {
				return err
			}
			src, err := o.catalogSource(cmd, e)
			if err != nil {
				return err
			}
			// A SIGHUP while the catalog is read (a slow git server)
			// waits for the server to serve, rather than ending it.
			hup := notifyHUP()
			defer signal.Stop(hup)
			l, err := load(e.ctx, logger, o, src)
			if err != nil {
				return err
			}
			cl, err := claim(o)
			if err != nil {
				return err
			}
			defer cl.release()
			a, err := l.start(e.ctx)
			if err != nil {
				return err
			}
			defer a.close()
			return a.serve(e.ctx, hup, cl.listeners)
		},
	}
	addServeFlags(cmd, e, o)
	f := cmd.Flags()
	f.StringVar(&o.catalog, "catalog", e.getenv("ANDON_CATALOG"), "catalog directory (env ANDON_CATALOG)")
	f.StringVar(&o.catalogGit, "catalog-git", e.getenv("ANDON_CATALOG_GIT"), "git repository URL of the catalog, instead of --catalog (env ANDON_CATALOG_GIT)")
	f.StringVar(&o.catalogGitRef, "catalog-git-ref", e.getenv("ANDON_CATALOG_GIT_REF"), "branch, tag or commit of --catalog-git (default: the remote's HEAD; env ANDON_CATALOG_GIT_REF)")
	f.StringVar(&o.catalogGitPath, "catalog-git-path", e.getenv("ANDON_CATALOG_GIT_PATH"), "catalog directory inside the --catalog-git repository (default: its root; env ANDON_CATALOG_GIT_PATH)")
	redactDefault(cmd, "catalog-git")
	f.DurationVar(&o.catalogInterval, "catalog-interval", 30*time.Second, "how often the catalog source is read for a new version; 0 reads it at start and on SIGHUP only")
	cmd.Flags().StringVar(&o.policy, "policy", e.getenv("ANDON_POLICY"), "directory of Rego files that add to or replace the default policy packages (env ANDON_POLICY)")
	f.StringVar(&o.authConfig, "auth-config", e.getenv("ANDON_AUTH_CONFIG"), "YAML file of the OpenID Connect issuers whose tokens authenticate pipelines and people, beside andon's API tokens (docs/identity.md; env ANDON_AUTH_CONFIG)")
	f.StringVar(&o.publicURL, "public-url", e.getenv("ANDON_PUBLIC_URL"), "the server's external address, such as https://andon.example.com, to which the board's identity providers send browsers back; required when --auth-config offers one (env ANDON_PUBLIC_URL)")
	return cmd
}

func addServeFlags(cmd *cobra.Command, e *env, o *serveOptions) {
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", envOr(e, "ANDON_ADDR", ":8080"), "listen address (env ANDON_ADDR)")
	f.StringVar(&o.data, "data", envOr(e, "ANDON_DATA", "./data"), "data directory: SQLite database and audit signing key (env ANDON_DATA)")
	f.StringVar(&o.db, "db", e.getenv("ANDON_DB"), "database URL, postgres://… or sqlite://PATH (default: andon.db in the data directory; env ANDON_DB)")
	f.StringVar(&o.dbFile, "db-file", e.getenv("ANDON_DB_FILE"), "file holding the database URL, such as a mounted Secret (env ANDON_DB_FILE)")
	redactDefault(cmd, "db")
	f.DurationVar(&o.followInterval, "catalog-follow-interval", 2*time.Second, "how often a replica looks for a catalog version published by another")
	f.DurationVar(&o.jobInterval, "job-interval", time.Minute, "how often the leader scans for overdue emergency reviews, and for sessions of the board expired for 7 days, which it deletes")
	f.StringVar(&o.admissionAddr, "admission-addr", e.getenv("ANDON_ADMISSION_ADDR"), "listen address of the Kubernetes admission webhook, served over TLS, such as :8443; off when empty (env ANDON_ADMISSION_ADDR)")
	f.StringVar(&o.tlsCert, "tls-cert", e.getenv("ANDON_TLS_CERT"), "PEM certificate of the admission listener, read again when it changes (env ANDON_TLS_CERT)")
	f.StringVar(&o.tlsKey, "tls-key", e.getenv("ANDON_TLS_KEY"), "PEM private key of --tls-cert (env ANDON_TLS_KEY)")
	f.StringVar(&o.admissionClientCA, "admission-client-ca", e.getenv("ANDON_ADMISSION_CLIENT_CA"), "PEM CA bundle: the admission listener then requires a client certificate it signed (env ANDON_ADMISSION_CLIENT_CA)")
	f.StringSliceVar(&o.trustedControllers, "admission-trusted-controller", nil, "a Kubernetes user, or a prefix ending in *, whose objects owned by a controller the webhook lets through as governed by their owner; repeatable, replaces the default "+strings.Join(admission.DefaultTrustedControllers, ", ")+" (list them too to keep them)")
	f.StringVar(&o.admissionKubeconfig, "admission-kubeconfig", e.getenv("ANDON_ADMISSION_KUBECONFIG"), "kubeconfig through which the admission webhook reads the image catalogs of CloudNativePG Clusters, and lists the Clusters that use a ClusterImageCatalog; inside a pod without it, the pod's service account (env ANDON_ADMISSION_KUBECONFIG)")
	f.StringVar(&o.admissionCluster, "admission-cluster", e.getenv("ANDON_ADMISSION_CLUSTER"), "the catalog's kubernetes.cluster of the cluster whose image catalogs and CloudNativePG Clusters the admission webhook reads: a review whose path names another cluster cannot have them read (env ANDON_ADMISSION_CLUSTER)")
	o.getenv = e.getenv
	f.IntVar(&o.traefikMajor, "traefik-major", 3, "major version of Traefik in the clusters, for the admission webhook's Traefik rules: 2 or 3")
	f.BoolVar(&o.insecureCookies, "insecure-cookies", e.getenv("ANDON_INSECURE_COOKIES") == "true", "send the web UI's session cookie without Secure, for a server reached over plain HTTP by another name than localhost; never in production (env ANDON_INSECURE_COOKIES=true)")
	f.DurationVar(&o.sessionLifetime, "session-lifetime", andon.DefaultSessionLifetime, "how long a session of the web UI lasts after signing in, unless the API token signed in with expires sooner; then the board asks to sign in again (0: the default)")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", defaultShutdownTimeout, "how long the server, once told to stop (SIGTERM, SIGINT), finishes the requests in flight before it closes their connections; a Pod's terminationGracePeriodSeconds must hold it (0: the default)")
	_ = f.MarkHidden("catalog-follow-interval")
	_ = f.MarkHidden("job-interval")
	addGitHubFlags(f, e, &o.github)
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
}

// redactDefault replaces the password in the default that flag name took
// from the environment, as the server's log does: --help is run inside pods
// whose environment holds the database URL from a Secret, and its output is
// pasted into tickets.
func redactDefault(cmd *cobra.Command, name string) {
	f := cmd.Flags().Lookup(name)
	f.DefValue = sqlstore.RedactDSN(f.DefValue)
}

func envOr(e *env, key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

// newLogger returns the server's logger, in --log-format at --log-level.
// A --log-level it does not know is an error returned with a logger at
// level info, in which the error can be logged.
func newLogger(e *env, o *serveOptions) (*slog.Logger, error) {
	var level slog.Level
	var err error
	if level.UnmarshalText([]byte(o.logLevel)) != nil {
		err = &exitError{code: 2, err: fmt.Errorf("--log-level: %q is not debug, info, warn or error", o.logLevel)}
	}
	opts := &slog.HandlerOptions{Level: level}
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), err
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), err
	}
	return nil, &exitError{code: 2, err: fmt.Errorf("--log-format: %q is not text or json", o.logFormat)}
}

// logFailure logs err, which stops the command name (andon serve, andon
// demo), as a record at level error with what run would have printed in
// err, and returns it marked as logged, so that run prints it no more but
// exits with its code. A catalog or a policy that is not valid is logged
// first one record per problem, with its place, as a refused reload is:
// its problems in one record would be one line with its line breaks
// escaped.
func logFailure(logger *slog.Logger, name string, err error) error {
	if err == nil {
		return nil
	}
	msg := errorMessage(err)
	if inv := new(invalidError); errors.As(err, &inv) {
		logRefusal(logger, slog.LevelError, inv.what+" is not valid", inv.cause, "source", inv.source)
		msg = inv.summary()
	}
	logger.Error(name+" stopped", "err", msg)
	return &loggedError{err: err}
}

// invalidError is a catalog or a policy refused at start. Its message is
// the one printed without --log-format json, every problem on a line of
// its own; cause, a catalog.Errors or a *policy.Errors, stays in the chain
// so that logFailure can log the problems one by one.
type invalidError struct {
	what   string // "catalog" or "policy"
	source string // where it was read from
	cause  error
}

func (e *invalidError) message() string {
	return fmt.Sprintf("%s is not valid: %v", e.what, e.cause)
}

// summary is the message of the record that ends the log of the problems.
func (e *invalidError) summary() string {
	n := 0
	var cerrs catalog.Errors
	var perrs *policy.Errors
	if errors.As(e.cause, &cerrs) {
		n = len(cerrs)
	} else if errors.As(e.cause, &perrs) {
		n = len(perrs.Problems)
	}
	problems := "problems"
	if n == 1 {
		problems = "problem"
	}
	return fmt.Sprintf("%s is not valid: %d %s in %s, logged above", e.what, n, problems, e.source)
}

func (e *invalidError) Error() string { return e.message() }

// Unwrap gives andon.ErrorMessage the message and logFailure the problems.
func (e *invalidError) Unwrap() []error {
	return []error{andon.Errorf(andon.EINVALID, "%s", e.message()), e.cause}
}

// loggedError is an error already written to the log.
type loggedError struct{ err error }

func (e *loggedError) Error() string { return e.err.Error() }
func (e *loggedError) Unwrap() error { return e.err }

// app is a running andon: store, policy, catalog and the services over them.
type app struct {
	logger    *slog.Logger
	opts      *serveOptions
	source    catalogsync.Source
	db        *sqlstore.DB
	catalogs  *andon.CatalogHolder
	policy    *policy.Engine
	calendar  *calendar.Service
	changes   *sqlstore.ChangeService
	gate      *sqlstore.GateService
	tokens    *sqlstore.TokenService
	audit     *sqlstore.AuditService
	incidents *sqlstore.IncidentService
	access    *sqlstore.AccessService
	backups   *sqlstore.BackupService
	// identity verifies the tokens of the issuers of --auth-config; nil
	// without it.
	identity *identity.Service

	admission    *admission.Reviewer
	admissionTLS *tls.Config
	// github answers the GitHub App's webhook; nil when it is off. The
	// leader checks its requests again at once when githubKick is
	// signalled.
	github     *github.Protector
	githubKick chan struct{}
	// registry holds the metrics of both listeners; the API's /metrics
	// serves it.
	registry *prometheus.Registry

	// inForce serialises putting catalog versions in force.
	inForce sync.Mutex

	refusedMu   sync.Mutex
	lastRefused string
	// leading is set while this replica leads the background work, and
	// with it reads the catalog source.
	leading atomic.Bool
	// policyRefused is set while the last policy reload failed.
	policyRefused atomic.Bool
	// demoPolicy is loaded.demoPolicy, until prepareDemo puts it in force.
	demoPolicy *policy.Engine
}

// admissionObjects returns the client through which the webhook reads
// the image catalogs of CloudNativePG Clusters, and lists the Clusters
// that use a ClusterImageCatalog: that of
// --admission-kubeconfig, or inside a pod the pod's service account. It
// returns nil, and the webhook then refuses the Clusters that take their
// image from a catalog, and the changes of ClusterImageCatalogs, outside a pod without a kubeconfig, or inside one
// whose service account's token is not mounted.
func admissionObjects(logger *slog.Logger, o *serveOptions) (admission.Objects, error) {
	getenv := o.getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	cannot := "the admission webhook cannot read CloudNativePG's image catalogs and Clusters, and refuses the Clusters that take their image from a catalog and every change of a ClusterImageCatalog's images (docs/kubernetes.md, Image catalogs)"
	if o.admissionKubeconfig == "" && getenv("KUBERNETES_SERVICE_HOST") == "" {
		logger.Warn(cannot + ": give --admission-kubeconfig")
		return nil, nil
	}
	cfg, err := drift.WebhookRESTConfig(o.admissionKubeconfig, getenv)
	if err != nil {
		if o.admissionKubeconfig != "" {
			return nil, fmt.Errorf("--admission-kubeconfig %s: %w", o.admissionKubeconfig, err)
		}
		logger.Warn(cannot+": the pod's service account has no token mounted (automountServiceAccountToken)", "err", err)
		return nil, nil
	}
	c, err := drift.NewCluster(cfg)
	if err != nil {
		return nil, fmt.Errorf("the admission webhook's Kubernetes client: %w", err)
	}
	return c, nil
}

// startApp loads everything the server needs and refuses to start on the
// first problem, saying what it is.
func startApp(ctx context.Context, logger *slog.Logger, o *serveOptions, src catalogsync.Source) (*app, error) {
	l, err := load(ctx, logger, o, src)
	if err != nil {
		return nil, err
	}
	return l.start(ctx)
}

// loaded is what a server reads before it claims its port and its
// database, so that a start refused for its flags, its catalog or its
// policy leaves nothing behind, not even a data directory.
type loaded struct {
	logger *slog.Logger
	opts   *serveOptions
	source catalogsync.Source
	snap   *catalogsync.Snapshot
	// fetchErr says the source could not be read for now (a git server
	// down): the version in force in the store serves instead.
	fetchErr     error
	policy       *policy.Engine
	admissionTLS *tls.Config
	// objects reads the image catalogs of CloudNativePG for the webhook;
	// nil when andon has no access to the Kubernetes API.
	objects admission.Objects
	// auth is the authentication configuration of --auth-config, or nil.
	auth *identity.Config
	// github is the GitHub App, read from its flags; nil when off.
	github *githubLoaded
	// demoPolicy is the policy given to andon demo with --policy. policy
	// is then the embedded one, under which a fresh demo seeds its
	// history; start records neither, and prepareDemo puts demoPolicy in
	// force and records what was in force.
	demoPolicy *policy.Engine
}

// load checks the flags, reads the catalog and compiles the policy.
func load(ctx context.Context, logger *slog.Logger, o *serveOptions, src catalogsync.Source) (*loaded, error) {
	// 0, the zero value of options built in code, means the default.
	if o.traefikMajor != 0 && o.traefikMajor != 2 && o.traefikMajor != 3 {
		return nil, &exitError{code: 2, err: fmt.Errorf("--traefik-major %d: want 2 or 3", o.traefikMajor)}
	}
	if o.sessionLifetime < 0 {
		return nil, &exitError{code: 2, err: fmt.Errorf("--session-lifetime %s: want a positive duration, such as 12h", o.sessionLifetime)}
	}
	if o.shutdownTimeout < 0 {
		return nil, &exitError{code: 2, err: fmt.Errorf("--shutdown-timeout %s: want a positive duration, such as 15s", o.shutdownTimeout)}
	}
	if o.catalogInterval < 0 {
		return nil, &exitError{code: 2, err: fmt.Errorf("--catalog-interval %s: want 0 (read at start and on SIGHUP only) or more", o.catalogInterval)}
	}
	l := &loaded{logger: logger, opts: o, source: src}
	var err error
	if o.authConfig != "" {
		if l.auth, err = identity.LoadConfig(o.authConfig); err != nil {
			return nil, &exitError{code: 2, err: err}
		}
		if l.auth.HasBoard() {
			if err := identity.CheckPublicURL(o.publicURL); err != nil {
				return nil, &exitError{code: 2, err: err}
			}
		}
	}
	if l.github, err = loadGitHub(&o.github); err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	if o.admissionAddr != "" {
		if l.admissionTLS, err = admissionTLS(logger, o.tlsCert, o.tlsKey, o.admissionClientCA); err != nil {
			return nil, &exitError{code: 2, err: err}
		}
		if l.objects, err = admissionObjects(logger, o); err != nil {
			return nil, &exitError{code: 2, err: err}
		}
	}
	l.snap, l.fetchErr = src.Fetch(ctx)
	if l.fetchErr != nil && errors.As(l.fetchErr, new(catalog.Errors)) {
		return nil, &exitError{code: 1, err: &invalidError{what: "catalog", source: src.String(), cause: l.fetchErr}}
	}
	if l.fetchErr != nil {
		// Without its source, a server starts only with a version
		// published before (see start); a SQLite database not made yet
		// has none, and is not made for nothing.
		if dsn, err := o.dsn(); err == nil {
			if path, err := sqlstore.SQLitePath(dsn); err == nil {
				if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
					return nil, &exitError{code: 1, err: andon.Errorf(andon.EINVALID, "catalog: %v; and no version was published before: there is no database at %s yet", l.fetchErr, path)}
				}
			}
		}
	}
	// As for --catalog, a directory that is not there is a slip in the
	// flag, not a policy with problems.
	if o.policy != "" {
		if err := unreadableDir("--policy", o.policy, "a directory of Rego files"); err != nil {
			return nil, err
		}
	}
	// What the policy's print calls print goes to the log at DEBUG
	// level; at another level they are compiled out.
	if l.policy, err = policy.New(ctx, o.policy, policy.WithLogger(logger)); err != nil {
		if errors.As(err, new(*policy.Errors)) {
			source := "the embedded policy"
			if o.policy != "" {
				source = "dir " + o.policy
			}
			return nil, &exitError{code: 1, err: &invalidError{what: "policy", source: source, cause: err}}
		}
		return nil, &exitError{code: 1, err: andon.Errorf(andon.EINVALID, "policy is not valid: %s", andon.ErrorMessage(err))}
	}
	return l, nil
}

// start opens the store and starts the services over it.
func (l *loaded) start(ctx context.Context) (*app, error) {
	logger, o, src, snap, fetchErr, pol := l.logger, l.opts, l.source, l.snap, l.fetchErr, l.policy
	_, keyErr := os.Stat(auditlog.KeyPath(o.data))
	db, err := openSignedStore(ctx, o, logger)
	if err != nil {
		return nil, err
	}
	if errors.Is(keyErr, fs.ErrNotExist) {
		// The key's only copy is in the data directory now: whoever runs
		// the server must learn of it to back it up, and auditors need
		// the verifier key before the first entry is written.
		logger.Info("made the audit signing key: back up audit.key, its only copy, and give audit.pub to the auditors",
			"key", auditlog.KeyPath(o.data), "verifier", auditlog.PubPath(o.data))
	}
	if mode, ok := readableByOthers(auditlog.KeyPath(o.data)); ok {
		logger.Warn("the audit signing key can be read by every user of this machine: whoever can read it and write the database can rewrite the audit log and sign it; make it readable by andon only (chmod 600, or a Secret's defaultMode 0440)",
			"key", auditlog.KeyPath(o.data), "mode", fmt.Sprintf("%04o", mode))
	}
	if path, ok := exposedDatabase(o); ok {
		mode, _ := readableByOthers(path)
		logger.Warn("the database can be read by every user of this machine, through a data directory they may enter: it holds every change and the whole audit log; make it readable by andon only (chmod 600 the database and its -wal and -shm files)",
			"db", path, "mode", fmt.Sprintf("%04o", mode))
	}
	if fetchErr != nil {
		// The source cannot be read (a git server down, say): a replica
		// of a running installation starts with the version in force,
		// and the leader keeps trying the source.
		if snap, err = publishedSnapshot(ctx, db); err != nil {
			db.Close()
			return nil, &exitError{code: 1, err: andon.Errorf(andon.EINVALID, "catalog: %v; and no version was published before: %s", fetchErr, andon.ErrorMessage(err))}
		}
		logger.Error("catalog source cannot be read; starting with the version in force", "source", src.String(), "revision", snap.Revision, "err", fetchErr)
	}
	cat := snap.Catalog
	a := &app{logger: logger, opts: o, source: src, db: db, policy: pol, demoPolicy: l.demoPolicy, catalogs: andon.NewCatalogHolder(cat)}
	a.calendar = calendar.NewService(a.catalogs)
	// Compile the windows now rather than in the first gate decision.
	if _, err := a.calendar.For(cat); err != nil {
		db.Close()
		return nil, &exitError{code: 1, err: andon.Errorf(andon.EINVALID, "catalog %s: %s", src, andon.ErrorMessage(err))}
	}
	a.changes = sqlstore.NewChangeService(db, a.catalogs, pol, a.calendar)
	a.gate = sqlstore.NewGateService(db, a.changes, a.catalogs, pol, a.calendar, logger)
	a.tokens = sqlstore.NewTokenService(db)
	a.audit = sqlstore.NewAuditService(db)
	a.incidents = sqlstore.NewIncidentService(db, a.catalogs)
	a.access = sqlstore.NewAccessService(db, a.catalogs, a.tokens.Forget)
	a.backups = sqlstore.NewBackupService(db, a.catalogs, pol)
	a.admission = &admission.Reviewer{Catalog: a.catalogs, Gate: a.gate, Policy: pol, TraefikMajor: o.traefikMajor,
		TrustedControllers: o.trustedControllers, Objects: l.objects, ObjectsCluster: o.admissionCluster, Now: db.Now, Logger: logger}
	a.admissionTLS = l.admissionTLS
	if l.auth != nil {
		// Nothing is fetched from the issuers yet: a server whose issuer
		// is down starts, and serves its API tokens.
		if a.identity, err = identity.New(l.auth, o.publicURL, db.Now); err != nil {
			db.Close()
			return nil, &exitError{code: 2, err: err}
		}
	}
	if l.github != nil {
		a.githubKick = make(chan struct{}, 1)
		a.github = github.New(github.Config{AppID: o.github.appID, Key: l.github.key, Secret: l.github.secret.get, APIURL: o.github.apiURL,
			Environments: l.github.envs, MaxWait: o.github.maxWait, Store: sqlstore.NewGitHubStore(db), Changes: a.changes, Gate: a.gate,
			Catalog: a.catalogs, Now: db.Now, Logger: logger, Recorded: a.kickGitHub})
	}
	a.registry = prometheus.NewRegistry()
	// A starting replica publishes its catalog: the version it was given
	// is the newest its operator meant.
	// The first writes of a start are those a full or read-only disk
	// refuses: the message names the directory.
	if _, err := a.publish(ctx, snap); err != nil {
		db.Close()
		return nil, db.DiskError(err)
	}
	if a.demoPolicy == nil {
		if err := a.record(ctx, a.policyLoaded(false)); err != nil {
			db.Close()
			return nil, db.DiskError(err)
		}
	}
	dsn, _ := o.dsn()
	logger.Info("andon started", "version", andon.Version, "catalog", cat.Revision, "source", src.String(),
		"environments", len(cat.Environments), "policy", strings.Join(pol.Modules(), ","), "db", sqlstore.RedactDSN(dsn))
	a.warnPolicy()
	a.warnCatalog(cat)
	return a, nil
}

// exposedDatabase returns the SQLite database o names when every user of
// the machine may read it: the file lets others read it, and its
// directory lets them in. andon makes a new database 0600 in a directory
// of 0700, but an earlier andon made it 0644, which an upgrade keeps, and
// a volume's directory may let everyone in.
func exposedDatabase(o *serveOptions) (string, bool) {
	dsn, err := o.dsn()
	if err != nil || sqlstore.IsPostgres(dsn) {
		return "", false
	}
	path, err := sqlstore.SQLitePath(dsn)
	if err != nil {
		return "", false
	}
	dir, err := os.Stat(filepath.Dir(path))
	if _, readable := readableByOthers(path); !readable || err != nil || dir.Mode().Perm()&0o001 == 0 {
		return "", false
	}
	return path, true
}

// readableByOthers reports whether users other than the file's owner and
// group may read it, and its permission bits. Windows has no such bits.
func readableByOthers(path string) (fs.FileMode, bool) {
	fi, err := os.Stat(path)
	if err != nil || runtime.GOOS == "windows" {
		return 0, false
	}
	return fi.Mode().Perm(), fi.Mode().Perm()&0o004 != 0
}

// openSignedStore opens the store with the audit signing key of the data
// directory, creating the key for a new SQLite log only: beside a log that
// is already signed, a missing key is an error, and a key that did not
// sign the log is refused, so that nothing re-signs the log with a new
// key. Replicas sharing PostgreSQL must share one key, so for PostgreSQL
// the key is never created here: andon audit keygen makes it once.
// logger, when not nil, is told of the migrations applied at opening.
func openSignedStore(ctx context.Context, o *serveOptions, logger *slog.Logger) (*sqlstore.DB, error) {
	dsn, err := o.dsn()
	if err != nil {
		return nil, err
	}
	if err := dataIsFile(o.data); err != nil {
		return nil, err
	}
	if sqlstore.IsPostgres(dsn) {
		if _, err := os.Stat(auditlog.KeyPath(o.data)); err != nil {
			return nil, andon.Errorf(andon.EINVALID, "--data %s holds no audit signing key (%s): with PostgreSQL every replica signs the one audit log with the same key, so it is not made at start; create it once with `andon audit keygen --data DIR` and give every replica that directory (a Kubernetes Secret)", o.data, filepath.Base(auditlog.KeyPath(o.data)))
		}
	} else if err := os.MkdirAll(o.data, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	open := sqlstore.OpenLogged
	if o.dbFile != "" {
		// A password rotated in the file (a mounted Secret) applies to
		// the connections opened from then on, without a restart.
		open = func(ctx context.Context, dsn string, logger *slog.Logger) (*sqlstore.DB, error) {
			return sqlstore.OpenRotating(ctx, dsn, o.dsn, sqlstore.ConnLifetime, logger)
		}
	}
	db, err := open(ctx, dsn, logger)
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
	if !o.rollingBack {
		if err := db.CheckLastSigned(ctx, nil); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// dataIsFile refuses a --data that names a file: a slip in the flag, of
// which making the directory, or the lock beside the database, would say
// only "not a directory", of a path andon made up.
func dataIsFile(data string) error {
	if fi, err := os.Stat(data); err == nil && !fi.IsDir() {
		return andon.Errorf(andon.EINVALID, "--data %s: a file, not a directory: give the directory of the audit signing key and the SQLite database", data)
	}
	return nil
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
	return andon.Event{Type: andon.EventPolicyLoaded, Actor: andon.ActorAndon, Subject: a.policy.Revision(),
		Data: map[string]any{"revision": a.policy.Revision(), "modules": a.policy.Modules(), "reload": reloaded}}
}

// publish makes snap the catalog version of every replica, recording
// catalog.loaded when it is new, and puts it in force here.
func (a *app) publish(ctx context.Context, snap *catalogsync.Snapshot) (bool, error) {
	cat := snap.Catalog
	// Compile the new windows first, so that a catalog that does not
	// compile is refused before any replica takes it.
	if _, err := a.calendar.For(cat); err != nil {
		return false, fmt.Errorf("catalog %s: %w", snap.Source, err)
	}
	published, err := a.db.PublishCatalog(ctx, sqlstore.CatalogVersion{
		Revision: snap.Revision, Commit: snap.Commit, Source: snap.Source, Archive: snap.Archive,
	}, map[string]any{
		"plants": len(cat.Plants), "processes": len(cat.Processes),
		"environments": len(cat.Environments), "windows": len(cat.Windows), "teams": len(cat.Teams),
	})
	if err != nil {
		return false, fmt.Errorf("publish the catalog: %w", err)
	}
	a.putInForce(cat, snap.Source, snap.Commit)
	return published, nil
}

// putInForce swaps cat in, unless it is already in force.
func (a *app) putInForce(cat *andon.Catalog, source, commit string) {
	a.inForce.Lock()
	defer a.inForce.Unlock()
	if a.catalogs.Catalog().Revision == cat.Revision {
		return
	}
	a.catalogs.Swap(cat)
	a.logger.Info("catalog put in force", withCommit(commit, "revision", cat.Revision, "source", source)...)
	a.warnCatalog(cat)
}

// warnCatalog logs what the catalog in force skipped (andon.Catalog.Warnings),
// as andon catalog validate prints it.
func (a *app) warnCatalog(cat *andon.Catalog) {
	for _, w := range cat.Warnings {
		a.logger.Warn("catalog skips part of a file", "warning", w.String(), "revision", cat.Revision)
	}
}

// withCommit returns the attributes of a log record, with the git commit
// of the catalog after them when it has one: one read from a directory
// has none.
func withCommit(commit string, attrs ...any) []any {
	if commit == "" {
		return attrs
	}
	return append(attrs, "commit", commit)
}

// publishedSnapshot returns the catalog version in force in the database.
func publishedSnapshot(ctx context.Context, db *sqlstore.DB) (*catalogsync.Snapshot, error) {
	rev, err := db.CurrentCatalog(ctx)
	if err != nil {
		return nil, err
	}
	if rev == "" {
		return nil, andon.Errorf(andon.ENOTFOUND, "the database holds no catalog version")
	}
	v, err := db.CatalogVersion(ctx, rev)
	if err != nil {
		return nil, err
	}
	cat, err := catalogsync.FromArchive(v.Archive)
	if err != nil {
		return nil, fmt.Errorf("published catalog %s: %w", rev, err)
	}
	return &catalogsync.Snapshot{Catalog: cat, Revision: rev, Commit: v.Commit, Source: v.Source, Archive: v.Archive}, nil
}

// follow puts in force the catalog version another replica published.
func (a *app) follow(ctx context.Context) error {
	rev, err := a.db.CurrentCatalog(ctx)
	if err != nil || rev == "" || rev == a.catalogs.Catalog().Revision {
		return err
	}
	snap, err := publishedSnapshot(ctx, a.db)
	if err != nil {
		return err
	}
	if _, err := a.calendar.For(snap.Catalog); err != nil {
		return fmt.Errorf("published catalog %s: %w", rev, err)
	}
	a.putInForce(snap.Catalog, snap.Source, snap.Commit)
	return nil
}

// refreshCatalog reads the catalog source now and publishes a valid new
// version; an invalid one is logged with every problem and changes nothing.
func (a *app) refreshCatalog(ctx context.Context) {
	snap, err := a.source.Fetch(ctx)
	if err != nil {
		a.catalogRefused(err)
		return
	}
	if err := a.applySnapshot(ctx, snap); err != nil {
		a.catalogRefused(err)
	}
}

func (a *app) applySnapshot(ctx context.Context, snap *catalogsync.Snapshot) error {
	if _, err := a.publish(ctx, snap); err != nil {
		return err
	}
	a.catalogAccepted(snap)
	return nil
}

// watchedSource is the catalog source as the leader watches it. Watch
// applies only a version that differs from the one it last applied, so a
// read that finds the version in force is what tells that a refused
// source (a git server down, a ref deleted, an invalid commit reverted)
// is fine again.
type watchedSource struct {
	catalogsync.Source
	a *app
}

func (s watchedSource) Fetch(ctx context.Context) (*catalogsync.Snapshot, error) {
	snap, err := s.Source.Fetch(ctx)
	if err == nil && snap.Revision == s.a.catalogs.Catalog().Revision {
		s.a.catalogAccepted(snap)
	}
	return snap, err
}

// catalogAccepted ends a refusal once the source gives a version that is
// in force: the same problem, should it come back (the git server down
// again), is then logged in full again rather than at debug level.
func (a *app) catalogAccepted(snap *catalogsync.Snapshot) {
	a.refusedMu.Lock()
	refused := a.lastRefused != ""
	a.lastRefused = ""
	a.refusedMu.Unlock()
	if refused {
		a.logger.Info("catalog source read again", withCommit(snap.Commit, "source", a.source.String(), "revision", snap.Revision)...)
	}
}

// loads reports what the app has in force, for the metrics. A refusal of
// the catalog source counts only while this replica leads: the leader
// alone reads the source again, and ends a refusal when it reads a valid
// version. A replica that stopped leading, or that read the source once
// on SIGHUP, would report a refusal that nothing ends after the source
// is mended, and the alert on it would fire for ever.
func (a *app) loads() server.Loads {
	a.refusedMu.Lock()
	refused := a.lastRefused != "" && a.leading.Load()
	a.refusedMu.Unlock()
	return server.Loads{Catalog: a.catalogs.Catalog().Revision, Policy: a.policy.Revision(),
		CatalogRefused: refused, PolicyRefused: a.policyRefused.Load()}
}

// catalogRefused logs a catalog version that cannot be put in force. The
// source is read again every interval, so the same problems are logged in
// full once, then only at debug level until they change or the source is
// read without them (catalogAccepted).
func (a *app) catalogRefused(err error) {
	a.refusedMu.Lock()
	repeated := a.lastRefused == err.Error()
	a.lastRefused = err.Error()
	a.refusedMu.Unlock()
	if repeated {
		logRefusal(a.logger, slog.LevelDebug, "catalog still refused; the catalog in force stays", err, "source", a.source.String())
		return
	}
	logRefusal(a.logger, slog.LevelError, "catalog refused; the catalog in force stays", err, "source", a.source.String())
}

// reload reloads the policy and reads the catalog source; what fails to
// load is logged and the version in force stays.
func (a *app) reload(ctx context.Context) {
	err := a.policy.Reload(ctx)
	a.policyRefused.Store(err != nil)
	if err != nil {
		logRefusal(a.logger, slog.LevelError, "policy reload failed; the policy in force stays", err)
	} else if err := a.record(ctx, a.policyLoaded(true)); err != nil {
		a.logger.Error("policy reload could not be recorded", "err", err)
	} else {
		a.logger.Info("policy reloaded", "revision", a.policy.Revision())
		a.warnPolicy()
	}
	a.refreshCatalog(ctx)
}

// logRefusal logs err, why a catalog or a policy was refused, at level as
// msg with attrs. An invalid catalog and a policy that does not compile
// are logged one record per problem, with its place: several problems in
// one record, or one of OPA's, which span lines (the line of source, a
// caret under the place), would be one line with its line breaks escaped,
// in either log format. A problem of OPA's keeps its details without the
// caret, which its column replaces.
func logRefusal(logger *slog.Logger, level slog.Level, msg string, err error, attrs ...any) {
	ctx := context.Background()
	var cerrs catalog.Errors
	var perrs *policy.Errors
	switch {
	case errors.As(err, &cerrs):
		for _, p := range cerrs {
			logger.Log(ctx, level, msg, slices.Concat(attrs, place(p.File, p.Line, 0,
				slog.String("document", p.Document), slog.String("field", p.Field), slog.String("err", p.Message)))...)
		}
	case errors.As(err, &perrs):
		for _, p := range perrs.Problems {
			var details []string
			for _, d := range p.Details {
				if d = strings.TrimSpace(d); strings.Trim(d, "^") != "" {
					details = append(details, d)
				}
			}
			logger.Log(ctx, level, msg, slices.Concat(attrs, place(p.File, p.Line, p.Column,
				slog.String("err", p.Message), slog.String("detail", strings.Join(details, "; "))))...)
		}
	default:
		logger.Log(ctx, level, msg, append(attrs, "err", err)...)
	}
}

// place returns the attributes of a problem at file, line and column,
// then rest, leaving out those that are zero or empty.
func place(file string, line, column int, rest ...slog.Attr) []any {
	attrs := []any{slog.String("file", file)}
	if line > 0 {
		attrs = append(attrs, slog.Int("line", line))
	}
	if column > 0 {
		attrs = append(attrs, slog.Int("column", column))
	}
	for _, a := range rest {
		if a.Value.String() != "" {
			attrs = append(attrs, a)
		}
	}
	return attrs
}

// warnPolicy logs what in the policy in force is likely a mistake, though
// it compiles (see policy.Engine.Warnings).
func (a *app) warnPolicy() {
	for _, w := range a.policy.Warnings() {
		a.logger.Warn("policy is likely not what was meant", "problem", w, "revision", a.policy.Revision())
	}
}

// background runs until ctx ends: every replica follows the published
// catalog; the leader alone watches the catalog source, records overdue
// reviews and deletes the sessions of the board expired for
// andon.ExpiredSessionRetention, so that each happens once however many
// replicas run.
func (a *app) background(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		// A database that does not answer fails every follow, every 2
		// seconds by default: the first failure is logged as an error, the
		// same again only at debug level, and the recovery once.
		var failing string
		every(ctx, a.opts.followInterval, func() {
			err := a.follow(ctx)
			switch {
			case ctx.Err() != nil:
			case err != nil && err.Error() == failing:
				a.logger.Debug("still cannot put the published catalog in force; the catalog in force stays", "err", err)
			case err != nil:
				failing = err.Error()
				a.logger.Error("could not put the published catalog in force; the catalog in force stays", "err", err)
			case failing != "":
				failing = ""
				a.logger.Info("the published catalog can be read again")
			}
		})
	}()
	go func() {
		defer wg.Done()
		a.db.Lead(ctx, "background", 5*time.Second, a.logger, a.lead)
	}()
	wg.Wait()
}

// sessionsDeletedPerScan bounds the expired sessions one scan of the
// leader deletes, each with its audit entry, in one write: the first scan
// after an upgrade may find weeks of them, and a write of thousands of
// entries would hold up every other write meanwhile. The next scans take
// the rest.
const sessionsDeletedPerScan = 500

// lead is the background work of the leader.
func (a *app) lead(ctx context.Context) {
	a.leading.Store(true)
	defer a.leading.Store(false)
	var wg sync.WaitGroup
	if a.opts.catalogInterval > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			catalogsync.Watch(ctx, watchedSource{a.source, a}, a.opts.catalogInterval, a.catalogs.Catalog().Revision,
				func(snap *catalogsync.Snapshot) error { return a.applySnapshot(ctx, snap) },
				a.catalogRefused)
		}()
	}
	if a.github != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.checkGitHub(ctx)
		}()
	}
	scan := func() {
		n, err := a.changes.RecordOverdueReviews(ctx)
		if err != nil && ctx.Err() == nil {
			a.logger.Error("overdue review scan failed", "err", err)
		} else if n > 0 {
			a.logger.Warn("emergency change reviews overdue", "recorded", n)
		}
		deleted, err := a.tokens.DeleteExpiredSessions(ctx, andon.ExpiredSessionRetention, sessionsDeletedPerScan)
		if err != nil && ctx.Err() == nil {
			a.logger.Error("deleting expired sessions of the board failed", "err", err)
		} else if len(deleted) > 0 {
			a.logger.Info("deleted expired sessions of the board", "deleted", len(deleted), "expiredFor", roughly(andon.ExpiredSessionRetention))
		}
	}
	// At once, so that a review that fell due while no replica led is
	// recorded now rather than a minute later.
	scan()
	every(ctx, a.opts.jobInterval, scan)
	wg.Wait()
}

// every calls fn at each interval until ctx ends; an interval of 0 or less
// never calls it.
func every(ctx context.Context, interval time.Duration, fn func()) {
	if interval <= 0 {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

func (a *app) close() { a.db.Close() }

// githubService is the GitHub App, or nil (not a nil *Protector) when it
// is off.
func (a *app) githubService() andon.GitHubService {
	if a.github == nil {
		return nil
	}
	return a.github
}

func (a *app) handler() http.Handler {
	reports := sqlstore.NewReportService(a.db, a.catalogs, a.changes, a.backups)
	var changes andon.ChangeService = a.changes
	if a.github != nil {
		changes = approvalKick{ChangeService: a.changes, kick: a.kickGitHub}
	}
	return server.New(server.Config{
		Logger:                 a.logger,
		Changes:                changes,
		Gate:                   a.gate,
		Audit:                  a.audit,
		Calendar:               a.calendar,
		Catalog:                a.catalogs,
		Tokens:                 a.tokens,
		Identity:               a.identityService(),
		Drift:                  sqlstore.NewDriftService(a.db, a.catalogs),
		Incidents:              a.incidents,
		Access:                 a.access,
		Backups:                a.backups,
		Reports:                reports,
		Admission:              a.admission,
		GitHub:                 a.githubService(),
		Ready:                  a.db.Ready,
		Ping:                   a.db.Ping,
		Now:                    a.db.Now,
		Registry:               a.registry,
		ChangeCounts:           a.db.CountByState,
		IncidentCounts:         a.incidents.CountOpen,
		AccessCounts:           a.access.CountActive,
		Recovery:               func(ctx context.Context) (*andon.RecoveryStatus, error) { return a.backups.RecoveryStatus(ctx, "") },
		ListTokens:             func(ctx context.Context) ([]andon.TokenInfo, error) { return a.tokens.ListTokens(ctx, "", "api") },
		Loads:                  a.loads,
		AuditFailures:          a.db.AuditFailures,
		CheckpointCopyFailures: a.db.CheckpointCopyFailures,
		UI: web.New(web.Config{
			Logger:          a.logger,
			Changes:         changes,
			Audit:           a.audit,
			Calendar:        a.calendar,
			Catalog:         a.catalogs,
			Tokens:          a.tokens,
			Identity:        a.identityService(),
			Incidents:       a.incidents,
			IncidentCounts:  a.incidents.CountOpen,
			Access:          a.access,
			Backups:         a.backups,
			Reports:         reports,
			Counts:          a.db.CountByEnvironment,
			EvidenceParts:   a.audit.EvidenceParts,
			Ping:            a.db.Ping,
			Now:             a.db.Now,
			InsecureCookies: a.opts.insecureCookies,
			SessionLifetime: a.opts.sessionLifetime,
		}),
	})
}

// identityService returns the identity service of --auth-config, or a
// nil interface without it.
func (a *app) identityService() andon.IdentityService {
	if a.identity == nil {
		return nil
	}
	return a.identity
}

// admissionHandler serves the admission reviews of the Kubernetes API
// server, on a listener of their own.
func (a *app) admissionHandler() http.Handler {
	return server.NewAdmission(server.Config{
		Logger:    a.logger,
		Catalog:   a.catalogs,
		Admission: a.admission,
		Ping:      a.db.Ping,
		Now:       a.db.Now,
		Registry:  a.registry,
	})
}

// listeners are the server's sockets. They are opened first, so that an
// address in use fails the command at once, before it migrates, seeds or
// announces anything.
type listeners struct {
	api, admission net.Listener // admission is nil without --admission-addr
}

// listen opens the listeners o asks for.
func listen(o *serveOptions) (*listeners, error) {
	api, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, listenError("--addr", o.addr, err)
	}
	l := &listeners{api: api}
	if o.admissionAddr != "" {
		if l.admission, err = net.Listen("tcp", o.admissionAddr); err != nil {
			api.Close()
			return nil, listenError("--admission-addr", o.admissionAddr, err)
		}
	}
	return l, nil
}

// claimed is what a server holds before it starts: its listeners and the
// lock on its SQLite database (see sqlstore.Lock).
type claimed struct {
	*listeners
	dsn, data string
	unlock    func()
}

// claim opens the listeners o asks for and locks its database, so that a
// port or a database in use fails the command before it changes anything.
func claim(o *serveOptions) (*claimed, error) {
	if err := dataIsFile(o.data); err != nil {
		return nil, err
	}
	l, err := listen(o)
	if err != nil {
		return nil, err
	}
	dsn, err := o.dsn()
	if err == nil {
		// The SQLite database as named now, read from --db-file once:
		// the start that follows opens the very one locked. PostgreSQL
		// takes no lock, and its --db-file is read again for every new
		// connection (sqlstore.OpenRotating).
		if !sqlstore.IsPostgres(dsn) {
			o.db, o.dbFile = dsn, ""
		}
		var unlock func()
		if unlock, err = sqlstore.Lock(dsn, o.data); err == nil {
			return &claimed{listeners: l, dsn: dsn, data: o.data, unlock: unlock}, nil
		}
	}
	l.close()
	return nil, err
}

// relock takes the database's lock again, after its file was deleted
// (demo --reset).
func (c *claimed) relock() error {
	c.unlock()
	unlock, err := sqlstore.Lock(c.dsn, c.data)
	if err != nil {
		c.unlock = func() {}
		return err
	}
	c.unlock = unlock
	return nil
}

// release gives up the lock and closes the listeners.
func (c *claimed) release() {
	c.unlock()
	c.close()
}

// close closes the listeners; serve closes them itself when it ends.
func (l *listeners) close() {
	l.api.Close()
	if l.admission != nil {
		l.admission.Close()
	}
}

func listenError(flag, addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen on %s: the address is in use, perhaps by another andon: stop it, or choose another address with %s", addr, flag)
	}
	if _, err := strconv.ParseUint(addr, 10, 16); err == nil {
		return fmt.Errorf("listen on %s (%s): give a host and a port, or a port after a colon for every interface, such as :%s", addr, flag, addr)
	}
	return fmt.Errorf("listen on %s (%s): %w", addr, flag, err)
}

// defaultShutdownTimeout is how long a server told to stop finishes its
// requests in flight, unless --shutdown-timeout says otherwise.
const defaultShutdownTimeout = 15 * time.Second

// serve serves on l until ctx ends, then drains requests for up to
// --shutdown-timeout.
// hup delivers SIGHUP, which reloads the catalog and the policy; the
// caller registers it before starting, since SIGHUP's default action is
// to exit.
func (a *app) serve(ctx context.Context, hup <-chan os.Signal, l *listeners) error {
	// Only a process that serves takes the server's collector settings.
	// Starting (compiling the policy, loading the catalog, migrating)
	// leaves garbage that a server at rest would keep for long under
	// serverGCPercent: collect it and give the memory back now.
	tuneGC(a.logger)
	debug.FreeOSMemory()
	ln, aln := l.api, l.admission
	srv := server.NewHTTPServer(a.opts.addr, a.handler())
	a.logger.Info("listening", "addr", ln.Addr().String())
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	servers := []*http.Server{srv}
	if aln != nil {
		asrv := server.NewHTTPServer(a.opts.admissionAddr, a.admissionHandler())
		asrv.TLSConfig = a.admissionTLS
		// Failed handshakes (a caller without a client certificate) go to
		// the log, not to standard error.
		asrv.ErrorLog = slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn)
		a.logger.Info("serving admission reviews over TLS", "addr", aln.Addr().String(), "client_certificates", a.opts.admissionClientCA != "")
		if a.opts.admissionClientCA == "" {
			a.logger.Warn("the admission listener cannot tell the API server from any other caller: close its port to all but the control plane (a NetworkPolicy), or require the API server's client certificate with --admission-client-ca", "addr", aln.Addr().String())
		}
		go func() { errc <- asrv.ServeTLS(aln, "", "") }()
		servers = append(servers, asrv)
	}
	bgCtx, stopBackground := context.WithCancel(ctx)
	bgDone := make(chan struct{})
	go func() {
		defer close(bgDone)
		a.background(bgCtx)
	}()
	defer func() {
		stopBackground()
		<-bgDone
	}()

	for {
		select {
		case <-hup:
			a.reload(ctx)
		case err := <-errc:
			for _, s := range servers {
				s.Close()
			}
			return err
		case <-ctx.Done():
			a.logger.Info("shutting down")
			// Both listeners drain at once, within one deadline.
			timeout := a.opts.shutdownTimeout
			if timeout == 0 {
				timeout = defaultShutdownTimeout
			}
			shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			errs := make([]error, len(servers))
			var wg sync.WaitGroup
			for i, s := range servers {
				wg.Go(func() { errs[i] = s.Shutdown(shutdownCtx) })
			}
			wg.Wait()
			err := errors.Join(errs...)
			if err == nil {
				// The last word of a replica that stopped cleanly: its
				// log would otherwise end at "shutting down" whether it
				// drained its requests or was killed at the end of its
				// grace period.
				a.logger.Info("stopped serving: every request in flight was answered")
			}
			if errors.Is(err, context.DeadlineExceeded) {
				// What is still in flight is cut off: its callers see
				// the connection close, and a gate call's caller denies.
				for _, s := range servers {
					s.Close()
				}
				return fmt.Errorf("requests still in flight %s after the server was told to stop were cut off (--shutdown-timeout)", timeout)
			}
			return err
		}
	}
}

// notifyHUP returns a channel that receives SIGHUP.
func notifyHUP() chan os.Signal {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	return hup
}
