package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/client"
)

// newAccessCmd returns `andon access`: just-in-time access to the roles
// of a team, for a few hours, granted by one of its members.
func newAccessCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "access",
		Short: "Ask for a team's roles for a while, and approve, reject, cancel or revoke such requests",
		Long: `A Team of the catalog may list people as eligible for its roles: they hold
none of them, but may ask for them for a while, saying why. A standing
member of the team, not the requester, approves; the roles are then the
requester's from the approval for the hours asked (the team's
maxElevation at most, 4h unless it says), unless revoked before by their
holder, a member of the team or a platform-admin. A request unanswered
for an hour expires. Every step is an audit entry, and an approval of a
change given with a grant names it (see docs/access.md).`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newAccessRequestCmd(e), newAccessListCmd(e), newAccessShowCmd(e),
		newAccessMoveCmd(e, "approve", "Approve a pending request: its requester holds the team's roles from now for the time asked", false),
		newAccessMoveCmd(e, "reject", "Reject a pending request, saying why", true),
		newAccessMoveCmd(e, "cancel", "Cancel your own pending request", false),
		newAccessMoveCmd(e, "revoke", "End an active grant now", false))
	return cmd
}

// accessFlags are the flags of andon access request, by the fields of
// the request they set.
var accessFlags = []fieldFlag{{"team:", "--team"}, {"duration:", "--for"}, {"reason:", "--reason"}}

