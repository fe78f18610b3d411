package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/catalogsync"
	"github.com/andon-governance/andon/odoo"
)

// newOdooCmd returns `andon odoo`, which reads Odoo addons.
func newOdooCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "odoo", Short: "Read Odoo addons: what a change of them touches"}
	cmd.AddCommand(newOdooImpactCmd(e))
	return cmd
}

type odooImpactOptions struct {
	repo, from, to string
	addonsPaths    []string
	catalog, env   string
}

// odooImpactReport is what andon odoo impact prints.
type odooImpactReport struct {
	Repository string `json:"repository"`
	From       string `json:"from"`
	To         string `json:"to"`
	// FromCommit and ToCommit are the commits the refs named.
	FromCommit string      `json:"fromCommit"`
	ToCommit   string      `json:"toCommit"`
	Diff       *odoo.Diff  `json:"diff"`
	Impact     odoo.Impact `json:"impact"`
	// Tiers are the catalog's tiers of the processes touched.
	Tiers map[string]andon.Level `json:"tiers,omitempty"`
}

func newOdooImpactCmd(e *env) *cobra.Command {
	o := &odooImpactOptions{}
	cmd := &cobra.Command{
		Use:   "impact --repo PATH --from REF --to REF",
		Short: "Show what a range of commits of an addons repository changes, and which modules and business processes it touches",
		Long: `Compare two refs of a git repository of Odoo addons and show what the change
does: the modules added, removed and changed (a module removed and one
added that share their manifest's name or most of their files are shown
as a likely rename, which Odoo sees as an uninstall and a new module),
version bumps (with the Odoo
series: 1.2 is 17.0.1.2), the migration scripts the upgrade runs (those
of a version folder above the old version and up to the new one, and of
0.0.0; a folder the change adds scripts to that Odoo would not run is
named, with why), access files changed (rows of ir.model.access.csv
without a group are flagged: they open a model to every user, portal and
public included), hooks and external dependencies
added, data files changed. Then its impact: the modules that depend on the
changed ones, the modules Odoo would install with them (new dependencies
and auto_install glue), and the business processes touched, through the
catalog's BusinessProcess modules and andon's mapping of the Odoo 17 core
modules; a module of no process takes those of the modules it depends on.

The repository is read from its objects at each commit, never from a
checkout: --repo is a local repository or a git URL. --addons-path names a
directory of modules in it (repeatable; default: the repository's root).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := checkOutput(cmd); err != nil {
				return err
			}
			rep, err := odooImpact(cmd, e, o)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			return e.print(cmd, rep, func(w io.Writer) { writeOdooImpact(w, rep) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.repo, "repo", "", "git repository of the addons: a local directory or a URL (required)")
	f.StringVar(&o.from, "from", "", "the ref before the change: a branch, tag or commit (required)")
	f.StringVar(&o.to, "to", "", "the ref after the change (required)")
	f.StringSliceVar(&o.addonsPaths, "addons-path", nil, "a directory of modules in the repository; repeatable, in Odoo's order (default: the root)")
	f.StringVar(&o.catalog, "catalog", "", "catalog directory whose BusinessProcess modules and tiers to use (default with --env: the server's catalog)")
	f.StringVar(&o.env, "env", "", "only the processes of this environment of the catalog")
	cmd.MarkFlagRequired("repo")
	cmd.MarkFlagRequired("from")
	cmd.MarkFlagRequired("to")
	return cmd
}

func odooImpact(cmd *cobra.Command, e *env, o *odooImpactOptions) (*odooImpactReport, error) {
	var cat *andon.Catalog
	if o.catalog != "" {
		var err error
		if cat, err = loadCatalogDir("--catalog", o.catalog); err != nil {
			return nil, err
		}
	} else if o.env != "" {
		// The catalog in force on the server, as andon change create
		// --from-git uses.
		c, err := e.remote(cmd)
		if err != nil {
			return nil, err
		}
		if cat, err = c.Catalog(cmd.Context()); err != nil {
			return nil, andon.Errorf(andon.ErrorCode(err), "--env without --catalog reads the server's catalog: %s", andon.ErrorMessage(err))
		}
	}
	return analyseAddons(cmd, e, o, cat)
}

// analyseAddons reads the range of commits of o and analyses it, with the
// business processes of cat (and of o.env) when cat is not nil.
func analyseAddons(cmd *cobra.Command, e *env, o *odooImpactOptions, cat *andon.Catalog) (*odooImpactReport, error) {
	// An empty ref would read the remote's HEAD: not what was meant.
	for _, f := range []struct{ name, ref string }{{"--from", o.from}, {"--to", o.to}} {
		if strings.TrimSpace(f.ref) == "" {
			return nil, andon.Errorf(andon.EINVALID, "%s: empty; give a branch, tag or commit", f.name)
		}
	}
	url, local := o.repo, false
	if fi, err := os.Stat(o.repo); err == nil && fi.IsDir() {
		abs, err := filepath.Abs(o.repo)
		if err != nil {
			return nil, err
		}
		url, local = "file://"+filepath.ToSlash(abs), true
	}
	var paths []string
	for _, p := range o.addonsPaths {
		clean := filepath.ToSlash(filepath.Clean(strings.TrimPrefix(p, "/")))
		if clean == ".." || strings.HasPrefix(clean, "../") {
			return nil, andon.Errorf(andon.EINVALID, "--addons-path %s: outside the repository; give a directory of it, relative to its top", p)
		}
		paths = append(paths, clean)
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	processes := odoo.CoreProcesses()
	keep := func(string) bool { return true }
	if cat != nil {
		var env *andon.Environment
		if o.env != "" {
			if env = cat.Environment(o.env); env == nil {
				return nil, fmt.Errorf("--env: %s", cat.UnknownEnvironment(o.env))
			}
		}
		for _, p := range cat.Processes {
			for _, m := range p.Modules {
				if !slices.Contains(processes[m], p.Name) {
					processes[m] = append(processes[m], p.Name)
				}
			}
		}
		// Only the catalog's processes count, and with an environment
		// only its own: filtered once the modules' processes are
		// resolved, so that a module whose processes are all filtered out
		// does not take those of its depends instead.
		keep = func(p string) bool {
			return cat.Process(p) != nil && (env == nil || slices.Contains(env.Processes, p))
		}
	}

	git := catalogsync.GitOptions{URL: url, Username: e.getenv("ANDON_GIT_USERNAME"), Password: e.getenv("ANDON_GIT_PASSWORD")}
	git.Ref = o.from
	from, err := catalogsync.GitFiles(cmd.Context(), git)
	if err != nil {
		return nil, gitProblem("--from", o.repo, err)
	}
	git.Ref = o.to
	to, err := catalogsync.GitFiles(cmd.Context(), git)
	if err != nil {
		return nil, gitProblem("--to", o.repo, err)
	}
	// A range given the wrong way round reads as the opposite change: the
	// modules added as removed, a migration as none. It is refused.
	if from.Commit != to.Commit {
		reversed, err := rangeReversed(cmd, o, git, local, from.Commit, to.Commit)
		if err != nil {
			fmt.Fprintf(e.stderr, "andon: warning: cannot tell whether --to %s is an ancestor of --from %s, which would make the range reversed and the change read the other way round: %v\n", o.to, o.from, err)
		} else if reversed {
			return nil, andon.Errorf(andon.EINVALID, "--from %s and --to %s: the range is reversed: %s is an ancestor of %s, so the change it describes undoes %s..%s; swap --from and --to", o.from, o.to, o.to, o.from, o.to, o.from)
		}
	}
	d, err := odoo.DiffFS(from.FS, to.FS, paths...)
	var bad *odoo.Error
	if errors.Is(err, fs.ErrNotExist) && errors.As(err, &bad) && slices.Contains(paths, bad.File) {
		return nil, andon.Errorf(andon.EINVALID, "--addons-path %s: no such directory in %s at %s", bad.File, to.URL, o.to)
	} else if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("--addons-path: %s at %s: %w", to.URL, o.to, err)
	} else if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", to.URL, o.to, err)
	}
	// Modules under addons/ read from the root, say: the range would
	// change none of them, and a change filed from it touch none. Each
	// path must hold modules at one end of the range at least.
	for _, p := range paths {
		if holdsModules(d, p) {
			continue
		}
		for _, name := range []string{odoo.ManifestFile, odoo.LegacyManifestFile} {
			if _, err := fs.Stat(to.FS, path.Join(p, name)); err == nil {
				return nil, andon.Errorf(andon.EINVALID, "--addons-path %s: a module itself (it holds %s at %s), not a directory of modules; name the directory that holds it, as Odoo's addons_path does (--addons-path %s)", p, name, o.to, path.Dir(p))
			}
		}
		return nil, andon.Errorf(andon.EINVALID, "--addons-path %s: no Odoo module (a directory with a __manifest__.py) there at %s or at %s; name the directories that hold the modules, as Odoo's addons_path does (--addons-path addons)", p, o.from, o.to)
	}
	core := odoo.Odoo17()
	im := odoo.ImpactOf(d, odoo.NewGraph(core, d.Before.Modules), odoo.NewGraph(core, d.After.Modules), processes)
	im.Processes = slices.DeleteFunc(im.Processes, func(p odoo.ProcessImpact) bool { return !keep(p.Process) })
	im.Facts.Processes = slices.DeleteFunc(im.Facts.Processes, func(p string) bool { return !keep(p) })
	rep := &odooImpactReport{Repository: to.URL, From: o.from, To: o.to, FromCommit: from.Commit, ToCommit: to.Commit, Diff: d, Impact: *im}
	if cat != nil {
		rep.Tiers = map[string]andon.Level{}
		for _, p := range im.Processes {
			if bp := cat.Process(p.Process); bp != nil {
				rep.Tiers[p.Process] = bp.Tier
			}
		}
	}
	return rep, nil
}

// rangeReversed reports whether commit to, which o.to names, is an
// ancestor of commit from, which o.from names. A local checkout is read
// where it is; the history of a remote repository is fetched, which GitFiles
// did not: first the recent history of --to, where --from is in a range
// given the right way round, then that of --from. Each fetch stops short
// when the commit it looks for is near, and goes on to the whole history
// when not, which a range of branches apart needs.
func rangeReversed(cmd *cobra.Command, o *odooImpactOptions, git catalogsync.GitOptions, local bool, from, to string) (bool, error) {
	if local {
		return catalogsync.Ancestor(o.repo, to, from)
	}
	git.Ref = o.to
	if forward, err := catalogsync.GitAncestor(cmd.Context(), git, from, to); err != nil || forward {
		return false, err
	}
	git.Ref = o.from
	return catalogsync.GitAncestor(cmd.Context(), git, to, from)
}

// holdsModules reports whether the addons path p holds a module before or
// after the change, shadowed ones included.
func holdsModules(d *odoo.Diff, p string) bool {
	for _, a := range []*odoo.Addons{d.Before, d.After} {
		for _, m := range slices.Concat(a.Modules, a.Shadowed) {
			if path.Dir(m.Path) == p {
				return true
			}
		}
	}
	return false
}

// gitProblem blames the flag of a failed git read: --repo when the
// repository itself cannot be read (not one, unreachable, credentials),
// else the ref's flag.
func gitProblem(refFlag, repo string, err error) error {
	if !catalogsync.RepositoryUnreadable(err) {
		return fmt.Errorf("%s: %w", refFlag, err)
	}
	if info, serr := os.Stat(repo); serr == nil && info.IsDir() {
		if _, gerr := os.Stat(filepath.Join(repo, ".git")); gerr != nil {
			return fmt.Errorf("--repo: %w (give the top directory of a git repository, the one that holds .git)", err)
		}
	}
	return fmt.Errorf("--repo: %w", err)
}

func writeOdooImpact(w io.Writer, rep *odooImpactReport) {
	fmt.Fprintf(w, "%s %s (%.12s) .. %s (%.12s)\n", rep.Repository, rep.From, rep.FromCommit, rep.To, rep.ToCommit)
	if len(rep.Diff.Modules) == 0 {
		fmt.Fprintln(w, "no module changed")
		return
	}
	renamedTo, renamedFrom := map[string]odoo.Rename{}, map[string]odoo.Rename{}
	for _, r := range rep.Diff.Renames {
		renamedTo[r.From], renamedFrom[r.To] = r, r
	}
	for _, m := range rep.Diff.Modules {
		version := m.NewVersion
		switch {
		case m.Status == odoo.ModuleRemoved:
			version = m.OldVersion
		case m.Bumped:
			version = m.OldVersion + " -> " + m.NewVersion
		case m.OldVersion != "" && m.NewVersion != "" && odoo.CompareVersions(m.NewVersion, m.OldVersion) < 0:
			// The change reverts a release. Odoo upgrades the module all
			// the same, reloading its data, and records the lower version
			// in the database, running no script: the next upgrade above
			// it runs again the scripts the database already ran.
			version = m.OldVersion + " -> " + m.NewVersion + " (DOWNGRADE)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", m.Status, m.Module, version, count(len(m.Files), "file"))
		if strings.HasSuffix(version, " (DOWNGRADE)") {
			fmt.Fprintf(w, "\tDOWNGRADE\tOdoo reloads it all the same and records %s, running no script: a later upgrade runs again those above %s\n", m.NewVersion, m.NewVersion)
		}
		// Odoo knows no renames: the pair is shown, and stays a removal
		// and an addition.
		if r, ok := renamedTo[m.Module]; ok {
			fmt.Fprintf(w, "\tLOOKS LIKE A RENAME\tto %s (%s): Odoo sees no rename: %s is gone, its records left in the database and the modules that depend on it unable to load, and %s is a new module, which takes over none of them\n", r.To, r.Evidence(), r.From, r.To)
		}
		if r, ok := renamedFrom[m.Module]; ok {
			fmt.Fprintf(w, "\tLOOKS LIKE A RENAME\tof %s (%s)\n", r.From, r.Evidence())
		}
		for _, mig := range m.MigrationsRun {
			fmt.Fprintf(w, "\tmigration %s-\t%s\n", mig.Phase, mig.File)
		}
		for _, f := range m.MigrationsIgnored {
			fmt.Fprintf(w, "\tMIGRATION NOT RUN\t%s: %s\n", f.Folder, f.Reason)
		}
		for _, s := range m.Security {
			fmt.Fprintf(w, "\taccess file\t%s\n", s.File)
			for _, r := range s.PublicRows {
				fmt.Fprintf(w, "\tPUBLIC ACCESS\t%s\n", r)
			}
		}
		for _, h := range m.HooksAdded {
			fmt.Fprintf(w, "\thook added\t%s\n", h)
		}
		for _, x := range m.ExternalAdded {
			fmt.Fprintf(w, "\tdependency added\t%s\n", x)
		}
		for _, f := range m.DataChanged {
			fmt.Fprintf(w, "\tdata\t%s\n", f)
		}
	}
	im := rep.Impact
	fmt.Fprintf(w, "changed:\t%s\n", list(im.Changed))
	fmt.Fprintf(w, "depend on them:\t%s\n", list(im.Affected))
	fmt.Fprintf(w, "installed as dependencies:\t%s\n", list(im.Dependencies))
	fmt.Fprintf(w, "installed with them:\t%s\n", list(im.AutoInstalled))
	removed := map[string]bool{}
	for _, m := range rep.Diff.Modules {
		removed[m.Module] = m.Status == odoo.ModuleRemoved
	}
	for _, m := range slices.Sorted(maps.Keys(im.Missing)) {
		var deps []string
		for _, d := range im.Missing[m] {
			if r, ok := renamedTo[d]; ok {
				deps = append(deps, d+", which the change removes: it looks renamed "+r.To)
			} else if removed[d] {
				deps = append(deps, d+", which the change removes")
			} else if notInstallable(rep, d) {
				deps = append(deps, d+", which is not installable (installable False)")
			} else {
				deps = append(deps, d+", which exists nowhere")
			}
		}
		where := ""
		if f := manifestOf(rep, m); f != "" {
			where = " (" + f + ": depends)"
		}
		fmt.Fprintf(w, "MISSING DEPENDENCY\t%s needs %s%s\n", m, strings.Join(deps, "; "), where)
	}
	for _, c := range im.Cycles {
		var files []string
		for _, m := range c {
			if f := manifestOf(rep, m); f != "" {
				files = append(files, f)
			}
		}
		where := ""
		if len(files) > 0 {
			where = " (depends of " + strings.Join(files, ", ") + ")"
		}
		fmt.Fprintf(w, "DEPENDENCY CYCLE\t%s -> %s%s\n", strings.Join(c, " -> "), c[0], where)
	}
	for _, p := range im.Processes {
		tier := ""
		if t, ok := rep.Tiers[p.Process]; ok {
			tier = " (tier " + string(t) + ")"
		}
		fmt.Fprintf(w, "process %s%s:\t%s\n", p.Process, tier, strings.Join(p.Modules, ", "))
	}
	f := im.Facts
	fmt.Fprintf(w, "facts:\tmigration %v %s, access changed %v, public access rows %d\n", f.Migration, list(f.MigrationPhases), f.SecurityChanged, len(f.PublicAccessRows))
}

// manifestOf returns the manifest file of the module called name after
// the change, or "" for a module not read from the repository.
func manifestOf(rep *odooImpactReport, name string) string {
	if rep.Diff.After == nil {
		return ""
	}
	if m, ok := rep.Diff.After.Module(name); ok {
		return m.ManifestFile
	}
	return ""
}

// notInstallable reports whether the module called name is of the addons
// paths after the change and its manifest says installable False.
func notInstallable(rep *odooImpactReport, name string) bool {
	if rep.Diff.After == nil {
		return false
	}
	m, ok := rep.Diff.After.Module(name)
	return ok && !m.Installable
}

func list(s []string) string { return orDash(strings.Join(s, ", ")) }
