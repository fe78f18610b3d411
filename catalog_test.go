package andon_test

import (
	"testing"

	"github.com/andon-governance/andon"
	"github.com/google/go-cmp/cmp"
)

func testCatalog() *andon.Catalog {
	return &andon.Catalog{
		Plants: []*andon.Plant{{Name: "lyon"}, {Name: "geelong"}},
		Processes: []*andon.BusinessProcess{
			{Name: "production", Tier: andon.LevelCritical, Modules: []string{"mrp"}, Owners: []string{"lyon-ops"}},
			{Name: "finance", Tier: andon.LevelHigh, Modules: []string{"account"}, Owners: []string{"finance"}},
		},
		Environments: []*andon.Environment{
			{Name: "prod-lyon", Stage: andon.StageProduction, Plants: []string{"lyon"}, Processes: []string{"production", "finance"}},
			{Name: "staging-lyon", Stage: andon.StageStaging, Plants: []string{"lyon"}, Processes: []string{"production"}},
		},
		Teams: []*andon.Team{
			{Name: "cm", Roles: []string{andon.RoleChangeManager}, Members: []string{"bob", "brigitte"}},
			{Name: "lyon-ops", Members: []string{"carol", "brigitte"}},
			{Name: "finance", Members: []string{"fiona"}},
		},
	}
}

func TestRolesOf(t *testing.T) {
	cat := testCatalog()
	tests := map[string][]string{
		"bob":      {"change-manager"},
		"brigitte": {"change-manager", "process-owner:production"},
		"carol":    {"process-owner:production"},
		"fiona":    {"process-owner:finance"},
		"nobody":   nil,
	}
	for user, want := range tests {
		if diff := cmp.Diff(want, cat.RolesOf(user)); diff != "" {
			t.Errorf("RolesOf(%s) (-want +got):\n%s", user, diff)
		}
	}
}

func TestSelectorMatches(t *testing.T) {
	cat := testCatalog()
	prod, staging := cat.Environment("prod-lyon"), cat.Environment("staging-lyon")
	tests := []struct {
		name      string
		sel       andon.Selector
		wantProd  bool
		wantStage bool
	}{
		{"empty selects everything", andon.Selector{}, true, true},
		{"stage", andon.Selector{Stages: []andon.Stage{andon.StageProduction}}, true, false},
		{"plant", andon.Selector{Plants: []string{"lyon"}}, true, true},
		{"other plant", andon.Selector{Plants: []string{"geelong"}}, false, false},
		{"process", andon.Selector{Processes: []string{"finance"}}, true, false},
		{"all lists must match", andon.Selector{Stages: []andon.Stage{andon.StageProduction}, Environments: []string{"staging-lyon"}}, false, false},
	}
	for _, tt := range tests {
		if got := tt.sel.Matches(prod); got != tt.wantProd {
			t.Errorf("%s: prod-lyon = %v, want %v", tt.name, got, tt.wantProd)
		}
		if got := tt.sel.Matches(staging); got != tt.wantStage {
			t.Errorf("%s: staging-lyon = %v, want %v", tt.name, got, tt.wantStage)
		}
	}
}

func TestProcessesForModules(t *testing.T) {
	cat := testCatalog()
	got := cat.ProcessesForModules(cat.Environment("staging-lyon"), []string{"mrp", "account"})
	if diff := cmp.Diff([]string{"production"}, got); diff != "" {
		t.Errorf("staging-lyon (-want +got):\n%s", diff)
	}
	got = cat.ProcessesForModules(cat.Environment("prod-lyon"), []string{"mrp", "account"})
	if diff := cmp.Diff([]string{"production", "finance"}, got); diff != "" {
		t.Errorf("prod-lyon (-want +got):\n%s", diff)
	}
}

func TestUnknownEnvironment(t *testing.T) {
	cat := &andon.Catalog{}
	for _, name := range []string{"dev", "staging-lyon", "prod-lyon", "prod-geelong"} {
		cat.Environments = append(cat.Environments, &andon.Environment{Name: name})
	}
	for _, tt := range []struct{ name, want string }{
		{"prod-lyonn", `"prod-lyonn" is not in the catalog; did you mean prod-lyon?`},
		{"Prod-Lyon", `"Prod-Lyon" is not in the catalog; did you mean prod-lyon?`},
		{"prod-geelon", `"prod-geelon" is not in the catalog; did you mean prod-geelong?`},
		{"qa", `"qa" is not in the catalog; it has dev, staging-lyon, prod-lyon, prod-geelong`},
	} {
		if got := cat.UnknownEnvironment(tt.name); got != tt.want {
			t.Errorf("UnknownEnvironment(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestUnknownPlant(t *testing.T) {
	cat := &andon.Catalog{Plants: []*andon.Plant{{Name: "lyon"}, {Name: "geelong"}}}
	for _, tt := range []struct{ name, want string }{
		{"Lyon", `"Lyon" is not in the catalog; did you mean lyon?`},
		{"geelon", `"geelon" is not in the catalog; did you mean geelong?`},
		{"paris", `"paris" is not in the catalog; it has lyon, geelong`},
	} {
		if got := cat.UnknownPlant(tt.name); got != tt.want {
			t.Errorf("UnknownPlant(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestUnknownProcess(t *testing.T) {
	cat := &andon.Catalog{Processes: []*andon.BusinessProcess{{Name: "production"}, {Name: "finance"}}}
	for _, tt := range []struct{ name, want string }{
		{"Finance", `"Finance" is not in the catalog; did you mean finance?`},
		{"payroll", `"payroll" is not in the catalog; it has production, finance`},
	} {
		if got := cat.UnknownProcess(tt.name); got != tt.want {
			t.Errorf("UnknownProcess(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
