package admission

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/andon-governance/andon"
)

// Objects reads the API server of the cluster whose reviews andon
// answers. Get reads one object; its error has code ENOTFOUND when there
// is no such object. List reads every object of a resource in namespace,
// or in every namespace when namespace is "": none when the resource is
// not served. Any other error (EFORBIDDEN when andon may not read them)
// is andon's own failure to decide.
type Objects interface {
	Get(ctx context.Context, resource schema.GroupVersionResource, namespace, name string) (map[string]any, error)
	List(ctx context.Context, resource schema.GroupVersionResource, namespace string) ([]map[string]any, error)
}

// cnpgGroup is CloudNativePG's API group.
const cnpgGroup = "postgresql.cnpg.io"

// The image catalogs of CloudNativePG, from which a Cluster with
// spec.imageCatalogRef takes its PostgreSQL image: the entry of the
// catalog's spec.images whose major is the ref's.
var catalogResources = map[string]schema.GroupVersionResource{
	"ImageCatalog":        {Group: cnpgGroup, Version: "v1", Resource: "imagecatalogs"},
	"ClusterImageCatalog": {Group: cnpgGroup, Version: "v1", Resource: "clusterimagecatalogs"},
}

// clustersResource is where CloudNativePG's Clusters are listed. It
// declares no selectable field for spec.imageCatalogRef, so the Clusters
// that use a catalog are found by listing them all.
var clustersResource = schema.GroupVersionResource{Group: cnpgGroup, Version: "v1", Resource: "clusters"}

// isKind reports whether kind is CloudNativePG's kind k.
func isKind(kind metav1.GroupVersionKind, k string) bool {
	return kind.Group == cnpgGroup && kind.Kind == k
}

// catalogRef is a Cluster's spec.imageCatalogRef.
type catalogRef struct {
	apiGroup, kind, name string
	major                int64
}

func (r catalogRef) String() string {
	return fmt.Sprintf("%s %s, major %d", r.kind, r.name, r.major)
}

// imageCatalogRef returns the spec.imageCatalogRef of the Cluster obj,
// and whether it has one.
func imageCatalogRef(obj map[string]any) (catalogRef, bool) {
	v, ok, _ := unstructured.NestedFieldNoCopy(obj, "spec", "imageCatalogRef")
	m, _ := v.(map[string]any)
	if !ok || m == nil {
		return catalogRef{}, false
	}
	var ref catalogRef
	ref.apiGroup, _ = m["apiGroup"].(string)
	ref.kind, _ = m["kind"].(string)
	ref.name, _ = m["name"].(string)
	ref.major, _ = wholeNumber(m["major"])
	return ref, true
}

// wholeNumber returns v as an integer when it is one: JSON decodes
// numbers as float64.
func wholeNumber(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	case int64:
		return n, true
	case int:
		return int64(n), true
	}
	return 0, false
}

// catalogEntry is one entry of an image catalog's spec.images.
type catalogEntry struct {
	major int64
	image string
}

// catalogEntries returns the entries of the image catalog obj that name
// an image.
func catalogEntries(obj map[string]any) []catalogEntry {
	v, _, _ := unstructured.NestedFieldNoCopy(obj, "spec", "images")
	list, _ := v.([]any)
	var out []catalogEntry
	for _, e := range list {
		m, _ := e.(map[string]any)
		img, _ := m["image"].(string)
		if img == "" {
			continue
		}
		major, _ := wholeNumber(m["major"])
		out = append(out, catalogEntry{major, img})
	}
	return out
}

// newCatalogImages returns the images of the image catalog obj that
// old does not have for the same major, each once: every image on a
// create. The operator rolls an entry that changes out to every Cluster
// of that major, so an image that another major had before is new for
// this one.
func newCatalogImages(obj, old map[string]any) []string {
	before := catalogEntries(old)
	var out []string
	for _, e := range catalogEntries(obj) {
		if !slices.Contains(before, e) && !slices.Contains(out, e.image) {
			out = append(out, e.image)
		}
	}
	return out
}

// unresolved is why andon cannot tell which image a Cluster takes from
// its image catalog. Its outcome is denied when the catalog is the
// object's to mend (no such catalog, no entry for the major) and error
// when andon could not read it.
type unresolved struct {
	message, outcome string
}

