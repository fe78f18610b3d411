package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
)

// newGitHubCmd returns `andon github`: the deployment protection requests
// of GitHub Actions jobs that andon's GitHub App holds.
func newGitHubCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "github",
		Short: "List the GitHub Actions deployments that andon's GitHub App holds until the gate allows them",
		Long: `With andon's GitHub App as a deployment protection rule of a GitHub
environment (andon serve --github-app-id, docs/pipelines.md), GitHub holds
each job that targets that environment and asks andon. andon finds the
change linked to the job's run, asks the gate about its images and
approves the job once the gate allows them all, or rejects it when it never
will. andon github deployments lists those requests.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newGitHubDeploymentsCmd(e))
	return cmd
}

func newGitHubDeploymentsCmd(e *env) *cobra.Command {
	var state string
	var limit int
	cmd := &cobra.Command{
		Use:   "deployments [--state waiting|approved|rejected]",
		Short: "List the GitHub deployment protection requests, waiting and answered, the latest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			list, err := c.GitHubDeployments(cmd.Context(), andon.GitHubDeploymentFilter{State: andon.GitHubState(state), Limit: limit})
			if err != nil {
				return namedFlag(err, []fieldFlag{{"state:", "--state"}})
			}
			if list == nil {
				list = []*andon.GitHubDeployment{}
			}
			if human(cmd) && len(list) == 0 {
				fmt.Fprintln(e.stderr, "no GitHub deployments")
				return nil
			}
			out := struct {
				Deployments []*andon.GitHubDeployment `json:"deployments"`
			}{list}
			return e.print(cmd, out, func(w io.Writer) {
				fmt.Fprintln(w, "ID\tSTATE\tANSWERED\tENVIRONMENT\tCHANGE\tREQUESTED\tRUN\tWAITING FOR")
				for _, d := range list {
					answered := "-"
					if d.Refused != "" {
						answered = "refused by GitHub"
					} else if d.AnsweredAt != nil {
						answered = fmtTime(*d.AnsweredAt)
					} else if d.State != andon.GitHubWaiting {
						answered = "not yet"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.State, answered, orDash(d.Environment), orDash(d.Change), fmtTime(d.RequestedAt), d.RunURL, orDash(d.Waiting))
				}
			})
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "only the requests in this state: waiting, approved or rejected")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many")
	cmd.PreRunE = refuseZeroLimit
	return cmd
}
