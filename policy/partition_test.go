package policy

import (
	"fmt"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"
)

func objects(t *testing.T, docs ...string) []ManifestObject {
	t.Helper()
	objs := make([]ManifestObject, len(docs))
	for i, d := range docs {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatal(err)
		}
		objs[i] = ManifestObject{Doc: m}
	}
	return objs
}

func TestPartition(t *testing.T) {
	deploy := func(ns string) string {
		return fmt.Sprintf("{apiVersion: apps/v1, kind: Deployment, metadata: {name: odoo, namespace: %s}}", ns)
	}
	route := func(ns, match string, extra string) string {
		return fmt.Sprintf("{apiVersion: traefik.io/v1alpha1, kind: IngressRoute, metadata: {name: odoo, namespace: %s}, spec: {routes: [{match: %q %s}]}}", ns, match, extra)
	}
	tests := []struct {
		name string
		docs []string
		want [][]int
	}{
		{"namespaces apart", []string{deploy("a"), deploy("b"), deploy("a")}, [][]int{{0, 2}, {1}}},
		{"a Namespace goes with its objects", []string{deploy("a"), "{apiVersion: v1, kind: Namespace, metadata: {name: b}}", deploy("b")}, [][]int{{0}, {1, 2}}},
		{"one namespace", []string{deploy("a"), deploy("a")}, [][]int{{0, 1}}},
		{"an object of no namespace", []string{deploy("a"), deploy("b"), "{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}"}, [][]int{{0, 1, 2}}},
		{"a reference by namespace", []string{deploy("a"), deploy("b"), route("a", "Host(`x.example.com`)", ", services: [{name: odoo, namespace: b, port: 8069}]")}, [][]int{{0, 1, 2}}},
		{"a kubernetescrd middleware", []string{deploy("a"), deploy("b"),
			"{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: i, namespace: a, annotations: {traefik.ingress.kubernetes.io/router.middlewares: 'b-allow@kubernetescrd'}}, spec: {rules: [{host: x.example.com}]}}"},
			[][]int{{0, 1, 2}}},
		{"a longer name is not a mention", []string{deploy("odoo-1"), deploy("odoo-10"), deploy("odoo-2")}, [][]int{{0}, {1}, {2}}},
		{"a DNS name is", []string{deploy("a"), "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: b}, data: {host: redis.a.svc.cluster.local}}"}, [][]int{{0, 1}}},
		{"one host in two namespaces", []string{route("a", "Host(`erp.example.com`) && PathPrefix(`/`)", ""), route("b", "Host(`ERP.example.com`) && PathPrefix(`/web/database`)", ""), deploy("c")}, [][]int{{0, 1}, {2}}},
		{"a route without a host", []string{route("a", "PathPrefix(`/web/database`)", ""), deploy("b")}, [][]int{{0, 1}}},
		{"a host pattern", []string{route("a", "HostRegexp(`.+`)", ""), deploy("b")}, [][]int{{0, 1}}},
		{"an Ingress without a host", []string{"{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: i, namespace: a}, spec: {rules: [{http: {}}]}}", deploy("b")}, [][]int{{0, 1}}},
		{"the default TLSOption", []string{"{apiVersion: traefik.io/v1alpha1, kind: TLSOption, metadata: {name: default, namespace: a}}", deploy("b")}, [][]int{{0, 1}}},
		{"another TLSOption", []string{"{apiVersion: traefik.io/v1alpha1, kind: TLSOption, metadata: {name: modern, namespace: a}}", deploy("b")}, [][]int{{0}, {1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := partition(objects(t, tt.docs...))
			if !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("groups = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMentions(t *testing.T) {
	for _, tt := range []struct {
		s, name string
		want    bool
	}{
		{"odoo-lyon", "odoo-lyon", true},
		{"odoo-lyon-redirect@kubernetescrd", "odoo-lyon", true},
		{"redis.odoo-lyon.svc", "odoo-lyon", true},
		{"x,odoo-lyon-allow@kubernetescrd", "odoo-lyon", true},
		{"odoo-lyon2", "odoo-lyon", false},
		{"my-odoo-lyon", "odoo-lyon", false},
		{"odoo-lyon2 odoo-lyon", "odoo-lyon", true},
		{"odoo", "odoo-lyon", false},
	} {
		if got := mentions(tt.s, tt.name); got != tt.want {
			t.Errorf("mentions(%q, %q) = %v", tt.s, tt.name, got)
		}
	}
}
