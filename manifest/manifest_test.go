package manifest_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/andon-governance/andon/manifest"
	"github.com/google/go-cmp/cmp"
)

func TestReadDirectory(t *testing.T) {
	objs, err := manifest.Read([]string{"testdata/dir"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	type ref struct {
		Kind, Name, Namespace, File, Source string
		Line                                int
	}
	var got []ref
	for _, o := range objs {
		got = append(got, ref{o.Kind, o.Name, o.Namespace, o.File, o.Source, o.Line})
	}
	want := []ref{
		{"ConfigMap", "odoo-conf", "odoo-prod", "testdata/dir/a.yaml", "odoo/templates/configmap.yaml", 2},
		{"Secret", "odoo-secret", "odoo-prod", "testdata/dir/a.yaml", "", 16},
		{"Service", "odoo", "", "testdata/dir/sub/b.json", "", 2},
		{"Deployment", "odoo", "", "testdata/dir/sub/b.json", "", 3},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	wantConf := map[string]map[string]map[string]string{"odoo.conf": {
		"options":   {"list_db": "False", "workers": "4"},
		"queue_job": {"channels": "root:2"},
	}}
	if diff := cmp.Diff(wantConf, objs[0].OdooConf); diff != "" {
		t.Errorf("ConfigMap odoo.conf (-want +got):\n%s", diff)
	}
	if got := objs[1].OdooConf["odoo.conf"]["options"]["admin_passwd"]; got != "admin" {
		t.Errorf("Secret odoo.conf admin_passwd = %q, want it decoded from base64", got)
	}
}

func TestReadStdin(t *testing.T) {
	in := "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n"
	objs, err := manifest.Read([]string{manifest.Stdin}, strings.NewReader(in))
	if err != nil || len(objs) != 2 || objs[1].Name != "b" || objs[1].Line != 5 || objs[1].File != "<stdin>" {
		t.Fatalf("Read(stdin) = %+v, %v", objs, err)
	}
}

func TestReadErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"bad YAML", "apiVersion: v1\nkind: [\n", "x.yaml:2: invalid YAML: did not find expected node content"},
		{"an entry that breaks its block", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n- data: {}\n", "x.yaml:5: invalid YAML: did not find expected key"},
		{"no kind", "apiVersion: v1\nmetadata: {name: a}\n", "x.yaml:1: not a Kubernetes object: apiVersion and kind are required"},
		{"a scalar", "---\nhello\n", `x.yaml:2: not a Kubernetes object: the document is the value "hello", not a mapping (a Kubernetes object is a YAML mapping with apiVersion and kind)`},
		{"a list", "apiVersion: v1\nkind: A\n---\n- a\n", "x.yaml:4: not a Kubernetes object: the document is a list, not a mapping"},
		{"a number for kind", "apiVersion: v1\nkind: 5\n", "x.yaml:1: not a Kubernetes object: kind must be a string, such as Deployment"},
		{"a list for apiVersion", "apiVersion: [v1]\nkind: Pod\n", "x.yaml:1: not a Kubernetes object: apiVersion must be a string, such as apps/v1"},
		{"a key twice", "apiVersion: v1\nkind: Pod\napiVersion: v2\n", `x.yaml:3: not a Kubernetes object: mapping key "apiVersion" already defined at line 1`},
		{"second document", "apiVersion: v1\nkind: A\n---\nkind: B\n", "x.yaml:4: not a Kubernetes object"},
		{"bad base64", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {odoo.conf: '%%%'}\n", "x.yaml:1: data.odoo.conf of Secret s is not base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := manifest.Parse("x.yaml", []byte(tt.in))
			var merr *manifest.Error
			if !errors.As(err, &merr) || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Parse error = %v, want one starting %q", err, tt.want)
			}
		})
	}
	// A chart's own files are templates, not manifests: the error says
	// to render them.
	for file, in := range map[string]string{
		"chart/Chart.yaml":                "apiVersion: v2\nname: odoo\nversion: 1.0.0\n",
		"chart/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n{{- with .Values.x }}\n",
	} {
		if _, err := manifest.Parse(file, []byte(in)); err == nil || !strings.Contains(err.Error(), "render the chart first, helm template") {
			t.Errorf("Parse(%s) = %v, want a hint to render the chart", file, err)
		}
	}
	if _, err := manifest.Read([]string{"testdata/missing"}, nil); err == nil || !strings.Contains(err.Error(), "testdata/missing") {
		t.Errorf("missing path: %v", err)
	}
}

