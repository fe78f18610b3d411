package admission_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/admission"
)

const testCA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

func TestConfiguration(t *testing.T) {
	cat := exampleCatalog(t)
	cfg, err := admission.Configuration(cat, admission.ConfigOptions{Service: "andon/andon", CABundle: []byte(testCA)})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIVersion != "admissionregistration.k8s.io/v1" || cfg.Kind != "ValidatingWebhookConfiguration" || cfg.Name != "andon" {
		t.Errorf("header = %s %s %s", cfg.APIVersion, cfg.Kind, cfg.Name)
	}
	if len(cfg.Webhooks) != 3 {
		t.Fatalf("webhooks = %d, want production, other and cluster image catalogs", len(cfg.Webhooks))
	}
	want := map[string]struct {
		namespaces []string
		failure    admissionregistrationv1.FailurePolicyType
	}{
		"production.gate.andon.io": {[]string{"odoo-geelong", "odoo-lyon", "odoo-subsidiaries"}, admissionregistrationv1.Fail},
		"other.gate.andon.io":      {[]string{"odoo-dev", "odoo-geelong-staging", "odoo-lyon-staging"}, admissionregistrationv1.Ignore},
	}
	for _, w := range cfg.Webhooks {
		if w.Name == admission.ClusterImageCatalogWebhook {
			checkClusterCatalogWebhook(t, w)
			continue
		}
		exp, ok := want[w.Name]
		if !ok {
			t.Fatalf("unexpected webhook %s", w.Name)
		}
		sel := w.NamespaceSelector.MatchExpressions
		if len(sel) != 1 || sel[0].Key != "kubernetes.io/metadata.name" || !slices.Equal(sel[0].Values, exp.namespaces) {
			t.Errorf("%s selects %+v, want %v", w.Name, sel, exp.namespaces)
		}
		if *w.FailurePolicy != exp.failure || *w.SideEffects != admissionregistrationv1.SideEffectClassNoneOnDryRun ||
			*w.TimeoutSeconds != 10 || !slices.Equal(w.AdmissionReviewVersions, []string{"v1"}) {
			t.Errorf("%s: failure %s, side effects %s, timeout %d, versions %v", w.Name, *w.FailurePolicy, *w.SideEffects, *w.TimeoutSeconds, w.AdmissionReviewVersions)
		}
		svc := w.ClientConfig.Service
		if svc == nil || svc.Namespace != "andon" || svc.Name != "andon" || *svc.Path != "/api/v1/admission" || svc.Port != nil || string(w.ClientConfig.CABundle) != testCA {
			t.Errorf("%s client = %+v", w.Name, w.ClientConfig)
		}
		if len(w.MatchConditions) != 1 || !strings.Contains(w.MatchConditions[0].Expression, "ownerReferences") ||
			!strings.Contains(w.MatchConditions[0].Expression, "request.userInfo.username.startsWith('system:serviceaccount:kube-system:')") {
			t.Errorf("%s match conditions = %+v; want objects of Kubernetes' controllers left out", w.Name, w.MatchConditions)
		}
		var resources []string
		for _, r := range w.Rules {
			resources = append(resources, r.Resources...)
			if !slices.Equal(r.Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}) {
				t.Errorf("%s operations %v", w.Name, r.Operations)
			}
		}
		// pods/ephemeralcontainers: the containers kubectl debug adds to
		// a Pod, which a rule for pods does not match.
		for _, res := range []string{"deployments", "statefulsets", "cronjobs", "pods", "pods/ephemeralcontainers", "configmaps", "ingressroutes", "clusters", "poolers"} {
			if !slices.Contains(resources, res) {
				t.Errorf("%s does not send %s", w.Name, res)
			}
		}
		if slices.Contains(resources, "secrets") {
			t.Errorf("%s sends Secrets, whose values andon need not see", w.Name)
		}
		if slices.Contains(resources, "clusterimagecatalogs") {
			t.Errorf("%s sends ClusterImageCatalogs, which the API server would then send to each webhook", w.Name)
		}
	}

	// One cluster, by URL, failing closed everywhere.
	cfg, err = admission.Configuration(cat, admission.ConfigOptions{URL: "https://andon.example.com:8443", CABundle: []byte(testCA), Cluster: "au-1", OtherFailurePolicy: "Fail", TimeoutSeconds: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range cfg.Webhooks {
		if *w.ClientConfig.URL != "https://andon.example.com:8443/api/v1/admission/au-1" || *w.FailurePolicy != admissionregistrationv1.Fail || *w.TimeoutSeconds != 5 {
			t.Errorf("%s: url %s, failure %s, timeout %d", w.Name, *w.ClientConfig.URL, *w.FailurePolicy, *w.TimeoutSeconds)
		}
		if w.Name == admission.ClusterImageCatalogWebhook {
			continue
		}
		if v := w.NamespaceSelector.MatchExpressions[0].Values; slices.Contains(v, "odoo-lyon") || !(slices.Contains(v, "odoo-geelong") || slices.Contains(v, "odoo-geelong-staging")) {
			t.Errorf("%s selects %v, want au-1's namespaces only", w.Name, v)
		}
	}
}

// checkClusterCatalogWebhook checks the webhook of ClusterImageCatalogs:
// cluster-scoped, which no other webhook sends and whose reviews a
// namespaceSelector would not hold back, it fails closed, as production
// does, with the same match condition.
func checkClusterCatalogWebhook(t *testing.T, w admissionregistrationv1.ValidatingWebhook) {
	t.Helper()
	if *w.FailurePolicy != admissionregistrationv1.Fail || *w.SideEffects != admissionregistrationv1.SideEffectClassNoneOnDryRun || w.NamespaceSelector != nil {
		t.Errorf("%s: failure %s, side effects %s, namespace selector %+v; want Fail, NoneOnDryRun, none", w.Name, *w.FailurePolicy, *w.SideEffects, w.NamespaceSelector)
	}
	scope := admissionregistrationv1.ClusterScope
	want := []admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{"postgresql.cnpg.io"}, APIVersions: []string{"v1"}, Resources: []string{"clusterimagecatalogs"}, Scope: &scope},
	}}
	if diff := cmp.Diff(want, w.Rules); diff != "" {
		t.Errorf("%s rules (-want +got):\n%s", w.Name, diff)
	}
	if len(w.MatchConditions) != 1 || !strings.Contains(w.MatchConditions[0].Expression, "ownerReferences") {
		t.Errorf("%s match conditions = %+v; want objects of Kubernetes' controllers left out", w.Name, w.MatchConditions)
	}
}

