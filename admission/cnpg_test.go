package admission_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/andon-governance/andon"
)

const (
	pg16 = "ghcr.io/cloudnative-pg/postgresql:16.4@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	pg17 = "ghcr.io/cloudnative-pg/postgresql:17.2@sha256:2222222222222222222222222222222222222222222222222222222222222222"
	pg18 = "ghcr.io/cloudnative-pg/postgresql:18.1@sha256:3333333333333333333333333333333333333333333333333333333333333333"
)

// storedObjects stands in for the API server that the reviewer reads
// image catalogs from; drift's tests read them from a real one. It
// answers err when set, and ENOTFOUND for an object it does not hold.
type storedObjects struct {
	objects map[string]map[string]any // by resource/namespace/name
	err     error
	reads   []string
}

func (s *storedObjects) Get(ctx context.Context, res schema.GroupVersionResource, namespace, name string) (map[string]any, error) {
	key := res.Resource + "/" + namespace + "/" + name
	s.reads = append(s.reads, key)
	if s.err != nil {
		return nil, s.err
	}
	if res.Group != "postgresql.cnpg.io" || res.Version != "v1" {
		return nil, andon.Errorf(andon.ENOTFOUND, "no resource %s", res)
	}
	obj, ok := s.objects[key]
	if !ok {
		return nil, andon.Errorf(andon.ENOTFOUND, "%s not found", key)
	}
	return obj, nil
}

// List returns the objects of res in namespace, or in every namespace
// when it is "", in the order of their keys.
func (s *storedObjects) List(ctx context.Context, res schema.GroupVersionResource, namespace string) ([]map[string]any, error) {
	s.reads = append(s.reads, "list "+res.Resource+"/"+namespace)
	if s.err != nil {
		return nil, s.err
	}
	prefix := res.Resource + "/"
	if namespace != "" {
		prefix += namespace + "/"
	}
	var out []map[string]any
	for _, key := range slices.Sorted(maps.Keys(s.objects)) {
		if strings.HasPrefix(key, prefix) && res.Group == "postgresql.cnpg.io" {
			out = append(out, s.objects[key])
		}
	}
	return out, nil
}

// imageCatalog returns an image catalog of kind, with images by major.
func imageCatalog(kind, namespace, name string, images map[int]string) map[string]any {
	var list []any
	for _, major := range slices.Sorted(maps.Keys(images)) {
		list = append(list, map[string]any{"major": float64(major), "image": images[major]})
	}
	md := map[string]any{"name": name}
	if namespace != "" {
		md["namespace"] = namespace
	}
	return map[string]any{"apiVersion": "postgresql.cnpg.io/v1", "kind": kind, "metadata": md, "spec": map[string]any{"images": list}}
}

// catalogs holds an ImageCatalog postgresql in odoo-lyon and odoo-dev,
// and a ClusterImageCatalog postgresql-global, each with images of the
// majors 16 and 17.
func catalogs() *storedObjects {
	images := map[int]string{16: pg16, 17: pg17}
	return &storedObjects{objects: map[string]map[string]any{
		"imagecatalogs/odoo-lyon/postgresql":      imageCatalog("ImageCatalog", "odoo-lyon", "postgresql", images),
		"imagecatalogs/odoo-dev/postgresql":       imageCatalog("ImageCatalog", "odoo-dev", "postgresql", images),
		"clusterimagecatalogs//postgresql-global": imageCatalog("ClusterImageCatalog", "", "postgresql-global", images),
	}}
}

// ref is a Cluster's spec.imageCatalogRef.
func ref(kind, name string, major int) map[string]any {
	return map[string]any{"imageCatalogRef": map[string]any{"apiGroup": "postgresql.cnpg.io", "kind": kind, "name": name, "major": float64(major)}}
}

func imageName(img string) map[string]any { return map[string]any{"imageName": img} }

// cnpgObjectReview returns the review of a create (old nil) or update of
// the CloudNativePG object obj of kind in namespace.
func cnpgObjectReview(t *testing.T, kind, namespace string, obj, old map[string]any) []byte {
	t.Helper()
	resource := map[string]string{"Cluster": "clusters", "ImageCatalog": "imagecatalogs", "Pooler": "poolers"}[kind]
	return mutate(t, "deployment-create", func(req map[string]any) {
		gvk := map[string]any{"group": "postgresql.cnpg.io", "version": "v1", "kind": kind}
		gvr := map[string]any{"group": "postgresql.cnpg.io", "version": "v1", "resource": resource}
		req["kind"], req["requestKind"], req["resource"], req["requestResource"] = gvk, gvk, gvr, gvr
		req["name"] = "odoo-db"
		req["namespace"] = namespace
		req["object"] = obj
		if old != nil {
			req["operation"] = "UPDATE"
			req["oldObject"] = old
		}
	})
}

