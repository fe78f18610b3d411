package odoo

import (
	"fmt"
	"path/filepath"
	"slices"
)

// Manifest file names, in the order Odoo looks for them in a module's
// directory.
const (
	ManifestFile       = "__manifest__.py"
	LegacyManifestFile = "__openerp__.py"
)

// Module is an Odoo module: what its manifest declares, and where it was
// found. Only the keys that matter for change impact are kept; others are
// ignored.
type Module struct {
	// Name is the technical name, which is the name of the module's
	// directory: what depends lists and what the database records.
	Name string
	// Title is the manifest's name, the one shown to users.
	Title string
	// Version is the version as written, such as "1.2" or "17.0.1.2.0";
	// Odoo prefixes a short one with its series. Empty when not given.
	Version string
	// Category is the manifest's category, such as "Inventory/Inventory".
	Category string
	// Depends lists the modules this one needs, as written.
	Depends []string
	// AutoInstall is set when the manifest's auto_install is True or a
	// list: Odoo then installs the module by itself once its triggers are
	// installed (see AutoInstallTriggers).
	AutoInstall bool
	// AutoInstallWith holds auto_install when it is a list: the modules
	// whose installation triggers this one. It is nil when auto_install
	// is a bool, and empty but not nil for an empty list, which Odoo reads
	// as "always install".
	AutoInstallWith []string
	// Installable is false only when the manifest says so; Odoo refuses to
	// install such a module.
	Installable bool
	// Application marks a module shown as an app.
	Application bool
	// Data and Demo list the data files loaded at installation and with
	// demonstration data, as paths relative to the module's directory.
	Data, Demo []string
	// ExternalDependencies lists the Python packages and programs the
	// module needs outside Odoo.
	ExternalDependencies ExternalDependencies
	// PreInitHook, PostInitHook and UninstallHook name the functions of
	// the module's Python package Odoo calls around installation; code
	// runs there that no data file shows.
	PreInitHook, PostInitHook, UninstallHook string
	// License is the license as written; Odoo reads a missing one as
	// LGPL-3.
	License string
	// Path is the module's directory and ManifestFile the manifest's
	// path, as found (with the addons path as given); both are empty for a
	// module of the core data.
	Path, ManifestFile string
	// Edition is "" for a module read from an addons path, and for a
	// module of the core data the edition it records, such as "community"
	// or "enterprise (OEEL-1)".
	Edition string
	// DependsUnknown is set for a module known only by its name: a core
	// module that the core data names (in another module's depends, or as
	// an enterprise module) without recording its own depends. The module
	// graph treats it as having none.
	DependsUnknown bool
}

// ExternalDependencies are a manifest's external_dependencies.
type ExternalDependencies struct {
	// Python lists Python packages, as pip names them.
	Python []string
	// Bin lists programs that must be on the PATH.
	Bin []string
}

// AutoInstallTriggers returns the modules whose installation makes Odoo
// install m by itself, and whether it does at all: the auto_install list,
// or all of Depends when auto_install is True.
func (m *Module) AutoInstallTriggers() ([]string, bool) {
	switch {
	case !m.AutoInstall:
		return nil, false
	case m.AutoInstallWith != nil:
		return m.AutoInstallWith, true
	}
	return m.Depends, true
}

