package drift_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/drift"
)

// The discovery a real API server gives is tested by TestKubeDrift (make
// test-k8s); these are the answers it cannot be made to give: an old
// server's and an aggregated API server's that is down.

// discoveryServer answers /api and /apis with the documents given, and
// records the headers of the requests.
func discoveryServer(t *testing.T, status int, api, apis string) (*rest.Config, *[]http.Header) {
	t.Helper()
	var headers []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers = append(headers, r.Header.Clone())
		w.Header().Set("Content-Type", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
		w.WriteHeader(status)
		switch r.URL.Path {
		case "/prefix/api":
			w.Write([]byte(api))
		case "/prefix/apis":
			w.Write([]byte(apis))
		default:
			t.Errorf("request for %s; discovery should be all the check asks before it lists", r.URL.Path)
		}
	}))
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL + "/prefix"}, &headers
}

const coreDiscovery = `{"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "items": [
	{"metadata": {"name": ""}, "versions": [{"version": "v1", "freshness": "Current", "resources": [
		{"resource": "configmaps", "responseKind": {"group": "", "version": "v1", "kind": "ConfigMap"}, "scope": "Namespaced"}]}]}]}`

// TestHostWithoutCredentials checks that the API server's URL, which the
// report sends to be kept in the audit log and errors show, leaves out
// the credentials a kubeconfig's server may hold.
func TestHostWithoutCredentials(t *testing.T) {
	for host, want := range map[string]string{
		"https://admin:s3cret@k8s.example.com:6443/prefix": "https://k8s.example.com:6443/prefix",
		"https://t0ken@k8s.example.com:6443":               "https://k8s.example.com:6443",
		"https://k8s.example.com:6443":                     "https://k8s.example.com:6443",
	} {
		c, err := drift.NewCluster(&rest.Config{Host: host})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Host(); got != want {
			t.Errorf("Host of %s = %s, want %s", host, got, want)
		}
	}
}

func TestCheckStaleGroup(t *testing.T) {
	// metrics.k8s.io is served by an aggregated API server that did not
	// answer: a desired object of it cannot be said to be missing. The
	// API server still lists what it last saw of the group; that is not
	// taken as served.
	cfg, headers := discoveryServer(t, http.StatusOK, coreDiscovery, `{"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "items": [
		{"metadata": {"name": "metrics.k8s.io"}, "versions": [{"version": "v1beta1", "freshness": "Stale", "resources": [
			{"resource": "pods", "responseKind": {"group": "metrics.k8s.io", "version": "v1beta1", "kind": "PodMetrics"}, "scope": "Namespaced"}]}]}]}`)
	c, err := drift.NewCluster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Check(context.Background(), "odoo-lyon", MustDesired(t, `
apiVersion: metrics.k8s.io/v1beta1
kind: PodMetrics
metadata: {name: odoo}
`))
	if err == nil || !strings.Contains(err.Error(), "metrics.k8s.io/v1beta1") || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("Check = %v, want an error naming metrics.k8s.io/v1beta1, which did not answer", err)
	}
	if len(*headers) != 2 {
		t.Errorf("%d requests, want 2: /api and /apis", len(*headers))
	}
	for _, h := range *headers {
		if a := h.Get("Accept"); !strings.HasPrefix(a, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList") {
			t.Errorf("Accept = %q, want aggregated discovery", a)
		}
		// As client-go names itself, so that the API server's audit log
		// names the program that asked.
		if ua := h.Get("User-Agent"); strings.HasPrefix(ua, "Go-http-client") {
			t.Errorf("User-Agent = %q, want client-go's", ua)
		}
	}
}

func TestCheckRefusedDiscovery(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		want   []string
	}{
		// A server before aggregated discovery refuses the media type.
		{"old server", http.StatusNotAcceptable, []string{"Kubernetes 1.27 or later", "/prefix/api"}},
		{"unauthorized", http.StatusUnauthorized, []string{"401", "credentials", "/prefix/api"}},
		{"forbidden", http.StatusForbidden, []string{"403", "may not read /api", "system:discovery"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := discoveryServer(t, tt.status, `{"kind": "Status"}`, `{"kind": "Status"}`)
			c, err := drift.NewCluster(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Check(context.Background(), "odoo-lyon", nil)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Check = %v, want an error saying %q", err, w)
				}
			}
		})
	}
}

