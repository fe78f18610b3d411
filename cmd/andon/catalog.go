package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

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
	cmd.AddCommand(newCatalogValidateCmd(e), newCatalogShowCmd(e))
	return cmd
}

func newCatalogShowCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "show [DIR]",
		Short: "Show the plants, processes, environments, windows and teams of a catalog",
		Long: `Show the catalog in force on the server, or the catalog directory DIR read
offline: its plants, business processes, environments (with what each
promotes from), windows and teams, one table each. -o json or yaml prints the
whole catalog.`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: dirCompletion,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := checkOutput(cmd); err != nil {
				return err
			}
			var cat *andon.Catalog
			if len(args) == 1 {
				var err error
				if cat, err = loadCatalogDir("catalog directory", args[0]); err != nil {
					return err
				}
			} else {
				c, err := e.remote(cmd)
				if err != nil {
					return err
				}
				if cat, err = c.Catalog(cmd.Context()); err != nil {
					return err
				}
			}
			return e.print(cmd, cat, func(w io.Writer) { writeCatalog(w, cat) })
		},
	}
}

// writeCatalog prints cat for people, a table per kind.
func writeCatalog(w io.Writer, cat *andon.Catalog) {
	join := func(s []string) string { return orDash(strings.Join(s, ",")) }
	fmt.Fprintln(w, "PLANT\tTIME ZONE\tCRITICALITY")
	for _, p := range cat.Plants {
		fmt.Fprintf(w, "%s\t%s\t%s\n", p.Name, p.Timezone, p.Criticality)
	}
	fmt.Fprintln(w, "\nPROCESS\tTIER\tRPO\tRTO\tOWNERS\tMODULES")
	for _, p := range cat.Processes {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", p.Name, p.Tier, andon.ShortDuration(p.RPO), andon.ShortDuration(p.RTO), join(p.Owners), len(p.Modules))
	}
	fmt.Fprintln(w, "\nENVIRONMENT\tSTAGE\tHOSTING\tPLANTS\tPROMOTES FROM\tPROCESSES")
	for _, env := range cat.Environments {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", env.Name, env.Stage, env.Hosting, join(env.Plants), orDash(env.PromotesFrom), join(env.Processes))
	}
	fmt.Fprintln(w, "\nWINDOW\tTYPE\tAPPLIES TO\tALLOWS")
	for _, win := range cat.Windows {
		var to []string
		sel := win.Selector
		for _, part := range []struct {
			name  string
			items []string
		}{{"stages", strs(sel.Stages)}, {"plants", sel.Plants}, {"environments", sel.Environments}, {"processes", sel.Processes}} {
			if len(part.items) > 0 {
				to = append(to, part.name+" "+strings.Join(part.items, ","))
			}
		}
		applies := "everything"
		if len(to) > 0 {
			applies = strings.Join(to, "; ")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", win.Name, win.Type, applies, join(strs(win.Allow)))
	}
	fmt.Fprintln(w, "\nTEAM\tROLES\tMEMBERS")
	for _, t := range cat.Teams {
		fmt.Fprintf(w, "%s\t%s\t%s\n", t.Name, join(t.Roles), join(t.Members))
	}
}

// loadCatalogDir loads the catalog directory dir for a command that reads
// it offline, where what names it in errors (a flag such as --catalog). A
// directory that cannot be read is said to be so, not taken for a catalog
// with a problem in a file of the path given twice; the problems of an
// invalid catalog name their files from the working directory, as andon
// catalog validate prints them. Either is exit code 2: the command could
// not run.
func loadCatalogDir(what, dir string) (*andon.Catalog, error) {
	if err := unreadableCatalogDir(what, dir); err != nil {
		return nil, err
	}
	cat, err := catalog.Load(dir)
	if err != nil {
		var problems catalog.Errors
		if errors.As(err, &problems) {
			err = catalog.Errors(problemsUnder(dir, problems))
		}
		return nil, &exitError{code: 2, err: fmt.Errorf("catalog %s is not valid:\n%v", dir, err)}
	}
	return cat, nil
}

// unreadableCatalogDir says why dir, named by what (a flag, or "catalog
// directory"), cannot be read as a catalog directory, or returns nil. A
// directory that is not there is a slip in what names it, not a catalog
// with problems: the command cannot run (exit code 2).
func unreadableCatalogDir(what, dir string) error {
	return unreadableDir(what, dir, "the directory of the catalog's YAML files")
}

// unreadableDir says why dir, named by what, cannot be read as want, or
// returns nil; the command cannot run (exit code 2).
func unreadableDir(what, dir, want string) error {
	_, err := os.ReadDir(dir)
	var reason any = err
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		reason = "no such directory"
	case errors.Is(err, syscall.ENOTDIR):
		reason = "not a directory"
	default:
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			reason = pathErr.Err
		}
	}
	return &exitError{code: 2, err: fmt.Errorf("%s %s: %v (want %s)", what, dir, reason, want)}
}