// catalogImage returns the image that the Cluster in namespace takes
// from the image catalog ref names, read through rv.Objects. cluster is
// the cluster the Cluster is in, as far as andon can tell.
func (rv *Reviewer) catalogImage(ctx context.Context, cluster, namespace string, ref catalogRef) (string, *unresolved) {
	fix := "name the image with spec.imageName (pinned by digest), or mend the catalog"
	res, ok := catalogResources[ref.kind]
	switch {
	case ref.apiGroup != "" && ref.apiGroup != cnpgGroup || !ok:
		return "", &unresolved{fmt.Sprintf("its spec.imageCatalogRef names a %s of API group %q, which is not one of CloudNativePG's image catalogs (ImageCatalog, ClusterImageCatalog of %s); %s", ref.kind, ref.apiGroup, cnpgGroup, fix), andon.AdmissionDenied}
	case ref.name == "":
		return "", &unresolved{"its spec.imageCatalogRef names no catalog; " + fix, andon.AdmissionDenied}
	case rv.Objects == nil:
		return "", &unresolved{fmt.Sprintf("andon cannot read image catalogs: it has no access to the Kubernetes API (see docs/kubernetes.md, Image catalogs); %s", fix), andon.AdmissionError}
	case cluster != "" && cluster != rv.ObjectsCluster:
		// Another cluster's catalog of the same name may hold another
		// image: reading it would ask the gate about the wrong one.
		reaches := "no cluster is named (andon serve --admission-cluster)"
		if rv.ObjectsCluster != "" {
			reaches = "they are read from cluster " + rv.ObjectsCluster
		}
		return "", &unresolved{fmt.Sprintf("andon cannot read the image catalogs of cluster %s: %s; %s", cluster, reaches, fix), andon.AdmissionError}
	}
	ns := namespace
	where := fmt.Sprintf("%s %s/%s", ref.kind, namespace, ref.name)
	if ref.kind == "ClusterImageCatalog" {
		ns, where = "", "ClusterImageCatalog "+ref.name
	}
	obj, err := rv.Objects.Get(ctx, res, ns, ref.name)
	if andon.ErrorCode(err) == andon.ENOTFOUND {
		return "", &unresolved{fmt.Sprintf("there is no %s; %s", where, fix), andon.AdmissionDenied}
	}
	if err != nil {
		rv.logger().Error("admission could not read an image catalog", "catalog", where, "err", err)
		return "", &unresolved{fmt.Sprintf("andon could not read %s: %s; %s", where, andon.ErrorMessage(err), fix), andon.AdmissionError}
	}
	for _, e := range catalogEntries(obj) {
		if e.major == ref.major {
			return e.image, nil
		}
	}
	return "", &unresolved{fmt.Sprintf("%s has no image for major %d; %s", where, ref.major, fix), andon.AdmissionDenied}
}

// clusterCatalogWarning warns of a production Cluster that keeps taking
// its image from a ClusterImageCatalog: one created so before andon
// governed it, which clusterImages refuses only on a create or a change
// of the ref. A change of the catalog's images is asked about in this
// environment too (reviewClusterCatalog), but it is one change for every
// environment whose Clusters use the catalog, refused as a whole when
// any of them has no approved change for it, and it reaches the database
// unasked wherever the webhook for cluster-scoped catalogs is not
// configured. Every update says so to whoever applies it; "" for any
// other Cluster.
func clusterCatalogWarning(env *andon.Environment, what string, obj map[string]any) string {
	ref, ok := imageCatalogRef(obj)
	if !ok || ref.kind != "ClusterImageCatalog" || env.Stage != andon.StageProduction {
		return ""
	}
	return fmt.Sprintf("andon [cluster-image-catalog]: %s takes its PostgreSQL image from ClusterImageCatalog %s, which andon refuses to a new production Cluster: a change of its images needs an approved change in every environment whose Clusters use it, this one included; name the image with spec.imageName (pinned by digest), or use an ImageCatalog in the namespace", what, ref.name)
}

