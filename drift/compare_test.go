package drift_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/drift"
)

// desiredStack is an environment's manifests: some objects name the
// namespace, some do not, one is in another namespace, one is
// cluster-scoped and one is of a kind the cluster does not serve.
const desiredStack = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: odoo}
spec:
  replicas: 2
  template:
    spec:
      containers: [{name: odoo, image: "odoo:17.0-2026.12"}]
---
apiVersion: v1
kind: Service
metadata: {name: odoo, namespace: odoo-lyon}
spec: {ports: [{name: http, port: 8069}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: odoo-conf}
data: {workers: "4"}
---
apiVersion: v1
kind: Secret
metadata: {name: odoo-db}
stringData: {password: desired-password}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: odoo-filestore}
spec: {resources: {requests: {storage: 20Gi}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: shared, namespace: odoo-geelong}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: odoo-reader}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: odoo}
spec: {routes: []}
`

// liveStack is what the namespace holds.
var liveStack = []string{
	`{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "odoo", "namespace": "odoo-lyon"},
	  "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "odoo", "image": "odoo:17.0-2026.11"}]}}}}`,
	`{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "odoo", "namespace": "odoo-lyon"},
	  "spec": {"ports": [{"name": "http", "port": 8069, "protocol": "TCP", "targetPort": 8069}]}}`,
	`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "odoo-conf", "namespace": "odoo-lyon"}, "data": {"workers": "4"}}`,
	`{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "odoo-db", "namespace": "odoo-lyon"}, "type": "Opaque",
	  "data": {"password": "bGl2ZS1wYXNzd29yZA=="}}`,
	// Added by hand.
	`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "debug-tools", "namespace": "odoo-lyon"}}`,
	`{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "vacuum", "namespace": "odoo-lyon"}}`,
	// Made by Kubernetes, controllers and Helm.
	`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": "odoo-lyon"}}`,
	`{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "odoo-lyon"}}`,
	`{"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token", "metadata": {"name": "builder-token", "namespace": "odoo-lyon"}}`,
	`{"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1", "metadata": {"name": "sh.helm.release.v1.odoo.v3", "namespace": "odoo-lyon"}}`,
	`{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "vacuum-29012345", "namespace": "odoo-lyon",
	  "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "vacuum", "controller": true}]}}`,
	`{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "odoo-lyon"}}`,
	`{"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "odoo-7d9f", "namespace": "odoo-lyon"}}`,
}

// scope is what discovery says of the kinds of the tests: Traefik is not
// installed.
func scope(apiVersion, kind string) (served, namespaced bool) {
	switch {
	case strings.HasPrefix(apiVersion, "traefik.io/"):
		return false, false
	case kind == "ClusterRole" || kind == "Namespace":
		return true, false
	}
	return true, true
}

func mustLiveAll(tb testing.TB, docs []string) []map[string]any {
	var out []map[string]any
	for _, d := range docs {
		out = append(out, MustLive(tb, d))
	}
	return out
}

