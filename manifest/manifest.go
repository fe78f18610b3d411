// Package manifest reads Kubernetes manifests as written: YAML or JSON
// files with many documents each, directories of them, and the output of
// helm template or kustomize build on standard input. It keeps where each
// object was read, so that a finding can name the file and line, and it
// extracts what the manifest policy needs and Rego reads badly: the
// odoo.conf files held by ConfigMaps and Secrets.
package manifest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/internal/limited"
	"github.com/andon-governance/andon/internal/yamlerr"
	"gopkg.in/yaml.v3"
)

// Stdin is the name that reads standard input.
const Stdin = "-"

// Object is one Kubernetes object and where it was read.
type Object struct {
	andon.ObjectRef
	// Doc is the object as written.
	Doc map[string]any
	// OdooConf holds the odoo.conf files of a ConfigMap or Secret, by data
	// key: section, then option, then value as written.
	OdooConf map[string]map[string]map[string]string
}

// Error is an input that cannot be read, with where.
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Read reads the objects of every path, in order: a file, a directory
// (its *.yaml, *.yml and *.json files, recursively, in path order), or
// Stdin, read from stdin. Each file is read once, however many paths name
// it: a directory and a file in it, or the same directory twice, would
// otherwise give every object of the file twice, and each would conflict
// with itself. At most 64 MiB are read of each input.
func Read(paths []string, stdin io.Reader) ([]*Object, error) {
	var inputs []input
	read := map[string]bool{}
	// once reports whether name is read the first time; files are told
	// apart by their absolute path with symbolic links followed, so that
	// a link to a directory given beside it reads nothing twice.
	once := func(name string) bool {
		key := name
		if name != Stdin {
			if abs, err := filepath.Abs(name); err == nil {
				key = abs
			}
			if real, err := filepath.EvalSymlinks(key); err == nil {
				key = real
			}
		}
		if read[key] {
			return false
		}
		read[key] = true
		return true
	}
	for _, p := range paths {
		if p == Stdin {
			if !once(Stdin) {
				continue
			}
			b, err := readBounded(stdin)
			if err != nil {
				return nil, &Error{File: "<stdin>", Err: err}
			}
			inputs = append(inputs, input{file: "<stdin>", data: b})
			continue
		}
		files, err := expand(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if once(f) {
				inputs = append(inputs, input{file: f})
			}
		}
	}
	return parseAll(inputs, func(name string) (fs.File, error) { return os.Open(name) })
}

// maxInput bounds what is read of one input, a file or standard input.
// The rendered manifests of a whole Odoo stack are well under a megabyte,
// and the largest single files (CRDs, a chart with many dashboards) a few;
// the bound is there so that a mistaken input (/dev/zero, yes | andon
// policy test -) ends in an error rather than in all the machine's memory.
const maxInput = 64 << 20

// readBounded reads r to its end, or fails once it passes maxInput.
func readBounded(r io.Reader) ([]byte, error) { return limited.ReadAll(r, maxInput, "one input") }

// input is a manifest file to parse: its name, and its content when it
// was read already (standard input).
type input struct {
	file string
	data []byte
}

// parseAll reads (opening them with open, at most maxInput bytes each)
// and parses the inputs in parallel, one worker per processor. The objects
// keep the order of the inputs, and the error is that of the first input
// that fails in that order, whatever finished first.
func parseAll(inputs []input, open func(string) (fs.File, error)) ([]*Object, error) {
	results := make([][]*Object, len(inputs))
	errs := make([]error, len(inputs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(inputs)) {
		wg.Go(func() {
			for i := range next {
				in := inputs[i]
				if in.data == nil {
					b, err := readFile(open, in.file)
					if err != nil {
						errs[i] = &Error{File: in.file, Err: err}
						continue
					}
					in.data = b
				}
				results[i], errs[i] = Parse(in.file, in.data)
			}
		})
	}
	for i := range inputs {
		next <- i
	}
	close(next)
	wg.Wait()
	var objs []*Object
	for i := range inputs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		objs = append(objs, results[i]...)
	}
	return objs, nil
}

// readFile reads the file name, opened with open, to its end or maxInput.
func readFile(open func(string) (fs.File, error), name string) ([]byte, error) {
	f, err := open(name)
	if err != nil {
		// The error names the file already.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer f.Close()
	return readBounded(f)
}

// manifestFiles returns the manifest files below dir of fsys, sorted by
// path: *.yaml, *.yml and *.json files, recursively; hidden files and
// directories (.git, editor files) are not manifests. A manifest file that
// is not a regular file (nor a link to one) is an *Error: reading a named
// pipe can wait for ever and a device can never end, and such a file in a
// directory is rather a mistake than manifests.
func manifestFiles(fsys fs.FS, dir string) ([]string, error) {
	var files []string
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		switch path.Ext(p) {
		case ".yaml", ".yml", ".json":
			if d.IsDir() {
				return nil
			}
			mode := d.Type()
			if mode&fs.ModeSymlink != 0 {
				info, err := fs.Stat(fsys, p)
				if err != nil {
					return err
				}
				mode = info.Mode()
			}
			if !mode.IsRegular() {
				return &Error{File: p, Err: fmt.Errorf("%s, not a regular file: andon reads only the regular files of a directory; give it as a path of its own to read it", limited.FileType(mode))}
			}
			files = append(files, p)
		}
		return nil
	})
	slices.Sort(files)
	return files, err
}