// clusterImages returns the new images of the CloudNativePG Cluster
// obj: its spec.imageName, and the image it takes from an image catalog,
// on a create and on an update that changes its spec.imageCatalogRef,
// unless the Cluster ran that image before (by its spec.imageName or
// its previous catalog). A catalog's own changes are asked about when
// the catalog is written. It refuses the Cluster, with the message and
// outcome of the refusal, when the image cannot be resolved, and in a
// production environment when the catalog is a ClusterImageCatalog,
// which belongs to no environment: a change of its images is one change
// for every environment whose Clusters use it (reviewClusterCatalog).
func (rv *Reviewer) clusterImages(ctx context.Context, env *andon.Environment, what, cluster, namespace string, kind metav1.GroupVersionKind, obj, old map[string]any) ([]string, *unresolved) {
	candidates := images(kind, obj)
	ref, hasRef := imageCatalogRef(obj)
	oldRef, hadRef := imageCatalogRef(old)
	if cluster == "" && rv.ObjectsCluster != "" {
		// A webhook whose path names no cluster (andon kube
		// webhook-config without --cluster) may be another cluster's than
		// the one andon reads: the environment says which cluster its
		// namespace is in.
		cluster = env.Kubernetes.Cluster
	}
	if hasRef && (old == nil || !hadRef || oldRef != ref) {
		refuse := func(u *unresolved) *unresolved {
			u.message = fmt.Sprintf("andon refused %s in environment %s: it takes its PostgreSQL image from %s, and %s", what, env.Name, ref, u.message)
			return u
		}
		if ref.kind == "ClusterImageCatalog" && env.Stage == andon.StageProduction {
			return nil, refuse(&unresolved{"a ClusterImageCatalog belongs to no environment: a change of its images is one change for every environment whose Clusters use it, which the operator rolls out to all of them at once; in production name the image with spec.imageName (pinned by digest), or use an ImageCatalog in the namespace, whose changes are this environment's alone", andon.AdmissionDenied})
		}
		img, u := rv.catalogImage(ctx, cluster, namespace, ref)
		if u != nil {
			return nil, refuse(u)
		}
		if !slices.Contains(candidates, img) {
			candidates = append(candidates, img)
		}
	}
	before := images(kind, old)
	candidates = slices.DeleteFunc(candidates, func(img string) bool { return slices.Contains(before, img) })
	if len(candidates) > 0 && hadRef && (!hasRef || oldRef != ref) {
		// The image the Cluster ran from its previous catalog is not new
		// to it; one that cannot be read any more is taken as new.
		if prev, u := rv.catalogImage(ctx, cluster, namespace, oldRef); u == nil {
			candidates = slices.DeleteFunc(candidates, func(img string) bool { return img == prev })
		}
	}
	return candidates, nil
}

// catalogUser is a CloudNativePG Cluster that takes its image from a
// ClusterImageCatalog, in the governed environment of its namespace.
type catalogUser struct {
	name  string // namespace/name
	env   string
	major int64
}

// reviewClusterCatalog decides on a create or update of the
// ClusterImageCatalog the request carries. The operator rolls each entry
// that changes out to every Cluster that uses the catalog with that
// major, in whichever namespace: so each new image of an entry is asked
// about in the environment of each governed namespace where a Cluster
// uses it, all together (Reviewer.gate), and the catalog is admitted only
// when the gate allows every one. A catalog that no governed Cluster
// uses, or whose entries do not change, is admitted without a question;
// a create counts every entry as new, since a Cluster may name a
// catalog that is deleted and created again. When andon cannot list the
// Clusters the catalog is refused: the webhook that sends it fails
// closed.
func (rv *Reviewer) reviewClusterCatalog(ctx context.Context, cluster string, req *admissionRequest) (*admissionv1.AdmissionResponse, string) {
	what := "ClusterImageCatalog " + req.Name
	obj, old := req.Object, req.OldObject
	if obj == nil {
		return deny(fmt.Sprintf("andon could not read the %s: request.object: missing", what)), andon.AdmissionClientError
	}
	if req.Operation == admissionv1.Update {
		if old == nil {
			return deny(fmt.Sprintf("andon could not read the %s before the update: request.oldObject: missing", what)), andon.AdmissionClientError
		}
		if ts, _, _ := unstructured.NestedFieldNoCopy(obj, "metadata", "deletionTimestamp"); ts != nil {
			return &admissionv1.AdmissionResponse{Allowed: true}, andon.AdmissionIgnored
		}
	}
	user := req.UserInfo.Username
	if controlled(obj) && trusted(rv.TrustedControllers, user) {
		return &admissionv1.AdmissionResponse{Allowed: true}, andon.AdmissionIgnored
	}
	before := catalogEntries(old)
	var changed []catalogEntry
	for _, e := range catalogEntries(obj) {
		if !slices.Contains(before, e) {
			changed = append(changed, e)
		}
	}
	if len(changed) == 0 {
		return &admissionv1.AdmissionResponse{Allowed: true}, andon.AdmissionAllowed
	}
	cat := rv.Catalog.Catalog()
	users, u := rv.catalogUsers(ctx, cat, cluster, req.Name)
	if u != nil {
		rv.logger().Info("admission refused: the Clusters of a ClusterImageCatalog", "object", what, "user", user, "reason", u.message)
		return deny(fmt.Sprintf("andon refused %s, whose images change: %s", what, u.message)), u.outcome
	}
	var questions []question
	for _, e := range changed {
		for _, c := range users {
			if c.major != e.major {
				continue
			}
			i := slices.IndexFunc(questions, func(q question) bool { return q.env == c.env && q.image == e.image })
			if i < 0 {
				questions = append(questions, question{env: c.env, image: e.image, users: "Cluster " + c.name})
				continue
			}
			questions[i].users = strings.Replace(questions[i].users, "Cluster ", "Clusters ", 1) + ", " + c.name
		}
	}
	if len(questions) > maxImagesPerReview {
		return deny(fmt.Sprintf("andon refused %s: its new images would be asked about %d times in the environments of the Clusters that use it, and andon gates at most %d in one object", what, len(questions), maxImagesPerReview)), andon.AdmissionDenied
	}
	gctx := andon.NewContextWithUser(ctx, &andon.User{Name: "kubernetes:" + user})
	request := req.gateRequest(cluster, req.Name)
	if refused, message, outcome := rv.gate(gctx, what, questions, request); message != "" {
		rv.logger().Info("admission refused: gate", "object", what, "user", user, "images", refused)
		return deny(message), outcome
	}
	return &admissionv1.AdmissionResponse{Allowed: true}, andon.AdmissionAllowed
}

