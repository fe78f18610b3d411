package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/catalogsync"
	"github.com/andon-governance/andon/examples"
	"github.com/andon-governance/andon/policy"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/spf13/cobra"
)

func newDemoCmd(e *env) *cobra.Command {
	o := &serveOptions{}
	var reset bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the server with the built-in example manufacturer and seeded history",
		Long: `Run the server with the example manufacturer (plants in Lyon and Geelong,
staging and production environments, month-end freeze, weekly maintenance)
and a few weeks of seeded history. Well-known demo tokens are printed at
start: they are for the demo only. The data directory is kept between runs;
--reset starts afresh. With --db postgres://… the history is in that
database and the data directory holds only the audit signing key, made
beforehand with andon audit keygen --data DIR: start afresh with a new
database instead.

--policy DIR tries a policy against the example manufacturer: Rego files
that add to or replace the default packages, as andon serve --policy
takes them, compiled and checked at start (a policy that does not compile
is refused, exit code 1, before anything is written). A fresh demo seeds
its history under the embedded policy, from before DIR, then puts DIR in
force, recorded in the audit log as policy.loaded as a reload is; a demo
seeded before starts with DIR at once. The banner says which policy is in
force, and SIGHUP reloads DIR.

The log goes to standard error. With --log-format json, what stops the
demo, at start or later, is a record of it too (level ERROR, msg "andon
demo stopped", the message in err), not a plain line.`,
		Args:    cobra.NoArgs,
		PreRunE: refuseOutput,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			logger, err := newLogger(e, o)
			if logger != nil && o.logFormat == "json" {
				// As andon serve does: standard error holds JSON records
				// only, what stops the demo included.
				defer func() { err = logFailure(logger, "andon demo", err) }()
			}
			if err != nil {
				return err
			}
			// A SIGHUP while the demo starts waits for it to serve,
			// rather than ending it.
			hup := notifyHUP()
			defer signal.Stop(hup)
			// The flags and the policy are checked first, as andon serve
			// checks them: a policy that does not compile is refused
			// before the demo claims or writes anything.
			o.catalog = "(built-in example)"
			l, err := load(e.ctx, logger, o, catalogsync.FS(examples.Catalog, "catalog", "built-in example catalog"))
			if err != nil {
				return err
			}
			if o.policy != "" {
				// The seeded history is from before the policy given:
				// it is decided under the embedded one, which a strict
				// policy would not let through, and the policy given is
				// put in force once it is seeded (prepareDemo).
				l.demoPolicy = l.policy
				if l.policy, err = policy.New(e.ctx, "", policy.WithLogger(logger)); err != nil {
					return err
				}
			}
			// Then the port and the data: a demo already running on
			// them must not lose its data to --reset.
			cl, err := claim(o)
			if err != nil {
				return err
			}
			defer cl.release()
			if reset {
				if sqlstore.IsPostgres(cl.dsn) {
					// The history is in the database, and the directory
					// holds the signing key its log was signed with.
					return &exitError{code: 2, err: errors.New("--reset deletes the demo's data directory, where SQLite keeps the history; with --db postgres://… the history is in the database and the directory holds its signing key: drop and create the database to start afresh, and keep the directory")}
				}
				if cl.dsn != "sqlite://"+sqlstore.DataPath(o.data) {
					// --reset deletes the directory; the database is not in it.
					return &exitError{code: 2, err: fmt.Errorf("--reset deletes the data directory %s, but --db keeps the history elsewhere: delete that database file yourself, or leave out --db", o.data)}
				}
				if err := resetDemoData(o.data); err != nil {
					return err
				}
				// The lock's file went with the directory: take it anew.
				if err := cl.relock(); err != nil {
					return err
				}
			}
			a, err := l.start(e.ctx)
			if err != nil {
				return err
			}
			defer a.close()
			fresh, err := a.prepareDemo(e.ctx, time.Now())
			if err != nil {
				return err
			}
			a.printDemoBanner(e, fresh, cl.api)
			return a.serve(e.ctx, hup, cl.listeners)
		},
	}
	addServeFlags(cmd, e, o)
	// The demo's tokens are well known: it listens on loopback unless told
	// otherwise.
	for flag, def := range map[string]string{"data": envOr(e, "ANDON_DEMO_DATA", "./demo-data"), "addr": "127.0.0.1:8080"} {
		cmd.Flags().Lookup(flag).DefValue = def
		_ = cmd.Flags().Set(flag, def)
	}
	// Not from ANDON_POLICY, as serve takes it: the demo's decisions change
	// only when asked on its command line.
	cmd.Flags().StringVar(&o.policy, "policy", "", "directory of Rego files that add to or replace the default policy packages, checked at start as andon serve does and put in force once the history is seeded; SIGHUP reloads it")
	cmd.Flags().BoolVar(&reset, "reset", false, "delete the demo data directory first and seed new history (SQLite only)")
	return cmd
}

