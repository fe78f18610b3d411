package odoo

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Statuses of a module in a Diff.
const (
	ModuleAdded   = "added"
	ModuleRemoved = "removed"
	ModuleChanged = "changed"
)

// Migration phases: Odoo runs pre- scripts before a module's data is
// loaded, post- scripts after, and end- scripts once every module is
// updated.
const (
	PhasePre  = "pre"
	PhasePost = "post"
	PhaseEnd  = "end"
)

// Series is the Odoo series whose manifests Diff reads by default: a
// version that does not start with it, such as "1.2", is "17.0.1.2".
const Series = "17.0"

// Diff is what a change of an addons repository does to its modules.
type Diff struct {
	// Modules are the modules added, removed or changed, by name.
	Modules []ModuleDiff `json:"modules"`
	// Renames pair the modules removed and added that look like one
	// module under a new name, by the name of the removed one. Both stay
	// in Modules, as removed and added: Odoo sees them so.
	Renames []Rename `json:"renames"`
	// Before and After are the modules of both trees.
	Before, After *Addons `json:"-"`
}

// ModuleDiff is what a change does to one module.
type ModuleDiff struct {
	Module string `json:"module"`
	Status string `json:"status"`
	// OldVersion and NewVersion are the versions with their series, as
	// Odoo reads them ("17.0.1.2"), or as written for a module not
	// installable whose version Odoo does not read ("16.0.1.0.0"); empty
	// where the module is not.
	OldVersion string `json:"oldVersion,omitempty"`
	NewVersion string `json:"newVersion,omitempty"`
	// Bumped is set when NewVersion is above OldVersion, which is what
	// makes Odoo run the module's migration scripts on upgrade.
	Bumped bool `json:"bumped,omitempty"`
	// Migrations are the migration scripts the change adds or changes.
	Migrations []Migration `json:"migrations,omitempty"`
	// MigrationsRun are the scripts that the upgrade from OldVersion to
	// NewVersion runs, whether the change touches them or not, in the
	// order Odoo runs them: those of the version folders above OldVersion
	// and up to NewVersion, and the 0.0.0 ones. A module the change adds
	// is installed, which runs none; so is one not installable before the
	// change, and one not installable after it is not upgraded.
	MigrationsRun []Migration `json:"migrationsRun,omitempty"`
	// MigrationsIgnored are the version folders of the scripts the change
	// adds or changes that the upgrade does not run, each with the reason.
	MigrationsIgnored []IgnoredFolder `json:"migrationsIgnored,omitempty"`
	// MigrationsNotRun is set when the change adds or changes migration
	// scripts of a module whose version does not go up: Odoo runs a
	// module's scripts only on an upgrade to a higher version, so the
	// upgrade runs none of them.
	MigrationsNotRun bool `json:"migrationsNotRun,omitempty"`
	// Security are the access files the change adds or changes.
	Security []SecurityFile `json:"security,omitempty"`
	// HooksAdded names the hooks the new manifest declares that the old
	// one did not: "pre_init_hook", "post_init_hook", "uninstall_hook".
	HooksAdded []string `json:"hooksAdded,omitempty"`
	// ExternalAdded are the external dependencies the new manifest adds,
	// as "python:NAME" and "bin:NAME".
	ExternalAdded []string `json:"externalAdded,omitempty"`
	// DataChanged are the data and demo files of the manifest that the
	// change adds or changes.
	DataChanged []string `json:"dataChanged,omitempty"`
	// Files are the module's files the change adds, removes or changes,
	// relative to the module's directory.
	Files []string `json:"files"`
}

// Migration is a migration script.
type Migration struct {
	// Version is the version directory as Odoo reads it: with the series
	// when it has none ("1.3" is "17.0.1.3"), "0.0.0" for the scripts that
	// run on every upgrade, and as written when Odoo does not read it as a
	// version.
	Version string `json:"version"`
	Phase   string `json:"phase"`
	// File is relative to the module's directory.
	File string `json:"file"`
}

// IgnoredFolder is a version folder of migration scripts that an upgrade
// does not run.
type IgnoredFolder struct {
	// Folder is relative to the module's directory, as "migrations/1.0".
	Folder string `json:"folder"`
	// Reason says why Odoo does not run its scripts.
	Reason string `json:"reason"`
}

// SecurityFile is an access file that a change adds or changes.
type SecurityFile struct {
	File string `json:"file"`
	// PublicRows are the rows of an ir.model.access.csv that grant access
	// without a group, to every user including portal and public ones,
	// and that the old file did not have: each as "id (model: rights)".
	PublicRows []string `json:"publicRows,omitempty"`
}