// cnpgCluster returns a Cluster of namespace, backed up as the rules
// require, whose spec takes the fields of image: its imageName or its
// imageCatalogRef.
func cnpgCluster(namespace string, image map[string]any) map[string]any {
	spec := map[string]any{
		"instances": 3,
		"storage":   map[string]any{"size": "50Gi"},
		"backup": map[string]any{
			"retentionPolicy": "30d",
			"barmanObjectStore": map[string]any{
				"destinationPath": "s3://backups/odoo-lyon",
				"wal":             map[string]any{"compression": "gzip"},
			},
		},
		"postgresql": map[string]any{"parameters": map[string]any{"archive_timeout": "5min"}},
	}
	for k, v := range image {
		spec[k] = v
	}
	return map[string]any{
		"apiVersion": "postgresql.cnpg.io/v1",
		"kind":       "Cluster",
		"metadata":   map[string]any{"name": "odoo-db", "namespace": namespace},
		"spec":       spec,
	}
}

// A Cluster that takes its PostgreSQL image from an image catalog has
// that image asked about, as one that names it with spec.imageName, on a
// create and when its catalog or major changes; one whose image andon
// cannot tell is refused, with a message that says what is missing.
func TestImageCatalogsOfClustersGoThroughTheGate(t *testing.T) {
	for _, tt := range []struct {
		name        string
		cluster     string // in the webhook's path
		objectsIn   string // Reviewer.ObjectsCluster
		namespace   string
		obj, old    map[string]any
		objects     *storedObjects
		wantImages  []string
		wantRefusal string
		wantOutcome string
	}{
		{name: "create", namespace: "odoo-lyon", obj: ref("ImageCatalog", "postgresql", 16), objects: catalogs(),
			wantImages: []string{pg16}, wantOutcome: andon.AdmissionAllowed},
		{name: "major upgrade", namespace: "odoo-lyon", obj: ref("ImageCatalog", "postgresql", 17), old: ref("ImageCatalog", "postgresql", 16), objects: catalogs(),
			wantImages: []string{pg17}, wantOutcome: andon.AdmissionAllowed},
		{name: "same ref, catalog not read", namespace: "odoo-lyon", obj: ref("ImageCatalog", "postgresql", 16), old: ref("ImageCatalog", "postgresql", 16),
			wantOutcome: andon.AdmissionAllowed},
		{name: "from imageName to the same image in a catalog", namespace: "odoo-lyon", obj: ref("ImageCatalog", "postgresql", 16), old: imageName(pg16), objects: catalogs(),
			wantOutcome: andon.AdmissionAllowed},
		{name: "from a catalog to the same image by name", namespace: "odoo-lyon", obj: imageName(pg16), old: ref("ImageCatalog", "postgresql", 16), objects: catalogs(),
			wantOutcome: andon.AdmissionAllowed},
		{name: "another catalog with the same image", namespace: "odoo-dev", obj: ref("ClusterImageCatalog", "postgresql-global", 16), old: ref("ImageCatalog", "postgresql", 16), objects: catalogs(),
			wantOutcome: andon.AdmissionAllowed},
		{name: "a ClusterImageCatalog outside production", namespace: "odoo-dev", obj: ref("ClusterImageCatalog", "postgresql-global", 17), objects: catalogs(),
			wantImages: []string{pg17}, wantOutcome: andon.AdmissionAllowed},
		{name: "no access to the API", namespace: "odoo-lyon", obj: ref("ImageCatalog", "postgresql", 16),
			wantRefusal: "andon refused Cluster odoo-lyon/odoo-db in environment prod-lyon: it takes its PostgreSQL image from ImageCatalog postgresql, major 16, and andon cannot read image catalogs: it has no access to the Kubernetes API (see docs/kubernetes.md, Image catalogs); name the image with spec.imageName (pinned by digest), or mend the catalog",
			wantOutcome: andon.AdmissionError},
		{name: "no such catalog", namespace: "odoo-lyon", obj: ref("ImageCatalog", "postgres", 16), objects: catalogs(),
			wantRefusal: "ImageCatalog postgres, major 16, and there is no ImageCatalog odoo-lyon/postgres; name the image with spec.imageName", wantOutcome: andon.AdmissionDenied},
		{name: "no image for the major", namespace: "odoo-lyon", obj: ref("ImageCatalog", "postgresql", 18), old: ref("ImageCatalog", "postgresql", 17), objects: catalogs(),
			wantRefusal: "ImageCatalog odoo-lyon/postgresql has no image for major 18; name the image with spec.imageName", wantOutcome: andon.AdmissionDenied},
		{name: "not allowed to read", namespace: "odoo-lyon", obj: ref("ImageCatalog", "postgresql", 16), objects: &storedObjects{err: andon.Errorf(andon.EFORBIDDEN, `imagecatalogs.postgresql.cnpg.io "postgresql" is forbidden`)},
			wantRefusal: `andon could not read ImageCatalog odoo-lyon/postgresql: imagecatalogs.postgresql.cnpg.io "postgresql" is forbidden; name the image with spec.imageName`, wantOutcome: andon.AdmissionError},
		{name: "another kind of catalog", namespace: "odoo-lyon", obj: ref("Catalog", "postgresql", 16), objects: catalogs(),
			wantRefusal: "which is not one of CloudNativePG's image catalogs", wantOutcome: andon.AdmissionDenied},
		{name: "the cluster andon reads", cluster: "eu-1", objectsIn: "eu-1", namespace: "odoo-lyon", obj: ref("ImageCatalog", "postgresql", 16), objects: catalogs(),
			wantImages: []string{pg16}, wantOutcome: andon.AdmissionAllowed},
		{name: "another cluster than andon reads", cluster: "eu-1", objectsIn: "au-1", namespace: "odoo-lyon", obj: ref("ImageCatalog", "postgresql", 16), objects: catalogs(),
			wantRefusal: "andon cannot read the image catalogs of cluster eu-1: they are read from cluster au-1; name the image with spec.imageName", wantOutcome: andon.AdmissionError},
		{name: "a path without a cluster, in the cluster andon reads", objectsIn: "eu-1", namespace: "odoo-lyon", obj: ref("ImageCatalog", "postgresql", 16), objects: catalogs(),
			wantImages: []string{pg16}, wantOutcome: andon.AdmissionAllowed},
		// A webhook configured without --cluster in another cluster: the
		// environment's kubernetes.cluster (eu-1) is not the one andon reads.
		{name: "a path without a cluster, another cluster than andon reads", objectsIn: "au-1", namespace: "odoo-lyon", obj: ref("ImageCatalog", "postgresql", 17), old: ref("ImageCatalog", "postgresql", 16), objects: catalogs(),
			wantRefusal: "andon cannot read the image catalogs of cluster eu-1: they are read from cluster au-1; name the image with spec.imageName", wantOutcome: andon.AdmissionError},
		{name: "a cluster when andon names none", cluster: "eu-1", namespace: "odoo-lyon", obj: ref("ImageCatalog", "postgresql", 16), objects: catalogs(),
			wantRefusal: "andon cannot read the image catalogs of cluster eu-1: no cluster is named (andon serve --admission-cluster)", wantOutcome: andon.AdmissionError},
		{name: "a ClusterImageCatalog in production", namespace: "odoo-lyon", obj: ref("ClusterImageCatalog", "postgresql-global", 16), objects: catalogs(),
			wantRefusal: "from ClusterImageCatalog postgresql-global, major 16, and a ClusterImageCatalog belongs to no environment: a change of its images is one change for every environment whose Clusters use it, which the operator rolls out to all of them at once; in production name the image with spec.imageName (pinned by digest), or use an ImageCatalog in the namespace",
			wantOutcome: andon.AdmissionDenied},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gate := &recordingGate{}
			rv := newReviewer(t, exampleCatalog(t), gate)
			if tt.objects != nil {
				rv.Objects = tt.objects
			}
			rv.ObjectsCluster = tt.objectsIn
			var old map[string]any
			if tt.old != nil {
				old = cnpgCluster(tt.namespace, tt.old)
			}
			resp, outcome := admit(t, rv, tt.cluster, cnpgObjectReview(t, "Cluster", tt.namespace, cnpgCluster(tt.namespace, tt.obj), old))
			mustAnswer(t, resp, outcome, tt.wantOutcome, tt.wantRefusal)
			var got []string
			for _, c := range gate.calls {
				got = append(got, c.req.Image)
				if c.req.Environment != map[string]string{"odoo-lyon": "prod-lyon", "odoo-dev": "dev"}[tt.namespace] || c.req.Admission.Kind != "Cluster" {
					t.Errorf("gate request = %+v; want the Cluster in its environment", c.req)
				}
			}
			if diff := cmp.Diff(tt.wantImages, got); diff != "" {
				t.Errorf("images asked about (-want +got):\n%s", diff)
			}
		})
	}

	// A production Cluster that kept a ClusterImageCatalog from before is
	// let through an update that keeps it, with a warning; outside
	// production, or from an ImageCatalog, with none.
	for _, tc := range []struct {
		namespace, kind, catalog string
		warn                     bool
	}{
		{"odoo-lyon", "ClusterImageCatalog", "postgresql-global", true},
		{"odoo-dev", "ClusterImageCatalog", "postgresql-global", false},
		{"odoo-lyon", "ImageCatalog", "postgresql", false},
	} {
		rv := newReviewer(t, exampleCatalog(t), &recordingGate{})
		rv.Objects = catalogs()
		kept := cnpgCluster(tc.namespace, ref(tc.kind, tc.catalog, 16))
		resp, outcome := admit(t, rv, "", cnpgObjectReview(t, "Cluster", tc.namespace, kept, kept))
		warned := slices.ContainsFunc(resp.Warnings, func(w string) bool {
			return strings.HasPrefix(w, "andon [cluster-image-catalog]: Cluster "+tc.namespace+"/odoo-db takes its PostgreSQL image from ClusterImageCatalog postgresql-global, which andon refuses to a new production Cluster: a change of its images needs an approved change in every environment whose Clusters use it, this one included")
		})
		if !resp.Allowed || outcome != andon.AdmissionAllowed || warned != tc.warn {
			t.Errorf("update of a Cluster of %s keeping %s: allowed %v (%s), warnings %q; want allowed, warned %v", tc.namespace, tc.kind, resp.Allowed, outcome, resp.Warnings, tc.warn)
		}
	}

	// The gate's refusal of the catalog's image refuses the Cluster.
	refusing := &recordingGate{decide: func(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error) {
		return &andon.GateResult{Reasons: []andon.Reason{{Code: "NO_APPROVED_CHANGE", Message: "no approved change carries it"}}}, nil
	}}
	rv := newReviewer(t, exampleCatalog(t), refusing)
	rv.Objects = catalogs()
	body := cnpgObjectReview(t, "Cluster", "odoo-lyon", cnpgCluster("odoo-lyon", ref("ImageCatalog", "postgresql", 17)), cnpgCluster("odoo-lyon", ref("ImageCatalog", "postgresql", 16)))
	resp, outcome := admit(t, rv, "", body)
	if want := "andon's gate refused image " + pg17 + " of Cluster odoo-lyon/odoo-db in environment prod-lyon: NO_APPROVED_CHANGE"; resp.Allowed || outcome != andon.AdmissionDenied || !strings.Contains(resp.Result.Message, want) {
		t.Errorf("response = %+v, outcome %s; want denied: %q", resp.Result, outcome, want)
	}
}

