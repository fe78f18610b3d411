package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/client"
	"github.com/andon-governance/andon/odoo"
)

// newChangeCmd returns `andon change` and its subcommands: open, list and
// show changes, decide on them and move them through their lifecycle.
func newChangeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "change",
		Short: "Open, list, approve and implement changes",
	}
	cmd.AddCommand(
		newChangeCreateCmd(e),
		newChangeListCmd(e),
		newChangeShowCmd(e),
		newChangeDecideCmd(e, "approve", andon.Approve),
		newChangeDecideCmd(e, "reject", andon.Reject),
		newChangeStartCmd(e),
		newChangeTransitionCmd(e, "complete", andon.StateCompleted, "Record that a change was implemented"),
		newChangeTransitionCmd(e, "fail", andon.StateFailed, "Record that a change failed"),
		newChangeTransitionCmd(e, "rollback", andon.StateRolledBack, "Record that a change was rolled back"),
		newChangeTransitionCmd(e, "cancel", andon.StateCancelled, "Cancel a pending or approved change"),
		newChangeReviewCmd(e),
	)
	return cmd
}

func newChangeCreateCmd(e *env) *cobra.Command {
	var (
		req          andon.ChangeRequest
		typ          string
		start, end   string
		links        []string
		rollbackPlan string
		git          odooImpactOptions
	)
	cmd := &cobra.Command{
		Use:   "create --env E --type T --title TITLE [flags]",
		Short: "Open a change and show how policy classified it",
		Long: `Open a change and show how policy classified it: the business processes it
affects, its window (in the plant's time, then in UTC, as change show gives
it), its risk tier, the reasons and the approvals it needs. The
processes are those of the modules it touches (--module, or --from-git)
and those named with --process. A module that no business process of the
catalog lists and that is not an Odoo core module is warned about on
standard error: misspelt, it would tie the change to no business process,
and the risk would weigh no process's tier for it. A --component that is not postgres, kubernetes,
redis or traefik but almost surely means one of them (postgress, k8s) is
refused, naming the one meant: misspelt, it would escape the policy's
match and lower the tier; a component of your own (minio) is taken. A
window (--start, --end) that runs into a freeze which does not allow the
change's type is warned about too, naming the freeze: the gate refuses the
change during it, and andon calendar next --type T finds a window outside
every freeze. So is a migration (--migration, or one found by --from-git)
without --rollback-plan.`,
		Example: `  andon change create --env prod-lyon --type normal --title "Upgrade MRP" \
    --image registry.example.com/odoo/odoo@sha256:… --module mrp_workorder --migration \
    --start 2027-03-07T02:00:00+01:00 --end 2027-03-07T04:00:00+01:00 \
    --rollback-plan "redeploy the previous digest" --link ticket=https://tickets.example.com/OPS-17`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			req.Type = andon.ChangeType(typ)
			req.RollbackPlan = rollbackPlan
			if (start == "") != (end == "") {
				return andon.Errorf(andon.EINVALID, "--start and --end go together")
			}
			if start != "" {
				s, err := parseTime("start", start)
				if err != nil {
					return err
				}
				t, err := parseTime("end", end)
				if err != nil {
					return err
				}
				req.Window = &andon.Span{Start: s, End: t}
			}
			for _, l := range links {
				kind, u, ok := strings.Cut(l, "=")
				if !ok || kind == "" || u == "" {
					return andon.Errorf(andon.EINVALID, "--link %q: want KIND=URL such as ticket=https://…", l)
				}
				req.Links = append(req.Links, andon.Link{Kind: kind, URL: u})
			}
			// Modules named by hand may be misspelt; those read from git
			// are there.
			var fromGit []string
			if git.repo != "" {
				if git.from == "" || git.to == "" {
					return andon.Errorf(andon.EINVALID, "--from-git: needs --from and --to, the refs before and after the change")
				}
				var err error
				if fromGit, err = factsFromGit(cmd, e, c, &req, git); err != nil {
					return err
				}
			} else if git.from != "" || git.to != "" || len(git.addonsPaths) > 0 {
				return andon.Errorf(andon.EINVALID, "--from, --to and --addons-path: need --from-git")
			}
			// Checking here what needs no catalog spares a round trip and
			// names the flag at fault; the server checks everything again.
			if err := req.Validate(); err != nil {
				return flagNamed(err)
			}
			ch, err := c.CreateChange(cmd.Context(), &req)
			if err != nil {
				return flagNamed(err)
			}
			loc := e.windowLocation(cmd, c, ch)
			if err := e.print(cmd, ch, func(w io.Writer) { writeChange(w, ch, false, loc) }); err != nil {
				return err
			}
			typed := slices.DeleteFunc(slices.Clone(ch.Facts.Modules), func(m string) bool { return slices.Contains(fromGit, m) })
			warnUnknownModules(cmd, e, c, ch.ID, typed)
			warnFrozenWindow(cmd, e, c, ch, true)
			if human(cmd) {
				warnOpenIncidents(cmd, e, c, ch)
			}
			if ch.Facts.Migration && andon.IsBlank(ch.RollbackPlan) {
				// Redeploying the previous image does not undo a
				// migration: whoever has to roll it back needs the plan.
				fmt.Fprintf(e.stderr, "andon: warning: %s migrates the database and has no rollback plan, and redeploying the previous image does not undo a migration; cancel %s and open it again with --rollback-plan saying how it is undone (such as restoring the backup taken before it)\n", ch.ID, ch.ID)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Environment, "env", "", "environment to change (required)")
	cmd.RegisterFlagCompletionFunc("env", e.environmentCompletion)
	f.StringVar(&typ, "type", "", "change type: standard, normal or emergency (required)")
	f.StringVar(&req.Title, "title", "", "one-line summary (required)")
	f.StringVar(&req.Description, "description", "", "what the change does and why")
	f.StringArrayVar(&req.Artifacts, "image", nil, "container image to deploy, pinned by digest (repeatable)")
	f.StringSliceVar(&req.Facts.Modules, "module", nil, "Odoo module touched (repeatable or comma-separated)")
	f.BoolVar(&req.Facts.Migration, "migration", false, "the change migrates the database")
	f.StringSliceVar(&req.Facts.Components, "component", nil, "infrastructure component touched, such as postgres or kubernetes (repeatable; a name close to a known one is refused)")
	f.StringSliceVar(&req.Processes, "process", nil, "business process affected, besides those of the modules touched (repeatable)")
	cmd.RegisterFlagCompletionFunc("process", e.processCompletion)
	f.StringVar(&start, "start", "", "start of the requested window (RFC 3339)")
	f.StringVar(&end, "end", "", "end of the requested window (RFC 3339)")
	f.StringVar(&rollbackPlan, "rollback-plan", "", "how the change is undone")
	f.StringArrayVar(&links, "link", nil, "related ticket, pull request or pipeline as KIND=URL, without credentials in the URL (repeatable)")
	f.StringVar(&git.repo, "from-git", "", "git repository of the Odoo addons the change deploys: fill the facts from its commits between --from and --to (see andon odoo impact)")
	f.StringVar(&git.from, "from", "", "with --from-git: the ref before the change")
	f.StringVar(&git.to, "to", "", "with --from-git: the ref after the change")
	f.StringSliceVar(&git.addonsPaths, "addons-path", nil, "with --from-git: a directory of modules in the repository (repeatable; default: the root)")
	for _, name := range []string{"env", "type", "title"} {
		cmd.MarkFlagRequired(name)
	}
	cmd.RegisterFlagCompletionFunc("type", fixed(andon.ChangeTypes))
	cmd.RegisterFlagCompletionFunc("component", cobra.FixedCompletions(
		andon.KnownComponents, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newChangeListCmd(e *env) *cobra.Command {
	var (
		filter           andon.ChangeFilter
		typ, state, tier string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List changes, newest first",
		Example: `  andon change list --env prod-lyon --state pending
  andon change list --type emergency --state completed
  andon change list --process finance --limit 1000
  andon change list -q release --limit 20 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// --image "" (a pipeline's variable left empty) would filter
			// nothing and list the changes of every image.
			if cmd.Flags().Changed("image") {
				if _, err := andon.ParseImage(filter.Image); err != nil {
					// Named as change create names it: --image: image "…".
					return andon.Errorf(andon.ErrorCode(err), "--image: %s", strings.TrimPrefix(andon.ErrorMessage(err), "image: "))
				}
			}
			// Nor would --process "": the changes of every process.
			if cmd.Flags().Changed("process") && andon.IsBlank(filter.Process) {
				return andon.Errorf(andon.EINVALID, "--process: required, a business process of the catalog (andon catalog show lists them)")
			}
			// Nor would any other filter given empty, as a script's
			// variable left unset gives it: --env "" lists the changes of
			// every environment, where those of one were meant.
			for _, name := range []string{"env", "type", "state", "tier", "requester", "query", "before"} {
				if fl := cmd.Flags().Lookup(name); fl.Changed && andon.IsBlank(fl.Value.String()) {
					return andon.Errorf(andon.EINVALID, "--%s: empty, which would filter nothing and list the changes of every one; leave the flag out to mean that", name)
				}
			}
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			filter.Type, filter.State, filter.Tier = andon.ChangeType(typ), andon.State(state), andon.Level(tier)
			changes, total, err := c.Changes(cmd.Context(), filter)
			if err != nil {
				return err
			}
			if filter.Process != "" {
				cat, err := c.Catalog(cmd.Context())
				if err != nil {
					return err
				}
				if err := checkProcess(e, filter.Process, cat, total, "change"); err != nil {
					return err
				}
			}
			if changes == nil {
				changes = []*andon.Change{}
			}
			out := struct {
				Changes []*andon.Change `json:"changes"`
				Total   int             `json:"total"`
			}{changes, total}
			if human(cmd) {
				switch {
				case len(changes) == 0:
					fmt.Fprintln(e.stderr, "no changes")
					// An environment no longer in the catalog may have
					// changes; one that never was is most likely misspelt.
					if filter.Environment != "" {
						if cat, err := c.Catalog(cmd.Context()); err == nil && cat.Environment(filter.Environment) == nil {
							fmt.Fprintf(e.stderr, "note: --env: %s\n", cat.UnknownEnvironment(filter.Environment))
						}
					}
					return nil
				case len(changes) < total:
					more := strconv.Itoa(total)
					if total >= andon.MaxCount {
						more += " or more"
					}
					// The last change shown is the cursor of the next page:
					// changes opened meanwhile would shift an offset.
					next := "--before " + changes[len(changes)-1].ID
					if filter.Offset > 0 {
						next += " instead of --offset"
					}
					defer fmt.Fprintf(e.stderr, "%d of %s changes; the next page: %s\n", len(changes), more, next)
				}
			}
			return e.print(cmd, out, func(w io.Writer) {
				fmt.Fprintln(w, "ID\tENVIRONMENT\tTYPE\tSTATE\tTIER\tREQUESTER\tCREATED\tTITLE")
				for _, ch := range changes {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ch.ID, ch.Environment, ch.Type, ch.State,
						orDash(string(ch.Risk.Tier)), orDash(ch.Requester), fmtTime(ch.CreatedAt), truncate(cell(ch.Title), 60))
				}
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&filter.Environment, "env", "", "only changes to this environment")
	cmd.RegisterFlagCompletionFunc("env", e.environmentCompletion)
	f.StringVar(&typ, "type", "", "only changes of this type: standard, normal or emergency")
	f.StringVar(&state, "state", "", "only changes in this state")
	f.StringVar(&tier, "tier", "", "only changes of this risk tier")
	f.StringVar(&filter.Requester, "requester", "", "only changes requested by this user")
	f.StringVar(&filter.Image, "image", "", "only changes that carry this image (REPOSITORY@sha256:…; the tag is ignored)")
	f.StringVar(&filter.Process, "process", "", "only changes that affect this business process (named, or through the modules they touch); one the catalog does not hold that none affects is refused")
	cmd.RegisterFlagCompletionFunc("process", e.processCompletion)
	f.StringVarP(&filter.Query, "query", "q", "", "only changes whose ID, title or description contain each word of this text, in any order (at most 16 words)")
	f.StringVar(&filter.Before, "before", "", "only changes opened before this one: the last ID of a page, for the next page")
	f.IntVar(&filter.Limit, "limit", 0, "at most this many changes (default: the server's)")
	f.IntVar(&filter.Offset, "offset", 0, "skip this many changes")
	cmd.PreRunE = refuseZeroLimit
	cmd.RegisterFlagCompletionFunc("type", fixed(andon.ChangeTypes))
	cmd.RegisterFlagCompletionFunc("state", fixed(andon.States))
	cmd.RegisterFlagCompletionFunc("tier", fixed(andon.Levels))
	return cmd
}

func newChangeShowCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:               "show ID",
		Short:             "Show everything about a change: facts, risk, approvals, review",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: e.changeCompletion(nil, nil),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			ch, err := c.Change(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			loc := e.windowLocation(cmd, c, ch)
			if err := e.print(cmd, ch, func(w io.Writer) { writeChange(w, ch, true, loc) }); err != nil {
				return err
			}
			// Whoever is asked to approve it, or to start it, is told
			// that the gate would refuse it in its window, as its
			// requester was when it was opened.
			if ch.State == andon.StatePending || ch.State == andon.StateApproved {
				warnFrozenWindow(cmd, e, c, ch, false)
				if human(cmd) {
					warnOpenIncidents(cmd, e, c, ch)
				}
			}
			return nil
		},
	}
}

func newChangeDecideCmd(e *env, use string, verdict andon.Verdict) *cobra.Command {
	var comment string
	cmd := &cobra.Command{
		Use:               use + " ID",
		Short:             "Approve a change, filling one required slot",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: e.changeCompletion([]andon.State{andon.StatePending}, nil),
		RunE: func(cmd *cobra.Command, args []string) error {
			// A rejection ends the change; the requester is owed a reason.
			if verdict == andon.Reject && andon.IsBlank(comment) {
				return andon.Errorf(andon.EINVALID, "--comment: a rejection needs a reason")
			}
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			ch, err := c.Decide(cmd.Context(), args[0], verdict, comment)
			if err != nil {
				return err
			}
			loc := e.windowLocation(cmd, c, ch)
			return e.print(cmd, ch, func(w io.Writer) { writeChange(w, ch, false, loc) })
		},
	}
	help := "why you approve"
	cmd.Example = `  ANDON_TOKEN=demo-bob andon change approve CHG-9 --comment "tested in staging-lyon"`
	if verdict == andon.Reject {
		cmd.Use = use + " ID --comment TEXT"
		cmd.Short = "Reject a change, which ends it"
		cmd.Example = `  andon change reject CHG-9 --comment "no rollback plan for the migration"`
		help = "why you reject (required)"
	}
	cmd.Flags().StringVar(&comment, "comment", "", help)
	if verdict == andon.Reject {
		requireFlag(cmd, "comment")
	}
	return cmd
}

func newChangeTransitionCmd(e *env, use string, to andon.State, short string) *cobra.Command {
	var comment string
	cmd := &cobra.Command{
		Use:               use + " ID",
		Short:             fmt.Sprintf("%s (state %s)", short, to),
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: e.changeCompletion(statesTo(to), nil),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			ch, err := c.Transition(cmd.Context(), args[0], to, comment)
			if err != nil {
				return err
			}
			loc := e.windowLocation(cmd, c, ch)
			return e.print(cmd, ch, func(w io.Writer) { writeChange(w, ch, false, loc) })
		},
	}
	cmd.Flags().StringVar(&comment, "comment", "", "a note for the audit log")
	return cmd
}

func newChangeStartCmd(e *env) *cobra.Command {
	cmd := newChangeTransitionCmd(e, "start", andon.StateImplementing, "Start implementing an approved change")
	cmd.Use = "start ID [--dry-run]"
	cmd.Long = `Start implementing an approved change by hand, when no deployment through
the gate starts it (a configuration change, an upgrade of modules run by
hand).

The server asks the gate policy first, as for the change's first
deployment: the change's own window, a maintenance window for a high or
critical change without one, the freezes in force and the promotion of its
images apply. A refusal names every reason (exit code 1) and leaves the
change approved.

--dry-run asks the gate the same question now and prints its answer,
starting nothing and recording nothing: exit code 0 when the start would be
allowed, 1 when it would be refused (with every reason; also for a change
that cannot start, such as a pending one, or that is not yours to start),
and 2 when the answer cannot be told (an unknown change, a server or policy
that fails). The start asks the gate again: its answer may differ if the
time, the windows or the change moved meanwhile.`
	cmd.Example = `  # Would the gate let CHG-12 start now? Exit code 0 if so.
  andon change start CHG-12 --dry-run

  andon change start CHG-12 --comment "modules upgraded by hand"`
	var dryRun bool
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "ask whether the gate would let the change start now; starts nothing, records nothing")
	start := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if !dryRun {
			return start(cmd, args)
		}
		if cmd.Flags().Changed("comment") {
			return andon.Errorf(andon.EINVALID, "--comment: a dry run records nothing, so it takes no comment")
		}
		c, err := e.remote(cmd)
		if err != nil {
			return err
		}
		check, err := c.StartCheck(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		if err := e.print(cmd, check, func(w io.Writer) { writeStartCheck(w, check) }); err != nil {
			return err
		}
		if !check.Allow {
			return &exitError{code: 1}
		}
		return nil
	}
	return cmd
}

// writeStartCheck prints for people what the gate would answer to a
// start.
func writeStartCheck(w io.Writer, check *andon.StartCheck) {
	verdict := "DENIED"
	if check.Allow {
		verdict = "ALLOWED"
	}
	fmt.Fprintf(w, "WOULD BE %s (dry run: starts nothing)\n", verdict)
	for _, r := range check.Reasons {
		fmt.Fprintf(w, "  %s: %s\n", r.Code, r.Message)
	}
	fmt.Fprintf(w, "asked about: %s\n", fmtTime(check.At))
}

func newChangeReviewCmd(e *env) *cobra.Command {
	var comment string
	cmd := &cobra.Command{
		Use:   "review ID --comment TEXT",
		Short: "Record the retrospective review of an emergency change",
		Args:  cobra.ExactArgs(1),
		ValidArgsFunction: e.changeCompletion(nil, func(ch *andon.Change) bool {
			return ch.ReviewDue != nil && ch.Review == nil
		}),
		RunE: func(cmd *cobra.Command, args []string) error {
			if andon.IsBlank(comment) {
				return andon.Errorf(andon.EINVALID, "--comment: a review needs its conclusions")
			}
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			ch, err := c.Review(cmd.Context(), args[0], comment)
			if err != nil {
				return err
			}
			loc := e.windowLocation(cmd, c, ch)
			return e.print(cmd, ch, func(w io.Writer) { writeChange(w, ch, true, loc) })
		},
	}
	cmd.Flags().StringVar(&comment, "comment", "", "conclusions of the review (required)")
	requireFlag(cmd, "comment")
	return cmd
}

// writeChange writes the human view of a change: what was decided about it
// and its requested window always, and with full, everything it records.
// The window is shown in loc, the plant's time zone, as well as in UTC; a
// nil loc, or UTC, shows it in UTC alone.
func writeChange(w io.Writer, ch *andon.Change, full bool, loc *time.Location) {
	kv(w, "id", ch.ID)
	kv(w, "title", ch.Title)
	kv(w, "environment", ch.Environment)
	kv(w, "type", string(ch.Type))
	kv(w, "state", string(ch.State))
	if full {
		kv(w, "requester", ch.Requester)
		if ch.Description != "" {
			kv(w, "description", ch.Description)
		}
		kvList(w, "artifacts", ch.Artifacts)
		kvList(w, "modules", ch.Facts.Modules)
		kv(w, "migration", fmt.Sprint(ch.Facts.Migration))
		if len(ch.Facts.MigrationPhases) > 0 {
			kvList(w, "migration phases", ch.Facts.MigrationPhases)
		}
		kvList(w, "components", ch.Facts.Components)
		if ch.Facts.SecurityChanged {
			kv(w, "access changed", "true")
		}
		if len(ch.Facts.PublicAccessRows) > 0 {
			kvList(w, "public access rows", ch.Facts.PublicAccessRows)
		}
		// Which files of the addons led to which fact.
		for _, fact := range slices.Sorted(maps.Keys(ch.Facts.Evidence)) {
			kvList(w, "evidence: "+fact, ch.Facts.Evidence[fact])
		}
		kvList(w, "processes", ch.Processes)
		if ch.Window != nil {
			kvList(w, "window", windowLines(*ch.Window, loc))
		} else {
			kv(w, "window", "-")
		}
		kv(w, "rollback plan", orDash(ch.RollbackPlan))
		links := make([]string, 0, len(ch.Links))
		for _, l := range ch.Links {
			links = append(links, l.Kind+": "+l.URL)
		}
		kvList(w, "links", links)
	}
	if !full {
		// The processes the policy weighed, those of the modules among
		// them: a module that ties the change to none shows here.
		kvList(w, "processes", ch.Processes)
		// When it may go ahead, as whoever opened or approved it
		// expects it.
		if ch.Window != nil {
			kvList(w, "window", windowLines(*ch.Window, loc))
		}
	}
	kv(w, "tier", orDash(string(ch.Risk.Tier)))
	kvList(w, "reasons", ch.Risk.Reasons)
	kvList(w, "approvals needed", slotLines(ch))
	if full {
		decisions := make([]string, 0, len(ch.Approvals))
		for _, a := range ch.Approvals {
			verb := ""
			if a.Verdict != "" {
				verb = string(a.Verdict) + "d"
			}
			decisions = append(decisions, decisionLine(a, verb))
		}
		kvList(w, "decisions", decisions)
		if ch.ReviewDue != nil {
			kv(w, "review due", reviewDue(ch, time.Now()))
		}
		if ch.Review != nil {
			kv(w, "review", decisionLine(*ch.Review, "reviewed it"))
		}
		kv(w, "created", fmtTime(ch.CreatedAt))
		kv(w, "updated", fmtTime(ch.UpdatedAt))
	} else if ch.ReviewDue != nil && ch.Review == nil {
		kv(w, "review due", reviewDue(ch, time.Now()))
	}
}

// windowLines is a change's window as people read it: in the plant's
// local time, which is how the plant plans, as calendar next and calendar
// show print it, then in UTC; in UTC alone when loc is nil or UTC.
func windowLines(s andon.Span, loc *time.Location) []string {
	utc := fmtTime(s.Start) + " to " + fmtTime(s.End)
	if loc == nil || loc == time.UTC {
		return []string{utc}
	}
	return []string{s.Start.In(loc).Format(layoutLocal) + " to " + s.End.In(loc).Format(layoutLocal) + " (" + loc.String() + ")", utc}
}

// windowLocation returns the time zone of the plant of ch's environment,
// in which the human view shows its window; nil when ch has no window or
// the output is for programs, which need no second call to the server.
func (e *env) windowLocation(cmd *cobra.Command, c *client.Client, ch *andon.Change) *time.Location {
	if ch.Window == nil || !human(cmd) {
		return nil
	}
	return e.location(cmd.Context(), c, ch.Environment)
}

// reviewDue says when the retrospective review of ch, which owes one, is
// due and, until it is given, whether that has passed: "overdue by 2h",
// or "in 46h", as the findings and the board say it.
func reviewDue(ch *andon.Change, now time.Time) string {
	due := fmtTime(*ch.ReviewDue)
	switch {
	case ch.Review != nil:
		return due
	case ch.ReviewDue.Before(now):
		return due + " (overdue by " + andon.HumanDuration(now.Sub(*ch.ReviewDue)) + ")"
	}
	return due + " (in " + andon.HumanDuration(ch.ReviewDue.Sub(now)) + ")"
}

// slotLines describes each required approval as "role n/m by a, b".
func slotLines(ch *andon.Change) []string {
	slots := ch.Slots()
	if len(slots) == 0 {
		return []string{"none"}
	}
	lines := make([]string, 0, len(slots))
	for _, s := range slots {
		line := fmt.Sprintf("%s %d/%d", s.Role, len(s.Approved), s.Count)
		if len(s.Approved) > 0 {
			line += " by " + strings.Join(s.Approved, ", ")
		}
		lines = append(lines, line)
	}
	return lines
}

// decisionLine is one approval, rejection or review: when, who, what
// (verb, such as "approved"; none when empty), in which role, and why.
func decisionLine(a andon.Approval, verb string) string {
	line := fmtTime(a.At) + " " + a.Approver
	if verb != "" {
		line += " " + verb
	}
	if a.Role != "" {
		line += " as " + a.Role
	}
	if a.Comment != "" {
		line += ": " + cell(a.Comment)
	}
	return line
}

// fixed completes a flag from a list of allowed values.
func fixed[T ~string](values []T) cobra.CompletionFunc {
	return cobra.FixedCompletions(strs(values), cobra.ShellCompDirectiveNoFileComp)
}

// requestFlags are the flags of change create by the fields of
// andon.ChangeRequest that the server's messages start with.
var requestFlags = []fieldFlag{
	{"artifacts[", "--image"},
	{"facts.modules[", "--module"},
	{"facts.components[", "--component"},
	{"processes[", "--process"},
	{"environment:", "--env"},
	{"type:", "--type"},
	{"title:", "--title"},
	{"rollbackPlan:", "--rollback-plan"},
	{"window:", "--start and --end"},
	{"window.end:", "--end"},
	{"links[", "--link"},
}

// flagNamed returns err with the field of the request it starts with
// ("artifacts[0]: image … is not pinned by digest") named as the flag
// that set it ("--image: image …").
func flagNamed(err error) error { return namedFlag(err, requestFlags) }

// fieldFlag is the flag of a command that sets a field of the request it
// sends: the start of the field's errors, and the flag.
type fieldFlag struct{ field, flag string }

// namedFlag returns err with the field of the request it starts with
// named as the flag of flags that set it.
func namedFlag(err error, flags []fieldFlag) error {
	msg := andon.ErrorMessage(err)
	for _, rf := range flags {
		if !strings.HasPrefix(msg, rf.field) {
			continue
		}
		if _, rest, ok := strings.Cut(msg, ":"); ok {
			return andon.Errorf(andon.ErrorCode(err), "%s:%s", rf.flag, rest)
		}
	}
	return err
}

// warnUnknownModules warns about the modules of change id (those named by
// hand, not read from git) that no business process of the catalog lists
// and that are not Odoo core modules: most likely misspelt, and in any
// case tying the change to no process, whose tier the risk would weigh.
func warnUnknownModules(cmd *cobra.Command, e *env, c *client.Client, id string, modules []string) {
	if len(modules) == 0 {
		return
	}
	cat, err := c.Catalog(cmd.Context())
	if err != nil {
		return
	}
	core := map[string]bool{}
	var known []string
	for _, m := range odoo.Odoo17().Modules {
		core[m.Name] = true
		known = append(known, m.Name)
	}
	for _, p := range cat.Processes {
		known = append(known, p.Modules...)
	}
	slices.Sort(known)
	known = slices.Compact(known)
	for _, m := range modules {
		if !core[m] && len(cat.ProcessesForModules(nil, []string{m})) == 0 {
			guess := ""
			if close := andon.Closest(m, known); len(close) > 0 {
				guess = " (did you mean " + strings.Join(close, " or ") + "?)"
			}
			fmt.Fprintf(e.stderr, "andon: warning: module %s is not an Odoo 17 core module and no business process of the catalog lists it, so the risk of %s ties it to no business process; if it is misspelt%s, cancel the change and open it again, and if it is yours, add it to the modules of the processes it serves\n", m, id, guess)
		}
	}
}

// warnFrozenWindow warns when the window requested for ch overlaps a
// freeze that does not allow its type: the gate refuses the change during
// the freeze, so a window inside one can never let it go ahead, and one
// that runs into one is shorter than it looks. The change is opened all
// the same, as a freeze may still be moved in the catalog; the warning
// names the freeze and, to the requester who just opened it (opened),
// the command that finds a window outside it.
func warnFrozenWindow(cmd *cobra.Command, e *env, c *client.Client, ch *andon.Change, opened bool) {
	if ch.Window == nil {
		return
	}
	occs, err := c.Occurrences(cmd.Context(), ch.Environment, ch.Window.Start, ch.Window.End)
	if err != nil {
		return
	}
	// A freeze of two occurrences that overlap one another (the month-end
	// close, 48 h on each of the last two days) is named once, as the span
	// the gate names in its FROZEN reason: in force from the first
	// instant of the window it holds, until the last of the occurrences
	// that overlap or touch ends.
	warned := map[string]bool{}
	for _, o := range occs {
		if !o.Stops(ch.Type) || !o.Start.Before(ch.Window.End) || !ch.Window.Start.Before(o.End) || warned[o.Window] {
			continue
		}
		warned[o.Window] = true
		o = inForce(cmd.Context(), c, ch.Environment, o, ch.Window.Start)
		within := "overlaps"
		if !ch.Window.Start.Before(o.Start) && !o.End.Before(ch.Window.End) {
			within = "lies inside"
		}
		fmt.Fprintf(e.stderr, "andon: warning: the window of %s, %s to %s, %s the freeze %s, %s to %s, which %s: the gate refuses %s (a %s change) during it",
			ch.ID, ch.Window.Start.Format(time.RFC3339), ch.Window.End.Format(time.RFC3339), within,
			o.Window, o.Start.Format(time.RFC3339), o.End.Format(time.RFC3339), andon.FreezeAllows(o.Allow),
			ch.ID, ch.Type)
		if opened {
			fmt.Fprintf(e.stderr, "; to find a window outside every freeze, run andon calendar next --env %s --duration %s --type %s, then cancel %s and open it again with that window",
				ch.Environment, andon.ShortDuration(ch.Window.End.Sub(ch.Window.Start)), ch.Type, ch.ID)
		}
		fmt.Fprintln(e.stderr)
	}
}

// warnOpenIncidents warns when ch, not an emergency change, is to a
// production environment that an open critical incident stops: the gate
// refuses it until every such incident is resolved. The change is opened,
// and approved, all the same, as it may wait for the fix.
func warnOpenIncidents(cmd *cobra.Command, e *env, c *client.Client, ch *andon.Change) {
	if ch.Type == andon.ChangeEmergency {
		return
	}
	stop := stoppingIncidents(cmd.Context(), c, ch.Environment)
	if len(stop) == 0 {
		return
	}
	who, it := stoppedBy(stop)
	fmt.Fprintf(e.stderr, "andon: warning: %s is stopped by %s: the gate refuses %s (a %s change) until %s resolved; only an emergency change goes through meanwhile\n",
		ch.Environment, who, ch.ID, ch.Type, it)
}

// inForce returns occurrence o of a window as the gate sees it at the
// first instant it holds from start on: merged with the occurrences of
// the window that overlap or touch it, as the server's calendar merges
// them. o itself stands in when the server cannot say.
func inForce(ctx context.Context, c *client.Client, env string, o andon.Occurrence, start time.Time) andon.Occurrence {
	at := o.Start
	if start.After(at) {
		at = start
	}
	active, err := c.Active(ctx, env, at)
	if err != nil {
		return o
	}
	for _, a := range active {
		if a.Window == o.Window && a.Type == o.Type {
			return a
		}
	}
	return o
}

// factsFromGit fills the facts of req from the addons of a range of
// commits, with the business processes of the server's catalog, links
// the change to the range, and returns the modules it read there.
func factsFromGit(cmd *cobra.Command, e *env, c *client.Client, req *andon.ChangeRequest, git odooImpactOptions) ([]string, error) {
	cat, err := c.Catalog(cmd.Context())
	if err != nil {
		return nil, err
	}
	if cat.Environment(req.Environment) == nil {
		return nil, andon.Errorf(andon.EINVALID, "--env: %s", cat.UnknownEnvironment(req.Environment))
	}
	git.env = req.Environment
	rep, err := analyseAddons(cmd, e, &git, cat)
	if err != nil {
		return nil, err
	}
	f := rep.Impact.Facts
	union := func(a, b []string) []string {
		out := slices.Concat(a, b)
		slices.Sort(out)
		return slices.Compact(out)
	}
	req.Facts.Modules = union(req.Facts.Modules, f.Modules)
	req.Facts.Migration = req.Facts.Migration || f.Migration
	req.Facts.MigrationPhases = union(req.Facts.MigrationPhases, f.MigrationPhases)
	req.Facts.SecurityChanged = req.Facts.SecurityChanged || f.SecurityChanged
	req.Facts.PublicAccessRows = union(req.Facts.PublicAccessRows, f.PublicAccessRows)
	req.Processes = union(req.Processes, f.Processes)
	// The lists stay within what the server takes (andon.MaxFactItems):
	// a large range names the rest by count.
	req.Facts.PublicAccessRows = capped(req.Facts.PublicAccessRows, "rows")
	req.Facts.Evidence = map[string][]string{}
	for k, files := range f.Evidence {
		req.Facts.Evidence[k] = capped(files, "files")
	}
	req.Links = append(req.Links, andon.Link{Kind: "git", URL: fmt.Sprintf("%s@%s..%s", rep.Repository, rep.FromCommit, rep.ToCommit)})
	return f.Modules, nil
}

// capped returns list, or its first entries and a last one that counts
// the others, within andon.MaxFactItems.
func capped(list []string, what string) []string {
	if len(list) <= andon.MaxFactItems {
		return list
	}
	n := andon.MaxFactItems - 1
	return append(slices.Clone(list[:n]), fmt.Sprintf("… and %d more %s", len(list)-n, what))
}
