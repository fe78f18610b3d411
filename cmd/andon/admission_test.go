package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
)

// webhookTLS is a CA with a serving certificate for 127.0.0.1 and a
// client certificate, written to files as andon serve reads them.
type webhookTLS struct {
	dir                       string
	caFile, certFile, keyFile string
	pool                      *x509.CertPool
	client                    tls.Certificate
}

func mustWebhookTLS(t testing.TB) *webhookTLS {
	t.Helper()
	dir := t.TempDir()
	w := &webhookTLS{dir: dir, caFile: filepath.Join(dir, "ca.crt"), certFile: filepath.Join(dir, "tls.crt"), keyFile: filepath.Join(dir, "tls.key")}
	caKey, caDER := mustCert(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "andon test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	}, nil, nil)
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	mustWritePEM(t, w.caFile, "CERTIFICATE", caDER)
	w.pool = x509.NewCertPool()
	w.pool.AddCert(ca)

	key, der := mustCert(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "andon"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}, ca, caKey)
	mustWritePEM(t, w.certFile, "CERTIFICATE", der)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	mustWritePEM(t, w.keyFile, "PRIVATE KEY", keyDER)

	clientKey, clientDER := mustCert(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}, ca, caKey)
	w.client = tls.Certificate{Certificate: [][]byte{clientDER}, PrivateKey: clientKey}
	return w
}

func mustCert(t testing.TB, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	return key, der
}