func TestConfigurationRefusesBadOptions(t *testing.T) {
	cat := exampleCatalog(t)
	for _, tt := range []struct {
		opts admission.ConfigOptions
		want string
	}{
		{admission.ConfigOptions{CABundle: []byte(testCA)}, "either the URL"},
		{admission.ConfigOptions{URL: "https://a", Service: "a/b", CABundle: []byte(testCA)}, "either the URL"},
		{admission.ConfigOptions{URL: "http://andon:8080", CABundle: []byte(testCA)}, "https only"},
		{admission.ConfigOptions{Service: "andon/andon"}, "CA bundle is required"},
		{admission.ConfigOptions{Service: "andon/andon", CABundle: []byte("junk")}, "no PEM certificate"},
		{admission.ConfigOptions{Service: "andon", CABundle: []byte(testCA)}, "namespace/name"},
		{admission.ConfigOptions{Service: "andon/andon:http", CABundle: []byte(testCA)}, "port"},
		{admission.ConfigOptions{Service: "andon/andon", CABundle: []byte(testCA), OtherFailurePolicy: "Retry"}, "Ignore or Fail"},
		{admission.ConfigOptions{Service: "andon/andon", CABundle: []byte(testCA), TimeoutSeconds: 31}, "1 to 30"},
		{admission.ConfigOptions{Service: "andon/andon", CABundle: []byte(testCA), Cluster: "us-9"}, "nothing to govern"},
		{admission.ConfigOptions{Service: "andon/andon", CABundle: []byte(testCA), TrustedControllers: []string{"o'brien"}}, "without quotes"},
	} {
		_, err := admission.Configuration(cat, tt.opts)
		if andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), tt.want) {
			t.Errorf("%+v: error %v, want invalid with %q", tt.opts, err, tt.want)
		}
	}
}

