package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/client"
)

// The live part of andon drift needs a Kubernetes API server and is tested
// by the opt-in suite against a real one (make test-k8s). The tests here
// drive everything around it: the report through the real HTTP API into
// the audit log and the metrics, and every way the command refuses to
// check.

// desiredManifests is a small stack of desired manifests.
const desiredManifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: odoo}
spec:
  replicas: 2
  template:
    spec:
      containers: [{name: odoo, image: "registry.example.com/odoo/odoo-lyon:17.0-2026.11"}]
---
apiVersion: v1
kind: Secret
metadata: {name: odoo-db}
stringData: {password: s3cret}
`

// driftReport is what andon drift would send for prod-lyon after a
// comparison: one object added, one changed, one Secret changed.
func driftReport() *andon.DriftReport {
	return &andon.DriftReport{
		Environment: "prod-lyon",
		Cluster:     "eu-1",
		Namespace:   "odoo-lyon",
		Server:      "https://10.0.0.1:6443",
		Desired:     andon.DriftSource{Path: "deploy/prod-lyon"},
		Counts:      andon.DriftCounts{Added: 1, Changed: 2, Unchanged: 3},
		Objects: []andon.DriftObject{
			{Drift: andon.DriftAdded, APIVersion: "v1", Kind: "ConfigMap", Namespace: "odoo-lyon", Name: "debug-tools"},
			{Drift: andon.DriftChanged, APIVersion: "apps/v1", Kind: "Deployment", Namespace: "odoo-lyon", Name: "odoo", File: "deploy/prod-lyon/odoo.yaml", Line: 1,
				Fields: []andon.DriftField{{Path: "spec.template.spec.containers[name=odoo].image",
					Desired: json.RawMessage(`"registry.example.com/odoo/odoo-lyon:17.0-2026.11"`), Live: json.RawMessage(`"registry.example.com/odoo/odoo-lyon:17.0-2026.10"`)}}},
			{Drift: andon.DriftChanged, APIVersion: "v1", Kind: "Secret", Namespace: "odoo-lyon", Name: "odoo-db", File: "deploy/prod-lyon/odoo.yaml", Line: 10,
				Fields: []andon.DriftField{{Path: "data.password", Desired: andon.RedactedValue(), Live: andon.RedactedValue(), Redacted: true}}},
		},
	}
}

// TestDriftRecorded posts a drift report through the real HTTP API and
// finds it in the audit log, whose proof still verifies, and in the
// metrics.
func TestDriftRecorded(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := MustServeOn(t, engine, t.TempDir())
		c := client.New(s.url, s.tokens["alice"])
		rec, err := c.RecordDrift(context.Background(), driftReport())
		if err != nil {
			t.Fatal(err)
		}

		entries := mustJSON[struct{ Entries []andon.Entry }](t, s, "frank", 0, "audit", "entries", "--type", andon.EventDriftChecked).Entries
		if len(entries) != 1 || entries[0].Index != rec.AuditIndex || entries[0].Actor != "alice" || entries[0].Subject != "prod-lyon" {
			t.Fatalf("drift.checked entries = %+v, want one by alice about prod-lyon at %d", entries, rec.AuditIndex)
		}
		var got andon.DriftReport
		if err := json.Unmarshal(entries[0].Data, &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(driftReport(), &got); diff != "" {
			t.Errorf("recorded report (-want +got):\n%s", diff)
		}
		if strings.Contains(string(entries[0].Data), "s3cret") {
			t.Errorf("the audit entry holds a Secret's value: %s", entries[0].Data)
		}

		metrics := mustGet(t, s.url+"/metrics")
		for _, want := range []string{
			`andon_drift_objects{environment="prod-lyon",kind="added"} 1`,
			`andon_drift_objects{environment="prod-lyon",kind="missing"} 0`,
			`andon_drift_objects{environment="prod-lyon",kind="changed"} 2`,
			`andon_drift_last_check_timestamp_seconds{environment="prod-lyon"} `,
		} {
			if !strings.Contains(metrics, "\n"+want) {
				t.Errorf("metrics lack %s", want)
			}
		}

		// A report the catalog contradicts is refused and recorded nowhere.
		bad := driftReport()
		bad.Namespace = "odoo-geelong"
		if _, err := c.RecordDrift(context.Background(), bad); andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), "is not the namespace of environment prod-lyon") {
			t.Errorf("RecordDrift with another namespace = %v, want invalid", err)
		}
		if r := runCLI(t, nil, append([]string{"audit", "verify"}, s.storeFlags()...)...); r.code != 0 {
			t.Errorf("audit verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

func mustGet(t *testing.T, url string) string {
	t.Helper()
	return mustGetWith(t, http.DefaultClient, url)
}

// mustGetWith returns the body of a GET of url made with c.
func mustGetWith(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDriftCannotCheck runs andon drift where it cannot check, and wants
// exit code 2, the reason, and nothing recorded.
func TestDriftCannotCheck(t *testing.T) {
	// A catalog whose dev environment names no namespace.
	cat := t.TempDir()
	for _, name := range []string{"environments.yaml", "plants.yaml", "processes.yaml", "teams.yaml", "windows.yaml"} {
		b, err := os.ReadFile(filepath.Join(exampleCatalog, name))
		if err != nil {
			t.Fatal(err)
		}
		b = []byte(strings.Replace(string(b), "kubernetes: {cluster: eu-1, namespace: odoo-dev}", "kubernetes: {cluster: eu-1}", 1))
		mustWriteFile(t, filepath.Join(cat, name), string(b))
	}
	if err := os.CopyFS(filepath.Join(cat, "calendars"), os.DirFS(filepath.Join(exampleCatalog, "calendars"))); err != nil {
		t.Fatal(err)
	}
	s := &liveServer{tokens: map[string]string{}}
	data := t.TempDir()
	s.data = data
	s.url, _, s.stop = startServe(t, "--data", data, "--catalog", cat)
	r := runCLI(t, nil, "token", "create", "--user", "alice", "--data", data)
	if r.code != 0 {
		t.Fatalf("token create: %s", r.stderr)
	}
	s.tokens["alice"] = strings.TrimSpace(r.stdout)

	desired := t.TempDir()
	mustWriteFile(t, filepath.Join(desired, "odoo.yaml"), desiredManifests)
	empty := t.TempDir()
	mustWriteFile(t, filepath.Join(empty, "README.md"), "Nothing here yet.\n")
	// A kubeconfig of an API server that is not there.
	kubeconfig := filepath.Join(t.TempDir(), "config")
	mustWriteFile(t, kubeconfig, `apiVersion: v1
