package main

import (
	"encoding/json"
	"os"
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