// unwrapAll returns the errors joined in err, or err alone.
func unwrapAll(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unwrapAll(e)...)
		}
		return out
	}
	return []error{err}
}

// DirHasher is a file system that knows a hash of each directory's
// content, as a git tree does: DiffFS does not read a module whose
// directory has the same hash in both trees.
type DirHasher interface {
	DirHash(name string) (hash string, ok bool)
}

// unchanged reports whether the directories of a module hash the same in
// both trees.
func unchanged(from, to fs.FS, oldDir, newDir string) bool {
	hf, ok1 := from.(DirHasher)
	ht, ok2 := to.(DirHasher)
	if !ok1 || !ok2 {
		return false
	}
	a, ok1 := hf.DirHash(oldDir)
	b, ok2 := ht.DirHash(newDir)
	return ok1 && ok2 && a == b
}

// DiffFS compares the modules of the addons paths in two trees, such as
// two commits of a repository: from before the change, to after it.
// Manifests that cannot be read in to are errors; in from they are read
// as well as they can, since the change may be what fixes them.
func DiffFS(from, to fs.FS, paths ...string) (*Diff, error) {
	after, err := DiscoverFS(to, paths...)
	if err != nil {
		return nil, err
	}
	// The change may be what fixes a manifest: one that did not parse
	// before makes its module changed, from an unknown version. Any other
	// error reading the old tree is an error.
	before, err := DiscoverFS(from, paths...)
	if before == nil {
		before = &Addons{}
	}
	// The directories of the modules whose manifests did not parse, by
	// name.
	unreadable := map[string]string{}
	for _, e := range unwrapAll(err) {
		var me *Error
		switch {
		case errors.As(e, &me) && me.Err != nil && errors.Is(me.Err, fs.ErrNotExist):
			continue // an addons path the change adds
		case !errors.As(e, &me) || me.Err != nil:
			return nil, fmt.Errorf("before the change: %w", e)
		}
		dir := path.Dir(me.File)
		if _, seen := unreadable[path.Base(dir)]; !seen {
			unreadable[path.Base(dir)] = dir
		}
	}
	names := map[string]bool{}
	for name := range unreadable {
		names[name] = true
	}
	for _, m := range before.Modules {
		names[m.Name] = true
	}
	for _, m := range after.Modules {
		names[m.Name] = true
	}
	d := &Diff{Modules: []ModuleDiff{}, Renames: []Rename{}, Before: before, After: after}
	gone, came := map[string]fingerprint{}, map[string]fingerprint{}
	for _, name := range sortedKeys(names) {
		old, hadOld := before.Module(name)
		cur, hasNew := after.Module(name)
		if hadOld && hasNew && unchanged(from, to, old.Path, cur.Path) {
			continue
		}
		md := ModuleDiff{Module: name}
		switch {
		case !hadOld && unreadable[name] != "" && hasNew:
			md.Status = ModuleChanged
		case !hasNew:
			md.Status = ModuleRemoved
		case !hadOld:
			md.Status = ModuleAdded
		default:
			md.Status = ModuleChanged
		}
		var oldFiles, newFiles map[string][]byte
		oldDir := unreadable[name]
		if hadOld {
			md.OldVersion = moduleVersion(old)
			oldDir = old.Path
		}
		switch {
		case hadOld:
			if oldFiles, err = readTree(from, oldDir); err != nil {
				return nil, err
			}
		case oldDir != "":
			// Read as well as it can be, as the manifest was: what
			// cannot be read counts as changed.
			oldFiles, _ = readTree(from, oldDir)
		}
		if hasNew {
			md.NewVersion = moduleVersion(cur)
			if newFiles, err = readTree(to, cur.Path); err != nil {
				return nil, err
			}
		}
		md.Files = changedFiles(oldFiles, newFiles)
		if len(md.Files) == 0 {
			continue
		}
		switch {
		case hadOld && hasNew:
			md.Bumped = CompareVersions(md.NewVersion, md.OldVersion) > 0
		case unreadable[name] != "" && hasNew:
			// The old version is unknown: the upgrade may run every
			// script of the new one.
			md.Bumped = true
		}
		if hasNew {
			md.describe(old, cur, oldFiles, newFiles)
			md.sortMigrations(newFiles, hadOld, old, cur)
		}
		md.MigrationsNotRun = md.Status == ModuleChanged && !md.Bumped && len(md.Migrations) > 0
		switch md.Status {
		case ModuleRemoved:
			gone[name] = fingerprintOf(old, oldFiles)
		case ModuleAdded:
			came[name] = fingerprintOf(cur, newFiles)
		}
		d.Modules = append(d.Modules, md)
	}
	if len(gone) > 0 && len(came) > 0 {
		d.Renames = renames(gone, came)
	}
	return d, nil
}

