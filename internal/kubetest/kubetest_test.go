package kubetest_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/andon-governance/andon/internal/kubetest"
)

// denyLabel marks the Deployments the test webhook denies, with
// denyMessage.
const (
	denyLabel   = "kubetest.andon.dev/deny"
	denyMessage = "kubetest denies this Deployment"
)

// TestKubeAPIServer starts a cluster and checks what the end-to-end tests
// rely on: the administrator's credentials, in the client configuration
// and in the kubeconfig file, and an admission webhook served by the test
// on a loopback URL, which the API server calls and whose denial reaches
// the client with its message.
func TestKubeAPIServer(t *testing.T) {
	c := kubetest.Start(t)
	ctx := t.Context()
	cs := c.Clientset(t)

	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != kubetest.Version {
		t.Errorf("server version %q, want %q", v.GitVersion, kubetest.Version)
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	review, err := kubernetes.NewForConfigOrDie(cfg).AuthenticationV1().SelfSubjectReviews().
		Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("as the kubeconfig's user: %v", err)
	}
	if u := review.Status.UserInfo; !slices.Contains(u.Groups, "system:masters") {
		t.Errorf("the kubeconfig's user is %q in %q, want a member of system:masters", u.Username, u.Groups)
	}

	var calls atomic.Int32
	webhook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		denyLabelled(t, w, r)
	}))
	t.Cleanup(webhook.Close)

	const ns = "kubetest-smoke"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	registerWebhook(t, cs, ns, webhook)

	denied := deployment("denied")
	denied.Labels = map[string]string{denyLabel: "true"}
	waitForWebhook(t, cs, ns, denied)
	_, err = cs.AppsV1().Deployments(ns).Create(ctx, denied, metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), denyMessage) {
		t.Fatalf("creating a Deployment the webhook denies: error %v, want one containing %q", err, denyMessage)
	}
	t.Logf("denied: %v (HTTP %d)", err, apiStatus(err))

	before := calls.Load()
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, deployment("allowed"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a Deployment the webhook allows: %v", err)
	}
	if calls.Load() == before {
		t.Error("the webhook was not called for the allowed Deployment")
	}
	list, err := c.Dynamic(t).Resource(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}).
		Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range list.Items {
		names = append(names, d.GetName())
	}
	if !slices.Equal(names, []string{"allowed"}) {
		t.Errorf("stored Deployments %q, want [allowed]", names)
	}
}

// denyLabelled answers an AdmissionReview: it denies a Deployment labelled
// denyLabel=true and allows anything else.
func denyLabelled(t *testing.T, w http.ResponseWriter, r *http.Request) {
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
		t.Errorf("webhook: bad AdmissionReview: %v", err)
		http.Error(w, "bad AdmissionReview", http.StatusBadRequest)
		return
	}
	var d appsv1.Deployment
	if err := json.Unmarshal(review.Request.Object.Raw, &d); err != nil {
		t.Errorf("webhook: %v", err)
	}
	resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	if d.Labels[denyLabel] == "true" {
		resp.Allowed = false
		resp.Result = &metav1.Status{Message: denyMessage}
	}
	review.Request, review.Response = nil, resp
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(review)
}

// registerWebhook registers srv as the validating webhook of Deployments
// created in namespace ns.
func registerWebhook(t *testing.T, cs kubernetes.Interface, ns string, srv *httptest.Server) {
	t.Helper()
	fail := admissionregistrationv1.Fail
	none := admissionregistrationv1.SideEffectClassNone
	url := srv.URL + "/api/v1/admission"
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "kubetest-deny"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name: "deny.kubetest.andon.dev",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{
				URL:      &url,
				CABundle: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}),
			},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{
					APIGroups:   []string{"apps"},
					APIVersions: []string{"v1"},
					Resources:   []string{"deployments"},
				},
			}},
			NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{corev1.LabelMetadataName: ns},
			},
			FailurePolicy:           &fail,
			SideEffects:             &none,
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(t.Context(), cfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitForWebhook waits until the API server calls the new webhook: it
// learns of webhook configurations through a watch, so a request right
// after the configuration is created may pass without it. The probe is a
// dry run of creating d, which the webhook is to deny; a dry run calls a
// webhook without side effects but stores nothing.
func waitForWebhook(t *testing.T, cs kubernetes.Interface, ns string, d *appsv1.Deployment) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		_, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil && strings.Contains(err.Error(), denyMessage) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the API server did not call the webhook within 30s; the last dry run returned %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// deployment returns a minimal valid Deployment named name.
func deployment(name string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{Name: "app", Image: "registry.example.com/app:1"}},
				},
			},
		},
	}
}

// apiStatus returns the HTTP status of an API error, or 0.
func apiStatus(err error) int32 {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return status.Status().Code
	}
	return 0
}
