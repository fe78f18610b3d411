package main

import (
	"fmt"
	"io"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/spf13/cobra"
)

// The commands in this file work on the data directory directly, without
// a server, like an administrator or an auditor would.

func newTokenCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage API tokens (works on the data directory)"}
	var data, db, user string
	create := &cobra.Command{
		Use:   "create --data DIR --user NAME",
		Short: "Create an API token for a user and print it once",
		Long: `Create an API token for a user and print it once. Only its hash is stored;
the user's roles come from the catalog's Team documents.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if user == "" {
				return &exitError{code: 2, err: fmt.Errorf("--user: required")}
			}
			store, err := openSignedStore(e.ctx, &serveOptions{data: data, db: db})
			if err != nil {
				return err
			}
			defer store.Close()
			token, err := sqlstore.NewTokenService(store).CreateToken(e.ctx, user)
			if err != nil {
				return err
			}
			return e.print(cmd, map[string]string{"user": user, "token": token}, func(w io.Writer) {
				fmt.Fprintln(w, token)
			})
		},
	}
	create.Flags().StringVar(&data, "data", envOr(e, "ANDON_DATA", "./data"), "data directory (env ANDON_DATA)")
	create.Flags().StringVar(&db, "db", e.getenv("ANDON_DB"), "database URL (default: andon.db in the data directory)")
	create.Flags().StringVar(&user, "user", "", "user the token authenticates as")
	cmd.AddCommand(create)
	return cmd
}

func newAuditCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read and verify the audit log"}
	var data, db, key string
	verify := &cobra.Command{
		Use:   "verify --data DIR",
		Short: "Verify the audit log offline: recompute the tree and check the signed checkpoint",
		Long: `Verify the audit log offline, with the server stopped or running: read every
entry from the store, recompute the RFC 6962 Merkle tree, compare it with the
stored hashes and check the signed checkpoint with the verifier key. Exits 1
and names the first bad entry when anything was altered, removed or reordered.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := &serveOptions{data: data, db: db}
			if key == "" {
				key = auditlog.PubPath(data)
			}
			v, err := auditlog.LoadVerifier(key)
			if err != nil {
				return andon.Errorf(andon.EINVALID, "cannot use the verifier key: %s", andon.ErrorMessage(err))
			}
			store, err := sqlstore.OpenReadOnly(e.ctx, o.dsn())
			if err != nil {
				return err
			}
			defer store.Close()
			report, err := auditlog.Verify(e.ctx, store, v)
			if err != nil {
				return err
			}
			err = e.print(cmd, report, func(w io.Writer) {
				if !report.OK {
					fmt.Fprintf(w, "audit log FAILED verification: %s\n", report.Problem)
					return
				}
				fmt.Fprintf(w, "audit log OK: %d entries, root %s, signed checkpoint of %d entries verified with %s\n",
					report.Entries, report.Root, report.CheckpointSize, key)
				if report.Unsigned > 0 {
					fmt.Fprintf(w, "note: %d newer entries are not yet covered by a signed checkpoint\n", report.Unsigned)
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
	verify.Flags().StringVar(&data, "data", envOr(e, "ANDON_DATA", "./data"), "data directory (env ANDON_DATA)")
	verify.Flags().StringVar(&db, "db", e.getenv("ANDON_DB"), "database URL (default: andon.db in the data directory)")
	verify.Flags().StringVar(&key, "key", "", "verifier key file (default: audit.pub in the data directory); give an auditor's own copy to not trust the data directory")
	cmd.AddCommand(verify)
	return cmd
}
