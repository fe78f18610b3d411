// Package catalog loads the governed estate (plants, business processes,
// environments, windows and teams) from the YAML documents an operator
// keeps in git, and validates it as a whole.
//
// The catalog is the ground truth every decision of andon rests on, so
// loading is all or nothing: a catalog with any problem is rejected with
// every problem listed (file, line, document, field), never half-loaded.
// The format is described in docs/catalog.md.
package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/internal/limited"
	"github.com/andon-governance/andon/internal/yamlerr"
)

// APIVersion is the only apiVersion the loader accepts.
const APIVersion = "andon/v1"

// Kinds of catalog documents.
const (
	KindPlant           = "Plant"
	KindBusinessProcess = "BusinessProcess"
	KindEnvironment     = "Environment"
	KindWindow          = "Window"
	KindTeam            = "Team"
	KindWaiver          = "Waiver"
)

// Kinds lists every kind of document a catalog may hold.
var Kinds = []string{KindPlant, KindBusinessProcess, KindEnvironment, KindWindow, KindTeam, KindWaiver}

// maxFileSize bounds each file the loader reads, YAML or ICS. A catalog
// file is a few kilobytes and a calendar exported by a planning tool some
// hundreds; without a bound, a stray dump or log named *.yaml would be read
// whole into memory, and parsed, at every reload of the server.
const maxFileSize = 8 << 20

// Load reads every *.yaml and *.yml file below dir, in sorted path order,
// and returns the catalog they describe. Files and directories whose name
// starts with a dot are skipped, so that a catalog kept at the top of a git
// work tree does not pick up .git or CI configuration. The directory is
// opened as an os.Root, so neither a symbolic link nor an ics path can
// read outside it.
//
// When anything is wrong Load returns a nil catalog and an Errors listing
// every problem found.
func Load(dir string) (*andon.Catalog, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, Errors{{File: dir, Message: err.Error()}}
	}
	defer root.Close()
	return LoadFS(root.FS(), ".")
}

// LoadFS is Load over the directory root of fsys; the example catalog is
// loaded this way from an embedded file system. Problems name files
// relative to root.
func LoadFS(fsys fs.FS, root string) (*andon.Catalog, error) {
	l := &loader{
		fsys:  fsys,
		root:  root,
		files: map[string][]byte{},
		names: map[string]map[string]Problem{},
		cat: &andon.Catalog{
			Plants:       []*andon.Plant{},
			Processes:    []*andon.BusinessProcess{},
			Environments: []*andon.Environment{},
			Windows:      []*andon.Window{},
			Teams:        []*andon.Team{},
			Waivers:      []*andon.Waiver{},
		},
	}
	paths := l.find()
	for _, p := range paths {
		l.readFile(p)
	}
	// A catalog of nothing would take every environment and team out of
	// force at a reload, whether its directory is empty or its files are.
	switch {
	case len(l.problems) > 0:
	case len(paths) == 0:
		l.problems = append(l.problems, Problem{File: ".", Message: "no *.yaml or *.yml files found"})
	case l.documents == 0:
		l.problems = append(l.problems, Problem{File: ".", Message: "no catalog documents found: the *.yaml and *.yml files hold only empty documents"})
	}
	l.checkReferences()
	l.checkPromotions()
	if len(l.problems) > 0 {
		return nil, l.problems.sorted()
	}
	l.cat.Revision = l.revision()
	return l.cat, nil
}

// loader holds the state of one Load.
type loader struct {
	fsys fs.FS
	root string

	cat      *andon.Catalog
	problems Errors
	// documents counts the documents read, empty ones left out.
	documents int

	// files holds the content of every file read, YAML and ICS, by path
	// relative to root, for the revision digest.
	files map[string][]byte
	// names holds where each document was defined, by kind and name, to
	// resolve references and report duplicates.
	names map[string]map[string]Problem
	// refs are the references to check once every document is read.
	refs []reference
	// promotions are the promotesFrom edges, in document order.
	promotions []promotion
}

// reference is a name in one document that must be defined by another.
type reference struct {
	d     *doc
	node  *yaml.Node
	field string
	kind  string
	name  string
}

type promotion struct {
	d    *doc
	node *yaml.Node
	from string // the environment named by the document
	to   string // the environment it promotes from
}

