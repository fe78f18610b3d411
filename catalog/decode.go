package catalog

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/andon-governance/andon"
	"gopkg.in/yaml.v3"
)

// The catalog is decoded by walking yaml.v3 nodes by hand rather than with
// yaml.Unmarshal: nodes carry line numbers, and yaml.v3 offers strict
// decoding (unknown fields are errors) only on a Decoder, which loses the
// position of the field at fault. Walking by hand also lets one pass report
// every problem instead of stopping at the first.

// doc is one YAML document being decoded. It knows where it came from so
// that every problem it reports names the file, the document and the field.
type doc struct {
	l    *loader
	file string
	line int    // where the document starts; used when nothing closer exists
	id   string // "Kind/name", or "document N" until both are known
}

// errorf reports a problem with field at the line of n, or of the document
// when n is nil.
func (d *doc) errorf(n *yaml.Node, field, format string, args ...any) {
	line := d.line
	if n != nil {
		line = n.Line
	}
	d.l.problems = append(d.l.problems, Problem{
		File:     d.file,
		Line:     line,
		Document: d.id,
		Field:    field,
		Message:  fmt.Sprintf(format, args...),
	})
}

// maxAliasDepth bounds how many aliases are followed to reach a value, so
// that no input makes the walk loop.
const maxAliasDepth = 16

// resolve follows aliases to the node they stand for, and returns nil for
// an absent or null value so that "spec:" and "spec: ~" read as no spec.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i == maxAliasDepth {
			return nil
		}
		n = n.Alias
	}
	if n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null") {
		return nil
	}
	return n
}

// object is a YAML mapping whose keys were checked against the fields its
// kind allows.
type object struct {
	d    *doc
	path string     // field path of the mapping itself, "" for the document
	at   *yaml.Node // where a missing field is reported: the key naming the mapping
	bad  bool       // the node was not a mapping; its fields are not reported missing
	keys map[string]*yaml.Node
	vals map[string]*yaml.Node
}

// object checks that n is a mapping holding only the given field names and
// returns it. at is the node that names the mapping (its key), used to
// place problems about missing fields; a nil or null n is an empty mapping.
func (d *doc) object(at, n *yaml.Node, path string, names ...string) *object {
	o := &object{d: d, path: path, at: at, keys: map[string]*yaml.Node{}, vals: map[string]*yaml.Node{}}
	n = resolve(n)
	if n == nil {
		return o
	}
	if n.Kind != yaml.MappingNode {
		o.bad = true
		d.errorf(n, path, "must be a mapping, not %s", describe(n))
		return o
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			d.errorf(n.Content[i], path, "field names must be strings")
			continue
		}
		name := k.Value
		switch {
		case name == "<<" && !slices.Contains(names, name):
			// yaml.v3 leaves merge keys to the decoder of structs; the
			// catalog is read from nodes, where they are plain keys.
			d.errorf(k, o.field(name), "merge keys are not supported; write the fields out")
		case !slices.Contains(names, name):
			d.errorf(k, o.field(name), "unknown field%s", expected(names))
		case o.keys[name] != nil:
			d.errorf(k, o.field(name), "duplicate field; first given on line %d", o.keys[name].Line)
		default:
			o.keys[name] = k
			o.vals[name] = resolve(v)
		}
	}
	return o
}

// expected lists the fields a mapping may hold, for the message about an
// unknown one: most unknown fields are typing mistakes.
func expected(names []string) string {
	if len(names) == 0 {
		return "; this mapping takes no fields"
	}
	return "; expected one of " + strings.Join(names, ", ")
}

// describe names the YAML kind of n for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

// field returns the path of the field name of o.
func (o *object) field(name string) string {
	if o.path == "" {
		return name
	}
	return o.path + "." + name
}

// has reports whether the field name is given and not null.
func (o *object) has(name string) bool { return o.vals[name] != nil }

