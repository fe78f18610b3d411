package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// conftestVersion is the conftest run beside andon, built from source
// through the Go module proxy once and then kept in the user's cache: the
// newest release when this was written, built with OPA 1.21.1 (andon then
// had 1.22.3).
const conftestVersion = "v0.71.1"

// conftestShim is the package main that conftest evaluates: its deny
// yields the message of each finding of andon.manifests, with conftest's
// input wrapped as andon's input (docs/manifests.md, "### Input"). The
// settings are those of andon policy test --allowed-registry
// registry.example.com without a catalog. conftest reads no odoo.conf
// inside a ConfigMap or Secret, so no object has odooConf.
const conftestShim = `package main

settings := {"allowedRegistries": ["registry.example.com"], "traefikMajor": 3, "namespaces": {}}

# Without --combine, conftest evaluates each document of a file alone.
deny contains f.message if {
	is_object(input)
	wrapped := {"objects": [{"index": 0, "file": "", "line": 0, "object": input}], "settings": settings}
	some f in data.andon.manifests.findings with input as wrapped
}

# With --combine, input is one {path, contents} for every document of
# every file, and the rules weigh them all at once, as andon does.
deny contains f.message if {
	is_array(input)
	objects := [{"index": i, "file": c.path, "line": 0, "object": c.contents} | some i, c in input]
	wrapped := {"objects": objects, "settings": settings}
	some f in data.andon.manifests.findings with input as wrapped
}
`

// BenchmarkPolicyTestBesideConftest compares andon policy test with
// conftest test running the same rules over the same corpus, that of
// BenchmarkPolicyTest. Each iteration runs, in turns whose order rotates
// so that all see the same load on the machine, andon policy test as a
// process of its own (this test binary re-executed as the andon command),
// conftest test with each document alone, and conftest test --combine.
// It reports the median wall time and CPU time of each, and how many
// times longer conftest takes than andon.
func BenchmarkPolicyTestBesideConftest(b *testing.B) {
	conftest := conftestBinary(b)
	policyDir := b.TempDir()
	writeConftestPolicy(b, policyDir)
	corpus := b.TempDir()
	writeStackCopies(b, corpus, corpusCopies)

	// conftest fails on the good stack: without odoo.conf the rules see
	// no options set, and alone a document lacks the objects it refers
	// to. What it must report over the corpus is what it reports over
	// one copy, once per copy.
	one := b.TempDir()
	writeStackCopies(b, one, 1)
	tools := []struct {
		name string
		run  func() (time.Duration, time.Duration, error)
	}{
		{"andon", func() (time.Duration, time.Duration, error) { return runAndonPolicyTest(corpus) }},
		{"conftest", conftestRun(b, conftest, policyDir, one, corpus)},
		{"conftest-combine", conftestRun(b, conftest, policyDir, one, corpus, "--combine")},
	}

	wall := make([][]time.Duration, len(tools))
	cpu := make([][]time.Duration, len(tools))
	round := 0
	for b.Loop() {
		for k := range tools {
			i := (round + k) % len(tools)
			w, c, err := tools[i].run()
			if err != nil {
				b.Fatalf("%s: %v", tools[i].name, err)
			}
			wall[i] = append(wall[i], w)
			cpu[i] = append(cpu[i], c)
		}
		round++
	}
	for i, t := range tools {
		b.ReportMetric(median(wall[i]).Seconds(), t.name+"-s")
		b.ReportMetric(median(cpu[i]).Seconds(), t.name+"-cpu-s")
	}
	b.ReportMetric(median(wall[1]).Seconds()/median(wall[0]).Seconds(), "conftest/andon")
	b.ReportMetric(median(wall[2]).Seconds()/median(wall[0]).Seconds(), "combine/andon")
}

