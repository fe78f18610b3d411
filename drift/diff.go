package drift

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/andon-governance/andon"
)

// ignoredTop are the top-level fields never compared: the identity of
// the object, matched already, and its status, which is the cluster's.
var ignoredTop = map[string]bool{"apiVersion": true, "kind": true, "status": true}

// ignoredMetadata are the fields of any metadata, the object's or a pod
// template's, that the API server sets. Manifests exported with kubectl
// get -o yaml carry them, and creationTimestamp: null is common in
// generated ones.
var ignoredMetadata = map[string]bool{
	"uid": true, "resourceVersion": true, "generation": true, "creationTimestamp": true,
	"managedFields": true, "selfLink": true, "deletionTimestamp": true, "deletionGracePeriodSeconds": true,
}

// ignoredAnnotations are annotations that tools write on the live object:
// kubectl apply's copy of the manifest (which for a Secret holds its
// data) and the Deployment controller's revision.
var ignoredAnnotations = map[string]bool{
	"kubectl.kubernetes.io/last-applied-configuration": true,
	"deployment.kubernetes.io/revision":                true,
}

// namedLists are the lists whose items are matched by name rather than by
// position, when every item has a name of its own: their order carries no
// meaning, and a sidecar added in front must not make every container
// after it look changed.
var namedLists = map[string]bool{
	"containers": true, "initContainers": true, "ephemeralContainers": true, "env": true,
	"ports": true, "volumes": true, "volumeMounts": true, "volumeDevices": true,
	"imagePullSecrets": true, "resourceClaims": true,
}

// quantityParents are the maps whose values are resource quantities, which
// the API server rewrites in canonical form (1024Mi to 1Gi, 0.5 to 500m).
var quantityParents = map[string]bool{
	"limits": true, "requests": true, "hard": true, "overhead": true, "capacity": true,
	"allocatable": true, "min": true, "max": true, "default": true, "defaultRequest": true,
	"maxLimitRequestRatio": true,
}

// maxShown bounds the length of a value shown in a field, in bytes of
// its JSON text.
const maxShown = 200

// absence stands for a field that is not there.
type absence struct{}

var absent any = absence{}

// differ collects the fields that differ between two objects.
type differ struct {
	fields []andon.DriftField
}

// Diff returns the fields that desired states and live does not hold as
// stated, in the order of desired's keys. Fields that live holds and
// desired does not state are defaults or the cluster's own, and are not
// drift. The values of a Secret's data are compared but never shown.
func Diff(desired, live map[string]any) []andon.DriftField {
	d := &differ{}
	// Any kind named Secret is redacted, whatever its group, as the
	// server requires of a report.
	_, kind, _, _ := identity(desired)
	secret := kind == "Secret"
	for _, k := range slices.Sorted(maps.Keys(desired)) {
		if ignoredTop[k] || (secret && (k == "data" || k == "stringData")) {
			continue
		}
		l, ok := live[k]
		d.compare(fieldPath("", k), k, "", desired[k], l, ok)
	}
	if secret {
		d.secretData(desired, live)
	}
	return d.fields
}

// compare compares the desired value want of the field at path p, named
// key in a map named parent, with the live value got.
func (d *differ) compare(p, key, parent string, want, got any, present bool) {
	want, got = normalise(want), normalise(got)
	if want == nil {
		// null states nothing.
		return
	}
	if !present || got == nil {
		if !isZero(want) {
			d.add(p, want, absent)
		}
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			d.add(p, want, got)
			return
		}
		d.object(p, key, w, g)
	case []any:
		g, ok := got.([]any)
		if !ok {
			d.add(p, want, got)
			return
		}
		d.list(p, key, parent, w, g)
	default:
		if !scalarEqual(key, parent, w, got) {
			d.add(p, want, got)
		}
	}
}

// object compares the fields of the map want, named key, with got.
func (d *differ) object(p, key string, want, got map[string]any) {
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if (key == "metadata" && ignoredMetadata[k]) || (key == "annotations" && ignoredAnnotations[k]) {
			continue
		}
		v, ok := got[k]
		d.compare(fieldPath(p, k), k, key, want[k], v, ok)
	}
}

