package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/client"
)

// newCalendarCmd returns `andon calendar`: the windows of an environment
// and the next slot a change fits in. Times are shown in the plant's local
// time, which is how the plant plans, and in UTC, which is how pipelines
// and the audit log record them.
func newCalendarCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "calendar",
		Short: "Show windows and find the next safe slot",
	}
	cmd.AddCommand(newCalendarNextCmd(e), newCalendarShowCmd(e), newCalendarFeedTokenCmd(e))
	return cmd
}

func newCalendarNextCmd(e *env) *cobra.Command {
	var (
		envName      string
		d            time.Duration
		typ          string
		outsidePeaks bool
	)
	cmd := &cobra.Command{
		Use:   "next --env E --duration D [--after RFC3339] [--type T] [--outside-peaks]",
		Short: "Find the next maintenance slot outside every freeze",
		Long: `Find the earliest slot of the given duration that lies inside one maintenance
window of the environment and overlaps no freeze. Without --type the slot is
not tied to a change, and every freeze blocks it. With --type, a freeze whose
allow lists that change type does not block it, as the gate lets such a
change through the freeze. Peaks do not block a slot, as the gate does not
refuse a change during one: a slot that overlaps a peak is offered, and
the peak is named. With --outside-peaks, the slot overlaps no peak either.
An open critical incident that stops a production environment has no end
to plan around: the slot is given all the same, and a note on standard
error names the incidents, until whose resolution the gate refuses every
change to it but an emergency one.
The last line gives the slot as the --start and --end of andon change
create, in RFC 3339 at the plant's offset.`,
		Example: `  andon calendar next --env prod-lyon --duration 1h
  andon calendar next --env prod-geelong --duration 90m --after 2027-01-04T00:00:00+11:00
  andon calendar next --env prod-lyon --duration 2h --type emergency
  andon calendar next --env prod-lyon --duration 2h --outside-peaks`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if d <= 0 {
				return andon.Errorf(andon.EINVALID, "--duration %s: want a positive duration such as 2h", andon.ShortDuration(d))
			}
			change := andon.ChangeType(typ)
			if cmd.Flags().Changed("type") && !slices.Contains(andon.ChangeTypes, change) {
				return andon.Errorf(andon.EINVALID, "--type %q: want standard, normal or emergency", typ)
			}
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			t, err := timeFlag(cmd, "after")
			if err != nil {
				return err
			}
			slot, err := c.NextSlot(cmd.Context(), envName, d, t, change, outsidePeaks)
			if err != nil {
				return err
			}
			var loc *time.Location
			if human(cmd) {
				loc = e.location(cmd.Context(), c, envName)
			}
			err = e.print(cmd, slot, func(w io.Writer) {
				if change != "" {
					fmt.Fprintf(w, "next %s slot for a change of type %s in %s:\n", andon.ShortDuration(d), change, envName)
				} else {
					fmt.Fprintf(w, "next %s slot for %s:\n", andon.ShortDuration(d), envName)
				}
				fmt.Fprintf(w, "\tLOCAL (%s)\tUTC\n", loc)
				fmt.Fprintf(w, "start\t%s\t%s\n", slot.Start.In(loc).Format(layoutLocal), fmtTime(slot.Start))
				fmt.Fprintf(w, "end\t%s\t%s\n", slot.End.In(loc).Format(layoutLocal), fmtTime(slot.End))
				// The gate does not refuse a change during a peak, but
				// the plant would rather see none then: said, the
				// engineer chooses.
				for _, p := range slot.Peaks {
					fmt.Fprintf(w, "overlaps the peak %s: %s to %s (%s to %s)\n",
						p.Window, p.Start.In(loc).Format(layoutLocal), p.End.In(loc).Format(layoutLocal), fmtTime(p.Start), fmtTime(p.End))
				}
				if len(slot.Peaks) > 0 {
					fmt.Fprintf(w, "to skip the slots that overlap a peak: add --outside-peaks\n")
				}
				// Neither column is a time that --start takes: the flags of
				// change create that request the slot, in the plant's time.
				fmt.Fprintf(w, "to request it: --start %s --end %s\n", slot.Start.In(loc).Format(time.RFC3339), slot.End.In(loc).Format(time.RFC3339))
			})
			// The slot is outside every freeze, but an incident is no
			// window and has no end to plan around: the slot is given,
			// and the incidents that stop the environment now are named.
			if err == nil && human(cmd) && change != andon.ChangeEmergency {
				noteOpenIncidents(cmd, e, c, envName)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&envName, "env", "", "environment (required)")
	cmd.RegisterFlagCompletionFunc("env", e.environmentCompletion)
	f.Var((*dayDuration)(&d), "duration", "length of the change, such as 2h, 90m or 1d (required)")
	f.String("after", "", "earliest start, RFC 3339 (default now)")
	f.StringVar(&typ, "type", "", "change type the slot is for: standard, normal or emergency; a freeze that allows it does not block the slot (default: none, every freeze blocks)")
	cmd.RegisterFlagCompletionFunc("type", fixed(andon.ChangeTypes))
	f.BoolVar(&outsidePeaks, "outside-peaks", false, "skip the slots that overlap a peak (default: a peak does not block a slot, and is named)")
	cmd.MarkFlagRequired("env")
	cmd.MarkFlagRequired("duration")
	return cmd
}

func newCalendarShowCmd(e *env) *cobra.Command {
	var (
		envName string
		days    int
	)
	cmd := &cobra.Command{
		Use:   "show --env E [--from RFC3339] [--to RFC3339 | --days N]",
		Short: "List the window occurrences of an environment",
		Long: `List the occurrences of the windows (freezes, maintenance, peaks) that apply
to an environment, in the plant's local time and in UTC. The range starts
--from (default now) and ends --to, or --days after its start (default 7).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			start, err := timeFlag(cmd, "from")
			if err != nil {
				return err
			}
			end, err := timeFlag(cmd, "to")
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("days") && cmd.Flags().Changed("to") {
				return andon.Errorf(andon.EINVALID, "--to and --days: give one, not both")
			}
			var loc *time.Location
			if cmd.Flags().Changed("days") {
				if days <= 0 || days > andon.MaxCalendarDays {
					return andon.Errorf(andon.EINVALID, "--days %d: want a number of days from 1 to %d", days, andon.MaxCalendarDays)
				}
				if start.IsZero() {
					// The server would pick now too, but the end must be
					// computed from the same start.
					start = time.Now()
				}
				// Days on the plant's calendar: across a change of
				// clocks the range still ends at the plant's time of
				// --from, which a day of 24 hours would miss by one.
				loc = e.location(cmd.Context(), c, envName)
				end = start.In(loc).AddDate(0, 0, days)
				if limit := start.Add(andon.MaxCalendarDays * 24 * time.Hour); end.After(limit) {
					end = limit
				}
			} else if !start.IsZero() && end.Sub(start) > andon.MaxCalendarDays*24*time.Hour {
				return andon.Errorf(andon.EINVALID, "--to %s: more than %d days after --from %s", end.Format(time.RFC3339), andon.MaxCalendarDays, start.Format(time.RFC3339))
			}
			occs, err := c.Occurrences(cmd.Context(), envName, start, end)
			if err != nil {
				return err
			}
			if occs == nil {
				occs = []andon.Occurrence{}
			}
			out := struct {
				Environment string             `json:"environment"`
				Occurrences []andon.Occurrence `json:"occurrences"`
			}{envName, occs}
			if human(cmd) && len(occs) == 0 {
				fmt.Fprintf(e.stderr, "no windows apply to %s in this range\n", envName)
				return nil
			}
			if human(cmd) && loc == nil {
				loc = e.location(cmd.Context(), c, envName)
			}
			return e.print(cmd, out, func(w io.Writer) {
				fmt.Fprintf(w, "WINDOW\tTYPE\tSTART (%[1]s)\tEND (%[1]s)\tSTART (UTC)\tEND (UTC)\tALLOWS\n", loc)
				for _, o := range occs {
					allow := make([]string, len(o.Allow))
					for i, t := range o.Allow {
						allow[i] = string(t)
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.Window, o.Type,
						o.Start.In(loc).Format(layoutLocal), o.End.In(loc).Format(layoutLocal),
						fmtTime(o.Start), fmtTime(o.End), orDash(strings.Join(allow, ",")))
				}
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&envName, "env", "", "environment (required)")
	cmd.RegisterFlagCompletionFunc("env", e.environmentCompletion)
	f.String("from", "", "start of the range, RFC 3339 (default now)")
	f.String("to", "", "end of the range, RFC 3339 (default 7 days after the start)")
	f.IntVar(&days, "days", 7, "length of the range in days, instead of --to")
	cmd.MarkFlagRequired("env")
	return cmd
}

func newCalendarFeedTokenCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "feed-token",
		Short: "Get a feed token and the calendar feed URLs it opens",
		Long: `Issue a feed token to the user of the API token and print the URLs of the
calendar feeds (iCalendar, RFC 5545) of every environment and plant, to
subscribe to in Outlook, Google Calendar or any calendar client. Calendar
clients cannot send headers, so the token is in the URL; it opens the
calendar feed and nothing else. Each run issues a new token, which expires
when the API token does, if that one expires, and is revoked with it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			t, err := c.CreateFeedToken(cmd.Context())
			if err != nil {
				return err
			}
			return e.print(cmd, t, func(w io.Writer) {
				fmt.Fprintf(w, "feed token:\t%s\n", t.Token)
				if t.ExpiresAt != nil {
					// With the API token it was asked for with: the
					// subscriptions stop updating then.
					fmt.Fprintf(w, "expires:\t%s, with the API token that asked for it\n", fmtSecond(*t.ExpiresAt))
				}
				fmt.Fprintf(w, "KIND\tNAME\tFEED URL\n")
				for _, name := range slices.Sorted(maps.Keys(t.Environments)) {
					fmt.Fprintf(w, "environment\t%s\t%s\n", name, t.Environments[name])
				}
				for _, name := range slices.Sorted(maps.Keys(t.Plants)) {
					fmt.Fprintf(w, "plant\t%s\t%s\n", name, t.Plants[name])
				}
			})
		},
	}
}

// noteOpenIncidents notes the open critical incidents that stop
// production environment envName now: the gate refuses every change to it
// but an emergency one until they are resolved.
func noteOpenIncidents(cmd *cobra.Command, e *env, c *client.Client, envName string) {
	stop := stoppingIncidents(cmd.Context(), c, envName)
	if len(stop) == 0 {
		return
	}
	who, it := stoppedBy(stop)
	fmt.Fprintf(e.stderr, "note: %s is stopped now by %s: the gate refuses every change to it but an emergency one until %s resolved, so the slot is usable only then\n",
		envName, who, it)
}

// location returns the time zone of the environment's first plant, as the
// server's catalog gives it. Local times are a courtesy next to UTC, so a
// failure to read the catalog is a warning and UTC stands in.
func (e *env) location(ctx context.Context, c *client.Client, envName string) *time.Location {
	cat, err := c.Catalog(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "andon: warning: cannot read the time zone of %s, showing UTC: %s\n", envName, andon.ErrorMessage(err))
		return time.UTC
	}
	env := cat.Environment(envName)
	if env == nil {
		return time.UTC
	}
	return cat.Location(env)
}
