package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"
)

// The commands in this file work on the data directory directly, without
// a server, like an administrator or an auditor would.

func newTokenCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage API tokens (works on the data directory; token rotate --self asks the server)"}
	cmd.AddCommand(newTokenCreateCmd(e), newTokenListCmd(e), newTokenRotateCmd(e), newTokenRevokeCmd(e))
	return cmd
}

// storeFlags gives cmd the flags that name the store, as andon serve
// takes them: --data, --db and --db-file.
func storeFlags(cmd *cobra.Command, e *env) *serveOptions {
	o := &serveOptions{}
	f := cmd.Flags()
	f.StringVar(&o.data, "data", envOr(e, "ANDON_DATA", "./data"), "data directory (env ANDON_DATA)")
	f.StringVar(&o.db, "db", e.getenv("ANDON_DB"), "database URL, postgres://… or sqlite://PATH (default: andon.db in the data directory; env ANDON_DB)")
	f.StringVar(&o.dbFile, "db-file", e.getenv("ANDON_DB_FILE"), "file holding the database URL (env ANDON_DB_FILE)")
	redactDefault(cmd, "db")
	return o
}

func newTokenCreateCmd(e *env) *cobra.Command {
	var user, expires string
	var readOnly bool
	cmd := &cobra.Command{
		Use:   "create --data DIR --user NAME [--expires 90d] [--read-only]",
		Short: "Create an API token for a user and print it once",
		Long: `Create an API token for a user and print it once. Only its hash is stored;
the user's roles come from the catalog's Team documents, which name the user
exactly (no white space, control or format character; not andon or admin,
the names of andon's own entries in the audit log). Give the server's
--data (or --db): a data directory that does not exist is refused, and a
new database made in an empty one is reported.

With --expires the token stops authenticating after that long (90d, 12h),
at that time (RFC 3339) or at the start of that day in UTC (2027-03-01);
without it, it works until it is revoked. A token made for longer than two
weeks is warned of in the two weeks before it expires: by every command
run with it (on standard error), the web UI, token list and the metric
andon_token_expiry_timestamp_seconds.

With --read-only the token may read and never write: the server refuses it
every request but a read (the gate included), and the board opened with it
offers no action. Give one to an auditor, a wall screen or the job that
archives the signed checkpoints.`,
		Example: `  andon token create --data ./data --user alice
  andon token create --data ./data --user ci-lyon --expires 90d
  andon token create --data ./data --user auditor-kpmg --read-only --expires 30d`,
		Args: cobra.NoArgs,
	}
	o := storeFlags(cmd, e)
	cmd.Flags().StringVar(&user, "user", "", "user the token authenticates as")
	cmd.MarkFlagRequired("user")
	cmd.Flags().StringVar(&expires, "expires", "", "when the token stops working: after a duration (90d, 12h), at an RFC 3339 time, or on a date, at midnight UTC (default: never)")
	cmd.Flags().BoolVar(&readOnly, "read-only", false, "the token may read and never write (an auditor's, a wall screen's, an archiver's)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		// Checked before the store is opened, which may create it; a
		// --user left out is cobra's to report, as a missing flag.
		if err := andon.CheckUserName(user); err != nil {
			return andon.Errorf(andon.EINVALID, "--user: %s", andon.ErrorMessage(err))
		}
		expiresAt, err := parseExpiry(expires, time.Now())
		if err != nil {
			return err
		}
		fresh, err := newStoreFor(o)
		if err != nil {
			return err
		}
		_, keyErr := os.Stat(auditlog.KeyPath(o.data))
		store, err := openSignedStore(e.ctx, o, nil)
		if err != nil {
			return err
		}
		defer store.Close()
		create := sqlstore.NewTokenService(store).CreateToken
		if readOnly {
			create = sqlstore.NewTokenService(store).CreateReadOnlyToken
		}
		token, err := create(e.ctx, user, expiresAt)
		if err != nil {
			return store.DiskError(err)
		}
		if fresh != "" {
			made := "a new one was made"
			if errors.Is(keyErr, fs.ErrNotExist) {
				made += ", with a new audit signing key in " + o.data
			}
			fmt.Fprintf(e.stderr, "andon: warning: there was no andon database at %s; %s. The token works only for a server that uses it: start andon serve with the same --data (or --db).\n", fresh, made)
		}
		if warning := unknownUser(e.ctx, store, user); warning != "" {
			fmt.Fprintln(e.stderr, warning)
		}
		out := map[string]any{"user": user, "token": token}
		if !expiresAt.IsZero() {
			out["expiresAt"] = expiresAt.UTC().Format(time.RFC3339)
			fmt.Fprintf(e.stderr, "the token expires at %s\n", fmtSecond(expiresAt))
		}
		if readOnly {
			out["readOnly"] = true
			fmt.Fprintln(e.stderr, "the token is read-only: it may read and never write")
		}
		return e.print(cmd, out, func(w io.Writer) {
			fmt.Fprintln(w, token)
		})
	}
	return cmd
}

