// Package drift compares the desired manifests of an environment with the
// live objects of its Kubernetes namespace, and reports the objects that
// were added, are missing or changed, with the paths of the fields that
// differ.
//
// The comparison (Compare) is pure: it takes the desired objects as the
// manifest package reads them and the live objects as JSON-like maps. It
// compares only what a desired object states, so that the fields the API
// server sets or defaults are not drift. Cluster reads the live objects
// through client-go's dynamic client; this package is the only importer of
// client-go.
package drift

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/manifest"
)

// Input is what Compare compares.
type Input struct {
	// Namespace is the environment's namespace: desired objects that name
	// none are put in it, and those in another are skipped.
	Namespace string
	// Desired are the objects of the manifests.
	Desired []*manifest.Object
	// Live are the objects listed in Namespace, of the kinds Kinds says
	// were listed.
	Live []map[string]any
	// Scope says whether the cluster serves a kind, and whether its
	// objects live in a namespace. Nil means every kind is served and
	// namespaced.
	Scope func(apiVersion, kind string) (served, namespaced bool)
}

// key identifies an object across API versions: apps/v1 and
// apps/v1beta2 Deployments are the same objects.
type key struct {
	group, kind, namespace, name string
}

func (k key) String() string {
	kind := k.kind
	if k.group != "" {
		kind += "." + k.group
	}
	if k.namespace == "" {
		return kind + " " + k.name
	}
	return kind + " " + k.namespace + "/" + k.name
}

// group returns the API group of an apiVersion ("" for the core group).
func group(apiVersion string) string {
	g, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return ""
	}
	return g
}

// CheckDesired refuses what drift cannot compare, before any cluster is
// asked: an object without a name, or one declared twice as written.
// Compare checks the same, and also two declarations that name one object
// only once an omitted namespace is the environment's.
func CheckDesired(desired []*manifest.Object) error {
	declared := map[key]*manifest.Object{}
	for _, d := range desired {
		if d.Name == "" {
			return fmt.Errorf("%s:%d: %s has no metadata.name: drift compares objects by name", d.File, d.Line, d.Kind)
		}
		k := key{group(d.APIVersion), d.Kind, d.Namespace, d.Name}
		if first, ok := declared[k]; ok {
			return twice(d, first, k)
		}
		declared[k] = d
	}
	return nil
}

func twice(d, first *manifest.Object, k key) error {
	return fmt.Errorf("%s:%d: %s is declared twice, first at %s:%d", d.File, d.Line, k, first.File, first.Line)
}

// Compare returns the report of how the live objects differ from the
// desired ones, with Namespace, Counts, Objects and Skipped filled in;
// the caller fills in what it knows of the environment and the sources.
// Desired objects without a name, or declared twice, are an error: the
// comparison would not know what they stand for.
func Compare(in Input) (*andon.DriftReport, error) {
	scope := in.Scope
	if scope == nil {
		scope = func(string, string) (bool, bool) { return true, true }
	}
	rep := &andon.DriftReport{Namespace: in.Namespace, Objects: []andon.DriftObject{}}

	// The live objects by key, then by apiVersion, since a kind may have
	// been listed in more than one version.
	live := map[key]map[string]map[string]any{}
	for _, obj := range in.Live {
		apiVersion, kind, ns, name := identity(obj)
		k := key{group(apiVersion), kind, ns, name}
		if live[k] == nil {
			live[k] = map[string]map[string]any{}
		}
		live[k][apiVersion] = obj
	}

	if err := CheckDesired(in.Desired); err != nil {
		return nil, err
	}
	declared := map[key]*manifest.Object{}
	for _, d := range in.Desired {
		served, namespaced := scope(d.APIVersion, d.Kind)
		obj := andon.DriftObject{APIVersion: d.APIVersion, Kind: d.Kind, Namespace: d.Namespace, Name: d.Name, File: d.File, Line: d.Line}
		ns := d.Namespace
		switch {
		case served && !namespaced:
			obj.Drift, obj.Reason = andon.DriftSkipped, "cluster-scoped: drift compares the objects of the environment's namespace"
			rep.Skipped = append(rep.Skipped, obj)
			continue
		case ns == "":
			ns = in.Namespace
			obj.Namespace = ns
		case ns != in.Namespace:
			obj.Drift, obj.Reason = andon.DriftSkipped, fmt.Sprintf("in namespace %s, not the environment's namespace %s", ns, in.Namespace)
			rep.Skipped = append(rep.Skipped, obj)
			continue
		}
		k := key{group(d.APIVersion), d.Kind, ns, d.Name}
		if first, ok := declared[k]; ok {
			return nil, twice(d, first, k)
		}
		declared[k] = d
		if !served {
			obj.Drift, obj.Reason = andon.DriftMissing, fmt.Sprintf("the cluster serves no %s %s", d.APIVersion, d.Kind)
			rep.Objects = append(rep.Objects, obj)
			continue
		}
		versions := live[k]
		if len(versions) == 0 {
			obj.Drift = andon.DriftMissing
			rep.Objects = append(rep.Objects, obj)
			continue
		}
		l, ok := versions[d.APIVersion]
		if !ok {
			// Listed in another version only: the fields may be named
			// differently, but what is named alike is compared.
			l = versions[slices.Sorted(maps.Keys(versions))[0]]
		}
		if fields := Diff(d.Doc, l); len(fields) > 0 {
			obj.Drift, obj.Fields = andon.DriftChanged, fields
			rep.Objects = append(rep.Objects, obj)
		} else {
			rep.Counts.Unchanged++
		}
	}

	for k, versions := range live {
		if _, ok := declared[k]; ok {
			continue
		}
		apiVersion := slices.Sorted(maps.Keys(versions))[0]
		obj := versions[apiVersion]
		if k.namespace != in.Namespace || !Unmanaged(obj) {
			continue
		}
		rep.Objects = append(rep.Objects, andon.DriftObject{Drift: andon.DriftAdded, APIVersion: apiVersion, Kind: k.kind, Namespace: k.namespace, Name: k.name})
	}

	sortObjects(rep.Objects)
	sortObjects(rep.Skipped)
	for _, o := range rep.Objects {
		switch o.Drift {
		case andon.DriftAdded:
			rep.Counts.Added++
		case andon.DriftMissing:
			rep.Counts.Missing++
		case andon.DriftChanged:
			rep.Counts.Changed++
		}
	}
	rep.Counts.Skipped = len(rep.Skipped)
	return rep, nil
}

