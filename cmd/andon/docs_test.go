package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/andon-governance/andon"
)

// TestDocsManifestsPassPolicy checks every whole Kubernetes manifest the
// documents show (a YAML block that starts with apiVersion, other than
// the catalog's andon/v1) with andon's own manifest rules: a reader who
// copies one gets manifests that andon policy test and the admission
// webhook let through.
func TestDocsManifestsPassPolicy(t *testing.T) {
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, doc := range append(docs, "../../README.md", "../../ARCHITECTURE.md") {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, blk := range fencedBlocks(string(b), "yaml") {
			if !strings.HasPrefix(blk.text, "apiVersion:") || strings.HasPrefix(blk.text, "apiVersion: andon/v1\n") {
				continue
			}
			checked++
			r := runCLIWithStdin(t, blk.text, "policy", "test", "-o", "json", "-")
			var rep policyTestReport
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Errorf("%s:%d: policy test: exit %d, %v\n%s", doc, blk.line, r.code, err, r.stderr)
				continue
			}
			for _, f := range rep.Findings {
				if f.Severity == "deny" {
					t.Errorf("%s:%d: %s", doc, blk.line, f.Message)
				}
			}
		}
	}
	if checked < 8 {
		t.Errorf("checked %d manifests of the documents, want the 8 or more they show", checked)
	}
}

// fencedBlock is a fenced block of a Markdown document, without the
// comment lines it starts with.
type fencedBlock struct {
	text string
	line int // of the opening fence
}

// fencedBlocks returns the blocks of doc fenced as lang (yaml, sh).
func fencedBlocks(doc, lang string) []fencedBlock {
	var blocks []fencedBlock
	var cur *fencedBlock
	for i, line := range strings.Split(doc, "\n") {
		fence, ok := strings.CutPrefix(strings.TrimSpace(line), "```")
		switch {
		case ok && cur == nil && fence == lang:
			cur = &fencedBlock{line: i + 1}
		case ok && cur != nil:
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil && (cur.text != "" || !strings.HasPrefix(strings.TrimSpace(line), "#")):
			cur.text += line + "\n"
		}
	}
	return blocks
}

// TestDocsProofChecker builds the offline proof checker docs/audit.md
// prints, as a module of its own that depends on andon, from the module
// cache only, and runs it as the page does: a proof from a server passes,
// the same proof with its record altered fails.
func TestDocsProofChecker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	page, err := os.ReadFile("../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(page), "```go\n// checkproof verifies")
	src, _, ok2 := strings.Cut(rest, "```\n")
	if !ok || !ok2 {
		t.Fatal("docs/audit.md: no Go block beginning // checkproof verifies")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	mustWriteFile(t, filepath.Join(dir, "main.go"), "// checkproof verifies"+src)
	mustWriteFile(t, filepath.Join(dir, "go.sum"), string(sum))
	mustWriteFile(t, filepath.Join(dir, "go.mod"), "module example.com/checkproof\n\ngo 1.26\n\nrequire github.com/andon-governance/andon v0.0.0\n\nreplace github.com/andon-governance/andon => "+repo+"\n")
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command, to build the checker: %v", err)
	}
	bin := filepath.Join(dir, "checkproof")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the checker of docs/audit.md does not build: %v\n%s", err, out)
	}

	s := MustServe(t, t.TempDir())
	r := s.as(t, "alice", "audit", "proof", "0", "-o", "json")
	if r.code != 0 {
		t.Fatalf("audit proof 0: exit %d\n%s", r.code, r.stderr)
	}
	proof := filepath.Join(dir, "proof.json")
	mustWriteFile(t, proof, r.stdout)
	check := func(file string) (int, string) {
		out, err := exec.Command(bin, filepath.Join(s.data, "audit.pub"), file).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}
	if code, out := check(proof); code != 0 || !strings.HasPrefix(out, "entry 0 is in the signed log of ") {
		t.Errorf("the checker on a proof: exit %d\n%s", code, out)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatal(err)
	}
	rec, _ := p["record"].(map[string]any)
	if rec == nil {
		t.Fatalf("the proof has no record object: %s", r.stdout)
	}
	rec["actor"] = "mallory"
	altered, _ := json.Marshal(p)
	mustWriteFile(t, filepath.Join(dir, "altered.json"), string(altered))
	if code, out := check(filepath.Join(dir, "altered.json")); code != 1 || !strings.HasPrefix(out, "proof FAILED: ") {
		t.Errorf("the checker on an altered proof: exit %d, want 1 and proof FAILED\n%s", code, out)
	}
}