// The operator rolls an entry of an ImageCatalog out to every Cluster of
// the namespace that uses it: each image the catalog adds, or gives to
// another major, is asked about as a deployment to the namespace's
// environment, all together.
func TestImageCatalogImagesGoThroughTheGate(t *testing.T) {
	catalog := func(images map[int]string) map[string]any {
		return imageCatalog("ImageCatalog", "odoo-lyon", "postgresql", images)
	}
	for _, tt := range []struct {
		name       string
		obj, old   map[string]any
		wantImages []string
	}{
		{"create", catalog(map[int]string{16: pg16, 17: pg17}), nil, []string{pg16, pg17}},
		{"a new major", catalog(map[int]string{16: pg16, 17: pg17, 18: pg18}), catalog(map[int]string{16: pg16, 17: pg17}), []string{pg18}},
		{"a major's image changed to another's", catalog(map[int]string{16: pg17, 17: pg17}), catalog(map[int]string{16: pg16, 17: pg17}), []string{pg17}},
		{"an entry removed", catalog(map[int]string{17: pg17}), catalog(map[int]string{16: pg16, 17: pg17}), nil},
		{"unchanged", catalog(map[int]string{16: pg16}), catalog(map[int]string{16: pg16}), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gate := &recordingGate{}
			resp, _ := admit(t, newReviewer(t, exampleCatalog(t), gate), "", cnpgObjectReview(t, "ImageCatalog", "odoo-lyon", tt.obj, tt.old))
			if !resp.Allowed {
				t.Fatalf("response = %+v; want allowed", resp.Result)
			}
			var got []string
			for _, c := range gate.calls {
				if c.req.Environment != "prod-lyon" {
					t.Errorf("gate request in environment %s, want prod-lyon", c.req.Environment)
				}
				if !slices.Contains(got, c.req.Image) {
					got = append(got, c.req.Image)
				}
			}
			if diff := cmp.Diff(tt.wantImages, got); diff != "" {
				t.Errorf("images asked about (-want +got):\n%s", diff)
			}
		})
	}

	refusing := &recordingGate{decide: func(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error) {
		if req.Image == pg18 {
			return &andon.GateResult{Reasons: []andon.Reason{{Code: "NO_APPROVED_CHANGE", Message: "no approved change carries it"}}}, nil
		}
		return &andon.GateResult{Allow: true}, nil
	}}
	body := cnpgObjectReview(t, "ImageCatalog", "odoo-lyon", catalog(map[int]string{17: pg17, 18: pg18}), nil)
	resp, outcome := admit(t, newReviewer(t, exampleCatalog(t), refusing), "", body)
	if want := "andon's gate refused image " + pg18 + " of ImageCatalog odoo-lyon/odoo-db in environment prod-lyon: NO_APPROVED_CHANGE"; resp.Allowed || outcome != andon.AdmissionDenied || !strings.Contains(resp.Result.Message, want) {
		t.Errorf("response = %+v, outcome %s; want denied: %q", resp.Result, outcome, want)
	}
}