// A KUBECONFIG whose files do not exist is named, rather than the
// configuration called missing as if KUBECONFIG were not set.
func TestRESTConfigNamesAMissingKubeconfig(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := drift.RESTConfig("", "", func(k string) string {
		if k == "KUBECONFIG" {
			return missing
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "KUBECONFIG="+missing) {
		t.Errorf("RESTConfig = %v, want the KUBECONFIG named", err)
	}
}

// A server whose list pages never end, handing back the continue token it
// was given, is named as such rather than listed for ever.
func TestCheckEndlessPages(t *testing.T) {
	var lists int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api":
			w.Header().Set("Content-Type", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
			w.Write([]byte(coreDiscovery))
		case "/apis":
			w.Header().Set("Content-Type", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
			w.Write([]byte(`{"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "items": []}`))
		case "/api/v1/namespaces/odoo-lyon/configmaps":
			lists++
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"kind": "ConfigMapList", "apiVersion": "v1", "metadata": {"continue": "again"}, "items": [
				{"metadata": {"name": "x", "namespace": "odoo-lyon"}}]}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := drift.NewCluster(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Check(context.Background(), "odoo-lyon", nil)
	if err == nil || !strings.Contains(err.Error(), "the server's pages do not end") || lists != 2 {
		t.Errorf("Check = %v after %d lists; want the endless pages named after the second", err, lists)
	}
}

// The admission webhook reads the API server at a rate that a burst of
// Clusters admitted together does not exhaust, unlike client-go's
// default of 5 requests a second.
func TestWebhookRESTConfigRateLimit(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters:
- name: eu-1
  cluster: {server: "https://eu-1.example.com:6443"}
users:
- name: andon
  user: {token: not-a-secret}
contexts:
- name: eu-1
  context: {cluster: eu-1, user: andon}
current-context: eu-1
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := drift.WebhookRESTConfig(kubeconfig, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://eu-1.example.com:6443" || cfg.QPS != 50 || cfg.Burst != 100 {
		t.Errorf("host %s, QPS %v, burst %d; want https://eu-1.example.com:6443, 50, 100", cfg.Host, cfg.QPS, cfg.Burst)
	}
}

// List reads every page of a resource in every namespace; one the server
// does not serve has no objects, and a refusal says which permission is
// missing, as EFORBIDDEN.
func TestList(t *testing.T) {
	clusters := "/apis/postgresql.cnpg.io/v1/clusters"
	var forbidden bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == clusters && forbidden:
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403, "message": "clusters.postgresql.cnpg.io is forbidden"}`))
		case r.URL.Path == clusters && r.URL.Query().Get("continue") == "":
			w.Write([]byte(`{"kind": "ClusterList", "apiVersion": "postgresql.cnpg.io/v1", "metadata": {"continue": "page-2"}, "items": [
				{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "odoo-db", "namespace": "odoo-lyon"}}]}`))
		case r.URL.Path == clusters:
			w.Write([]byte(`{"kind": "ClusterList", "apiVersion": "postgresql.cnpg.io/v1", "metadata": {}, "items": [
				{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "odoo-db", "namespace": "odoo-dev"}}]}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := drift.NewCluster(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	resource := schema.GroupVersionResource{Group: "postgresql.cnpg.io", Version: "v1", Resource: "clusters"}
	objs, err := c.List(context.Background(), resource, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		md := o["metadata"].(map[string]any)
		got = append(got, md["namespace"].(string)+"/"+md["name"].(string))
	}
	if want := []string{"odoo-lyon/odoo-db", "odoo-dev/odoo-db"}; !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}

	if objs, err := c.List(context.Background(), schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}, ""); err != nil || objs != nil {
		t.Errorf("List of a resource not served = %v, %v; want none", objs, err)
	}

	forbidden = true
	_, err = c.List(context.Background(), resource, "")
	if andon.ErrorCode(err) != andon.EFORBIDDEN || !strings.Contains(err.Error(), "andon needs list on clusters.postgresql.cnpg.io") {
		t.Errorf("List when forbidden = %v; want EFORBIDDEN naming the permission", err)
	}
}
