package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
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

	s := mustServeWebhook(t, cs)

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

// debugImage is the image of the debug containers of TestKubeDebug.
const debugImage = "registry.example.com/tools/debug:1.4@sha256:4444444444444444444444444444444444444444444444444444444444444444"

// odooPod is a Pod of the odoo-web Deployment of the good-production
// stack in namespace, as its ReplicaSet creates it.
func odooPod(t *testing.T, namespace string) *corev1.Pod {
	t.Helper()
	template, _, err := unstructured.NestedMap(odooDeployment(t, namespace, imageRelease).Object, "spec", "template")
	if err != nil {
		t.Fatal(err)
	}
	var tmpl corev1.PodTemplateSpec
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(template, &tmpl); err != nil {
		t.Fatal(err)
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "odoo-web-7d9c5b8f6d-x2x9z", Namespace: namespace, Labels: tmpl.Labels,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "odoo-web-7d9c5b8f6d", UID: "7d9c5b8f-0000-4000-8000-000000000001", Controller: ptr(true)}},
		},
		Spec: tmpl.Spec,
	}
}

func ptr[T any](v T) *T { return &v }

// debugContainer is the ephemeral container kubectl debug adds to the
// odoo container's Pod: with its default profile (general), which adds
// SYS_PTRACE, or with --profile=restricted.
func debugContainer(name, image string, restricted bool) corev1.EphemeralContainer {
	sc := &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_PTRACE"}}}
	if restricted {
		sc = &corev1.SecurityContext{
			RunAsNonRoot:             ptr(true),
			AllowPrivilegeEscalation: ptr(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}
	}
	return corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: name, Image: image, Stdin: true, TTY: true,
			TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			SecurityContext:          sc,
		},
		TargetContainerName: "odoo",
	}
}

// warningRecorder records the warnings the API server passes on.
type warningRecorder struct {
	mu   sync.Mutex
	list []string
}

func (w *warningRecorder) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

func (w *warningRecorder) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.list)
}

