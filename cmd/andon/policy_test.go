package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const stacks = "../../testdata/stacks"

// policyReport runs andon policy test -o json with args and decodes it.
func policyReport(t *testing.T, wantCode int, args ...string) policyTestReport {
	t.Helper()
	r := runCLI(t, nil, append([]string{"policy", "test", "-o", "json"}, args...)...)
	if r.code != wantCode {
		t.Fatalf("policy test %v: exit %d, want %d\n%s%s", args, r.code, wantCode, r.stdout, r.stderr)
	}
	var rep policyTestReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("policy test -o json: %v\n%s", err, r.stdout)
	}
	return rep
}

func rulesOf(rep policyTestReport) []string {
	var ids []string
	for _, f := range rep.Findings {
		if !slices.Contains(ids, f.Rule) {
			ids = append(ids, f.Rule)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestPolicyTestStacks(t *testing.T) {
	good := policyReport(t, 0, "--allowed-registry", "registry.example.com", filepath.Join(stacks, "good-production"))
	if good.Objects < 20 || good.Denied != 0 || good.Warnings != 0 {
		t.Errorf("good-production: %d objects, %d denied, %d warnings; want a full stack and no finding: %v",
			good.Objects, good.Denied, good.Warnings, good.Findings)
	}
	bad := policyReport(t, 1, filepath.Join(stacks, "bad-staging"))
	got := rulesOf(bad)
	for _, want := range []string{
		"odoo-list-db", "odoo-admin-passwd", "odoo-conf-password-in-configmap", "image-digest",
		"odoo-filestore-recreate", "ingress-database-manager", "traefik-crd-group", "traefik-ipwhitelist",
		"service-exposes-odoo", "run-as-non-root", "redis-noeviction", "odoo-queue-job-runner",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("bad-staging: no %s finding; found %v", want, got)
		}
	}
	for _, f := range bad.Findings {
		if f.Object.File == "" || f.Object.Line < 1 || f.Message == "" {
			t.Errorf("finding without place or message: %+v", f)
		}
	}
	// Only the allowed registries count: here registry.example.com's odoo
	// path, which the stack's other images are not under.
	strict := policyReport(t, 1, "--allowed-registry", "registry.example.com/odoo", filepath.Join(stacks, "good-production"))
	if !slices.Contains(rulesOf(strict), "image-registry") {
		t.Errorf("good-production with only registry.example.com/odoo allowed: rules %v, want image-registry", rulesOf(strict))
	}
}

func TestPolicyTestFormats(t *testing.T) {
	bad := filepath.Join(stacks, "bad-staging")
	rep := policyReport(t, 1, bad)

	r := runCLI(t, nil, "policy", "test", "-o", "sarif", bad)
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID      string `json:"id"`
						HelpURI string `json:"helpUri"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string                `json:"ruleId"`
				RuleIndex int                   `json:"ruleIndex"`
				Level     string                `json:"level"`
				Message   struct{ Text string } `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
						Region           struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &sarif); err != nil || r.code != 1 {
		t.Fatalf("sarif: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	run := sarif.Runs[0]
	if sarif.Version != "2.1.0" || run.Tool.Driver.Name != "andon" || len(run.Results) != len(rep.Findings) {
		t.Fatalf("sarif: version %q, tool %q, %d results; want 2.1.0, andon, %d", sarif.Version, run.Tool.Driver.Name, len(run.Results), len(rep.Findings))
	}
	for i, res := range run.Results {
		// The message names its object once, as the finding's own does.
		if f := rep.Findings[i]; res.Message.Text != f.Message {
			t.Errorf("sarif message %q, want the finding's %q", res.Message.Text, f.Message)
		}
		rule := run.Tool.Driver.Rules[res.RuleIndex]
		loc := res.Locations[0].PhysicalLocation
		if rule.ID != res.RuleID || !strings.Contains(rule.HelpURI, "manifests.md#"+res.RuleID) ||
			(res.Level != "error" && res.Level != "warning") || !strings.HasPrefix(loc.ArtifactLocation.URI, "../../testdata/stacks/bad-staging/") || loc.Region.StartLine < 1 {
			t.Errorf("sarif result %+v with rule %+v", res, rule)
		}
	}

	r = runCLI(t, nil, "policy", "test", "-o", "junit", bad)
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Text string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	}
	if err := xml.Unmarshal([]byte(r.stdout), &suite); err != nil || r.code != 1 {
		t.Fatalf("junit: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	if suite.Tests != rep.Objects || len(suite.Cases) != rep.Objects || suite.Failures == 0 {
		t.Errorf("junit: %d tests, %d cases, %d failures; want %d objects and failures", suite.Tests, len(suite.Cases), suite.Failures, rep.Objects)
	}

	r = runCLI(t, nil, "policy", "test", bad)
	if r.code != 1 || !strings.Contains(r.stdout, "DENY") || !strings.Contains(r.stdout, "bad-staging/odoo.yaml:") {
		t.Errorf("text: exit %d\n%s", r.code, r.stdout)
	}
	// One line a finding, which names its object once, then the counts.
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if want := fmt.Sprintf("%d objects: %d denied, %d warnings, 0 waived", rep.Objects, rep.Denied, rep.Warnings); lines[len(lines)-1] != want {
		t.Errorf("text: last line %q, want %q", lines[len(lines)-1], want)
	}
	one := t.TempDir()
	mustWriteFile(t, filepath.Join(one, "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: odoo, namespace: odoo-dev}\n")
	if r := runCLI(t, nil, "policy", "test", one); r.code != 0 || r.stdout != "1 object: 0 denied, 0 warnings, 0 waived\n" {
		t.Errorf("one object: exit %d, %q; want the count in the singular", r.code, r.stdout)
	}
	for i, f := range rep.Findings {
		obj := f.Object.Kind + " " + f.Object.Namespace + "/" + f.Object.Name
		if i >= len(lines) || !strings.HasSuffix(lines[i], "["+f.Rule+"] "+f.Message) || strings.Count(lines[i], obj) != 1 {
			t.Errorf("text line %d for %s of %s does not end with its message or names the object other than once:\n%s", i, f.Rule, obj, r.stdout)
			break
		}
	}
}

func TestPolicyTestStdin(t *testing.T) {
	dir := filepath.Join(stacks, "good-production")
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	var all []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, string(b))
	}
	// As helm template prints it: documents after "---" with a Source
	// comment.
	in := "---\n# Source: odoo/templates/all.yaml\n" + strings.Join(all, "\n---\n")
	r := runCLIWithStdin(t, in, "policy", "test", "-o", "json", "--allowed-registry", "registry.example.com", "-")
	var rep policyTestReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("stdin: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	want := policyReport(t, 0, "--allowed-registry", "registry.example.com", dir)
	if rep.Objects != want.Objects {
		t.Errorf("stdin: %d objects, want %d as from the directory", rep.Objects, want.Objects)
	}
}

func TestPolicyTestWaivers(t *testing.T) {
	cat := t.TempDir()
	mustCopyDir(t, exampleCatalog, cat)
	waivers := `apiVersion: andon/v1
kind: Waiver
metadata: {name: staging-digests}
spec:
  rule: image-digest
  selector: {namespaces: [odoo-staging-lyon]}
  reason: staging follows the nightly tag until the registry mirrors digests
  owner: lyon-ops
  expires: 2027-01-31
---
apiVersion: andon/v1
kind: Waiver
metadata: {name: old-root}
spec:
  rule: run-as-non-root
  reason: the legacy image ran as root
  owner: platform
  expires: 2026-10-01
`
	if err := os.WriteFile(filepath.Join(cat, "waivers.yaml"), []byte(waivers), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(stacks, "bad-staging")
	before := policyReport(t, 1, bad)
	rep := policyReport(t, 1, "--catalog", cat, "--now", "2026-11-26T12:00:00Z", bad)
	var digests, waived, roots int
	for _, f := range rep.Findings {
		switch {
		case f.Rule == "image-digest":
			digests++
			if f.Waiver == "staging-digests" {
				waived++
			}
		case f.Rule == "run-as-non-root":
			roots++
			if f.Waiver != "" {
				t.Errorf("an expired waiver waived %+v", f)
			}
		}
	}
	if digests == 0 || waived != digests || roots == 0 {
		t.Errorf("image-digest findings %d, waived %d; run-as-non-root %d; want all digests waived and roots kept", digests, waived, roots)
	}
	if rep.Waived != waived || rep.Denied != before.Denied-waived {
		t.Errorf("denied %d, waived %d; want %d and %d", rep.Denied, rep.Waived, before.Denied-waived, waived)
	}
	if len(rep.WaiversUsed) != 1 || rep.WaiversUsed[0].Name != "staging-digests" ||
		len(rep.WaiversExpired) != 1 || rep.WaiversExpired[0].Name != "old-root" {
		t.Errorf("waivers used %v, expired %v; want staging-digests and old-root", rep.WaiversUsed, rep.WaiversExpired)
	}
	// After its expiry the waiver waives nothing.
	later := policyReport(t, 1, "--catalog", cat, "--now", "2027-02-01T00:00:00Z", bad)
	if later.Waived != 0 || later.Denied != before.Denied {
		t.Errorf("after expiry: %d waived, %d denied; want 0 and %d", later.Waived, later.Denied, before.Denied)
	}
}

func TestPolicyTestRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte("apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nmetadata: {name: x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	kind5 := filepath.Join(dir, "kind5.yaml")
	mustWriteFile(t, kind5, "apiVersion: v1\nkind: 5\n")
	scalar := filepath.Join(dir, "scalar.yaml")
	mustWriteFile(t, scalar, "---\nhello\n")
	list := filepath.Join(dir, "list.yaml")
	mustWriteFile(t, list, "- a\n")
	good := filepath.Join(stacks, "good-production")
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"not an object", []string{broken}, "broken.yaml:4: not a Kubernetes object"},
		{"kind not a string", []string{kind5}, "kind5.yaml:1: not a Kubernetes object: kind must be a string, such as Deployment"},
		{"a scalar document", []string{scalar}, `scalar.yaml:2: not a Kubernetes object: the document is the value "hello", not a mapping (a Kubernetes object is a YAML mapping with apiVersion and kind)`},
		{"a list document", []string{list}, "list.yaml:1: not a Kubernetes object: the document is a list, not a mapping"},
		{"missing file", []string{filepath.Join(dir, "none.yaml")}, "none.yaml"},
		{"bad format", []string{"-o", "yaml", broken}, "--output"},
		{"bad traefik", []string{"--traefik-major", "4", broken}, "--traefik-major"},
		{"env without catalog", []string{"--env", "prod-lyon", broken}, "--env"},
		{"namespace not a label", []string{"-n", "Bad_NS!", good}, `--namespace "Bad_NS!": not a Kubernetes namespace`},
		{"namespace too long", []string{"--namespace", strings.Repeat("a", 300), good}, `--namespace "aaaa`},
		{"registry with a scheme", []string{"--allowed-registry", "https://x/", good}, `--allowed-registry: "https://x/" is not a registry: image references name it without a scheme; drop https://, as in "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, append([]string{"policy", "test"}, tt.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want 2 naming %q", r.code, r.stderr, tt.stderr)
			}
		})
	}
}

// An empty -n or --allowed-registry, as a CI template gives with its
// variable unset, is none: the check runs as without the flag.
func TestPolicyTestEmptyFlagsAreNone(t *testing.T) {
	good := filepath.Join(stacks, "good-production")
	want := policyReport(t, 0, "--allowed-registry", "registry.example.com", good)
	got := policyReport(t, 0, "-n", "", "--allowed-registry", "", "--allowed-registry", "registry.example.com", good)
	if got.Objects != want.Objects || len(got.Findings) != len(want.Findings) {
		t.Errorf("with empty flags: %d objects, %d findings; want %d and %d, as without them", got.Objects, len(got.Findings), want.Objects, len(want.Findings))
	}
}

// A check that reads no object would pass, as a CI job would whose helm
// template failed and piped nothing: it is refused instead, naming what
// was read.
func TestPolicyTestRefusesNoObject(t *testing.T) {
	empty := t.TempDir()
	noYAML := t.TempDir()
	mustWriteFile(t, filepath.Join(noYAML, "README.md"), "apiVersion: v1\nkind: Namespace\n")
	onlyComments := filepath.Join(t.TempDir(), "empty.yaml")
	mustWriteFile(t, onlyComments, "# nothing rendered\n---\n---\n")
	tests := []struct {
		name   string
		stdin  string
		args   []string
		stderr string
	}{
		{"empty stdin, no path", "", nil, "read no Kubernetes object from standard input"},
		{"empty stdin", "", []string{"-"}, "read no Kubernetes object from standard input"},
		{"stdin of comments", "# Source: odoo/templates/x.yaml\n---\n", []string{"-"}, "read no Kubernetes object from standard input"},
		{"empty directory", "", []string{empty}, "read no Kubernetes object from " + empty},
		{"no YAML", "", []string{noYAML, onlyComments}, "read no Kubernetes object from " + noYAML + " and " + onlyComments},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLIWithStdin(t, tt.stdin, append([]string{"policy", "test"}, tt.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.stderr) || r.stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and an error naming %q", r.code, r.stdout, r.stderr, tt.stderr)
			}
		})
	}
}

// With no path, standard input is read only when something is piped in:
// at a terminal, andon would wait for ever for someone who forgot the
// paths. /dev/null is no terminal: it is read, and holds no object.
func TestPolicyTestRefusesTerminal(t *testing.T) {
	tty := openTerminal(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"andon", "policy", "test"}, func(string) string { return "" }, tty, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "no manifests to check: give their files or directories, or pipe them in") ||
		!strings.Contains(stderr.String(), "andon policy test --help") {
		t.Errorf("exit %d, stderr %q; want 2, a usage error", code, stderr.String())
	}

	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	stderr.Reset()
	code = run(context.Background(), []string{"andon", "policy", "test"}, func(string) string { return "" }, null, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "read no Kubernetes object from standard input") {
		t.Errorf("stdin from %s: exit %d, stderr %q; want 2, nothing read", os.DevNull, code, stderr.String())
	}
}

// Paths that overlap read each file once: read twice, every object of the
// file would conflict with itself.
func TestPolicyTestReadsEachFileOnce(t *testing.T) {
	dir := filepath.Join(stacks, "good-production")
	want := policyReport(t, 0, "--allowed-registry", "registry.example.com", dir)
	got := policyReport(t, 0, "--allowed-registry", "registry.example.com", dir, dir+"/", filepath.Join(dir, "odoo.yaml"), dir)
	if got.Objects != want.Objects || len(got.Findings) != 0 {
		t.Errorf("overlapping paths: %d objects, findings %v; want %d objects and none, as from the directory once", got.Objects, got.Findings, want.Objects)
	}
}

// endlessInput is an input that never ends, as yes or /dev/zero.
type endlessInput struct{}

func (endlessInput) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'y'
	}
	return len(p), nil
}

func TestPolicyTestBoundsInput(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"andon", "policy", "test", "-"}, func(string) string { return "" }, endlessInput{}, &stdout, &stderr)
	if want := "<stdin>: larger than 64 MiB"; code != 2 || !strings.Contains(stderr.String(), want) {
		t.Errorf("yes | andon policy test -: exit %d, stderr %q; want 2 and %q", code, stderr.String(), want)
	}
}

// runCLIWithStdin runs the command line with in as its standard input.
func runCLIWithStdin(t testing.TB, in string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"andon"}, args...), func(string) string { return "" }, strings.NewReader(in), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

func TestPolicyTestDefaultNamespace(t *testing.T) {
	deployment := `apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  template:
    spec:
      containers:
        - name: worker
          image: registry.example.com/tools/worker:1@sha256:1111111111111111111111111111111111111111111111111111111111111111
`
	check := func(args ...string) []string {
		r := runCLIWithStdin(t, deployment, append([]string{"policy", "test", "-o", "json", "--catalog", exampleCatalog}, args...)...)
		var rep policyTestReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("%v: %v\n%s%s", args, err, r.stdout, r.stderr)
		}
		return rulesOf(rep)
	}
	// Without a namespace the Deployment is in none, which no environment
	// governs; put in prod-lyon's, it needs that namespace's NetworkPolicy.
	if got := check("-"); slices.Contains(got, "namespace-network-policy") {
		t.Errorf("without -n: rules %v, want no namespace rule", got)
	}
	if got := check("-n", "odoo-lyon", "-"); !slices.Contains(got, "namespace-network-policy") {
		t.Errorf("with -n odoo-lyon: rules %v, want namespace-network-policy", got)
	}
}

// An environment of the catalog lists the host ports its containers may
// bind (a node exporter's); the others stay refused, in its namespace as
// in any other.
func TestPolicyTestAllowedHostPorts(t *testing.T) {
	cat := t.TempDir()
	mustCopyDir(t, exampleCatalog, cat)
	envs := filepath.Join(cat, "environments.yaml")
	b, err := os.ReadFile(envs)
	if err != nil {
		t.Fatal(err)
	}
	lyon := "kubernetes: {cluster: eu-1, namespace: odoo-lyon}"
	if !strings.Contains(string(b), lyon) {
		t.Fatalf("%s no longer holds %q", envs, lyon)
	}
	b = []byte(strings.Replace(string(b), lyon, "kubernetes: {cluster: eu-1, namespace: odoo-lyon, hostPorts: [9100]}", 1))
	if err := os.WriteFile(envs, b, 0o644); err != nil {
		t.Fatal(err)
	}
	deployment := `apiVersion: apps/v1
kind: Deployment
metadata: {name: exporter}
spec:
  template:
    spec:
      containers:
        - name: exporter
          image: registry.example.com/tools/exporter:1@sha256:1111111111111111111111111111111111111111111111111111111111111111
          ports:
            - {name: metrics, containerPort: 9100, hostPort: 9100}
            - {name: debug, containerPort: 6060, hostPort: 6060}
`
	hostPorts := func(ns string) []string {
		r := runCLIWithStdin(t, deployment, "policy", "test", "-o", "json", "--catalog", cat, "-n", ns, "-")
		var rep policyTestReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("-n %s: %v\n%s%s", ns, err, r.stdout, r.stderr)
		}
		var messages []string
		for _, f := range rep.Findings {
			if f.Rule == "host-port" {
				messages = append(messages, f.Message)
			}
		}
		return messages
	}
	got := hostPorts("odoo-lyon")
	if len(got) != 1 || !strings.Contains(got[0], "port debug (6060) binds port 6060 of the node") || !strings.Contains(got[0], "kubernetes.hostPorts of environment prod-lyon in the catalog (which allows 9100)") {
		t.Errorf("in prod-lyon's namespace: host-port findings %q; want port 6060's alone, naming the environment's list", got)
	}
	if got := hostPorts("odoo-lyon-staging"); len(got) != 2 {
		t.Errorf("in staging-lyon's namespace: host-port findings %q; want both ports, prod-lyon's list allowing nothing there", got)
	}
}

// A rule of one's own whose message does not name its object still gets a
// code scanning alert that does, and links to its own documentation.
func TestPolicyTestSARIFOfOwnRules(t *testing.T) {
	dir := t.TempDir()
	mustWriteFile(t, filepath.Join(dir, "manifests.rego"), `package andon.manifests

rules := {"no-zero-replicas": {"severity": "deny", "scope": "object", "title": "replicas above zero", "anchor": "https://wiki.example.com/odoo#zero-replicas"}}

findings contains {"rule": "no-zero-replicas", "object": o.index, "message": "replicas is 0; set it above zero"} if {
	some o in input.objects
	o.object.spec.replicas == 0
}
`)
	manifest := filepath.Join(dir, "deploy.yaml")
	mustWriteFile(t, manifest, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: odoo, namespace: plant}\nspec: {replicas: 0}\n")
	r := runCLI(t, nil, "policy", "test", "--policy", dir, "-o", "sarif", manifest)
	var sarif struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						HelpURI string `json:"helpUri"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				Message struct{ Text string } `json:"message"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &sarif); err != nil || r.code != 1 || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) != 1 {
		t.Fatalf("sarif: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if got, want := sarif.Runs[0].Results[0].Message.Text, "Deployment plant/odoo: replicas is 0; set it above zero"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if rules := sarif.Runs[0].Tool.Driver.Rules; len(rules) != 1 || rules[0].HelpURI != "https://wiki.example.com/odoo#zero-replicas" {
		t.Errorf("rules %+v, want the rule's own documentation as its help", rules)
	}
}

// A package of --policy DIR misspelt as another than andon's leaves the
// embedded one in force: andon policy test warns, naming the file.
func TestPolicyTestWarnsOfAMisspeltPackage(t *testing.T) {
	dir := t.TempDir()
	mustWriteFile(t, filepath.Join(dir, "manifests.rego"), "package andon.manifest\n\nrules := {}\n\nfindings := set()\n")
	manifest := filepath.Join(dir, "deploy.yaml")
	mustWriteFile(t, manifest, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: odoo, namespace: plant}\n")
	r := runCLI(t, nil, "policy", "test", "--policy", dir, manifest)
	want := "andon: warning: package andon.manifest (" + filepath.Join(dir, "manifests.rego") + ") is not one andon queries"
	if r.code != 0 || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, stderr %q; want 0 and a warning starting %q", r.code, r.stderr, want)
	}
}
