package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/andon-governance/andon/admission"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/manifest"
)

// The Helm chart in deploy/helm/andon is rendered with a real helm and its
// output checked by andon's own manifest rules, as docs/manifests.md tells
// users to check theirs: helm template … | andon policy test -.

const (
	chartDir = "../../deploy/helm/andon"
	// helmVersion is the Helm that renders the chart, built from source
	// through the Go module proxy once and then kept in the user's cache.
	helmVersion = "v3.19.5"
)

// helmBinary returns a helm of helmVersion, built once per machine (see
// cachedTool). The version and the default Kubernetes version (that of the
// client-go Helm is built with, 1.34) are set as Helm's own release build
// sets them, so that this helm renders and lints as the released one does.
func helmBinary(t *testing.T) string {
	t.Helper()
	ldflags := "-s -w -X helm.sh/helm/v3/internal/version.version=" + helmVersion
	for _, pkg := range []string{"helm.sh/helm/v3/pkg/chartutil", "helm.sh/helm/v3/pkg/lint/rules"} {
		ldflags += " -X " + pkg + ".k8sVersionMajor=1 -X " + pkg + ".k8sVersionMinor=34"
	}
	return cachedTool{name: "helm", pkg: "helm.sh/helm/v3/cmd/helm", version: helmVersion, ldflags: ldflags, reports: helmReports}.binary(t)
}

// helmReports returns the version the helm at bin reports, or "" when
// there is none.
func helmReports(bin string) string {
	out, err := exec.Command(bin, "version", "--template", "{{.Version}}").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// runHelm runs helm with args, isolated from the user's Helm configuration.
func runHelm(t *testing.T, helm string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(helm, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

func TestChartPassesPolicy(t *testing.T) {
	helm := helmBinary(t)
	caBundle := mustChartCABundle(t)
	always := []string{"Deployment", "NetworkPolicy", "PodDisruptionBudget", "Service", "ServiceAccount"}
	tests := []struct {
		name   string
		set    []string
		kinds  []string // besides always
		absent []string // of always
		check  func(t *testing.T, objs []*manifest.Object)
	}{
		{name: "defaults", check: checkDefaults},
		{
			name:  "webhook",
			set:   []string{"webhook.enabled=true", "webhook.caBundle=" + caBundle},
			kinds: []string{"ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration"},
			check: checkWebhook,
		},
		{
			// The server must trust no one either, or it would let
			// through the controllers' objects that the API server sends.
			name:  "webhook trusting no controller",
			set:   []string{"webhook.enabled=true", "webhook.caBundle=" + caBundle, "webhook.trustedControllers=null"},
			kinds: []string{"ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration"},
			check: checkServerTrustsAsSent,
		},
		{
			// A release in one of several clusters names it in the
			// webhooks' path, as andon kube webhook-config --cluster does.
			name:  "webhook for one cluster",
			set:   []string{"webhook.enabled=true", "webhook.certManagerCertificate=andon/andon-webhook", "webhook.cluster=au-1"},
			kinds: []string{"ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration"},
			check: checkWebhookCluster("au-1"),
		},
		{
			name:  "webhook with cert-manager",
			set:   []string{"webhook.enabled=true", "webhook.certManagerCertificate=andon/andon-webhook"},
			kinds: []string{"ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration"},
		},
		{
			name: "catalog from git",
			set: []string{
				"catalog.configMap.name=", "catalog.git.url=https://git.example.com/plant-it/estate.git",
				"catalog.git.ref=main", "catalog.git.path=catalog", "catalog.git.credentialsSecret=andon-catalog-git",
				"policy.configMap=andon-policy", "serviceMonitor.enabled=true",
			},
			kinds: []string{"ServiceMonitor"},
		},
		{
			// One replica on PostgreSQL: no PodDisruptionBudget, which
			// would keep every node drain waiting.
			name: "one replica",
			set: []string{
				"replicaCount=1", "podDisruptionBudget.enabled=false",
				"logFormat=text", "logLevel=DEBUG", "catalogInterval=0", "preStopSleepSeconds=0", "shutdownTimeoutSeconds=10", "terminationGracePeriodSeconds=10",
			},
			absent: []string{"PodDisruptionBudget"},
		},
		{
			name: "identity providers and the GitHub App",
			set: []string{
				"identity.configMap=andon-auth", "identity.clientSecret=andon-oidc", "identity.publicURL=https://andon.example.com",
				"github.appID=2871234", "github.existingSecret=andon-github", "github.apiURL=https://ghe.example.com/api/v3",
				"github.environments.production=prod-lyon", "github.environments.staging=staging-lyon", "github.maxWait=12h",
			},
			check: checkIdentityAndGitHub,
		},
		{
			name:  "alerts",
			set:   []string{"prometheusRule.enabled=true", "prometheusRule.tokenExpiryDays=21"},
			kinds: []string{"PrometheusRule"},
			check: checkAlerts,
		},
		{
			name:  "alerts with the webhook",
			set:   []string{"prometheusRule.enabled=true", "prometheusRule.tokenExpiryDays=21", "webhook.enabled=true", "webhook.caBundle=" + caBundle},
			kinds: []string{"ClusterRole", "ClusterRoleBinding", "PrometheusRule", "ValidatingWebhookConfiguration"},
			check: checkAlerts,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"template", "andon", chartDir, "--namespace", "andon"}
			for _, s := range tt.set {
				args = append(args, "--set", s)
			}
			out, stderr, err := runHelm(t, helm, args...)
			if err != nil {
				t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr)
			}

			objs, err := manifest.Parse("helm template", []byte(out))
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, o := range objs {
				kinds = append(kinds, o.Kind)
			}
			slices.Sort(kinds)
			want := slices.DeleteFunc(append(slices.Clone(always), tt.kinds...), func(k string) bool { return slices.Contains(tt.absent, k) })
			slices.Sort(want)
			if diff := cmp.Diff(want, kinds); diff != "" {
				t.Errorf("rendered kinds (-want +got):\n%s", diff)
			}

			// Every argument is one andon serve takes.
			serveFlags(t, objs)

			r := runCLIWithStdin(t, out, "policy", "test", "-o", "json", "-")
			var rep policyTestReport
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("policy test: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
			}
			for _, f := range rep.Findings {
				t.Errorf("%s %s: %s %s/%s: %s", f.Severity, f.Rule, f.Object.Kind, f.Object.Namespace, f.Object.Name, f.Message)
			}
			if r.code != 0 || rep.Denied != 0 {
				t.Errorf("policy test: exit %d with %d denied, want 0\n%s", r.code, rep.Denied, r.stderr)
			}
			if tt.check != nil {
				tt.check(t, objs)
			}
		})
	}
}

