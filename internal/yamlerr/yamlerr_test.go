package yamlerr_test

import (
	"testing"

	"github.com/andon-governance/andon/internal/yamlerr"
	"gopkg.in/yaml.v3"
)

// TestParseFindsTheLine feeds yaml.v3 broken documents and checks that the
// line Parse reports is the one a person would look at, whether yaml.v3's
// scanner or its parser found the fault.
func TestParseFindsTheLine(t *testing.T) {
	for _, tt := range []struct {
		doc     string
		line    int
		problem string
	}{
		{"a: 1\nb: 2\nmetadata: {name: x\n", 3, "did not find expected ',' or '}'"},
		{"apiVersion: v1\nkind: X\nmetadata:\n  name: x\n- spec: {}\n", 5, "did not find expected key"},
		{"a: 1\nb: [1, 2\nc: 3\n", 2, "did not find expected ',' or ']'"},
		{"a:\n  b: 1\n c: 2\n", 3, "did not find expected key"},
		// Constructs left open to the end of the file: its last line.
		{"[1, 2\n", 1, "did not find expected ',' or ']'"},
		{"a: 1\nkind: [\n", 2, "did not find expected node content"},
		{"a: 1\nkind: [", 2, "did not find expected node content"},
		{"a: 1\nb: ]\n", 2, "did not find expected node content"},
		{"a: 1\nb: \"unclosed\nc: 3\n", 2, "found unexpected end of stream"},
		{"a: 1\nb: c: d\n", 2, "mapping values are not allowed in this context"},
		{"a: 1\n\tb: 2\n", 2, "found a tab character that violates indentation"},
		{"a: 1\nb: @x\n", 2, "found character that cannot start any token"},
		// Tabs, bytes that are not UTF-8, and control characters: the
		// line of the first.
		{"apiVersion: andon/v1\nkind: Plant\nmetadata:\n\tname: x\n", 4, "a tab indents this line: YAML is indented with spaces"},
		{"a: 1\nb: caf\xe9\nc: 3\n", 2, "not valid UTF-8 (byte 0xE9): save the file as UTF-8"},
		{"a: 1\nb: 2\nc: x\x00y\n", 3, "holds the character U+0000, which YAML does not allow"},
		{"a: 1\nb: x\u009by\nc: \x01\n", 2, "holds the character U+009B, which YAML does not allow"},
		{"a: 1\nb: \uffff\n", 2, "holds the character U+FFFF, which YAML does not allow"},
		{"a: 1\nb: \xc0\x80\n", 2, "not valid UTF-8 (byte 0xC0): save the file as UTF-8"},
	} {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(tt.doc), &n)
		if err == nil {
			t.Fatalf("%q parses", tt.doc)
		}
		line, problem := yamlerr.Parse(err, []byte(tt.doc))
		if line != tt.line || problem != tt.problem {
			t.Errorf("%q: %v\nParse = %d, %q; want %d, %q", tt.doc, err, line, problem, tt.line, tt.problem)
		}
	}
}