func newAccessRequestCmd(e *env) *cobra.Command {
	var team, reason, duration string
	cmd := &cobra.Command{
		Use:     "request --team T --for DURATION --reason TEXT",
		Short:   "Ask for the roles of a team for a while",
		Example: `  andon access request --team change-managers --for 2h --reason "cover for Bob at the supplier audit"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := andon.ParseDuration(duration)
			if err != nil {
				return andon.Errorf(andon.EINVALID, "--for: %v", err)
			}
			if andon.IsBlank(reason) {
				return andon.Errorf(andon.EINVALID, "--reason: say why the roles are needed")
			}
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			req, err := c.RequestAccess(cmd.Context(), team, d, reason)
			if err != nil {
				return namedFlag(err, accessFlags)
			}
			return e.print(cmd, req, func(w io.Writer) { writeAccess(w, req) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&team, "team", "", "the team whose roles are asked for (required)")
	f.StringVar(&duration, "for", "", "how long, from the approval, such as 2h (required; the team's maxElevation at most)")
	f.StringVar(&reason, "reason", "", "why (required)")
	cmd.MarkFlagRequired("team")
	cmd.MarkFlagRequired("for")
	cmd.MarkFlagRequired("reason")
	cmd.RegisterFlagCompletionFunc("team", e.eligibleTeamCompletion)
	cmd.RegisterFlagCompletionFunc("for", cobra.FixedCompletions([]string{"1h", "2h", "4h", "8h"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newAccessListCmd(e *env) *cobra.Command {
	var f andon.AccessFilter
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List requests for access and grants, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.State != "" && !slices.Contains(andon.AccessStates, f.State) {
				return andon.Errorf(andon.EINVALID, "--state: %q is not one of %s", f.State, strings.Join(andon.AccessStates, ", "))
			}
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			list, err := c.AccessRequests(cmd.Context(), f)
			if err != nil {
				return namedFlag(err, []fieldFlag{{"state:", "--state"}, {"user:", "--user"}, {"team:", "--team"}, {"limit:", "--limit"}})
			}
			if list == nil {
				list = []*andon.AccessRequest{}
			}
			if human(cmd) && len(list) == 0 {
				fmt.Fprintln(e.stderr, "no access requests")
				return nil
			}
			out := struct {
				AccessRequests []*andon.AccessRequest `json:"accessRequests"`
			}{list}
			return e.print(cmd, out, func(w io.Writer) {
				fmt.Fprintln(w, "ID\tSTATE\tUSER\tTEAM\tFOR\tUNTIL\tREASON")
				for _, r := range list {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.State, r.User, r.Team, andon.HumanDuration(r.Duration),
						accessUntil(r), truncate(cell(r.Reason), 60))
				}
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.State, "state", "", "only the requests in this state: "+strings.Join(andon.AccessStates, ", ")+" (default: all)")
	fl.StringVar(&f.User, "user", "", "only the requests of this user")
	fl.StringVar(&f.Team, "team", "", "only the requests for this team")
	fl.IntVar(&f.Limit, "limit", 100, "at most this many")
	cmd.PreRunE = refuseZeroLimit
	cmd.RegisterFlagCompletionFunc("state", cobra.FixedCompletions(andon.AccessStates, cobra.ShellCompDirectiveNoFileComp))
	cmd.RegisterFlagCompletionFunc("team", e.eligibleTeamCompletion)
	return cmd
}

// accessUntil says until when a request stands: when it expires while
// pending, when its grant ends or ended, and a dash otherwise.
func accessUntil(r *andon.AccessRequest) string {
	switch {
	case r.State == andon.AccessPending:
		return fmtTime(r.ExpiresAt)
	case r.State == andon.AccessRevoked && r.RevokedAt != nil:
		return fmtTime(*r.RevokedAt)
	case r.EndsAt != nil:
		return fmtTime(*r.EndsAt)
	}
	return "-"
}

func newAccessShowCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:               "show ID",
		Short:             "Show a request for access",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: e.accessCompletion(""),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			req, err := c.AccessRequest(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return e.print(cmd, req, func(w io.Writer) { writeAccess(w, req) })
		},
	}
}

// newAccessMoveCmd returns `andon access VERB ID`: approve, reject,
// cancel or revoke. A rejection needs a comment; a cancellation takes
// none.
func newAccessMoveCmd(e *env, verb, short string, needsComment bool) *cobra.Command {
	var comment string
	state := andon.AccessPending
	if verb == "revoke" {
		state = andon.AccessActive
	}
	use := verb + " ID"
	switch {
	case needsComment:
		use += " --comment TEXT"
	case verb != "cancel":
		use += " [--comment TEXT]"
	}
	cmd := &cobra.Command{
		Use:               use,
		Short:             short,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: e.accessCompletion(state),
		RunE: func(cmd *cobra.Command, args []string) error {
			if needsComment && andon.IsBlank(comment) {
				return andon.Errorf(andon.EINVALID, "--comment: say why")
			}
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			req, err := c.MoveAccess(cmd.Context(), args[0], verb, comment)
			if err != nil {
				return namedFlag(err, []fieldFlag{{"comment:", "--comment"}})
			}
			return e.print(cmd, req, func(w io.Writer) { writeAccess(w, req) })
		},
	}
	if verb != "cancel" {
		cmd.Flags().StringVar(&comment, "comment", "", "why")
	}
	if needsComment {
		requireFlag(cmd, "comment")
	}
	return cmd
}

// writeAccess writes the human view of a request for access.
func writeAccess(w io.Writer, r *andon.AccessRequest) {
	kv(w, "id", r.ID)
	kv(w, "state", r.State)
	kv(w, "user", r.User)
	kv(w, "team", r.Team)
	kvList(w, "roles", r.Roles)
	kv(w, "for", andon.HumanDuration(r.Duration))
	kv(w, "reason", r.Reason)
	kv(w, "requested", fmtTime(r.CreatedAt))
	if r.State == andon.AccessPending || r.State == andon.AccessExpired {
		kv(w, "expires", fmtTime(r.ExpiresAt))
	}
	if r.DecidedAt != nil {
		verb := map[string]string{andon.AccessRejected: "rejected", andon.AccessCancelled: "cancelled"}[r.State]
		if verb == "" {
			verb = "approved"
		}
		kv(w, verb, fmtTime(*r.DecidedAt)+" by "+r.DecidedBy)
	}
	if r.EndsAt != nil {
		word := "ends"
		if r.State != andon.AccessActive {
			word = "ended"
		}
		kv(w, word, fmtTime(*r.EndsAt))
	}
	if r.Comment != "" {
		kv(w, "comment", r.Comment)
	}
	if r.RevokedAt != nil {
		kv(w, "revoked", fmtTime(*r.RevokedAt)+" by "+r.RevokedBy)
		if r.RevokeComment != "" {
			kv(w, "revoke comment", r.RevokeComment)
		}
	}
}

// accessCompletion completes the ID of a request for access with the
// server's requests in state (any when ""), each described by its user,
// team and reason.
func (e *env) accessCompletion(state string) cobra.CompletionFunc {
	return e.argCompletion(func(ctx context.Context, c *client.Client) ([]cobra.Completion, error) {
		list, err := c.AccessRequests(ctx, andon.AccessFilter{State: state, Limit: completedChanges})
		var out []cobra.Completion
		for _, r := range list {
			out = append(out, cobra.CompletionWithDesc(r.ID, oneLine(r.State+", "+r.User+" for "+r.Team+": "+r.Reason)))
		}
		return out, err
	})
}

// eligibleTeamCompletion completes --team with the teams of the server's
// catalog that list someone as eligible, each described by its roles.
func (e *env) eligibleTeamCompletion(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return e.catalogCompletion(cmd, func(cat *andon.Catalog) (out []cobra.Completion) {
		for _, t := range cat.Teams {
			if len(t.Eligible) > 0 {
				out = append(out, cobra.CompletionWithDesc(t.Name, oneLine(strings.Join(cat.TeamGrants(t.Name), " "))))
			}
		}
		return out
	})
}