// mustChartCABundle returns a CA certificate's PEM in base64 as base64(1)
// writes it by default, in lines of 76 characters, which is what
// --set webhook.caBundle="$(base64 ca.crt)" gives the chart.
func mustChartCABundle(t *testing.T) string {
	t.Helper()
	pem, err := os.ReadFile(mustWebhookTLS(t).caFile)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(pem)
	var lines []string
	for len(b64) > 76 {
		lines, b64 = append(lines, b64[:76]), b64[76:]
	}
	return strings.Join(append(lines, b64), "\n")
}

// checkDefaults checks what the rules do not: the pod reads its database
// URL and key from the Secrets, read-only, as docs/operations.md shows.
func checkDefaults(t *testing.T, objs []*manifest.Object) {
	t.Helper()
	d := objectOf(t, objs, "Deployment")
	spec := dig(d.Doc, "spec", "template", "spec").(map[string]any)
	if spec["automountServiceAccountToken"] != false {
		// Without the webhook andon talks to no Kubernetes API.
		t.Errorf("automountServiceAccountToken = %v, want false without the webhook", spec["automountServiceAccountToken"])
	}
	c := dig(spec, "containers").([]any)[0].(map[string]any)
	env := map[string]string{}
	for _, e := range dig(c, "env").([]any) {
		e := e.(map[string]any)
		if v, ok := e["value"].(string); ok {
			env[e["name"].(string)] = v
		}
	}
	wantEnv := map[string]string{
		"ANDON_DATA":    "/var/lib/andon",
		"ANDON_DB_FILE": "/etc/andon/db/uri",
		"ANDON_CATALOG": "/etc/andon/catalog",
	}
	for k, v := range wantEnv {
		if env[k] != v {
			t.Errorf("env %s = %q, want %q", k, env[k], v)
		}
	}
	for _, m := range dig(c, "volumeMounts").([]any) {
		m := m.(map[string]any)
		if m["readOnly"] != true {
			t.Errorf("volume %v mounted at %v is writable", m["name"], m["mountPath"])
		}
	}
	if got := dig(d.Doc, "spec", "replicas"); got != 2 {
		t.Errorf("replicas = %v, want 2", got)
	}
	if egressHTTPS(objectOf(t, objs, "NetworkPolicy")) {
		t.Error("the NetworkPolicy lets andon open HTTPS connections with no identity provider, GitHub App nor catalog in git to reach")
	}
}

