package odoo_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon/odoo"
)

// MustWriteFile writes data to the file name under dir, creating its
// directories.
func MustWriteFile(tb testing.TB, dir, name, data string) {
	tb.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// where lists the modules as "name path", for comparisons.
func where(ms []*odoo.Module) []string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Name+" "+filepath.ToSlash(m.ManifestFile))
	}
	return s
}

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/addons")); err != nil {
		t.Fatal(err)
	}
	MustWriteFile(t, dir, "custom/acme_broken/__manifest__.py", "{\n    'name': 'Broken',\n    'depends': ['mrp'\n    'data': [],\n}\n")
	MustWriteFile(t, dir, "custom/acme_typo/__manifest__.py", "{\n    'name': 'Typo',\n    'depends': 'stock',\n}\n")
	MustWriteFile(t, dir, "custom/.git/__manifest__.py", "not a manifest")
	MustWriteFile(t, dir, "custom/static/description/index.html", "<p>not a module</p>")
	MustWriteFile(t, dir, "custom/setup.py", "not a module either")
	if err := os.Symlink(filepath.Join(dir, "elsewhere", "acme_linked"), filepath.Join(dir, "custom", "acme_linked")); err != nil {
		t.Fatal(err)
	}
	MustWriteFile(t, dir, "elsewhere/acme_linked/__manifest__.py", "{'name': 'Linked', 'depends': ['stock']}")

	custom, core := filepath.Join(dir, "custom"), filepath.Join(dir, "odoo")
	addons, err := odoo.Discover(custom, core)

	// Both broken manifests are reported, each with its file and line,
	// and the others are read all the same.
	want := strings.Join([]string{
		filepath.Join(custom, "acme_broken", "__manifest__.py") + `:4:11: unexpected ":": want "," or "]" (is a "]" missing before it?)`,
		filepath.Join(custom, "acme_typo", "__manifest__.py") + ":3:16: depends is a str, want a list of strings",
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("Discover error\n got: %v\nwant: %s", err, want)
	}
	rel := func(ms []*odoo.Module) []string {
		s := where(ms)
		for i := range s {
			s[i] = strings.Replace(s[i], filepath.ToSlash(dir)+"/", "", 1)
		}
		return s
	}
	// The custom path comes first, so its patched stock_account hides
	// Odoo's.
	wantModules := []string{
		"account_payment odoo/account_payment/__manifest__.py",
		"acme_linked custom/acme_linked/__manifest__.py",
		"acme_mrp_extension custom/acme_mrp_extension/__manifest__.py",
		"acme_sale_mrp custom/acme_sale_mrp/__manifest__.py",
		"acme_stock_label custom/acme_stock_label/__openerp__.py",
		"payment odoo/payment/__manifest__.py",
		"stock_account custom/stock_account/__manifest__.py",
	}
	if diff := cmp.Diff(wantModules, rel(addons.Modules)); diff != "" {
		t.Errorf("Modules mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"stock_account odoo/stock_account/__manifest__.py"}, rel(addons.Shadowed)); diff != "" {
		t.Errorf("Shadowed mismatch (-want +got):\n%s", diff)
	}
	m, ok := addons.Module("stock_account")
	if !ok || m.Title != "WMS Accounting (ACME patch)" || m.Path != filepath.Join(custom, "stock_account") {
		t.Errorf("Module(stock_account) = %+v, %v; want the custom path's", m, ok)
	}
	if _, ok := addons.Module("acme_typo"); ok {
		t.Error("Module(acme_typo) found a module whose manifest is broken")
	}

	// In the other order, Odoo's own stock_account wins.
	addons, _ = odoo.Discover(core, custom)
	if m, _ := addons.Module("stock_account"); m.Title != "WMS Accounting" {
		t.Errorf("with Odoo's path first, stock_account is %q", m.Title)
	}
}

func TestDiscoverFS(t *testing.T) {
	fsys := fstest.MapFS{
		"odoo/addons/sale/__manifest__.py":          {Data: []byte(`{'name': 'Sales', 'depends': ['sales_team']}`)},
		"odoo/addons/sale/models/sale_order.py":     {Data: []byte(`raise SystemExit`)},
		"odoo/addons/sale_stock/__manifest__.py":    {Data: []byte(`{'depends': ['sale', 'stock_account'], 'auto_install': True}`)},
		"enterprise/quality/__manifest__.py":        {Data: []byte(`{'name': 'Quality', 'license': 'OEEL-1'}`)},
		"enterprise/sale/__manifest__.py":           {Data: []byte(`{'name': 'Enterprise copy'}`)},
		"enterprise/legacy/__openerp__.py":          {Data: []byte(`{'name': 'Legacy'}`)},
		"enterprise/both/__manifest__.py":           {Data: []byte(`{'name': 'New'}`)},
		"enterprise/both/__openerp__.py":            {Data: []byte(`{'name': 'Old'}`)},
		"enterprise/README.md":                      {Data: []byte(`# Enterprise`)},
		"enterprise/quality/static/src/app.js":      {Data: []byte(`{`)},
		"enterprise/deep/nested/x/__manifest__.py":  {Data: []byte(`{}`)},
		"enterprise/bad/__manifest__.py":            {Data: []byte("{'name': 'Bad',\n 'version': 17.0}")},
		"enterprise/__manifest__.py":                {Data: []byte(`{'name': 'not a module: a file of the addons path itself'}`)},
		"odoo/addons/__pycache__/x.cpython-312.pyc": {Data: []byte{0}},
	}
	addons, err := odoo.DiscoverFS(fsys, "odoo/addons", "enterprise", "missing")
	want := strings.Join([]string{
		"enterprise/bad/__manifest__.py:2:13: version is a float, want a string",
		"missing: open missing: file does not exist",
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("DiscoverFS error\n got: %v\nwant: %s", err, want)
	}
	var e *odoo.Error
	if !errors.As(err, &e) {
		t.Errorf("DiscoverFS error %T: want *odoo.Error values joined", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("the missing addons path's error does not wrap fs.ErrNotExist")
	}
	wantModules := []string{
		"both enterprise/both/__manifest__.py",
		"legacy enterprise/legacy/__openerp__.py",
		"quality enterprise/quality/__manifest__.py",
		"sale odoo/addons/sale/__manifest__.py",
		"sale_stock odoo/addons/sale_stock/__manifest__.py",
	}
	if diff := cmp.Diff(wantModules, where(addons.Modules)); diff != "" {
		t.Errorf("Modules mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"sale enterprise/sale/__manifest__.py"}, where(addons.Shadowed)); diff != "" {
		t.Errorf("Shadowed mismatch (-want +got):\n%s", diff)
	}
	if m, _ := addons.Module("both"); m.Title != "New" {
		t.Errorf("a module with both manifests is read from %s, want __manifest__.py", m.ManifestFile)
	}
}
