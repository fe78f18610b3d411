package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
)

// newBackupCmd returns `andon backup`: the evidence of the backups of
// environments' databases, which the gate asks for before a migration.
func newBackupCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Record and list the backups of environments' databases, which the gate asks for before a migration",
		Long: `The default gate refuses a change that migrates a production database
(--migration) unless a backup of that database completed within 24 hours
before the deployment (NO_FRESH_BACKUP): the rollback of a migration is a
restore. Whoever runs the backups records each that completed, with
andon backup record or POST /api/v1/backups; a platform admin may.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newBackupRecordCmd(e), newBackupListCmd(e))
	return cmd
}

// backupFlags are the flags of andon backup record, by the fields of the
// request they set.
var backupFlags = []fieldFlag{
	{"environment:", "--env"}, {"id:", "--id"}, {"completedAt:", "--completed"}, {"method:", "--method"}, {"link:", "--link"},
}

func newBackupRecordCmd(e *env) *cobra.Command {
	var req andon.BackupRequest
	cmd := &cobra.Command{
		Use:   "record --env E [--id NAME] [--completed T] [--method M] [--link URL]",
		Short: "Record a backup of an environment's database that completed",
		Long: `Record a backup of an environment's database that completed. Recording
the same backup again, its ID, environment and completion, prints it as it
was recorded and writes nothing, so that a job run twice succeeds; so
does its ID and environment again without --completed, which then stands
for the completion recorded, not now. An ID recorded already with another
environment, or another completion given, is refused.`,
		Example: `  # After the nightly CloudNativePG backup of Lyon's production:
  andon backup record --env prod-lyon --id odoo-lyon-20261128020000 --method barman-cloud --completed 2026-11-28T02:14:09Z`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if req.CompletedAt, err = timeFlag(cmd, "completed"); err != nil {
				return err
			}
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			b, created, err := c.RecordBackup(cmd.Context(), &req)
			if err != nil {
				return namedFlag(err, backupFlags)
			}
			if !created {
				fmt.Fprintf(e.stderr, "backup %s recorded already\n", b.ID)
			}
			return e.print(cmd, b, func(w io.Writer) {
				kv(w, "id", b.ID)
				kv(w, "environment", b.Environment)
				kv(w, "method", orDash(b.Method))
				kv(w, "completed", fmtTime(b.CompletedAt))
				if b.Link != "" {
					kv(w, "link", b.Link)
				}
				kv(w, "recorded", fmtTime(b.RecordedAt)+" by "+b.RecordedBy)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Environment, "env", "", "environment whose database was backed up (required)")
	f.StringVar(&req.ID, "id", "", "the backup's name where it was taken, such as a CloudNativePG Backup's (default: andon gives one, BKP-1, ...)")
	f.String("completed", "", "when it completed, RFC 3339 (default: now, or the completion recorded already under --id)")
	f.StringVar(&req.Method, "method", "", "how it was taken: barman-cloud, volumeSnapshot, pgbackrest, pg_dump, ...")
	f.StringVar(&req.Link, "link", "", "URL of the backup or of its job")
	cmd.MarkFlagRequired("env")
	cmd.RegisterFlagCompletionFunc("env", e.environmentCompletion)
	return cmd
}

func newBackupListCmd(e *env) *cobra.Command {
	var f andon.BackupFilter
	cmd := &cobra.Command{
		Use:   "list [--env E]",
		Short: "List the backups recorded, the latest completed first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			list, err := c.Backups(cmd.Context(), f)
			if err != nil {
				return err
			}
			if list == nil {
				list = []*andon.Backup{}
			}
			if human(cmd) && len(list) == 0 {
				fmt.Fprintln(e.stderr, "no backups")
				return nil
			}
			out := struct {
				Backups []*andon.Backup `json:"backups"`
			}{list}
			return e.print(cmd, out, func(w io.Writer) {
				fmt.Fprintln(w, "ID\tENVIRONMENT\tMETHOD\tCOMPLETED\tRECORDED BY")
				for _, b := range list {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", b.ID, b.Environment, orDash(b.Method), fmtTime(b.CompletedAt), b.RecordedBy)
				}
			})
		},
	}
	cmd.Flags().StringVar(&f.Environment, "env", "", "only the backups of this environment")
	cmd.Flags().IntVar(&f.Limit, "limit", 100, "at most this many")
	cmd.PreRunE = refuseZeroLimit
	cmd.RegisterFlagCompletionFunc("env", e.environmentCompletion)
	return cmd
}
