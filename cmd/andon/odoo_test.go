package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/odoo"
)

func TestOdooImpact(t *testing.T) {
	repo := t.TempDir()
	mustGit(t, repo, "init", "-q", "-b", "main")
	mustWriteFile(t, filepath.Join(repo, "addons", "acme_stock", "__manifest__.py"), "{'name': 'ACME stock', 'version': '1.0', 'depends': ['stock']}\n")
	mustWriteFile(t, filepath.Join(repo, "addons", "acme_report", "__manifest__.py"), "{'name': 'ACME reports', 'depends': ['acme_stock']}\n")
	mustGit(t, repo, "add", "-A")
	mustGit(t, repo, "commit", "-q", "-m", "November")
	from := mustGit(t, repo, "rev-parse", "HEAD")
	mustGit(t, repo, "tag", "v2026.11")
	mustWriteFile(t, filepath.Join(repo, "addons", "acme_stock", "__manifest__.py"), "{'name': 'ACME stock', 'version': '1.1', 'depends': ['stock']}\n")
	mustWriteFile(t, filepath.Join(repo, "addons", "acme_stock", "migrations", "1.1", "pre-fix.py"), "def migrate(cr, version):\n    pass\n")
	mustWriteFile(t, filepath.Join(repo, "addons", "acme_stock", "security", "ir.model.access.csv"),
		"id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink\naccess_quant_all,all,model_stock_quant,,1,0,0,0\n")
	mustGit(t, repo, "add", "-A")
	mustGit(t, repo, "commit", "-q", "-m", "December")

	r := runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "v2026.11", "--to", "main", "--addons-path", "addons",
		"--catalog", exampleCatalog, "--env", "prod-lyon", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep struct {
		FromCommit string
		Diff       odoo.Diff
		Impact     odoo.Impact
		Tiers      map[string]string
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	f := rep.Impact.Facts
	if rep.FromCommit != from || len(rep.Diff.Modules) != 1 || !rep.Diff.Modules[0].Bumped ||
		strings.Join(rep.Impact.Affected, ",") != "acme_report" || !f.Migration || strings.Join(f.MigrationPhases, ",") != "pre" ||
		!f.SecurityChanged || len(f.PublicAccessRows) != 1 || !strings.Contains(strings.Join(f.Processes, ","), "inventory") || rep.Tiers["inventory"] == "" {
		t.Errorf("report:\n%s", r.stdout)
	}

	r = runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "v2026.11", "--to", "main", "--addons-path", "addons")
	for _, want := range []string{"acme_stock", "17.0.1.0 -> 17.0.1.1", "migration pre-", "PUBLIC ACCESS", "depend on them:", "acme_report", "process inventory"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text lacks %q:\n%s", want, r.stdout)
		}
	}
	// The range the other way round would read as the opposite change:
	// in a checkout, whose history shows it, it is refused.
	wantExit(t, runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "main", "--to", "v2026.11", "--addons-path", "addons"), 2,
		"--from main and --to v2026.11: the range is reversed: v2026.11 is an ancestor of main")
	// So is it in a remote repository, whose history andon fetches to
	// tell, as the commits alone do not.
	remote := "file://" + filepath.ToSlash(repo)
	wantExit(t, runCLI(t, nil, "odoo", "impact", "--repo", remote, "--from", "main", "--to", "v2026.11", "--addons-path", "addons"), 2,
		"--from main and --to v2026.11: the range is reversed: v2026.11 is an ancestor of main")
	if r := runCLI(t, nil, "odoo", "impact", "--repo", remote, "--from", "v2026.11", "--to", "main", "--addons-path", "addons"); r.code != 0 || r.stderr != "" {
		t.Errorf("a remote repository, the range the right way round: exit %d\n%s", r.code, r.stderr)
	}
	// A commit that lowers a version again is said to: Odoo upgrades the
	// module to the lower version, which makes the next upgrade run
	// scripts again.
	mustWriteFile(t, filepath.Join(repo, "addons", "acme_stock", "__manifest__.py"), "{'name': 'ACME stock', 'version': '1.0', 'depends': ['stock']}\n")
	mustGit(t, repo, "checkout", "-q", "-b", "revert")
	mustGit(t, repo, "commit", "-q", "-am", "back to 1.0")
	r = runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "main", "--to", "revert", "--addons-path", "addons")
	for _, want := range []string{"17.0.1.1 -> 17.0.1.0 (DOWNGRADE)", "Odoo reloads it all the same and records 17.0.1.0, running no script: a later upgrade runs again those above 17.0.1.0"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("a version lowered: text lacks %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}
	mustGit(t, repo, "checkout", "-q", "main")
	wantExit(t, runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "nope", "--to", "main"), 2, `--from: git file://`+filepath.ToSlash(repo)+`@nope: ref "nope" not found`)
	// The repository is blamed when it is the problem, not the ref; a
	// directory inside one is told to give the top.
	wantExit(t, runCLI(t, nil, "odoo", "impact", "--repo", filepath.Join(t.TempDir(), "none"), "--from", "v2026.11", "--to", "main"), 2, "--repo: git ")
	wantExit(t, runCLI(t, nil, "odoo", "impact", "--repo", filepath.Join(repo, "addons"), "--from", "v2026.11", "--to", "main"), 2, "(give the top directory of a git repository")
	wantExit(t, runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "v2026.11", "--to", "main", "--addons-path", "nodir"), 2,
		"--addons-path nodir: no such directory in file://"+filepath.ToSlash(repo)+" at main")
	// Each path must hold modules, not only one of them; a module's own
	// directory is told to give the one that holds it.
	wantExit(t, runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "v2026.11", "--to", "main", "--addons-path", "addons", "--addons-path", "addons/acme_stock/migrations"), 2,
		"--addons-path addons/acme_stock/migrations: no Odoo module (a directory with a __manifest__.py) there at v2026.11 or at main")
	wantExit(t, runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "v2026.11", "--to", "main", "--addons-path", "addons/acme_stock"), 2,
		"--addons-path addons/acme_stock: a module itself (it holds __manifest__.py at main), not a directory of modules; name the directory that holds it, as Odoo's addons_path does (--addons-path addons)")
	// The modules are under addons/: read from the root, the range would
	// change no module, and a change filed from it would touch none.
	wantExit(t, runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "v2026.11", "--to", "main"), 2,
		"--addons-path .: no Odoo module (a directory with a __manifest__.py) there at v2026.11 or at main")
	wantExit(t, runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "", "--to", "main", "--addons-path", "addons"), 2, "--from: empty")
	wantExit(t, runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "v2026.11", "--to", "main", "--addons-path", "../addons"), 2,
		"--addons-path ../addons: outside the repository")
	// A commit hash shortened, as the report prints them, is read too.
	short := mustGit(t, repo, "rev-parse", "--short=12", "main")
	if r := runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "v2026.11", "--to", strings.TrimSpace(short), "--addons-path", "addons"); r.code != 0 {
		t.Errorf("--to %s: exit %d\n%s", short, r.code, r.stderr)
	}
	// An environment without production: a module of mrp touches none of
	// its processes, and does not take its depends' instead.
	mustWriteFile(t, filepath.Join(repo, "addons", "acme_mrp", "__manifest__.py"), "{'name': 'ACME MRP', 'version': '1.0', 'depends': ['mrp']}\n")
	mustGit(t, repo, "add", "-A")
	mustGit(t, repo, "commit", "-q", "-m", "MRP")
	r = runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "main~1", "--to", "main", "--addons-path", "addons",
		"--catalog", exampleCatalog, "--env", "prod-subsidiaries", "-o", "json")
	if r.code == 0 {
		t.Fatalf("main~1 is not a ref name andon reads; exit 0:\n%s", r.stdout)
	}
	prev := mustGit(t, repo, "rev-parse", "main~1")
	r = runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", prev, "--to", "main", "--addons-path", "addons",
		"--catalog", exampleCatalog, "--env", "prod-subsidiaries", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v: %s%s", err, r.stdout, r.stderr)
	}
	if got := strings.Join(rep.Impact.Facts.Processes, ","); got != "" {
		t.Errorf("processes of acme_mrp in prod-subsidiaries = %q; want none (production is not one of its processes)", got)
	}

	// --env alone takes the server's catalog; none is running here.
	wantExit(t, runCLI(t, map[string]string{"ANDON_SERVER": closedServer(t)}, "odoo", "impact", "--repo", repo, "--from", "v2026.11", "--to", "main", "--env", "prod-lyon"), 2, "server's catalog")
}