// find returns the slash-separated paths, relative to root, of the YAML
// files below root, sorted.
func (l *loader) find() []string {
	var paths []string
	err := fs.WalkDir(l.fsys, l.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			l.problems = append(l.problems, Problem{File: l.rel(p), Message: err.Error()})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p != l.root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() && (path.Ext(p) == ".yaml" || path.Ext(p) == ".yml") {
			paths = append(paths, l.rel(p))
		}
		return nil
	})
	if err != nil {
		l.problems = append(l.problems, Problem{File: ".", Message: err.Error()})
	}
	// WalkDir sorts each directory's entries, which is not the order of
	// whole paths ("a/b.yaml" comes before "a-b.yaml"); the documented
	// order is that of the paths.
	slices.Sort(paths)
	return paths
}

// rel returns the path p of fsys relative to the catalog root.
func (l *loader) rel(p string) string {
	if l.root == "." {
		return p
	}
	if r, ok := strings.CutPrefix(p, l.root+"/"); ok {
		return r
	}
	if p == l.root {
		return "."
	}
	return p
}

// readFile decodes every document of the YAML file at p, relative to root.
func (l *loader) readFile(p string) {
	data, err := l.read(p)
	if err != nil {
		l.problems = append(l.problems, Problem{File: p, Message: unwrapPath(err)})
		return
	}
	l.files[p] = data
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	for index := 1; ; index++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			// The parser cannot resume after a syntax error, so the rest
			// of the file is not read.
			line, problem := yamlerr.Parse(err, data)
			l.problems = append(l.problems, Problem{File: p, Line: line, Document: docNumber(index), Message: "invalid YAML: " + problem})
			return
		}
		if len(n.Content) == 0 {
			continue
		}
		l.decodeDocument(p, index, n.Content[0])
	}
}

// read returns the content of the file at p, relative to root, which must
// be a regular file (once symbolic links are followed) of at most
// maxFileSize bytes. Both are checked before the file is opened: opening a
// named pipe waits for a writer, forever, and a huge file fills memory.
// The read is bounded too, since a file may grow in between.
func (l *loader) read(p string) ([]byte, error) {
	name := path.Join(l.root, p)
	fi, err := fs.Stat(l.fsys, name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file but %s", limited.FileType(fi.Mode()))
	}
	if fi.Size() > maxFileSize {
		return nil, limited.TooLarge(maxFileSize, "a catalog file")
	}
	f, err := l.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return limited.ReadAll(f, maxFileSize, "a catalog file")
}

// unwrapPath returns the message of a file system error without the path,
// which the problem already names.
func unwrapPath(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if err.Error() == "path escapes from parent" {
		// os.Root's words for a symbolic link out of the directory.
		return "a symbolic link that leads outside the catalog directory, which is read alone"
	}
	return err.Error()
}

func docNumber(index int) string { return fmt.Sprintf("document %d", index) }

// decodeDocument checks the envelope of one document (apiVersion, kind,
// metadata) and hands its spec to the decoder of its kind.
func (l *loader) decodeDocument(file string, index int, root *yaml.Node) {
	n := resolve(root)
	if n == nil {
		return // an empty document, such as a trailing "---"
	}
	l.documents++
	d := &doc{l: l, file: file, line: n.Line, id: docNumber(index)}
	kind, name := identify(n)
	if slices.Contains(Kinds, kind) && andon.IsDNSLabel(name) {
		d.id = kind + "/" + name
	}

	if n.Kind != yaml.MappingNode {
		d.errorf(n, "", "a document must be a mapping with apiVersion, kind, metadata and spec, not %s", describe(n))
		return
	}
	top := d.object(nil, n, "", "apiVersion", "kind", "metadata", "spec")
	if v, vn := top.str("apiVersion", true); vn != nil && v != APIVersion {
		d.errorf(vn, "apiVersion", "%q is not supported; use %s", v, APIVersion)
	}
	k, kn := top.str("kind", true)
	if kn != nil && k != "" && !slices.Contains(Kinds, k) {
		if close := andon.Closest(k, Kinds); len(close) > 0 {
			d.errorf(kn, "kind", "unknown kind %q; did you mean %s?", k, strings.Join(close, " or "))
		} else {
			d.errorf(kn, "kind", "unknown kind %q; expected one of %s", k, strings.Join(Kinds, ", "))
		}
	}
	meta := d.object(top.line("metadata"), top.vals["metadata"], "metadata", "name")
	if !top.has("metadata") {
		top.missing("metadata")
	}
	nm, nn := meta.str("name", top.has("metadata"))
	if nn != nil && nm != "" && !andon.IsDNSLabel(nm) {
		d.errorf(nn, "metadata.name", "%q is not a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit", nm)
	}
	if !slices.Contains(Kinds, k) {
		return // the spec cannot be checked without knowing its kind
	}
	if andon.IsDNSLabel(nm) && !l.define(d, nn, k, nm) {
		nm = "" // a duplicate is reported once, not checked again
	}

	specAt := top.line("spec")
	if specAt == nil {
		specAt = n
	}
	switch k {
	case KindPlant:
		l.decodePlant(d, nm, specAt, top.vals["spec"])
	case KindBusinessProcess:
		l.decodeProcess(d, nm, specAt, top.vals["spec"])
	case KindEnvironment:
		l.decodeEnvironment(d, nm, specAt, top.vals["spec"])
	case KindWindow:
		l.decodeWindow(d, nm, specAt, top.vals["spec"])
	case KindTeam:
		l.decodeTeam(d, nm, specAt, top.vals["spec"])
	case KindWaiver:
		l.decodeWaiver(d, nm, specAt, top.vals["spec"])
	}
}