const (
	pgbouncer1 = "ghcr.io/cloudnative-pg/pgbouncer:1.23.0@sha256:4444444444444444444444444444444444444444444444444444444444444444"
	pgbouncer2 = "ghcr.io/cloudnative-pg/pgbouncer:1.24.0@sha256:5555555555555555555555555555555555555555555555555555555555555555"
	exporter   = "registry.example.com/pgbouncer-exporter:0.9@sha256:6666666666666666666666666666666666666666666666666666666666666666"
)

// pooler returns a Pooler of odoo-lyon for the Cluster odoo-db, with
// instances pods whose template runs the images given, the first in the
// pgbouncer container and any other in an init container, or no template
// without images.
func pooler(instances int, images ...string) map[string]any {
	spec := map[string]any{
		"cluster":   map[string]any{"name": "odoo-db"},
		"instances": float64(instances),
		"type":      "rw",
		"pgbouncer": map[string]any{"poolMode": "transaction"},
	}
	if len(images) > 0 {
		pod := map[string]any{"containers": []any{map[string]any{"name": "pgbouncer", "image": images[0]}}}
		var inits []any
		for i, img := range images[1:] {
			inits = append(inits, map[string]any{"name": fmt.Sprintf("init-%d", i), "image": img})
		}
		if inits != nil {
			pod["initContainers"] = inits
		}
		spec["template"] = map[string]any{"spec": pod}
	}
	return map[string]any{
		"apiVersion": "postgresql.cnpg.io/v1",
		"kind":       "Pooler",
		"metadata":   map[string]any{"name": "odoo-db-rw", "namespace": "odoo-lyon"},
		"spec":       spec,
	}
}

// The operator runs a Pooler's spec.template as PgBouncer pods, which its
// trusted service account writes: the images of the template's
// containers and init containers are asked about as a workload's are, on
// a create and when they change. A Pooler without a template runs the
// operator's default image, which is not in the object, and asks nothing.
func TestPoolerImagesGoThroughTheGate(t *testing.T) {
	for _, tt := range []struct {
		name       string
		obj, old   map[string]any
		wantImages []string
	}{
		{"create", pooler(2, pgbouncer1), nil, []string{pgbouncer1}},
		{"create with an init container", pooler(2, pgbouncer1, exporter), nil, []string{exporter, pgbouncer1}},
		{"new image", pooler(2, pgbouncer2), pooler(2, pgbouncer1), []string{pgbouncer2}},
		{"scaled, same image", pooler(3, pgbouncer1), pooler(2, pgbouncer1), nil},
		{"no template", pooler(2), nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gate := &recordingGate{}
			resp, outcome := admit(t, newReviewer(t, exampleCatalog(t), gate), "", cnpgObjectReview(t, "Pooler", "odoo-lyon", tt.obj, tt.old))
			if !resp.Allowed || outcome != andon.AdmissionAllowed {
				t.Fatalf("response = %+v, outcome %s; want allowed", resp.Result, outcome)
			}
			var got []string
			for _, c := range gate.calls {
				if c.req.Environment != "prod-lyon" || c.req.Admission.Kind != "Pooler" {
					t.Errorf("gate request = %+v; want the Pooler in prod-lyon", c.req)
				}
				if !slices.Contains(got, c.req.Image) {
					got = append(got, c.req.Image)
				}
			}
			if diff := cmp.Diff(tt.wantImages, got); diff != "" {
				t.Errorf("images asked about (-want +got):\n%s", diff)
			}
		})
	}

	// Without an approved change for the new image, the gate refuses it,
	// and the Pooler with it; with one, it is allowed.
	approved := map[string]bool{pgbouncer1: true}
	gate := &recordingGate{decide: func(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error) {
		if approved[req.Image] {
			return &andon.GateResult{Allow: true, AuditIndex: 7}, nil
		}
		return &andon.GateResult{Reasons: []andon.Reason{{Code: "NO_APPROVED_CHANGE", Message: "no approved change carries it"}}}, nil
	}}
	rv := newReviewer(t, exampleCatalog(t), gate)
	body := cnpgObjectReview(t, "Pooler", "odoo-lyon", pooler(2, pgbouncer2), pooler(2, pgbouncer1))
	resp, outcome := admit(t, rv, "", body)
	if want := "andon's gate refused image " + pgbouncer2 + " of Pooler odoo-lyon/odoo-db in environment prod-lyon: NO_APPROVED_CHANGE"; resp.Allowed || outcome != andon.AdmissionDenied || !strings.Contains(resp.Result.Message, want) {
		t.Errorf("response = %+v, outcome %s; want denied: %q", resp.Result, outcome, want)
	}
	approved[pgbouncer2] = true
	if resp, outcome := admit(t, rv, "", body); !resp.Allowed || outcome != andon.AdmissionAllowed {
		t.Errorf("with an approved change: response = %+v, outcome %s; want allowed", resp.Result, outcome)
	}
}

// clusterCatalogReview returns the review of a create (old nil) or update
// of the ClusterImageCatalog postgresql-global, obj.
func clusterCatalogReview(t *testing.T, obj, old map[string]any) []byte {
	t.Helper()
	return mutate(t, "deployment-create", func(req map[string]any) {
		gvk := map[string]any{"group": "postgresql.cnpg.io", "version": "v1", "kind": "ClusterImageCatalog"}
		gvr := map[string]any{"group": "postgresql.cnpg.io", "version": "v1", "resource": "clusterimagecatalogs"}
		req["kind"], req["requestKind"], req["resource"], req["requestResource"] = gvk, gvk, gvr, gvr
		req["name"] = "postgresql-global"
		delete(req, "namespace")
		req["object"] = obj
		if old != nil {
			req["operation"] = "UPDATE"
			req["oldObject"] = old
		}
	})
}

// catalogUsers holds, besides catalogs(), Clusters that take their image
// from the ClusterImageCatalog postgresql-global: with major 16 in
// odoo-lyon-staging (staging-lyon, eu-1), odoo-lyon (prod-lyon, eu-1, kept
// from before andon governed it), odoo-geelong-staging (staging-geelong,
// au-1) and a namespace no environment governs; with major 17 in
// odoo-dev (dev, eu-1). Another Cluster of odoo-dev takes its image from
// another ClusterImageCatalog.
func catalogUsers() *storedObjects {
	s := catalogs()
	for ns, r := range map[string]map[string]any{
		"odoo-lyon-staging":    ref("ClusterImageCatalog", "postgresql-global", 16),
		"odoo-lyon":            ref("ClusterImageCatalog", "postgresql-global", 16),
		"odoo-geelong-staging": ref("ClusterImageCatalog", "postgresql-global", 16),
		"ungoverned":           ref("ClusterImageCatalog", "postgresql-global", 16),
		"odoo-dev":             ref("ClusterImageCatalog", "postgresql-global", 17),
	} {
		s.objects["clusters/"+ns+"/odoo-db"] = cnpgCluster(ns, r)
	}
	other := cnpgCluster("odoo-dev", ref("ClusterImageCatalog", "postgresql-other", 16))
	meta(other)["name"] = "other-db"
	s.objects["clusters/odoo-dev/other-db"] = other
	return s
}

