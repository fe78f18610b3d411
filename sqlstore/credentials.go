package sqlstore

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/andon-governance/andon"
	"github.com/jackc/pgx/v5"
)

// OpenRotating is OpenLogged for a database URL that reread gives again
// (andon serve --db-file: a mounted Secret whose password a CloudNativePG
// cluster or Vault rotates). Every new PostgreSQL connection reads it
// again and takes the user and password of the URL read, so that a
// rotated password applies to new connections without a restart. A
// connection is closed once it has been open for lifetime
// (ConnLifetime, for andon serve), when it is next idle, so that the
// connections logged in with the old credentials are all replaced within
// it, rather than kept until they fail: PostgreSQL ends no session when
// its password changes, and one whose role lost its rights fails every
// query without the connection failing. The rest of the URL is the one of
// dsn, as andon started with it: a URL read that names another engine,
// host, port or database is refused, as one that cannot be read or parsed
// is, and new connections keep the last user and password read that were
// good. Each refusal is logged to logger once, not at every connection,
// until the URL read changes again. SQLite ignores reread and lifetime:
// its file is named once.
func OpenRotating(ctx context.Context, dsn string, reread func() (string, error), lifetime time.Duration, logger *slog.Logger) (*DB, error) {
	return openWith(ctx, dsn, false, logger, &rotation{reread: reread, lifetime: lifetime})
}

// ConnLifetime is how long a PostgreSQL connection of a store opened with
// OpenRotating is used, at most, by andon serve --db-file: the longest
// the old credentials are used after the file changes. Reconnecting the
// dozen connections of a replica every few minutes costs nothing.
const ConnLifetime = 5 * time.Minute

// rotation is how OpenRotating opens PostgreSQL: reread gives the URL
// again for each new connection, used for lifetime at most.
type rotation struct {
	reread   func() (string, error)
	lifetime time.Duration
}

// credentials are the user and password of new PostgreSQL connections,
// read again from reread for each.
type credentials struct {
	reread func() (string, error)
	logger *slog.Logger
	// start is the configuration of the URL andon started with, whose
	// host, port and database a URL read must name.
	start *pgx.ConnConfig

	mu             sync.Mutex
	user, password string
	// read is the last URL read that was good, and problem the last
	// refusal logged: each is logged once.
	read, problem string
}

func newCredentials(start *pgx.ConnConfig, dsn string, reread func() (string, error), logger *slog.Logger) *credentials {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &credentials{reread: reread, logger: logger, start: start, user: start.User, password: start.Password, read: dsn}
}

// beforeConnect gives a new connection the user and password of the URL
// as it reads now, or the last good ones.
func (c *credentials) beforeConnect(_ context.Context, cfg *pgx.ConnConfig) error {
	cfg.User, cfg.Password = c.current()
	return nil
}

func (c *credentials) current() (user, password string) {
	dsn, err := c.reread()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil && dsn == c.read {
		return c.user, c.password
	}
	problem := ""
	var cfg *pgx.ConnConfig
	switch {
	case andon.ErrorCode(err) == andon.EINTERNAL:
		problem = err.Error() // a file that cannot be read, named by its error
	case err != nil:
		problem = andon.ErrorMessage(err)
	case !IsPostgres(dsn):
		problem = "the URL read names another engine than PostgreSQL, which andon started with: a change of database needs a restart"
	default:
		if cfg, err = pgx.ParseConfig(dsn); err != nil {
			problem = "the URL read is not valid: " + RedactDSN(err.Error())
		} else if cfg.Host != c.start.Host || cfg.Port != c.start.Port || cfg.Database != c.start.Database {
			problem = fmt.Sprintf("the URL read names the database %s at %s:%d, not %s at %s:%d, which andon started with: a change of database needs a restart",
				cfg.Database, cfg.Host, cfg.Port, c.start.Database, c.start.Host, c.start.Port)
		}
	}
	if problem != "" {
		if problem != c.problem {
			c.problem = problem
			c.logger.Error("the database URL read again cannot be used; new connections keep the last good one", "problem", RedactDSN(problem))
		}
		return c.user, c.password
	}
	c.read, c.problem = dsn, ""
	if cfg.User != c.user || cfg.Password != c.password {
		c.user, c.password = cfg.User, cfg.Password
		c.logger.Info("the database URL read again has new credentials: new connections use them", "user", cfg.User)
	}
	return c.user, c.password
}
