package main

import (
	"io"

	"github.com/spf13/cobra"
)

// newWhoamiCmd returns `andon whoami`, which shows who the token belongs to,
// the roles the catalog gives them, with the active grants of just-in-time
// access and when they end, and how they authenticated (an API token, or
// an OpenID Connect issuer's token): the first thing to check when an
// approval is refused.
func newWhoamiCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show the user of the API token and their roles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			u, err := c.Me(cmd.Context())
			if err != nil {
				return err
			}
			return e.print(cmd, u, func(w io.Writer) {
				kv(w, "name", u.Name)
				kvList(w, "roles", u.Roles)
				with := "by an API token"
				if u.Issuer != "" {
					with = "by a token of the OpenID Connect issuer " + u.Issuer
				}
				kv(w, "authenticated", with)
				for _, g := range u.Grants {
					kv(w, "grant", g.ID+" of team "+g.Team+", until "+fmtSecond(g.EndsAt))
				}
				expires := "never"
				if u.TokenExpiresAt != nil {
					expires = fmtSecond(*u.TokenExpiresAt)
				}
				kv(w, "token expires", expires)
				access := "read-write"
				switch {
				case u.ReadOnly && u.Issuer != "":
					access = "read-only: the issuer's users may read and never write"
				case u.ReadOnly:
					access = "read-only: it may read and never write"
				}
				kv(w, "token access", access)
			})
		},
	}
}