// expand returns the manifest files of p: p itself, or the manifest
// files of the directory p.
func expand(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, &Error{File: p, Err: errors.Unwrap(err)}
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	files, err := manifestFiles(os.DirFS(p), ".")
	if e, ok := err.(*Error); ok {
		e.File = filepath.Join(p, filepath.FromSlash(e.File))
		return nil, e
	} else if err != nil {
		return nil, &Error{File: p, Err: err}
	}
	for i, f := range files {
		files[i] = filepath.Join(p, filepath.FromSlash(f))
	}
	return files, nil
}

// Parse reads the documents of one file. Empty documents are skipped; a
// List (kubectl get -o yaml) gives its items.
func Parse(file string, b []byte) ([]*Object, error) {
	objs, err := parse(file, b)
	if e, ok := err.(*Error); ok && isHelmChartFile(file, b) {
		e.Err = fmt.Errorf("%w (a Helm chart's file: render the chart first, helm template NAME CHART | andon policy test -)", e.Err)
	}
	return objs, err
}

// isHelmChartFile reports whether file looks like a file of a Helm chart
// rather than a rendered manifest: Chart.yaml, values.yaml, or a template.
func isHelmChartFile(file string, b []byte) bool {
	base := filepath.Base(file)
	return base == "Chart.yaml" || base == "values.yaml" || bytes.Contains(b, []byte("{{"))
}

func parse(file string, b []byte) ([]*Object, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var objs []*Object
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, problem := yamlerr.Parse(err, b)
			return nil, &Error{File: file, Line: line, Err: fmt.Errorf("invalid YAML: %s", problem)}
		}
		if len(n.Content) == 0 || (n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null") {
			continue
		}
		root := n.Content[0]
		if root.Kind != yaml.MappingNode {
			return nil, &Error{File: file, Line: root.Line, Err: fmt.Errorf("not a Kubernetes object: the document is %s, not a mapping (a Kubernetes object is a YAML mapping with apiVersion and kind)", nodeKind(root))}
		}
		var doc map[string]any
		if err := root.Decode(&doc); err != nil {
			// yaml.v3 says "yaml: unmarshal errors:" and then each
			// with its line; the first is enough, at its own line.
			line, problem := root.Line, err.Error()
			var te *yaml.TypeError
			if errors.As(err, &te) && len(te.Errors) > 0 {
				line, problem = yamlerr.Parse(errors.New(te.Errors[0]), b)
			}
			return nil, &Error{File: file, Line: line, Err: fmt.Errorf("not a Kubernetes object: %s", problem)}
		}
		// yaml.v3 hangs a comment before a document's first line on the
		// document, the mapping or its first key.
		comments := n.HeadComment + "\n" + root.HeadComment
		if len(root.Content) > 0 {
			comments += "\n" + root.Content[0].HeadComment
		}
		source := helmSource(comments)
		if kind, _ := doc["kind"].(string); kind == "List" || strings.HasSuffix(kind, "List") && doc["items"] != nil {
			items, ok := doc["items"].([]any)
			if !ok {
				return nil, &Error{File: file, Line: root.Line, Err: errors.New("a List whose items are not a list")}
			}
			for i, it := range items {
				m, ok := it.(map[string]any)
				if !ok {
					return nil, &Error{File: file, Line: root.Line, Err: fmt.Errorf("items[%d] is not an object", i)}
				}
				o, err := newObject(file, itemLine(root, i), source, m)
				if err != nil {
					return nil, err
				}
				objs = append(objs, o)
			}
			continue
		}
		o, err := newObject(file, root.Line, source, doc)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// nodeKind says what a YAML node that is not a mapping is, for errors:
// a scalar by its value, cut short, since a file that is all text (a
// README saved as .yaml) is one scalar.
func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias (*" + n.Value + ")"
	case yaml.ScalarNode:
		v := []rune(n.Value)
		if len(v) > 40 {
			return fmt.Sprintf("the value %q…", string(v[:40]))
		}
		return fmt.Sprintf("the value %q", string(v))
	}
	return "another kind of node"
}

// FromDoc returns the object of doc, a Kubernetes object decoded from
// JSON, as the API server sends one to an admission webhook; where names
// it in errors and reports, in place of a file.
func FromDoc(where string, doc map[string]any) (*Object, error) {
	return newObject(where, 0, "", doc)
}

