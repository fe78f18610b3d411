package drift_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/andon-governance/andon/drift"
	"github.com/andon-governance/andon/internal/kubetest"
)

// liveApplied is what was applied to the namespace some time ago, and
// liveDesired what the repository holds now: the image moved on, a
// password was rotated, a Service was added, a ConfigMap was created by
// hand. Quantities, numbers and the order of named lists are written
// differently on purpose: they are not drift.
const liveApplied = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: odoo, namespace: odoo-lyon, labels: {app: odoo}}
spec:
  replicas: 2
  selector: {matchLabels: {app: odoo}}
  template:
    metadata: {labels: {app: odoo}}
    spec:
      containers:
        - name: odoo
          image: registry.example.com/odoo/odoo-lyon:17.0-2026.11
          ports: [{name: http, containerPort: 8069}, {name: longpolling, containerPort: 8072}]
          env: [{name: PGHOST, value: pg-rw}]
          resources: {limits: {cpu: "2", memory: 4096Mi}, requests: {cpu: "0.5", memory: 1.5Gi}}
---
apiVersion: v1
kind: Service
metadata: {name: odoo, namespace: odoo-lyon}
spec:
  selector: {app: odoo}
  ports: [{name: http, port: 8069, targetPort: 8069}, {name: longpolling, port: 8072, targetPort: longpolling}]
---
apiVersion: v1
kind: Secret
metadata: {name: odoo-db, namespace: odoo-lyon}
stringData: {password: live-password}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: odoo-conf, namespace: odoo-lyon}
data: {workers: "4"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: debug-tools, namespace: odoo-lyon}
data: {x: "1"}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: odoo-filestore, namespace: odoo-lyon}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 20Gi}}}
`

const liveDesired = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: odoo, labels: {app: odoo}}
spec:
  replicas: 2
  selector: {matchLabels: {app: odoo}}
  template:
    metadata: {labels: {app: odoo}, creationTimestamp: null}
    spec:
      containers:
        - name: odoo
          image: registry.example.com/odoo/odoo-lyon:17.0-2026.12
          ports: [{name: longpolling, containerPort: 8072}, {name: http, containerPort: 8069}]
          env: [{name: PGHOST, value: pg-rw}]
          resources: {limits: {cpu: 2, memory: 4Gi}, requests: {cpu: 500m, memory: 1536Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: odoo}
spec:
  selector: {app: odoo}
  ports: [{name: http, port: 8069, targetPort: 8069}, {name: longpolling, port: 8072, targetPort: longpolling}]
---
apiVersion: v1
kind: Secret
metadata: {name: odoo-db}
stringData: {password: desired-password}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: odoo-conf}
data: {workers: "4"}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: odoo-filestore}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 20480Mi}}}
---
apiVersion: v1
kind: Service
metadata: {name: odoo-missing}
spec: {ports: [{port: 80}]}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: odoo}
spec: {routes: []}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: odoo-reader}
`

// TestKubeDrift compares desired manifests with objects that a real API
// server stored and defaulted (make test-k8s).
func TestKubeDrift(t *testing.T) {
	kc := kubetest.Start(t)
	ctx := context.Background()
	cs := kc.Clientset(t)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "odoo-lyon"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dyn := kc.Dynamic(t)
	resources := map[string]schema.GroupVersionResource{
		"Deployment":            {Group: "apps", Version: "v1", Resource: "deployments"},
		"Service":               {Version: "v1", Resource: "services"},
		"Secret":                {Version: "v1", Resource: "secrets"},
		"ConfigMap":             {Version: "v1", Resource: "configmaps"},
		"PersistentVolumeClaim": {Version: "v1", Resource: "persistentvolumeclaims"},
	}
	for _, o := range MustDesired(t, liveApplied) {
		b, err := yaml.Marshal(o.Doc)
		if err != nil {
			t.Fatal(err)
		}
		js, err := yaml.YAMLToJSON(b)
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			t.Fatal(err)
		}
		if _, err := dyn.Resource(resources[o.Kind]).Namespace("odoo-lyon").Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s: %v", o.Kind, err)
		}
	}
	cfg, err := drift.RESTConfig(kc.Kubeconfig, "", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	c, err := drift.NewCluster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.Check(ctx, "odoo-lyon", MustDesired(t, liveDesired))
	if err != nil {
		t.Fatal(err)
	}

	var got []string
	for _, o := range append(rep.Objects, rep.Skipped...) {
		line := o.Drift + " " + o.Kind + "/" + o.Name
		for _, f := range o.Fields {
			line += " " + f.Path
			if f.Redacted && (strings.Contains(string(f.Desired), "password") || strings.Contains(string(f.Live), "password")) {
				t.Errorf("%s: a Secret's value is shown: %s / %s", o.Name, f.Desired, f.Live)
			}
		}
		got = append(got, line)
	}
	sort.Strings(got)
	want := []string{
		"added ConfigMap/debug-tools",
		"changed Deployment/odoo spec.template.spec.containers[name=odoo].image",
		"changed Secret/odoo-db data.password",
		"missing IngressRoute/odoo",
		"missing Service/odoo-missing",
		"skipped ClusterRole/odoo-reader",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("report:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The ports in another order, 2 for "2", 4Gi for 4096Mi, 500m for
	// 0.5, 1536Mi for 1.5Gi and 20480Mi for 20Gi are the same: the
	// Service, the ConfigMap and the claim are unchanged.
	if rep.Counts.Unchanged != 3 {
		t.Errorf("unchanged = %d, want 3 (Service odoo, ConfigMap odoo-conf, PersistentVolumeClaim odoo-filestore)", rep.Counts.Unchanged)
	}
}