// line returns the node to report a problem about the field name against:
// its key when given, else the key of the mapping.
func (o *object) line(name string) *yaml.Node {
	if k := o.keys[name]; k != nil {
		return k
	}
	return o.at
}

// missing reports that the required field name is absent.
func (o *object) missing(name string) {
	if !o.bad {
		o.d.errorf(o.at, o.field(name), "required")
	}
}

// str returns the field name as a string and its node. An absent field
// yields ("", nil) and, when required, a problem.
func (o *object) str(name string, required bool) (string, *yaml.Node) {
	n := o.vals[name]
	if n == nil {
		if required {
			o.missing(name)
		}
		return "", nil
	}
	s, ok := o.d.scalar(n, o.field(name))
	if !ok {
		return "", nil
	}
	if s == "" && required {
		o.d.errorf(n, o.field(name), "must not be empty")
	}
	return s, n
}

// scalar returns the text of a scalar node. Numbers and booleans are taken
// as written, so that odoo version 17.0 reads as "17.0" whether quoted or
// not.
func (d *doc) scalar(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, field, "must be a string, not %s", describe(n))
		return "", false
	}
	return n.Value, true
}

// item is one string of a list, with where it was written.
type item struct {
	value string
	node  *yaml.Node
	field string // "spec.plants[0]"
}

// list returns the field name as a list of non-empty strings. Duplicates
// are reported and dropped: a repeated name is a mistake, never a meaning.
func (o *object) list(name string, required bool) []item {
	n := o.vals[name]
	if n == nil {
		if required {
			o.missing(name)
		}
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		o.d.errorf(n, o.field(name), "must be a list, not %s", describe(n))
		return nil
	}
	if len(n.Content) == 0 && required {
		o.d.errorf(n, o.field(name), "must list at least one entry")
	}
	var items []item
	seen := map[string]int{}
	for i, c := range n.Content {
		field := fmt.Sprintf("%s[%d]", o.field(name), i)
		c2 := resolve(c)
		if c2 == nil {
			o.d.errorf(c, field, "must not be empty")
			continue
		}
		s, ok := o.d.scalar(c2, field)
		if !ok {
			continue
		}
		if s == "" {
			o.d.errorf(c2, field, "must not be empty")
			continue
		}
		if j, dup := seen[s]; dup {
			o.d.errorf(c2, field, "duplicate of %s[%d]", o.field(name), j)
			continue
		}
		seen[s] = i
		items = append(items, item{value: s, node: c2, field: field})
	}
	return items
}

// values returns the strings of items, never nil, so that an empty list
// encodes as [] in JSON.
func values(items []item) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.value)
	}
	return out
}

// enum returns the field name when it is one of valid.
func enum[T ~string](o *object, name string, valid []T, required bool) T {
	s, n := o.str(name, required)
	if n == nil || s == "" {
		return ""
	}
	if !slices.Contains(valid, T(s)) {
		o.d.errorf(n, o.field(name), "%q is not one of %s", s, join(valid))
		return ""
	}
	return T(s)
}

// enumList returns the list field name, keeping the entries in valid.
func enumList[T ~string](o *object, name string, valid []T) []T {
	var out []T
	for _, it := range o.list(name, false) {
		if !slices.Contains(valid, T(it.value)) {
			o.d.errorf(it.node, it.field, "%q is not one of %s", it.value, join(valid))
			continue
		}
		out = append(out, T(it.value))
	}
	return out
}

func join[T ~string](valid []T) string {
	s := make([]string, len(valid))
	for i, v := range valid {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// duration returns the field name as a duration that must not be
// negative. It reports an absent required field.
func (o *object) duration(name string, required bool) time.Duration {
	s, n := o.str(name, required)
	if n == nil || s == "" {
		return 0
	}
	d, err := andon.ParseDuration(s)
	if err != nil {
		o.d.errorf(n, o.field(name), "%v", err)
		return 0
	}
	return d
}