// runAndonPolicyTest runs andon policy test over dir in a process of its
// own and returns its wall and CPU (user and system) time. It must pass,
// having read 1,040 objects.
func runAndonPolicyTest(dir string) (wall, cpu time.Duration, err error) {
	cmd := exec.Command(os.Args[0], "policy", "test", "-o", "json", "--allowed-registry", "registry.example.com", dir)
	// Neither a catalog nor a policy of the caller's may change the rules.
	cmd.Env = append(os.Environ(), "ANDON_RUN_AS_COMMAND=1", "ANDON_CATALOG=", "ANDON_POLICY=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err = cmd.Run()
	wall = time.Since(start)
	if err != nil || !strings.Contains(out.String(), `"objects": 1040`) {
		return 0, 0, fmt.Errorf("%v: %s%s", err, out.Bytes()[:min(out.Len(), 300)], errOut.Bytes())
	}
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// conftestSummary is conftest's last line of output in its standard
// format.
var conftestSummary = regexp.MustCompile(`(\d+) tests?, (\d+) passed, (\d+) warnings?, (\d+) failures?, (\d+) exceptions?`)

// conftestRun runs conftest test once over one, the good stack alone,
// and returns a function that runs it over the corpus and checks that it
// reports the same, corpusCopies times over.
func conftestRun(b *testing.B, conftest, policyDir, one, corpus string, flags ...string) func() (time.Duration, time.Duration, error) {
	args := append(append([]string{"test", "--policy", policyDir, "--no-color"}, flags...), one)
	// A conftest.toml where conftest runs would change what it does.
	work := b.TempDir()
	_, _, want, err := runConftest(work, conftest, args)
	if err != nil {
		b.Fatal(err)
	}
	if want[3] == 0 {
		// The shim is broken if conftest finds nothing where andon's
		// rules, without odoo.conf, must.
		b.Fatalf("conftest %s: no failures on the good stack; want those owing to the odoo.conf it cannot read", strings.Join(args, " "))
	}
	for i := range want {
		want[i] *= corpusCopies
	}
	args[len(args)-1] = corpus
	return func() (time.Duration, time.Duration, error) {
		wall, cpu, got, err := runConftest(work, conftest, args)
		if err == nil && got != want {
			err = fmt.Errorf("conftest %s: got tests, passed, warnings, failures, exceptions %v, want %v", strings.Join(args, " "), got, want)
		}
		return wall, cpu, err
	}
}

// runConftest runs conftest with args in dir, which must fail (exit 1)
// with the summary line of its findings, and returns its wall and CPU
// time and the figures of that line.
func runConftest(dir, conftest string, args []string) (wall, cpu time.Duration, summary [5]int, err error) {
	cmd := exec.Command(conftest, args...)
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err = cmd.Run()
	wall = time.Since(start)
	m := conftestSummary.FindStringSubmatch(out.String())
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 || m == nil {
		tail := out.Bytes()[max(0, out.Len()-500):]
		return 0, 0, summary, fmt.Errorf("conftest %s: %v, want exit status 1 and a summary: %s%s", strings.Join(args, " "), err, tail, errOut.Bytes())
	}
	for i := range summary {
		summary[i], _ = strconv.Atoi(m[i+1])
	}
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), summary, nil
}

// writeConftestPolicy writes into dir the rules of andon.manifests from
// the embedded bundle's sources, without their tests, and the shim.
func writeConftestPolicy(tb testing.TB, dir string) {
	tb.Helper()
	files, err := filepath.Glob("../../policy/bundle/manifests*.rego")
	if err != nil || len(files) == 0 {
		tb.Fatalf("manifest rules: %v", err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.rego") {
			continue
		}
		text, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), text, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "shim.rego"), []byte(conftestShim), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// median returns the middle of ds, or the mean of the two middle ones.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// conftestBinary returns a conftest of conftestVersion, built once per
// machine (see cachedTool), with the version set as conftest's own release
// build sets it.
func conftestBinary(tb testing.TB) string {
	tb.Helper()
	ldflags := "-s -w -X github.com/open-policy-agent/conftest/internal/version.Version=" + strings.TrimPrefix(conftestVersion, "v")
	return cachedTool{name: "conftest", pkg: "github.com/open-policy-agent/conftest", version: conftestVersion, ldflags: ldflags, reports: conftestReports}.binary(tb)
}

// conftestReports returns the version the conftest at bin reports, as
// vX.Y.Z, or "" when there is none.
func conftestReports(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(out)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Conftest: "); ok {
			return "v" + v
		}
	}
	return ""
}