// TestDocsPipelineScript runs the release script of docs/pipelines.md as
// it stands, with sh, jq, and this test binary as the andon on PATH,
// against a server: a second run finds the change the first opened rather
// than opening another, the gate allows it, and once the change is
// completed the next run opens a new one. In production the change waits
// for its approvals, and the gate says so.
func TestDocsPipelineScript(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		if os.Getenv("ANDON_TEST_JQ") != "" {
			t.Fatal("ANDON_TEST_JQ is set but jq is not on the PATH (apt-get install jq)")
		}
		t.Skip("no jq on the PATH: the pipeline script of docs/pipelines.md needs it (apt-get install jq); set ANDON_TEST_JQ=1 to make this a failure")
	}
	doc, err := os.ReadFile("../../docs/pipelines.md")
	if err != nil {
		t.Fatal(err)
	}
	var script string
	for _, blk := range fencedBlocks(string(doc), "sh") {
		if strings.Contains(blk.text, "andon change create") {
			script = blk.text
		}
	}
	if script == "" {
		t.Fatal("docs/pipelines.md shows no script that opens a change")
	}
	environ := andonOnPath(t)
	s := MustServe(t, t.TempDir())
	const pipeline = "https://ci.example.com/odoo/pipelines/812"
	run := func(server, env, image string) (string, string, error) {
		cmd := exec.Command("sh", "-c", script)
		cmd.Env = append(environ,
			"ANDON_SERVER="+server, "ANDON_TOKEN="+s.tokens["alice"],
			"ENVIRONMENT="+env, "IMAGE="+image, "TITLE=Release 2026.11.3", "PIPELINE_URL="+pipeline)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), stderr.String(), err
	}
	release := func(env, image string) string {
		t.Helper()
		id, stderr, err := run(s.url, env, image)
		if err != nil || !strings.HasPrefix(id, "CHG-") || strings.Contains(id, "\n") {
			t.Fatalf("the release script for %s: %v, printed %q, want one change ID\n%s", env, err, id, stderr)
		}
		return id
	}

	first := release("staging-lyon", imageRelease)
	// When andon fails, so does the script, printing no ID: a server that
	// does not answer, an image left empty (which would otherwise list the
	// changes of every image, this release's among them), an environment
	// misspelt.
	for _, tt := range []struct{ server, env, image, stderr string }{
		{"http://127.0.0.1:1", "staging-lyon", imageRelease, "cannot reach andon server"},
		{s.url, "staging-lyon", "", "--image: required"},
		{s.url, "staging-lyom", imageRelease, "staging-lyom"},
	} {
		if id, stderr, err := run(tt.server, tt.env, tt.image); err == nil || id != "" || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("the release script for %s, image %q, server %s: %v, printed %q; want a failure naming %q\n%s", tt.env, tt.image, tt.server, err, id, tt.stderr, stderr)
		}
	}
	// Another release's change, newer, is not this one's.
	if other := release("staging-lyon", imageUnseen); other == first {
		t.Errorf("the release of another image printed %s, the change of %s", other, imageRelease)
	}
	if again := release("staging-lyon", imageRelease); again != first {
		t.Errorf("a second run opened %s beside %s; want %s found again", again, first, first)
	}
	c := mustJSON[andon.Change](t, s, "alice", 0, "change", "show", first)
	if c.State != andon.StateApproved || len(c.Links) != 1 || c.Links[0] != (andon.Link{Kind: "pipeline", URL: pipeline}) {
		t.Errorf("the script's change is %s with links %+v; want approved, linked to the pipeline", c.State, c.Links)
	}
	wantExit(t, s.as(t, "alice", "gate", "--env", "staging-lyon", "--image", imageRelease), 0, "ALLOWED")
	if again := release("staging-lyon", imageRelease); again != first {
		t.Errorf("a run while %s is implementing opened %s", first, again)
	}
	wantExit(t, s.as(t, "alice", "change", "complete", first), 0, "completed")
	if next := release("staging-lyon", imageRelease); next == first {
		t.Errorf("a run after %s completed printed it again; want a new change", first)
	}

	prod := release("prod-lyon", imageRelease)
	if again := release("prod-lyon", imageRelease); again != prod {
		t.Errorf("a second run in production opened %s beside %s", again, prod)
	}
	wantExit(t, s.as(t, "alice", "gate", "--env", "prod-lyon", "--image", imageRelease), 1, "change "+prod+" is pending, not approved")
}