// parseExpiry reads token create's --expires: a duration from now (90d,
// 12h), an RFC 3339 time, or a date, which means its midnight UTC. Empty
// is the zero time: never. An expiry is kept to the whole second, rounded
// up, as it is shown and as the server names it.
func parseExpiry(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if strings.HasPrefix(v, "-") {
		return time.Time{}, andon.Errorf(andon.EINVALID, "--expires %q: give a lifetime (90d, 12h) or a time to come, not a negative duration", v)
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t, err = time.Parse(time.DateOnly, v)
	}
	if err != nil {
		if err := zoneless("expires", v); err != nil {
			return time.Time{}, err
		}
		d, err := andon.ParseDuration(v)
		if days, ok := strings.CutSuffix(v, "d"); err != nil && ok && days != "" && strings.Trim(days, "0123456789") == "" {
			return time.Time{}, andon.Errorf(andon.EINVALID, "--expires %q: longer than andon counts; leave --expires out for a token that works until it is revoked", v)
		} else if err != nil {
			return time.Time{}, andon.Errorf(andon.EINVALID, "--expires %q: want a duration such as 90d or 12h, an RFC 3339 time such as 2027-03-01T00:00:00Z, or a date such as 2027-03-01", v)
		}
		if d == 0 {
			return time.Time{}, andon.Errorf(andon.EINVALID, "--expires %q: a token must live longer than that", v)
		}
		t = now.Add(d)
	}
	if whole := t.Truncate(time.Second); whole.Before(t) {
		t = whole.Add(time.Second)
	}
	if !t.After(now) {
		return time.Time{}, andon.Errorf(andon.EINVALID, "--expires %q: that time has passed", v)
	}
	if err := andon.CheckTime("--expires", t); err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// fmtSecond formats a token's times for people, to the second: a
// short-lived token's expiry may fall within the minute it was made.
func fmtSecond(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z07:00") }

func newTokenListCmd(e *env) *cobra.Command {
	var user string
	var scopes []string
	cmd := &cobra.Command{
		Use:   "list --data DIR [--user NAME] [--scope api|feed|session]",
		Short: "List the tokens issued: ID, user, scope, creation and expiry times, access, never the token",
		Long: `List the tokens issued: ID, user, scope, creation and expiry times, never
the token itself. Without --scope it lists the API tokens and the calendar
feed tokens, and counts the board's sessions rather than listing them:
every sign-in to the board opens one, and a plant where many people sign
in every shift has hundreds. --scope session lists them, with those that
expired in the last week (the leading server deletes them after that);
--scope takes api, feed and session, several separated by commas or
given again.

The column ACCESS says read-only for a token made with --read-only and the
sessions opened with it, read-write for the other API tokens and sessions,
and feed for a calendar feed token, which opens only the calendar feeds.

-o json prints {"tokens": [...], "sessions": {"open": N, "expired": M}}:
the tokens listed, each with id, user, scope, createdAt, readOnly and, when
it has one, expiresAt (and rotatedTo, the ID of the token that replaced a
token rotated, in its overlap), and the count of the sessions (of --user,
when given) whatever --scope lists. The EXPIRES column marks a token
rotated "(rotated to ID)".`,
		Example: `  andon token list --data ./data
  andon token list --data ./data --scope session --user alice
  andon token list --data ./data --scope api,feed,session -o json`,
		Args: cobra.NoArgs,
	}
	o := storeFlags(cmd, e)
	cmd.Flags().StringVar(&user, "user", "", "only the tokens of this user")
	cmd.Flags().StringSliceVar(&scopes, "scope", nil, "only the tokens of these scopes: api, feed, session (default api,feed; sessions are counted)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		for i, scope := range scopes {
			scopes[i] = strings.TrimSpace(scope)
			if !slices.Contains(tokenScopes, scopes[i]) {
				return andon.Errorf(andon.EINVALID, "--scope %q: want %s", scope, strings.Join(tokenScopes, ", "))
			}
		}
		if len(scopes) == 0 {
			scopes = []string{"api", "feed"}
		}
		store, err := o.openReadOnly(e.ctx)
		if err != nil {
			return err
		}
		defer store.Close()
		// Read-only, the store is not migrated: one that a server of an
		// older andon still runs lacks what the listing reads.
		if missing, err := store.Unmigrated(e.ctx); err != nil {
			return err
		} else if len(missing) > 0 {
			return andon.Errorf(andon.EINVALID, "%s: the store is not migrated to this andon %s yet (it lacks %s): list its tokens with the andon its server runs, or start andon serve of this version on it once", o.where(), andon.Version, strings.Join(missing, ", "))
		}
		service := sqlstore.NewTokenService(store)
		tokens, err := service.ListTokens(e.ctx, user, scopes...)
		if err != nil {
			return err
		}
		if tokens == nil {
			tokens = []andon.TokenInfo{}
		}
		sessions, err := service.CountSessions(e.ctx, user)
		if err != nil {
			return err
		}
		if human(cmd) {
			// As every listing does: notes for people on standard error,
			// and nothing on standard output that a script would read
			// as a token.
			if !slices.Contains(scopes, "session") && sessions != (andon.SessionCount{}) {
				defer fmt.Fprintln(e.stderr, sessionSummary(sessions))
			}
			if len(tokens) == 0 {
				fmt.Fprintln(e.stderr, "no tokens")
				return nil
			}
		}
		// An object, as every listing prints, so that a field can be
		// added beside the list without breaking its readers.
		out := struct {
			Tokens   []andon.TokenInfo  `json:"tokens"`
			Sessions andon.SessionCount `json:"sessions"`
		}{tokens, sessions}
		return e.print(cmd, out, func(w io.Writer) { writeTokens(w, tokens, time.Now()) })
	}
	return cmd
}

// tokenScopes are the scopes token list --scope takes.
var tokenScopes = []string{"api", "feed", "session"}

// sessionSummary says how many sessions of the board a listing that left
// them out did not show, and how to list them.
func sessionSummary(c andon.SessionCount) string {
	plural := func(n int, what string) string {
		if n == 1 {
			return "1 " + what
		}
		return fmt.Sprintf("%d %ss", n, what)
	}
	msg := plural(c.Open, "board session") + " open"
	if c.Expired > 0 {
		msg += fmt.Sprintf(", %d expired", c.Expired)
	}
	return msg + ", not listed: --scope session lists them"
}

func newTokenRevokeCmd(e *env) *cobra.Command {
	var user string
	var expired bool
	cmd := &cobra.Command{
		Use: "revoke --data DIR (ID | TOKEN | --user NAME | --expired)",
		Example: `  andon token revoke --data ./data 2a21b1d45b76     # an ID from andon token list
  andon token revoke --data ./data --user alice      # every token of a user who left
  andon token revoke --data ./data --expired`,
		Short: "Revoke a token, by its ID or the token itself, every token of a user, or the expired ones",
		Long: `Revoke a token: by the ID andon token list shows, by the token itself (one
that leaked), every token of a user with --user, or every token that has
expired with --expired. The calendar feed tokens asked for with an API
token, and the board's sessions signed in with it, are revoked with it;
--user ends the user's board sessions too. Each revocation is recorded in
the audit log as token.revoked, with the token's ID. A running server
stops accepting an API or feed token within 10 seconds (it remembers
tokens it has just checked for that long), and a session at once; an
expired token it refuses already.`,
		Args: cobra.MaximumNArgs(1),
	}
	o := storeFlags(cmd, e)
	cmd.Flags().StringVar(&user, "user", "", "revoke every token of this user")
	cmd.Flags().BoolVar(&expired, "expired", false, "revoke every token that has expired")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ref := ""
		if len(args) == 1 {
			ref = strings.TrimSpace(args[0])
		}
		switch {
		case expired && (ref != "" || user != ""):
			return &usageError{cmd: cmd, err: errors.New("--expired revokes every expired token: give no token and no --user with it")}
		case ref == "" && user == "" && !expired:
			return &usageError{cmd: cmd, err: errors.New("missing the token: give its ID (andon token list), the token itself, --user NAME or --expired")}
		}
		fresh, err := newStoreFor(o)
		if err != nil {
			return err
		}
		if fresh != "" {
			return andon.Errorf(andon.EINVALID, "%s: no andon database at %s: give the data directory (or --db) of the server the token is for", o.where(), fresh)
		}
		store, err := openSignedStore(e.ctx, o, nil)
		if err != nil {
			return err
		}
		defer store.Close()
		tokens := sqlstore.NewTokenService(store)
		var revoked []andon.TokenInfo
		if expired {
			revoked, err = tokens.RevokeExpiredTokens(e.ctx)
		} else {
			revoked, err = tokens.RevokeTokens(e.ctx, ref, user)
		}
		if err != nil {
			return store.DiskError(err)
		}
		if revoked == nil {
			revoked = []andon.TokenInfo{}
		}
		out := struct {
			Revoked []andon.TokenInfo `json:"revoked"`
		}{revoked}
		return e.print(cmd, out, func(w io.Writer) {
			if len(revoked) == 0 {
				fmt.Fprintln(w, "no expired token to revoke")
			}
			for _, t := range revoked {
				fmt.Fprintf(w, "revoked token %s (%s, %s, created %s)\n", t.ID, t.User, t.Scope, fmtSecond(t.CreatedAt))
			}
		})
	}
	return cmd
}