// resetDemoData removes a demo data directory, refusing anything that does
// not look like one.
func resetDemoData(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return err
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if path != sqlstore.DataPath(dir) && !strings.HasPrefix(path, sqlstore.DataPath(dir)+"-") && path != auditlog.KeyPath(dir) && path != auditlog.PubPath(dir) {
			return fmt.Errorf("--reset: %s holds %s, which andon did not write; not deleting it", dir, e.Name())
		}
	}
	return os.RemoveAll(dir)
}

// prepareDemo gives the demo users their well-known tokens and a store
// without changes, wherever it is, the seeded history as of now; fresh
// reports the seeding. Demo replicas that start together on one
// PostgreSQL database prepare one after the other, so that the first
// seeds and the others find its history and tokens.
func (a *app) prepareDemo(ctx context.Context, now time.Time) (fresh bool, err error) {
	err = a.db.Exclusively(ctx, "demo", func(ctx context.Context) error {
		counts, err := a.db.CountByState(ctx)
		if err != nil {
			return err
		}
		fresh = true
		for _, n := range counts {
			fresh = fresh && n == 0
		}
		if err := a.demoTokens(ctx); err != nil {
			return err
		}
		if fresh {
			if a.demoPolicy != nil {
				// The embedded policy decides the history: the log says
				// so before its first decision.
				if err := a.record(ctx, a.policyLoaded(false)); err != nil {
					return err
				}
			}
			if err := a.seedDemo(ctx, now); err != nil {
				return fmt.Errorf("seed demo history: %w", err)
			}
		}
		if a.demoPolicy == nil {
			return nil
		}
		// The policy given is put in force as a reload puts it, after a
		// seeded history; a demo seeded before just starts with it.
		a.policy.Swap(a.demoPolicy)
		a.demoPolicy = nil
		if err := a.record(ctx, a.policyLoaded(fresh)); err != nil {
			return err
		}
		a.logger.Info("policy put in force", "dir", a.opts.policy, "revision", a.policy.Revision(), "policy", strings.Join(a.policy.Modules(), ","))
		a.warnPolicy()
		return nil
	})
	return fresh, err
}

// demoToken is the well-known token of a demo user.
func demoToken(user string) string { return "demo-" + user }

// wallUser is the demo's wall screen: a user no Team names, whose token
// is read-only, as docs/ui.md advises for a screen anyone may walk up to.
const wallUser = "wall"

func (a *app) demoTokens(ctx context.Context) error {
	for _, user := range append(a.catalogs.Catalog().Users(), wallUser) {
		if _, err := a.tokens.Authenticate(ctx, demoToken(user)); err == nil {
			continue
		}
		add := a.tokens.AddToken
		if user == wallUser {
			add = a.tokens.AddReadOnlyToken
		}
		if err := add(ctx, user, demoToken(user)); err != nil {
			return err
		}
	}
	return nil
}