// TestDocsGitLabStages checks the GitLab CI file of docs/pipelines.md as
// GitLab would first: every job's stage is one of the file's stages, or
// of GitLab's own when it lists none.
func TestDocsGitLabStages(t *testing.T) {
	doc, err := os.ReadFile("../../docs/pipelines.md")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, blk := range fencedBlocks(string(doc), "yaml") {
		var file map[string]any
		if err := yaml.Unmarshal([]byte(blk.text), &file); err != nil {
			t.Fatalf("docs/pipelines.md:%d: %v", blk.line, err)
		}
		if _, ok := file["jobs"]; ok || file["apiVersion"] != nil {
			continue // GitHub Actions, Kubernetes
		}
		stages := []any{".pre", "build", "test", "deploy", ".post"}
		if s, ok := file["stages"].([]any); ok {
			stages = append([]any{".pre"}, append(s, ".post")...)
		}
		for name, v := range file {
			job, ok := v.(map[string]any)
			if !ok || job["script"] == nil {
				continue
			}
			checked++
			stage := job["stage"]
			if stage == nil {
				stage = "test" // GitLab's default
			}
			if !slices.Contains(stages, stage) {
				t.Errorf("docs/pipelines.md:%d: job %s: stage %v is not one of the file's stages %v", blk.line, name, stage, stages)
			}
		}
	}
	if checked < 2 {
		t.Errorf("checked %d GitLab jobs, want the 2 or more docs/pipelines.md shows", checked)
	}
}

// TestDocsServiceURL checks that the documents reach andon's Service in
// the cluster (http://andon.andon.svc) on the port the Helm chart gives
// it: a Job copied from them connects.
func TestDocsServiceURL(t *testing.T) {
	b, err := os.ReadFile("../../deploy/helm/andon/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Service struct {
			Port int `yaml:"port"`
		} `yaml:"service"`
	}
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	url := regexp.MustCompile(`http://andon\.andon\.svc(?::(\d+))?`)
	found := 0
	for _, doc := range append(docs, "../../README.md") {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range url.FindAllStringSubmatch(string(b), -1) {
			found++
			port := 80
			if m[1] != "" {
				port, _ = strconv.Atoi(m[1])
			}
			if port != values.Service.Port {
				t.Errorf("%s: %s: the chart's Service listens on port %d", doc, m[0], values.Service.Port)
			}
		}
	}
	if found == 0 {
		t.Error("no document names http://andon.andon.svc")
	}
}

