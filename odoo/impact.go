package odoo

import (
	"maps"
	"path"
	"slices"
)

// Impact is what a change of an addons repository touches: the modules it
// changes, those that depend on them, the glue modules Odoo would install
// with them, and the business processes of all of these.
type Impact struct {
	// Changed are the modules the change adds, removes or changes.
	Changed []string `json:"changed"`
	// Affected are the modules that depend on a changed one, directly or
	// through others, and are not changed themselves.
	Affected []string `json:"affected"`
	// Dependencies are the modules Odoo would install after the change
	// and did not before because a module of the addons paths now needs
	// them, directly or through others: a custom module that starts
	// depending on mrp brings mrp into a database without it. The
	// modules of the addons paths are taken as installed.
	Dependencies []string `json:"dependencies"`
	// AutoInstalled are the modules Odoo would install by itself after
	// the change and did not before (auto_install glue, such as
	// purchase_mrp once a module brings mrp into a database with
	// purchase), taking the modules of the addons paths as installed.
	AutoInstalled []string `json:"autoInstalled"`
	// Processes are the business processes touched, each with the modules
	// through which.
	Processes []ProcessImpact `json:"processes"`
	// Missing are the dependencies that exist nowhere after the change,
	// or are not installable while the module needing them is, by
	// module: of changed modules, and of every module that needs one the
	// change removes or makes not installable. Odoo cannot install or
	// upgrade them.
	Missing map[string][]string `json:"missing"`
	// Cycles are the cycles of dependencies that hold a changed module.
	Cycles [][]string `json:"cycles"`
	Facts  Facts      `json:"facts"`
}

// ProcessImpact is one business process a change touches.
type ProcessImpact struct {
	Process string   `json:"process"`
	Modules []string `json:"modules"`
}

// Facts are what the risk policy reads of a change's addons (the facts of
// the andon.risk input).
type Facts struct {
	// Modules are the changed, affected, dependency and auto-installed
	// modules.
	Modules []string `json:"modules"`
	// Migration is set when the upgrade of a changed module runs
	// migration scripts (ModuleDiff.MigrationsRun): its version went up,
	// and it has scripts in a version folder above the old version and up
	// to the new one, or 0.0.0 scripts. A script in a folder outside that
	// range, or of a module whose version does not go up, is one no
	// upgrade runs, and counts for nothing.
	Migration bool `json:"migration"`
	// MigrationPhases are the phases (pre, post, end) of the scripts the
	// upgrades of the modules of Migration run.
	MigrationPhases []string `json:"migrationPhases"`
	// SecurityChanged is set when the change adds or changes an access
	// file.
	SecurityChanged bool `json:"securityChanged"`
	// PublicAccessRows are the new access rows without a group, as
	// "module: row".
	PublicAccessRows []string `json:"publicAccessRows"`
	// Processes are the names of the business processes touched.
	Processes []string `json:"processes"`
	// Evidence names the files behind each fact, as module/file:
	// "modules" (every changed file), "migration" (the manifest and the
	// scripts run), "securityChanged" and "publicAccessRows".
	Evidence map[string][]string `json:"evidence"`
}