// list compares the list want, named key, with got: by name when both
// are lists of named items, by position otherwise. An item missing or
// extra live is a change at the item's path.
func (d *differ) list(p, key, parent string, want, got []any) {
	if namedLists[key] {
		wantNames, okWant := names(want)
		gotNames, okGot := names(got)
		if okWant && okGot {
			byName := map[string]any{}
			for i, n := range gotNames {
				byName[n] = got[i]
			}
			for i, n := range wantNames {
				v, ok := byName[n]
				d.compare(p+"[name="+n+"]", key, parent, want[i], v, ok)
			}
			wanted := make(map[string]bool, len(wantNames))
			for _, n := range wantNames {
				wanted[n] = true
			}
			extra := slices.DeleteFunc(slices.Clone(gotNames), func(n string) bool { return wanted[n] })
			slices.Sort(extra)
			for _, n := range extra {
				d.add(p+"[name="+n+"]", absent, byName[n])
			}
			return
		}
	}
	for i, w := range want {
		if i < len(got) {
			d.compare(p+"["+strconv.Itoa(i)+"]", key, parent, w, got[i], true)
		} else {
			d.add(p+"["+strconv.Itoa(i)+"]", w, absent)
		}
	}
	for i := len(want); i < len(got); i++ {
		d.add(p+"["+strconv.Itoa(i)+"]", absent, got[i])
	}
}

// names returns the names of the items of a list when every item is a
// map with a name of its own. The names are checked with a set: a live
// object may hold thousands of env entries, and looking each up in the
// names before it would take time growing with the square of them.
func names(items []any) ([]string, bool) {
	out := make([]string, 0, len(items))
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, false
		}
		n, _ := m["name"].(string)
		if n == "" || seen[n] {
			return nil, false
		}
		seen[n] = true
		out = append(out, n)
	}
	return out, true
}

// secretData compares the data of two Secrets, the desired one's
// stringData included as the API server merges it (stringData wins), by
// their decoded bytes, and reports the keys that differ without values.
func (d *differ) secretData(desired, live map[string]any) {
	want := map[string][]byte{}
	if data, ok := normalise(desired["data"]).(map[string]any); ok {
		for k, v := range data {
			want[k] = decodeData(v)
		}
	}
	if data, ok := normalise(desired["stringData"]).(map[string]any); ok {
		for k, v := range data {
			s, _ := normalise(v).(string)
			want[k] = []byte(s)
		}
	}
	got := map[string][]byte{}
	if data, ok := normalise(live["data"]).(map[string]any); ok {
		for k, v := range data {
			got[k] = decodeData(v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[k]
		switch {
		case !ok && len(want[k]) == 0:
		case !ok:
			d.fields = append(d.fields, andon.DriftField{Path: fieldPath("data", k), Desired: andon.RedactedValue(), Redacted: true})
		case !bytes.Equal(want[k], g):
			d.fields = append(d.fields, andon.DriftField{Path: fieldPath("data", k), Desired: andon.RedactedValue(), Live: andon.RedactedValue(), Redacted: true})
		}
	}
}

// decodeData returns the bytes a value of a Secret's data stands for:
// base64 decoded, or as written when it is not base64, so that two
// malformed values still compare.
func decodeData(v any) []byte {
	s, _ := normalise(v).(string)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b
	}
	return []byte(s)
}

// add records a field that differs. Either value may be absent.
func (d *differ) add(p string, want, got any) {
	ws, wok := want.(string)
	gs, gok := got.(string)
	if andon.IsSecretFieldPath(p) && (wok || gok || isText(render(want)) || isText(render(got))) {
		// DB_PASSWORD's value, an apiToken: compared, never shown, as a
		// Secret's data. So is any text shown for one, such as the
		// summary of a long map, which the server refuses as it would
		// a password.
		f := andon.DriftField{Path: p, Redacted: true}
		if want != absent {
			f.Desired = andon.RedactedValue()
		}
		if got != absent {
			f.Live = andon.RedactedValue()
		}
		d.fields = append(d.fields, f)
		return
	}
	// A line of a configuration file that sets a secret keeps its key.
	if wok {
		ws = andon.RedactAssignments(ws)
		want = ws
	}
	if gok {
		gs = andon.RedactAssignments(gs)
		got = gs
	}
	if wok && gok {
		want, got = shortenPair(ws, gs)
	}
	d.fields = append(d.fields, andon.DriftField{Path: p, Desired: render(want), Live: render(got)})
}

// isText reports whether a rendered value is a JSON string.
func isText(b json.RawMessage) bool { return len(b) > 0 && b[0] == '"' }

// render returns v as JSON for a report, nil for an absent value, and a
// short description instead of a long map or list.
func render(v any) json.RawMessage {
	if v == absent {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(fmt.Sprint(v))
	}
	if len(b) <= maxShown {
		return b
	}
	switch x := v.(type) {
	case string:
		b, _ = json.Marshal(shorten(x, 0))
	case map[string]any:
		b, _ = json.Marshal(fmt.Sprintf("{…%d fields}", len(x)))
	case []any:
		b, _ = json.Marshal(fmt.Sprintf("[…%d items]", len(x)))
	default:
		b, _ = json.Marshal(shorten(string(b), 0))
	}
	return b
}

// shortenText is how much of a long string is shown.
const shortenText = maxShown / 2

// shortenPair shortens two long strings so that where they differ shows.
func shortenPair(a, b string) (string, string) {
	if len(a) <= shortenText && len(b) <= shortenText {
		return a, b
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-shortenText/4)
	return shorten(a, from), shorten(b, from)
}

// shorten returns at most shortenText bytes of s from byte from, on rune
// boundaries, marking what was cut with ellipses.
func shorten(s string, from int) string {
	if len(s) <= shortenText {
		return s
	}
	for from > 0 && !utf8.RuneStart(s[from]) {
		from--
	}
	end := min(len(s), from+shortenText)
	for end < len(s) && !utf8.RuneStart(s[end]) {
		end--
	}
	out := s[from:end]
	if from > 0 {
		out = "…" + out
	}
	if end < len(s) {
		out += "…"
	}
	return out
}

// identifier is a map key that a path shows after a dot; others are
// quoted in brackets, as metadata.labels["app.kubernetes.io/name"].
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func fieldPath(parent, key string) string {
	if !identifier.MatchString(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// normalise makes the values of the manifest reader and of the API
// server alike: maps with string keys, and times as the strings they were
// written as (YAML reads an unquoted date as a time, JSON never does).
func normalise(v any) any {
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, val := range x {
			m[fmt.Sprint(k)] = val
		}
		return m
	case time.Time:
		if x.Equal(x.Truncate(24*time.Hour)) && x.Location() == time.UTC {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339Nano)
	}
	return v
}

// isZero reports whether a desired value says nothing that an absent
// live field would contradict: the API server leaves out empty strings,
// false, zero, and empty maps and lists.
func isZero(v any) bool {
	switch x := normalise(v).(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case map[string]any:
		for _, val := range x {
			if !isZero(val) {
				return false
			}
		}
		return true
	case []any:
		return len(x) == 0
	}
	if n, ok := number(v); ok {
		return n.isZero()
	}
	return false
}

// scalarEqual compares two scalars, the value of the field key in the
// map parent. Numbers are equal across Go's integer and float types,
// since JSON does not tell them apart, but never equal to a string: a
// port 8069 is not the port named "8069". Resource quantities are equal
// when they are the same amount.
func scalarEqual(key, parent string, a, b any) bool {
	if quantityParents[parent] || key == "sizeLimit" {
		qa, okA := quantity(a)
		qb, okB := quantity(b)
		if okA && okB {
			return qa.Cmp(qb) == 0
		}
	}
	na, okA := number(a)
	nb, okB := number(b)
	if okA || okB {
		return okA && okB && na.equal(nb)
	}
	return a == b
}

// quantity parses a resource quantity written as a string or a number.
func quantity(v any) (resource.Quantity, bool) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	default:
		n, ok := number(v)
		if !ok {
			return resource.Quantity{}, false
		}
		s = n.String()
	}
	q, err := resource.ParseQuantity(s)
	return q, err == nil
}