// checkIdentityAndGitHub checks that andon serve is given the
// authentication configuration, the public address and the GitHub App's
// flags, with the files they name mounted read-only where the flags say,
// and that the NetworkPolicy lets it reach the providers and GitHub over
// HTTPS, which it does not without them.
func checkIdentityAndGitHub(t *testing.T, objs []*manifest.Object) {
	t.Helper()
	flags := serveFlags(t, objs)
	for name, want := range map[string]string{
		"github-app-id":              "2871234",
		"github-app-key-file":        "/etc/andon/github/private-key.pem",
		"github-webhook-secret-file": "/etc/andon/github/webhook-secret",
		"github-api-url":             "https://ghe.example.com/api/v3",
		"github-environment":         "[production=prod-lyon,staging=staging-lyon]",
		"github-max-wait":            "12h0m0s",
	} {
		if got := flags.Lookup(name).Value.String(); got != want {
			t.Errorf("--%s = %q, want %q", name, got, want)
		}
	}
	d := objectOf(t, objs, "Deployment")
	c := dig(d.Doc, "spec", "template", "spec", "containers").([]any)[0]
	env := map[string]string{}
	for _, e := range dig(c, "env").([]any) {
		if v, ok := dig(e, "value").(string); ok {
			env[dig(e, "name").(string)] = v
		}
	}
	if env["ANDON_AUTH_CONFIG"] != "/etc/andon/auth/auth.yaml" || env["ANDON_PUBLIC_URL"] != "https://andon.example.com" {
		t.Errorf("ANDON_AUTH_CONFIG %q, ANDON_PUBLIC_URL %q", env["ANDON_AUTH_CONFIG"], env["ANDON_PUBLIC_URL"])
	}
	mounts := map[string]string{}
	for _, m := range dig(c, "volumeMounts").([]any) {
		if dig(m, "readOnly") != true {
			t.Errorf("volume %v is writable", dig(m, "name"))
		}
		mounts[dig(m, "name").(string)] = dig(m, "mountPath").(string)
	}
	sources := map[string]string{}
	for _, v := range dig(d.Doc, "spec", "template", "spec", "volumes").([]any) {
		name := dig(v, "name").(string)
		if s, ok := dig(v, "secret", "secretName").(string); ok {
			sources[name] = s
		}
		if s, ok := dig(v, "configMap", "name").(string); ok {
			sources[name] = s
		}
	}
	for name, want := range map[string][2]string{"auth": {"/etc/andon/auth", "andon-auth"}, "oidc": {"/etc/andon/oidc", "andon-oidc"}, "github": {"/etc/andon/github", "andon-github"}} {
		if mounts[name] != want[0] || sources[name] != want[1] {
			t.Errorf("volume %s: %s mounted at %q, want %s at %q", name, sources[name], mounts[name], want[1], want[0])
		}
	}
	if !egressHTTPS(objectOf(t, objs, "NetworkPolicy")) {
		t.Error("the NetworkPolicy lets andon reach no identity provider nor GitHub on port 443")
	}
}

// egressHTTPS reports whether a NetworkPolicy lets its pods open HTTPS
// connections, on port 443.
func egressHTTPS(np *manifest.Object) bool {
	for _, rule := range dig(np.Doc, "spec", "egress").([]any) {
		ports, _ := dig(rule, "ports").([]any)
		for _, p := range ports {
			if fmt.Sprint(dig(p, "port")) == "443" {
				return true
			}
		}
	}
	return false
}