// describe fills in what the changed files of a module that exists after
// the change mean.
func (md *ModuleDiff) describe(old, cur *Module, oldFiles, newFiles map[string][]byte) {
	data := map[string]bool{}
	for _, f := range slices.Concat(cur.Data, cur.Demo) {
		data[path.Clean(f)] = true
	}
	for _, f := range md.Files {
		content, exists := newFiles[f]
		if !exists {
			continue
		}
		if mig, ok := migration(f); ok {
			md.Migrations = append(md.Migrations, mig)
		}
		if data[f] {
			md.DataChanged = append(md.DataChanged, f)
		}
		if sec, ok := security(f, oldFiles[f], content); ok {
			md.Security = append(md.Security, sec)
		}
	}
	was := func(get func(*Module) string) bool { return old != nil && get(old) != "" }
	for _, h := range []struct {
		name string
		get  func(*Module) string
	}{
		{"pre_init_hook", func(m *Module) string { return m.PreInitHook }},
		{"post_init_hook", func(m *Module) string { return m.PostInitHook }},
		{"uninstall_hook", func(m *Module) string { return m.UninstallHook }},
	} {
		if h.get(cur) != "" && !was(h.get) {
			md.HooksAdded = append(md.HooksAdded, h.name)
		}
	}
	var oldExt ExternalDependencies
	if old != nil {
		oldExt = old.ExternalDependencies
	}
	for _, p := range cur.ExternalDependencies.Python {
		if !slices.Contains(oldExt.Python, p) {
			md.ExternalAdded = append(md.ExternalAdded, "python:"+p)
		}
	}
	for _, b := range cur.ExternalDependencies.Bin {
		if !slices.Contains(oldExt.Bin, b) {
			md.ExternalAdded = append(md.ExternalAdded, "bin:"+b)
		}
	}
}

// migration reads a file of a module as a migration script:
// migrations/VERSION/PHASE-NAME.py, or upgrades/ in place of migrations.
func migration(file string) (Migration, bool) {
	parts := strings.Split(file, "/")
	if len(parts) != 3 || (parts[0] != "migrations" && parts[0] != "upgrades") || !strings.HasSuffix(parts[2], ".py") {
		return Migration{}, false
	}
	phase, _, ok := strings.Cut(parts[2], "-")
	if !ok || (phase != PhasePre && phase != PhasePost && phase != PhaseEnd) {
		return Migration{}, false
	}
	return Migration{Version: folderVersion(parts[1]), Phase: phase, File: file}, true
}

// migrationFolder is the name of a version folder whose scripts Odoo
// reads (odoo.modules.migration's VERSION_RE): x.y or x.y.z, after an
// optional series (17.0., 16.0., saas~17.1. and older forms); 0.0.0 is
// one. Odoo skips a folder of any other name, warning in its log. The
// first group is the series with its dot.
var migrationFolder = regexp.MustCompile(`^((6\.1|[6-9]\.0|[1-9][0-9]+\.0|(7|8|9|10)\.saas~[1-9][0-9]*|saas~(1[1-9]|[2-9][0-9]+)\.[1-9])\.)?[0-9]+\.[0-9]+(\.[0-9]+)?$`)

// folderVersion returns the version of a migration folder as Odoo reads
// it (convert_version in odoo.modules.migration): one without a series
// takes the series in front, 0.0.0 stays, and a name Odoo does not read
// as a version is returned as it is.
func folderVersion(name string) string {
	m := migrationFolder.FindStringSubmatch(name)
	if m == nil || name == "0.0.0" || m[1] != "" {
		return name
	}
	return Series + "." + name
}