func newObject(file string, line int, source string, doc map[string]any) (*Object, error) {
	o := &Object{Doc: doc, ObjectRef: andon.ObjectRef{File: file, Line: line, Source: source}}
	for _, f := range []struct{ name, example string }{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}} {
		if v, ok := doc[f.name]; ok && v != nil {
			if _, ok := v.(string); !ok {
				return nil, &Error{File: file, Line: line, Err: fmt.Errorf("not a Kubernetes object: %s must be a string, such as %s", f.name, f.example)}
			}
		}
	}
	o.APIVersion, _ = doc["apiVersion"].(string)
	o.Kind, _ = doc["kind"].(string)
	if o.APIVersion == "" || o.Kind == "" {
		return nil, &Error{File: file, Line: line, Err: errors.New("not a Kubernetes object: apiVersion and kind are required")}
	}
	if md, ok := doc["metadata"].(map[string]any); ok {
		o.Name, _ = md["name"].(string)
		o.Namespace, _ = md["namespace"].(string)
	}
	if o.Kind == "ConfigMap" || o.Kind == "Secret" {
		conf, err := odooConfs(o)
		if err != nil {
			return nil, &Error{File: file, Line: line, Err: err}
		}
		o.OdooConf = conf
	}
	return o, nil
}

// odooConfs parses the data keys of a ConfigMap or Secret that hold an
// INI file with an [options] section, as odoo.conf does.
func odooConfs(o *Object) (map[string]map[string]map[string]string, error) {
	texts := map[string]string{}
	if d, ok := o.Doc["data"].(map[string]any); ok {
		for k, v := range d {
			s, _ := v.(string)
			if o.Kind == "Secret" {
				b, err := base64.StdEncoding.DecodeString(s)
				if err != nil {
					return nil, fmt.Errorf("data.%s of Secret %s is not base64: %v", k, o.Name, err)
				}
				s = string(b)
			}
			texts[k] = s
		}
	}
	if d, ok := o.Doc["stringData"].(map[string]any); ok {
		for k, v := range d {
			s, _ := v.(string)
			texts[k] = s
		}
	}
	var confs map[string]map[string]map[string]string
	for k, text := range texts {
		if !strings.Contains(text, "[options]") {
			continue
		}
		if confs == nil {
			confs = map[string]map[string]map[string]string{}
		}
		confs[k] = ParseINI(text)
	}
	return confs, nil
}

// ParseINI reads an INI file as Odoo's configparser does: sections in
// brackets, "key = value" or "key: value" lines, comments starting with
// ";" or "#". Keys are lower case; values are trimmed.
func ParseINI(text string) map[string]map[string]string {
	out := map[string]map[string]string{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == ';' || line[0] == '#':
			continue
		case line[0] == '[' && strings.HasSuffix(line, "]"):
			section = strings.TrimSpace(line[1 : len(line)-1])
			if out[section] == nil {
				out[section] = map[string]string{}
			}
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			continue
		}
		if out[section] == nil {
			out[section] = map[string]string{}
		}
		out[section][strings.ToLower(strings.TrimSpace(line[:i]))] = strings.TrimSpace(line[i+1:])
	}
	return out
}

// clusterScoped are the kinds of common cluster-scoped objects, which
// take no namespace.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "StorageClass": true,
	"ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true,
	"IngressClass": true, "PriorityClass": true, "RuntimeClass": true, "APIService": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
	"CSIDriver": true, "VolumeSnapshotClass": true, "ClusterIssuer": true, "GatewayClass": true,
}

// DefaultNamespace puts the objects that name no namespace in ns, as
// kubectl apply --namespace does, so that rules weigh them with the other
// objects of that namespace. Cluster-scoped kinds are left alone. The
// object as written gets the namespace too, since that is what the
// rules read.
func DefaultNamespace(objs []*Object, ns string) {
	if ns == "" {
		return
	}
	for _, o := range objs {
		if o.Namespace != "" || clusterScoped[o.Kind] {
			continue
		}
		o.Namespace = ns
		md, ok := o.Doc["metadata"].(map[string]any)
		if !ok {
			md = map[string]any{}
			o.Doc["metadata"] = md
		}
		md["namespace"] = ns
	}
}

// helmSource returns the template named by helm template's "# Source:"
// comment.
func helmSource(comment string) string {
	for _, l := range strings.Split(comment, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(l), "# Source:"); ok {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// itemLine returns the line of items[i] of a List node.
func itemLine(root *yaml.Node, i int) int {
	for j := 0; j+1 < len(root.Content); j += 2 {
		if root.Content[j].Value == "items" && root.Content[j+1].Kind == yaml.SequenceNode && i < len(root.Content[j+1].Content) {
			return root.Content[j+1].Content[i].Line
		}
	}
	return root.Line
}
