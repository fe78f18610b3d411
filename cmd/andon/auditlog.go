package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/mod/sumdb/note"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/sqlstore"
)

// addAuditClientCmds adds the subcommands of `andon audit` that read the
// audit log through a server. The parent also holds `audit verify`, which
// works offline on the data directory and is built elsewhere.
func addAuditClientCmds(audit *cobra.Command, e *env) {
	audit.AddCommand(newAuditCheckpointCmd(e), newAuditEntriesCmd(e), newAuditProofCmd(e), newAuditExportCmd(e))
}

func newAuditCheckpointCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "checkpoint",
		Short: "Show the latest signed checkpoint of the audit log",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			cp, err := c.Checkpoint(cmd.Context())
			if err != nil {
				return err
			}
			return e.print(cmd, cp, func(w io.Writer) { writeCheckpoint(w, cp) })
		},
	}
}

// defaultAuditLimit is how many audit entries the server lists when it is
// not told (docs/api.md).
const defaultAuditLimit = 100

func newAuditEntriesCmd(e *env) *cobra.Command {
	var filter andon.AuditFilter
	var o *serveOptions // the store's flags, set below
	cmd := &cobra.Command{
		Use:   "entries [--data DIR | --db URL] [--change ID] [--process P] [--type T] [--subject S] [--actor A] [--since T] [--until T] [--after N] [--limit N]",
		Short: "List audit log entries, through a server or offline from a copy of its store",
		Long: `List the audit entries matching the filters, in index order, from a server
(--server or ANDON_SERVER, with a token), or offline (--data, --db or --db-file,
as andon audit verify takes them) from the store itself, with no server and no
token: a copy of a data directory, or a PostgreSQL database restored from a
dump, handed to an auditor. Offline, the store is read without writing a byte
of it: a copy stays what was handed over. The filters, the defaults (100
entries, at most 1000) and the output are the same either way.

--process is looked up in the catalog, the server's or the one in force in
the store read: a process it does not hold that selects no entry is refused
(most likely misspelt), naming the closest of its processes; one it no
longer holds is read, with a note on standard error.`,
		Example: `  andon audit entries --change CHG-2
  # Offline, from a copy of a server's data directory:
  andon audit entries --data ./copy --change CHG-2
  andon audit entries --db postgres://auditor@db:5432/andon --type change.approved -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := auditFlags(cmd, &filter); err != nil {
				return err
			}
			var entries []*andon.Entry
			// catalog reads the catalog --process is looked up in: the
			// server's, or the one in force in the store read offline;
			// nil when there is none.
			var catalog func() *andon.Catalog
			if local, err := offline(cmd); err != nil {
				return err
			} else if local {
				if err := checkAuditFilter(&filter, defaultAuditLimit); err != nil {
					return err
				}
				store, err := openAuditStore(e, cmd, o, filter)
				if err != nil {
					return err
				}
				defer store.Close()
				if entries, err = sqlstore.NewAuditReader(store, "").FindEntries(e.ctx, filter); err != nil {
					return err
				}
				catalog = func() *andon.Catalog { return storeCatalog(e.ctx, store) }
			} else {
				c, err := e.remote(cmd)
				if err != nil {
					return err
				}
				if entries, err = c.Entries(cmd.Context(), filter); err != nil {
					return err
				}
				catalog = func() *andon.Catalog {
					cat, err := c.Catalog(cmd.Context())
					if err != nil {
						return nil
					}
					return cat
				}
			}
			if filter.Process != "" {
				if err := checkProcess(e, filter.Process, catalog(), len(entries), "entry"); err != nil {
					return err
				}
			}
			if entries == nil {
				entries = []*andon.Entry{}
			}
			if human(cmd) && len(entries) == 0 {
				fmt.Fprintln(e.stderr, "no entries")
				return nil
			}
			// A full page may be followed by more, which the listing, oldest
			// first, would otherwise hide: the newest entries.
			limit := filter.Limit
			if limit == 0 {
				limit = defaultAuditLimit
			}
			if human(cmd) && len(entries) >= limit {
				defer fmt.Fprintf(e.stderr, "%d entries; there may be more: --after %d for the next ones\n", len(entries), entries[len(entries)-1].Index)
			}
			out := struct {
				Entries []*andon.Entry `json:"entries"`
			}{entries}
			return e.print(cmd, out, func(w io.Writer) { writeEntries(w, entries) })
		},
	}
	auditFilterFlags(cmd, e, &filter)
	cmd.Flags().IntVar(&filter.Limit, "limit", 0, "at most this many entries (default 100, at most 1000)")
	o = auditStoreFlags(cmd, e)
	cmd.PreRunE = refuseZeroLimit
	return cmd
}

// maxAuditLimit is the most audit entries a listing or an export holds
// (docs/api.md).
const maxAuditLimit = 1000

// auditStoreFlags gives andon audit entries and export the flags of andon
// audit verify that name a store (--data, --db, --db-file), which they read
// offline when one is given on the command line.
func auditStoreFlags(cmd *cobra.Command, e *env) *serveOptions {
	o := storeFlags(cmd, e)
	f := cmd.Flags()
	f.Lookup("data").Usage = "data directory to read offline, with no server (env ANDON_DATA)"
	f.Lookup("db").Usage = "database to read offline, with no server: postgres://… or sqlite://PATH (default: andon.db in the data directory; env ANDON_DB)"
	f.Lookup("db-file").Usage = "file holding the URL of the database to read offline (env ANDON_DB_FILE)"
	return o
}

// offline reports whether cmd reads a store itself, given --data, --db or
// --db-file on its command line, rather than asking a server. (The
// variables that give those flags their defaults, which a server's own
// machine may set, do not make a command read offline.) A server or a
// token given too is refused: one of the two would be ignored.
func offline(cmd *cobra.Command) (bool, error) {
	store := ""
	for _, name := range []string{"data", "db", "db-file"} {
		if cmd.Flags().Changed(name) {
			store = name
			break
		}
	}
	if store == "" {
		return false, nil
	}
	for _, name := range []string{"server", "token"} {
		if cmd.Flags().Changed(name) {
			return false, &usageError{cmd: cmd, err: fmt.Errorf("--%s and --%s: give one: --%s reads the store offline, with no server and no token; --server asks a running server, with a token", name, store, store)}
		}
	}
	return true, nil
}

// openAuditStore opens the store o names for andon audit entries or
// export to read offline: read only, so that nothing is written to a copy
// handed to an auditor (no migration, no entry, no write-ahead log), and
// checked to hold what the audit log's readers read
// (sqlstore.AuditMigrations): one that does not is refused, not
// migrated; one older than this andon in other ways is read, but not by
// business process (filter.Process) without the index of the changes'
// processes, which the store would otherwise be asked for as a table it
// does not have.
func openAuditStore(e *env, cmd *cobra.Command, o *serveOptions, filter andon.AuditFilter) (*sqlstore.DB, error) {
	if _, err := checkOutput(cmd); err != nil {
		return nil, err
	}
	store, err := o.openReadOnly(e.ctx)
	if err != nil {
		return nil, err
	}
	unmigrated, err := store.Unmigrated(e.ctx)
	missing := slices.DeleteFunc(slices.Clone(unmigrated), func(name string) bool { return !slices.Contains(sqlstore.AuditMigrations, name) })
	switch {
	case err != nil:
	case len(missing) > 0:
		err = andon.Errorf(andon.EINVALID, "%s: the store is not migrated to this andon %s yet (it lacks %s): read it with the andon that wrote it; this one reads a store as it is, and never migrates it", o.where(), andon.Version, strings.Join(missing, ", "))
	case filter.Process != "" && slices.Contains(unmigrated, sqlstore.ProcessMigration):
		err = andon.Errorf(andon.EINVALID, "--process: %s: the store was left by an andon older than the index of the changes' processes (it lacks %s), so its entries cannot be read by process; read them by change (--change), or by process once andon serve of this version has migrated the store (or a copy of it); this one reads a store as it is, and never migrates it", o.where(), sqlstore.ProcessMigration)
	}
	if err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// checkAuditFilter checks the filter of andon audit entries or export as
// the server checks the same query, with the same messages, for a store
// read offline; a limit not given becomes def, the server's default.
func checkAuditFilter(f *andon.AuditFilter, def int) error {
	if f.After < -1 {
		return andon.Errorf(andon.EINVALID, "--after: %d is not between -1 and %d", f.After, int64(math.MaxInt64))
	}
	switch {
	case f.Limit == 0:
		f.Limit = def
	case f.Limit < 1 || f.Limit > maxAuditLimit:
		return andon.Errorf(andon.EINVALID, "--limit: %d is not between 1 and %d", f.Limit, maxAuditLimit)
	}
	if f.Type != "" && !slices.Contains(andon.EventTypes, f.Type) {
		return andon.Errorf(andon.EINVALID, "--type: %q is not an event type of the audit log; want one of %s", f.Type, strings.Join(andon.EventTypes, ", "))
	}
	return nil
}

// auditKey loads the verifier key file of andon audit verify and export:
// key, or audit.pub in the data directory of o.
func auditKey(key string, o *serveOptions) (path, text string, v note.Verifier, err error) {
	if key == "" {
		key = auditlog.PubPath(o.data)
	}
	text, v, err = auditlog.LoadVerifierKey(key)
	if andon.ErrorCode(err) == andon.ENOTFOUND {
		return "", "", nil, andon.Errorf(andon.EINVALID, "%s: give the data directory the server's key was made in (--data) or the verifier key itself (--key FILE)", andon.ErrorMessage(err))
	} else if err != nil {
		return "", "", nil, andon.Errorf(andon.EINVALID, "cannot use the verifier key: %s", andon.ErrorMessage(err))
	}
	return key, text, v, nil
}

// auditFilterFlags adds the flags of filter that andon audit entries and
// andon audit export share; --since and --until are read by periodFlags.
func auditFilterFlags(cmd *cobra.Command, e *env, filter *andon.AuditFilter) {
	f := cmd.Flags()
	f.StringVar(&filter.Type, "type", "", "only entries of this event type, such as change.approved")
	f.StringVar(&filter.Subject, "subject", "", "only entries about this change, environment or user")
	f.StringVar(&filter.Actor, "actor", "", "only entries by this user")
	f.StringVar(&filter.Change, "change", "", "only entries about this change, its gate decisions included")
	f.StringVar(&filter.Process, "process", "", "only entries about the changes of this business process (named, or through the modules they touch), their gate decisions included")
	f.String("since", "", "only entries recorded at or after this time (RFC 3339, or a date: its midnight UTC)")
	f.String("until", "", "only entries recorded before this time (RFC 3339, or a date: its midnight UTC)")
	f.Int64Var(&filter.After, "after", -1, "only entries with an index above N (-1: from the first entry)")
	cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions(andon.EventTypes, cobra.ShellCompDirectiveNoFileComp))
	cmd.RegisterFlagCompletionFunc("change", e.changeCompletion(nil, nil))
	cmd.RegisterFlagCompletionFunc("process", e.processCompletion)
}

// auditFlags reads the flags of filter that andon audit entries and export
// check before they read: the period (periodFlags), and --process, which
// given empty would select the entries of every process, as the server
// refuses process= given empty. So would the other filters given empty,
// as a script's variable left unset gives them: --change "" would export
// every entry of the log where one change's were meant.
func auditFlags(cmd *cobra.Command, filter *andon.AuditFilter) error {
	if err := periodFlags(cmd, filter); err != nil {
		return err
	}
	if cmd.Flags().Changed("process") && andon.IsBlank(filter.Process) {
		return andon.Errorf(andon.EINVALID, "--process: required, a business process of the catalog (andon catalog show lists them)")
	}
	for _, name := range []string{"type", "subject", "actor", "change"} {
		if fl := cmd.Flags().Lookup(name); fl.Changed && andon.IsBlank(fl.Value.String()) {
			return andon.Errorf(andon.EINVALID, "--%s: empty, which would filter nothing and select the entries of every one; leave the flag out to mean that", name)
		}
	}
	return nil
}

// writeEntries writes entries as a table, their data shortened.
func writeEntries(w io.Writer, entries []*andon.Entry) {
	fmt.Fprintln(w, "INDEX\tTIME\tTYPE\tACTOR\tSUBJECT\tDATA")
	for _, en := range entries {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", en.Index, fmtTime(en.Time), en.Type,
			orDash(en.Actor), orDash(en.Subject), orDash(truncate(cell(string(en.Data)), 60)))
	}
}

func newAuditProofCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "proof INDEX",
		Short: "Show the inclusion proof of an audit entry in the latest checkpoint",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			index, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || index < 0 {
				return badIndex(args[0])
			}
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			p, err := c.Proof(cmd.Context(), index)
			if err != nil {
				return err
			}
			return e.print(cmd, p, func(w io.Writer) {
				kv(w, "index", strconv.FormatInt(p.Index, 10))
				kv(w, "leaf hash", p.LeafHash)
				kvList(w, "proof", p.Hashes)
				kv(w, "record", string(p.Record))
				fmt.Fprintln(w, "checkpoint:")
				writeCheckpoint(w, &p.Checkpoint)
			})
		},
	}
	// A negative index reaches the command line's parser as a flag
	// ("unknown shorthand flag: '1' in -1"), which says nothing of what
	// is wrong with it: it is refused as the index it was meant as.
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		var unknown *pflag.NotExistError
		if errors.As(err, &unknown) {
			if n := unknown.GetSpecifiedShortnames(); n != "" && strings.Trim(n, "0123456789") == "" {
				return badIndex("-" + n)
			}
		}
		return &usageError{cmd: c, err: err}
	})
	return cmd
}

// badIndex is the error for arg given to andon audit proof as an index.
func badIndex(arg string) error {
	return andon.Errorf(andon.EINVALID, "index %q: want an entry index, 0 or more", arg)
}

func writeCheckpoint(w io.Writer, cp *andon.Checkpoint) {
	kv(w, "origin", cp.Origin)
	kv(w, "tree size", strconv.FormatInt(cp.Size, 10))
	kv(w, "root hash", cp.RootHash)
	kv(w, "verifier key", orDash(cp.VerifierKey))
	// The note is printed verbatim, outside the aligned fields, because
	// its exact bytes are what the signature covers.
	fmt.Fprintf(w, "\n%s", cp.Note)
	if !strings.HasSuffix(cp.Note, "\n") {
		fmt.Fprintln(w)
	}
}

// newAuditExportCmd returns andon audit export, which writes the entries
// matching its filter, with their inclusion proofs in the tree of one
// signed checkpoint, as JSON: evidence that andon audit verify-export
// checks offline with the verifier key alone.
func newAuditExportCmd(e *env) *cobra.Command {
	var filter andon.AuditFilter
	var key string
	var o *serveOptions // the store's flags, set below
	cmd := &cobra.Command{
		Use:   "export [--data DIR | --db URL] [--change ID] [--process P] [--type T] [--subject S] [--actor A] [--since T] [--until T] [--after N] [--limit N]",
		Short: "Export audit entries with their inclusion proofs, as evidence to check offline",
		Long: `Export the audit entries matching the filters, as andon audit entries selects
them, each with its inclusion proof in the tree of the latest signed
checkpoint, as one JSON document on standard output: evidence that an auditor
checks offline, without the server or its database, with andon audit
verify-export and the log's verifier key (audit.pub).

The entries come from a server (--server or ANDON_SERVER, with a token), or
offline (--data, --db or --db-file, as andon audit verify takes them) from the
store itself, with no server and no token: a copy of a data directory, or a
PostgreSQL database restored from a dump. Offline, the store is read without
writing a byte of it, its checkpoint is checked with the verifier key (--key,
by default audit.pub in the data directory), and the export is the one a
server of the store would give, byte for byte.

An export holds at most 1000 entries (--limit) and 4 MiB of records; when
more match, standard error names the --after of the next export. It proves that each entry it
holds is in the signed log, not that the log holds no other entry matching
the filters (but an export of every entry after --after, with no other
filter, must hold each of them); andon audit verify --checkpoint FILE
checks, against the whole log, that it holds the export's checkpoint. An export
of a business process (--process) holds the entries of its changes, which
verify-export checks are in the signed log, not that they concern the process;
a process that the catalog (the server's, or the one in force in the store
read) does not hold and that selects no entry is refused, with nothing
written, as andon audit entries refuses it.`,
		Example: `  # The history of a change: its creation, approvals, gate decisions and transitions.
  andon audit export --change CHG-2 > CHG-2.evidence.json
  andon audit verify-export CHG-2.evidence.json --key audit.pub

  # The same, offline, from a copy of the server's data directory.
  andon audit export --data ./copy --key audit.pub --change CHG-2 > CHG-2.evidence.json

  # Every entry about the changes of finance in October (UTC).
  andon audit export --process finance --since 2026-10-01 --until 2026-11-01 > finance-2026-10.evidence.json

  # Every approval, from entry 1000 on.
  andon audit export --type change.approved --after 999 > approvals.evidence.json`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if f, _ := cmd.Flags().GetString("output"); cmd.Flags().Changed("output") && f != outputJSON {
				return &usageError{cmd: cmd, err: fmt.Errorf("--output %q: an export is JSON, whose records keep the bytes that were signed", f)}
			}
			return refuseZeroLimit(cmd, args)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := auditFlags(cmd, &filter); err != nil {
				return err
			}
			local, err := offline(cmd)
			if err != nil {
				return err
			}
			var ev *andon.Evidence
			var cat *andon.Catalog // the one --process is looked up in
			if local {
				if ev, cat, err = exportOffline(e, cmd, o, key, filter); err != nil {
					return err
				}
			} else {
				if cmd.Flags().Changed("key") {
					return &usageError{cmd: cmd, err: errors.New("--key: checks the checkpoint of a store read offline (--data, --db or --db-file); check a server's export with andon audit verify-export --key")}
				}
				c, err := e.remote(cmd)
				if err != nil {
					return err
				}
				if ev, err = c.Evidence(cmd.Context(), filter); err != nil {
					return err
				}
				if filter.Process != "" {
					if cat, err = c.Catalog(cmd.Context()); err != nil {
						return err
					}
				}
			}
			// An export of a misspelt process would be evidence that it
			// has no entries: it is refused before a byte is written.
			if filter.Process != "" {
				if err := checkProcess(e, filter.Process, cat, len(ev.Entries), "entry"); err != nil {
					return err
				}
			}
			if err := auditlog.WriteEvidence(e.stdout, ev); err != nil {
				return err
			}
			switch n := len(ev.Entries); {
			case n == 0:
				fmt.Fprintf(e.stderr, "no entries match: the export holds none, with the signed checkpoint of %s\n", count(ev.Checkpoint.Size, "entry"))
			default:
				fmt.Fprintf(e.stderr, "exported %s (%d to %d) with their proofs in the signed log of %s\n",
					count(int64(n), "entry"), ev.Entries[0].Index, ev.Entries[n-1].Index, count(ev.Checkpoint.Size, "entry"))
			}
			if ev.More {
				fmt.Fprintf(e.stderr, "more entries match: export them with --after %d\n", ev.Entries[len(ev.Entries)-1].Index)
			}
			return nil
		},
	}
	auditFilterFlags(cmd, e, &filter)
	cmd.Flags().IntVar(&filter.Limit, "limit", 0, "at most this many entries (default and most: 1000)")
	o = auditStoreFlags(cmd, e)
	cmd.Flags().StringVar(&key, "key", "", "offline: the verifier key file that checks the stored checkpoint (default: audit.pub in the data directory); give an auditor's own copy to not trust the data directory")
	return cmd
}

// exportOffline exports the entries matching filter from the store o
// names, read offline, with their proofs in the tree of its checkpoint,
// which the verifier key file key (or the data directory's audit.pub)
// must verify.
func exportOffline(e *env, cmd *cobra.Command, o *serveOptions, key string, filter andon.AuditFilter) (*andon.Evidence, *andon.Catalog, error) {
	if err := checkAuditFilter(&filter, maxAuditLimit); err != nil {
		return nil, nil, err
	}
	key, text, _, err := auditKey(key, o)
	if err != nil {
		return nil, nil, err
	}
	store, err := openAuditStore(e, cmd, o, filter)
	if err != nil {
		return nil, nil, err
	}
	defer store.Close()
	audit := sqlstore.NewAuditReader(store, text)
	// A checkpoint that does not verify is named before anything is
	// exported with it.
	if _, err := audit.Checkpoint(e.ctx); andon.ErrorCode(err) == andon.EINVALID {
		return nil, nil, andon.Errorf(andon.EINVALID, "%s: the stored checkpoint does not verify with %s: %s; andon audit verify tells what is wrong", o.where(), key, andon.ErrorMessage(err))
	} else if err != nil {
		return nil, nil, err
	}
	ev, err := audit.Evidence(e.ctx, filter)
	if err != nil {
		return nil, nil, err
	}
	var cat *andon.Catalog
	if filter.Process != "" {
		cat = storeCatalog(e.ctx, store)
	}
	return ev, cat, nil
}

// storeCatalog returns the catalog in force in store, which a server
// published there, or nil when none did.
func storeCatalog(ctx context.Context, store *sqlstore.DB) *andon.Catalog {
	snap, err := publishedSnapshot(ctx, store)
	if err != nil {
		return nil
	}
	return snap.Catalog
}

// checkProcess checks the business process of --process, which selected
// matched items (an entry, a change), against the catalog cat: the
// server's, or offline the one in force in the store read. A process the
// catalog does not hold that selects nothing is most likely misspelt: it
// is refused, naming the closest of the catalog's processes, or them all,
// rather than answered with an empty list that looks like one of a process
// without any. One that selects some is a process the catalog no longer
// holds, whose history stays readable: a note says so. Without a catalog
// (a store no server published one in) a note says that the process was
// not checked.
func checkProcess(e *env, process string, cat *andon.Catalog, matched int, item string) error {
	switch {
	case cat == nil:
		fmt.Fprintf(e.stderr, "note: --process: the store read holds no catalog (no server published one there), so whether %q is a business process was not checked\n", process)
	case cat.Process(process) != nil:
	case matched == 0:
		return andon.Errorf(andon.ENOTFOUND, "--process %s: no %s matches, and %s", process, item, cat.UnknownProcess(process))
	default:
		fmt.Fprintf(e.stderr, "note: --process: %q is not in the catalog in force; what matches it is from when a catalog held it\n", process)
	}
	return nil
}

// newVerifyExportCmd returns andon audit verify-export, which checks an
// export of andon audit export, or a proof of andon audit proof -o json,
// offline with the verifier key alone.
func newVerifyExportCmd(e *env) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "verify-export FILE --key audit.pub",
		Short: "Check an export of audit entries offline, with the verifier key alone",
		Long: `Check an export of andon audit export (or a proof of andon audit proof -o json)
offline, trusting nothing in it but the verifier key: the checkpoint must be
signed by the key, and each entry's record must lead with its proof to the
signed root and match the export's filters. Prints the entries and the filter
they were checked against (the file's claim: compare it with what you asked
for), and exits 0 when everything holds, 1 naming the first entry that does
not, and 2 when the file or the key cannot be read, when the file is both an
export and a proof, or when its filter has a field this andon does not know.
FILE - reads standard input.

Give your own copy of the log's verifier key (audit.pub), not one that came
with the export. An export proves that its entries are in the signed log, not
that the log holds no other entry matching its filters; but an export of every
entry after an index (no filter other than --after) must hold each of them,
and one left out is named. The process of an export of a business process
(--process) is not checked, and a note says so: no record names the processes
of the change a gate decision concerns; andon audit entries --process on a
copy of the store lists them.`,
		Example: `  andon audit verify-export CHG-2.evidence.json --key audit.pub
  andon audit proof 19 -o json | andon audit verify-export - --key audit.pub -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if key == "" {
				return andon.Errorf(andon.EINVALID, "--key: required: the log's verifier key file (audit.pub), your own copy")
			}
			v, err := auditlog.LoadVerifier(key)
			if err != nil {
				return andon.Errorf(andon.EINVALID, "--key: %s", andon.ErrorMessage(err))
			}
			ev, proof, err := readEvidence(e, args[0])
			if err != nil {
				return err
			}
			out := struct {
				OK          bool              `json:"ok"`
				Problem     string            `json:"problem,omitempty"`
				Filter      andon.AuditFilter `json:"filter"`
				Checkpoint  andon.Checkpoint  `json:"checkpoint"`
				Entries     []*andon.Entry    `json:"entries"`
				More        bool              `json:"more"`
				VerifierKey string            `json:"verifierKey"`
			}{Filter: ev.Filter, Checkpoint: ev.Checkpoint, Entries: []*andon.Entry{}, More: ev.More, VerifierKey: key}
			cp, entries, err := auditlog.CheckEvidence(ev, v)
			switch {
			case andon.ErrorCode(err) == andon.EINVALID:
				out.Problem = andon.ErrorMessage(err)
			case err != nil:
				return err
			default:
				out.OK, out.Checkpoint, out.Entries = true, *cp, entries
			}
			err = e.print(cmd, out, func(w io.Writer) {
				if !out.OK {
					fmt.Fprintf(w, "evidence FAILED: %s (verifier key %s)\n", out.Problem, key)
					return
				}
				each := ""
				if len(entries) > 1 {
					each = "each "
				}
				fmt.Fprintf(w, "evidence OK: %s, %sin the signed log of %s, root %s, verified with %s\n",
					count(int64(len(entries)), "entry"), each, count(cp.Size, "entry"), cp.RootHash, key)
				if !proof {
					// What the entries were checked against: the file's
					// own claim, which the auditor compares with what was
					// asked for.
					fmt.Fprintf(w, "filter: %s\n", describeFilter(ev.Filter))
				}
				if len(entries) > 0 {
					writeEntries(w, entries)
				}
				if ev.More && !proof {
					fmt.Fprintln(w, "note: more entries matched the export's filters than it holds; the next export starts after its last entry")
				}
				// No record names the processes of the change a gate
				// decision concerns: the process is the file's claim alone.
				if ev.Filter.Process != "" {
					fmt.Fprintf(w, "note: process %q is not checked: each entry is in the signed log and matches the other filters, but that it concerns a change of the process, and that no entry of the process was left out, can only be checked against the store (andon audit entries --data COPY --process %s)\n", ev.Filter.Process, ev.Filter.Process)
				}
			})
			if err != nil {
				return err
			}
			if !out.OK {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "the log's verifier key file (audit.pub): your own copy, not one that came with the export")
	return cmd
}

// readEvidence reads an export from file ("-": standard input), or a proof
// of andon audit proof -o json, which is an export of its one entry and
// sets proof.
func readEvidence(e *env, file string) (ev *andon.Evidence, proof bool, err error) {
	r := e.stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, false, andon.Errorf(andon.EINVALID, "%s: %v", file, err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxEvidence+1))
	if err != nil {
		return nil, false, andon.Errorf(andon.EINVALID, "%s: %v", file, err)
	}
	if len(data) > maxEvidence {
		return nil, false, andon.Errorf(andon.EINVALID, "%s: larger than %d MiB, more than an export holds", file, maxEvidence>>20)
	}
	// An export's fields and a proof's, which share "checkpoint".
	var doc struct {
		Filter     json.RawMessage       `json:"filter"`
		Checkpoint andon.Checkpoint      `json:"checkpoint"`
		Entries    []andon.EvidenceEntry `json:"entries"`
		More       bool                  `json:"more"`
		Index      *int64                `json:"index"`
		Record     json.RawMessage       `json:"record"`
		LeafHash   string                `json:"leafHash"`
		Hashes     []string              `json:"hashes"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, false, andon.Errorf(andon.EINVALID, "%s: not an export of andon audit export: %v", file, err)
	}
	isExport := doc.Entries != nil || doc.Filter != nil
	isProof := doc.Index != nil || doc.Record != nil || doc.LeafHash != "" || doc.Hashes != nil
	switch {
	case isExport && isProof:
		// Checking one would pass over the other, which its reader may
		// take for checked.
		return nil, false, andon.Errorf(andon.EINVALID, "%s: holds both an export's fields (entries, filter) and a proof's (index, record, leafHash, hashes): give an export of andon audit export or a proof of andon audit proof -o json, not both in one", file)
	case doc.Entries != nil:
		// A filter not given selects every entry. One with a field this
		// andon does not know could not be checked as its file says.
		filter := andon.AuditFilter{After: -1}
		if len(doc.Filter) > 0 && string(doc.Filter) != "null" {
			dec := json.NewDecoder(bytes.NewReader(doc.Filter))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&filter); err != nil {
				return nil, false, andon.Errorf(andon.EINVALID, "%s: filter: %v; an export's filter has type, subject, actor, change, process, since, until and after", file, err)
			}
		}
		return &andon.Evidence{Filter: filter, Checkpoint: doc.Checkpoint, Entries: doc.Entries, More: doc.More}, false, nil
	case doc.Index != nil && doc.Record != nil:
		// The export of every entry after the one before it, with more
		// to follow unless it is the last the checkpoint signs.
		return &andon.Evidence{
			Filter:     andon.AuditFilter{After: *doc.Index - 1},
			Checkpoint: doc.Checkpoint,
			Entries:    []andon.EvidenceEntry{{Index: *doc.Index, Record: doc.Record, LeafHash: doc.LeafHash, Hashes: doc.Hashes}},
			More:       *doc.Index < doc.Checkpoint.Size-1,
		}, true, nil
	}
	return nil, false, andon.Errorf(andon.EINVALID, "%s: not an export of andon audit export (no \"entries\") nor a proof of andon audit proof -o json", file)
}

// describeFilter says what f selects, its values quoted: they come from
// the file, unchecked, and must not pass for other output.
func describeFilter(f andon.AuditFilter) string {
	var parts []string
	for _, p := range []struct{ name, value string }{
		{"change", f.Change}, {"process", f.Process}, {"type", f.Type}, {"subject", f.Subject}, {"actor", f.Actor},
	} {
		if p.value != "" {
			parts = append(parts, fmt.Sprintf("%s %q", p.name, p.value))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "every entry")
	}
	if f.Since != nil {
		parts = append(parts, "recorded at or after "+f.Since.UTC().Format(time.RFC3339Nano))
	}
	if f.Until != nil {
		parts = append(parts, "recorded before "+f.Until.UTC().Format(time.RFC3339Nano))
	}
	if f.After >= 0 {
		parts = append(parts, fmt.Sprintf("after entry %d", f.After))
	}
	return strings.Join(parts, ", ")
}

// maxEvidence bounds an export read. One holds at most 1000 entries and
// andon.MaxEvidenceBytes of records, which pretty-printed (a line and an
// indent for each value, several times the bytes of the shortest) and
// with their proofs take well under this.
const maxEvidence = 64 << 20

// periodFlags sets the period of filter from --since and --until: RFC 3339
// times, or dates, which stand for their midnight UTC, as the log's times
// are written. They are read in that order, so that the first wrong one
// is named, whatever else is wrong.
func periodFlags(cmd *cobra.Command, filter *andon.AuditFilter) error {
	for _, end := range []struct {
		flag string
		t    **time.Time
	}{{"since", &filter.Since}, {"until", &filter.Until}} {
		v, _ := cmd.Flags().GetString(end.flag)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, v); err != nil {
				if err := zoneless(end.flag, v); err != nil {
					return err
				}
				return andon.Errorf(andon.EINVALID, "--%s %q: want an RFC 3339 time such as 2026-10-01T00:00:00+02:00, or a date such as 2026-10-01", end.flag, v)
			}
		}
		if err := andon.CheckTime("--"+end.flag, t); err != nil {
			return err
		}
		*end.t = &t
	}
	if filter.Since != nil && filter.Until != nil && !filter.Since.Before(*filter.Until) {
		return andon.Errorf(andon.EINVALID, "--since %s is not before --until %s", filter.Since.Format(time.RFC3339), filter.Until.Format(time.RFC3339))
	}
	return nil
}