func newTokenRotateCmd(e *env) *cobra.Command {
	var overlap, expires string
	var self bool
	cmd := &cobra.Command{
		Use:   "rotate (--data DIR (ID | TOKEN) [--expires 90d] | --self) [--overlap 24h]",
		Short: "Issue a new API token in place of another, which goes on working for an overlap",
		Long: `Issue a new API token in place of another and print it once: for the same
user, read-only if the old one is, and made to live as long as the old one
was (from now; a token that never expires rotates into one that never
expires), unless --expires says otherwise. The old token goes on working
for --overlap (24h by default, at most 30d; never longer than it would
have), time to put the new one where the pipelines read it and for the
runs in flight to end; --overlap 0 revokes it at once. The calendar feed
tokens and the board's sessions asked for with the old token end with it:
they are not handed to the new one. A feed or session token, and one that
has expired, do not rotate.

Give the old token by the ID andon token list shows, or the token itself,
with the server's --data (or --db, --db-file), as the other token
commands take them.

With --self, a pipeline rotates its own token through the server
(--server or ANDON_SERVER, the token in ANDON_TOKEN): no administrator and
no access to the database. The new token's lifetime is the old one's:
--expires is refused with --self.

The rotation is recorded in the audit log as token.rotated, with both
IDs. -o json prints {"token", "id", "user", "expiresAt", "readOnly",
"oldId", "oldExpiresAt"}, with "oldRevoked": true for --overlap 0, and
"earlierId" for a token rotated already: the token that replaced it
then, which goes on working, and is to be revoked unless it is in use.`,
		Example: `  andon token rotate --data ./data 2a21b1d45b76
  andon token rotate --data ./data 2a21b1d45b76 --overlap 0 --expires 90d
  ANDON_TOKEN=$OLD andon token rotate --self --overlap 2h -o json`,
		Args: cobra.MaximumNArgs(1),
	}
	o := storeFlags(cmd, e)
	cmd.Flags().StringVar(&overlap, "overlap", "24h", "how long the old token goes on working: a duration (24h, 2d), at most 30d, or 0 to revoke it at once")
	cmd.Flags().StringVar(&expires, "expires", "", "when the new token stops working: after a duration (90d, 12h), at an RFC 3339 time, or on a date, at midnight UTC (default: as long as the old one was made to live)")
	cmd.Flags().BoolVar(&self, "self", false, "rotate the token of ANDON_TOKEN through the server (--server or ANDON_SERVER)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		// Checked before anything is written: the new token is shown
		// once, and an output that cannot be printed would lose it.
		if _, err := checkOutput(cmd); err != nil {
			return err
		}
		d, err := andon.ParseTokenOverlap(overlap)
		if err != nil {
			return andon.Errorf(andon.EINVALID, "--overlap %s", andon.ErrorMessage(err))
		}
		var rotated *andon.RotatedToken
		if self {
			rotated, err = rotateSelf(cmd, e, args, overlap)
		} else {
			rotated, err = rotateOffline(cmd, e, o, args, d, expires)
		}
		if err != nil {
			return err
		}
		if rotated.ExpiresAt != nil {
			fmt.Fprintf(e.stderr, "the new token expires at %s\n", fmtSecond(*rotated.ExpiresAt))
		}
		if rotated.ReadOnly {
			fmt.Fprintln(e.stderr, "the new token is read-only: it may read and never write")
		}
		if rotated.EarlierID != "" {
			fmt.Fprintf(e.stderr, "token %s had been rotated already, to token %s, which goes on working: revoke it (andon token revoke %s) unless it is in use\n", rotated.OldID, rotated.EarlierID, rotated.EarlierID)
		}
		if rotated.OldRevoked {
			fmt.Fprintf(e.stderr, "token %s is revoked, with the feed tokens and board sessions asked for with it\n", rotated.OldID)
		} else {
			fmt.Fprintf(e.stderr, "token %s goes on working until %s, then stops, with the feed tokens and board sessions asked for with it\n", rotated.OldID, fmtSecond(rotated.OldExpiresAt))
		}
		return e.print(cmd, rotated, func(w io.Writer) {
			fmt.Fprintln(w, rotated.Token)
		})
	}
	return cmd
}

