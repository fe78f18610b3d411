package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/catalog"
)

// newCatalogCmd returns `andon catalog`, which works on catalog files
// without a server.
func newCatalogCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "Work with catalog files (plants, processes, environments, windows, teams)",
	}
	cmd.AddCommand(newCatalogValidateCmd(e))
	return cmd
}

// validation is the -o json|yaml form of a validation: every problem, so
// that CI can annotate the files at fault.
type validation struct {
	Valid    bool              `json:"valid"`
	Problems []catalog.Problem `json:"problems"`
}

func newCatalogValidateCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "validate DIR",
		Short: "Check a catalog directory offline, as the server would load it",
		Long: `Check a catalog directory offline, as the server would load it: every
*.yaml and *.yml file below DIR, every reference between documents, every
schedule and time zone. Prints every problem as "file:line: Kind/name: field:
message" (files named from the working directory) and exits 1 when there is
any, 2 when DIR cannot be read.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: dirCompletion,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if _, err := checkOutput(cmd); err != nil {
				return err
			}
			// A directory that cannot be read is not a bad catalog: the
			// check could not run at all.
			if _, err := os.ReadDir(dir); err != nil {
				return andon.Errorf(andon.EINVALID, "cannot read catalog directory: %v", err)
			}
			cat, err := catalog.Load(dir)
			var problems catalog.Errors
			if err != nil && !errors.As(err, &problems) {
				return &exitError{code: 2, err: err}
			}
			// Problems name files from DIR; from the working directory
			// they open in an editor and annotate files in CI.
			out := validation{Valid: err == nil, Problems: make([]catalog.Problem, len(problems))}
			for i, p := range problems {
				p.File = filepath.Join(dir, filepath.FromSlash(p.File))
				out.Problems[i] = p
			}
			perr := e.print(cmd, out, func(w io.Writer) {
				if out.Valid {
					fmt.Fprintf(w, "%s: ok (%s, %s, %s, %s, %s)\n", dir,
						count(len(cat.Plants), "plant"), count(len(cat.Processes), "process"),
						count(len(cat.Environments), "environment"), count(len(cat.Windows), "window"),
						count(len(cat.Teams), "team"))
					return
				}
				for _, p := range out.Problems {
					fmt.Fprintln(w, p.String())
				}
			})
			switch {
			case perr != nil:
				return perr
			case !out.Valid:
				return &exitError{code: 1, err: andon.Errorf(andon.EINVALID, "%s: %s", dir, count(len(problems), "problem"))}
			}
			return nil
		},
	}
}

// count writes n and noun, plural when n is not 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if noun[len(noun)-1] == 's' {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// dirCompletion completes directory names only.
func dirCompletion(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}