func TestCompare(t *testing.T) {
	rep, err := drift.Compare(drift.Input{
		Namespace: "odoo-lyon",
		Desired:   MustDesired(t, desiredStack),
		Live:      mustLiveAll(t, liveStack),
		Scope:     scope,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &andon.DriftReport{
		Namespace: "odoo-lyon",
		Counts:    andon.DriftCounts{Added: 2, Missing: 2, Changed: 2, Unchanged: 2, Skipped: 2},
		Objects: []andon.DriftObject{
			{Drift: "added", APIVersion: "v1", Kind: "ConfigMap", Namespace: "odoo-lyon", Name: "debug-tools"},
			{Drift: "added", APIVersion: "batch/v1", Kind: "CronJob", Namespace: "odoo-lyon", Name: "vacuum"},
			{Drift: "missing", APIVersion: "v1", Kind: "PersistentVolumeClaim", Namespace: "odoo-lyon", Name: "odoo-filestore", File: "desired.yaml", Line: 26},
			{Drift: "missing", APIVersion: "traefik.io/v1alpha1", Kind: "IngressRoute", Namespace: "odoo-lyon", Name: "odoo", File: "desired.yaml", Line: 39,
				Reason: "the cluster serves no traefik.io/v1alpha1 IngressRoute"},
			{Drift: "changed", APIVersion: "v1", Kind: "Secret", Namespace: "odoo-lyon", Name: "odoo-db", File: "desired.yaml", Line: 21,
				Fields: []andon.DriftField{{Path: "data.password", Desired: andon.RedactedValue(), Live: andon.RedactedValue(), Redacted: true}}},
			{Drift: "changed", APIVersion: "apps/v1", Kind: "Deployment", Namespace: "odoo-lyon", Name: "odoo", File: "desired.yaml", Line: 2,
				Fields: []andon.DriftField{{Path: "spec.template.spec.containers[name=odoo].image", Desired: []byte(`"odoo:17.0-2026.12"`), Live: []byte(`"odoo:17.0-2026.11"`)}}},
		},
		Skipped: []andon.DriftObject{
			{Drift: "skipped", APIVersion: "v1", Kind: "ConfigMap", Namespace: "odoo-geelong", Name: "shared", File: "desired.yaml", Line: 31,
				Reason: "in namespace odoo-geelong, not the environment's namespace odoo-lyon"},
			{Drift: "skipped", APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "odoo-reader", File: "desired.yaml", Line: 35,
				Reason: "cluster-scoped: drift compares the objects of the environment's namespace"},
		},
	}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("Compare (-want +got):\n%s", diff)
	}
	// What Compare reports, the server accepts.
	rep.Environment = "prod-lyon"
	rep.Desired = andon.DriftSource{Path: "deploy/prod-lyon"}
	if err := rep.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestCompareNothingLive(t *testing.T) {
	rep, err := drift.Compare(drift.Input{Namespace: "odoo-lyon", Desired: MustDesired(t, desiredStack)})
	if err != nil {
		t.Fatal(err)
	}
	want := andon.DriftCounts{Missing: 7, Skipped: 1}
	if diff := cmp.Diff(want, rep.Counts); diff != "" {
		t.Errorf("counts without a scope and with nothing live (-want +got):\n%s", diff)
	}
}

func TestCompareMatchesAcrossVersions(t *testing.T) {
	desired := "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: odoo}\nspec: {maxReplicas: 4}\n"
	live := `{"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "odoo", "namespace": "odoo-lyon"}, "spec": {"maxReplicas": 4}}`
	rep, err := drift.Compare(drift.Input{Namespace: "odoo-lyon", Desired: MustDesired(t, desired), Live: mustLiveAll(t, []string{live})})
	if err != nil {
		t.Fatal(err)
	}
	if want := (andon.DriftCounts{Unchanged: 1}); rep.Counts != want {
		t.Errorf("counts = %+v, want %+v: the autoscaling/v2 object is the autoscaling/v1 one", rep.Counts, want)
	}
}

func TestCompareBadInput(t *testing.T) {
	tests := []struct {
		name, desired, want string
	}{
		{"no name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: odoo-}\n", "desired.yaml:1: ConfigMap has no metadata.name: drift compares objects by name"},
		{"twice", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: odoo-lyon}\n",
			"desired.yaml:5: ConfigMap odoo-lyon/a is declared twice, first at desired.yaml:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := drift.Compare(drift.Input{Namespace: "odoo-lyon", Desired: MustDesired(t, tt.desired)})
			if err == nil || err.Error() != tt.want {
				t.Errorf("Compare error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestUnmanaged(t *testing.T) {
	tests := []struct {
		live string
		want bool
	}{
		{`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "debug-tools"}}`, true},
		{`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt"}}`, false},
		{`{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}`, false},
		{`{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "odoo"}}`, true},
		{`{"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token", "metadata": {"name": "t"}}`, false},
		{`{"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1", "metadata": {"name": "sh.helm.release.v1.odoo.v1"}}`, false},
		{`{"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {"name": "sh.helm.release.v1.odoo.v2"}}`, false},
		{`{"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {"name": "odoo-db"}}`, true},
		{`{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "ownerReferences": [{"kind": "CronJob", "name": "c", "controller": true}]}}`, false},
		{`{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "ownerReferences": [{"kind": "ConfigMap", "name": "c"}]}}`, true},
		{`{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}`, false},
		{`{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "e"}}`, false},
	}
	for _, tt := range tests {
		if got := drift.Unmanaged(MustLive(t, tt.live)); got != tt.want {
			t.Errorf("Unmanaged(%s) = %v, want %v", tt.live, got, tt.want)
		}
	}
}
