package examples_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/examples"
)

// MustLoad loads the embedded example catalog.
func MustLoad(tb testing.TB) *andon.Catalog {
	tb.Helper()
	c, err := catalog.LoadFS(examples.Catalog, "catalog")
	if err != nil {
		tb.Fatalf("the example catalog does not load:\n%v", err)
	}
	return c
}

// TestCatalogOnDisk checks that the embedded catalog and the directory it
// is embedded from are the same catalog, down to the revision.
func TestCatalogOnDisk(t *testing.T) {
	embedded := MustLoad(t)
	onDisk, err := catalog.Load("catalog")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff(embedded, onDisk, cmp.Comparer(func(a, b andon.Plant) bool {
		return a.Name == b.Name && a.Timezone == b.Timezone && a.Criticality == b.Criticality
	})); diff != "" {
		t.Errorf("catalog mismatch (-embedded +on disk):\n%s", diff)
	}
}

// TestRoles checks the people the README and the demo rely on.
func TestRoles(t *testing.T) {
	c := MustLoad(t)
	tests := []struct {
		user string
		want []string
	}{
		{"alice", nil}, // requests changes, approves none
		{"bob", []string{andon.RoleChangeManager}},
		{"brigitte", []string{andon.RoleChangeManager,
			"process-owner:inventory", "process-owner:maintenance", "process-owner:procurement",
			"process-owner:production", "process-owner:quality", "process-owner:shipping"}},
		{"carol", []string{
			"process-owner:inventory", "process-owner:maintenance", "process-owner:procurement",
			"process-owner:production", "process-owner:quality", "process-owner:shipping"}},
		{"dave", []string{andon.RolePlatformAdmin}},
		{"erin", []string{andon.RoleEmergencyApprover}},
		{"frank", []string{andon.RoleAuditor}},
		{"fiona", []string{"process-owner:finance"}},
		{"gus", []string{andon.RoleEmergencyApprover,
			"process-owner:inventory", "process-owner:maintenance", "process-owner:procurement",
			"process-owner:production", "process-owner:quality", "process-owner:shipping"}},
	}
	var users []string
	for _, tt := range tests {
		users = append(users, tt.user)
		if diff := cmp.Diff(tt.want, c.RolesOf(tt.user)); diff != "" {
			t.Errorf("RolesOf(%q) mismatch (-want +got):\n%s", tt.user, diff)
		}
	}
	slices.Sort(users)
	if diff := cmp.Diff(users, c.Users()); diff != "" {
		t.Errorf("Users() mismatch (-want +got):\n%s", diff)
	}
}

// TestEstate checks the shape examples/README.md and the README describe.
func TestEstate(t *testing.T) {
	c := MustLoad(t)

	for _, tt := range []struct{ env, zone, promotesFrom string }{
		{"dev", "Europe/Paris", ""},
		{"staging-lyon", "Europe/Paris", ""},
		{"prod-lyon", "Europe/Paris", "staging-lyon"},
		{"staging-geelong", "Australia/Melbourne", ""},
		{"prod-geelong", "Australia/Melbourne", "staging-geelong"},
		{"prod-subsidiaries", "Europe/Paris", "staging-lyon"},
	} {
		env := c.Environment(tt.env)
		if env == nil {
			t.Errorf("environment %s missing", tt.env)
			continue
		}
		if got := c.Location(env).String(); got != tt.zone {
			t.Errorf("%s: location %s, want %s", tt.env, got, tt.zone)
		}
		if env.PromotesFrom != tt.promotesFrom {
			t.Errorf("%s: promotesFrom %q, want %q", tt.env, env.PromotesFrom, tt.promotesFrom)
		}
		if env.Odoo.Version != "17.0" || env.Kubernetes.Cluster == "" || env.Kubernetes.Namespace == "" {
			t.Errorf("%s: odoo %+v, kubernetes %+v; want Odoo 17.0 and a cluster and namespace", tt.env, env.Odoo, env.Kubernetes)
		}
	}
	if got := c.Environment("prod-subsidiaries").Hosting; got != andon.HostingShared {
		t.Errorf("prod-subsidiaries hosting %s, want shared", got)
	}

	// Every role a team may grant is held by someone, so that every
	// approval the default policy asks for can be given.
	for _, role := range andon.TeamRoles {
		held := false
		for _, u := range c.Users() {
			held = held || slices.Contains(c.RolesOf(u), role)
		}
		if !held {
			t.Errorf("nobody holds %s", role)
		}
	}

	// The walkthrough's change touches mrp_workorder in prod-lyon: the
	// production process, whose owners include carol.
	if got, want := c.ProcessesForModules(c.Environment("prod-lyon"), []string{"mrp_workorder"}), []string{"production"}; !slices.Equal(got, want) {
		t.Errorf("processes of mrp_workorder in prod-lyon = %v, want %v", got, want)
	}

	for _, tt := range []struct {
		window string
		typ    andon.WindowType
		n      int // schedules
		once   bool
	}{
		{"month-end-close", andon.WindowFreeze, 1, false},
		{"nightly-mrp", andon.WindowPeak, 1, false},
		{"sunday-maintenance", andon.WindowMaintenance, 1, false},
		{"year-end-freeze", andon.WindowFreeze, 0, true},
		{"lyon-plant-shutdown", andon.WindowMaintenance, 3, false},
	} {
		w := c.Window(tt.window)
		if w == nil {
			t.Errorf("window %s missing", tt.window)
			continue
		}
		if w.Type != tt.typ || len(w.Schedules) != tt.n || (w.Once != nil) != tt.once {
			t.Errorf("window %s: type %s, %d schedules, once %v; want %s, %d, %v",
				tt.window, w.Type, len(w.Schedules), w.Once != nil, tt.typ, tt.n, tt.once)
		}
	}
}