// checkAlerts checks that the alerts of the PrometheusRule ask about
// metrics, and label values, that an andon server exports, in the
// release's namespace, with the lead time given. With the webhook, the
// server runs its admission listener as the chart's does, and the alert
// on the webhook's own failures is rendered too.
func checkAlerts(t *testing.T, objs []*manifest.Object) {
	t.Helper()
	webhook := slices.ContainsFunc(objs, func(o *manifest.Object) bool { return o.Kind == "ValidatingWebhookConfiguration" })
	var args []string
	var certs *webhookTLS
	if webhook {
		certs = mustWebhookTLS(t)
		args = []string{"--admission-addr", "127.0.0.1:0", "--tls-cert", certs.certFile, "--tls-key", certs.keyFile}
	}
	s := MustServe(t, t.TempDir(), args...)
	if r := runCLI(t, nil, append([]string{"token", "create", "--user", "carol", "--expires", "30d"}, s.storeFlags()...)...); r.code != 0 {
		t.Fatalf("token create: exit %d\n%s", r.code, r.stderr)
	}
	// The chart's ServiceMonitor scrapes the API's listener, which serves
	// the admission webhook's metrics too; so does the admission
	// listener's /metrics, for a scrape of that port.
	scrapes := map[string]string{"the API listener": mustGet(t, s.url+"/metrics")}
	if webhook {
		scrapes["the admission listener"] = mustGetWith(t, certs.httpClient(false), strings.TrimSuffix(s.admissionURL(t), "/api/v1/admission")+"/metrics")
	}
	exported := scrapes["the API listener"]
	rule := objectOf(t, objs, "PrometheusRule")
	var alerts []string
	for _, g := range dig(rule.Doc, "spec", "groups").([]any) {
		for _, r := range dig(g, "rules").([]any) {
			r := r.(map[string]any)
			alerts = append(alerts, r["alert"].(string))
			expr := r["expr"].(string)
			names := regexp.MustCompile(`andon_[a-z_]+`).FindAllString(expr, -1)
			for _, name := range names {
				for where, metrics := range scrapes {
					if !strings.Contains(metrics, "\n# TYPE "+name+" ") {
						t.Errorf("alert %s: the server exports no metric %s on %s", r["alert"], name, where)
					}
				}
				if !strings.Contains(expr, name+`{namespace="andon"`) {
					t.Errorf("alert %s: %s is not limited to the release's namespace: %s", r["alert"], name, expr)
				}
			}
			// Every label value a selector matches is one the metric
			// has: a misspelt label or value matches nothing, and the
			// alert would never fire.
			for _, sel := range regexp.MustCompile(`(andon_[a-z_]+)\{([^}]*)\}`).FindAllStringSubmatch(expr, -1) {
				for _, m := range regexp.MustCompile(`([a-z_]+)="([^"]*)"`).FindAllStringSubmatch(sel[2], -1) {
					if m[1] != "namespace" && !regexp.MustCompile(`\n`+sel[1]+`\{[^}]*\b`+m[1]+`="`+regexp.QuoteMeta(m[2])+`"`).MatchString(exported) {
						t.Errorf("alert %s: the server exports no %s with %s=%q", r["alert"], sel[1], m[1], m[2])
					}
				}
			}
			// A gate request the client must mend is no failure of the
			// gate, nor is a review refused on its merits or sent wrong
			// a failure of the webhook: alerts on their answers watch
			// andon's own errors.
			if strings.Contains(expr, "andon_gate_decisions_total") && !strings.Contains(expr, `result="error"`) {
				t.Errorf("alert %s: asks about gate answers other than the gate's own errors: %s", r["alert"], expr)
			}
			if strings.Contains(expr, "andon_admission_reviews_total") && !strings.Contains(expr, `outcome="error"`) {
				t.Errorf("alert %s: asks about admission reviews other than the webhook's own errors: %s", r["alert"], expr)
			}
			// The labels an alert groups, matches and speaks by are
			// labels of the metrics it asks about, or the namespace
			// Prometheus adds: any other is empty in every alert.
			var labels []string
			for _, m := range regexp.MustCompile(`\b(?:by|on) \(([^)]*)\)`).FindAllStringSubmatch(expr, -1) {
				labels = append(labels, strings.Split(m[1], ", ")...)
			}
			annotations, _ := r["annotations"].(map[string]any)
			for _, text := range annotations {
				for _, m := range regexp.MustCompile(`\$labels\.([a-z_]+)`).FindAllStringSubmatch(text.(string), -1) {
					labels = append(labels, m[1])
				}
			}
			for _, label := range labels {
				if label != "namespace" && !slices.ContainsFunc(names, func(name string) bool {
					return regexp.MustCompile(`\n` + name + `\{[^}]*\b` + label + `="`).MatchString(exported)
				}) {
					t.Errorf("alert %s: no metric of %q has the label %s", r["alert"], names, label)
				}
			}
		}
	}
	want := []string{"AndonTokenExpiresSoon", "AndonGateErrors", "AndonAuditAppendFailures", "AndonCheckpointCopyFailures", "AndonCatalogRefused", "AndonPolicyReloadFailed"}
	if webhook {
		// Only a release that serves the webhook alerts on it.
		want = slices.Insert(want, 2, "AndonAdmissionErrors")
	}
	if !slices.Equal(alerts, want) {
		t.Errorf("alerts %q, want %q", alerts, want)
	}
	if expr := fmt.Sprint(dig(dig(rule.Doc, "spec", "groups").([]any)[0], "rules").([]any)[0].(map[string]any)["expr"]); !strings.Contains(expr, "- time() < 21 * 86400") || !strings.HasSuffix(expr, ") > 21 * 86400") {
		t.Errorf("token alert %q: want the lead time of tokenExpiryDays, 21 days, for tokens made to live longer", expr)
	}
}

