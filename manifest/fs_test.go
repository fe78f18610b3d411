package manifest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon/manifest"
)

func TestReadFS(t *testing.T) {
	fsys := fstest.MapFS{
		"prod/b.yaml":           {Data: []byte("apiVersion: v1\nkind: Service\nmetadata: {name: odoo}\n")},
		"prod/a/deploy.yml":     {Data: []byte("# Source: odoo/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: odoo}\n")},
		"prod/c.json":           {Data: []byte(`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}`)},
		"prod/README.md":        {Data: []byte("not a manifest: [")},
		"prod/.hidden.yaml":     {Data: []byte("not a manifest: [")},
		"prod/.git/config.yaml": {Data: []byte("not a manifest: [")},
		"other/x.yaml":          {Data: []byte("not a manifest: [")},
	}
	objs, err := manifest.ReadFS(fsys, "prod")
	if err != nil {
		t.Fatal(err)
	}
	type ref struct{ Kind, File, Source string }
	var got []ref
	for _, o := range objs {
		got = append(got, ref{o.Kind, o.File, o.Source})
	}
	want := []ref{
		{"Deployment", "prod/a/deploy.yml", "odoo/templates/deploy.yaml"},
		{"Service", "prod/b.yaml", ""},
		{"ConfigMap", "prod/c.json", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}

	fsys["prod/bad.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: v1\nmetadata: {name: a}\n")}
	if _, err := manifest.ReadFS(fsys, "prod"); err == nil || err.Error() != "prod/bad.yaml:1: not a Kubernetes object: apiVersion and kind are required" {
		t.Errorf("ReadFS with a bad file = %v, want its file and line", err)
	}
}

// A directory read from disk and the same tree read as an fs.FS (a git
// commit) give their objects in one order.
func TestReadAndReadFSAgree(t *testing.T) {
	dir := t.TempDir()
	for name, kind := range map[string]string{"a/x.yaml": "Service", "a-b.yaml": "ConfigMap", "b.yml": "Secret", "a/z/y.json": "Deployment"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		doc := "apiVersion: v1\nkind: " + kind + "\nmetadata: {name: " + kind + "}\n"
		if strings.HasSuffix(name, ".json") {
			doc = `{"apiVersion": "apps/v1", "kind": "` + kind + `", "metadata": {"name": "d"}}`
		}
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kinds := func(objs []*manifest.Object) []string {
		var out []string
		for _, o := range objs {
			out = append(out, o.Kind)
		}
		return out
	}
	fromDisk, err := manifest.Read([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fromFS, err := manifest.ReadFS(os.DirFS(dir), ".")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ConfigMap", "Service", "Deployment", "Secret"} // a-b.yaml, a/x.yaml, a/z/y.json, b.yml
	if diff := cmp.Diff(want, kinds(fromDisk)); diff != "" {
		t.Errorf("Read order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, kinds(fromFS)); diff != "" {
		t.Errorf("ReadFS order (-want +got):\n%s", diff)
	}
}