// TestMakeFuzzRunsEveryTarget checks that make fuzz, the short run of
// every fuzz target, names each fuzz function of the repository in its
// package, and nothing else: a renamed target would leave the Makefile
// fuzzing nothing under the old name.
func TestMakeFuzzRunsEveryTarget(t *testing.T) {
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, m := range regexp.MustCompile(`-fuzz=(\w+) \S+ (\./\S*|\.)\n`).FindAllStringSubmatch(string(makefile), -1) {
		listed = append(listed, filepath.Clean(m[2])+" "+m[1])
	}
	var defined []string
	fuzzFunc := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)
	err = filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel("../..", filepath.Dir(path))
		if err != nil {
			return err
		}
		for _, m := range fuzzFunc.FindAllStringSubmatch(string(src), -1) {
			defined = append(defined, rel+" "+m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(listed)
	slices.Sort(defined)
	if len(defined) == 0 {
		t.Fatal("no fuzz function found")
	}
	for _, f := range defined {
		if !slices.Contains(listed, f) {
			t.Errorf("make fuzz does not run %s", f)
		}
	}
	for _, f := range listed {
		if !slices.Contains(defined, f) {
			t.Errorf("make fuzz runs %s, which is not a fuzz function of that package", f)
		}
	}
}

// TestDocsAuditExamplesMatchDemo checks the numbers of the offline
// verification walkthrough of docs/audit.md, and of the README's, against
// the log of a demo just started, which is what they are taken from: the
// entry the page alters with sqlite3 is one its UPDATE changes (a gate
// decision that allowed), so that audit verify names it, and the sizes
// and ranges it prints are those a reader gets.
func TestDocsAuditExamplesMatchDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo")
	}
	data := t.TempDir()
	url, _, _, stop := startDemo(t, "--data", data)
	// The review the demo finds overdue is recorded by the leader's first
	// scan, once it serves, and before a reader who follows the README
	// opens a change.
	asFrank := map[string]string{"ANDON_SERVER": url, "ANDON_TOKEN": "demo-frank"}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r := runCLI(t, asFrank, "audit", "entries", "--type", andon.EventReviewOverdue, "-o", "json")
		if r.code == 0 && strings.Contains(r.stdout, `"CHG-5"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo recorded no overdue review of CHG-5 within 30s: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	if code := stop(); code != 0 {
		t.Fatalf("demo exit code %d", code)
	}
	var log struct {
		Entries []struct {
			Index int            `json:"index"`
			Type  string         `json:"type"`
			Data  map[string]any `json:"data"`
		} `json:"entries"`
	}
	r := runCLI(t, nil, "audit", "entries", "--data", data, "--limit", "1000", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
		t.Fatalf("audit entries: exit %d, %v\n%s", r.code, err, r.stderr)
	}
	size := len(log.Entries)
	export := runCLI(t, nil, "audit", "export", "--data", data, "--change", "CHG-2")
	if export.code != 0 {
		t.Fatalf("audit export --change CHG-2: exit %d\n%s", export.code, export.stderr)
	}

	page, err := os.ReadFile("../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(page)
	m := regexp.MustCompile(`replace\(CAST\(record AS TEXT\), '\\"allow\\":true'.* WHERE idx = (\d+);`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("docs/audit.md: no sqlite3 UPDATE of an allowed gate decision")
	}
	idx, _ := strconv.Atoi(m[1])
	if idx >= size || log.Entries[idx].Type != andon.EventGateDecision || log.Entries[idx].Data["allow"] != true {
		t.Errorf("docs/audit.md alters entry %d with sqlite3, which is not an allowed gate decision of the demo's log: the UPDATE changes nothing and audit verify passes", idx)
	}
	for _, want := range []string{
		fmt.Sprintf("audit log OK: %d entries,", size),
		fmt.Sprintf("entry %d does not match its stored leaf hash", idx),
		fmt.Sprintf("the signed log holds entries 0 to %d", size-1),
		strings.TrimSpace(export.stderr) + "\n",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("docs/audit.md does not say %q, as the demo's log of %d entries does", strings.TrimSpace(want), size)
		}
	}

	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// The walkthrough's change is the next entry, and its gate call the one after.
	if want := fmt.Sprintf("audit entry: %d\n", size+1); !strings.Contains(string(readme), want) {
		t.Errorf("README.md: the walkthrough's first gate call is not %q: a demo just started holds %d entries", strings.TrimSpace(want), size)
	}
}

// docCommand is an andon command line a document shows, and where.
type docCommand struct {
	where string // file:line
	args  []string
	whole bool // a line to run as it stands, rather than words in the text
}

// docCommands returns the andon command lines of the documents: those of
// their sh blocks, and of their console blocks the lines after the $
// prompt (with the lines they continue), each whole; and the code spans
// of their text that begin with andon, which may leave out a flag's value
// or an argument.
func docCommands(t *testing.T) []docCommand {
	t.Helper()
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	span := regexp.MustCompile("`(andon [^`]+)`")
	var cmds []docCommand
	for _, doc := range append(docs, "../../README.md", "../../ARCHITECTURE.md") {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(doc, "../../")
		for _, lang := range []string{"sh", "console"} {
			for _, blk := range fencedBlocks(string(b), lang) {
				text := blk.text
				if lang == "console" {
					var typed []string
					more := false
					for _, line := range strings.Split(text, "\n") {
						if cmd, ok := strings.CutPrefix(line, "$ "); ok || more {
							if !ok {
								cmd = line
							}
							typed = append(typed, cmd)
							more = strings.HasSuffix(cmd, "\\")
						}
					}
					text = strings.Join(typed, "\n")
				}
				for _, args := range exampleCommands(text) {
					cmds = append(cmds, docCommand{fmt.Sprintf("%s:%d", name, blk.line), args, true})
				}
			}
		}
		for _, blk := range fencedBlocks(string(b), "yaml") {
			for _, args := range yamlCommands(t, blk.text) {
				cmds = append(cmds, docCommand{fmt.Sprintf("%s:%d", name, blk.line), args, true})
			}
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, m := range span.FindAllStringSubmatch(line, -1) {
				// A | in a table cell is written \|.
				for _, args := range exampleCommands(strings.ReplaceAll(m[1], `\|`, "|")) {
					cmds = append(cmds, docCommand{fmt.Sprintf("%s:%d", name, i+1), args, false})
				}
			}
		}
	}
	return cmds
}

// yamlCommands returns the andon command lines of a YAML document of the
// documents: the args of a container or a GitHub Actions step that runs
// andon's image, and the lines of a script (GitLab's script, GitHub's
// run) that run andon; other strings, such as an alert's summary, are
// text.
func yamlCommands(t *testing.T, doc string) [][]string {
	t.Helper()
	// GitHub Actions puts the value of ${{ … }} in before a shell sees it.
	expression := regexp.MustCompile(`\$\{\{[^}]*\}\}`)
	var cmds [][]string
	var walk, script func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			image, _ := v["image"].(string)
			if uses, ok := v["uses"].(string); ok {
				image = uses
			}
			if strings.Contains(image, "/andon:") {
				switch args := v["args"].(type) {
				case []any:
					var words []string
					for _, a := range args {
						words = append(words, fmt.Sprint(a))
					}
					cmds = append(cmds, words)
				case nil:
				default:
					t.Errorf("args of %s: %v is not a list", image, args)
				}
				if with, ok := v["with"].(map[string]any); ok {
					if args, ok := with["args"].(string); ok {
						cmds = append(cmds, exampleCommands("andon "+expression.ReplaceAllString(args, "X"))...)
					}
				}
			}
			for k, e := range v {
				if slices.Contains([]string{"script", "before_script", "after_script", "run"}, k) {
					script(e)
				} else {
					walk(e)
				}
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	script = func(v any) {
		switch v := v.(type) {
		case string:
			cmds = append(cmds, exampleCommands(expression.ReplaceAllString(v, "X"))...)
		case []any:
			for _, e := range v {
				script(e)
			}
		}
	}
	dec := yaml.NewDecoder(strings.NewReader(doc))
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			break // the end, or a fragment that is not a whole document
		}
		walk(v)
	}
	return cmds
}

// TestDocsCommands: every andon command line the documents show names a
// command and flags that exist; one shown whole in a shell or console
// block also gives each flag a valid value and the command the arguments
// it takes. A reader who copies one gets andon's answer, not a usage
// error.
func TestDocsCommands(t *testing.T) {
	e := &env{ctx: context.Background(), getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	whole := 0
	for _, c := range docCommands(t) {
		// A tree of its own for each line, so that no flag set by one
		// line is seen by the next.
		root := newRootCmd(e)
		root.InitDefaultVersionFlag()
		cmd, rest, err := root.Find(c.args)
		if err != nil {
			t.Errorf("%s: andon %s: %v", c.where, strings.Join(c.args, " "), err)
			continue
		}
		if !c.whole {
			// Words in the text: a flag named without its value, a
			// placeholder (…, [--server URL2]) for what follows.
			for _, w := range rest {
				name, _, _ := strings.Cut(strings.TrimLeft(w, "["), "=")
				switch {
				case strings.HasPrefix(name, "--") && len(name) > 2:
					if cmd.Flags().Lookup(name[2:]) == nil && cmd.InheritedFlags().Lookup(name[2:]) == nil {
						t.Errorf("%s: andon %s: %s has no flag %s", c.where, strings.Join(c.args, " "), cmd.CommandPath(), name)
					}
				case strings.HasPrefix(name, "-") && len(name) == 2:
					if cmd.Flags().ShorthandLookup(name[1:]) == nil && cmd.InheritedFlags().ShorthandLookup(name[1:]) == nil {
						t.Errorf("%s: andon %s: %s has no flag %s", c.where, strings.Join(c.args, " "), cmd.CommandPath(), name)
					}
				}
			}
			// A word that is no command is prose (the andon started log
			// line), unless it is close to one: a misspelt command.
			if cmd.HasSubCommands() && len(rest) > 0 {
				cmd.SuggestionsMinimumDistance = 2 // as andon's own suggestions
				if near := cmd.SuggestionsFor(rest[0]); len(near) > 0 {
					t.Errorf("%s: andon %s: %s has no command %s (%s?)", c.where, strings.Join(c.args, " "), cmd.CommandPath(), rest[0], strings.Join(near, ", "))
				}
			}
			continue
		}
		whole++
		if !cmd.Runnable() {
			t.Errorf("%s: andon %s: names no command that runs", c.where, strings.Join(c.args, " "))
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("%s: andon %s: %v", c.where, strings.Join(c.args, " "), err)
			continue
		}
		// A group runs, to say that a command is unknown.
		if args := cmd.Flags().Args(); cmd.HasSubCommands() && len(args) > 0 {
			t.Errorf("%s: andon %s: %s has no command %s", c.where, strings.Join(c.args, " "), cmd.CommandPath(), args[0])
			continue
		}
		if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
			t.Errorf("%s: andon %s: %v", c.where, strings.Join(c.args, " "), err)
		}
	}
	if whole < 60 {
		t.Errorf("%d whole command lines found in the documents, want at least 60: is the parser of their blocks broken?", whole)
	}
}
