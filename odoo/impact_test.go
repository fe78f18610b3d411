package odoo_test

import (
	"slices"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon/odoo"
)

func TestImpactOf(t *testing.T) {
	repo := newGitRepo(t)
	repo.write(map[string]string{
		// A custom extension of stock, which no catalog lists, and a
		// report module built on it.
		"addons/acme_stock/__manifest__.py":  "{'name': 'ACME stock', 'version': '1.0', 'depends': ['stock']}\n",
		"addons/acme_stock/models/quant.py":  "# quants\n",
		"addons/acme_report/__manifest__.py": "{'name': 'ACME reports', 'version': '1.0', 'depends': ['acme_stock']}\n",
		"addons/acme_labels/__manifest__.py": "{'name': 'ACME labels', 'version': '1.0', 'depends': ['product']}\n",
		"addons/acme_buy/__manifest__.py":    "{'name': 'ACME buying', 'version': '1.0', 'depends': ['purchase_stock']}\n",
	})
	from := repo.commit("one")
	repo.write(map[string]string{
		"addons/acme_stock/__manifest__.py":                "{'name': 'ACME stock', 'version': '1.1', 'depends': ['stock']}\n",
		"addons/acme_stock/migrations/1.1/post-migrate.py": "def migrate(cr, version):\n    pass\n",
		"addons/acme_stock/security/ir.model.access.csv":   "id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink\naccess_quant_all,all,model_stock_quant,,1,0,0,0\n",
		"addons/acme_stock/models/quant.py":                "# quants, faster\n",
		"addons/acme_mrp_glue/__manifest__.py":             "{'name': 'glue', 'version': '1.0', 'depends': ['mrp', 'acme_stock'], 'auto_install': True}\n",
		"addons/acme_mrp_glue/models/production.py":        "# glue\n",
		// Buying now plans production too: Odoo then installs
		// purchase_mrp, and mrp_account since stock_account is there.
		"addons/acme_buy/__manifest__.py": "{'name': 'ACME buying', 'version': '1.0', 'depends': ['purchase_stock', 'mrp']}\n",
	})
	to := repo.commit("two")
	before, err := odoo.DiscoverFS(repo.at(from).FS, "addons")
	if err != nil {
		t.Fatal(err)
	}
	after, err := odoo.DiscoverFS(repo.at(to).FS, "addons")
	if err != nil {
		t.Fatal(err)
	}
	d, err := odoo.DiffFS(repo.at(from).FS, repo.at(to).FS, "addons")
	if err != nil {
		t.Fatal(err)
	}
	g := odoo.NewGraph(odoo.Odoo17(), after.Modules)
	was := odoo.NewGraph(odoo.Odoo17(), before.Modules)
	processes := odoo.CoreProcesses()
	// The catalog puts a module of its own in a process.
	processes["acme_report"] = []string{"quality"}

	im := odoo.ImpactOf(d, was, g, processes)
	want := &odoo.Impact{
		Changed:  []string{"acme_buy", "acme_mrp_glue", "acme_stock"},
		Affected: []string{"acme_report"},
		// mrp was in no module's depends before: Odoo installs it, with
		// resource, which it needs.
		Dependencies:  []string{"mrp", "resource"},
		AutoInstalled: []string{"mrp_account", "purchase_mrp"},
		Missing:       map[string][]string{},
		Cycles:        [][]string{},
		Processes: []odoo.ProcessImpact{
			{Process: "finance", Modules: []string{"mrp_account"}},
			{Process: "inventory", Modules: []string{"acme_buy", "acme_mrp_glue", "acme_stock"}},
			{Process: "procurement", Modules: []string{"acme_buy", "purchase_mrp"}},
			{Process: "production", Modules: []string{"acme_buy", "acme_mrp_glue", "mrp", "mrp_account", "purchase_mrp"}},
			{Process: "quality", Modules: []string{"acme_mrp_glue", "acme_report", "acme_stock"}},
		},
		Facts: odoo.Facts{
			Modules:          []string{"acme_buy", "acme_mrp_glue", "acme_report", "acme_stock", "mrp", "mrp_account", "purchase_mrp", "resource"},
			Migration:        true,
			MigrationPhases:  []string{"post"},
			SecurityChanged:  true,
			PublicAccessRows: []string{"acme_stock: access_quant_all (model model_stock_quant: read)"},
			Processes:        []string{"finance", "inventory", "procurement", "production", "quality"},
			Evidence: map[string][]string{
				"modules": {"acme_buy/__manifest__.py", "acme_mrp_glue/__manifest__.py", "acme_mrp_glue/models/production.py",
					"acme_stock/__manifest__.py", "acme_stock/migrations/1.1/post-migrate.py", "acme_stock/models/quant.py", "acme_stock/security/ir.model.access.csv"},
				"migration":        {"acme_stock/__manifest__.py", "acme_stock/migrations/1.1/post-migrate.py"},
				"securityChanged":  {"acme_stock/security/ir.model.access.csv"},
				"publicAccessRows": {"acme_stock/security/ir.model.access.csv"},
			},
		},
	}
	if diff := cmp.Diff(want, im); diff != "" {
		t.Errorf("impact (-want +got):\n%s", diff)
	}
}