// A checkout whose history is cut, as a shallow clone's is, cannot tell
// whether the range is given the right way round: the report is made,
// with a warning that says so.
func TestOdooImpactCannotTellTheOrder(t *testing.T) {
	repo := t.TempDir()
	mustGit(t, repo, "init", "-q", "-b", "main")
	mustWriteFile(t, filepath.Join(repo, "addons", "acme_stock", "__manifest__.py"), "{'name': 'ACME stock', 'version': '1.0', 'depends': ['stock']}\n")
	mustGit(t, repo, "add", "-A")
	mustGit(t, repo, "commit", "-q", "-m", "one")
	mustWriteFile(t, filepath.Join(repo, "addons", "acme_stock", "__manifest__.py"), "{'name': 'ACME stock', 'version': '1.1', 'depends': ['stock']}\n")
	mustGit(t, repo, "commit", "-q", "-am", "two")
	shallow := filepath.Join(t.TempDir(), "shallow")
	mustGit(t, repo, "clone", "-q", "--depth", "1", "file://"+filepath.ToSlash(repo), shallow)
	from := mustGit(t, shallow, "rev-parse", "HEAD")
	mustWriteFile(t, filepath.Join(shallow, "addons", "acme_stock", "__manifest__.py"), "{'name': 'ACME stock', 'version': '1.2', 'depends': ['stock']}\n")
	mustGit(t, shallow, "commit", "-q", "-am", "three")
	r := runCLI(t, nil, "odoo", "impact", "--repo", shallow, "--from", from, "--to", "main", "--addons-path", "addons")
	if r.code != 0 || !strings.Contains(r.stdout, "17.0.1.1 -> 17.0.1.2") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if want := "andon: warning: cannot tell whether --to main is an ancestor of --from " + from; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q; want %q", r.stderr, want)
	}
}

