package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/internal/kubetest"
)

var deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

// odooDeployment is the odoo-web Deployment of the good-production stack
// in namespace with image: the manifest a pipeline applies.
func odooDeployment(t *testing.T, namespace, image string) *unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stacks, "good-production", "odoo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(b), "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetKind() != "Deployment" || u.GetName() != "odoo-web" {
			continue
		}
		u.SetNamespace(namespace)
		containers, _, _ := unstructured.NestedSlice(m, "spec", "template", "spec", "containers")
		containers[0].(map[string]any)["image"] = image
		if err := unstructured.SetNestedSlice(m, containers, "spec", "template", "spec", "containers"); err != nil {
			t.Fatal(err)
		}
		return u
	}
	t.Fatal("no Deployment odoo-web in the good-production stack")
	return nil
}

// TestKubeAdmissionAndDrift runs andon against a real kube-apiserver (make
// test-k8s): it registers the webhook that andon kube webhook-config
// prints, sees a manifest that breaks a rule and a Deployment with an
// unapproved digest refused with andon's messages, approves the change
// and sees the Deployment admitted, then changes the live Deployment and
// sees andon drift report it.
func TestKubeAdmissionAndDrift(t *testing.T) {
	kc := kubetest.Start(t)
	ctx := context.Background()
	cs, dc := kc.Clientset(t), kc.Dynamic(t)
	for _, ns := range []string{"odoo-lyon", "odoo-lyon-staging"} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	certs := mustWebhookTLS(t)
	s := MustServe(t, t.TempDir(), "--admission-addr", "127.0.0.1:0", "--tls-cert", certs.certFile, "--tls-key", certs.keyFile)
	base := strings.TrimSuffix(s.admissionURL(t), "/api/v1/admission")
	r := runCLI(t, nil, "kube", "webhook-config", "--catalog", exampleCatalog, "--url", base, "--ca-bundle", certs.caFile, "--cluster", "eu-1", "-o", "json")
	if r.code != 0 {
		t.Fatalf("webhook-config: exit %d: %s", r.code, r.stderr)
	}
	var cfg admissionregistrationv1.ValidatingWebhookConfiguration
	if err := json.Unmarshal([]byte(r.stdout), &cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &cfg, metav1.CreateOptions{}); err != nil {
		t.Fatalf("the API server refuses the configuration andon prints: %v", err)
	}

	// A ConfigMap that holds odoo.conf with the master password breaks a
	// deny rule. The API server takes a moment to use a new webhook
	// configuration: until it refuses, the ConfigMap is deleted again.
	conf := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "odoo-conf", Namespace: "odoo-lyon"},
		Data:       map[string]string{"odoo.conf": "[options]\nadmin_passwd = S3cr3t\nlist_db = False\ndb_name = lyon\n"},
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := cs.CoreV1().ConfigMaps("odoo-lyon").Create(ctx, conf, metav1.CreateOptions{})
		if err != nil {
			if !strings.Contains(err.Error(), "[odoo-conf-password-in-configmap]") {
				t.Fatalf("ConfigMap with admin_passwd: %v; want andon's refusal naming the rule", err)
			}
			break
		}
		if err := cs.CoreV1().ConfigMaps("odoo-lyon").Delete(ctx, conf.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the API server never asked andon about the ConfigMap")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Staging: the deployment is recorded as a standard change and
	// admitted; completing it is the evidence production asks for.
	staging := dc.Resource(deployments).Namespace("odoo-lyon-staging")
	if _, err := staging.Create(ctx, odooDeployment(t, "odoo-lyon-staging", imageRelease), metav1.CreateOptions{}); err != nil {
		t.Fatalf("staging deployment refused: %v", err)
	}
	staged := mustJSON[struct{ Changes []andon.Change }](t, s, "alice", 0, "change", "list", "--env", "staging-lyon", "--state", "implementing").Changes
	if len(staged) != 1 || !strings.HasPrefix(staged[0].Requester, "kubernetes:") {
		t.Fatalf("staging changes = %+v; want one requested by the Kubernetes user", staged)
	}
	if r := s.as(t, "dave", "change", "complete", staged[0].ID); r.code != 0 {
		t.Fatalf("complete: %s", r.stderr)
	}

	// Production: no approved change for the digest, so it is refused,
	// and a server-side dry run is refused too, without a record.
	prod := dc.Resource(deployments).Namespace("odoo-lyon")
	before := len(gateEntries(t, s))
	_, err := prod.Create(ctx, odooDeployment(t, "odoo-lyon", imageRelease), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err == nil || !strings.Contains(err.Error(), "NO_APPROVED_CHANGE") {
		t.Fatalf("dry run without a change: %v; want refused with NO_APPROVED_CHANGE", err)
	}
	if after := len(gateEntries(t, s)); after != before {
		t.Errorf("a dry run left %d gate decisions; want none", after-before)
	}
	_, err = prod.Create(ctx, odooDeployment(t, "odoo-lyon", imageRelease), metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "andon's gate refused image "+imageRelease) || !strings.Contains(err.Error(), "NO_APPROVED_CHANGE") {
		t.Fatalf("production without a change: %v; want andon's refusal", err)
	}

	ch := mustApprovedNow(t, s, imageRelease)
	_, err = prod.Create(ctx, odooDeployment(t, "odoo-lyon", imageRelease), metav1.CreateOptions{})
	if frozenNow(t, s, "prod-lyon") {
		if err == nil || !strings.Contains(err.Error(), "FROZEN") {
			t.Fatalf("during a freeze: %v; want refused FROZEN", err)
		}
	} else {
		if err != nil {
			t.Fatalf("approved change in its window: %v", err)
		}
		if got := mustJSON[andon.Change](t, s, "alice", 0, "change", "show", ch.ID); got.State != andon.StateImplementing {
			t.Errorf("after admission the change is %s, want implementing", got.State)
		}
	}

	// Drift, on staging: the desired manifest is what was applied.
	desired := t.TempDir()
	b, err := yaml.Marshal(odooDeployment(t, "", imageRelease).Object)
	if err != nil {
		t.Fatal(err)
	}
	mustWriteFile(t, filepath.Join(desired, "odoo.yaml"), string(b))
	drift := func(want int) string {
		t.Helper()
		r := s.as(t, "alice", "drift", "--env", "staging-lyon", "--desired", desired, "--kubeconfig", kc.Kubeconfig)
		if r.code != want {
			t.Fatalf("andon drift: exit %d, want %d\n%s%s", r.code, want, r.stdout, r.stderr)
		}
		return r.stdout
	}
	drift(0)
	// Someone scales it by hand.
	if _, err := staging.Patch(ctx, "odoo-web", types.MergePatchType, []byte(`{"spec":{"replicas":5}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if out := drift(1); !strings.Contains(out, "spec.replicas") {
		t.Errorf("drift report lacks spec.replicas:\n%s", out)
	}
	checks := mustJSON[struct{ Entries []andon.Entry }](t, s, "frank", 0, "audit", "entries", "--type", "drift.checked").Entries
	if len(checks) != 2 {
		t.Errorf("drift.checked entries = %d, want 2", len(checks))
	}
	if m := mustGet(t, s.url+"/metrics"); !strings.Contains(m, `andon_drift_objects{environment="staging-lyon",kind="changed"} 1`) {
		t.Errorf("metrics lack the changed object of staging-lyon")
	}
}