// migrationRuns reports whether an upgrade of a module from version
// installed to version current (full versions; installed "" when it is
// unknown) runs the scripts of the migration folder called name, as
// odoo.modules.migration.MigrationManager.migrate_module decides, and
// when it does not, why. Odoo runs a folder's scripts when installed <
// folder <= current; the 0.0.0 ones whenever the version goes up; and it
// compares a folder without a series by the module's part of the versions
// alone, so that a 2.0 folder run at 16.0.2.0 is not run again at
// 17.0.2.0. An unknown installed version is taken as below every folder,
// so that none that may run is left out.
func migrationRuns(name, installed, current string) (bool, string) {
	m := migrationFolder.FindStringSubmatch(name)
	switch {
	case m == nil:
		return false, fmt.Sprintf("%q is not a version Odoo reads (x.y or x.y.z, after a series such as %s. or not): Odoo skips the folder", name, Series)
	case installed != "" && CompareVersions(installed, current) >= 0:
		v := current
		if installed != current {
			v = installed + " -> " + current
		}
		return false, fmt.Sprintf("the version does not go up (%s): Odoo runs a module's scripts only when it does", v)
	case name == "0.0.0":
		return true, ""
	case m[1] != "" && m[1] != Series+".":
		return false, fmt.Sprintf("a folder of series %s: an upgrade within %s does not reach it", strings.TrimSuffix(m[1], "."), Series)
	}
	full := folderVersion(name)
	v, lo, hi := versionKey(full), versionKey(installed), versionKey(current)
	if m[1] == "" {
		// parse_version(...)[2:]: the series' two parts left out.
		v, lo, hi = v[min(2, len(v)):], lo[min(2, len(lo)):], hi[min(2, len(hi)):]
	}
	switch {
	case installed != "" && slices.Compare(v, lo) <= 0:
		return false, fmt.Sprintf("%s is not above %s, the version before the change: an upgrade to that version ran it, or passed it by", full, installed)
	case slices.Compare(v, hi) > 0:
		return false, fmt.Sprintf("%s is above %s, the version after the change: an upgrade to it will run it", full, current)
	}
	return true, ""
}

// sortMigrations sorts the migration scripts of a module that exists
// after the change, whose files are newFiles, into those the upgrade runs
// and the folders of those the change touches that it does not. hadOld
// says whether the version before the change is known; old and cur are
// the module before (nil when it was not read) and after.
func (md *ModuleDiff) sortMigrations(newFiles map[string][]byte, hadOld bool, old, cur *Module) {
	ignore := func(folder, reason string) {
		if !slices.ContainsFunc(md.MigrationsIgnored, func(f IgnoredFolder) bool { return f.Folder == folder }) {
			md.MigrationsIgnored = append(md.MigrationsIgnored, IgnoredFolder{Folder: folder, Reason: reason})
		}
	}
	// Odoo upgrades only a module installed in the database, and installs
	// only one installable: a module not installable before the change was
	// not installed, and one not installable after it is not upgraded.
	var none string
	switch {
	case md.Status == ModuleAdded:
		none = "the change adds the module: Odoo installs it, and runs migration scripts only when it upgrades one"
	case !cur.Installable:
		none = "the module is not installable after the change (installable False): Odoo does not upgrade it"
	case hadOld && !old.Installable:
		none = "the module was not installable before the change (installable False), so not installed: Odoo installs it, and runs migration scripts only when it upgrades one"
	}
	if none != "" {
		for _, mig := range md.Migrations {
			ignore(path.Dir(mig.File), none)
		}
		return
	}
	installed := ""
	if hadOld {
		installed = md.OldVersion
	}
	for f := range newFiles {
		mig, ok := migration(f)
		if !ok {
			continue
		}
		if runs, _ := migrationRuns(path.Base(path.Dir(f)), installed, md.NewVersion); runs {
			md.MigrationsRun = append(md.MigrationsRun, mig)
		}
	}
	slices.SortFunc(md.MigrationsRun, runOrder)
	for _, mig := range md.Migrations {
		folder := path.Dir(mig.File)
		if runs, why := migrationRuns(path.Base(folder), installed, md.NewVersion); !runs {
			ignore(folder, why)
		}
	}
}

// runOrder orders the scripts of one module as Odoo runs them: by phase;
// within one, by version, the 0.0.0 scripts first before the module's
// data loads (pre) and last after it (post, end); within a version, by
// file name, the migrations/ and upgrades/ folders together.
func runOrder(a, b Migration) int {
	phases := []string{PhasePre, PhasePost, PhaseEnd}
	if c := slices.Index(phases, a.Phase) - slices.Index(phases, b.Phase); c != 0 {
		return c
	}
	rank := func(m Migration) int {
		switch {
		case m.Version != "0.0.0":
			return 0
		case m.Phase == PhasePre:
			return -1
		}
		return 1
	}
	if c := rank(a) - rank(b); c != 0 {
		return c
	}
	if c := CompareVersions(a.Version, b.Version); c != 0 {
		return c
	}
	if c := strings.Compare(path.Base(a.File), path.Base(b.File)); c != 0 {
		return c
	}
	return strings.Compare(a.File, b.File)
}