// printDemoBanner says where the demo listens, on ln, and how to use it.
func (a *app) printDemoBanner(e *env, fresh bool, ln net.Listener) {
	cat := a.catalogs.Catalog()
	// The host as given, the port as opened (--addr may ask for port 0).
	host, _, err := net.SplitHostPort(a.opts.addr)
	_, port, err2 := net.SplitHostPort(ln.Addr().String())
	addr := a.opts.addr
	if err == nil && err2 == nil {
		if host == "" {
			host = "localhost"
		}
		addr = net.JoinHostPort(host, port)
	}
	w := e.stdout
	fmt.Fprintf(w, "\nandon demo: the example manufacturer at http://%s\n", addr)
	store, again := a.opts.data, "--reset starts afresh"
	if dsn, err := a.opts.dsn(); err == nil && sqlstore.IsPostgres(dsn) {
		store, again = sqlstore.RedactDSN(dsn), "a new database starts afresh"
	}
	if fresh {
		fmt.Fprintf(w, "seeded history into %s\n", store)
	} else {
		fmt.Fprintf(w, "using the existing demo data in %s (%s)\n", store, again)
	}
	if a.opts.policy == "" {
		fmt.Fprintf(w, "policy in force: the embedded default policy (%s)\n", a.policy.Revision())
	} else {
		fmt.Fprintf(w, "policy in force: %s over the embedded default policy (%s); SIGHUP reloads it\n", a.opts.policy, a.policy.Revision())
		if fresh {
			fmt.Fprintf(w, "the seeded history was decided under the embedded default policy, before %s was put in force\n", a.opts.policy)
		}
	}
	fmt.Fprintf(w, "\nDemo tokens (for this demo only):\n")
	for _, user := range cat.Users() {
		roles := strings.Join(cat.RolesOf(user), ", ")
		if roles == "" {
			roles = "requests changes"
		}
		for _, t := range cat.Teams {
			if slices.Contains(t.Eligible, user) {
				roles += "; may ask for " + t.Name + " (andon access request)"
			}
		}
		fmt.Fprintf(w, "  %-9s export ANDON_TOKEN=%-16s # %s\n", user, demoToken(user), roles)
	}
	fmt.Fprintf(w, "  %-9s export ANDON_TOKEN=%-16s # read-only: the board on a wall screen, http://%s/?kiosk=1\n", wallUser, demoToken(wallUser), browserAddr(addr))
	fmt.Fprintf(w, "\nThe board: open http://%s/ in a browser and sign in with one of the tokens above.\n", browserAddr(addr))
	fmt.Fprintf(w, "\nIn another terminal, with andon on the PATH (make build puts it in bin/):\n  export ANDON_SERVER=http://%s ANDON_TOKEN=demo-alice\n  andon change list\n\n", addr)
}

// browserAddr is addr as a browser should be pointed at it: the board's
// Secure session cookie is kept over plain HTTP for localhost only.
func browserAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || (host != "127.0.0.1" && host != "::1" && host != "") {
		return addr
	}
	return net.JoinHostPort("localhost", port)
}

// Images of the demo history. demoImageB completed in staging-lyon and is
// the one the README's walkthrough promotes to prod-lyon.
const (
	demoImageA = "registry.example.com/odoo/odoo-lyon:17.0-2026.10@sha256:6d0f3c0a8a31f1a8f4f8d5c1b5d4d0a1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7"
	demoImageB = "registry.example.com/odoo/odoo-lyon:17.0-2026.11@sha256:9a1e5f7c3b2d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"
	demoImageC = "registry.example.com/odoo/odoo-geelong:17.0-2026.11@sha256:0b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c"
	// demoImageRC was rolled back in staging-lyon, and demoImageD failed
	// in staging-geelong: the report of the demo's month has failures.
	demoImageRC = "registry.example.com/odoo/odoo-lyon:17.0-2026.11-rc1@sha256:7c3e9a1f5b2d8c4e6a0f9b3d7e1c5a8f2b6d0e4c8a1f5b9d3e7c0a4f8b2d6e1c"
	demoImageD  = "registry.example.com/odoo/odoo-geelong:17.0-2026.11-rc1@sha256:4e8a2c6f0b3d7e1a5c9f2b6d0e4a8c1f5b9d3e7a0c4f8b2d6e1a5c9f3b7d0e4a"
)