// driftOrder is the order of the objects of a report.
var driftOrder = []string{andon.DriftAdded, andon.DriftMissing, andon.DriftChanged, andon.DriftSkipped}

// sortObjects orders objects by drift, then group, kind, namespace and
// name, so that a report reads the same every time.
func sortObjects(objs []andon.DriftObject) {
	slices.SortFunc(objs, func(a, b andon.DriftObject) int {
		return cmp.Or(
			cmp.Compare(slices.Index(driftOrder, a.Drift), slices.Index(driftOrder, b.Drift)),
			cmp.Compare(group(a.APIVersion), group(b.APIVersion)),
			cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Namespace, b.Namespace),
			cmp.Compare(a.Name, b.Name),
		)
	})
}

// identity returns the apiVersion, kind, namespace and name of obj.
func identity(obj map[string]any) (apiVersion, kind, namespace, name string) {
	apiVersion, _ = obj["apiVersion"].(string)
	kind, _ = obj["kind"].(string)
	if md, ok := obj["metadata"].(map[string]any); ok {
		namespace, _ = md["namespace"].(string)
		name, _ = md["name"].(string)
	}
	return apiVersion, kind, namespace, name
}

// neverAdded are the kinds whose objects controllers and the API server
// make by themselves: live objects of these kinds are never reported as
// added, though declared ones are compared.
var neverAdded = map[string]bool{
	"Pod": true, "ReplicaSet": true, "ControllerRevision": true, "Endpoints": true,
	"EndpointSlice": true, "Event": true, "Lease": true,
}

// Unmanaged reports whether a live object that no manifest declares is
// drift: one that a controller owns (a Job of a CronJob, a ReplicaSet) or
// that Kubernetes or Helm makes in every namespace is not.
func Unmanaged(obj map[string]any) bool {
	_, kind, _, name := identity(obj)
	if neverAdded[kind] {
		return false
	}
	md, _ := obj["metadata"].(map[string]any)
	owners, _ := md["ownerReferences"].([]any)
	for _, o := range owners {
		if ref, ok := o.(map[string]any); ok && ref["controller"] == true {
			return false
		}
	}
	typ, _ := obj["type"].(string)
	switch {
	case kind == "ConfigMap" && name == "kube-root-ca.crt",
		kind == "ServiceAccount" && name == "default",
		kind == "Secret" && typ == "kubernetes.io/service-account-token",
		kind == "Secret" && (typ == "helm.sh/release.v1" || strings.HasPrefix(name, "sh.helm.release.v1.")):
		return false
	}
	return true
}
