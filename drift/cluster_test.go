package drift_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/andon-governance/andon/drift"
)

// The discovery a real API server gives is tested by TestKubeDrift (make
// test-k8s); these are the answers it cannot be made to give: an old
// server's and an aggregated API server's that is down.

// discoveryServer answers /api and /apis with the documents given, and
// records the Accept header of the requests.
func discoveryServer(t *testing.T, status int, api, apis string) (*rest.Config, *[]string) {
	t.Helper()
	var accepts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accepts = append(accepts, r.Header.Get("Accept"))
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
	return &rest.Config{Host: srv.URL + "/prefix"}, &accepts
}

const coreDiscovery = `{"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "items": [
	{"metadata": {"name": ""}, "versions": [{"version": "v1", "freshness": "Current", "resources": [
		{"resource": "configmaps", "responseKind": {"group": "", "version": "v1", "kind": "ConfigMap"}, "scope": "Namespaced"}]}]}]}`

func TestCheckStaleGroup(t *testing.T) {
	// metrics.k8s.io is served by an aggregated API server that did not
	// answer: a desired object of it cannot be said to be missing.
	cfg, accepts := discoveryServer(t, http.StatusOK, coreDiscovery, `{"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "items": [
		{"metadata": {"name": "metrics.k8s.io"}, "versions": [{"version": "v1beta1", "freshness": "Stale"}]}]}`)
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
	for _, a := range *accepts {
		if !strings.Contains(a, "as=APIGroupDiscoveryList") {
			t.Errorf("Accept = %q, want aggregated discovery", a)
		}
	}
}

func TestCheckOldServer(t *testing.T) {
	// A server before aggregated discovery refuses the media type.
	cfg, _ := discoveryServer(t, http.StatusNotAcceptable, `{"kind": "Status"}`, `{"kind": "Status"}`)
	c, err := drift.NewCluster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Check(context.Background(), "odoo-lyon", nil)
	if err == nil || !strings.Contains(err.Error(), "Kubernetes 1.30 or later") || !strings.Contains(err.Error(), cfg.Host+"/api") {
		t.Errorf("Check = %v, want an error saying drift needs Kubernetes 1.30 at %s/api", err, cfg.Host)
	}
}

func TestCheckUnauthorized(t *testing.T) {
	cfg, _ := discoveryServer(t, http.StatusUnauthorized, `{"kind": "Status"}`, `{"kind": "Status"}`)
	c, err := drift.NewCluster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Check(context.Background(), "odoo-lyon", nil)
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "credentials") {
		t.Errorf("Check = %v, want an error saying the credentials were refused", err)
	}
}
