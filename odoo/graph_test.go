package odoo_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon/odoo"
)

// MustGraph returns the graph of the Odoo 17 core data and the test
// addons: ACME's custom path first, then a slice of Odoo's own addons
// path (stock_account, and account_payment and payment, which the core
// data names without recording their depends).
func MustGraph(tb testing.TB) *odoo.Graph {
	tb.Helper()
	addons, err := odoo.Discover("testdata/addons/custom", "testdata/addons/odoo")
	if err != nil {
		tb.Fatal(err)
	}
	return odoo.NewGraph(odoo.Odoo17(), addons.Modules)
}

// module returns a module with the given depends, for synthetic graphs.
func module(name string, depends ...string) *odoo.Module {
	return &odoo.Module{Name: name, Depends: depends, Installable: true}
}

func TestGraphDependencies(t *testing.T) {
	g := MustGraph(t)
	tests := []struct {
		name string
		want []string
	}{
		{"acme_mrp_extension", []string{"barcodes", "barcodes_gs1_nomenclature", "base", "digest", "mail", "mrp", "product", "quality_control", "resource", "stock", "uom", "web"}},
		{"stock", []string{"barcodes", "barcodes_gs1_nomenclature", "base", "digest", "mail", "product", "uom", "web"}},
		{"acme_stock_label", []string{"barcodes", "barcodes_gs1_nomenclature", "base", "digest", "mail", "product", "stock", "uom", "web"}},
		{"base", nil},
		{"mrp_workorder", nil}, // enterprise: depends not recorded
		{"no_such_module", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, g.Dependencies(tt.name)); diff != "" {
			t.Errorf("Dependencies(%s) mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestGraphDependents(t *testing.T) {
	g := MustGraph(t)
	tests := []struct {
		name string
		want []string
	}{
		{"stock", []string{
			"acme_mrp_extension", "acme_sale_mrp", "acme_stock_label",
			"mrp", "mrp_account", "mrp_landed_costs", "mrp_product_expiry", "mrp_repair",
			"mrp_subcontracting", "mrp_subcontracting_account", "mrp_subcontracting_purchase",
			"product_expiry", "purchase_mrp", "purchase_stock", "repair", "sale_mrp",
			"sale_purchase_stock", "sale_stock", "stock_account", "stock_delivery",
			"stock_dropshipping", "stock_landed_costs", "stock_picking_batch",
		}},
		{"quality_control", []string{"acme_mrp_extension", "acme_sale_mrp"}},
		{"sale_mrp", []string{"acme_sale_mrp"}},
		{"acme_sale_mrp", nil},
		{"no_such_module", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, g.Dependents(tt.name)); diff != "" {
			t.Errorf("Dependents(%s) mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestGraphAutoInstall(t *testing.T) {
	g := MustGraph(t)
	core := odoo.NewGraph(odoo.Odoo17(), nil)
	tests := []struct {
		name      string
		g         *odoo.Graph
		installed []string
		want      []string
	}{
		{
			// sale needs account_payment, which needs account: so
			// stock_account, then sale_stock, install themselves.
			// account_edi_ubl_cii does with account.
			name:      "sale and stock",
			g:         g,
			installed: []string{"sale", "stock"},
			want:      []string{"account_edi_ubl_cii", "sale_stock", "stock_account"},
		},
		{
			// The core data alone does not record that account_payment
			// needs account; with account named, the result is the same.
			name:      "sale and stock, core data only",
			g:         core,
			installed: []string{"sale", "stock", "account"},
			want:      []string{"account_edi_ubl_cii", "sale_stock", "stock_account"},
		},
		{
			name:      "purchase",
			g:         g,
			installed: []string{"purchase"},
			want:      []string{"account_edi_ubl_cii", "account_payment", "payment"},
		},
		{
			// Adding mrp to a database with purchase brings
			// stock_account, then purchase_stock and mrp_account, then
			// purchase_mrp.
			name:      "purchase and mrp",
			g:         g,
			installed: []string{"purchase", "mrp"},
			want:      []string{"account_edi_ubl_cii", "account_payment", "mrp_account", "payment", "purchase_mrp", "purchase_stock", "stock_account"},
		},
		{
			// acme_sale_mrp's auto_install list names sale_mrp only: it
			// comes with sale_mrp and pulls in acme_mrp_extension and
			// the enterprise quality_control.
			name:      "an auto_install list pulls in the other depends",
			g:         g,
			installed: []string{"sale_mrp"},
			want:      []string{"account_edi_ubl_cii", "acme_mrp_extension", "acme_sale_mrp", "mrp_account", "quality_control"},
		},
		{
			name:      "nothing installed",
			g:         g,
			installed: nil,
			want:      nil,
		},
		{
			name: "empty auto_install list installs always",
			g: odoo.NewGraph(nil, []*odoo.Module{
				module("base"),
				{Name: "always", Depends: []string{"base"}, AutoInstall: true, AutoInstallWith: []string{}, Installable: true},
			}),
			installed: []string{"base"},
			want:      []string{"always"},
		},
		{
			name: "not installable, or needing what is missing or not installable",
			g: odoo.NewGraph(nil, []*odoo.Module{
				module("a"),
				{Name: "off", Depends: []string{"a"}, AutoInstall: true},
				{Name: "needs_missing", Depends: []string{"a", "gone"}, AutoInstall: true, AutoInstallWith: []string{"a"}, Installable: true},
				{Name: "needs_off", Depends: []string{"a", "off"}, AutoInstall: true, AutoInstallWith: []string{"a"}, Installable: true},
				{Name: "ok", Depends: []string{"a"}, AutoInstall: true, Installable: true},
			}),
			installed: []string{"a"},
			want:      []string{"ok"},
		},
		{
			name: "a chain reaches a fixpoint",
			g: odoo.NewGraph(nil, []*odoo.Module{
				module("a"),
				{Name: "z1", Depends: []string{"a"}, AutoInstall: true, Installable: true},
				{Name: "y2", Depends: []string{"z1"}, AutoInstall: true, Installable: true},
				{Name: "x3", Depends: []string{"y2", "a"}, AutoInstall: true, Installable: true},
			}),
			installed: []string{"a"},
			want:      []string{"x3", "y2", "z1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.g.AutoInstall(tt.installed)); diff != "" {
				t.Errorf("AutoInstall(%v) mismatch (-want +got):\n%s", tt.installed, diff)
			}
		})
	}
}

func TestGraphMissing(t *testing.T) {
	if got := MustGraph(t).Missing(); len(got) != 0 {
		t.Errorf("Missing() = %v for the test addons, want none", got)
	}
	g := odoo.NewGraph(odoo.Odoo17(), []*odoo.Module{
		module("acme_shop", "website_sale", "stock", "acme_theme"),
		module("acme_theme", "website"),
		module("acme_ok", "mrp_workorder"), // enterprise, known by name
		module("acme_needs_off", "stock", "acme_off"),
		{Name: "acme_off", Depends: []string{"stock"}},                 // installable False
		{Name: "acme_off_too", Depends: []string{"acme_off", "stock"}}, // not installable itself: Odoo skips it
	})
	want := map[string][]string{
		"acme_shop":      {"website_sale"},
		"acme_theme":     {"website"},
		"acme_needs_off": {"acme_off"},
	}
	if diff := cmp.Diff(want, g.Missing()); diff != "" {
		t.Errorf("Missing() mismatch (-want +got):\n%s", diff)
	}
}

func TestGraphCycles(t *testing.T) {
	tests := []struct {
		name    string
		modules []*odoo.Module
		want    [][]string
	}{
		{"none", []*odoo.Module{module("a", "b"), module("b")}, nil},
		{"self", []*odoo.Module{module("a", "a")}, [][]string{{"a"}}},
		{"two", []*odoo.Module{module("b", "a"), module("a", "b")}, [][]string{{"a", "b"}}},
		{
			"rotated to the first name, one per group",
			[]*odoo.Module{
				module("m_c", "m_a", "base"), module("m_a", "m_b"), module("m_b", "m_c"),
				module("x", "m_a"), // depends on the cycle, is not in it
				module("q", "p"), module("p", "q", "missing"),
				module("base"),
			},
			[][]string{{"m_a", "m_b", "m_c"}, {"p", "q"}},
		},
		{
			// a → b → a and a → c → d → a form one group; the shorter
			// cycle through a reports it.
			"two cycles in one group",
			[]*odoo.Module{module("a", "c", "b"), module("b", "a"), module("c", "d"), module("d", "a")},
			[][]string{{"a", "b"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := odoo.NewGraph(nil, tt.modules)
			if diff := cmp.Diff(tt.want, g.Cycles()); diff != "" {
				t.Errorf("Cycles() mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if got := MustGraph(t).Cycles(); len(got) != 0 {
		t.Errorf("Cycles() = %v for the test addons, want none", got)
	}
}

func TestGraphShadowsCore(t *testing.T) {
	g := MustGraph(t)
	m, ok := g.Module("stock_account")
	if !ok || m.Title != "WMS Accounting (ACME patch)" || m.Edition != "" {
		t.Errorf("Module(stock_account) = %+v: want the scanned copy in place of the core module", m)
	}
	if m, ok := g.Module("base"); !ok || !m.DependsUnknown {
		t.Errorf("Module(base) = %+v, %v: want a core module known by name", m, ok)
	}
	if _, ok := g.Module("website"); ok {
		t.Error("Module(website) found a module neither scanned nor in the core data")
	}
}

// syntheticModules returns n custom modules beside the core data, each
// depending on one to three core modules and up to two earlier custom
// modules, the same ones on every call.
func syntheticModules(n int) []*odoo.Module {
	core := odoo.Odoo17()
	r := rand.New(rand.NewPCG(1, 2))
	var ms []*odoo.Module
	for i := range n {
		m := module(fmt.Sprintf("acme_%03d", i))
		for range 1 + r.IntN(3) {
			m.Depends = append(m.Depends, core.Modules[r.IntN(len(core.Modules))].Name)
		}
		for range r.IntN(3) {
			if i > 0 {
				m.Depends = append(m.Depends, ms[r.IntN(i)].Name)
			}
		}
		ms = append(ms, m)
	}
	return ms
}

// BenchmarkGraph builds the graph of 600 modules (the core data and
// synthetic custom modules) and computes what a change to stock affects.
func BenchmarkGraph(b *testing.B) {
	core := odoo.Odoo17()
	custom := syntheticModules(600 - len(core.Modules))
	if n := len(odoo.NewGraph(core, custom).Names()); n != 600 {
		b.Fatalf("%d modules, want 600", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		g := odoo.NewGraph(core, custom)
		if len(g.Dependents("stock")) == 0 {
			b.Fatal("nothing depends on stock")
		}
	}
}