// seedDemo writes a few weeks of history through the services, as the
// people of the example manufacturer would have, with the store's clock set
// back to when each step happened.
func (a *app) seedDemo(ctx context.Context, now time.Time) error {
	clock := now
	a.db.Now = func() time.Time { return clock }
	defer func() { a.db.Now = time.Now }()
	as := func(user string) context.Context {
		return andon.NewContextWithUser(ctx, &andon.User{Name: user, Roles: a.catalogs.Catalog().RolesOf(user)})
	}
	day := 24 * time.Hour
	gateIn := func(user, env, image string, at time.Time) (*andon.GateResult, error) {
		clock = at
		res, err := a.gate.Decide(as(user), andon.GateRequest{Environment: env, Image: image, At: at})
		if err != nil {
			return nil, err
		}
		if !res.Allow {
			return nil, fmt.Errorf("gate denied %s in %s: %v", image, env, res.Reasons)
		}
		return res, nil
	}
	// deploy asks the gate at the start of the next slot that suits env,
	// then completes the change.
	deploy := func(user, env, image string, after time.Time, c *andon.Change) error {
		at := after
		if cat := a.catalogs.Catalog(); cat.Environment(env).Stage == andon.StageProduction && c.Type != andon.ChangeEmergency {
			slot, err := a.calendar.NextSlot(ctx, env, after, time.Hour, "", false)
			if err != nil {
				return err
			}
			at = slot.Start.Add(5 * time.Minute)
		}
		res, err := gateIn(user, env, image, at)
		if err != nil {
			return err
		}
		clock = at.Add(40 * time.Minute)
		_, err = a.changes.Transition(as(user), res.Change.ID, andon.StateCompleted, "deployed and smoke-tested")
		return err
	}
	create := func(user string, at time.Time, req andon.ChangeRequest) (*andon.Change, error) {
		clock = at
		return a.changes.CreateChange(as(user), &req)
	}
	approve := func(user string, at time.Time, id, comment string) error {
		clock = at
		_, err := a.changes.Decide(as(user), id, andon.Approve, comment)
		return err
	}

	// Three weeks ago: the October release went through staging and into
	// production in a Sunday maintenance window.
	t := now.Add(-21 * day)
	if err := deploy("alice", "staging-lyon", demoImageA, t, &andon.Change{}); err != nil {
		return err
	}
	c, err := create("alice", t.Add(day), andon.ChangeRequest{
		Environment: "prod-lyon", Type: andon.ChangeNormal,
		Title:        "October release: work-order scheduling fixes",
		Artifacts:    []string{demoImageA},
		Facts:        andon.Facts{Modules: []string{"mrp", "mrp_workorder"}},
		RollbackPlan: "redeploy the previous image; no schema change",
	})
	if err != nil {
		return err
	}
	if err := approve("bob", t.Add(day+2*time.Hour), c.ID, "tested in staging-lyon"); err != nil {
		return err
	}
	if err := approve("carol", t.Add(day+3*time.Hour), c.ID, "production planning agrees"); err != nil {
		return err
	}
	if err := deploy("alice", "prod-lyon", demoImageA, t.Add(day+4*time.Hour), c); err != nil {
		return err
	}

	// Two weeks ago: the November release completed in staging; it waits
	// for production (the README walkthrough takes it there).
	if err := deploy("alice", "staging-lyon", demoImageB, now.Add(-14*day), &andon.Change{}); err != nil {
		return err
	}

	// Five days ago: a label printer outage in Geelong. Gus, on duty
	// there, pulled the cord, which stopped every change to Geelong's
	// production but the fix: an emergency change, whose retrospective
	// review is now overdue. A change manager resolved the incident once
	// labels printed again.
	t = now.Add(-5 * day)
	clock = t.Add(-30 * time.Minute)
	inc, err := a.incidents.OpenIncident(as("gus"), &andon.IncidentRequest{
		Title: "Shipping labels fail to print for the Melbourne carrier", Severity: andon.LevelCritical,
		Scope: andon.IncidentScope{Plants: []string{"geelong"}},
	})
	if err != nil {
		return err
	}
	if err := deploy("alice", "staging-geelong", demoImageC, t, &andon.Change{}); err != nil {
		return err
	}
	c, err = create("alice", t.Add(time.Hour), andon.ChangeRequest{
		Environment: "prod-geelong", Type: andon.ChangeEmergency,
		Title:        "Hotfix: shipping labels fail to print for the Melbourne carrier",
		Artifacts:    []string{demoImageC},
		Facts:        andon.Facts{Modules: []string{"delivery"}},
		RollbackPlan: "redeploy the previous image",
	})
	if err != nil {
		return err
	}
	if err := approve("erin", t.Add(90*time.Minute), c.ID, "outage confirmed by the Geelong shipping lead"); err != nil {
		return err
	}
	if err := deploy("alice", "prod-geelong", demoImageC, t.Add(2*time.Hour), c); err != nil {
		return err
	}
	clock = t.Add(3 * time.Hour)
	if _, err := a.incidents.ResolveIncident(as("bob"), inc.ID, "labels print again since the hotfix; carrier confirmed"); err != nil {
		return err
	}

	// Yesterday: a database upgrade was rejected, and two changes wait for
	// approval.
	t = now.Add(-day)
	c, err = create("alice", t, andon.ChangeRequest{
		Environment: "prod-geelong", Type: andon.ChangeNormal,
		Title: "Upgrade PostgreSQL 15 to 16",
		Facts: andon.Facts{Components: []string{"postgres"}, Migration: true},
	})
	if err != nil {
		return err
	}
	clock = t.Add(time.Hour)
	if _, err := a.changes.Decide(as("dave"), c.ID, andon.Reject, "no rollback plan and no restore test of the current backup"); err != nil {
		return err
	}
	if _, err := create("alice", t.Add(2*time.Hour), andon.ChangeRequest{
		Environment: "prod-subsidiaries", Type: andon.ChangeNormal,
		Title:        "Add the Incoterms report for subsidiaries",
		Artifacts:    []string{demoImageB},
		Facts:        andon.Facts{Modules: []string{"account"}},
		RollbackPlan: "redeploy the previous image",
	}); err != nil {
		return err
	}
	if _, err := create("alice", t.Add(3*time.Hour), andon.ChangeRequest{
		Environment: "prod-geelong", Type: andon.ChangeNormal,
		Title:        "Quality checks on goods receipt",
		Artifacts:    []string{demoImageC},
		Facts:        andon.Facts{Modules: []string{"quality_control", "stock"}, Migration: true},
		RollbackPlan: "restore the pre-change backup; the migration adds columns only",
	}); err != nil {
		return err
	}

	// Last night: the nightly backup of Lyon's production completed, and
	// the morning's restore test of it brought a copy up within the RTO
	// of its production process, so that andon backup status shows Lyon's
	// recovery posture met beside the others, of which nothing is
	// recorded.
	completed := now.Add(-9 * time.Hour).Truncate(time.Second)
	clock = completed.Add(5 * time.Minute)
	if _, _, err := a.backups.RecordBackup(as("dave"), &andon.BackupRequest{ID: "odoo-lyon-" + completed.UTC().Format("20060102150405"),
		Environment: "prod-lyon", Method: "barman-cloud", CompletedAt: completed}); err != nil {
		return err
	}
	started := completed.Add(2 * time.Hour)
	clock = started.Add(time.Hour)
	if _, _, err := a.backups.RecordRestoreTest(as("dave"), &andon.RestoreTestRequest{Environment: "prod-lyon", Backup: "odoo-lyon-" + completed.UTC().Format("20060102150405"),
		StartedAt: started, FinishedAt: started.Add(47*time.Minute + 27*time.Second), Result: andon.RestorePassed,
		Note: "Cluster odoo-lyon-restore recovered from the backup and ready; work orders of the day before checked"}); err != nil {
		return err
	}
	// Earlier, recorded last so that the IDs above stay those the README
	// names: a release candidate that staging-lyon rolled back after its
	// smoke tests, 16 days ago, and a Geelong build that failed in
	// staging-geelong six days ago, the day before the build that
	// completed there.
	for _, f := range []struct {
		env, image string
		at         time.Time
		to         andon.State
		comment    string
	}{
		{"staging-lyon", demoImageRC, now.Add(-16 * day), andon.StateRolledBack, "smoke tests failed: work orders lost their routing; redeployed the October image"},
		{"staging-geelong", demoImageD, now.Add(-6 * day), andon.StateFailed, "the upgrade of the delivery module stopped on a missing column"},
	} {
		res, err := gateIn("alice", f.env, f.image, f.at)
		if err != nil {
			return err
		}
		clock = f.at.Add(25 * time.Minute)
		if _, err := a.changes.Transition(as("alice"), res.Change.ID, f.to, f.comment); err != nil {
			return err
		}
	}
	return nil
}
