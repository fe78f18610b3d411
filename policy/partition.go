package policy

import (
	"regexp"
	"slices"
	"strings"
)

// partition splits a set of objects into groups that the embedded rules
// of andon.manifests never relate to each other, so that each group can be
// evaluated alone and in parallel with the same findings as the whole set.
// The embedded rules relate objects of one namespace, and objects of two
// namespaces only when one names the other (a Traefik reference with a
// namespace, a <namespace>-<name>@kubernetescrd middleware) or when two
// routes serve one host. partition therefore puts objects in one group
// when their namespaces are linked by any of:
//
//   - a string of one object that mentions the other's namespace name,
//     alone or as a part delimited by other characters than letters,
//     digits and (before it) hyphens: a field, a DNS name
//     (redis.odoo-lyon.svc), a <namespace>-<name>@kubernetescrd
//     reference. That over-approximates every reference by namespace;
//   - a host that routes (IngressRoute, Ingress) of both serve.
//
// Some objects relate to every namespace: a route without a host, or with
// a host pattern, serves every host; a TLSOption named default applies to
// every IngressRoute; an object of no namespace other than a Namespace may
// be anything. With any of them, partition returns one group: the whole
// set.
//
// The groups hold indexes into objs, each in input order; the groups are
// in the order of their first object.
func partition(objs []ManifestObject) [][]int {
	whole := func() [][]int {
		all := make([]int, len(objs))
		for i := range all {
			all[i] = i
		}
		return [][]int{all}
	}
	spaces := make([]string, len(objs))
	names := map[string]bool{}
	for i, o := range objs {
		ns := stringAt(o.Doc, "metadata", "namespace")
		if kindOf(o.Doc) == "Namespace" {
			ns = stringAt(o.Doc, "metadata", "name")
		}
		if ns == "" || global(o.Doc) {
			return whole()
		}
		spaces[i] = ns
		names[ns] = true
	}
	if len(names) < 2 {
		return whole()
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	// Shortest first, so that the scan below stops at the first name
	// longer than the string it looks in.
	slices.SortFunc(sorted, func(a, b string) int { return len(a) - len(b) })

	u := newUnion()
	hostOwner := map[string]string{}
	for i, o := range objs {
		ns := spaces[i]
		u.add(ns)
		walkStrings(o.Doc, func(s string) {
			for _, n := range sorted {
				if len(n) > len(s) {
					break
				}
				if n != ns && mentions(s, n) {
					u.join(ns, n)
				}
			}
		})
		for _, h := range hosts(o.Doc) {
			if owner, ok := hostOwner[h]; ok {
				u.join(ns, owner)
			} else {
				hostOwner[h] = ns
			}
		}
	}
	index := map[string]int{}
	var groups [][]int
	for i := range objs {
		root := u.find(spaces[i])
		g, ok := index[root]
		if !ok {
			g = len(groups)
			index[root] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// hostMatcher finds the arguments of Host and HostSNI matchers of Traefik
// rules (v2 and v3 syntax): Host(`a.example.com`, `b.example.com`).
var hostMatcher = regexp.MustCompile(`Host(?:SNI)?\(([^)]*)\)`)

// backticked finds the quoted strings of a matcher's arguments.
var backticked = regexp.MustCompile("[`\"]([^`\"]*)[`\"]")

// global reports whether an object relates to objects of every namespace.
func global(doc map[string]any) bool {
	kind := kindOf(doc)
	apiGroup, _, _ := strings.Cut(stringAt(doc, "apiVersion"), "/")
	traefik := apiGroup == "traefik.io" || apiGroup == "traefik.containo.us"
	switch {
	case traefik && kind == "TLSOption":
		return stringAt(doc, "metadata", "name") == "default"
	case traefik && strings.HasPrefix(kind, "IngressRoute"):
		routes, _ := nested(doc, "spec", "routes").([]any)
		for _, r := range routes {
			m, _ := r.(map[string]any)
			match, _ := m["match"].(string)
			if !strings.Contains(match, "Host") || strings.Contains(match, "HostRegexp") || hostMatcher.FindString(match) == "" {
				return true
			}
		}
	case kind == "Ingress":
		if nested(doc, "spec", "defaultBackend") != nil || nested(doc, "spec", "backend") != nil {
			return true
		}
		rules, _ := nested(doc, "spec", "rules").([]any)
		for _, r := range rules {
			m, _ := r.(map[string]any)
			if h, _ := m["host"].(string); h == "" || strings.Contains(h, "*") {
				return true
			}
		}
	}
	return false
}

// hosts returns the hosts that the routes of an IngressRoute or Ingress
// serve.
func hosts(doc map[string]any) []string {
	var out []string
	switch kindOf(doc) {
	case "Ingress":
		rules, _ := nested(doc, "spec", "rules").([]any)
		for _, r := range rules {
			m, _ := r.(map[string]any)
			if h, _ := m["host"].(string); h != "" {
				out = append(out, strings.ToLower(h))
			}
		}
	case "IngressRoute", "IngressRouteTCP":
		routes, _ := nested(doc, "spec", "routes").([]any)
		for _, r := range routes {
			m, _ := r.(map[string]any)
			match, _ := m["match"].(string)
			for _, args := range hostMatcher.FindAllStringSubmatch(match, -1) {
				for _, q := range backticked.FindAllStringSubmatch(args[1], -1) {
					out = append(out, strings.ToLower(q[1]))
				}
			}
		}
	}
	return out
}

// mentions reports whether s holds name, not as part of a longer name:
// the character before it is not a letter, digit or hyphen, and the one
// after it not a letter or digit (a hyphen may follow, as in
// <namespace>-<name>@kubernetescrd).
func mentions(s, name string) bool {
	for from := 0; ; {
		i := strings.Index(s[from:], name)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(name)
		before := i == 0 || !(alnum(s[i-1]) || s[i-1] == '-')
		after := end == len(s) || !alnum(s[end])
		if before && after {
			return true
		}
		from = i + 1
	}
}

func alnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// walkStrings calls fn with every string of v, keys of objects included.
func walkStrings(v any, fn func(string)) {
	switch v := v.(type) {
	case string:
		fn(v)
	case map[string]any:
		for k, x := range v {
			fn(k)
			walkStrings(x, fn)
		}
	case []any:
		for _, x := range v {
			walkStrings(x, fn)
		}
	}
}

func kindOf(doc map[string]any) string { return stringAt(doc, "kind") }

func stringAt(doc map[string]any, path ...string) string {
	s, _ := nested(doc, path...).(string)
	return s
}

func nested(doc map[string]any, path ...string) any {
	var v any = doc
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// union is a union-find over namespace names.
type union struct{ parent map[string]string }

func newUnion() *union { return &union{parent: map[string]string{}} }

func (u *union) add(x string) {
	if _, ok := u.parent[x]; !ok {
		u.parent[x] = x
	}
}

func (u *union) find(x string) string {
	for u.parent[x] != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

func (u *union) join(a, b string) {
	u.add(a)
	u.add(b)
	ra, rb := u.find(a), u.find(b)
	if ra != rb {
		u.parent[rb] = ra
	}
}