// TestChangeFromGit opens a change whose facts come from the addons of a
// range of commits: the risk policy then rests on what changed.
func TestChangeFromGit(t *testing.T) {
	repo := t.TempDir()
	mustGit(t, repo, "init", "-q", "-b", "main")
	mustWriteFile(t, filepath.Join(repo, "addons", "acme_stock", "__manifest__.py"), "{'name': 'ACME stock', 'version': '1.0', 'depends': ['stock']}\n")
	mustGit(t, repo, "add", "-A")
	mustGit(t, repo, "commit", "-q", "-m", "November")
	mustGit(t, repo, "tag", "v2026.11")
	mustWriteFile(t, filepath.Join(repo, "addons", "acme_stock", "security", "ir.model.access.csv"),
		"id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink\naccess_quant_all,all,model_stock_quant,,1,0,0,0\n")
	mustGit(t, repo, "add", "-A")
	mustGit(t, repo, "commit", "-q", "-m", "December")
	to := mustGit(t, repo, "rev-parse", "HEAD")

	s := MustServe(t, t.TempDir())
	r := s.as(t, "alice", "change", "create", "--env", "prod-lyon", "--type", "normal", "--title", "December addons",
		"--from-git", repo, "--from", "v2026.11", "--to", "main", "--addons-path", "addons", "-o", "json")
	var c andon.Change
	if err := json.Unmarshal([]byte(r.stdout), &c); r.code != 0 || err != nil {
		t.Fatalf("change create --from-git: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	// acme_stock, in no process's list and not of Odoo's core, is read
	// from the repository: it cannot be misspelt, and is not warned of.
	if r.stderr != "" {
		t.Errorf("change create --from-git: stderr %q, want nothing", r.stderr)
	}
	f := c.Facts
	if strings.Join(f.Modules, ",") != "acme_stock" || !f.SecurityChanged || len(f.PublicAccessRows) != 1 || !slices.Contains(c.Processes, "inventory") {
		t.Errorf("facts %+v, processes %v; want acme_stock, a public row and inventory", f, c.Processes)
	}
	if c.Risk.Tier != andon.LevelHigh || !slices.ContainsFunc(c.Risk.Approvals, func(r andon.Requirement) bool { return r.Role == "platform-admin" }) {
		t.Errorf("risk = %+v; want high with a platform-admin slot for the public row", c.Risk)
	}
	if ev := f.Evidence["publicAccessRows"]; len(ev) != 1 || ev[0] != "acme_stock/security/ir.model.access.csv" {
		t.Errorf("evidence = %v; want the access file behind the public row", f.Evidence)
	}
	if len(c.Links) != 1 || c.Links[0].Kind != "git" || !strings.HasSuffix(c.Links[0].URL, ".."+to) {
		t.Errorf("links = %+v; want the commit range", c.Links)
	}
	if r := s.as(t, "alice", "change", "show", c.ID); !strings.Contains(r.stdout, "evidence: publicAccessRows") || !strings.Contains(r.stdout, "acme_stock/security/ir.model.access.csv") {
		t.Errorf("change show lacks the evidence:\n%s", r.stdout)
	}
	wantExit(t, s.as(t, "alice", "change", "create", "--env", "prod-lyon", "--type", "normal", "--title", "x", "--from-git", repo), 2, "needs --from and --to")
	wantExit(t, s.as(t, "alice", "change", "create", "--env", "prod-lyon", "--type", "normal", "--title", "x", "--from", "v2026.11"), 2, "need --from-git")
}

// A dependency the change breaks is named with the manifest and key that
// hold it: a module renamed under one that needs it, a cycle.
func TestOdooImpactNamesBrokenDependencies(t *testing.T) {
	repo := t.TempDir()
	mustGit(t, repo, "init", "-q", "-b", "main")
	mustWriteFile(t, filepath.Join(repo, "addons", "acme_label", "__manifest__.py"), "{'name': 'Labels', 'depends': ['stock']}\n")
	mustWriteFile(t, filepath.Join(repo, "addons", "acme_report", "__manifest__.py"), "{'name': 'Reports', 'depends': ['acme_label']}\n")
	mustGit(t, repo, "add", "-A")
	mustGit(t, repo, "commit", "-q", "-m", "one")
	mustGit(t, repo, "tag", "v1")
	mustGit(t, repo, "mv", "addons/acme_label", "addons/acme_labels")
	mustWriteFile(t, filepath.Join(repo, "addons", "acme_cycle_a", "__manifest__.py"), "{'name': 'A', 'depends': ['acme_cycle_b']}\n")
	mustWriteFile(t, filepath.Join(repo, "addons", "acme_cycle_b", "__manifest__.py"), "{'name': 'B', 'depends': ['acme_cycle_a', 'quality_contrl']}\n")
	mustGit(t, repo, "add", "-A")
	mustGit(t, repo, "commit", "-q", "-m", "two")

	r := runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "v1", "--to", "main", "--addons-path", "addons")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"acme_cycle_b needs quality_contrl, which exists nowhere (addons/acme_cycle_b/__manifest__.py: depends)",
		"acme_report needs acme_label, which the change removes: it looks renamed acme_labels (addons/acme_report/__manifest__.py: depends)",
		"LOOKS LIKE A RENAME",
		`to acme_labels (same manifest name "Labels"; 1 file alike, of 1 before and 1 after): Odoo sees no rename: acme_label is gone`,
		"acme_cycle_a -> acme_cycle_b -> acme_cycle_a (depends of addons/acme_cycle_a/__manifest__.py, addons/acme_cycle_b/__manifest__.py)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text lacks %q:\n%s", want, r.stdout)
		}
	}
}