// security reads a changed file as an access file: a CSV file of
// ir.model.access (rows of public access flagged), or an XML file under
// security/.
func security(file string, old, cur []byte) (SecurityFile, bool) {
	switch {
	case csvModel(file) == "ir.model.access":
		had := map[string]bool{}
		for _, r := range publicRows(old) {
			had[r] = true
		}
		sf := SecurityFile{File: file}
		for _, r := range publicRows(cur) {
			if !had[r] {
				sf.PublicRows = append(sf.PublicRows, r)
			}
		}
		return sf, true
	case strings.HasPrefix(file, "security/") && strings.HasSuffix(file, ".xml"),
		strings.HasSuffix(file, ".xml") && (bytes.Contains(cur, []byte(`"ir.rule"`)) || bytes.Contains(cur, []byte(`'ir.rule'`))):
		return SecurityFile{File: file}, true
	}
	return SecurityFile{}, false
}

// csvModel returns the model a CSV data file loads into, as Odoo reads it:
// the file's name without its extension, up to the first '-', so that
// ir.model.access-portal.csv loads access rows as ir.model.access.csv
// does. It is "" for a file that is not CSV.
func csvModel(file string) string {
	base := path.Base(file)
	ext := path.Ext(base)
	if !strings.EqualFold(ext, ".csv") {
		return ""
	}
	model, _, _ := strings.Cut(strings.TrimSuffix(base, ext), "-")
	return model
}

// publicRows returns the rows of an ir.model.access.csv whose group is
// empty. A file that is not CSV has none that can be told.
func publicRows(content []byte) []string {
	if content == nil {
		return nil
	}
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf")) // a byte-order mark
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil
	}
	// Odoo names external-id columns name:id or name/id.
	col := map[string]int{}
	for i, h := range header {
		col[strings.Replace(strings.TrimSpace(h), "/id", ":id", 1)] = i
	}
	// A file without a group column grants every row to everyone.
	group, ok := col["group_id:id"]
	if !ok {
		group, ok = col["group_id"]
	}
	if !ok {
		group = -1
	}
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out
		}
		if group >= 0 && group < len(rec) && strings.TrimSpace(rec[group]) != "" {
			continue
		}
		var rights []string
		for _, p := range []string{"read", "write", "create", "unlink"} {
			if granted(field(rec, "perm_"+p)) {
				rights = append(rights, p)
			}
		}
		out = append(out, fmt.Sprintf("%s (model %s: %s)", field(rec, "id"), field(rec, "model_id:id"), strings.Join(rights, ", ")))
	}
	return out
}

// granted reads a boolean column of a CSV data file as Odoo's import
// does (ir.fields.converter's _str_to_boolean): empty, 0, false and no,
// in any case, are False; 1, true, yes and any other value are True, the
// last with a warning in Odoo's log.
func granted(v string) bool {
	switch strings.ToLower(v) {
	case "", "0", "false", "no":
		return false
	}
	return true
}

// readTree returns the files below dir of fsys by their paths relative to
// dir, following symbolic links to directories (as Odoo reads a module's
// files), at most maxTreeDepth deep. Compiled Python files are left out.
func readTree(fsys fs.FS, dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	var walk func(p, rel string, depth int) error
	walk = func(p, rel string, depth int) error {
		if depth > maxTreeDepth {
			return fmt.Errorf("%s: deeper than %d directories (a loop of symbolic links?)", p, maxTreeDepth)
		}
		entries, err := fs.ReadDir(fsys, p)
		if err != nil {
			return err
		}
		for _, e := range entries {
			name, relName := path.Join(p, e.Name()), path.Join(rel, e.Name())
			isDir := e.IsDir()
			if e.Type()&fs.ModeSymlink != 0 {
				fi, err := fs.Stat(fsys, name)
				if err != nil {
					return err
				}
				isDir = fi.IsDir()
			}
			switch {
			case isDir && e.Name() == "__pycache__":
			case isDir:
				if err := walk(name, relName, depth+1); err != nil {
					return err
				}
			case strings.HasSuffix(name, ".pyc"):
			default:
				b, err := fs.ReadFile(fsys, name)
				if err != nil {
					return err
				}
				files[relName] = b
			}
		}
		return nil
	}
	if err := walk(dir, "", 0); err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	return files, nil
}