// ImpactOf returns the impact of d, whose modules before and after the
// change are the graphs before and after. processes gives
// the business processes of modules by name: the catalog's
// BusinessProcess.modules and the core data's mapping (CoreProcesses). A
// module with no process of its own takes those of the modules it
// extends, its depends, and so on down: a custom stock extension touches
// inventory. A removed module's processes are read in before.
func ImpactOf(d *Diff, before, g *Graph, processes map[string][]string) *Impact {
	im := &Impact{Changed: []string{}, Affected: []string{}, Dependencies: []string{}, AutoInstalled: []string{}, Processes: []ProcessImpact{},
		Missing: map[string][]string{}, Cycles: [][]string{}}
	changed := map[string]bool{}
	for _, m := range d.Modules {
		changed[m.Module] = true
		im.Changed = append(im.Changed, m.Module)
	}
	// The dependents of every changed module, in one walk of the graph
	// rather than one a module: a change of thousands stays linear.
	im.Affected = slices.DeleteFunc(g.closure(im.Changed, g.rdeps, ""), func(n string) bool { return changed[n] })
	if im.Affected == nil {
		im.Affected = []string{}
	}
	// A module is broken by the change when it changed, or when it needs
	// a module the change removes (or renames), or makes not installable,
	// though it did not change itself.
	for m, deps := range g.Missing() {
		removed := slices.ContainsFunc(deps, before.installable)
		if changed[m] || removed {
			im.Missing[m] = deps
		}
	}
	for _, c := range g.Cycles() {
		if slices.ContainsFunc(c, func(n string) bool { return changed[n] }) {
			im.Cycles = append(im.Cycles, c)
		}
	}

	// What the change makes Odoo install, in a database holding every
	// module of the addons paths: the modules they now need and did not,
	// and the auto_install glue that comes with them.
	had := installedWith(before)
	repo := addons(g)
	deps := g.closure(repo, g.deps, "")
	for _, n := range g.AutoInstall(repo) {
		if !had[n] {
			im.AutoInstalled = append(im.AutoInstalled, n)
		}
	}
	for _, n := range deps {
		if _, known := g.Module(n); known && !had[n] && !slices.Contains(repo, n) {
			im.Dependencies = append(im.Dependencies, n)
		}
	}

	// A module the change removes touches the processes it served, read
	// from the graph before the change, where it still is.
	of, was := processResolver(g, processes), processResolver(before, processes)
	byProcess := map[string][]string{}
	modules := slices.Concat(im.Changed, im.Affected, im.Dependencies, im.AutoInstalled)
	for _, n := range modules {
		resolve := of
		if _, ok := g.Module(n); !ok {
			resolve = was
		}
		for _, p := range resolve(n) {
			byProcess[p] = append(byProcess[p], n)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(byProcess)) {
		ms := byProcess[p]
		slices.Sort(ms)
		im.Processes = append(im.Processes, ProcessImpact{Process: p, Modules: slices.Compact(ms)})
	}

	f := &im.Facts
	f.Modules = slices.Sorted(slices.Values(modules))
	f.Modules = slices.Compact(f.Modules)
	phases := map[string]bool{}
	f.PublicAccessRows = []string{}
	f.Evidence = map[string][]string{}
	cite := func(fact, module, file string) { f.Evidence[fact] = append(f.Evidence[fact], module+"/"+file) }
	for _, m := range d.Modules {
		for _, file := range m.Files {
			cite("modules", m.Module, file)
		}
		if m.Status == ModuleChanged && len(m.MigrationsRun) > 0 {
			f.Migration = true
			for _, mig := range m.MigrationsRun {
				phases[mig.Phase] = true
			}
			manifest := ManifestFile
			if cur, ok := d.After.Module(m.Module); ok && cur.ManifestFile != "" {
				manifest = path.Base(cur.ManifestFile) // __openerp__.py in a legacy module
			}
			cite("migration", m.Module, manifest)
			for _, mig := range m.MigrationsRun {
				cite("migration", m.Module, mig.File)
			}
		}
		for _, s := range m.Security {
			f.SecurityChanged = true
			cite("securityChanged", m.Module, s.File)
			for _, r := range s.PublicRows {
				f.PublicAccessRows = append(f.PublicAccessRows, m.Module+": "+r)
			}
			if len(s.PublicRows) > 0 {
				cite("publicAccessRows", m.Module, s.File)
			}
		}
	}
	f.MigrationPhases = sortedKeys(phases)
	f.Processes = make([]string, 0, len(im.Processes))
	for _, p := range im.Processes {
		f.Processes = append(f.Processes, p.Process)
	}
	return im
}

// installedWith returns the modules installed in a database holding
// every module of g's addons paths: those, their dependencies and the
// auto_install modules that come with them; and base, with which Odoo
// creates every database, whether a module names it or not.
func installedWith(g *Graph) map[string]bool {
	repo := append(addons(g), "base")
	set := map[string]bool{}
	for _, n := range slices.Concat(repo, g.closure(repo, g.deps, ""), g.AutoInstall(repo)) {
		set[n] = true
	}
	return set
}

// addons returns the names of the modules of g read from addons paths
// that Odoo may install: one whose manifest says installable False is in
// no database, nor is one that needs it, directly or through others,
// which Odoo leaves unloaded; neither brings its dependencies.
func addons(g *Graph) []string {
	var off []string
	for _, n := range g.Names() {
		if m, _ := g.Module(n); !m.Installable {
			off = append(off, n)
		}
	}
	// Their dependents, in one walk of the graph.
	blocked := map[string]bool{}
	for _, n := range g.closure(off, g.rdeps, "") {
		blocked[n] = true
	}
	var out []string
	for _, n := range g.Names() {
		if m, _ := g.Module(n); m.Path != "" && m.Installable && !blocked[n] {
			out = append(out, n)
		}
	}
	return out
}

// processResolver returns the business processes of a module: its own,
// or else those of the modules it depends on, resolved the same way.
func processResolver(g *Graph, processes map[string][]string) func(string) []string {
	memo := map[string][]string{}
	var of func(n string, visiting map[string]bool) []string
	of = func(n string, visiting map[string]bool) []string {
		if ps, ok := memo[n]; ok {
			return ps
		}
		if own := processes[n]; len(own) > 0 {
			ps := slices.Sorted(slices.Values(own))
			memo[n] = slices.Compact(ps)
			return memo[n]
		}
		if visiting[n] {
			return nil
		}
		visiting[n] = true
		set := map[string]bool{}
		if m, ok := g.Module(n); ok {
			for _, d := range m.Depends {
				for _, p := range of(d, visiting) {
					set[p] = true
				}
			}
		}
		delete(visiting, n)
		memo[n] = sortedKeys(set)
		return memo[n]
	}
	return func(n string) []string { return of(n, map[string]bool{}) }
}