// checkWebhook checks that production fails closed and the others open,
// that andon's own namespace is never sent to the webhook, and the path.
func checkWebhook(t *testing.T, objs []*manifest.Object) {
	t.Helper()
	checkServerTrustsAsSent(t, objs)
	v := objectOf(t, objs, "ValidatingWebhookConfiguration")
	got := map[string]string{}
	for _, w := range dig(v.Doc, "webhooks").([]any) {
		w := w.(map[string]any)
		got[w["name"].(string)] = w["failurePolicy"].(string)
		// andon records gate decisions, but not for a dry run.
		if w["sideEffects"] != "NoneOnDryRun" || w["timeoutSeconds"] != 10 {
			t.Errorf("webhook %s: sideEffects %v, timeoutSeconds %v; want NoneOnDryRun, 10", w["name"], w["sideEffects"], w["timeoutSeconds"])
		}
		if p := dig(w, "clientConfig", "service", "path"); p != "/api/v1/admission" {
			t.Errorf("webhook %s: path %v, want /api/v1/admission", w["name"], p)
		}
		if w["name"] == admission.ClusterImageCatalogWebhook {
			// Cluster-scoped: no namespace to leave out.
			continue
		}
		excluded := false
		for _, e := range dig(w, "namespaceSelector", "matchExpressions").([]any) {
			e := e.(map[string]any)
			if e["key"] == "kubernetes.io/metadata.name" && e["operator"] == "NotIn" && slices.Contains(e["values"].([]any), any("andon")) {
				excluded = true
			}
		}
		if !excluded {
			t.Errorf("webhook %s: its namespaceSelector does not leave andon's namespace out", w["name"])
		}
	}
	for _, w := range dig(v.Doc, "webhooks").([]any) {
		b, err := base64.StdEncoding.DecodeString(fmt.Sprint(dig(w, "clientConfig", "caBundle")))
		if err != nil || !strings.HasPrefix(string(b), "-----BEGIN CERTIFICATE-----") {
			t.Errorf("webhook %s: caBundle %v is not a base64-encoded PEM certificate (%v)", dig(w, "name"), dig(w, "clientConfig", "caBundle"), err)
		}
	}
	want := map[string]string{"production.gate.andon.io": "Fail", "other.gate.andon.io": "Ignore", admission.ClusterImageCatalogWebhook: "Fail"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failure policies (-want +got):\n%s", diff)
	}
	checkReadsImageCatalogs(t, objs)

	// What is sent, and what is left out, are those of andon kube
	// webhook-config.
	cat, err := catalog.Load(exampleCatalog)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := admission.Configuration(cat, admission.ConfigOptions{Service: "andon/andon", CABundle: []byte("-----BEGIN CERTIFICATE-----\n")})
	if err != nil {
		t.Fatal(err)
	}
	wantHooks := map[string]map[string]any{}
	for _, w := range ref.Webhooks {
		var hook map[string]any
		b, _ := json.Marshal(w)
		if err := json.Unmarshal(b, &hook); err != nil {
			t.Fatal(err)
		}
		wantHooks[w.Name] = hook
	}
	resources := func(rules any) []string {
		var out []string
		for _, r := range rules.([]any) {
			r := r.(map[string]any)
			for _, g := range r["apiGroups"].([]any) {
				for _, res := range r["resources"].([]any) {
					out = append(out, fmt.Sprintf("%s/%s %v %v", g, res, r["operations"], r["scope"]))
				}
			}
		}
		slices.Sort(out)
		return out
	}
	if len(wantHooks) != len(dig(v.Doc, "webhooks").([]any)) {
		t.Errorf("the chart has %d webhooks, andon kube webhook-config %d", len(dig(v.Doc, "webhooks").([]any)), len(wantHooks))
	}
	for _, w := range dig(v.Doc, "webhooks").([]any) {
		wantHook, ok := wantHooks[fmt.Sprint(dig(w, "name"))]
		if !ok {
			t.Errorf("the chart's webhook %v is not one of andon kube webhook-config's", dig(w, "name"))
			continue
		}
		if diff := cmp.Diff(resources(wantHook["rules"]), resources(dig(w, "rules"))); diff != "" {
			t.Errorf("the chart's rules differ from andon kube webhook-config's (-webhook-config +chart):\n%s", diff)
		}
		if diff := cmp.Diff(wantHook["matchConditions"], dig(w, "matchConditions")); diff != "" {
			t.Errorf("the chart's match conditions differ from andon kube webhook-config's (-webhook-config +chart):\n%s", diff)
		}
	}
}

// checkWebhookCluster returns a check that both webhooks call the path
// that andon kube webhook-config --cluster gives for cluster.
func checkWebhookCluster(cluster string) func(t *testing.T, objs []*manifest.Object) {
	return func(t *testing.T, objs []*manifest.Object) {
		t.Helper()
		cat, err := catalog.Load(exampleCatalog)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := admission.Configuration(cat, admission.ConfigOptions{Service: "andon/andon", Cluster: cluster, CABundle: []byte("-----BEGIN CERTIFICATE-----\n")})
		if err != nil {
			t.Fatal(err)
		}
		want := *ref.Webhooks[0].ClientConfig.Service.Path
		if want != "/api/v1/admission/"+cluster {
			t.Fatalf("andon kube webhook-config --cluster %s: path %s", cluster, want)
		}
		v := objectOf(t, objs, "ValidatingWebhookConfiguration")
		for _, w := range dig(v.Doc, "webhooks").([]any) {
			if p := dig(w, "clientConfig", "service", "path"); p != want {
				t.Errorf("webhook %v: path %v, want %s", dig(w, "name"), p, want)
			}
		}
		// The image catalogs the server reads are that cluster's.
		if got, _ := serveFlags(t, objs).GetString("admission-cluster"); got != cluster {
			t.Errorf("andon serve --admission-cluster %q, want %q", got, cluster)
		}
	}
}