// TestKubeDebug runs kubectl debug's request against a real kube-apiserver
// (make test-k8s) with the webhook that andon kube webhook-config prints:
// a strategic merge patch of a Pod's ephemeralcontainers subresource, as
// kubectl debug sends it. In production, a debug container of kubectl's
// default profile is refused for the rules it breaks, naming them and the
// container, and one of the restricted profile for its image; in staging,
// the restricted one is admitted, with the warning of its writable root,
// and recorded as a standard change; once that is completed and a change
// of production carries the image, production admits it too.
func TestKubeDebug(t *testing.T) {
	kc := kubetest.Start(t)
	ctx := context.Background()
	cs := kc.Clientset(t)
	// The Pods run before andon governs their namespaces: their
	// Deployment was admitted then.
	for _, ns := range []string{"odoo-lyon", "odoo-lyon-staging"} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, odooPod(t, ns), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create the Pod of %s: %v", ns, err)
		}
	}

	s := mustServeWebhook(t, cs)

	seen := &warningRecorder{}
	rc := rest.CopyConfig(kc.Config)
	rc.WarningHandler = seen
	pods := func(ns string) typedcorev1.PodInterface { return kubernetes.NewForConfigOrDie(rc).CoreV1().Pods(ns) }
	pod := odooPod(t, "").Name
	debug := func(ns string, c corev1.EphemeralContainer, dryRun bool) error {
		patch, err := json.Marshal(map[string]any{"spec": map[string]any{"ephemeralContainers": []corev1.EphemeralContainer{c}}})
		if err != nil {
			t.Fatal(err)
		}
		opts := metav1.PatchOptions{}
		if dryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		_, err = pods(ns).Patch(ctx, pod, types.StrategicMergePatchType, patch, opts, "ephemeralcontainers")
		return err
	}
	ephemeral := func(ns string) []string {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range p.Spec.EphemeralContainers {
			names = append(names, c.Name)
		}
		return names
	}

	// The API server takes a moment to use a new webhook configuration:
	// a dry run, which adds nothing, is sent until andon answers it.
	general := debugContainer("debugger-g3n3r", "busybox:1.36", false)
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := debug("odoo-lyon", general, true)
		if err != nil && strings.Contains(err.Error(), `admission webhook "production.gate.andon.io"`) {
			break
		}
		if err != nil {
			t.Fatalf("dry run of kubectl debug: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the API server never asked andon about the ephemeral container")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Production, kubectl's default profile: refused for the rules.
	before := len(gateEntries(t, s))
	err := debug("odoo-lyon", general, false)
	where := "Pod odoo-lyon/odoo-web-7d9c5b8f6d-x2x9z: ephemeral container debugger-g3n3r: "
	for _, want := range []string{
		"andon refused ephemeral container debugger-g3n3r of Pod odoo-lyon/odoo-web-7d9c5b8f6d-x2x9z, which breaks the manifest policy of environment prod-lyon",
		"[allow-privilege-escalation] " + where + "allowPrivilegeEscalation is not false",
		"[image-digest] " + where + "image busybox:1.36 is not pinned by digest",
		"kubectl debug --profile=restricted",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("kubectl debug, general profile, in production: %v; want a refusal containing %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "container odoo:") {
		t.Errorf("the refusal names the Pod's own container, which broke nothing: %v", err)
	}
	if after := len(gateEntries(t, s)); after != before {
		t.Errorf("a container refused for the rules left %d gate decisions; want none", after-before)
	}

	// The same container added by a trusted controller (a service account
	// of kube-system) to this Pod, which a ReplicaSet owns, is sent and
	// refused too: the match condition leaves out what such a controller
	// writes for an owner, but not an ephemeral container.
	asController := rest.CopyConfig(kc.Config)
	asController.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:kube-system:debugger", Groups: []string{"system:masters", "system:authenticated"}}
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"ephemeralContainers": []corev1.EphemeralContainer{general}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = kubernetes.NewForConfigOrDie(asController).CoreV1().Pods("odoo-lyon").Patch(ctx, pod, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "ephemeralcontainers")
	if want := "andon refused ephemeral container debugger-g3n3r of Pod odoo-lyon/odoo-web-7d9c5b8f6d-x2x9z"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("kubectl debug as a trusted controller, in production: %v; want a refusal containing %q", err, want)
	}

	// Production, the restricted profile: the rules pass it, and the gate
	// refuses an image no approved change carries.
	err = debug("odoo-lyon", debugContainer("debugger-r3str", debugImage, true), false)
	if want := "andon's gate refused image " + debugImage + " of ephemeral container debugger-r3str of Pod odoo-lyon/odoo-web-7d9c5b8f6d-x2x9z in environment prod-lyon"; err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "NO_APPROVED_CHANGE") {
		t.Fatalf("kubectl debug, restricted profile, in production without a change: %v; want %q", err, want)
	}
	if got := ephemeral("odoo-lyon"); len(got) != 0 {
		t.Fatalf("the production Pod has ephemeral containers %v after every one was refused", got)
	}

	// Staging: admitted, with the warning of its writable root, and
	// recorded as a standard change of the Kubernetes user.
	if err := debug("odoo-lyon-staging", debugContainer("debugger-st4g3", debugImage, true), false); err != nil {
		t.Fatalf("kubectl debug, restricted profile, in staging: %v", err)
	}
	if got := ephemeral("odoo-lyon-staging"); !slices.Equal(got, []string{"debugger-st4g3"}) {
		t.Errorf("the staging Pod's ephemeral containers are %v, want [debugger-st4g3]", got)
	}
	if want := "andon [read-only-root-filesystem]: Pod odoo-lyon-staging/odoo-web-7d9c5b8f6d-x2x9z: ephemeral container debugger-st4g3: "; !slices.ContainsFunc(seen.all(), func(w string) bool { return strings.HasPrefix(w, want) }) {
		t.Errorf("warnings %q; want one starting %q", seen.all(), want)
	}
	staged := mustJSON[struct{ Changes []andon.Change }](t, s, "alice", 0, "change", "list", "--env", "staging-lyon", "--state", "implementing").Changes
	if len(staged) != 1 || !slices.Equal(staged[0].Artifacts, []string{debugImage}) || !strings.HasPrefix(staged[0].Requester, "kubernetes:") {
		t.Fatalf("staging changes = %+v; want one for the debug image, requested by the Kubernetes user", staged)
	}
	if r := s.as(t, "dave", "change", "complete", staged[0].ID); r.code != 0 {
		t.Fatalf("complete: %s", r.stderr)
	}

	// Production again: once a change carries the image, promoted from
	// staging and in its window, it is admitted.
	mustApprovedNow(t, s, debugImage)
	err = debug("odoo-lyon", debugContainer("debugger-r3str", debugImage, true), false)
	if frozenNow(t, s, "prod-lyon") {
		if err == nil || !strings.Contains(err.Error(), "FROZEN") {
			t.Fatalf("during a freeze: %v; want refused FROZEN", err)
		}
	} else if err != nil {
		t.Fatalf("kubectl debug, restricted profile, with an approved change: %v", err)
	} else if got := ephemeral("odoo-lyon"); !slices.Equal(got, []string{"debugger-r3str"}) {
		t.Errorf("the production Pod's ephemeral containers are %v, want [debugger-r3str]", got)
	}
}

// mustServeWebhook starts andon serve with its admission webhook over TLS
// and registers it with the API server of cs, as andon kube
// webhook-config prints its configuration for cluster eu-1.
func mustServeWebhook(t *testing.T, cs kubernetes.Interface) *liveServer {
	t.Helper()
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
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(context.Background(), &cfg, metav1.CreateOptions{}); err != nil {
		t.Fatalf("the API server refuses the configuration andon prints: %v", err)
	}
	return s
}
