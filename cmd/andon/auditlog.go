package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
)

// addAuditClientCmds adds the subcommands of `andon audit` that read the
// audit log through a server. The parent also holds `audit verify`, which
// works offline on the data directory and is built elsewhere.
func addAuditClientCmds(audit *cobra.Command, e *env) {
	audit.AddCommand(newAuditCheckpointCmd(e), newAuditEntriesCmd(e), newAuditProofCmd(e))
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
	cmd := &cobra.Command{
		Use:   "entries",
		Short: "List audit log entries",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			entries, err := c.Entries(cmd.Context(), filter)
			if err != nil {
				return err
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
			return e.print(cmd, out, func(w io.Writer) {
				fmt.Fprintln(w, "INDEX\tTIME\tTYPE\tACTOR\tSUBJECT\tDATA")
				for _, en := range entries {
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", en.Index, fmtTime(en.Time), en.Type,
						orDash(en.Actor), orDash(en.Subject), orDash(truncate(cell(string(en.Data)), 60)))
				}
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&filter.Type, "type", "", "only entries of this event type, such as change.approved")
	f.StringVar(&filter.Subject, "subject", "", "only entries about this change, environment or user")
	f.StringVar(&filter.Actor, "actor", "", "only entries by this user")
	f.StringVar(&filter.Change, "change", "", "only entries about this change, its gate decisions included")
	f.Int64Var(&filter.After, "after", -1, "only entries with an index above N (-1: from the first entry)")
	f.IntVar(&filter.Limit, "limit", 0, "at most this many entries (default: the server's)")
	cmd.PreRunE = refuseZeroLimit
	cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{
		andon.EventCatalogLoaded, andon.EventTokenCreated, andon.EventTokenRevoked, andon.EventChangeCreated, andon.EventChangeApproved,
		andon.EventChangeRejected, andon.EventChangeTransition, andon.EventChangeReviewed, andon.EventGateDecision,
		andon.EventDriftChecked,
	}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newAuditProofCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "proof INDEX",
		Short: "Show the inclusion proof of an audit entry in the latest checkpoint",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			index, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || index < 0 {
				return andon.Errorf(andon.EINVALID, "index %q: want an entry index, 0 or more", args[0])
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