// checkReadsImageCatalogs checks that the server may read the image
// catalogs of CloudNativePG and list its Clusters, and nothing else, with
// its pod's service account: its token is mounted, and a ClusterRole
// bound to it grants get on the catalogs and list on the Clusters.
func checkReadsImageCatalogs(t *testing.T, objs []*manifest.Object) {
	t.Helper()
	d := objectOf(t, objs, "Deployment")
	if got := dig(d.Doc, "spec", "template", "spec", "automountServiceAccountToken"); got != true {
		t.Errorf("the pod's automountServiceAccountToken = %v, want true: the webhook reads image catalogs", got)
	}
	role := objectOf(t, objs, "ClusterRole")
	wantRules := []any{map[string]any{
		"apiGroups": []any{"postgresql.cnpg.io"},
		"resources": []any{"imagecatalogs", "clusterimagecatalogs"},
		"verbs":     []any{"get"},
	}, map[string]any{
		// The Clusters that use a ClusterImageCatalog whose images change.
		"apiGroups": []any{"postgresql.cnpg.io"},
		"resources": []any{"clusters"},
		"verbs":     []any{"list"},
	}}
	if diff := cmp.Diff(wantRules, dig(role.Doc, "rules")); diff != "" {
		t.Errorf("ClusterRole rules (-want +got):\n%s", diff)
	}
	binding := objectOf(t, objs, "ClusterRoleBinding")
	if got := dig(binding.Doc, "roleRef", "name"); got != role.Name {
		t.Errorf("ClusterRoleBinding binds %v, want %s", got, role.Name)
	}
	sa := dig(d.Doc, "spec", "template", "spec", "serviceAccountName")
	subjects, _ := dig(binding.Doc, "subjects").([]any)
	if len(subjects) != 1 || dig(subjects[0], "kind") != "ServiceAccount" || dig(subjects[0], "name") != sa || dig(subjects[0], "namespace") != d.Namespace {
		t.Errorf("ClusterRoleBinding subjects = %v, want the ServiceAccount %v of namespace %s", subjects, sa, d.Namespace)
	}
}

// checkServerTrustsAsSent checks that the controllers whose owned objects
// the API server does not send are those the server lets through: the
// Deployment's arguments are parsed as andon serve parses them, and the
// server's list gives the webhooks' match condition.
func checkServerTrustsAsSent(t *testing.T, objs []*manifest.Object) {
	t.Helper()
	flags := serveFlags(t, objs)
	var trusted []string // nil: the server's default list
	if flags.Changed("admission-trusted-controller") {
		trusted, _ = flags.GetStringSlice("admission-trusted-controller")
	}
	want, err := admission.NotControlled(trusted)
	if err != nil {
		t.Fatal(err)
	}
	v := objectOf(t, objs, "ValidatingWebhookConfiguration")
	for _, w := range dig(v.Doc, "webhooks").([]any) {
		got := dig(dig(w, "matchConditions").([]any)[0], "expression")
		if got != want {
			t.Errorf("webhook %s sends what the server trusts with %q:\n got %v\nwant %s", dig(w, "name"), trusted, got, want)
		}
	}
}

// serveFlags returns the flags of the Deployment's container, parsed as
// andon serve parses them.
func serveFlags(t *testing.T, objs []*manifest.Object) *pflag.FlagSet {
	t.Helper()
	d := objectOf(t, objs, "Deployment")
	var args []string
	for _, a := range dig(dig(d.Doc, "spec", "template", "spec", "containers").([]any)[0], "args").([]any) {
		args = append(args, fmt.Sprint(a))
	}
	serve := newServeCmd(&env{ctx: t.Context(), getenv: func(string) string { return "" }})
	if len(args) == 0 || args[0] != "serve" {
		t.Fatalf("the container's arguments %q are not andon serve's", args)
	}
	if err := serve.ParseFlags(args[1:]); err != nil {
		t.Fatalf("andon %q: %v", args, err)
	}
	return serve.Flags()
}

func objectOf(t *testing.T, objs []*manifest.Object, kind string) *manifest.Object {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind {
			return o
		}
	}
	t.Fatalf("no %s rendered", kind)
	return nil
}

