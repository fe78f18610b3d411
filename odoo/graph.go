package odoo

import (
	"slices"
	"strings"
)

// Graph is the dependency graph of a set of modules: those of the scanned
// addons paths, and the core modules for the rest. A Graph does not change
// once built, and its methods return names sorted, so that reports built
// from them are the same from one run to the next.
type Graph struct {
	modules map[string]*Module
	names   []string            // the modules' names, sorted
	deps    map[string][]string // direct depends, without repeats, sorted
	rdeps   map[string][]string // direct dependents, sorted
}

// NewGraph builds the graph of modules, completed by core's modules of
// the names modules lack; core may be nil. A module of modules replaces
// the core module of the same name, as an addons path holding a copy of a
// core module replaces it in Odoo. Of two modules of one name in modules,
// the first is kept.
func NewGraph(core *Core, modules []*Module) *Graph {
	g := &Graph{modules: map[string]*Module{}, deps: map[string][]string{}, rdeps: map[string][]string{}}
	add := func(m *Module) {
		if _, ok := g.modules[m.Name]; !ok {
			g.modules[m.Name] = m
			g.names = append(g.names, m.Name)
		}
	}
	for _, m := range modules {
		add(m)
	}
	if core != nil {
		for _, m := range core.Modules {
			add(m)
		}
	}
	slices.Sort(g.names)
	for _, name := range g.names {
		deps := slices.Clone(g.modules[name].Depends)
		slices.Sort(deps)
		deps = slices.Compact(deps)
		g.deps[name] = deps
		for _, d := range deps {
			g.rdeps[d] = append(g.rdeps[d], name) // in name order, as names is
		}
	}
	return g
}

// Module returns the module called name.
func (g *Graph) Module(name string) (*Module, bool) {
	m, ok := g.modules[name]
	return m, ok
}

// Names returns the names of the graph's modules.
func (g *Graph) Names() []string {
	return slices.Clone(g.names)
}

// Dependencies returns every module name needs, directly or through other
// modules, including names that exist nowhere (see Missing). A module in a
// cycle is not listed among its own dependencies.
func (g *Graph) Dependencies(name string) []string {
	return g.closure([]string{name}, g.deps, name)
}

// Dependents returns every module that needs name, directly or through
// other modules: the modules a change to name can affect. A module in a
// cycle is not listed among its own dependents.
func (g *Graph) Dependents(name string) []string {
	return g.closure([]string{name}, g.rdeps, name)
}

// closure returns the names reachable from start along edges, without
// except, sorted.
func (g *Graph) closure(start []string, edges map[string][]string, except string) []string {
	seen := map[string]bool{}
	queue := slices.Clone(start)
	for _, s := range start {
		seen[s] = true
	}
	var out []string
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range edges[n] {
			if !seen[d] {
				seen[d] = true
				queue = append(queue, d)
				out = append(out, d)
			}
		}
	}
	out = slices.DeleteFunc(out, func(n string) bool { return n == except })
	slices.Sort(out)
	return out
}

// AutoInstall returns the modules Odoo installs by itself in a database
// where installed are installed, with their dependencies, sorted. The
// dependencies of installed are taken to be installed already and are not
// listed. Odoo's rule is applied until nothing changes: a module with
// auto_install True is installed once all its depends are; one with an
// auto_install list once the modules listed are, its other depends being
// installed with it. A module that cannot be installed (not installable,
// or needing a module that exists nowhere or is not installable) is never
// added. The modules an administrator uninstalled by hand after Odoo
// installed them are beyond what the graph knows.
func (g *Graph) AutoInstall(installed []string) []string {
	base := map[string]bool{}
	for _, n := range installed {
		base[n] = true
	}
	for _, n := range g.closure(installed, g.deps, "") {
		base[n] = true
	}
	have := make(map[string]bool, len(base))
	for n := range base {
		have[n] = true
	}
	var candidates []*Module
	for _, n := range g.names {
		if m := g.modules[n]; m.AutoInstall && !m.DependsUnknown && !have[n] {
			candidates = append(candidates, m)
		}
	}
	for changed := true; changed; {
		changed = false
		for _, m := range candidates {
			if have[m.Name] {
				continue
			}
			triggers, _ := m.AutoInstallTriggers()
			if !allFunc(triggers, func(n string) bool { return have[n] }) {
				continue
			}
			// The modules installed already need not be installable
			// again; all others must be.
			deps := g.Dependencies(m.Name)
			canInstall := func(n string) bool { return have[n] || g.installable(n) }
			if !g.installable(m.Name) || !allFunc(deps, canInstall) {
				continue
			}
			have[m.Name] = true
			for _, d := range deps {
				have[d] = true
			}
			changed = true
		}
	}
	var added []string
	for n := range have {
		if !base[n] {
			added = append(added, n)
		}
	}
	slices.Sort(added)
	return added
}