// ParseManifest reads the manifest at file, whose contents are src. The
// module's name is the name of the directory holding file. Errors are
// *Error values naming file, line and column: a manifest that is not a
// Python literal, that is not a dict, whose known keys have values of the
// wrong type, or whose version Odoo 17 refuses (see ValidVersion) while
// it is installable. Unknown keys are ignored.
func ParseManifest(file string, src []byte) (*Module, error) {
	root, err := parseLiteral(file, src)
	if err != nil {
		return nil, err
	}
	if root.kind != nodeDict {
		return nil, &Error{File: file, Line: root.line, Col: root.col, Message: fmt.Sprintf("manifest is %s, want a dict", root.kind.article())}
	}
	dir := filepath.Dir(file)
	m := &Module{Name: filepath.Base(dir), Path: dir, ManifestFile: file, Installable: true}
	d := decoder{file: file}
	var autoInstall, version *node
	// A key given twice keeps its last value, as in Python.
	for i, k := range root.keys {
		v := root.items[i]
		switch k.str {
		case "name":
			m.Title = d.str(k, v)
		case "version":
			m.Version, version = d.str(k, v), v
		case "category":
			m.Category = d.optionalStr(k, v)
		case "depends":
			m.Depends = d.strs(k, v)
		case "auto_install":
			autoInstall = v
			if truth, ok := v.truth(); ok {
				m.AutoInstall, m.AutoInstallWith = truth, nil
			} else {
				m.AutoInstall, m.AutoInstallWith = true, d.strs(k, v)
				if m.AutoInstallWith == nil {
					m.AutoInstallWith = []string{}
				}
			}
		case "installable":
			m.Installable = d.bool(k, v)
		case "application":
			m.Application = d.bool(k, v)
		case "data":
			m.Data = d.strs(k, v)
		case "demo":
			m.Demo = d.strs(k, v)
		case "external_dependencies":
			m.ExternalDependencies = d.external(k, v)
		case "pre_init_hook":
			m.PreInitHook = d.optionalStr(k, v)
		case "post_init_hook":
			m.PostInitHook = d.optionalStr(k, v)
		case "uninstall_hook":
			m.UninstallHook = d.optionalStr(k, v)
		case "license":
			m.License = d.optionalStr(k, v)
		}
		if d.err != nil {
			return nil, d.err
		}
	}
	// Odoo refuses the version of a module it may install, and keeps that
	// of one not installable as written: a module not yet ported keeps
	// its 16.0 version, and installable False, in a repository of 17.0.
	if version != nil && m.Installable && !ValidVersion(Series, m.Version) {
		return nil, d.errAt(version, fmt.Sprintf("version %q is not one Odoo %s loads: want x.y, x.y.z, %s.x.y or %s.x.y.z, in numbers (or installable False, for a module not yet ported)", m.Version, Series, Series, Series))
	}
	// Odoo refuses to load a module whose auto_install list names a
	// module outside its depends.
	for _, t := range m.AutoInstallWith {
		if !slices.Contains(m.Depends, t) {
			return nil, d.errAt(autoInstall, fmt.Sprintf("auto_install names %q, which is not in depends", t))
		}
	}
	return m, nil
}

// decoder checks the types of manifest values; it keeps the first error.
type decoder struct {
	file string
	err  *Error
}

func (d *decoder) errAt(n *node, msg string) *Error {
	return &Error{File: d.file, Line: n.line, Col: n.col, Message: msg}
}

func (d *decoder) fail(k, v *node, want string) {
	if d.err == nil {
		d.err = d.errAt(v, fmt.Sprintf("%s is %s, want %s", k.str, v.kind.article(), want))
	}
}

func (d *decoder) str(k, v *node) string {
	if v.kind != nodeStr {
		d.fail(k, v, "a string")
		return ""
	}
	return v.str
}

// optionalStr reads a string that may be None, as Odoo's optional keys
// (a license, a hook) may be: None reads as not given.
func (d *decoder) optionalStr(k, v *node) string {
	if v.kind == nodeNone {
		return ""
	}
	return d.str(k, v)
}

// bool reads a flag as Odoo does, by Python's truth: False, None and a
// zero number are false, True and any other number true. A string or a
// container is refused, though Python reads one as true: 'False' would
// be.
func (d *decoder) bool(k, v *node) bool {
	truth, ok := v.truth()
	if !ok {
		d.fail(k, v, "True or False")
	}
	return truth
}

// strs reads a list or tuple of strings; nil for an empty one.
func (d *decoder) strs(k, v *node) []string {
	if v.kind != nodeList && v.kind != nodeTuple {
		d.fail(k, v, "a list of strings")
		return nil
	}
	var s []string
	for _, it := range v.items {
		if it.kind != nodeStr {
			if d.err == nil {
				d.err = d.errAt(it, fmt.Sprintf("%s holds %s, want only strings", k.str, it.kind.article()))
			}
			return nil
		}
		s = append(s, it.str)
	}
	return s
}

func (d *decoder) external(k, v *node) ExternalDependencies {
	var e ExternalDependencies
	if v.kind != nodeDict {
		d.fail(k, v, "a dict")
		return e
	}
	for i, kk := range v.keys {
		// Keys such as "deb" are for packagers, not for Odoo.
		switch kk.str {
		case "python":
			e.Python = d.strs(&node{str: k.str + "['python']"}, v.items[i])
		case "bin":
			e.Bin = d.strs(&node{str: k.str + "['bin']"}, v.items[i])
		}
	}
	return e
}
