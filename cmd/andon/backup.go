package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/internal/reviewdoc"
)

// newBackupCmd returns `andon backup`: the evidence of the backups of
// environments' databases, which the gate asks for before a migration.
func newBackupCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Record and list the backups of environments' databases, which the gate asks for before a migration, and their restore tests",
		Long: `The default gate refuses a change that migrates a production database
(--migration) unless a backup of that database completed within 24 hours
before the deployment (NO_FRESH_BACKUP): the rollback of a migration is a
restore. Whoever runs the backups records each that completed, with
andon backup record or POST /api/v1/backups; a platform admin may.

A restore test of a recorded backup is evidence that it restores, and in
how long: record each with andon backup restore-test.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newBackupRecordCmd(e), newBackupListCmd(e), newRestoreTestCmd(e), newRestoreTestListCmd(e), newBackupStatusCmd(e))
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
				return namedFlag(err, envFlag)
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

// envFlag names --env in the errors of the listings and the status, which
// the server gives by the field of their filter.
var envFlag = []fieldFlag{{"environment:", "--env"}}

// restoreTestFlags are the flags of andon backup restore-test, by the
// fields of the request they set.
var restoreTestFlags = []fieldFlag{
	{"environment:", "--env"}, {"backup:", "--backup"}, {"startedAt:", "--started"}, {"finishedAt:", "--finished"},
	{"link:", "--link"}, {"note:", "--note"},
}

func newRestoreTestCmd(e *env) *cobra.Command {
	var req andon.RestoreTestRequest
	var passed, failed bool
	cmd := &cobra.Command{
		Use:   "restore-test --env E --backup ID --started T --finished T --passed|--failed [--link URL] [--note TEXT]",
		Short: "Record a restore test of a backup of an environment's database that ran",
		Long: `Record a restore test of a backup recorded for the environment (andon
backup record): when the restore started and finished, and whether it
passed. How long it took is what a recovery takes, which andon backup
status weighs against the strictest RTO of the environment's processes.
Recording the same test again, its environment, backup and start, prints
it as it was recorded and writes nothing, so that a job run twice
succeeds; another finish or result for it is refused.`,
		Example: `  # After a CloudNativePG Cluster recovered from the nightly backup became ready:
  andon backup restore-test --env prod-lyon --backup odoo-lyon-20261128020000 \
    --started 2026-11-28T06:00:04Z --finished 2026-11-28T06:47:31Z --passed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if req.StartedAt, err = timeFlag(cmd, "started"); err != nil {
				return err
			}
			if req.FinishedAt, err = timeFlag(cmd, "finished"); err != nil {
				return err
			}
			switch {
			case passed == failed:
				return andon.Errorf(andon.EINVALID, "give --passed or --failed: the result of the restore test")
			case passed:
				req.Result = andon.RestorePassed
			default:
				req.Result = andon.RestoreFailed
			}
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			t, created, err := c.RecordRestoreTest(cmd.Context(), &req)
			if err != nil {
				return namedFlag(err, restoreTestFlags)
			}
			if !created {
				fmt.Fprintf(e.stderr, "restore test %s recorded already\n", t.ID)
			}
			return e.print(cmd, t, func(w io.Writer) {
				kv(w, "id", t.ID)
				kv(w, "environment", t.Environment)
				kv(w, "backup", t.Backup)
				kv(w, "result", string(t.Result))
				kv(w, "started", fmtTime(t.StartedAt))
				kv(w, "finished", fmtTime(t.FinishedAt))
				kv(w, "duration", andon.HumanDuration(t.Duration()))
				if t.Link != "" {
					kv(w, "link", t.Link)
				}
				if t.Note != "" {
					kv(w, "note", t.Note)
				}
				kv(w, "recorded", fmtTime(t.RecordedAt)+" by "+t.RecordedBy)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Environment, "env", "", "environment whose backup was restored (required)")
	f.StringVar(&req.Backup, "backup", "", "ID of the backup restored, as recorded with andon backup record (required)")
	f.String("started", "", "when the restore started, RFC 3339 (required)")
	f.String("finished", "", "when the restored database was ready, or the test failed, RFC 3339 (required)")
	f.BoolVar(&passed, "passed", false, "the restored database was ready and checked")
	f.BoolVar(&failed, "failed", false, "the restore failed")
	f.StringVar(&req.Link, "link", "", "URL of the test's job, cluster or report")
	f.StringVar(&req.Note, "note", "", "what was checked, or why it failed")
	cmd.MarkFlagRequired("env")
	cmd.MarkFlagRequired("backup")
	cmd.MarkFlagRequired("started")
	cmd.MarkFlagRequired("finished")
	cmd.MarkFlagsMutuallyExclusive("passed", "failed")
	cmd.RegisterFlagCompletionFunc("env", e.environmentCompletion)
	return cmd
}