// maxTreeDepth bounds how deep readTree goes below a module.
const maxTreeDepth = 32

// changedFiles returns the files added, removed or changed, sorted.
func changedFiles(old, cur map[string][]byte) []string {
	var out []string
	for f, b := range cur {
		if ob, ok := old[f]; !ok || !bytes.Equal(ob, b) {
			out = append(out, f)
		}
	}
	for f := range old {
		if _, ok := cur[f]; !ok {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// FullVersion returns version with its series, as Odoo reads a manifest's
// version (odoo.modules.module.adapt_version): "1.2" of series "17.0" is
// "17.0.1.2"; one that starts with the series and a dot is left alone;
// the series alone, "17.0", is the module's version 17.0, "17.0.17.0"; an
// empty one is the series' "1.0".
func FullVersion(series, version string) string {
	if version == "" {
		version = "1.0"
	}
	if strings.HasPrefix(version, series+".") {
		return version
	}
	return series + "." + version
}

// moduleVersion returns the version of m as Odoo keeps it: with the
// series (FullVersion), or as written when Odoo does not read it as a
// version, which it accepts of a module not installable.
func moduleVersion(m *Module) string {
	if !ValidVersion(Series, m.Version) {
		return m.Version
	}
	return FullVersion(Series, m.Version)
}

// ownVersion is the form Odoo gives a module's own version, after the
// series: two or three numbers.
var ownVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+(\.[0-9]+)?$`)

// ValidVersion reports whether Odoo of series loads a module of a
// manifest's version: x.y or x.y.z, with or without the series in front
// (17.0.x.y, 17.0.x.y.z). Odoo refuses the manifest of any other, such as
// 1.0b1, or 16.0.1.0.0 in a module not yet ported to 17.0. An empty
// version is Odoo's default, 1.0.
func ValidVersion(series, version string) bool {
	if version == "" {
		return true
	}
	return ownVersion.MatchString(strings.TrimPrefix(FullVersion(series, version), series+"."))
}

// CompareVersions compares two module versions as Odoo does
// (odoo.tools.parse_version, which decides whether a module is upgraded
// and which migrations run): -1, 0 or +1. Numbers compare as numbers,
// trailing zeros of a run of numbers do not count (1.0 is 1.0.0), and a
// word sorts before the release it precedes: 1.0b1, 1.0rc1 and 1.0dev
// come before 1.0, and 1.0.beta before 1.0.1.
func CompareVersions(a, b string) int {
	return slices.Compare(versionKey(a), versionKey(b))
}

// versionPart splits a version into numbers, words and separators, as
// parse_version does.
var versionPart = regexp.MustCompile(`\d+|[a-z]+|\.|-`)

// versionKey is the key parse_version gives a version: a list that
// compares, part by part, as the versions do.
func versionKey(v string) []string {
	if v == "" {
		v = "0.1"
	}
	var key []string
	add := func(part string) {
		if strings.HasPrefix(part, "*") {
			if part < "*final" {
				// A pre-release tag after "-" is the tag alone.
				for len(key) > 0 && key[len(key)-1] == "*final-" {
					key = key[:len(key)-1]
				}
			}
			// Trailing zeros of a run of numbers do not count.
			for len(key) > 0 && key[len(key)-1] == "00000000" {
				key = key[:len(key)-1]
			}
		}
		key = append(key, part)
	}
	v = strings.ToLower(v)
	// The text between two parts is a part too (an underscore, a tilde),
	// as re.split with a group gives it.
	var parts []string
	at := 0
	for _, m := range versionPart.FindAllStringIndex(v, -1) {
		if m[0] > at {
			parts = append(parts, v[at:m[0]])
		}
		parts = append(parts, v[m[0]:m[1]])
		at = m[1]
	}
	if at < len(v) {
		parts = append(parts, v[at:])
	}
	for _, part := range parts {
		switch part {
		case "pre", "preview", "rc":
			part = "c"
		case "-", "_":
			part = "final-"
		case "dev":
			part = "@"
		case "saas", "~":
			part = ""
		}
		switch {
		case part == "" || part == ".":
		case part[0] >= '0' && part[0] <= '9':
			add(strings.Repeat("0", max(0, 8-len(part))) + part)
		default:
			add("*" + part)
		}
	}
	add("*final")
	return key
}

// sortedKeys returns the keys of a set, sorted.
func sortedKeys(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }
