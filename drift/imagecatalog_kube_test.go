package drift_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/admission"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/drift"
	"github.com/andon-governance/andon/examples"
	"github.com/andon-governance/andon/internal/kubetest"
	"github.com/andon-governance/andon/policy"
)

var (
	imageCatalogs        = schema.GroupVersionResource{Group: "postgresql.cnpg.io", Version: "v1", Resource: "imagecatalogs"}
	clusterImageCatalogs = schema.GroupVersionResource{Group: "postgresql.cnpg.io", Version: "v1", Resource: "clusterimagecatalogs"}
	cnpgClusters         = schema.GroupVersionResource{Group: "postgresql.cnpg.io", Version: "v1", Resource: "clusters"}
)

// imageGate stands in for the gate: it allows, and records the images
// it was asked about.
type imageGate struct {
	mu     sync.Mutex
	images []string
	envs   []string
}

func (g *imageGate) Decide(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.images = append(g.images, req.Image)
	g.envs = append(g.envs, req.Environment)
	return &andon.GateResult{Allow: true}, nil
}

// mustImageCatalogCRDs installs CloudNativePG's two image catalog kinds
// and its Clusters, their spec unchecked, and waits until the API server
// serves them.
func mustImageCatalogCRDs(t *testing.T, kc *kubetest.Cluster) {
	t.Helper()
	ctx := t.Context()
	dyn := kc.Dynamic(t)
	crds := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	for _, k := range []struct{ kind, plural, scope string }{
		{"ImageCatalog", "imagecatalogs", "Namespaced"},
		{"ClusterImageCatalog", "clusterimagecatalogs", "Cluster"},
		{"Cluster", "clusters", "Namespaced"},
	} {
		crd := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apiextensions.k8s.io/v1",
			"kind":       "CustomResourceDefinition",
			"metadata":   map[string]any{"name": k.plural + ".postgresql.cnpg.io"},
			"spec": map[string]any{
				"group": "postgresql.cnpg.io",
				"names": map[string]any{"kind": k.kind, "plural": k.plural, "singular": strings.ToLower(k.kind), "listKind": k.kind + "List"},
				"scope": k.scope,
				"versions": []any{map[string]any{
					"name": "v1", "served": true, "storage": true,
					"schema": map[string]any{"openAPIV3Schema": map[string]any{
						"type": "object",
						"properties": map[string]any{
							"spec": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true},
						},
					}},
				}},
			},
		}}
		if _, err := dyn.Resource(crds).Create(ctx, crd, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create the CRD of %s: %v", k.kind, err)
		}
	}
	// A CRD is served a moment after it is created.
	deadline := time.Now().Add(time.Minute)
	for _, res := range []schema.GroupVersionResource{imageCatalogs, clusterImageCatalogs, cnpgClusters} {
		for {
			_, err := dyn.Resource(res).List(ctx, metav1.ListOptions{})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not served a minute after its CRD was created: %v", res.Resource, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// The admission webhook reads the image catalog a CloudNativePG Cluster
// names from the API server, and asks the gate about its image; it may
// read it only with get on image catalogs, and a missing one is
// ENOTFOUND.
func TestKubeImageCatalogs(t *testing.T) {
	kc := kubetest.Start(t)
	ctx := t.Context()
	cs := kc.Clientset(t)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "odoo-lyon"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mustImageCatalogCRDs(t, kc)
	const pg16 = "ghcr.io/cloudnative-pg/postgresql:16.4@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	ic := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "postgresql.cnpg.io/v1",
		"kind":       "ImageCatalog",
		"metadata":   map[string]any{"name": "postgresql", "namespace": "odoo-lyon"},
		"spec":       map[string]any{"images": []any{map[string]any{"major": int64(16), "image": pg16}}},
	}}
	if _, err := kc.Dynamic(t).Resource(imageCatalogs).Namespace("odoo-lyon").Create(ctx, ic, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// andon's service account, which may get image catalogs and nothing
	// else, as the Helm chart's ClusterRole grants.
	cfg := rest.CopyConfig(kc.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:andon:andon"}
	c, err := drift.NewCluster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, imageCatalogs, "odoo-lyon", "postgresql"); andon.ErrorCode(err) != andon.EFORBIDDEN {
		t.Errorf("get without a role: %v (code %s), want EFORBIDDEN", err, andon.ErrorCode(err))
	}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "andon-image-catalogs"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"postgresql.cnpg.io"}, Resources: []string{"imagecatalogs", "clusterimagecatalogs"}, Verbs: []string{"get"}}},
	}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "andon-image-catalogs"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "andon", Namespace: "andon"}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The API server's authorizer sees a new binding a moment later.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		_, err := c.Get(ctx, clusterImageCatalogs, "", "postgresql-global")
		if andon.ErrorCode(err) == andon.EFORBIDDEN && time.Now().Before(deadline) {
			continue
		}
		if andon.ErrorCode(err) != andon.ENOTFOUND {
			t.Errorf("get of a missing ClusterImageCatalog: %v (code %s), want ENOTFOUND", err, andon.ErrorCode(err))
		}
		break
	}

	rv, gate := exampleReviewer(t, ctx, c)
	review := map[string]any{
		"apiVersion": "admission.k8s.io/v1",
		"kind":       "AdmissionReview",
		"request": map[string]any{
			"uid":       "b7a1e0c2-0000-4000-8000-000000000001",
			"kind":      map[string]any{"group": "postgresql.cnpg.io", "version": "v1", "kind": "Cluster"},
			"resource":  map[string]any{"group": "postgresql.cnpg.io", "version": "v1", "resource": "clusters"},
			"name":      "odoo-db",
			"namespace": "odoo-lyon",
			"operation": "CREATE",
			"userInfo":  map[string]any{"username": "system:serviceaccount:argocd:argocd-application-controller"},
			"object": map[string]any{
				"apiVersion": "postgresql.cnpg.io/v1",
				"kind":       "Cluster",
				"metadata":   map[string]any{"name": "odoo-db", "namespace": "odoo-lyon"},
				"spec": map[string]any{
					"instances":       3,
					"imageCatalogRef": map[string]any{"apiGroup": "postgresql.cnpg.io", "kind": "ImageCatalog", "name": "postgresql", "major": 16},
					"storage":         map[string]any{"size": "50Gi"},
					"backup": map[string]any{
						"retentionPolicy":   "30d",
						"barmanObjectStore": map[string]any{"destinationPath": "s3://backups/odoo-lyon", "wal": map[string]any{"compression": "gzip"}},
					},
					"postgresql": map[string]any{"parameters": map[string]any{"archive_timeout": "5min"}},
				},
			},
		},
	}
	body, err := json.Marshal(review)
	if err != nil {
		t.Fatal(err)
	}
	answer, outcome, err := rv.Admit(ctx, "", body)
	if err != nil {
		t.Fatal(err)
	}
	if outcome != andon.AdmissionAllowed || len(gate.images) != 1 || gate.images[0] != pg16 {
		t.Errorf("outcome %s, images asked about %q; want allowed, %s\n%s", outcome, gate.images, pg16, answer)
	}
}

// The admission webhook lists the CloudNativePG Clusters of every
// namespace that use a ClusterImageCatalog, with list on clusters (as the
// Helm chart's ClusterRole grants, and without it EFORBIDDEN), and asks
// the gate about an image the catalog changes in the environment of each
// governed one.
func TestKubeClusterImageCatalogUsers(t *testing.T) {
	kc := kubetest.Start(t)
	ctx := t.Context()
	cs := kc.Clientset(t)
	mustImageCatalogCRDs(t, kc)
	const (
		pg16 = "ghcr.io/cloudnative-pg/postgresql:16.4@sha256:1111111111111111111111111111111111111111111111111111111111111111"
		pg17 = "ghcr.io/cloudnative-pg/postgresql:17.2@sha256:2222222222222222222222222222222222222222222222222222222222222222"
	)
	for _, ns := range []string{"odoo-lyon-staging", "odoo-dev", "ungoverned"} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		major := int64(16)
		if ns == "odoo-dev" {
			major = 17
		}
		cluster := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "postgresql.cnpg.io/v1",
			"kind":       "Cluster",
			"metadata":   map[string]any{"name": "odoo-db", "namespace": ns},
			"spec": map[string]any{"instances": int64(1), "imageCatalogRef": map[string]any{
				"apiGroup": "postgresql.cnpg.io", "kind": "ClusterImageCatalog", "name": "postgresql-global", "major": major}},
		}}
		if _, err := kc.Dynamic(t).Resource(cnpgClusters).Namespace(ns).Create(ctx, cluster, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	cfg := rest.CopyConfig(kc.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:andon:andon"}
	c, err := drift.NewCluster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.List(ctx, cnpgClusters, ""); andon.ErrorCode(err) != andon.EFORBIDDEN {
		t.Errorf("list without a role: %v (code %s), want EFORBIDDEN", err, andon.ErrorCode(err))
	}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "andon-image-catalogs"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"postgresql.cnpg.io"}, Resources: []string{"imagecatalogs", "clusterimagecatalogs"}, Verbs: []string{"get"}},
			{APIGroups: []string{"postgresql.cnpg.io"}, Resources: []string{"clusters"}, Verbs: []string{"list"}},
		},
	}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "andon-image-catalogs"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "andon", Namespace: "andon"}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The API server's authorizer sees a new binding a moment later.
	var clusters []map[string]any
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		clusters, err = c.List(ctx, cnpgClusters, "")
		if andon.ErrorCode(err) == andon.EFORBIDDEN && time.Now().Before(deadline) {
			continue
		}
		if err != nil || len(clusters) != 3 {
			t.Fatalf("list of the Clusters of every namespace: %d, %v; want 3", len(clusters), err)
		}
		break
	}

	rv, gate := exampleReviewer(t, ctx, c)
	entries := func(images ...string) map[string]any {
		var list []any
		for i, img := range images {
			list = append(list, map[string]any{"major": 16 + i, "image": img})
		}
		return map[string]any{
			"apiVersion": "postgresql.cnpg.io/v1",
			"kind":       "ClusterImageCatalog",
			"metadata":   map[string]any{"name": "postgresql-global"},
			"spec":       map[string]any{"images": list},
		}
	}
	body, err := json.Marshal(map[string]any{
		"apiVersion": "admission.k8s.io/v1",
		"kind":       "AdmissionReview",
		"request": map[string]any{
			"uid":       "b7a1e0c2-0000-4000-8000-000000000002",
			"kind":      map[string]any{"group": "postgresql.cnpg.io", "version": "v1", "kind": "ClusterImageCatalog"},
			"resource":  map[string]any{"group": "postgresql.cnpg.io", "version": "v1", "resource": "clusterimagecatalogs"},
			"name":      "postgresql-global",
			"operation": "UPDATE",
			"userInfo":  map[string]any{"username": "platform-admin"},
			"object":    entries(pg17, pg17),
			"oldObject": entries(pg16, pg17),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	answer, outcome, err := rv.Admit(ctx, "", body)
	if err != nil {
		t.Fatal(err)
	}
	// One question: the major 16 of staging-lyon's Cluster changed; the
	// Cluster of an ungoverned namespace, and dev's of major 17, ask
	// nothing.
	if outcome != andon.AdmissionAllowed || !slices.Equal(gate.images, []string{pg17}) || !slices.Equal(gate.envs, []string{"staging-lyon"}) {
		t.Errorf("outcome %s, images asked about %q in %q; want allowed, %s in staging-lyon\n%s", outcome, gate.images, gate.envs, pg17, answer)
	}
}

// exampleReviewer returns a webhook's reviewer of the example catalog and
// the default policy that reads the cluster through objects, with a gate
// that records what it is asked.
func exampleReviewer(t *testing.T, ctx context.Context, objects admission.Objects) (*admission.Reviewer, *imageGate) {
	t.Helper()
	cat, err := catalog.LoadFS(examples.Catalog, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.New(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	gate := &imageGate{}
	return &admission.Reviewer{Catalog: andon.NewCatalogHolder(cat), Gate: gate, Policy: pol, Objects: objects}, gate
}
