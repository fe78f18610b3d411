package main

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestNoControls: what a server sends (a title stored with terminal
// escapes before the server refused them) reaches a terminal without its
// control characters, tabs and line breaks kept.
func TestNoControls(t *testing.T) {
	var b strings.Builder
	w := noControls{&b}
	in := "ok\x1b[31mRED\x1b[0m\r\x00\u009bfake\tcell\nline ünïcode\r\nfrom a browser\nevil\u202etxt.exe \u200fRTL mark\n"
	if n, err := io.WriteString(w, in); n != len(in) || err != nil {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(in))
	}
	if want := "ok\uFFFD[31mRED\uFFFD[0m\uFFFD\uFFFD\uFFFDfake\tcell\nline ünïcode\nfrom a browser\nevil\uFFFDtxt.exe \u200fRTL mark\n"; b.String() != want {
		t.Errorf("wrote %q, want %q", b.String(), want)
	}
}

func TestCount(t *testing.T) {
	for _, tt := range []struct {
		n    int
		noun string
		want string
	}{
		{0, "entry", "0 entries"},
		{1, "entry", "1 entry"},
		{2, "entry", "2 entries"},
		{2, "key", "2 keys"},
		{2, "process", "2 processes"},
		{1, "file", "1 file"},
		{3, "file", "3 files"},
	} {
		if got := count(tt.n, tt.noun); got != tt.want {
			t.Errorf("count(%d, %q) = %q, want %q", tt.n, tt.noun, got, tt.want)
		}
	}
}

// TestYAMLStringsStayStrings: -o yaml prints every string of the JSON
// quoted when a YAML 1.1 reader (PyYAML, Ansible) would take it plain
// for a boolean, a number, null or a timestamp, so that a comment "yes"
// or a window's wall time stays the string the JSON holds.
func TestYAMLStringsStayStrings(t *testing.T) {
	tricky := []string{"yes", "on", "No", "y", "1:30", "-1:30.5", "0b101", "=", "<<", "2026-01-30T00:00:00",
		"2026-1-30 02:00:00", "2026-01-30"}
	ch := mustDecodeFile[map[string]any](t, "change.json")
	ch["title"] = tricky[0]
	ch["description"] = tricky[1]
	ch["rollbackPlan"] = tricky[4]
	ch["facts"].(map[string]any)["modules"] = []any{tricky[2], tricky[3]}
	ch["processes"] = []any{tricky[5], tricky[6], tricky[7], tricky[8]}
	ch["approvals"].([]any)[0].(map[string]any)["comment"] = tricky[9]
	ch["risk"].(map[string]any)["reasons"] = []any{tricky[10], tricky[11]}
	body, err := json.Marshal(ch)
	if err != nil {
		t.Fatal(err)
	}
	api := newAPI(t, map[string]route{"GET /api/v1/changes/CHG-0042": {status: 200, body: string(body)}})
	got := runAPI(t, api, "change", "show", "CHG-0042", "-o", "yaml")
	if got.code != 0 {
		t.Fatalf("exit code %d: %s", got.code, got.stderr)
	}
	plain := map[string]bool{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
			plain[n.Value] = true
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(got.stdout), &doc); err != nil {
		t.Fatalf("-o yaml does not parse: %v\n%s", err, got.stdout)
	}
	walk(&doc)
	for _, s := range tricky {
		if plain[s] {
			t.Errorf("%q is printed plain, which YAML 1.1 reads as another type than a string:\n%s", s, got.stdout)
		}
	}
	for _, s := range []string{"CHG-0042", "prod-lyon", "rachel"} {
		if !strings.Contains(got.stdout, ": "+s+"\n") {
			t.Errorf("%q is quoted, or missing; want plain strings plain:\n%s", s, got.stdout)
		}
	}

	// A window's wall time, in a catalog read offline.
	got = runCLI(t, nil, "catalog", "show", exampleCatalog, "-o", "yaml")
	if want := `start: "2026-01-30T00:00:00"`; got.code != 0 || !strings.Contains(got.stdout, want) {
		t.Errorf("catalog show -o yaml: exit code %d, want a line %s:\n%s%s", got.code, want, got.stdout, got.stderr)
	}
}