// A file named by several paths (a directory twice, a directory and a file
// in it, the same file written differently) is read once: read twice, each
// of its objects would conflict with itself.
func TestReadOnce(t *testing.T) {
	want, err := manifest.Read([]string{"testdata/dir"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs("testdata/dir")
	if err != nil {
		t.Fatal(err)
	}
	got, err := manifest.Read([]string{"testdata/dir", "testdata/dir/a.yaml", "./testdata/dir/", abs, "testdata/dir/sub/../a.yaml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("read %d objects from overlapping paths, want %d as from the directory once", len(got), len(want))
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(abs, link); err != nil {
		t.Fatal(err)
	}
	if got, err := manifest.Read([]string{"testdata/dir", link}, nil); err != nil || len(got) != len(want) {
		t.Errorf("read %d objects from a directory and a link to it (%v), want %d as from the directory once", len(got), err, len(want))
	}
	in := "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"
	if objs, err := manifest.Read([]string{manifest.Stdin, manifest.Stdin}, strings.NewReader(in)); err != nil || len(objs) != 1 {
		t.Errorf("Read(-, -) = %d objects, %v; want standard input read once", len(objs), err)
	}
}

// endless is an input that never ends, such as yes or /dev/zero.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'y'
	}
	return len(p), nil
}

func TestReadIsBounded(t *testing.T) {
	_, err := manifest.Read([]string{manifest.Stdin}, endless{})
	if want := "<stdin>: larger than 64 MiB, the limit for one input"; err == nil || err.Error() != want {
		t.Errorf("Read(endless stdin) = %v, want %q", err, want)
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err := manifest.Read([]string{"/dev/zero"}, nil)
		if want := "/dev/zero: larger than 64 MiB"; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Read(/dev/zero) = %v, want it to start %q", err, want)
		}
	}
	fsys := fstest.MapFS{"big.yaml": {Data: make([]byte, 64<<20+1)}}
	if _, err := manifest.ReadFS(fsys, "."); err == nil || !strings.HasPrefix(err.Error(), "big.yaml: larger than 64 MiB") {
		t.Errorf("ReadFS(a file of 64 MiB and a byte) = %v, want it refused", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {odoo.conf: \"[options]\\nlist_db = True\"}\n"))
	f.Add([]byte(`{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		objs, err := manifest.Parse("f.yaml", b)
		if err != nil {
			return
		}
		for _, o := range objs {
			if o.Kind == "" || o.APIVersion == "" {
				t.Fatalf("object without kind or apiVersion: %+v", o)
			}
		}
	})
}

func TestDefaultNamespace(t *testing.T) {
	in := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: odoo}\n---\n" +
		"apiVersion: v1\nkind: Service\nmetadata: {name: odoo, namespace: other}\n---\n" +
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: odoo-lyon}\n---\n" +
		"apiVersion: v1\nkind: ConfigMap\n"
	objs, err := manifest.Parse("x.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	manifest.DefaultNamespace(objs, "odoo-lyon")
	var got []string
	for _, o := range objs {
		md, _ := o.Doc["metadata"].(map[string]any)
		docNS, _ := md["namespace"].(string)
		got = append(got, o.Kind+"="+o.Namespace+"/"+docNS)
	}
	want := []string{"Deployment=odoo-lyon/odoo-lyon", "Service=other/other", "Namespace=/", "ConfigMap=odoo-lyon/odoo-lyon"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("namespaces (-want +got):\n%s", diff)
	}
}