// TestConfigurationRefusesToLockOut checks that a catalog that would have
// the webhook govern kube-system or andon's own namespace is refused:
// while andon is down, nothing could be deployed there to repair it.
func TestConfigurationRefusesToLockOut(t *testing.T) {
	for _, tt := range []struct {
		namespace, service, want string
	}{
		{"kube-system", "andon/andon", "environment prod-lyon: kubernetes.namespace kube-system: the webhook must not govern"},
		{"andon", "andon/andon:8443", "environment prod-lyon: kubernetes.namespace andon is andon's own (service andon/andon:8443)"},
	} {
		cat := exampleCatalog(t)
		cat.Environment("prod-lyon").Kubernetes.Namespace = tt.namespace
		_, err := admission.Configuration(cat, admission.ConfigOptions{Service: tt.service, CABundle: []byte(testCA)})
		if andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), tt.want) {
			t.Errorf("namespace %s, service %s: error %v, want invalid with %q", tt.namespace, tt.service, err, tt.want)
		}
	}
}

func TestNotControlled(t *testing.T) {
	for _, tt := range []struct {
		controllers []string
		want        string
	}{
		// The ephemeral containers added to a Pod are sent whoever adds
		// them, as the Reviewer reviews them.
		{nil, "(has(request.subResource) && request.subResource == 'ephemeralcontainers') || !(has(object.metadata.ownerReferences) && object.metadata.ownerReferences.exists(r, has(r.controller) && r.controller) && (request.userInfo.username == 'system:kube-controller-manager' || request.userInfo.username.startsWith('system:serviceaccount:kube-system:')))"},
		{[]string{"system:serviceaccount:cnpg-system:cnpg-manager"}, "(has(request.subResource) && request.subResource == 'ephemeralcontainers') || !(has(object.metadata.ownerReferences) && object.metadata.ownerReferences.exists(r, has(r.controller) && r.controller) && (request.userInfo.username == 'system:serviceaccount:cnpg-system:cnpg-manager'))"},
		// Nobody trusted: every object is sent.
		{[]string{}, "true"},
	} {
		got, err := admission.NotControlled(tt.controllers)
		if err != nil || got != tt.want {
			t.Errorf("NotControlled(%q) = %s, %v\nwant %s", tt.controllers, got, err, tt.want)
		}
	}
}

// TestConfigurationRefusesAClusterThePathCannotName checks that a cluster
// the catalog names freely, but that cannot be one segment of a webhook's
// path, is refused: the API server refuses a Service path whose segment is
// not a DNS-1123 subdomain, and a URL path of several segments reaches no
// route of andon, so production would refuse every object.
func TestConfigurationRefusesAClusterThePathCannotName(t *testing.T) {
	for _, cluster := range []string{"EU-1", "eu_1", "eu 1/prod", "eu-1/", strings.Repeat("a", 254)} {
		for _, opts := range []admission.ConfigOptions{
			{Service: "andon/andon", CABundle: []byte(testCA), Cluster: cluster},
			{URL: "https://andon.example.com:8443", CABundle: []byte(testCA), Cluster: cluster},
		} {
			cat := exampleCatalog(t)
			cat.Environment("prod-lyon").Kubernetes.Cluster = cluster
			_, err := admission.Configuration(cat, opts)
			want := fmt.Sprintf("cluster %.80q: ", cluster)
			if andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), want) || !strings.Contains(andon.ErrorMessage(err), "DNS-1123 subdomain") {
				t.Errorf("cluster %.40q, %s%s: error %v, want invalid with %q", cluster, opts.Service, opts.URL, err, want)
			}
		}
	}
	// A dotted name is one segment too.
	cat := exampleCatalog(t)
	cat.Environment("prod-lyon").Kubernetes.Cluster = "eu-1.example.com"
	if _, err := admission.Configuration(cat, admission.ConfigOptions{Service: "andon/andon", CABundle: []byte(testCA), Cluster: "eu-1.example.com"}); err != nil {
		t.Errorf("cluster eu-1.example.com: %v", err)
	}
}