// num is a JSON number: an integer when it fits, a float otherwise.
type num struct {
	isInt bool
	i     int64
	f     float64
}

func (n num) float() float64 {
	if n.isInt {
		return float64(n.i)
	}
	return n.f
}

func (n num) equal(o num) bool {
	if n.isInt && o.isInt {
		return n.i == o.i
	}
	return n.float() == o.float()
}

func (n num) isZero() bool { return n.float() == 0 }

func (n num) String() string {
	if n.isInt {
		return strconv.FormatInt(n.i, 10)
	}
	return strconv.FormatFloat(n.f, 'f', -1, 64)
}

// number returns v as a num when it is one of Go's numeric types.
func number(v any) (num, bool) {
	switch x := v.(type) {
	case int:
		return num{isInt: true, i: int64(x)}, true
	case int8:
		return num{isInt: true, i: int64(x)}, true
	case int16:
		return num{isInt: true, i: int64(x)}, true
	case int32:
		return num{isInt: true, i: int64(x)}, true
	case int64:
		return num{isInt: true, i: x}, true
	case uint:
		return fromUint(uint64(x)), true
	case uint8:
		return num{isInt: true, i: int64(x)}, true
	case uint16:
		return num{isInt: true, i: int64(x)}, true
	case uint32:
		return num{isInt: true, i: int64(x)}, true
	case uint64:
		return fromUint(x), true
	case float32:
		return fromFloat(float64(x)), true
	case float64:
		return fromFloat(x), true
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return num{isInt: true, i: i}, true
		}
		if f, err := x.Float64(); err == nil {
			return fromFloat(f), true
		}
	}
	return num{}, false
}

func fromUint(u uint64) num {
	if u <= math.MaxInt64 {
		return num{isInt: true, i: int64(u)}
	}
	return num{f: float64(u)}
}

// fromFloat keeps a whole float as an integer, so that 2.0 and 2 compare
// exactly even beyond a float's integer precision on the other side.
func fromFloat(f float64) num {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return num{isInt: true, i: int64(f)}
	}
	return num{f: f}
}
