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

// newIncidentCmd returns `andon incident`: the andon cord. An open
// incident stops the changes in its scope at the gate, emergency changes
// excepted, until it is resolved.
func newIncidentCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "incident",
		Short: "Open, list and resolve incidents, which stop changes at the gate while open",
		Long: `An incident is something going wrong at a plant: while it is open, the gate
gives it to the policy for every environment in its scope, and the default
policy refuses every change to production but an emergency one while a
critical incident is open; outside production, where the fix is tried
first, an incident stops nothing. Anyone may open one, as anyone may
pull an andon cord; whoever opened it, a change manager or a platform
admin resolves it. Alertmanager opens and resolves incidents itself
through POST /api/v1/incidents/alertmanager (see docs/incidents.md).`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newIncidentOpenCmd(e), newIncidentListCmd(e), newIncidentShowCmd(e), newIncidentResolveCmd(e))
	return cmd
}

func newIncidentOpenCmd(e *env) *cobra.Command {
	var req andon.IncidentRequest
	var severity string
	cmd := &cobra.Command{
		Use:   "open --title TEXT (--plant P | --process P | --env E | --namespace NS | --global)...",
		Short: "Open an incident: a critical one stops the changes to production in its scope, emergency changes excepted",
		Example: `  andon incident open --title "MRP scheduler down" --plant lyon
  andon incident open --id INC0012345 --title "label printers offline" --env prod-lyon --severity high`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req.Severity = andon.Level(severity)
			if err := req.Validate(); err != nil {
				return namedFlag(err, incidentFlags)
			}
			if req.Scope.Empty() {
				return andon.Errorf(andon.EINVALID, "say what the incident stops: --plant, --process, --env or --namespace (repeatable), or --global for every environment")
			}
			if named := req.Scope; named.Global {
				if named.Global = false; !named.Empty() {
					return andon.Errorf(andon.EINVALID, "--global stops every environment: give it without --plant, --process, --env and --namespace, or give those without it")
				}
			}
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			inc, err := c.OpenIncident(cmd.Context(), &req)
			if err != nil {
				return namedFlag(err, incidentFlags)
			}
			return e.print(cmd, inc, func(w io.Writer) { writeIncident(w, inc) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.ID, "id", "", "the incident's ID in the tool that tracks it (default: andon gives one, INC-1, INC-2, ...)")
	f.StringVar(&req.Title, "title", "", "what is wrong (required)")
	f.StringVar(&severity, "severity", string(andon.LevelCritical), "one of "+strings.Join(strs(andon.Levels), ", ")+"; the default policy stops the changes to production for a critical one only")
	f.StringSliceVar(&req.Scope.Plants, "plant", nil, "plant whose environments it stops (repeatable)")
	f.StringSliceVar(&req.Scope.Processes, "process", nil, "business process whose environments it stops (repeatable)")
	f.StringSliceVar(&req.Scope.Environments, "env", nil, "environment it stops (repeatable)")
	f.StringSliceVar(&req.Scope.Namespaces, "namespace", nil, "Kubernetes namespace, or cluster/namespace, whose environment it stops (repeatable)")
	f.BoolVar(&req.Scope.Global, "global", false, "stop every environment")
	f.StringVar(&req.Link, "link", "", "URL of the incident in the tool that tracks it")
	cmd.MarkFlagRequired("title")
	cmd.RegisterFlagCompletionFunc("env", e.environmentCompletion)
	cmd.RegisterFlagCompletionFunc("process", e.processCompletion)
	cmd.RegisterFlagCompletionFunc("plant", e.plantCompletion)
	cmd.RegisterFlagCompletionFunc("namespace", e.namespaceCompletion)
	cmd.RegisterFlagCompletionFunc("severity", cobra.FixedCompletions(strs(andon.Levels), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// incidentFlags are the flags of andon incident open, by the fields of
// the request they set.
var incidentFlags = []fieldFlag{
	{"title:", "--title"}, {"severity:", "--severity"}, {"id:", "--id"}, {"link:", "--link"},
	{"scope.plants:", "--plant"}, {"scope.processes:", "--process"}, {"scope.environments:", "--env"}, {"scope.namespaces:", "--namespace"},
}

func newIncidentListCmd(e *env) *cobra.Command {
	var f andon.IncidentFilter
	var severity string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List incidents, the open ones first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("state") && f.State != andon.IncidentOpen && f.State != andon.IncidentResolved {
				return andon.Errorf(andon.EINVALID, "--state: %q is neither open nor resolved", f.State)
			}
			if f.Severity = andon.Level(severity); severity != "" && !slices.Contains(andon.Levels, f.Severity) {
				return andon.Errorf(andon.EINVALID, "--severity: %q is not one of %s", severity, strings.Join(strs(andon.Levels), ", "))
			}
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			list, err := c.Incidents(cmd.Context(), f)
			if err != nil {
				return err
			}
			if list == nil {
				list = []*andon.Incident{}
			}
			if human(cmd) && len(list) == 0 {
				fmt.Fprintln(e.stderr, "no incidents")
				return nil
			}
			out := struct {
				Incidents []*andon.Incident `json:"incidents"`
			}{list}
			return e.print(cmd, out, func(w io.Writer) {
				fmt.Fprintln(w, "ID\tSTATE\tSEVERITY\tSCOPE\tOPENED\tBY\tTITLE")
				for _, inc := range list {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", inc.ID, inc.State, inc.Severity, cell(inc.Scope.String()),
						fmtTime(inc.OpenedAt), inc.OpenedBy, truncate(cell(inc.Title), 60))
				}
			})
		},
	}
	cmd.Flags().StringVar(&f.State, "state", "", "open or resolved (default: both)")
	cmd.Flags().StringVar(&severity, "severity", "", "only the incidents of this severity: "+strings.Join(strs(andon.Levels), ", ")+" (default: all)")
	cmd.Flags().IntVar(&f.Offset, "offset", 0, "skip this many incidents, for the next page")
	cmd.Flags().IntVar(&f.Limit, "limit", 100, "at most this many")
	cmd.PreRunE = refuseZeroLimit
	cmd.RegisterFlagCompletionFunc("state", cobra.FixedCompletions([]string{andon.IncidentOpen, andon.IncidentResolved}, cobra.ShellCompDirectiveNoFileComp))
	cmd.RegisterFlagCompletionFunc("severity", cobra.FixedCompletions(strs(andon.Levels), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newIncidentShowCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:               "show ID",
		Short:             "Show an incident",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: e.incidentCompletion(""),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			inc, err := c.Incident(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return e.print(cmd, inc, func(w io.Writer) { writeIncident(w, inc) })
		},
	}
}

func newIncidentResolveCmd(e *env) *cobra.Command {
	var comment string
	cmd := &cobra.Command{
		Use:               "resolve ID --comment TEXT",
		Short:             "Resolve an open incident: the changes it stopped may go ahead again",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: e.incidentCompletion(andon.IncidentOpen),
		RunE: func(cmd *cobra.Command, args []string) error {
			if andon.IsBlank(comment) {
				return andon.Errorf(andon.EINVALID, "--comment: say what was done, or why the incident no longer stops changes")
			}
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			inc, err := c.ResolveIncident(cmd.Context(), args[0], comment)
			if err != nil {
				return err
			}
			return e.print(cmd, inc, func(w io.Writer) { writeIncident(w, inc) })
		},
	}
	cmd.Flags().StringVar(&comment, "comment", "", "what was done (required)")
	requireFlag(cmd, "comment")
	return cmd
}

// writeIncident writes the human view of an incident.
func writeIncident(w io.Writer, inc *andon.Incident) {
	kv(w, "id", inc.ID)
	kv(w, "title", inc.Title)
	kv(w, "severity", string(inc.Severity))
	kv(w, "state", inc.State)
	// The scope, not what it stops: a resolved incident stops nothing,
	// nor does one below critical under the default policy.
	kv(w, "scope", inc.Scope.String())
	kv(w, "source", inc.Source)
	if inc.Link != "" {
		kv(w, "link", inc.Link)
	}
	kv(w, "opened", fmtTime(inc.OpenedAt)+" by "+inc.OpenedBy)
	if inc.ResolvedAt != nil {
		kv(w, "resolved", fmtTime(*inc.ResolvedAt)+" by "+inc.ResolvedBy)
		kv(w, "comment", inc.Comment)
	}
}

// incidentCompletion completes an incident ID with the server's
// incidents in state (any when ""), each described by its title.
func (e *env) incidentCompletion(state string) cobra.CompletionFunc {
	return e.argCompletion(func(ctx context.Context, c *client.Client) ([]cobra.Completion, error) {
		list, err := c.Incidents(ctx, andon.IncidentFilter{State: state, Limit: completedChanges})
		var out []cobra.Completion
		for _, inc := range list {
			out = append(out, cobra.CompletionWithDesc(inc.ID, oneLine(inc.State+", "+inc.Title)))
		}
		return out, err
	})
}

// stoppingIncidents returns the open critical incidents whose scope takes
// in environment envName when it is a production one: those for which the
// default gate refuses every change to it but an emergency one
// (INCIDENT_OPEN). It returns none when the server cannot say, as these
// are notes for people and the gate decides all the same.
func stoppingIncidents(ctx context.Context, c *client.Client, envName string) []*andon.Incident {
	cat, err := c.Catalog(ctx)
	if err != nil {
		return nil
	}
	env := cat.Environment(envName)
	if env == nil || env.Stage != andon.StageProduction {
		return nil
	}
	open, err := c.Incidents(ctx, andon.IncidentFilter{State: andon.IncidentOpen})
	if err != nil {
		return nil
	}
	var out []*andon.Incident
	for _, inc := range open {
		if inc.Stops(env) {
			out = append(out, inc)
		}
	}
	return out
}

// stoppedBy names the open critical incidents of list, "the open
// critical incident INC-1 (MRP scheduler down)" or "the open critical
// incidents INC-3 (Odoo down), INC-1 (…)", with the words that say they
// are open: "it is" or "they are".
func stoppedBy(list []*andon.Incident) (who, it string) {
	names := make([]string, len(list))
	for i, inc := range list {
		names[i] = inc.ID + " (" + oneLine(inc.Title) + ")"
	}
	if len(list) == 1 {
		return "the open critical incident " + names[0], "it is"
	}
	return "the open critical incidents " + strings.Join(names, ", "), "they are"
}