// A change that makes a module depend on one that exists nowhere, or on
// itself through another, breaks the upgrade: the impact says so.
func TestImpactReportsBrokenDependencies(t *testing.T) {
	repo := newGitRepo(t)
	repo.write(map[string]string{
		"addons/acme_a/__manifest__.py": "{'name': 'A', 'depends': ['stock']}\n",
		"addons/acme_b/__manifest__.py": "{'name': 'B', 'depends': ['acme_a']}\n",
		// acme_report does not change, but the module it needs is
		// renamed under it.
		"addons/acme_label/__manifest__.py":  "{'name': 'Labels', 'depends': ['stock']}\n",
		"addons/acme_report/__manifest__.py": "{'name': 'Reports', 'depends': ['acme_label']}\n",
	})
	from := repo.commit("one")
	repo.write(map[string]string{
		"addons/acme_a/__manifest__.py":      "{'name': 'A', 'depends': ['stock', 'acme_b', 'acme_gone']}\n",
		"addons/acme_label/__manifest__.py":  "",
		"addons/acme_labels/__manifest__.py": "{'name': 'Labels', 'depends': ['stock']}\n",
	})
	to := repo.commit("two")
	d, err := odoo.DiffFS(repo.at(from).FS, repo.at(to).FS, "addons")
	if err != nil {
		t.Fatal(err)
	}
	g := odoo.NewGraph(odoo.Odoo17(), d.After.Modules)
	im := odoo.ImpactOf(d, odoo.NewGraph(odoo.Odoo17(), d.Before.Modules), g, odoo.CoreProcesses())
	if diff := cmp.Diff(map[string][]string{"acme_a": {"acme_gone"}, "acme_report": {"acme_label"}}, im.Missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	if len(im.Cycles) != 1 || !slices.Contains(im.Cycles[0], "acme_a") || !slices.Contains(im.Cycles[0], "acme_b") {
		t.Errorf("cycles = %v; want acme_a and acme_b", im.Cycles)
	}
}

// A module the change removes touches the processes it served: those of
// the modules it depended on before the change.
func TestImpactOfARemovedModule(t *testing.T) {
	repo := newGitRepo(t)
	repo.write(map[string]string{
		"addons/acme_legacy/__openerp__.py": "{'name': 'Legacy', 'version': '1.0', 'depends': ['mrp']}\n",
		"addons/acme_stock/__manifest__.py": "{'name': 'Stock', 'version': '1.0', 'depends': ['stock']}\n",
	})
	from := repo.commit("one")
	repo.write(map[string]string{"addons/acme_legacy/__openerp__.py": ""})
	to := repo.commit("two")
	d, err := odoo.DiffFS(repo.at(from).FS, repo.at(to).FS, "addons")
	if err != nil {
		t.Fatal(err)
	}
	im := odoo.ImpactOf(d, odoo.NewGraph(odoo.Odoo17(), d.Before.Modules), odoo.NewGraph(odoo.Odoo17(), d.After.Modules), odoo.CoreProcesses())
	want := []odoo.ProcessImpact{{Process: "production", Modules: []string{"acme_legacy"}}}
	if diff := cmp.Diff(want, im.Processes); diff != "" {
		t.Errorf("processes (-want +got):\n%s", diff)
	}
}

// A script added to a module whose version does not go up is one no
// upgrade runs: the module says so, and its phase is not one of the
// change's migration.
func TestImpactOfAMigrationWithoutABump(t *testing.T) {
	from := mapFS(map[string]string{
		"addons/acme_mrp/__manifest__.py":     "{'name': 'MRP', 'version': '17.0.1.0.0', 'depends': ['mrp']}\n",
		"addons/acme_quality/__manifest__.py": "{'name': 'Quality', 'version': '1.0', 'depends': ['acme_mrp']}\n",
	})
	to := mapFS(map[string]string{
		"addons/acme_mrp/__manifest__.py":                      "{'name': 'MRP', 'version': '17.0.1.1.0', 'depends': ['mrp']}\n",
		"addons/acme_mrp/migrations/17.0.1.1.0/pre-migrate.py": "def migrate(cr, version):\n    pass\n",
		"addons/acme_quality/__manifest__.py":                  "{'name': 'Quality', 'version': '1.0', 'depends': ['acme_mrp']}\n",
		"addons/acme_quality/migrations/1.1/post-migrate.py":   "def migrate(cr, version):\n    pass\n",
	})
	d, err := odoo.DiffFS(from, to, "addons")
	if err != nil {
		t.Fatal(err)
	}
	notRun := map[string]bool{}
	for _, m := range d.Modules {
		notRun[m.Module] = m.MigrationsNotRun
	}
	if diff := cmp.Diff(map[string]bool{"acme_mrp": false, "acme_quality": true}, notRun); diff != "" {
		t.Errorf("migrations not run (-want +got):\n%s", diff)
	}
	im := odoo.ImpactOf(d, odoo.NewGraph(odoo.Odoo17(), d.Before.Modules), odoo.NewGraph(odoo.Odoo17(), d.After.Modules), odoo.CoreProcesses())
	if !im.Facts.Migration || !slices.Equal(im.Facts.MigrationPhases, []string{"pre"}) {
		t.Errorf("migration %v, phases %v; want true and pre alone (acme_quality's post- script never runs)", im.Facts.Migration, im.Facts.MigrationPhases)
	}
}

// A module installed before as a dependency is not new when it stays
// installed as auto_install glue.
func TestImpactAutoInstalledWasInstalled(t *testing.T) {
	from := fstest.MapFS{"addons/acme_x/__manifest__.py": {Data: []byte("{'name': 'X', 'depends': ['mrp', 'purchase_mrp']}\n")}}
	to := fstest.MapFS{"addons/acme_x/__manifest__.py": {Data: []byte("{'name': 'X', 'depends': ['mrp', 'purchase_stock']}\n")}}
	d, err := odoo.DiffFS(from, to, "addons")
	if err != nil {
		t.Fatal(err)
	}
	im := odoo.ImpactOf(d, odoo.NewGraph(odoo.Odoo17(), d.Before.Modules), odoo.NewGraph(odoo.Odoo17(), d.After.Modules), odoo.CoreProcesses())
	if len(im.AutoInstalled) != 0 {
		t.Errorf("auto-installed %v; want none: purchase_mrp was installed before", im.AutoInstalled)
	}
	if len(im.Dependencies) != 0 {
		t.Errorf("dependencies %v; want none: purchase_stock was installed before, with purchase_mrp", im.Dependencies)
	}
}

// The evidence of a migration names the manifest the module has, the
// legacy __openerp__.py too.
func TestImpactEvidenceOfALegacyManifest(t *testing.T) {
	from := fstest.MapFS{"addons/acme/__openerp__.py": {Data: []byte("{'name': 'A', 'version': '1.0'}\n")}}
	to := fstest.MapFS{
		"addons/acme/__openerp__.py":            {Data: []byte("{'name': 'A', 'version': '1.1'}\n")},
		"addons/acme/migrations/1.1/pre-fix.py": {Data: []byte("def migrate(cr, version):\n    pass\n")},
	}
	d, err := odoo.DiffFS(from, to, "addons")
	if err != nil {
		t.Fatal(err)
	}
	im := odoo.ImpactOf(d, odoo.NewGraph(odoo.Odoo17(), d.Before.Modules), odoo.NewGraph(odoo.Odoo17(), d.After.Modules), odoo.CoreProcesses())
	want := []string{"acme/__openerp__.py", "acme/migrations/1.1/pre-fix.py"}
	if diff := cmp.Diff(want, im.Facts.Evidence["migration"]); diff != "" {
		t.Errorf("evidence of the migration (-want +got):\n%s", diff)
	}
}

// A module not installable, such as one not yet ported and kept in the
// repository with its old version, is in no database: what it depends on
// is not installed for it, so a module that starts needing the same is
// what brings it, with its auto_install glue.
func TestImpactOfAModuleNotInstallable(t *testing.T) {
	unported := "{'name': 'Unported', 'version': '16.0.1.0.0', 'depends': ['purchase'], 'installable': False}\n"
	from := fstest.MapFS{
		"addons/acme_unported/__manifest__.py": {Data: []byte(unported)},
		"addons/acme_mrp/__manifest__.py":      {Data: []byte("{'name': 'MRP', 'version': '1.0', 'depends': ['mrp', 'account']}\n")},
	}
	to := fstest.MapFS{
		"addons/acme_unported/__manifest__.py": {Data: []byte(unported)},
		"addons/acme_mrp/__manifest__.py":      {Data: []byte("{'name': 'MRP', 'version': '1.0', 'depends': ['mrp', 'account', 'purchase']}\n")},
	}
	// A module that needs the unported one was broken before the change
	// as after it: the change breaks nothing.
	from["addons/acme_report/__manifest__.py"] = &fstest.MapFile{Data: []byte("{'name': 'Report', 'depends': ['acme_unported']}\n")}
	to["addons/acme_report/__manifest__.py"] = from["addons/acme_report/__manifest__.py"]
	d, err := odoo.DiffFS(from, to, "addons")
	if err != nil {
		t.Fatal(err)
	}
	im := odoo.ImpactOf(d, odoo.NewGraph(odoo.Odoo17(), d.Before.Modules), odoo.NewGraph(odoo.Odoo17(), d.After.Modules), odoo.CoreProcesses())
	if diff := cmp.Diff([]string{"purchase"}, im.Dependencies); diff != "" {
		t.Errorf("installed as dependencies (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"purchase_mrp", "purchase_stock"}, im.AutoInstalled); diff != "" {
		t.Errorf("installed with them (-want +got):\n%s", diff)
	}
	if len(im.Missing) != 0 {
		t.Errorf("missing %v; want none: acme_report's dependency was not installable before the change either", im.Missing)
	}
}

// Every database has base, which Odoo creates it with: a module that had
// no depends and starts needing mrp brings mrp and what it needs, never
// base.
func TestImpactBaseIsAlwaysInstalled(t *testing.T) {
	from := fstest.MapFS{"addons/acme/__manifest__.py": {Data: []byte("{'name': 'A'}\n")}}
	to := fstest.MapFS{"addons/acme/__manifest__.py": {Data: []byte("{'name': 'A', 'depends': ['mrp']}\n")}}
	d, err := odoo.DiffFS(from, to, "addons")
	if err != nil {
		t.Fatal(err)
	}
	im := odoo.ImpactOf(d, odoo.NewGraph(odoo.Odoo17(), d.Before.Modules), odoo.NewGraph(odoo.Odoo17(), d.After.Modules), odoo.CoreProcesses())
	if slices.Contains(im.Dependencies, "base") || !slices.Contains(im.Dependencies, "mrp") {
		t.Errorf("installed as dependencies %v; want mrp and what it needs, without base", im.Dependencies)
	}
}
