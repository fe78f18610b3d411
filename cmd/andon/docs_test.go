package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
		for _, blk := range yamlBlocks(string(b)) {
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

// yamlBlock is a fenced YAML block of a Markdown document, without the
// comment lines it starts with.
type yamlBlock struct {
	text string
	line int // of the opening fence
}

func yamlBlocks(doc string) []yamlBlock {
	var blocks []yamlBlock
	var cur *yamlBlock
	for i, line := range strings.Split(doc, "\n") {
		fence, ok := strings.CutPrefix(strings.TrimSpace(line), "```")
		switch {
		case ok && cur == nil && fence == "yaml":
			cur = &yamlBlock{line: i + 1}
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