// dig returns the value at path in nested maps, or nil.
func dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// TestChartImageByTag checks that the rules catch an image deployed by tag
// alone, which is what the digest in values.yaml is there to prevent.
func TestChartImageByTag(t *testing.T) {
	helm := helmBinary(t)
	out, stderr, err := runHelm(t, helm, "template", "andon", chartDir, "--namespace", "andon", "--set", "image.digest=")
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, stderr)
	}
	r := runCLIWithStdin(t, out, "policy", "test", "-")
	if r.code != 1 || !strings.Contains(r.stdout, "image-digest") {
		t.Errorf("policy test: exit %d, want 1 with image-digest\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestChartRefuses checks that values that cannot work stop the rendering
// with a message that says what to set.
func TestChartRefuses(t *testing.T) {
	helm := helmBinary(t)
	tests := []struct {
		name string
		set  []string
		want string
	}{
		{"no catalog", []string{"catalog.configMap.name="}, "set catalog.configMap.name"},
		{"two catalogs", []string{"catalog.git.url=https://git.example.com/estate.git"}, "not both"},
		{"bad digest", []string{"image.digest=sha256:abc"}, "image.digest"},
		{"no database", []string{"database.existingSecret="}, "database.existingSecret"},
		{"GitHub App without its Secret", []string{"github.appID=2871234"}, "github.existingSecret: the GitHub App needs its private key and webhook secret"},
		{"log format", []string{"logFormat=logfmt"}, `logFormat "logfmt": want text or json`},
		{"log level", []string{"logLevel=verbose"}, `logLevel "verbose": want debug, info, warn or error`},
		{"catalog interval without a unit", []string{"catalogInterval=30"}, `catalogInterval "30": want a duration`},
		{"negative catalog interval", []string{"catalogInterval=-5m"}, `catalogInterval "-5m": want a duration`},
		{"preStop sleep as long as the grace period", []string{"preStopSleepSeconds=30"}, "terminationGracePeriodSeconds 30: want at least 45, preStopSleepSeconds (30)"},
		// The sleep fits, but the server's drain after it would be cut short.
		{"no time left to drain", []string{"preStopSleepSeconds=20"}, "terminationGracePeriodSeconds 30: want at least 35, preStopSleepSeconds (20) and shutdownTimeoutSeconds (15), the seconds"},
		{"requests drained for longer than the grace period", []string{"shutdownTimeoutSeconds=40"}, "terminationGracePeriodSeconds 30: want at least 45, preStopSleepSeconds (5) and shutdownTimeoutSeconds (40)"},
		{"no time to drain", []string{"shutdownTimeoutSeconds=0"}, "shutdownTimeoutSeconds 0: want a whole number of seconds, 1 or more"},
		{"drain time not a number", []string{"shutdownTimeoutSeconds=15s"}, `shutdownTimeoutSeconds 15s: want a whole number of seconds, 1 or more`},
		{"grace period shorter than the drain", []string{"preStopSleepSeconds=0", "terminationGracePeriodSeconds=10"}, "terminationGracePeriodSeconds 10: want at least 15"},
		{"Traefik 1", []string{"webhook.enabled=true", "webhook.certManagerCertificate=andon/andon-webhook", "webhook.traefikMajor=1"}, "webhook.traefikMajor 1: want 2 or 3"},
		{"one replica that no drain may evict", []string{"replicaCount=1"}, "podDisruptionBudget.minAvailable 1 with replicaCount 1: no pod could ever be evicted"},
		{"every replica kept", []string{"podDisruptionBudget.minAvailable=100%"}, "podDisruptionBudget.minAvailable 100%"},
		// A percentage is rounded up: half of one pod is that pod.
		{"half of one replica", []string{"replicaCount=1", "podDisruptionBudget.minAvailable=50%"}, "podDisruptionBudget.minAvailable 50% with replicaCount 1: no pod could ever be evicted"},
		{"most of three replicas", []string{"replicaCount=3", "podDisruptionBudget.minAvailable=70%"}, "podDisruptionBudget.minAvailable 70% with replicaCount 3: no pod could ever be evicted"},
		{"webhook without a CA", []string{"webhook.enabled=true"}, "webhook.caBundle or webhook.certManagerCertificate"},
		{"webhook CA not base64 PEM", []string{"webhook.enabled=true", "webhook.caBundle=Y2E="}, "webhook.caBundle: want the CA certificate in PEM, base64-encoded"},
		{"webhook CA as PEM", []string{"webhook.enabled=true", "webhook.caBundle=-----BEGIN CERTIFICATE-----"}, "webhook.caBundle: want"},
		{"failure policy in lower case", []string{"webhook.enabled=true", "webhook.certManagerCertificate=andon/andon-webhook", "webhook.production.failurePolicy=fail"}, "webhook.production.failurePolicy \"fail\": want Fail or Ignore"},
		{"webhook timeout over 30s", []string{"webhook.enabled=true", "webhook.certManagerCertificate=andon/andon-webhook", "webhook.timeoutSeconds=60"}, "webhook.timeoutSeconds 60: want whole seconds from 1 to 30"},
		{"webhook on the HTTP port", []string{"webhook.enabled=true", "webhook.certManagerCertificate=andon/andon-webhook", "webhook.port=8080"}, "webhook.port 8080: that is andon's HTTP port"},
		{"trusted controller with a quote", []string{"webhook.enabled=true", "webhook.certManagerCertificate=andon/andon-webhook", "webhook.trustedControllers={o'brien}"}, "webhook.trustedControllers: \"o'brien\""},
		{"trusted controller with a comma", []string{"webhook.enabled=true", "webhook.certManagerCertificate=andon/andon-webhook", `webhook.trustedControllers={a\,b}`}, "webhook.trustedControllers: \"a,b\""},
		{"webhook cluster of two path segments", []string{"webhook.enabled=true", "webhook.certManagerCertificate=andon/andon-webhook", "webhook.cluster=eu/2"}, "webhook.cluster \"eu/2\": want the catalog's kubernetes.cluster"},
		// The API server refuses a webhook path whose segment is not a
		// DNS-1123 subdomain.
		{"webhook cluster in upper case", []string{"webhook.enabled=true", "webhook.certManagerCertificate=andon/andon-webhook", "webhook.cluster=EU-2"}, "webhook.cluster \"EU-2\": want the catalog's kubernetes.cluster of this cluster as a lowercase DNS-1123 subdomain"},
		{"cert-manager Certificate without namespace", []string{"webhook.enabled=true", "webhook.certManagerCertificate=andon-webhook"}, "webhook.certManagerCertificate \"andon-webhook\": want namespace/name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"template", "andon", chartDir}
			for _, s := range tt.set {
				args = append(args, "--set", s)
			}
			_, stderr, err := runHelm(t, helm, args...)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || !strings.Contains(stderr, tt.want) {
				t.Errorf("helm template --set %v: %v, stderr %q; want a failure naming %q", tt.set, err, stderr, tt.want)
			}
		})
	}
}

// TestChartKubernetesVersions checks that what an older API server would
// drop or refuse stops the rendering there, with the value to change, and
// that the chart renders once it is changed.
func TestChartKubernetesVersions(t *testing.T) {
	helm := helmBinary(t)
	webhook := []string{"webhook.enabled=true", "webhook.certManagerCertificate=andon/andon-webhook"}
	tests := []struct {
		kube string
		set  []string
		want string // the failure; empty: renders
	}{
		{"1.30.0", webhook, ""},
		{"1.29.4", nil, "preStopSleepSeconds 5: the preStop sleep action needs Kubernetes 1.30 or later"},
		{"1.29.4", []string{"preStopSleepSeconds=0"}, ""},
		{"1.28.0", append([]string{"preStopSleepSeconds=0"}, webhook...), ""},
		{"1.27.3", append([]string{"preStopSleepSeconds=0"}, webhook...), "webhook.enabled: the webhooks' matchConditions"},
	}
	for _, tt := range tests {
		t.Run(tt.kube+" "+strings.Join(tt.set, " "), func(t *testing.T) {
			args := []string{"template", "andon", chartDir, "--kube-version", tt.kube}
			for _, s := range tt.set {
				args = append(args, "--set", s)
			}
			_, stderr, err := runHelm(t, helm, args...)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr)
			case tt.want != "" && (err == nil || !strings.Contains(stderr, tt.want)):
				t.Errorf("helm %s: %v, stderr %q; want a failure naming %q", strings.Join(args, " "), err, stderr, tt.want)
			}
		})
	}
}