// catalogUsers returns the Clusters that take their image from the
// ClusterImageCatalog name, of the governed namespaces of the cluster
// whose review it is, read through rv.Objects. cluster is the one the
// webhook's path names: when it names none, the catalog is taken to be
// in the cluster andon reads, which holds only when every environment
// that names a cluster names that one.
func (rv *Reviewer) catalogUsers(ctx context.Context, cat *andon.Catalog, cluster, name string) ([]catalogUser, *unresolved) {
	fix := "andon serve reads them with --admission-kubeconfig, or in a pod with its service account, which needs list on clusters.postgresql.cnpg.io (see docs/kubernetes.md, Image catalogs)"
	in := cluster
	switch {
	case rv.Objects == nil:
		return nil, &unresolved{"andon cannot list the CloudNativePG Clusters that use it: it has no access to the Kubernetes API; " + fix, andon.AdmissionError}
	case cluster != "" && cluster != rv.ObjectsCluster:
		reaches := "no cluster is named (andon serve --admission-cluster)"
		if rv.ObjectsCluster != "" {
			reaches = "they are read from cluster " + rv.ObjectsCluster
		}
		return nil, &unresolved{fmt.Sprintf("andon cannot list the CloudNativePG Clusters of cluster %s that use it: %s", cluster, reaches), andon.AdmissionError}
	case cluster == "" && rv.ObjectsCluster != "":
		in = rv.ObjectsCluster
		for _, e := range cat.Environments {
			if k := e.Kubernetes; k.Namespace != "" && k.Cluster != "" && k.Cluster != in {
				// A webhook whose path names no cluster may be another
				// cluster's: its Clusters are not those andon lists.
				return nil, &unresolved{fmt.Sprintf("andon cannot tell which cluster it is in: the webhook's path names none, andon lists the Clusters of cluster %s, and environment %s is in cluster %s; name the cluster in the webhook's path (andon kube webhook-config --cluster, or the chart's webhook.cluster)", in, e.Name, k.Cluster), andon.AdmissionError}
			}
		}
	}
	list, err := rv.Objects.List(ctx, clustersResource, "")
	if err != nil {
		rv.logger().Error("admission could not list the CloudNativePG Clusters", "err", err)
		return nil, &unresolved{fmt.Sprintf("andon could not list the CloudNativePG Clusters that use it: %s; %s", andon.ErrorMessage(err), fix), andon.AdmissionError}
	}
	var users []catalogUser
	for _, obj := range list {
		ref, ok := imageCatalogRef(obj)
		if !ok || ref.kind != "ClusterImageCatalog" || ref.name != name || ref.apiGroup != "" && ref.apiGroup != cnpgGroup {
			continue
		}
		ns, _, _ := unstructured.NestedString(obj, "metadata", "namespace")
		n, _, _ := unstructured.NestedString(obj, "metadata", "name")
		env, err := environmentOf(cat, in, ns)
		if err != nil {
			return nil, &unresolved{fmt.Sprintf("Cluster %s/%s uses it, and %s", ns, n, err.Error()), andon.AdmissionDenied}
		}
		if env != nil {
			users = append(users, catalogUser{name: ns + "/" + n, env: env.Name, major: ref.major})
		}
	}
	return users, nil
}