// identify returns the kind and name a document declares, read without
// reporting anything, so that problems anywhere in it can name it.
func identify(n *yaml.Node) (kind, name string) {
	if n.Kind != yaml.MappingNode {
		return "", ""
	}
	get := func(m *yaml.Node, key string) *yaml.Node {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if k := resolve(m.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == key {
				return resolve(m.Content[i+1])
			}
		}
		return nil
	}
	if k := get(n, "kind"); k != nil && k.Kind == yaml.ScalarNode {
		kind = k.Value
	}
	if m := get(n, "metadata"); m != nil && m.Kind == yaml.MappingNode {
		if v := get(m, "name"); v != nil && v.Kind == yaml.ScalarNode {
			name = v.Value
		}
	}
	return kind, name
}

// define records that the document d defines kind/name at node n. It
// reports and returns false when the name is already taken.
func (l *loader) define(d *doc, n *yaml.Node, kind, name string) bool {
	if l.names[kind] == nil {
		l.names[kind] = map[string]Problem{}
	}
	if first, ok := l.names[kind][name]; ok {
		d.errorf(n, "metadata.name", "duplicate %s %q; first defined at %s:%d", kind, name, first.File, first.Line)
		return false
	}
	l.names[kind][name] = Problem{File: d.file, Line: n.Line}
	return true
}

// refer records that the item of d names a document of kind, to be
// checked once every file is read.
func (l *loader) refer(d *doc, kind string, it item) {
	l.refs = append(l.refs, reference{d: d, node: it.node, field: it.field, kind: kind, name: it.value})
}

// checkReferences reports every reference to a name no document defines,
// with the defined names it is likely a misspelling of.
func (l *loader) checkReferences() {
	for _, r := range l.refs {
		if _, ok := l.names[r.kind][r.name]; ok {
			continue
		}
		if close := andon.Closest(r.name, slices.Sorted(maps.Keys(l.names[r.kind]))); len(close) > 0 {
			r.d.errorf(r.node, r.field, "unknown %s %q; did you mean %s?", r.kind, r.name, strings.Join(close, " or "))
		} else {
			r.d.errorf(r.node, r.field, "unknown %s %q", r.kind, r.name)
		}
	}
}

// checkPromotions reports cycles of promotesFrom. Each environment promotes
// from at most one other, so following the edges from any environment
// either ends or enters a cycle; each cycle is reported once, on the
// document of its first member in load order.
func (l *loader) checkPromotions() {
	next := map[string]promotion{}
	for _, p := range l.promotions {
		next[p.from] = p
	}
	reported := map[string]bool{}
	for _, start := range l.promotions {
		var chain []string
		at := map[string]int{}
		for name := start.from; ; {
			if i, seen := at[name]; seen {
				cycle := append(chain[i:], name)
				if !reported[name] && name == start.from {
					for _, c := range cycle {
						reported[c] = true
					}
					start.d.errorf(start.node, "spec.promotesFrom", "promotion cycle: %s", strings.Join(cycle, " -> "))
				}
				break
			}
			p, ok := next[name]
			if !ok || reported[name] {
				break
			}
			at[name] = len(chain)
			chain = append(chain, name)
			name = p.to
		}
	}
}

// revision returns "sha256:" and the hex digest of every file read, in
// sorted path order. Each file contributes its path and its length before
// its content, so that no two different sets of files hash alike.
func (l *loader) revision() string {
	h := sha256.New()
	paths := make([]string, 0, len(l.files))
	for p := range l.files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(l.files[p]))
		h.Write(l.files[p])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