// rotateSelf rotates the token of the client through the server: token
// rotate --self.
func rotateSelf(cmd *cobra.Command, e *env, args []string, overlap string) (*andon.RotatedToken, error) {
	switch {
	case len(args) > 0:
		return nil, &usageError{cmd: cmd, err: errors.New("--self rotates the token of ANDON_TOKEN (or --token): give no other token with it")}
	case cmd.Flags().Changed("expires"):
		return nil, &usageError{cmd: cmd, err: errors.New("--expires and --self: a token rotating itself keeps the lifetime it was made with; an administrator gives another with andon token rotate --data DIR ID --expires")}
	}
	for _, name := range []string{"data", "db", "db-file"} {
		if cmd.Flags().Changed(name) {
			return nil, &usageError{cmd: cmd, err: fmt.Errorf("--%s and --self: give one: --self asks the server (--server or ANDON_SERVER) with its token; --%s rotates a token in the store, by its ID", name, name)}
		}
	}
	e.replacingToken = true
	c, err := e.remote(cmd)
	if err != nil {
		return nil, err
	}
	if e.noToken {
		return nil, andon.Errorf(andon.EINVALID, "--self rotates the token the command is run with: set ANDON_TOKEN (or --token)")
	}
	if !cmd.Flags().Changed("overlap") {
		overlap = ""
	}
	return c.RotateToken(cmd.Context(), overlap)
}

// rotateOffline rotates the token args name in the store o names.
func rotateOffline(cmd *cobra.Command, e *env, o *serveOptions, args []string, overlap time.Duration, expires string) (*andon.RotatedToken, error) {
	for _, name := range []string{"server", "token"} {
		if cmd.Flags().Changed(name) {
			return nil, &usageError{cmd: cmd, err: fmt.Errorf("--%s asks a server: give --self to rotate the token of ANDON_TOKEN through it, or the ID of the token to rotate with --data", name)}
		}
	}
	if len(args) == 0 || strings.TrimSpace(args[0]) == "" {
		return nil, &usageError{cmd: cmd, err: errors.New("missing the token: give its ID (andon token list) or the token itself, or --self")}
	}
	expiresAt, err := parseExpiry(expires, time.Now())
	if err != nil {
		return nil, err
	}
	fresh, err := newStoreFor(o)
	if err != nil {
		return nil, err
	}
	if fresh != "" {
		return nil, andon.Errorf(andon.EINVALID, "%s: no andon database at %s: give the data directory (or --db) of the server the token is for", o.where(), fresh)
	}
	store, err := openSignedStore(e.ctx, o, nil)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	rotated, err := sqlstore.NewTokenService(store).RotateToken(e.ctx, args[0], overlap, expiresAt)
	if err != nil {
		return nil, store.DiskError(err)
	}
	return &rotated, nil
}

// writeTokens prints tokens as a table, marking those expired at now.
func writeTokens(w io.Writer, tokens []andon.TokenInfo, now time.Time) {
	fmt.Fprintln(w, "ID\tUSER\tSCOPE\tCREATED\tEXPIRES\tACCESS")
	for _, t := range tokens {
		expires := "never"
		if t.ExpiresAt != nil {
			expires = fmtSecond(*t.ExpiresAt)
			switch {
			case !now.Before(*t.ExpiresAt):
				expires += " (expired)"
			case t.RotatedTo != "":
				// Replaced already: it ends the overlap.
				expires += " (rotated to " + t.RotatedTo + ")"
			case andon.Bearer{CreatedAt: t.CreatedAt, ExpiresAt: *t.ExpiresAt}.ExpiresSoon(now):
				// Its holder is being warned: time to issue the next one.
				expires += " (in " + roughly(t.ExpiresAt.Sub(now)) + ")"
			}
		}
		access := "read-write"
		switch {
		case t.Scope == "feed":
			access = "feed"
		case t.ReadOnly:
			access = "read-only"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.User, t.Scope, fmtSecond(t.CreatedAt), expires, access)
	}
}

// openReadOnly opens the store o names to read it, without migrating or
// writing it; a SQLite database that does not exist is refused.
func (o *serveOptions) openReadOnly(ctx context.Context) (*sqlstore.DB, error) {
	dsn, err := o.dsn()
	if err != nil {
		return nil, err
	}
	db, err := sqlstore.OpenReadOnly(ctx, dsn)
	if andon.ErrorCode(err) == andon.ENOTFOUND {
		return nil, andon.Errorf(andon.ENOTFOUND, "%s: %s", o.where(), andon.ErrorMessage(err))
	}
	return db, err
}

// where names the flag that chose the store, for messages.
func (o *serveOptions) where() string {
	switch {
	case o.db != "":
		return "--db"
	case o.dbFile != "":
		return "--db-file " + o.dbFile
	}
	return "--data " + o.data
}

// newStoreFor checks the embedded SQLite database that o names before an
// admin command writes to it: a token is for a server's store, so a
// mistyped --data must not quietly make a second store, with its own
// signing key, that no server reads. A database whose directory does not
// exist is refused; one missing from an existing directory (tokens made
// before a server's first start), or an empty file there, is returned,
// for the caller to report or refuse. (Another program's database is
// refused by sqlstore.Open.)
func newStoreFor(o *serveOptions) (string, error) {
	dsn, err := o.dsn()
	if err != nil || sqlstore.IsPostgres(dsn) {
		return "", err
	}
	path, err := sqlstore.SQLitePath(dsn)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() == 0 {
		return path, nil // SQLite takes an empty file for a new database
	} else if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return "", nil // there, or an error that opening will report
	}
	if _, err := os.Stat(filepath.Dir(path)); errors.Is(err, fs.ErrNotExist) {
		return "", andon.Errorf(andon.EINVALID, "%s: no andon database at %s, and no directory %s: give the data directory (or --db) of the server the token is for",
			o.where(), path, filepath.Dir(path))
	}
	return path, nil
}

// unknownUser warns when the catalog in force in store names no such user:
// a token for a mistyped name authenticates, but grants no role. It says
// nothing when no server has published a catalog there yet.
func unknownUser(ctx context.Context, store *sqlstore.DB, user string) string {
	snap, err := publishedSnapshot(ctx, store)
	if err != nil || slices.Contains(snap.Catalog.Users(), user) {
		return ""
	}
	return fmt.Sprintf("andon: warning: no team of the catalog in force (%s) has %s as a member: the token authenticates, but grants no role until a Team document names %s", snap.Revision, user, user)
}

func newAuditCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read and verify the audit log"}
	var key string
	var savedFiles []string
	var accepted []int64
	var o *serveOptions // the store's flags, set below
	verify := &cobra.Command{
		Use:   "verify --data DIR",
		Short: "Verify the audit log offline: recompute the tree and check the signed checkpoint",
		Long: `Verify the audit log offline, with the server stopped or running: read every
entry from the store, recompute the RFC 6962 Merkle tree, compare it with the
stored hashes and check the signed checkpoint with the verifier key. Exits 1
and names the first bad entry when anything was altered, removed or reordered.

--checkpoint names a checkpoint saved earlier (andon audit checkpoint -o json,
a proof of andon audit proof -o json, which must hold, the checkpoint of an
export of andon audit export, or the bare signed note): the log must still
hold its entries under the root it signed. A log
restored from an older backup, or rewritten with the signing key, verifies on
its own; only a checkpoint saved before shows it, even once the log has grown
past it again. On SQLite, the log is also checked against the checkpoint andon
signed last, which it keeps beside the database (andon.db-checkpoint): a log
that lost its write-ahead log (andon.db-wal) after a crash verifies on its own.

A saved checkpoint that the log no longer holds because it was restored
to an earlier point, as an entry of andon audit record-rollback records
(signed with the audit key), fails the verification too until it is
accepted by that entry's index with --accept-rollback: whoever holds the
key can record a rollback, so only a person who checked the entry's reason
against the incident or change record should let it through.`,
		Example: `  andon audit verify --data ./data
  # With PostgreSQL, and the auditors' own copy of the verifier key:
  andon audit verify --db postgres://auditor@db:5432/andon --key ./audit.pub -o json
  # Against the checkpoints saved on a schedule:
  andon audit verify --data ./data --key ./audit.pub --checkpoint checkpoints/20261126T1000Z.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, _, v, err := auditKey(key, o)
			if err != nil {
				return err
			}
			var saved []*andon.Checkpoint
			for _, f := range savedFiles {
				c, err := readSavedCheckpoint(f, v)
				if err != nil {
					return err
				}
				saved = append(saved, c)
			}
			store, err := o.openReadOnly(e.ctx)
			if err != nil {
				return err
			}
			defer store.Close()
			report, err := auditlog.Verify(e.ctx, store, v, saved...)
			if err != nil {
				return err
			}
			// A log that verifies may still have lost what the last
			// checkpoint signed beside a SQLite database covers.
			if report.OK {
				var lost *sqlstore.LostEntriesError
				var bad *sqlstore.BadLastSignedError
				if err := store.CheckLastSigned(e.ctx, v); errors.As(err, &lost) {
					report.OK, report.FirstBad, report.Problem = false, lost.FirstLost(), andon.ErrorMessage(err)
				} else if errors.As(err, &bad) {
					// Not a file to move away, as a server's start says:
					// evidence that the data directory was tampered with.
					report.OK, report.FirstBad, report.Problem = false, -1, bad.Problem()
				} else if err != nil {
					return err
				}
			}
			if report.OK {
				for _, rb := range report.RolledBack {
					if !slices.Contains(accepted, rb.Entry) {
						report.OK, report.FirstBad = false, rb.Entry
						report.Problem = fmt.Sprintf("the log no longer holds the saved checkpoint of %s, root %s: entry %d records that it was restored to an earlier point (%s); check that against the incident or change record, and accept it with --accept-rollback %d",
							count(rb.Size, "entry"), rb.RootHash, rb.Entry, rb.Reason, rb.Entry)
						break
					}
				}
			}
			// The key is part of the finding: an auditor's own copy, or
			// the data directory's.
			out := struct {
				*auditlog.Report
				VerifierKey string `json:"verifierKey"`
			}{report, key}
			err = e.print(cmd, out, func(w io.Writer) {
				if !report.OK {
					fmt.Fprintf(w, "audit log FAILED verification: %s (verifier key %s)\n", report.Problem, key)
					return
				}
				if report.Entries == 0 {
					fmt.Fprintf(w, "audit log OK: no entries yet\n")
					return
				}
				fmt.Fprintf(w, "audit log OK: %s, root %s, signed checkpoint of %s verified with %s\n",
					count(report.Entries, "entry"), report.Root, count(report.CheckpointSize, "entry"), key)
				if n := report.Saved - len(report.RolledBack); n > 0 {
					fmt.Fprintf(w, "the log extends the %s given\n", count(int64(n), "saved checkpoint"))
				}
				for _, rb := range report.RolledBack {
					fmt.Fprintf(w, "rolled back, accepted: the log no longer holds the saved checkpoint of %s, root %s, as entry %d records: %s\n", count(rb.Size, "entry"), rb.RootHash, rb.Entry, rb.Reason)
				}
				if report.Unsigned > 0 {
					were := "were"
					if report.Unsigned == 1 {
						were = "was"
					}
					fmt.Fprintf(w, "note: %s %s written while the log was read; a checkpoint signed since covers them\n", count(report.Unsigned, "entry"), were)
				}
			})
			if err != nil {
				return err
			}
			if !report.OK {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	o = storeFlags(verify, e)
	verify.Flags().StringVar(&key, "key", "", "verifier key file (default: audit.pub in the data directory); give an auditor's own copy to not trust the data directory")
	verify.Flags().StringArrayVar(&savedFiles, "checkpoint", nil, "a checkpoint saved earlier (andon audit checkpoint -o json, or a proof or an export holding one) that the log must still extend; repeatable")
	verify.Flags().Int64SliceVar(&accepted, "accept-rollback", nil, "the index of an audit.rolled_back entry whose rollback you checked and accept: the saved checkpoints it names no longer fail the verification; repeatable")
	cmd.AddCommand(verify, newVerifyExportCmd(e), newKeygenCmd(e), newRecordRollbackCmd(e))
	return cmd
}

// pathReason returns what went wrong with a file of err, without the
// operation and the path that os adds (mkdir ./keys: not a directory),
// for a message that names the path and the flag itself.
func pathReason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// keygenRefused refuses to make a key in dir when it holds one already,
// or the verifier key of one: a new key beside it would not match it (and
// left there, would make every later keygen and start fail on the pair),
// and the auditors' copy of it would verify nothing the new key signs. A
// directory whose key file was deleted, once it was put in a Secret and
// its backup, as docs/operations.md asks, still holds audit.pub.
func keygenRefused(dir string) error {
	const instead = "or give --data an empty directory to make the key of a new, empty database"
	key, pub := auditlog.KeyPath(dir), auditlog.PubPath(dir)
	if _, err := os.Stat(key); err == nil {
		return andon.Errorf(andon.ECONFLICT, "%s already exists, and a signing key is never replaced: the log it signed could no longer be verified with a new one. Give the servers that key as it is, %s", key, instead)
	}
	if _, err := os.Stat(pub); err == nil {
		return andon.Errorf(andon.ECONFLICT, "%s already exists, without its signing key %s: a new key would not match it, nor sign what the auditors' copy of it verifies. Give the servers the key it belongs to, from its Secret or its backup, %s", pub, key, instead)
	}
	return nil
}

// readSavedCheckpoint reads a checkpoint saved outside the log from file:
// the JSON of andon audit checkpoint -o json, the JSON of a proof (andon
// audit proof -o json), which must hold, and whose checkpoint it takes, the
// JSON of an export (andon audit export), whose checkpoint it takes, or the
// signed note itself, as the API's note field holds it. The note must
// verify with v.
func readSavedCheckpoint(file string, v note.Verifier) (*andon.Checkpoint, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, andon.Errorf(andon.EINVALID, "--checkpoint %s: %v", file, err)
	}
	signed := data
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		var doc struct {
			Note string `json:"note"`
			andon.Proof
		}
		if err := json.Unmarshal(trimmed, &doc); err != nil {
			return nil, andon.Errorf(andon.EINVALID, "--checkpoint %s: not a saved checkpoint: %v", file, err)
		}
		if doc.Note == "" && doc.Record != nil {
			// A proof vouches for its record only if it holds: a saved
			// proof that was altered is no evidence of the entry.
			if err := auditlog.CheckProof(&doc.Proof, v); err != nil {
				return nil, andon.Errorf(andon.EINVALID, "--checkpoint %s: %s", file, andon.ErrorMessage(err))
			}
		}
		signed = []byte(cmp.Or(doc.Note, doc.Checkpoint.Note))
		if len(signed) == 0 {
			return nil, andon.Errorf(andon.EINVALID, "--checkpoint %s: no \"note\" field: give the output of andon audit checkpoint -o json", file)
		}
	}
	// A note ends with one newline; a file saved by hand (jq -r .note)
	// may carry another.
	signed = append(bytes.TrimRight(signed, "\n"), '\n')
	c, err := auditlog.OpenCheckpoint(signed, v)
	if err != nil {
		return nil, andon.Errorf(andon.EINVALID, "--checkpoint %s: %s", file, andon.ErrorMessage(err))
	}
	return c, nil
}

// newKeygenCmd returns andon audit keygen, which makes the checkpoint
// signing key that every replica sharing a PostgreSQL database uses.
func newKeygenCmd(e *env) *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "keygen --data DIR",
		Short: "Create the audit log's signing key (audit.key) and verifier key (audit.pub) in a directory",
		Long: `Create the Ed25519 key that signs the audit log's checkpoints, and its
verifier key, in a directory. With SQLite the server makes them on first
start; with PostgreSQL every replica must sign with the same key, so it is
made once with this command and given to every replica, for example as a
Kubernetes Secret. Give audit.pub to auditors.

A directory that already holds audit.key, or audit.pub without its key
(deleted once it was in a Secret), is refused with exit code 1, as a
conflict with what exists: a key is never replaced, since the log it signed
could no longer be verified with a new one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := keygenRefused(data); err != nil {
				return err
			}
			if fi, err := os.Stat(data); err == nil && !fi.IsDir() {
				return andon.Errorf(andon.EINVALID, "--data %s: a file, not a directory: give the directory to make audit.key and audit.pub in", data)
			}
			if err := os.MkdirAll(data, 0o700); err != nil {
				return andon.Errorf(andon.EINVALID, "--data %s: cannot make the directory for the keys: %v", data, pathReason(err))
			}
			signer, err := auditlog.LoadOrCreateKey(data, "andon")
			var ae *andon.Error
			if err != nil && !errors.As(err, &ae) {
				return andon.Errorf(andon.EINVALID, "--data %s: cannot write the keys: %v", data, pathReason(err))
			} else if err != nil {
				return err
			}
			out := map[string]string{"key": auditlog.KeyPath(data), "verifier": auditlog.PubPath(data), "verifierKey": signer.VerifierKey()}
			return e.print(cmd, out, func(w io.Writer) {
				fmt.Fprintf(w, "signing key:  %s (secret: give it to the servers only)\nverifier key: %s\n%s\n", out["key"], out["verifier"], out["verifierKey"])
			})
		},
	}
	cmd.Flags().StringVar(&data, "data", envOr(e, "ANDON_DATA", "./data"), "directory to create the keys in (env ANDON_DATA)")
	return cmd
}