kind: Config
clusters: [{name: eu-1, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: ci, user: {token: abc}}]
contexts: [{name: eu-1, context: {cluster: eu-1, user: ci}}]
current-context: eu-1
`)
	twice := t.TempDir()
	mustWriteFile(t, filepath.Join(twice, "odoo.yaml"), desiredManifests)
	mustWriteFile(t, filepath.Join(twice, "again.yaml"), desiredManifests)
	repo := t.TempDir()
	mustGit(t, repo, "init", "-q", "-b", "main")
	mustWriteFile(t, filepath.Join(repo, "prod-lyon", "odoo.yaml"), desiredManifests)
	mustGit(t, repo, "add", "-A")
	mustGit(t, repo, "commit", "-q", "-m", "prod-lyon")
	repoURL := "file://" + filepath.ToSlash(repo)

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown environment", []string{"--env", "prod-mars", "--desired", desired}, `environment "prod-mars" is not in the catalog; it has dev, staging-lyon, prod-lyon`},
		{"environment without namespace", []string{"--env", "dev", "--desired", desired}, "environment dev has no kubernetes.namespace in the catalog"},
		{"neither path nor URL", []string{"--env", "prod-lyon", "--desired", filepath.Join(desired, "nope")}, "neither an existing file or directory nor a git URL"},
		{"no manifests", []string{"--env", "prod-lyon", "--desired", empty}, "holds no Kubernetes objects"},
		{"git path with a local path", []string{"--env", "prod-lyon", "--desired", desired, "--git-path", "prod-lyon"}, "--git-path: --desired"},
		{"missing kubeconfig", []string{"--env", "prod-lyon", "--desired", desired, "--kubeconfig", filepath.Join(desired, "nope")}, "kubeconfig:"},
		{"unknown context", []string{"--env", "prod-lyon", "--desired", desired, "--kubeconfig", kubeconfig, "--context", "au-1"}, `context "au-1" does not exist`},
		{"unreachable cluster", []string{"--env", "prod-lyon", "--desired", desired, "--kubeconfig", kubeconfig}, "could not compare with the cluster: cannot reach the Kubernetes API at https://127.0.0.1:1"},
		// The manifests are wrong: that is said before the cluster is
		// looked for.
		{"declared twice, unreachable cluster", []string{"--env", "prod-lyon", "--desired", twice, "--kubeconfig", kubeconfig}, "odoo.yaml:1: Deployment.apps odoo is declared twice, first at " + filepath.Join(twice, "again.yaml") + ":1"},
		{"git ref not found", []string{"--env", "prod-lyon", "--desired", repoURL + "@v9", "--git-path", "prod-lyon"}, `ref "v9" not found`},
		// The manifests are read from git, then the cluster is not there.
		{"git, unreachable cluster", []string{"--env", "prod-lyon", "--desired", repoURL + "@main", "--git-path", "prod-lyon", "--kubeconfig", kubeconfig}, "could not compare with the cluster"},
		{"bad output", []string{"--env", "prod-lyon", "--desired", desired, "-o", "xml"}, `--output "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantExit(t, s.as(t, "alice", append([]string{"drift"}, tt.args...)...), 2, tt.want)
		})
	}
	entries := mustJSON[struct{ Entries []andon.Entry }](t, s, "alice", 0, "audit", "entries", "--type", andon.EventDriftChecked).Entries
	if len(entries) != 0 {
		t.Errorf("drift.checked entries = %d, want none", len(entries))
	}
	wantExit(t, s.as(t, "alice", "drift", "--env", "prod-lyon"), 2, "missing --desired")

	s.stop()
	wantExit(t, s.as(t, "alice", "drift", "--env", "prod-lyon", "--desired", desired, "--kubeconfig", kubeconfig), 2, "cannot reach andon server")
}

func mustWriteFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSplitGitURL(t *testing.T) {
	tests := []struct {
		in, url, ref string
		ok           bool
	}{
		{"https://git.example.com/odoo/deploy.git", "https://git.example.com/odoo/deploy.git", "", true},
		{"https://git.example.com/odoo/deploy.git@v2026.11", "https://git.example.com/odoo/deploy.git", "v2026.11", true},
		{"https://ci@git.example.com/odoo/deploy.git", "https://ci@git.example.com/odoo/deploy.git", "", true},
		{"https://ci@git.example.com/odoo/deploy.git@feature/tablets", "https://ci@git.example.com/odoo/deploy.git", "feature/tablets", true},
		{"ssh://git@git.example.com/odoo/deploy.git@main", "ssh://git@git.example.com/odoo/deploy.git", "main", true},
		{"git@git.example.com:odoo/deploy.git", "git@git.example.com:odoo/deploy.git", "", true},
		{"git@git.example.com:odoo/deploy.git@9fceb02d0ae598e95dc970b74767f19372d61af8", "git@git.example.com:odoo/deploy.git", "9fceb02d0ae598e95dc970b74767f19372d61af8", true},
		{"file:///srv/git/deploy.git@main", "file:///srv/git/deploy.git", "main", true},
		{"http://127.0.0.1:3000/odoo/deploy", "http://127.0.0.1:3000/odoo/deploy", "", true},
		{"https://git.example.com", "", "", false},
		{"https://git.example.com/odoo/deploy.git@", "", "", false},
		{"deploy/prod-lyon", "", "", false},
		{"deploy@v1", "", "", false},
		{"s3://bucket/deploy", "", "", false},
	}
	for _, tt := range tests {
		url, ref, ok := splitGitURL(tt.in)
		if url != tt.url || ref != tt.ref || ok != tt.ok {
			t.Errorf("splitGitURL(%q) = %q, %q, %v; want %q, %q, %v", tt.in, url, ref, ok, tt.url, tt.ref, tt.ok)
		}
	}
}