// A module made not installable is skipped by Odoo, and so is every
// module that needs it: the report names the dependency it breaks, of a
// module the change does not touch.
func TestOdooImpactNamesADependencyMadeNotInstallable(t *testing.T) {
	repo := mustAddonsRange(t, map[string]string{
		"acme_account/__manifest__.py": "{'name': 'Accounting', 'depends': ['account']}\n",
		"acme_glue/__manifest__.py":    "{'name': 'Glue', 'depends': ['mrp', 'acme_account'], 'auto_install': True}\n",
	}, map[string]string{
		"acme_account/__manifest__.py": "{'name': 'Accounting', 'depends': ['account'], 'installable': False}\n",
	})

	r := runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "v1", "--to", "main", "--addons-path", "addons")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"MISSING DEPENDENCY",
		"acme_glue needs acme_account, which is not installable (installable False) (addons/acme_glue/__manifest__.py: depends)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text lacks %q:\n%s", want, r.stdout)
		}
	}
}

// A migration script added to a module whose version stays is one no
// upgrade runs: the report says so.
func TestOdooImpactMigrationWithoutBump(t *testing.T) {
	repo := mustAddonsRange(t, map[string]string{
		"acme_quality/__manifest__.py": "{'name': 'Quality', 'version': '1.0', 'depends': ['mrp']}\n",
	}, map[string]string{
		"acme_quality/migrations/1.1/post-migrate.py": "def migrate(cr, version):\n    pass\n",
	})
	r := runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "v1", "--to", "main", "--addons-path", "addons")
	for _, want := range []string{"MIGRATION NOT RUN", "the version does not go up (17.0.1.0)", "facts:", "migration false -,"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text lacks %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}
}