func mustWritePEM(t testing.TB, name, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// httpClient returns a client that trusts the CA and, with withCert,
// presents the client certificate, as an API server configured for it does.
func (w *webhookTLS) httpClient(withCert bool) *http.Client {
	cfg := &tls.Config{RootCAs: w.pool}
	if withCert {
		cfg.Certificates = []tls.Certificate{w.client}
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

var admissionListening = regexp.MustCompile(`msg="serving admission reviews over TLS" addr=(\S+)`)

// admissionURL is the URL of the server's admission endpoint, from its log.
func (s *liveServer) admissionURL(t *testing.T) string {
	t.Helper()
	m := admissionListening.FindStringSubmatch(s.logs.String())
	if m == nil {
		t.Fatalf("the server does not serve admission reviews; logs:\n%s", s.logs.String())
	}
	return "https://" + m[1] + "/api/v1/admission"
}

// mustReview sends the recorded review file to url with the object's
// namespace and first container image replaced when not "", and returns
// the response.
func mustReview(t *testing.T, c *http.Client, url, file, namespace, image string) *admissionv1.AdmissionResponse {
	t.Helper()
	body := reviewBody(t, file, namespace, image)
	var review struct {
		Request struct {
			UID string `json:"uid"`
		} `json:"request"`
	}
	if err := json.Unmarshal(body, &review); err != nil {
		t.Fatal(err)
	}
	r := postReview(t, c, url, body)
	if string(r.UID) != review.Request.UID {
		t.Errorf("%s: uid %q, want %q", file, r.UID, review.Request.UID)
	}
	return r
}

func message(r *admissionv1.AdmissionResponse) string {
	if r.Result == nil {
		return ""
	}
	return r.Result.Message
}

// gateEntries returns the gate decisions of the audit log.
func gateEntries(t *testing.T, s *liveServer) []andon.Entry {
	t.Helper()
	return mustJSON[struct{ Entries []andon.Entry }](t, s, "frank", 0, "audit", "entries", "--type", andon.EventGateDecision).Entries
}

// mustApprovedNow creates a high-risk change of prod-lyon for image whose
// window is open now, and has bob and brigitte approve it.
func mustApprovedNow(t *testing.T, s *liveServer, image string) andon.Change {
	t.Helper()
	now := time.Now()
	ch := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "prod-lyon", "--type", "normal",
		"--title", "November release", "--image", image, "--module", "mrp_workorder",
		"--start", now.Add(-5*time.Minute).Format(time.RFC3339), "--end", now.Add(2*time.Hour).Format(time.RFC3339))
	for _, u := range []string{"bob", "brigitte"} {
		if r := s.as(t, u, "change", "approve", ch.ID); r.code != 0 {
			t.Fatalf("%s approves: %s", u, r.stderr)
		}
	}
	return ch
}

// TestAdmissionWebhook drives the admission endpoint over TLS with the
// recorded reviews, through the real gate and store: staging admits a
// deployment as a standard change, production refuses it until a change
// is approved, a dry run authorises nothing, and a manifest that breaks a
// deny rule is refused without a gate decision.
func TestAdmissionWebhook(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		certs := mustWebhookTLS(t)
		s := MustServeOn(t, engine, t.TempDir(), "--admission-addr", "127.0.0.1:0", "--tls-cert", certs.certFile, "--tls-key", certs.keyFile)
		hook, c := s.admissionURL(t), certs.httpClient(false)

		// Staging: no change needed; the gate records a standard change.
		if r := mustReview(t, c, hook, "deployment-create", "odoo-lyon-staging", imageRelease); !r.Allowed {
			t.Fatalf("staging: refused: %s", message(r))
		}
		staged := mustJSON[struct{ Changes []andon.Change }](t, s, "alice", 0, "change", "list", "--env", "staging-lyon", "--state", "implementing").Changes
		if len(staged) != 1 || staged[0].Requester != "kubernetes:system:serviceaccount:argocd:argocd-application-controller" {
			t.Fatalf("staging changes = %+v; want one, requested by the Kubernetes user", staged)
		}
		if r := s.as(t, "dave", "change", "complete", staged[0].ID); r.code != 0 {
			t.Fatalf("complete staging change: %s", r.stderr)
		}

		// Production: refused with the gate's reason until a change exists.
		r := mustReview(t, c, hook, "deployment-create", "", imageRelease)
		if r.Allowed || !strings.Contains(message(r), "NO_APPROVED_CHANGE") || !strings.Contains(message(r), "Deployment odoo-lyon/odoo-web") {
			t.Fatalf("production without a change: allowed %v: %s", r.Allowed, message(r))
		}
		ch := mustApprovedNow(t, s, imageRelease)
		frozen := frozenNow(t, s, "prod-lyon")

		// A dry run (kubectl apply --dry-run=server) is decided, and
		// neither moves nor records anything.
		r = mustReview(t, c, hook, "deployment-create-dry-run", "", imageRelease)
		if r.Allowed == frozen {
			t.Fatalf("dry run: allowed %v with a freeze %v: %s", r.Allowed, frozen, message(r))
		}
		if got := mustJSON[andon.Change](t, s, "alice", 0, "change", "show", ch.ID); got.State != andon.StateApproved {
			t.Fatalf("after a dry run the change is %s, want approved", got.State)
		}
		r = mustReview(t, c, hook, "deployment-create", "", imageRelease)
		if frozen {
			if r.Allowed || !strings.Contains(message(r), "FROZEN") {
				t.Fatalf("during a freeze: allowed %v: %s", r.Allowed, message(r))
			}
		} else {
			if !r.Allowed {
				t.Fatalf("approved change in its window: refused: %s", message(r))
			}
			if got := mustJSON[andon.Change](t, s, "alice", 0, "change", "show", ch.ID); got.State != andon.StateImplementing {
				t.Fatalf("after admission the change is %s, want implementing", got.State)
			}
		}
		// Scaling it changes no image: admitted without asking the gate.
		before := len(gateEntries(t, s))
		if r := mustReview(t, c, hook, "deployment-update-replicas", "", ""); !r.Allowed {
			t.Errorf("scale: refused: %s", message(r))
		}

		// A deny rule refuses before the gate is asked: nothing is
		// recorded as a deployment.
		r = mustReview(t, c, hook, "deployment-create-unsafe", "", "")
		if r.Allowed || !strings.Contains(message(r), "[image-digest]") || !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "read-only-root-filesystem") }) {
			t.Errorf("unsafe: allowed %v: %s; warnings %q", r.Allowed, message(r), r.Warnings)
		}
		if r := mustReview(t, c, hook, "replicaset-controlled", "", ""); !r.Allowed {
			t.Errorf("a controller's ReplicaSet: refused: %s", message(r))
		}
		entries := gateEntries(t, s)
		if len(entries) != before {
			t.Errorf("gate decisions went from %d to %d; want none for a scale, a refused manifest and a controller's object", before, len(entries))
		}

		// Every decision names the Kubernetes request and user; the dry
		// run left none, as sideEffects NoneOnDryRun promises.
		for _, e := range entries {
			var d struct {
				DryRun  bool `json:"dryRun"`
				Request andon.GateRequest
			}
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			a := d.Request.Admission
			if a == nil || a.Kind != "Deployment" || a.Name != "odoo-web" || a.User != "system:serviceaccount:argocd:argocd-application-controller" || !strings.HasPrefix(e.Actor, "kubernetes:") || d.DryRun {
				t.Errorf("gate entry %d: actor %s, dry run %v, admission %+v", e.Index, e.Actor, d.DryRun, a)
			}
		}
		if len(entries) != 3 {
			t.Errorf("gate entries = %d; want 3 (staging, refused, deployment)", len(entries))
		}

		// andon gate --dry-run asks about now, records a dry run and moves
		// nothing.
		state := mustJSON[andon.Change](t, s, "alice", 0, "change", "show", ch.ID).State
		want := 0
		if frozen {
			want = 1
		}
		if res := mustJSON[andon.GateResult](t, s, "alice", want, "gate", "--env", "prod-lyon", "--image", imageRelease, "--dry-run"); !res.DryRun || res.AuditIndex == 0 {
			t.Errorf("gate --dry-run = %+v; want a recorded dry run", res)
		}
		if got := mustJSON[andon.Change](t, s, "alice", 0, "change", "show", ch.ID).State; got != state {
			t.Errorf("gate --dry-run moved the change from %s to %s", state, got)
		}

		// An unreadable review is a 400 with a JSON error.
		resp, err := c.Post(hook, "application/json", strings.NewReader(`{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview"}`))
		if err != nil {
			t.Fatal(err)
		}
		var e andon.Error
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != http.StatusBadRequest || e.Code != andon.EINVALID || !strings.Contains(e.Message, "admissionReviewVersions") {
			t.Errorf("bad review: %d %+v %v", resp.StatusCode, e, err)
		}
		resp.Body.Close()
		// The admission listener serves nothing of the API.
		if resp, err := c.Get(strings.TrimSuffix(hook, "/admission") + "/changes"); err != nil || resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /api/v1/changes on the admission port: %v %v; want 404", resp.StatusCode, err)
		} else {
			resp.Body.Close()
		}

		metrics := mustGet(t, s.url+"/metrics")
		for _, want := range []string{`andon_admission_reviews_total{outcome="allowed"}`, `andon_admission_reviews_total{outcome="ignored"} 1`, `andon_admission_reviews_total{outcome="client_error"} 1`, `andon_admission_reviews_total{outcome="error"} 0`} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		if r := runCLI(t, nil, append([]string{"audit", "verify"}, s.storeFlags()...)...); r.code != 0 {
			t.Errorf("audit verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// With --admission-client-ca only a caller with a certificate of that CA
// is served: the API server, configured to present one.
func TestAdmissionClientCertificates(t *testing.T) {
	certs := mustWebhookTLS(t)
	s := MustServe(t, t.TempDir(), "--admission-addr", "127.0.0.1:0", "--tls-cert", certs.certFile, "--tls-key", certs.keyFile, "--admission-client-ca", certs.caFile)
	hook := s.admissionURL(t)
	if resp, err := certs.httpClient(false).Post(hook, "application/json", strings.NewReader("{}")); err == nil {
		resp.Body.Close()
		t.Fatalf("a caller without a client certificate got status %d", resp.StatusCode)
	}
	if r := mustReview(t, certs.httpClient(true), hook, "deployment-update-replicas", "", ""); !r.Allowed {
		t.Errorf("with a client certificate: refused: %s", message(r))
	}
}

func TestAdmissionFlags(t *testing.T) {
	certs := mustWebhookTLS(t)
	data := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--admission-addr", "127.0.0.1:0"}, "needs --tls-cert and --tls-key"},
		{[]string{"--admission-addr", "127.0.0.1:0", "--tls-cert", certs.certFile, "--tls-key", certs.caFile}, "--tls-cert"},
		{[]string{"--admission-addr", "127.0.0.1:0", "--tls-cert", certs.certFile, "--tls-key", certs.keyFile, "--admission-client-ca", certs.keyFile}, "no PEM certificate"},
		{[]string{"--traefik-major", "4"}, "want 2 or 3"},
		// The webhook reads image catalogs through the kubeconfig given.
		{[]string{"--admission-addr", "127.0.0.1:0", "--tls-cert", certs.certFile, "--tls-key", certs.keyFile, "--admission-kubeconfig", filepath.Join(data, "none")}, "--admission-kubeconfig " + filepath.Join(data, "none")},
	} {
		r := runCLI(t, nil, append([]string{"serve", "--data", data, "--catalog", exampleCatalog, "--addr", "127.0.0.1:0"}, tt.args...)...)
		wantExit(t, r, 2, tt.want)
	}
}

func TestWebhookConfig(t *testing.T) {
	certs := mustWebhookTLS(t)
	r := runCLI(t, nil, "kube", "webhook-config", "--catalog", exampleCatalog, "--service", "andon/andon:8443", "--ca-bundle", certs.caFile, "--cluster", "eu-1", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var cfg struct {
		Kind     string
		Webhooks []struct {
			Name          string
			FailurePolicy string
			ClientConfig  struct {
				Service struct {
					Namespace, Name, Path string
					Port                  int
				}
				CABundle []byte
			}
			NamespaceSelector struct{ MatchExpressions []struct{ Values []string } }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &cfg); err != nil {
		t.Fatal(err)
	}
	ca, _ := os.ReadFile(certs.caFile)
	// Production, the other environments, and CloudNativePG's
	// cluster-scoped ClusterImageCatalogs.
	if cfg.Kind != "ValidatingWebhookConfiguration" || len(cfg.Webhooks) != 3 {
		t.Fatalf("config = %s", r.stdout)
	}
	for _, w := range cfg.Webhooks {
		svc := w.ClientConfig.Service
		if svc.Path != "/api/v1/admission/eu-1" || svc.Port != 8443 || !bytes.Equal(w.ClientConfig.CABundle, ca) {
			t.Errorf("%s: service %+v", w.Name, svc)
		}
		if w.Name == "production.gate.andon.io" && (w.FailurePolicy != "Fail" || !slices.Equal(w.NamespaceSelector.MatchExpressions[0].Values, []string{"odoo-lyon", "odoo-subsidiaries"})) {
			t.Errorf("production webhook: %+v", w)
		}
		if w.Name == "cluster-image-catalogs.gate.andon.io" && w.FailurePolicy != "Fail" {
			t.Errorf("ClusterImageCatalog webhook: %+v", w)
		}
	}
	// YAML by default, for kubectl apply -f -.
	r = runCLI(t, nil, "kube", "webhook-config", "--catalog", exampleCatalog, "--url", "https://10.0.0.5:8443", "--ca-bundle", certs.caFile)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "apiVersion: admissionregistration.k8s.io/v1\n") || !strings.Contains(r.stdout, "url: https://10.0.0.5:8443/api/v1/admission\n") {
		t.Errorf("yaml: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	wantExit(t, runCLI(t, nil, "kube", "webhook-config", "--catalog", exampleCatalog, "--url", "http://10.0.0.5:8080", "--ca-bundle", certs.caFile), 2, "https only")
	wantExit(t, runCLI(t, nil, "kube", "webhook-config", "--catalog", exampleCatalog, "--url", "https://10.0.0.5:8443"), 2, "--ca-bundle: required")
	for _, timeout := range []string{"0", "31"} {
		wantExit(t, runCLI(t, nil, "kube", "webhook-config", "--catalog", exampleCatalog, "--url", "https://10.0.0.5:8443", "--ca-bundle", certs.caFile, "--timeout", timeout), 2, "--timeout "+timeout+": the API server waits 1 to 30 seconds")
	}
	// Without --catalog the namespaces come from the server; when it
	// cannot be asked, the message says so and how to do without it.
	wantExit(t, runCLI(t, nil, "kube", "webhook-config", "--server", closedServer(t), "--url", "https://10.0.0.5:8443", "--ca-bundle", certs.caFile), 2, "unless --catalog DIR gives a catalog directory: cannot reach andon server")
	// A server asked without a token: both ways out.
	s := MustServe(t, t.TempDir())
	wantExit(t, runCLI(t, nil, "kube", "webhook-config", "--server", s.url, "--url", "https://10.0.0.5:8443", "--ca-bundle", certs.caFile), 2,
		"andon: the catalog's namespaces come from the server, which needs an API token: give --catalog DIR, the catalog directory, or set ANDON_TOKEN or --token")
}

// mustUnfrozenCatalog copies the example catalog without its freezes, so
// that production deploys at any time inside a change's window.
func mustUnfrozenCatalog(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	mustCopyDir(t, exampleCatalog, dir)
	file := filepath.Join(dir, "windows.yaml")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(b), "\n---\n")
	docs = slices.DeleteFunc(docs, func(d string) bool { return strings.Contains(d, "type: freeze") })
	if err := os.WriteFile(file, []byte(strings.Join(docs, "\n---\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// twoImageReview is the recorded create of Deployment odoo-web in
// namespace (the recorded one when "") with an init container of image
// first, asked about first, and its container of image second.
func twoImageReview(t *testing.T, namespace, first, second string) []byte {
	t.Helper()
	var review map[string]any
	if err := json.Unmarshal(reviewBody(t, "deployment-create", namespace, second), &review); err != nil {
		t.Fatal(err)
	}
	spec := review["request"].(map[string]any)["object"].(map[string]any)["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	init := map[string]any{}
	for k, v := range spec["containers"].([]any)[0].(map[string]any) {
		init[k] = v
	}
	init["name"], init["image"] = "migrate", first
	spec["initContainers"] = []any{init}
	body, err := json.Marshal(review)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// postReview sends an AdmissionReview to url and returns its response.
func postReview(t *testing.T, c *http.Client, url string, body []byte) *admissionv1.AdmissionResponse {
	t.Helper()
	resp, err := c.Post(url+"?timeout=10s", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	var out admissionv1.AdmissionReview
	if resp.StatusCode != http.StatusOK || json.Unmarshal(answer, &out) != nil || out.Response == nil {
		t.Fatalf("status %d, answer %s", resp.StatusCode, answer)
	}
	return out.Response
}

// A Deployment whose images are not all allowed moves no change: the
// image carried by an approved change in its window is recorded as a dry
// run, its change stays approved, and the refusal names the other image.
// Once both are allowed, both changes move to implementing.
func TestAdmissionDecidesAWorkloadsImagesTogether(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		certs := mustWebhookTLS(t)
		s := MustServeOn(t, engine, t.TempDir(), "--catalog", mustUnfrozenCatalog(t), "--admission-addr", "127.0.0.1:0", "--tls-cert", certs.certFile, "--tls-key", certs.keyFile)
		hook, c := s.admissionURL(t), certs.httpClient(false)

		// Staging records a standard change for each image; completed,
		// they are the promotion production asks for.
		if r := postReview(t, c, hook, twoImageReview(t, "odoo-lyon-staging", imageRelease, imageUnseen)); !r.Allowed {
			t.Fatalf("staging: refused: %s", message(r))
		}
		staged := mustJSON[struct{ Changes []andon.Change }](t, s, "alice", 0, "change", "list", "--env", "staging-lyon", "--state", "implementing").Changes
		if len(staged) != 2 {
			t.Fatalf("staging changes implementing = %+v; want one per image", staged)
		}
		for _, ch := range staged {
			if r := s.as(t, "dave", "change", "complete", ch.ID); r.code != 0 {
				t.Fatalf("complete staging change %s: %s", ch.ID, r.stderr)
			}
		}

		first := mustApprovedNow(t, s, imageRelease)
		before := len(gateEntries(t, s))
		r := postReview(t, c, hook, twoImageReview(t, "", imageRelease, imageUnseen))
		if want := "andon's gate refused image " + imageUnseen + " of Deployment odoo-lyon/odoo-web in environment prod-lyon: NO_APPROVED_CHANGE"; r.Allowed || !strings.Contains(message(r), want) || !strings.Contains(message(r), "was recorded as a dry run and moved no change") {
			t.Errorf("second image without a change: allowed %v: %s; want %q", r.Allowed, message(r), want)
		}
		if got := mustJSON[andon.Change](t, s, "alice", 0, "change", "show", first.ID); got.State != andon.StateApproved {
			t.Errorf("after the refusal change %s is %s, want approved", first.ID, got.State)
		}
		// The log holds the refusal and, for the image that would have
		// been allowed, a dry run; no transition of the change.
		type decision struct {
			Request andon.GateRequest
			Allow   bool
			DryRun  bool
			Change  string
		}
		var got []decision
		for _, e := range gateEntries(t, s)[before:] {
			var d decision
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			if d.Request.Admission == nil || d.Request.Admission.Name != "odoo-web" {
				t.Errorf("gate entry %d: admission %+v", e.Index, d.Request.Admission)
			}
			d.Request = andon.GateRequest{Image: d.Request.Image}
			got = append(got, d)
		}
		want := []decision{
			{Request: andon.GateRequest{Image: imageUnseen}},
			{Request: andon.GateRequest{Image: imageRelease}, Allow: true, DryRun: true, Change: first.ID},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("gate decisions of the refusal (-want +got):\n%s", diff)
		}
		history := mustJSON[struct{ Entries []andon.Entry }](t, s, "frank", 0, "audit", "entries", "--change", first.ID).Entries
		for _, e := range history {
			if e.Type == andon.EventChangeTransition {
				t.Errorf("change %s has a transition after the refusal: %s", first.ID, e.Data)
			}
		}

		// With a change for the second image, both are allowed and move.
		second := mustApprovedNow(t, s, imageUnseen)
		if r := postReview(t, c, hook, twoImageReview(t, "", imageRelease, imageUnseen)); !r.Allowed {
			t.Fatalf("both images with their changes: refused: %s", message(r))
		}
		for _, ch := range []andon.Change{first, second} {
			if got := mustJSON[andon.Change](t, s, "alice", 0, "change", "show", ch.ID); got.State != andon.StateImplementing {
				t.Errorf("after admission change %s is %s, want implementing", ch.ID, got.State)
			}
		}
		if r := runCLI(t, nil, append([]string{"audit", "verify"}, s.storeFlags()...)...); r.code != 0 {
			t.Errorf("audit verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}
