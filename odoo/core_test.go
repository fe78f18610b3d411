package odoo_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/odoo"
)

func TestOdoo17(t *testing.T) {
	c := odoo.Odoo17()
	if c.Series != "17.0" {
		t.Errorf("Series = %q, want 17.0", c.Series)
	}
	byName := map[string]*odoo.Module{}
	var described, byNameOnly, enterprise int
	for i, m := range c.Modules {
		if i > 0 && c.Modules[i-1].Name >= m.Name {
			t.Errorf("modules not sorted: %s before %s", c.Modules[i-1].Name, m.Name)
		}
		byName[m.Name] = m
		switch {
		case m.Edition == "community" && !m.DependsUnknown:
			described++
		case m.Edition == "community":
			byNameOnly++
		default:
			enterprise++
		}
	}
	if described != 35 || byNameOnly != 12 || enterprise != 8 {
		t.Errorf("%d described, %d community by name, %d enterprise; want 35, 12, 8", described, byNameOnly, enterprise)
	}
	want := map[string]*odoo.Module{
		"sale_stock": {Name: "sale_stock", Title: "Sales and Warehouse Management", Version: "1.0", Category: "Hidden",
			Depends: []string{"sale", "stock_account"}, AutoInstall: true, Installable: true, Edition: "community"},
		"mrp": {Name: "mrp", Title: "Manufacturing", Version: "2.0", Category: "Manufacturing/Manufacturing",
			Depends: []string{"product", "stock", "resource"}, Application: true, Installable: true, Edition: "community"},
		"product_expiry": {Name: "product_expiry", Title: "Products Expiration Date", Category: "Inventory/Inventory",
			Depends: []string{"stock"}, Installable: true, Edition: "community"},
		"account_payment": {Name: "account_payment", Installable: true, Edition: "community", DependsUnknown: true},
		"mrp_workorder":   {Name: "mrp_workorder", Installable: true, Edition: "enterprise (OEEL-1)", DependsUnknown: true},
	}
	for name, w := range want {
		if diff := cmp.Diff(w, byName[name]); diff != "" {
			t.Errorf("module %s mismatch (-want +got):\n%s", name, diff)
		}
	}

	// Each call returns its own copy.
	c.Modules[0].Depends = append(c.Modules[0].Depends, "changed")
	c.Processes["mrp"][0] = "changed"
	again := odoo.Odoo17()
	if cmp.Equal(c.Modules[0], again.Modules[0]) || again.Processes["mrp"][0] == "changed" {
		t.Error("a change to one Odoo17 result shows in the next")
	}
}

func TestCoreProcesses(t *testing.T) {
	p := odoo.CoreProcesses()
	want := map[string][]string{
		"mrp":             {"production"},
		"stock":           {"inventory", "quality"},
		"purchase_mrp":    {"procurement", "production"},
		"mrp_workorder":   {"production"},
		"quality_control": {"quality"},
		"stock_barcode":   {"inventory", "shipping"},
	}
	for name, w := range want {
		if diff := cmp.Diff(w, p[name]); diff != "" {
			t.Errorf("CoreProcesses()[%s] mismatch (-want +got):\n%s", name, diff)
		}
	}
	if len(p) != 43 {
		t.Errorf("%d modules with processes, want 43 (35 community, 8 enterprise)", len(p))
	}
	if _, ok := p["base"]; ok {
		t.Error("base has processes; the data names it only in depends")
	}
}

// TestOdoo17Shipped checks that the embedded data is the file the product
// ships, when the checkout has it beside the repository.
func TestOdoo17Shipped(t *testing.T) {
	shipped, err := os.ReadFile("../../shared/data/odoo17-core-modules.json")
	if err != nil {
		t.Skipf("no shipped data beside the repository: %v", err)
	}
	embedded, err := os.ReadFile("data/odoo17-core-modules.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shipped, embedded) {
		t.Error("odoo/data/odoo17-core-modules.json differs from shared/data/odoo17-core-modules.json; copy it again")
	}
}

func TestParseCore(t *testing.T) {
	c, err := odoo.ParseCore("core.json", []byte(`{
  "series": "18.0",
  "modules": [
    {"module": "b", "name": "B", "version": null, "category": null, "depends": ["a"], "auto_install": ["a"], "edition": "community", "processes": ["sales"]},
    {"module": "c", "name": "C", "depends": ["base"], "auto_install": true, "edition": "community"}
  ],
  "enterprise": [{"module": "e", "edition": "enterprise", "processes": ["quality"]}]
}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &odoo.Core{
		Series: "18.0",
		Modules: []*odoo.Module{
			{Name: "a", Installable: true, Edition: "community", DependsUnknown: true},
			{Name: "b", Title: "B", Depends: []string{"a"}, AutoInstall: true, AutoInstallWith: []string{"a"}, Installable: true, Edition: "community"},
			{Name: "base", Installable: true, Edition: "community", DependsUnknown: true},
			{Name: "c", Title: "C", Depends: []string{"base"}, AutoInstall: true, Installable: true, Edition: "community"},
			{Name: "e", Installable: true, Edition: "enterprise", DependsUnknown: true},
		},
		Processes: map[string][]string{"b": {"sales"}, "e": {"quality"}},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("ParseCore mismatch (-want +got):\n%s", diff)
	}
}

func TestParseCoreErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"syntax", "{\n  \"series\": \"17.0\",\n  \"modules\": [,]\n}", "core.json:3:15: invalid character ',' looking for beginning of value"},
		{"type", "{\"series\": \"17.0\",\n \"modules\": [{\"module\": \"a\", \"depends\": \"base\"}]}", "core.json:2:46: json: cannot unmarshal string into Go struct field .modules.depends of type []string"},
		{"no series", `{"modules": []}`, "core.json: no series"},
		{"auto_install", `{"series": "17.0", "modules": [{"module": "a", "auto_install": "yes"}]}`, `core.json: module a: auto_install is "yes", want a bool or a list of names`},
		{"twice", `{"series": "17.0", "modules": [{"module": "a"}], "enterprise": [{"module": "a"}]}`, "core.json: module a is listed twice"},
		{"no name", `{"series": "17.0", "modules": [{"name": "A"}]}`, "core.json: a module without a name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := odoo.ParseCore("core.json", []byte(tt.data))
			if err == nil {
				t.Fatalf("ParseCore = %+v, want error %q", c, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("ParseCore error\n got: %s\nwant: %s", err, tt.want)
			}
			if got, want := andon.ErrorCode(err), andon.EINVALID; got != want {
				t.Errorf("ErrorCode = %q, want %q", got, want)
			}
		})
	}
}