// The operator rolls a changed entry of a ClusterImageCatalog out to
// every Cluster that uses the catalog with that major, in whichever
// namespace: the new image is asked about in the environment of each
// governed namespace where one does, in the cluster andon reads, and the
// catalog is refused when andon cannot tell which those are.
func TestClusterImageCatalogChangesGoThroughTheGate(t *testing.T) {
	global := func(images map[int]string) map[string]any {
		return imageCatalog("ClusterImageCatalog", "", "postgresql-global", images)
	}
	before := global(map[int]string{16: pg16, 17: pg17})
	for _, tt := range []struct {
		name        string
		cluster     string // in the webhook's path
		objectsIn   string // Reviewer.ObjectsCluster
		obj, old    map[string]any
		objects     *storedObjects
		want        []string // environment image, as asked
		wantRefusal string
		wantOutcome string
	}{
		{name: "major 16 changes", obj: global(map[int]string{16: pg18, 17: pg17}), old: before, objects: catalogUsers(),
			want:        []string{"prod-lyon " + pg18, "staging-geelong " + pg18, "staging-lyon " + pg18},
			wantOutcome: andon.AdmissionAllowed},
		{name: "major 16 changes, in the cluster andon reads", cluster: "eu-1", objectsIn: "eu-1", obj: global(map[int]string{16: pg18, 17: pg17}), old: before, objects: catalogUsers(),
			want:        []string{"prod-lyon " + pg18, "staging-lyon " + pg18},
			wantOutcome: andon.AdmissionAllowed},
		{name: "major 17 changes", cluster: "eu-1", objectsIn: "eu-1", obj: global(map[int]string{16: pg16, 17: pg18}), old: before, objects: catalogUsers(),
			want:        []string{"dev " + pg18},
			wantOutcome: andon.AdmissionAllowed},
		{name: "a major no Cluster uses", obj: global(map[int]string{16: pg16, 17: pg17, 18: pg18}), old: before, objects: catalogUsers(),
			wantOutcome: andon.AdmissionAllowed},
		{name: "unchanged", obj: before, old: before,
			wantOutcome: andon.AdmissionAllowed},
		{name: "create", cluster: "eu-1", objectsIn: "eu-1", obj: before, objects: catalogUsers(),
			want:        []string{"dev " + pg17, "prod-lyon " + pg16, "staging-lyon " + pg16},
			wantOutcome: andon.AdmissionAllowed},
		{name: "used by no governed Cluster", obj: global(map[int]string{16: pg18, 17: pg17}), old: before, objects: catalogs(),
			wantOutcome: andon.AdmissionAllowed},
		{name: "no access to the API", obj: global(map[int]string{16: pg18, 17: pg17}), old: before,
			wantRefusal: "andon refused ClusterImageCatalog postgresql-global, whose images change: andon cannot list the CloudNativePG Clusters that use it: it has no access to the Kubernetes API; andon serve reads them with --admission-kubeconfig, or in a pod with its service account, which needs list on clusters.postgresql.cnpg.io",
			wantOutcome: andon.AdmissionError},
		{name: "not allowed to list", obj: global(map[int]string{16: pg18, 17: pg17}), old: before,
			objects:     &storedObjects{err: andon.Errorf(andon.EFORBIDDEN, "list clusters.postgresql.cnpg.io in every namespace: forbidden: andon needs list on clusters.postgresql.cnpg.io")},
			wantRefusal: "andon could not list the CloudNativePG Clusters that use it: list clusters.postgresql.cnpg.io in every namespace: forbidden: andon needs list on clusters.postgresql.cnpg.io; andon serve reads them with --admission-kubeconfig",
			wantOutcome: andon.AdmissionError},
		{name: "another cluster than andon reads", cluster: "au-1", objectsIn: "eu-1", obj: global(map[int]string{16: pg18, 17: pg17}), old: before, objects: catalogUsers(),
			wantRefusal: "andon cannot list the CloudNativePG Clusters of cluster au-1 that use it: they are read from cluster eu-1",
			wantOutcome: andon.AdmissionError},
		{name: "a path without a cluster, environments in several", objectsIn: "eu-1", obj: global(map[int]string{16: pg18, 17: pg17}), old: before, objects: catalogUsers(),
			wantRefusal: "andon cannot tell which cluster it is in: the webhook's path names none, andon lists the Clusters of cluster eu-1, and environment staging-geelong is in cluster au-1; name the cluster in the webhook's path",
			wantOutcome: andon.AdmissionError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gate := &recordingGate{}
			rv := newReviewer(t, exampleCatalog(t), gate)
			if tt.objects != nil {
				rv.Objects = tt.objects
			}
			rv.ObjectsCluster = tt.objectsIn
			resp, outcome := admit(t, rv, tt.cluster, clusterCatalogReview(t, tt.obj, tt.old))
			mustAnswer(t, resp, outcome, tt.wantOutcome, tt.wantRefusal)
			var got []string
			for _, c := range gate.calls {
				if c.req.Admission.Kind != "ClusterImageCatalog" || c.req.Admission.Name != "postgresql-global" || c.user != "kubernetes:"+c.req.Admission.User {
					t.Errorf("gate request = %+v by %s; want the ClusterImageCatalog's, by its user", c.req, c.user)
				}
				if !c.req.Preview && !c.req.DryRun {
					got = append(got, c.req.Environment+" "+c.req.Image)
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("images decided, by environment (-want +got):\n%s", diff)
			}
			// Several are all previewed before any is decided for real.
			if len(tt.want) > 1 {
				for i, c := range gate.calls {
					if c.req.Preview != (i < len(tt.want)) {
						t.Errorf("gate call %d: preview %v; want the %d previews first", i, c.req.Preview, len(tt.want))
					}
				}
			}
		})
	}

	// No approved change for the new image in staging-lyon refuses the
	// catalog, naming the environment and the Cluster; the environments
	// that would allow it have their decisions recorded as dry runs.
	refusing := &recordingGate{decide: func(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error) {
		if req.Environment == "staging-lyon" {
			return &andon.GateResult{Reasons: []andon.Reason{{Code: "NO_APPROVED_CHANGE", Message: "no approved change carries it"}}, AuditIndex: 9}, nil
		}
		return &andon.GateResult{Allow: true, AuditIndex: 8}, nil
	}}
	rv := newReviewer(t, exampleCatalog(t), refusing)
	rv.Objects, rv.ObjectsCluster = catalogUsers(), "eu-1"
	resp, outcome := admit(t, rv, "eu-1", clusterCatalogReview(t, global(map[int]string{16: pg18, 17: pg17}), before))
	if want := "andon's gate refused image " + pg18 + " of ClusterImageCatalog postgresql-global in environment staging-lyon for Cluster odoo-lyon-staging/odoo-db: NO_APPROVED_CHANGE: no approved change carries it (audit entry 9)"; resp.Allowed || outcome != andon.AdmissionDenied || !strings.Contains(resp.Result.Message, want) {
		t.Errorf("response = %+v, outcome %s; want denied: %q", resp.Result, outcome, want)
	}
	if want := ". An object is admitted only when the gate allows each of its images in each environment: the decision on image " + pg18 + " in environment prod-lyon for Cluster odoo-lyon/odoo-db (audit entry 8) was recorded as a dry run and moved no change"; !strings.HasSuffix(resp.Result.Message, want) {
		t.Errorf("refusal %q; want it to end with the dry run: %q", resp.Result.Message, want)
	}
	for _, c := range refusing.calls {
		if c.req.Environment != "staging-lyon" && !c.req.Preview && !c.req.DryRun {
			t.Errorf("gate request %+v decided for real; want only previews and dry runs besides the refusal", c.req)
		}
	}

	// With one governed Cluster, its environment's answer decides.
	only := &storedObjects{objects: map[string]map[string]any{
		"clusters/odoo-lyon-staging/odoo-db": cnpgCluster("odoo-lyon-staging", ref("ClusterImageCatalog", "postgresql-global", 16)),
	}}
	for _, approved := range []bool{false, true} {
		gate := &recordingGate{decide: func(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error) {
			if approved {
				return &andon.GateResult{Allow: true, AuditIndex: 10}, nil
			}
			return &andon.GateResult{Reasons: []andon.Reason{{Code: "NO_APPROVED_CHANGE", Message: "no approved change carries it"}}, AuditIndex: 11}, nil
		}}
		rv := newReviewer(t, exampleCatalog(t), gate)
		rv.Objects = only
		resp, _ := admit(t, rv, "", clusterCatalogReview(t, global(map[int]string{16: pg18, 17: pg17}), before))
		if resp.Allowed != approved || len(gate.calls) != 1 || gate.calls[0].req.Environment != "staging-lyon" || gate.calls[0].req.Preview {
			t.Errorf("approved %v: allowed %v (%+v) after %d gate calls; want the one decision in staging-lyon to decide", approved, resp.Allowed, resp.Result, len(gate.calls))
		}
	}

	// A deletion changes no Cluster's image until a Cluster names the
	// catalog again, which is then asked about as a Cluster.
	body := mutate(t, "deployment-create", func(req map[string]any) {
		gvk := map[string]any{"group": "postgresql.cnpg.io", "version": "v1", "kind": "ClusterImageCatalog"}
		req["kind"], req["requestKind"] = gvk, gvk
		req["name"], req["operation"], req["object"], req["oldObject"] = "postgresql-global", "DELETE", nil, before
		delete(req, "namespace")
	})
	gate := &recordingGate{}
	rv = newReviewer(t, exampleCatalog(t), gate)
	if resp, outcome := admit(t, rv, "", body); !resp.Allowed || outcome != andon.AdmissionIgnored || len(gate.calls) > 0 {
		t.Errorf("delete: allowed %v, outcome %s, %d gate calls; want ignored", resp.Allowed, outcome, len(gate.calls))
	}
}

// mustAnswer checks a review's answer: its outcome, and refused with a
// message holding wantRefusal, or allowed when wantRefusal is "".
func mustAnswer(t *testing.T, resp *admissionv1.AdmissionResponse, outcome, wantOutcome, wantRefusal string) {
	t.Helper()
	if outcome != wantOutcome {
		t.Errorf("outcome = %s, want %s", outcome, wantOutcome)
	}
	if wantRefusal != "" {
		if resp.Allowed || !strings.Contains(resp.Result.Message, wantRefusal) {
			t.Fatalf("response = %+v; want refused: %q", resp.Result, wantRefusal)
		}
	} else if !resp.Allowed {
		t.Fatalf("response = %+v; want allowed", resp.Result)
	}
}