func TestChartLint(t *testing.T) {
	helm := helmBinary(t)
	out, stderr, err := runHelm(t, helm, "lint", "--strict", chartDir)
	if err != nil {
		t.Errorf("helm lint --strict: %v\n%s%s", err, out, stderr)
	}
}

// TestDockerfile checks that the image's binary is built with the flags of
// make build, runs as the user the chart's security context names, and that
// docs/operations.md shows the Dockerfile as it is.
func TestDockerfile(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	dockerfile, makefile := read("../../Dockerfile"), read("../../Makefile")

	build := regexp.MustCompile(`(?m)^\s*\$\(GO\) build -trimpath -ldflags "([^"]*)" -o bin/andon ./cmd/andon$`).FindStringSubmatch(makefile)
	if build == nil {
		t.Fatal("Makefile: no build target of the form $(GO) build -trimpath -ldflags \"…\" -o bin/andon ./cmd/andon")
	}
	image := regexp.MustCompile(`RUN CGO_ENABLED=0 GOOS=\$TARGETOS GOARCH=\$TARGETARCH go build -trimpath \\\n\s*-ldflags "([^"]*)" \\\n\s*-o /out/andon ./cmd/andon\n`).FindStringSubmatch(dockerfile)
	if image == nil {
		t.Fatal("Dockerfile: no static build of ./cmd/andon with -trimpath")
	}
	if want := build[1] + " -X github.com/andon-governance/andon.Version=${VERSION}"; image[1] != want {
		t.Errorf("Dockerfile builds with -ldflags %q, want make build's and the version: %q", image[1], want)
	}
	if !strings.Contains(makefile, "export CGO_ENABLED ?= 0") {
		t.Error("Makefile: make build no longer builds a static binary (CGO_ENABLED=0), as the image does")
	}
	// The golang image does not fetch a newer toolchain (GOTOOLCHAIN=local),
	// so it must be the Go that go.mod asks for.
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(read("../../go.mod"))
	if goVersion == nil {
		t.Fatal("go.mod: no go line")
	}
	if !strings.Contains(dockerfile, "\nFROM --platform=$BUILDPLATFORM golang:"+goVersion[1]+" AS build\n") {
		t.Errorf("Dockerfile: the build stage is not golang:%s, the Go of go.mod", goVersion[1])
	}

	// The last stage runs as the distroless nonroot user, 65532, which the
	// chart's security contexts name.
	if !strings.Contains(dockerfile, "\nFROM gcr.io/distroless/static-debian12:nonroot\n") || !strings.Contains(dockerfile, "\nUSER 65532:65532\n") {
		t.Error("Dockerfile: the image does not run as the distroless nonroot user 65532")
	}
	values := read(filepath.Join(chartDir, "values.yaml"))
	if n := strings.Count(values, "runAsUser: 65532\n"); n != 2 {
		t.Errorf("values.yaml: runAsUser 65532 in %d security contexts, want the pod's and the container's", n)
	}

	ops := read("../../docs/operations.md")
	_, rest, ok := strings.Cut(ops, "```dockerfile\n")
	shown, _, _ := strings.Cut(rest, "```\n")
	if !ok || shown != dockerfile {
		t.Errorf("docs/operations.md shows another Dockerfile than the one at the top of the source tree:\n%s", cmp.Diff(dockerfile, shown))
	}
}