// installable reports whether the module name exists and may be installed.
func (g *Graph) installable(name string) bool {
	m, ok := g.modules[name]
	return ok && m.Installable
}

func allFunc(names []string, f func(string) bool) bool {
	for _, n := range names {
		if !f(n) {
			return false
		}
	}
	return true
}

// Missing returns, by module, the depends that name no module of the
// graph, and those of an installable module that name a module not
// installable: what Odoo would refuse to install, or leave unloaded for
// its unmet dependencies. Modules known only by name have no recorded
// depends and so miss nothing.
func (g *Graph) Missing() map[string][]string {
	missing := map[string][]string{}
	for _, n := range g.names {
		for _, d := range g.deps[n] {
			if dm, ok := g.modules[d]; !ok || (g.modules[n].Installable && !dm.Installable) {
				missing[n] = append(missing[n], d)
			}
		}
	}
	return missing
}

// Cycles returns the dependency cycles among the modules, which Odoo
// cannot load. Each group of modules that depend on each other is reported
// once, by one cycle through the group's first name in sort order: the
// shortest, and of those the first in sort order. A cycle lists its
// modules from that first name along the depends, without repeating it at
// the end (["a", "b"] for a → b → a). The cycles are sorted by their first
// name.
func (g *Graph) Cycles() [][]string {
	var cycles [][]string
	for _, scc := range g.components() {
		start := slices.Min(scc)
		if len(scc) == 1 && !slices.Contains(g.deps[start], start) {
			continue
		}
		cycles = append(cycles, g.shortestCycle(start, scc))
	}
	slices.SortFunc(cycles, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return cycles
}

// shortestCycle returns the shortest path from start back to itself
// within the strongly connected component scc, visiting neighbours in name
// order so that the choice among paths of equal length is stable.
func (g *Graph) shortestCycle(start string, scc []string) []string {
	in := map[string]bool{}
	for _, n := range scc {
		in[n] = true
	}
	prev := map[string]string{}
	queue := []string{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range g.deps[n] {
			if !in[d] {
				continue
			}
			if d == start {
				path := []string{n}
				for p := n; p != start; {
					p = prev[p]
					path = append(path, p)
				}
				slices.Reverse(path)
				return path
			}
			if _, seen := prev[d]; !seen {
				prev[d] = n
				queue = append(queue, d)
			}
		}
	}
	return []string{start} // unreachable for a real component
}

// components returns the strongly connected components of the graph of
// known modules (Tarjan's algorithm), without recursion so that no input
// can exhaust the stack.
func (g *Graph) components() [][]string {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var sccs [][]string
	type frame struct {
		name string
		next int // index of the next edge to visit
	}
	for _, root := range g.names {
		if _, seen := index[root]; seen {
			continue
		}
		frames := []frame{{name: root}}
		index[root], low[root] = len(index), len(index)
		stack = append(stack, root)
		onStack[root] = true
		for len(frames) > 0 {
			f := &frames[len(frames)-1]
			edges := g.deps[f.name]
			if f.next < len(edges) {
				d := edges[f.next]
				f.next++
				if _, known := g.modules[d]; !known {
					continue
				}
				if _, seen := index[d]; !seen {
					index[d], low[d] = len(index), len(index)
					stack = append(stack, d)
					onStack[d] = true
					frames = append(frames, frame{name: d})
				} else if onStack[d] {
					low[f.name] = min(low[f.name], index[d])
				}
				continue
			}
			n := f.name
			frames = frames[:len(frames)-1]
			if len(frames) > 0 {
				parent := frames[len(frames)-1].name
				low[parent] = min(low[parent], low[n])
			}
			if low[n] == index[n] {
				var scc []string
				for {
					top := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[top] = false
					scc = append(scc, top)
					if top == n {
						break
					}
				}
				sccs = append(sccs, scc)
			}
		}
	}
	return sccs
}
