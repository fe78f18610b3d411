package odoo_test

import (
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/odoo"
)

func TestParseManifest(t *testing.T) {
	tests := []struct {
		file string
		want *odoo.Module
	}{
		{
			file: "testdata/addons/odoo/stock_account/__manifest__.py",
			want: &odoo.Module{
				Name:        "stock_account",
				Title:       "WMS Accounting",
				Version:     "1.1",
				Category:    "Hidden",
				Depends:     []string{"stock", "account"},
				AutoInstall: true,
				Installable: true,
				Data: []string{
					"security/stock_account_security.xml",
					"security/ir.model.access.csv",
					"data/stock_account_data.xml",
					"views/stock_account_views.xml",
					"views/res_config_settings_views.xml",
					"data/product_data.xml",
					"views/report_invoice.xml",
					"views/stock_valuation_layer_views.xml",
					"views/stock_quant_views.xml",
					"views/product_views.xml",
					"wizard/stock_request_count.xml",
					"wizard/stock_valuation_layer_revaluation_views.xml",
					"wizard/stock_quantity_history.xml",
					"report/report_stock_forecasted.xml",
					"report/stock_valuation_report.xml",
				},
				PostInitHook: "_configure_journals",
				License:      "LGPL-3",
				Path:         "testdata/addons/odoo/stock_account",
				ManifestFile: "testdata/addons/odoo/stock_account/__manifest__.py",
			},
		},
		{
			file: "testdata/addons/custom/acme_mrp_extension/__manifest__.py",
			want: &odoo.Module{
				Name:        "acme_mrp_extension",
				Title:       "ACME: MRP extensions",
				Version:     "17.0.1.4.2",
				Category:    "Manufacturing/Manufacturing",
				Depends:     []string{"mrp", "quality_control"},
				Installable: true,
				Data: []string{
					"security/ir.model.access.csv",
					"data/scrap_reasons.xml",
					"views/mrp_production_views.xml",
					"views/mrp_workcenter_views.xml",
				},
				Demo: []string{"demo/mrp_demo.xml"},
				ExternalDependencies: odoo.ExternalDependencies{
					Python: []string{"openpyxl", "python-barcode"},
					Bin:    []string{"lp"},
				},
				PreInitHook:   "pre_init_hook",
				PostInitHook:  "post_init_hook",
				UninstallHook: "uninstall_hook",
				License:       "OPL-1",
				Path:          "testdata/addons/custom/acme_mrp_extension",
				ManifestFile:  "testdata/addons/custom/acme_mrp_extension/__manifest__.py",
			},
		},
		{
			file: "testdata/addons/custom/acme_sale_mrp/__manifest__.py",
			want: &odoo.Module{
				Name:            "acme_sale_mrp",
				Title:           "ACME: sales to manufacturing",
				Version:         "17.0.1.0.0",
				Category:        "Hidden",
				Depends:         []string{"sale_mrp", "acme_mrp_extension"},
				AutoInstall:     true,
				AutoInstallWith: []string{"sale_mrp"},
				Installable:     true,
				Data:            []string{"views/sale_order_views.xml"},
				License:         "OPL-1",
				Path:            "testdata/addons/custom/acme_sale_mrp",
				ManifestFile:    "testdata/addons/custom/acme_sale_mrp/__manifest__.py",
			},
		},
		{
			// OpenERP's keys (update_xml, active) are not Odoo 17's and
			// are ignored.
			file: "testdata/addons/custom/acme_stock_label/__openerp__.py",
			want: &odoo.Module{
				Name:         "acme_stock_label",
				Title:        "Stock labels (legacy)",
				Version:      "1.0",
				Category:     "Warehouse Management",
				Depends:      []string{"stock"},
				Installable:  true,
				Path:         "testdata/addons/custom/acme_stock_label",
				ManifestFile: "testdata/addons/custom/acme_stock_label/__openerp__.py",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.want.Name, func(t *testing.T) {
			src, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := odoo.ParseManifest(tt.file, src)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseManifest(%s) mismatch (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestParseManifestForms(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want *odoo.Module
	}{
		{
			name: "defaults",
			src:  `{'name': 'M'}`,
			want: &odoo.Module{Title: "M", Installable: true},
		},
		{
			name: "tuple depends and not installable",
			src:  `{'depends': ('base',), 'installable': False, 'application': True}`,
			want: &odoo.Module{Depends: []string{"base"}, Application: true},
		},
		{
			// Odoo 17 keeps the version of a module it will not install
			// as written, whatever it is, and the key's place does not
			// matter: a module not yet ported stays in the repository.
			name: "not installable, of another series",
			src:  `{'version': '16.0.1.0.0', 'depends': ['mrp'], 'installable': False}`,
			want: &odoo.Module{Version: "16.0.1.0.0", Depends: []string{"mrp"}},
		},
		{
			name: "not installable, with a word in its version",
			src:  `{'installable': False, 'version': '1.0b1'}`,
			want: &odoo.Module{Version: "1.0b1"},
		},
		{
			name: "empty auto_install list",
			src:  `{'depends': ['base'], 'auto_install': []}`,
			want: &odoo.Module{Depends: []string{"base"}, AutoInstall: true, AutoInstallWith: []string{}, Installable: true},
		},
		{
			name: "auto_install False after a list",
			src:  `{'depends': ['a'], 'auto_install': ['a'], 'auto_install': False}`,
			want: &odoo.Module{Depends: []string{"a"}, Installable: true},
		},
		{
			name: "external dependencies without bin",
			src:  `{'external_dependencies': {'python': ['lxml']}}`,
			want: &odoo.Module{ExternalDependencies: odoo.ExternalDependencies{Python: []string{"lxml"}}, Installable: true},
		},
		{
			// Odoo reads an optional key given as None as not given.
			name: "optional keys as None",
			src:  `{'license': None, 'category': None, 'post_init_hook': None, 'pre_init_hook': None, 'uninstall_hook': None}`,
			want: &odoo.Module{Installable: true},
		},
		{
			// Odoo reads its flags by Python's truth: 0 and None are
			// false, and any other number true.
			name: "flags as numbers and None",
			src:  `{'depends': ['a'], 'installable': 0, 'application': 1, 'auto_install': 1, 'version': '16.0.1.0.0'}`,
			want: &odoo.Module{Depends: []string{"a"}, Application: true, AutoInstall: true, Version: "16.0.1.0.0"},
		},
		{
			name: "flags as None and a float",
			src:  `{'installable': 1.0, 'application': None, 'auto_install': None}`,
			want: &odoo.Module{Installable: true},
		},
		{
			name: "unknown keys of any type",
			src:  `{'assets': {'web.assets_backend': ['x/**/*']}, 'sequence': 16, 'price': 9.5, 'images': None}`,
			want: &odoo.Module{Installable: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := odoo.ParseManifest("addons/m/__manifest__.py", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Name, tt.want.Path, tt.want.ManifestFile = "m", "addons/m", "addons/m/__manifest__.py"
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseManifest(%q) mismatch (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

func TestParseManifestErrors(t *testing.T) {
	const file = "addons/m/__manifest__.py"
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"not a literal", "{\n  'name': 'M',\n  'depends': DEPENDS,\n}", file + ":3:14: name DEPENDS is not a literal: want a string, number, True, False, None, dict, list or tuple"},
		{"not a dict", "['base']", file + ":1:1: manifest is a list, want a dict"},
		{"depends is a string", "{\n  'depends': 'mrp',\n}", file + ":2:14: depends is a str, want a list of strings"},
		{"depends holds a number", "{'depends': [\n  'mrp',\n  3,\n]}", file + ":3:3: depends holds an int, want only strings"},
		{"version is a float", "{'version': 1.0}", file + ":1:13: version is a float, want a string"},
		// Python reads a non-empty string as true, so 'False' would be
		// installable: a mistake, refused.
		{"installable is a string", "{'installable': 'False'}", file + ":1:17: installable is a str, want True or False"},
		{"application is a list", "{'application': []}", file + ":1:17: application is a list, want True or False"},
		{"auto_install is a string", "{'auto_install': 'yes'}", file + ":1:18: auto_install is a str, want a list of strings"},
		{"auto_install names a non-dependency", "{'depends': ['sale'],\n 'auto_install': ['sale', 'stock']}", file + `:2:18: auto_install names "stock", which is not in depends`},
		{"external dependencies not a dict", "{'external_dependencies': ['lxml']}", file + ":1:27: external_dependencies is a list, want a dict"},
		{"external python not a list", "{'external_dependencies': {'python': 'lxml'}}", file + ":1:38: external_dependencies['python'] is a str, want a list of strings"},
		{"version is None", "{'version': None}", file + ":1:13: version is None, want a string"},
		// Odoo 17 refuses to load these: a module not yet ported keeps
		// 16.0 in front, and a pre-release word is not a version it reads.
		{"version of another series", "{'name': 'M',\n 'version': '16.0.1.0.0'}", file + `:2:13: version "16.0.1.0.0" is not one Odoo 17.0 loads: want x.y, x.y.z, 17.0.x.y or 17.0.x.y.z, in numbers (or installable False, for a module not yet ported)`},
		{"version with a word", "{'version': '1.0b1'}", file + `:1:13: version "1.0b1" is not one Odoo 17.0 loads: want x.y, x.y.z, 17.0.x.y or 17.0.x.y.z, in numbers (or installable False, for a module not yet ported)`},
		{"version of another series, installable", "{'version': '16.0.1.0.0',\n 'installable': True}", file + `:1:13: version "16.0.1.0.0" is not one Odoo 17.0 loads: want x.y, x.y.z, 17.0.x.y or 17.0.x.y.z, in numbers (or installable False, for a module not yet ported)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := odoo.ParseManifest(file, []byte(tt.src))
			if err == nil {
				t.Fatalf("ParseManifest(%q) = %+v, want error %q", tt.src, m, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("ParseManifest(%q) error\n got: %s\nwant: %s", tt.src, err, tt.want)
			}
			var e *odoo.Error
			if !errors.As(err, &e) || e.File != file || e.Line == 0 {
				t.Errorf("error %v (%T): want an *odoo.Error naming %s and a line", err, err, file)
			}
			if got, want := andon.ErrorCode(err), andon.EINVALID; got != want {
				t.Errorf("ErrorCode = %q, want %q", got, want)
			}
		})
	}
}