func TestWriteDrift(t *testing.T) {
	rep := driftReport()
	rep.Desired = andon.DriftSource{URL: "https://git.example.com/odoo/deploy.git", Ref: "v2026.11", Path: "prod-lyon", Commit: "9fceb02d0ae598e95dc970b74767f19372d61af8"}
	rep.Objects = append(rep.Objects[:1], andon.DriftObject{Drift: andon.DriftMissing, APIVersion: "traefik.io/v1alpha1", Kind: "IngressRoute", Namespace: "odoo-lyon", Name: "odoo",
		File: "prod-lyon/ingress.yaml", Line: 1, Reason: "the cluster serves no traefik.io/v1alpha1 IngressRoute"}, rep.Objects[1],
		andon.DriftObject{Drift: andon.DriftChanged, APIVersion: "v1", Kind: "Secret", Namespace: "odoo-lyon", Name: "odoo-db", File: "prod-lyon/odoo.yaml", Line: 10,
			Fields: []andon.DriftField{
				{Path: "data.password", Desired: andon.RedactedValue(), Live: andon.RedactedValue(), Redacted: true},
				{Path: "data.api-key", Desired: andon.RedactedValue(), Redacted: true},
				{Path: "spec.replicas", Desired: json.RawMessage(`2`)},
			}})
	rep.Objects[2].File = "prod-lyon/odoo.yaml"
	rep.Counts.Missing = 1
	rep.Skipped = []andon.DriftObject{{Drift: andon.DriftSkipped, APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "odoo-reader",
		File: "prod-lyon/rbac.yaml", Line: 1, Reason: "cluster-scoped: drift compares the objects of the environment's namespace"}}
	rep.Counts.Skipped = 1
	var b strings.Builder
	writeDrift(&b, &driftOutput{DriftReport: rep, Recorded: true, AuditIndex: 42})
	want := `DRIFT in prod-lyon: 1 added, 1 missing, 2 changed; 3 unchanged, 1 skipped
namespace: odoo-lyon, cluster eu-1, https://10.0.0.1:6443
desired:   https://git.example.com/odoo/deploy.git@v2026.11:prod-lyon (commit 9fceb02d0ae598e95dc970b74767f19372d61af8)

added    ConfigMap/debug-tools
missing  IngressRoute.traefik.io/odoo  (prod-lyon/ingress.yaml:1): the cluster serves no traefik.io/v1alpha1 IngressRoute
changed  Deployment.apps/odoo  (prod-lyon/odoo.yaml:1)
    spec.template.spec.containers[name=odoo].image: desired "registry.example.com/odoo/odoo-lyon:17.0-2026.11", live "registry.example.com/odoo/odoo-lyon:17.0-2026.10"
changed  Secret/odoo-db  (prod-lyon/odoo.yaml:10)
    data.password: differs (values not shown)
    data.api-key: absent live (value not shown)
    spec.replicas: desired 2, live (absent)
skipped  ClusterRole.rbac.authorization.k8s.io/odoo-reader  (prod-lyon/rbac.yaml:1): cluster-scoped: drift compares the objects of the environment's namespace

recorded: audit entry 42
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("writeDrift (-want +got):\n%s", diff)
	}

	b.Reset()
	writeDrift(&b, &driftOutput{DriftReport: &andon.DriftReport{Environment: "dev", Namespace: "odoo-dev",
		Desired: andon.DriftSource{Path: "deploy/dev"}, Counts: andon.DriftCounts{Unchanged: 1}}})
	want = `NO DRIFT in dev: 1 object as desired, 0 skipped
namespace: odoo-dev
desired:   deploy/dev

recorded: no
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("writeDrift without drift (-want +got):\n%s", diff)
	}
}