func newRestoreTestListCmd(e *env) *cobra.Command {
	var f andon.RestoreTestFilter
	cmd := &cobra.Command{
		Use:   "restore-tests [--env E]",
		Short: "List the restore tests recorded, the latest started first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			list, err := c.RestoreTests(cmd.Context(), f)
			if err != nil {
				return namedFlag(err, envFlag)
			}
			if list == nil {
				list = []*andon.RestoreTest{}
			}
			if human(cmd) && len(list) == 0 {
				fmt.Fprintln(e.stderr, "no restore tests")
				return nil
			}
			out := struct {
				RestoreTests []*andon.RestoreTest `json:"restoreTests"`
			}{list}
			return e.print(cmd, out, func(w io.Writer) {
				fmt.Fprintln(w, "ID\tENVIRONMENT\tBACKUP\tRESULT\tSTARTED\tDURATION\tRECORDED BY")
				for _, t := range list {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Environment, t.Backup, t.Result, fmtTime(t.StartedAt), andon.HumanDuration(t.Duration()), t.RecordedBy)
				}
			})
		},
	}
	cmd.Flags().StringVar(&f.Environment, "env", "", "only the restore tests of this environment")
	cmd.Flags().IntVar(&f.Limit, "limit", 100, "at most this many")
	cmd.PreRunE = refuseZeroLimit
	cmd.RegisterFlagCompletionFunc("env", e.environmentCompletion)
	return cmd
}

func newBackupStatusCmd(e *env) *cobra.Command {
	var envName string
	cmd := &cobra.Command{
		Use:   "status [--env E]",
		Short: "Show the recovery posture of each environment: strictest RPO and RTO, latest backup and restore test, and verdicts",
		Long: `Show the recovery posture of each environment, production first: the
strictest RPO and RTO of its processes (and the process that sets each),
its latest completed backup and its age, its latest passed restore test
and how long it took, and the verdicts: is the latest backup within the
gate's backup freshness (the policy's backup_freshness, 24h by default),
did the latest passed restore test take no longer than the strictest RTO,
and did it finish within the last 90 days.

The RPO is met by continuous WAL archiving, which andon does not observe:
the RPO is shown beside the age of the latest base backup for reference
only. With --env, the posture of one environment and its verdicts in
words.`,
		Example: `  andon backup status
  andon backup status --env prod-lyon -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			status, err := c.RecoveryStatus(cmd.Context(), envName)
			if err != nil {
				return namedFlag(err, envFlag)
			}
			return e.print(cmd, status, func(w io.Writer) {
				if envName != "" && len(status.Environments) == 1 {
					printPosture(w, status, &status.Environments[0])
					return
				}
				fmt.Fprintln(w, "ENVIRONMENT\tSTAGE\tRPO\tRTO\tBACKUP AGE\tFRESH\tPASSED RESTORE TEST\tTOOK\tWITHIN RTO\tRECENT")
				for i := range status.Environments {
					p := &status.Environments[i]
					age, test, took := "-", "-", "-"
					if p.Backup != nil {
						age = andon.HumanDuration(p.BackupAge)
					}
					if t := p.PassedRestoreTest; t != nil {
						test, took = t.ID+" "+fmtTime(t.FinishedAt), andon.HumanDuration(t.Duration())
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Environment, p.Stage, reviewdoc.Objective(p.RPO), reviewdoc.Objective(p.RTO),
						age, reviewdoc.YesNo(p.BackupFresh), test, took, reviewdoc.WithinRTO(p.WithinRTO), reviewdoc.YesNo(p.RestoreTestRecent))
				}
			})
		},
	}
	cmd.Flags().StringVar(&envName, "env", "", "only this environment, with its verdicts in words")
	cmd.RegisterFlagCompletionFunc("env", e.environmentCompletion)
	return cmd
}

// printPosture writes the posture of one environment, field by field,
// and its verdicts.
func printPosture(w io.Writer, status *andon.RecoveryStatus, p *andon.RecoveryPosture) {
	kv(w, "environment", p.Environment)
	kv(w, "stage", string(p.Stage))
	kv(w, "rpo", reviewdoc.Objective(p.RPO))
	kv(w, "rto", reviewdoc.Objective(p.RTO))
	if b := p.Backup; b != nil {
		kv(w, "latest backup", fmt.Sprintf("%s, completed %s (%s ago)", b.ID, fmtTime(b.CompletedAt), andon.HumanDuration(p.BackupAge)))
	} else {
		kv(w, "latest backup", "-")
	}
	kv(w, "backup fresh", fmt.Sprintf("%s (within %s)", reviewdoc.YesNo(p.BackupFresh), andon.HumanDuration(status.BackupFreshness)))
	restoreTest := func(t *andon.RestoreTest) string {
		if t == nil {
			return "-"
		}
		return fmt.Sprintf("%s of %s, %s, finished %s, took %s", t.ID, t.Backup, t.Result, fmtTime(t.FinishedAt), andon.HumanDuration(t.Duration()))
	}
	kv(w, "latest restore test", restoreTest(p.RestoreTest))
	kv(w, "latest passed", restoreTest(p.PassedRestoreTest))
	kv(w, "within rto", reviewdoc.WithinRTO(p.WithinRTO))
	kv(w, "recent", fmt.Sprintf("%s (within %s)", reviewdoc.YesNo(p.RestoreTestRecent), andon.HumanDuration(status.RestoreTestPeriod)))
	kvList(w, "verdicts", p.Verdicts)
}
