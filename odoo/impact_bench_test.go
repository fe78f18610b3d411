package odoo_test

import (
	"fmt"
	"io/fs"
	"os"
	"testing"

	"github.com/andon-governance/andon/odoo"
)

// BenchmarkImpact analyses a range of 50 commits of a repository of 600
// modules, each commit changing two of them (a version bump with a
// migration script, an access file, code). "git-read" reads both commits
// of the range from the repository's objects; "analysis" is what follows:
// the modules of both trees, their diff, both graphs with the core data
// and the impact.
func BenchmarkImpact(b *testing.B) {
	repo := newGitRepo(b)
	files := map[string]string{}
	core := []string{"stock", "mrp", "account", "purchase", "sale", "product"}
	for i := range 600 {
		deps := fmt.Sprintf("'%s'", core[i%len(core)])
		if i > 0 {
			deps += fmt.Sprintf(", 'acme_%03d'", i/2)
		}
		files[fmt.Sprintf("addons/acme_%03d/__manifest__.py", i)] = fmt.Sprintf("{'name': 'ACME %d', 'version': '1.0', 'depends': [%s], 'data': ['security/ir.model.access.csv']}\n", i, deps)
		files[fmt.Sprintf("addons/acme_%03d/models/model.py", i)] = fmt.Sprintf("# module %d\n", i)
		files[fmt.Sprintf("addons/acme_%03d/security/ir.model.access.csv", i)] = "id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink\n"
	}
	repo.write(files)
	from := repo.commit("start")
	for c := range 50 {
		for _, i := range []int{(c * 7) % 600, (c*13 + 300) % 600} {
			repo.write(map[string]string{
				fmt.Sprintf("addons/acme_%03d/__manifest__.py", i):                     fmt.Sprintf("{'name': 'ACME %d', 'version': '1.%d', 'depends': ['stock']}\n", i, c+1),
				fmt.Sprintf("addons/acme_%03d/migrations/1.%d/pre-migrate.py", i, c+1): "def migrate(cr, version):\n    pass\n",
				fmt.Sprintf("addons/acme_%03d/models/model.py", i):                     fmt.Sprintf("# module %d, commit %d\n", i, c),
			})
		}
		repo.commit(fmt.Sprintf("commit %d", c))
	}
	// analyse runs the analysis over the trees that open returns, new for
	// each run (so that nothing read by one run is cached for the next),
	// timing the analysis alone.
	analyse := func(b *testing.B, open func() (fs.FS, fs.FS)) {
		for b.Loop() {
			b.StopTimer()
			before, after := open()
			b.StartTimer()
			d, err := odoo.DiffFS(before, after, "addons")
			if err != nil {
				b.Fatal(err)
			}
			c := odoo.Odoo17()
			im := odoo.ImpactOf(d, odoo.NewGraph(c, d.Before.Modules), odoo.NewGraph(c, d.After.Modules), odoo.CoreProcesses())
			if len(d.Modules) == 0 || !im.Facts.Migration {
				b.Fatalf("diff of %d modules, migration %v", len(d.Modules), im.Facts.Migration)
			}
		}
	}
	// From the repository's objects, as andon odoo impact reads: opening
	// the repository and resolving both refs, then the analysis, which
	// reads the manifests and the changed modules from the objects and
	// skips the modules whose git tree is the same in both commits.
	b.Run("git-open", func(b *testing.B) {
		for b.Loop() {
			repo.at(from)
			repo.at("main")
		}
	})
	b.Run("analysis-from-objects", func(b *testing.B) {
		analyse(b, func() (fs.FS, fs.FS) { return repo.at(from).FS, repo.at("main").FS })
	})
	// From two checkouts: writing every file of both commits out, then the
	// analysis over the files on disk.
	b.Run("checkout", func(b *testing.B) {
		for b.Loop() {
			checkout(b, repo.at(from).FS)
			checkout(b, repo.at("main").FS)
		}
	})
	before, after := checkout(b, repo.at(from).FS), checkout(b, repo.at("main").FS)
	b.Run("analysis-from-checkouts", func(b *testing.B) {
		analyse(b, func() (fs.FS, fs.FS) { return before, after })
	})
}

// checkout writes every file of fsys to a new directory and returns it.
func checkout(tb testing.TB, fsys fs.FS) fs.FS {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.CopyFS(dir, fsys); err != nil {
		tb.Fatal(err)
	}
	return os.DirFS(dir)
}