// problemsUnder returns problems, which name files from the catalog
// directory dir, naming them from the working directory instead, so that
// they open in an editor and annotate files in CI.
func problemsUnder(dir string, problems catalog.Errors) []catalog.Problem {
	out := make([]catalog.Problem, len(problems))
	for i, p := range problems {
		p.File = filepath.Join(dir, filepath.FromSlash(p.File))
		out[i] = p
	}
	return out
}

// validation is the -o json|yaml form of a validation: every problem, so
// that CI can annotate the files at fault.
type validation struct {
	Valid    bool              `json:"valid"`
	Problems []catalog.Problem `json:"problems"`
	// Warnings says what a valid catalog skipped (andon.Catalog.Warnings),
	// located as problems are.
	Warnings []catalog.Problem `json:"warnings"`
}

func newCatalogValidateCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "validate DIR",
		Short: "Check a catalog directory offline, as the server would load it",
		Long: `Check a catalog directory offline, as the server would load it: every
*.yaml and *.yml file below DIR, every reference between documents, every
schedule and time zone. Prints every problem as "file:line: Kind/name: field:
message" (files named from the working directory) and exits 1 when there is
any, 2 when DIR cannot be read. What a valid catalog skips (an event of a
calendar file that lasts no time) is a warning on stderr, located as problems
are, and does not change the exit code.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: dirCompletion,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if _, err := checkOutput(cmd); err != nil {
				return err
			}
			// A directory that cannot be read is not a bad catalog: the
			// check could not run at all.
			if err := unreadableCatalogDir("catalog directory", dir); err != nil {
				return err
			}
			cat, err := catalog.Load(dir)
			var problems catalog.Errors
			if err != nil && !errors.As(err, &problems) {
				return &exitError{code: 2, err: err}
			}
			// Problems name files from DIR; from the working directory
			// they open in an editor and annotate files in CI.
			out := validation{Valid: err == nil, Problems: problemsUnder(dir, problems), Warnings: []catalog.Problem{}}
			if cat != nil {
				out.Warnings = problemsUnder(dir, cat.Warnings)
			}
			perr := e.print(cmd, out, func(w io.Writer) {
				if out.Valid {
					for _, w := range out.Warnings {
						fmt.Fprintf(e.stderr, "andon: warning: %s\n", w)
					}
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

// count writes n and noun, plural when n is not 1: processes, entries,
// files.
func count[N int | int64](n N, noun string) string {
	switch {
	case n == 1:
		return "1 " + noun
	case strings.HasSuffix(noun, "s"):
		return fmt.Sprintf("%d %ses", n, noun)
	case len(noun) > 1 && noun[len(noun)-1] == 'y' && !strings.ContainsRune("aeiou", rune(noun[len(noun)-2])):
		return fmt.Sprintf("%d %sies", n, noun[:len(noun)-1])
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// dirCompletion completes directory names only.
func dirCompletion(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}