// A script added to a version folder the upgrade does not reach is no
// migration: the report names the folder and why Odoo skips it.
func TestOdooImpactMigrationOutsideTheRange(t *testing.T) {
	repo := mustAddonsRange(t, map[string]string{
		"acme_quality/__manifest__.py": "{'name': 'Quality', 'version': '1.0', 'depends': ['mrp']}\n",
	}, map[string]string{
		"acme_quality/__manifest__.py":               "{'name': 'Quality', 'version': '1.1', 'depends': ['mrp']}\n",
		"acme_quality/migrations/1.0/pre-migrate.py": "def migrate(cr, version):\n    pass\n",
	})
	r := runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "v1", "--to", "main", "--addons-path", "addons")
	for _, want := range []string{"MIGRATION NOT RUN", "migrations/1.0: 17.0.1.0 is not above 17.0.1.0, the version before the change", "migration false -,"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text lacks %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "migration pre-") {
		t.Errorf("text lists the script of 1.0 as one the upgrade runs:\n%s", r.stdout)
	}
}

// A custom module that starts depending on mrp, in a database without it,
// brings mrp along: the report lists it, and its process.
func TestOdooImpactNewDependencies(t *testing.T) {
	repo := mustAddonsRange(t, map[string]string{
		"acme_stock/__manifest__.py": "{'name': 'Stock', 'version': '1.0', 'depends': ['stock']}\n",
	}, map[string]string{
		"acme_stock/__manifest__.py": "{'name': 'Stock', 'version': '1.1', 'depends': ['stock', 'mrp']}\n",
	})
	r := runCLI(t, nil, "odoo", "impact", "--repo", repo, "--from", "v1", "--to", "main", "--addons-path", "addons")
	if !strings.Contains(r.stdout, "installed as dependencies:") || !strings.Contains(r.stdout, "mrp, resource") {
		t.Errorf("text lacks mrp and resource installed as dependencies:\n%s%s", r.stdout, r.stderr)
	}
}

// mustAddonsRange returns a git repository whose tag v1 holds the files
// of before under addons/, and whose branch main, one commit later, holds
// those files written over with after's: the range of an odoo impact.
func mustAddonsRange(t *testing.T, before, after map[string]string) string {
	t.Helper()
	repo := t.TempDir()
	mustGit(t, repo, "init", "-q", "-b", "main")
	for i, files := range []map[string]string{before, after} {
		for name, text := range files {
			mustWriteFile(t, filepath.Join(repo, "addons", filepath.FromSlash(name)), text)
		}
		mustGit(t, repo, "add", "-A")
		mustGit(t, repo, "commit", "-q", "-m", fmt.Sprintf("commit %d", i+1))
		if i == 0 {
			mustGit(t, repo, "tag", "v1")
		}
	}
	return repo
}
