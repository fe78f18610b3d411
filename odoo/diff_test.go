package odoo_test

import (
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon/catalogsync"
	"github.com/andon-governance/andon/odoo"
)

// gitRepo is a real git repository in a temporary directory.
type gitRepo struct {
	t   testing.TB
	dir string
}

func newGitRepo(t testing.TB) *gitRepo {
	r := &gitRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Andon Test", "GIT_AUTHOR_EMAIL=test@andon.invalid",
		"GIT_COMMITTER_NAME=Andon Test", "GIT_COMMITTER_EMAIL=test@andon.invalid")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// write writes files, path → content; an empty content removes the file.
func (r *gitRepo) write(files map[string]string) {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.dir, name)
		if content == "" {
			if err := os.Remove(p); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

func (r *gitRepo) commit(message string) string {
	r.git("add", "-A")
	r.git("commit", "-q", "-m", message)
	return r.git("rev-parse", "HEAD")
}

// at reads the repository at ref as andon reads git: from the objects of
// the commit, through catalogsync.
func (r *gitRepo) at(ref string) *catalogsync.Files {
	r.t.Helper()
	files, err := catalogsync.GitFiles(r.t.Context(), catalogsync.GitOptions{URL: "file://" + filepath.ToSlash(r.dir), Ref: ref})
	if err != nil {
		r.t.Fatal(err)
	}
	return files
}

const stockAccountV1 = `{
    'name': 'WMS Accounting (ACME patch)',
    'version': '1.1',
    'depends': ['stock', 'account'],
    'data': ['security/ir.model.access.csv', 'data/valuation.xml'],
    'license': 'LGPL-3',
}
`

func TestDiffFS(t *testing.T) {
	repo := newGitRepo(t)
	repo.write(map[string]string{
		"addons/acme_stock_account/__manifest__.py":              stockAccountV1,
		"addons/acme_stock_account/security/ir.model.access.csv": "id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink\naccess_layer_user,layer user,model_stock_valuation_layer,stock.group_stock_user,1,0,0,0\n",
		"addons/acme_stock_account/data/valuation.xml":           "<odoo/>\n",
		"addons/acme_stock_account/models/layer.py":              "# layers\n",
		"addons/acme_label/__manifest__.py":                      "{'name': 'Labels', 'version': '17.0.1.0.0', 'depends': ['stock']}\n",
		"addons/acme_label/report/label.xml":                     "<odoo/>\n",
		"addons/acme_old/__manifest__.py":                        "{'name': 'Old', 'depends': ['base']}\n",
		"README.md":                                              "ACME addons\n",
	})
	from := repo.commit("November")
	repo.write(map[string]string{
		// A bump with a pre- migration that rewrites valuation, a public
		// access row, a post-init hook and a new Python dependency.
		"addons/acme_stock_account/__manifest__.py": strings.NewReplacer("'1.1'", "'1.2'",
			"'license'", "'post_init_hook': 'recompute_layers',\n    'external_dependencies': {'python': ['pandas']},\n    'license'").Replace(stockAccountV1),
		"addons/acme_stock_account/security/ir.model.access.csv":  "id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink\naccess_layer_user,layer user,model_stock_valuation_layer,stock.group_stock_user,1,0,0,0\naccess_layer_all,layer all,model_stock_valuation_layer,,1,1,0,0\n",
		"addons/acme_stock_account/migrations/1.2/pre-migrate.py": "def migrate(cr, version):\n    pass\n",
		"addons/acme_stock_account/migrations/0.0.0/end-check.py": "def migrate(cr, version):\n    pass\n",
		"addons/acme_stock_account/data/valuation.xml":            "<odoo><data/></odoo>\n",
		// A change of code only, no bump.
		"addons/acme_label/report/label.xml": "<odoo><template/></odoo>\n",
		"addons/acme_old/__manifest__.py":    "",
		"addons/acme_mrp/__manifest__.py":    "{'name': 'MRP glue', 'version': '1.0', 'depends': ['mrp', 'acme_label'], 'auto_install': True}\n",
		"README.md":                          "ACME addons, December\n",
	})
	to := repo.commit("December")

	d, err := odoo.DiffFS(repo.at(from).FS, repo.at(to).FS, "addons")
	if err != nil {
		t.Fatal(err)
	}
	want := []odoo.ModuleDiff{
		{Module: "acme_label", Status: odoo.ModuleChanged, OldVersion: "17.0.1.0.0", NewVersion: "17.0.1.0.0", Files: []string{"report/label.xml"}},
		{Module: "acme_mrp", Status: odoo.ModuleAdded, NewVersion: "17.0.1.0", Files: []string{"__manifest__.py"}},
		{Module: "acme_old", Status: odoo.ModuleRemoved, OldVersion: "17.0.1.0", Files: []string{"__manifest__.py"}},
		{
			Module: "acme_stock_account", Status: odoo.ModuleChanged, OldVersion: "17.0.1.1", NewVersion: "17.0.1.2", Bumped: true,
			Migrations: []odoo.Migration{
				{Version: "0.0.0", Phase: odoo.PhaseEnd, File: "migrations/0.0.0/end-check.py"},
				{Version: "17.0.1.2", Phase: odoo.PhasePre, File: "migrations/1.2/pre-migrate.py"},
			},
			MigrationsRun: []odoo.Migration{
				{Version: "17.0.1.2", Phase: odoo.PhasePre, File: "migrations/1.2/pre-migrate.py"},
				{Version: "0.0.0", Phase: odoo.PhaseEnd, File: "migrations/0.0.0/end-check.py"},
			},
			Security:      []odoo.SecurityFile{{File: "security/ir.model.access.csv", PublicRows: []string{"access_layer_all (model model_stock_valuation_layer: read, write)"}}},
			HooksAdded:    []string{"post_init_hook"},
			ExternalAdded: []string{"python:pandas"},
			DataChanged:   []string{"data/valuation.xml", "security/ir.model.access.csv"},
			Files: []string{"__manifest__.py", "data/valuation.xml", "migrations/0.0.0/end-check.py",
				"migrations/1.2/pre-migrate.py", "security/ir.model.access.csv"},
		},
	}
	if diff := cmp.Diff(want, d.Modules); diff != "" {
		t.Errorf("diff (-want +got):\n%s", diff)
	}

	// The same trees the other way round: the module comes back, the
	// public row goes, nothing is flagged.
	back, err := odoo.DiffFS(repo.at(to).FS, repo.at(from).FS, "addons")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(back.Modules, func(m odoo.ModuleDiff) bool { return m.Module == "acme_stock_account" })
	if i < 0 {
		t.Fatalf("reverted: acme_stock_account is not in %+v", back.Modules)
	}
	if m := back.Modules[i]; m.Bumped || len(m.Security) != 1 || len(m.Security[0].PublicRows) != 0 || len(m.Migrations) != 0 {
		t.Errorf("reverted: %+v; want a downgrade with no public row and no migration added", m)
	}
}

func TestDiffRefusesABrokenManifestAfterTheChange(t *testing.T) {
	repo := newGitRepo(t)
	repo.write(map[string]string{"addons/acme/__manifest__.py": "{'name': 'A'}\n"})
	from := repo.commit("one")
	repo.write(map[string]string{"addons/acme/__manifest__.py": "{'name': 'A',\n 'depends': base}\n"})
	to := repo.commit("two")
	_, err := odoo.DiffFS(repo.at(from).FS, repo.at(to).FS, "addons")
	if err == nil || !strings.Contains(err.Error(), "addons/acme/__manifest__.py:2") {
		t.Errorf("error = %v; want the manifest's file and line", err)
	}
}

func TestVersions(t *testing.T) {
	for _, tt := range []struct{ series, version, want string }{
		{"17.0", "1.2", "17.0.1.2"},
		{"17.0", "17.0.1.2.0", "17.0.1.2.0"},
		{"17.0", "", "17.0.1.0"},
		// The series alone is the module's version 17.0, as Odoo's
		// adapt_version reads it: an upgrade from 17.0.1.0, not a
		// downgrade.
		{"17.0", "17.0", "17.0.17.0"},
		{"17.0", "16.0.1.0", "17.0.16.0.1.0"},
	} {
		if got := odoo.FullVersion(tt.series, tt.version); got != tt.want {
			t.Errorf("FullVersion(%q, %q) = %q, want %q", tt.series, tt.version, got, tt.want)
		}
	}
	ordered := []string{"17.0.1.2", "17.0.1.2.0", "17.0.1.3", "17.0.1.10", "17.0.2.0"}
	for i := range ordered {
		for j := range ordered {
			got := odoo.CompareVersions(ordered[i], ordered[j])
			want := 0
			switch {
			case i < j && !(ordered[i] == "17.0.1.2" && ordered[j] == "17.0.1.2.0"):
				want = -1
			case i > j && !(ordered[i] == "17.0.1.2.0" && ordered[j] == "17.0.1.2"):
				want = 1
			}
			if got != want {
				t.Errorf("CompareVersions(%s, %s) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
	if !slices.IsSortedFunc(ordered, odoo.CompareVersions) {
		t.Error("versions out of order")
	}
	for _, tt := range []struct {
		version string
		want    bool
	}{
		{"", true}, {"1.2", true}, {"1.2.3", true}, {"17.0", true}, {"17.0.1.2", true}, {"17.0.1.2.3", true},
		{"1", false}, {"1.2.3.4", false}, {"1.0b1", false}, {"16.0.1.0.0", false}, {"17.0.1.2.3.4", false}, {"17.0.", false}, {"v1.2", false},
	} {
		if got := odoo.ValidVersion("17.0", tt.version); got != tt.want {
			t.Errorf("ValidVersion(17.0, %q) = %v, want %v", tt.version, got, tt.want)
		}
	}
}

// What the review of the analysis found it could miss: access files in
// other layouts, files behind symbolic links, a manifest the change fixes.
func TestDiffDoesNotMissAChange(t *testing.T) {
	repo := newGitRepo(t)
	repo.write(map[string]string{
		"addons/acme_a/__manifest__.py": "{'name': 'A', 'version': '1.0'}\n",
		"addons/acme_b/__manifest__.py": "{'name': 'B', 'version': '1.0'}\n",
		"addons/acme_c/__manifest__.py": "{'name': 'C', 'version': '1.0'}\n",
		"addons/acme_d/__manifest__.py": "{'name': 'D', 'version': ['1.0'}\n",
		"shared/ir.model.access.csv":    "id,name,model_id:id,group_id:id,perm_read\n",
	})
	if err := os.MkdirAll(filepath.Join(repo.dir, "addons", "acme_c", "security"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../shared/ir.model.access.csv", filepath.Join(repo.dir, "addons", "acme_c", "security", "ir.model.access.csv")); err != nil {
		t.Fatal(err)
	}
	from := repo.commit("one")
	repo.write(map[string]string{
		// The group column as group_id/id, and a byte-order mark.
		"addons/acme_a/security/ir.model.access.csv": "\ufeffid,name,model_id/id,group_id/id,perm_read\naccess_a,a,model_a,,1\n",
		// No group column at all: every row is for everyone.
		"addons/acme_b/security/ir.model.access.csv": "id,name,model_id:id,perm_read\naccess_b,b,model_b,1\n",
		// Only the file a symbolic link of acme_c points to changes.
		"shared/ir.model.access.csv": "id,name,model_id:id,group_id:id,perm_read\naccess_c,c,model_c,,1\n",
		// A manifest that did not parse is fixed, with a migration.
		"addons/acme_d/__manifest__.py":               "{'name': 'D', 'version': '1.1'}\n",
		"addons/acme_d/migrations/1.1/pre-migrate.py": "def migrate(cr, version):\n    pass\n",
	})
	to := repo.commit("two")
	d, err := odoo.DiffFS(repo.at(from).FS, repo.at(to).FS, "addons")
	if err != nil {
		t.Fatal(err)
	}
	public := map[string][]string{}
	var dStatus string
	var dBumped bool
	for _, m := range d.Modules {
		for _, s := range m.Security {
			public[m.Module] = append(public[m.Module], s.PublicRows...)
		}
		if m.Module == "acme_d" {
			dStatus, dBumped = m.Status, m.Bumped
		}
	}
	want := map[string][]string{
		"acme_a": {"access_a (model model_a: read)"},
		"acme_b": {"access_b (model model_b: read)"},
		"acme_c": {"access_c (model model_c: read)"},
	}
	if diff := cmp.Diff(want, public); diff != "" {
		t.Errorf("public rows (-want +got):\n%s", diff)
	}
	if dStatus != odoo.ModuleChanged || !dBumped {
		t.Errorf("acme_d: %s, bumped %v; want changed and bumped from an unknown version", dStatus, dBumped)
	}
}

// Odoo loads a CSV file into the model its name gives up to the first
// '-': ir.model.access-portal.csv holds access rows as ir.model.access.csv
// does, and its public rows are flagged alike.
func TestDiffAccessFileNamedWithASuffix(t *testing.T) {
	repo := newGitRepo(t)
	manifest := "{'name': 'Portal', 'version': '17.0.1.0', 'depends': ['stock'], 'data': ['security/ir.model.access-portal.csv']}\n"
	header := "id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink\n"
	repo.write(map[string]string{
		"addons/acme/__manifest__.py":                     manifest,
		"addons/acme/security/ir.model.access-portal.csv": header,
		"addons/acme/data/res.partner-portal.csv":         "id,name\n",
	})
	from := repo.commit("before")
	repo.write(map[string]string{
		"addons/acme/security/ir.model.access-portal.csv": header + "access_quant_all,quant all,model_stock_quant,,1,1,1,1\n",
		"addons/acme/data/res.partner-portal.csv":         "id,name\npartner_x,X\n",
	})
	to := repo.commit("after")
	d, err := odoo.DiffFS(repo.at(from).FS, repo.at(to).FS, "addons")
	if err != nil {
		t.Fatal(err)
	}
	want := []odoo.SecurityFile{{File: "security/ir.model.access-portal.csv", PublicRows: []string{"access_quant_all (model model_stock_quant: read, write, create, unlink)"}}}
	if len(d.Modules) != 1 {
		t.Fatalf("modules: %+v", d.Modules)
	}
	if diff := cmp.Diff(want, d.Modules[0].Security); diff != "" {
		t.Errorf("security files (-want +got):\n%s", diff)
	}
}

// The rights of an access row are read as Odoo imports a boolean column:
// True and yes grant as 1 does, False and no do not, in any case.
func TestDiffAccessRightsAsOdooReadsThem(t *testing.T) {
	header := "id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink\n"
	from := mapFS(map[string]string{
		"addons/acme/__manifest__.py":              "{'name': 'A', 'version': '1.0'}\n",
		"addons/acme/security/ir.model.access.csv": header,
	})
	to := mapFS(map[string]string{
		"addons/acme/__manifest__.py": "{'name': 'A', 'version': '1.0'}\n",
		"addons/acme/security/ir.model.access.csv": header +
			"access_a,a,model_stock_quant,,True,yes,False,no\n" +
			"access_b,b,model_stock_move,,TRUE,0,1,FALSE\n",
	})
	d, err := odoo.DiffFS(from, to, "addons")
	if err != nil {
		t.Fatal(err)
	}
	want := []odoo.SecurityFile{{File: "security/ir.model.access.csv", PublicRows: []string{
		"access_a (model model_stock_quant: read, write)",
		"access_b (model model_stock_move: read, create)",
	}}}
	if len(d.Modules) != 1 {
		t.Fatalf("modules: %+v", d.Modules)
	}
	if diff := cmp.Diff(want, d.Modules[0].Security); diff != "" {
		t.Errorf("security files (-want +got):\n%s", diff)
	}
}

// Versions compare as Odoo's parse_version compares them, which decides
// whether a module is upgraded and its migrations run.
func TestCompareVersionsAsOdoo(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"1.0.0b1", "1.0.0", -1},
		{"1.0.beta", "1.0.1", -1},
		{"1.a", "1.10", -1},
		{"1.0rc1", "1.0", -1},
		{"1.0dev", "1.0a", -1},
		{"1.0-rc1", "1.0rc1", 0},
		{"1.0", "1.0.0", 0},
		{"17.0.1.10", "17.0.1.9", 1},
		{"saas~17.2", "17.2", 0},
		{"1.0_1", "1.0", 1},
		{"", "0.1", 0},
	} {
		if got := odoo.CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := odoo.CompareVersions(tt.b, tt.a); got != -tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

// A manifest that is a symbolic link to nothing is an error naming it,
// after the change; before it, its module reads as one whose manifest the
// change fixes. It never reads as a module removed or added.
func TestDiffManifestLinkToNothing(t *testing.T) {
	repo := newGitRepo(t)
	repo.write(map[string]string{"addons/acme/__manifest__.py": "{'name': 'A', 'version': '1.0'}\n"})
	ok := repo.commit("one")
	if err := os.Remove(filepath.Join(repo.dir, "addons", "acme", "__manifest__.py")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("manifest.py", filepath.Join(repo.dir, "addons", "acme", "__manifest__.py")); err != nil {
		t.Fatal(err)
	}
	broken := repo.commit("two")
	_, err := odoo.DiffFS(repo.at(ok).FS, repo.at(broken).FS, "addons")
	if want := "addons/acme/__manifest__.py: a symbolic link to a file that does not exist"; err == nil || err.Error() != want {
		t.Errorf("after the change: error %v, want %q", err, want)
	}
	d, err := odoo.DiffFS(repo.at(broken).FS, repo.at(ok).FS, "addons")
	if err != nil {
		t.Fatalf("before the change: %v", err)
	}
	if len(d.Modules) != 1 || d.Modules[0].Status != odoo.ModuleChanged {
		t.Errorf("before the change: modules %+v, want acme changed", d.Modules)
	}
}

// A module whose manifest Odoo could not read before the change, and that
// the change removes, is removed: it was left out of the diff.
func TestDiffRemovesAnUnreadableModule(t *testing.T) {
	repo := newGitRepo(t)
	repo.write(map[string]string{
		"addons/acme_legacy/__openerp__.py": "{'name': 'Legacy', 'version': '8.0.1.0', 'depends': ['stock']}\n",
		"addons/acme_legacy/report.xml":     "<odoo/>\n",
		"addons/acme_stock/__manifest__.py": "{'name': 'Stock', 'version': '1.0', 'depends': ['stock']}\n",
	})
	from := repo.commit("one")
	repo.write(map[string]string{"addons/acme_legacy/__openerp__.py": "", "addons/acme_legacy/report.xml": ""})
	to := repo.commit("two")
	d, err := odoo.DiffFS(repo.at(from).FS, repo.at(to).FS, "addons")
	if err != nil {
		t.Fatal(err)
	}
	want := []odoo.ModuleDiff{{Module: "acme_legacy", Status: odoo.ModuleRemoved, Files: []string{"__openerp__.py", "report.xml"}}}
	if diff := cmp.Diff(want, d.Modules); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
}

// mapFS is a tree of files, path → content.
func mapFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, content := range files {
		m[name] = &fstest.MapFile{Data: []byte(content)}
	}
	return m
}

// Odoo runs the scripts of a version folder above the version before
// the upgrade and up to the one after it, and the 0.0.0 ones; a folder
// outside that range, of another series, or whose name is not a version
// is ignored, and the report says which and why.
func TestDiffMigrationsOdooRuns(t *testing.T) {
	script := "def migrate(cr, version):\n    pass\n"
	from := mapFS(map[string]string{
		"addons/acme/__manifest__.py":          "{'name': 'A', 'version': '1.1'}\n",
		"addons/acme/migrations/1.2/pre-a.py":  script,
		"addons/acme_new/__init__.py":          "",
		"addons/acme_late/__manifest__.py":     "{'name': 'L', 'version': '1.0'}\n",
		"addons/acme_same/__manifest__.py":     "{'name': 'S', 'version': '1.0'}\n",
		"addons/acme_unknown/__manifest__.py":  "{'name': 'U', 'version': 1.0}\n",
		"addons/acme_unknown/migrations/x.txt": "",
	})
	to := mapFS(map[string]string{
		"addons/acme/__manifest__.py": "{'name': 'A', 'version': '1.3'}\n",
		// Already there: 1.2 is in the range, and runs now.
		"addons/acme/migrations/1.2/pre-a.py":              script,
		"addons/acme/migrations/1.0/pre-old.py":            script,
		"addons/acme/migrations/1.1/post-x.py":             script,
		"addons/acme/migrations/1.3/post-b.py":             script,
		"addons/acme/upgrades/1.3/post-a.py":               script,
		"addons/acme/migrations/17.0.1.3/end-c.py":         script,
		"addons/acme/migrations/1.4/pre-future.py":         script,
		"addons/acme/migrations/16.0.1.2/pre-series.py":    script,
		"addons/acme/migrations/1.2b/pre-bad.py":           script,
		"addons/acme/migrations/0.0.0/pre-always.py":       script,
		"addons/acme/migrations/0.0.0/post-always.py":      script,
		"addons/acme/migrations/17.0.1/pre-majorless.py":   script,
		"addons/acme/migrations/1.3/notes.py":              "# not a phase: not a script\n",
		"addons/acme_new/__manifest__.py":                  "{'name': 'N', 'version': '1.1'}\n",
		"addons/acme_new/migrations/1.1/pre-x.py":          script,
		"addons/acme_late/__manifest__.py":                 "{'name': 'L', 'version': '1.1'}\n",
		"addons/acme_late/migrations/1.0/pre-late.py":      script,
		"addons/acme_same/__manifest__.py":                 "{'name': 'S', 'version': '1.0'}\n",
		"addons/acme_same/migrations/1.1/pre-early.py":     script,
		"addons/acme_unknown/__manifest__.py":              "{'name': 'U', 'version': '1.1'}\n",
		"addons/acme_unknown/migrations/1.1/post-fix.py":   script,
		"addons/acme_unknown/migrations/1.2/post-later.py": script,
	})
	d, err := odoo.DiffFS(from, to, "addons")
	if err != nil {
		t.Fatal(err)
	}
	type sorted struct {
		Run     []string
		Ignored []odoo.IgnoredFolder
	}
	got := map[string]sorted{}
	for _, m := range d.Modules {
		s := sorted{Ignored: m.MigrationsIgnored}
		for _, mig := range m.MigrationsRun {
			s.Run = append(s.Run, mig.Version+" "+mig.File)
		}
		got[m.Module] = s
	}
	want := map[string]sorted{
		"acme": {
			Run: []string{
				"0.0.0 migrations/0.0.0/pre-always.py",
				"17.0.1.2 migrations/1.2/pre-a.py",
				"17.0.1.3 upgrades/1.3/post-a.py",
				"17.0.1.3 migrations/1.3/post-b.py",
				"0.0.0 migrations/0.0.0/post-always.py",
				"17.0.1.3 migrations/17.0.1.3/end-c.py",
			},
			Ignored: []odoo.IgnoredFolder{
				{Folder: "migrations/1.0", Reason: "17.0.1.0 is not above 17.0.1.1, the version before the change: an upgrade to that version ran it, or passed it by"},
				{Folder: "migrations/1.1", Reason: "17.0.1.1 is not above 17.0.1.1, the version before the change: an upgrade to that version ran it, or passed it by"},
				{Folder: "migrations/1.2b", Reason: `"1.2b" is not a version Odoo reads (x.y or x.y.z, after a series such as 17.0. or not): Odoo skips the folder`},
				{Folder: "migrations/1.4", Reason: "17.0.1.4 is above 17.0.1.3, the version after the change: an upgrade to it will run it"},
				{Folder: "migrations/16.0.1.2", Reason: "a folder of series 16.0: an upgrade within 17.0 does not reach it"},
				{Folder: "migrations/17.0.1", Reason: "17.0.17.0.1 is above 17.0.1.3, the version after the change: an upgrade to it will run it"},
			},
		},
		"acme_new": {Ignored: []odoo.IgnoredFolder{
			{Folder: "migrations/1.1", Reason: "the change adds the module: Odoo installs it, and runs migration scripts only when it upgrades one"},
		}},
		"acme_late": {Ignored: []odoo.IgnoredFolder{
			{Folder: "migrations/1.0", Reason: "17.0.1.0 is not above 17.0.1.0, the version before the change: an upgrade to that version ran it, or passed it by"},
		}},
		"acme_same": {Ignored: []odoo.IgnoredFolder{
			{Folder: "migrations/1.1", Reason: "the version does not go up (17.0.1.0): Odoo runs a module's scripts only when it does"},
		}},
		// The version before is unknown (the manifest did not load):
		// every folder up to the new version may run.
		"acme_unknown": {
			Run:     []string{"17.0.1.1 migrations/1.1/post-fix.py"},
			Ignored: []odoo.IgnoredFolder{{Folder: "migrations/1.2", Reason: "17.0.1.2 is above 17.0.1.1, the version after the change: an upgrade to it will run it"}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("migrations (-want +got):\n%s", diff)
	}

	// Only the scripts run make a migration: acme_late's version goes
	// up, but its script is of the version it leaves.
	im := odoo.ImpactOf(d, odoo.NewGraph(odoo.Odoo17(), d.Before.Modules), odoo.NewGraph(odoo.Odoo17(), d.After.Modules), odoo.CoreProcesses())
	if diff := cmp.Diff([]string{"end", "post", "pre"}, im.Facts.MigrationPhases); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
	var modules []string
	for _, e := range im.Facts.Evidence["migration"] {
		modules = append(modules, strings.SplitN(e, "/", 2)[0])
	}
	if diff := cmp.Diff([]string{"acme", "acme_unknown"}, slices.Compact(modules)); diff != "" {
		t.Errorf("modules of the migration's evidence (-want +got):\n%s", diff)
	}
	late := odoo.ImpactOf(&odoo.Diff{Modules: slices.DeleteFunc(slices.Clone(d.Modules), func(m odoo.ModuleDiff) bool { return m.Module != "acme_late" }), Before: d.Before, After: d.After},
		odoo.NewGraph(odoo.Odoo17(), d.Before.Modules), odoo.NewGraph(odoo.Odoo17(), d.After.Modules), odoo.CoreProcesses())
	if late.Facts.Migration || len(late.Facts.MigrationPhases) != 0 {
		t.Errorf("acme_late alone: migration %v %v; want none: its script is of 1.0, the version it leaves", late.Facts.Migration, late.Facts.MigrationPhases)
	}
}

// Odoo upgrades only a module installed in the database: a module not
// installable before the change (one not yet ported, its version of the
// series before) was not installed, and is installed now; one made not
// installable is not upgraded. Neither runs a script, and a version Odoo
// does not read is shown as written.
func TestDiffMigrationsOfAModuleNotInstallable(t *testing.T) {
	script := "def migrate(cr, version):\n    pass\n"
	from := mapFS(map[string]string{
		"addons/acme_ported/__manifest__.py":  "{'name': 'P', 'version': '16.0.1.0.0', 'installable': False}\n",
		"addons/acme_retired/__manifest__.py": "{'name': 'R', 'version': '1.0'}\n",
	})
	to := mapFS(map[string]string{
		"addons/acme_ported/__manifest__.py":                  "{'name': 'P', 'version': '17.0.1.0.0'}\n",
		"addons/acme_ported/migrations/17.0.1.0.0/pre-fix.py": script,
		"addons/acme_retired/__manifest__.py":                 "{'name': 'R', 'version': '1.1', 'installable': False}\n",
		"addons/acme_retired/migrations/1.1/post-fix.py":      script,
	})
	d, err := odoo.DiffFS(from, to, "addons")
	if err != nil {
		t.Fatal(err)
	}
	type sorted struct {
		Old, New string
		Run      []odoo.Migration
		Ignored  []odoo.IgnoredFolder
	}
	got := map[string]sorted{}
	for _, m := range d.Modules {
		got[m.Module] = sorted{Old: m.OldVersion, New: m.NewVersion, Run: m.MigrationsRun, Ignored: m.MigrationsIgnored}
	}
	want := map[string]sorted{
		"acme_ported": {Old: "16.0.1.0.0", New: "17.0.1.0.0", Ignored: []odoo.IgnoredFolder{{Folder: "migrations/17.0.1.0.0",
			Reason: "the module was not installable before the change (installable False), so not installed: Odoo installs it, and runs migration scripts only when it upgrades one"}}},
		"acme_retired": {Old: "17.0.1.0", New: "17.0.1.1", Ignored: []odoo.IgnoredFolder{{Folder: "migrations/1.1",
			Reason: "the module is not installable after the change (installable False): Odoo does not upgrade it"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
	im := odoo.ImpactOf(d, odoo.NewGraph(odoo.Odoo17(), d.Before.Modules), odoo.NewGraph(odoo.Odoo17(), d.After.Modules), odoo.CoreProcesses())
	if im.Facts.Migration {
		t.Errorf("migration %v %v; want none: no module the change touches is upgraded", im.Facts.Migration, im.Facts.MigrationPhases)
	}
}

// A module removed and one added that share their manifest's name, or
// most of their files, look like a rename, which the diff pairs; both
// stay removed and added, as Odoo sees them.
func TestDiffRenames(t *testing.T) {
	labels := map[string]string{
		"__manifest__.py":    "{'name': 'Labels', 'version': '1.0', 'depends': ['stock']}\n",
		"__init__.py":        "from . import models\n",
		"models/__init__.py": "from . import label\n",
		"models/label.py":    "# labels\n",
		"views/label.xml":    "<odoo/>\n",
	}
	module := func(dir string, files map[string]string, changes map[string]string) map[string]string {
		out := map[string]string{}
		for f, c := range files {
			if c != "" {
				out[path.Join("addons", dir, f)] = c
			}
		}
		for f, c := range changes {
			out[path.Join("addons", dir, f)] = c
		}
		return out
	}
	join := func(trees ...map[string]string) fstest.MapFS {
		all := map[string]string{}
		for _, t := range trees {
			maps.Copy(all, t)
		}
		return mapFS(all)
	}
	other := module("acme_other", map[string]string{"__manifest__.py": "{'name': 'Other'}\n", "__init__.py": "", "models/other.py": "# other\n"}, nil)
	for _, tt := range []struct {
		name     string
		from, to fstest.MapFS
		want     []odoo.Rename
	}{
		{
			name: "moved as it is",
			from: join(module("acme_label", labels, nil)),
			to:   join(module("acme_labels", labels, nil)),
			want: []odoo.Rename{{From: "acme_label", To: "acme_labels", Name: "Labels", SameFiles: 5, FromFiles: 5, ToFiles: 5}},
		},
		{
			name: "a new name in the manifest, most files alike",
			from: join(module("acme_label", labels, nil)),
			to: join(module("acme_labels", labels, map[string]string{
				"__manifest__.py": "{'name': 'Label printing', 'version': '1.1', 'depends': ['stock']}\n",
				"views/label.xml": "<odoo><data/></odoo>\n",
			})),
			want: []odoo.Rename{{From: "acme_label", To: "acme_labels", SameFiles: 3, FromFiles: 5, ToFiles: 5}},
		},
		{
			name: "the same name, every file rewritten",
			from: join(module("acme_label", labels, nil)),
			to: join(module("acme_labels", map[string]string{
				"__manifest__.py": "{'name': 'Labels', 'version': '2.0', 'depends': ['stock', 'mrp']}\n",
				"__init__.py":     "from . import report\n",
				"report/label.py": "# rewritten\n",
			}, nil)),
			want: []odoo.Rename{{From: "acme_label", To: "acme_labels", Name: "Labels", FromFiles: 5, ToFiles: 3}},
		},
		{
			name: "half the files alike is not enough",
			from: join(module("acme_label", labels, nil)),
			to: join(module("acme_tags", labels, map[string]string{
				"__manifest__.py": "{'name': 'Tags'}\n",
				"models/label.py": "# tags\n",
				"views/label.xml": "",
			})),
			want: []odoo.Rename{},
		},
		{
			// Empty files are alike in any two modules.
			name: "only empty files alike",
			from: join(module("acme_a", map[string]string{"__manifest__.py": "{'name': 'A'}\n", "__init__.py": "", "models/__init__.py": ""}, nil)),
			to:   join(module("acme_b", map[string]string{"__manifest__.py": "{'name': 'B'}\n", "__init__.py": "", "models/__init__.py": ""}, nil)),
			want: []odoo.Rename{},
		},
		{
			name: "one removed, two added alike: which is unsure",
			from: join(module("acme_label", labels, nil), other),
			to:   join(module("acme_labels", labels, nil), module("acme_labels2", labels, nil), other),
			want: []odoo.Rename{},
		},
		{
			name: "two removed alike, one added",
			from: join(module("acme_label", labels, nil), module("acme_label_old", labels, nil)),
			to:   join(module("acme_labels", labels, nil)),
			want: []odoo.Rename{},
		},
		{
			name: "an unrelated removal and addition",
			from: join(module("acme_label", labels, nil)),
			to:   join(other),
			want: []odoo.Rename{},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := odoo.DiffFS(tt.from, tt.to, "addons")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, d.Renames); diff != "" {
				t.Errorf("renames (-want +got):\n%s", diff)
			}
			// A rename hides nothing: both modules are still in the diff.
			for _, r := range d.Renames {
				status := map[string]string{}
				for _, m := range d.Modules {
					status[m.Module] = m.Status
				}
				if status[r.From] != odoo.ModuleRemoved || status[r.To] != odoo.ModuleAdded {
					t.Errorf("%s -> %s: statuses %v; want removed and added", r.From, r.To, status)
				}
			}
		})
	}
}
