package sqlstore_test

import (
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
)

// The risk policy sees the change as opened at the server's time, as
// docs/policy.md shows its input: a rule that weighs when a change was
// opened must not read year 1. (The gate classifies the standard change it
// would record through the same path.)
func TestPolicyInputChangeTimes(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		pol := mustPolicy(t, t.TempDir(), map[string]string{
			"risk.rego": "package andon.risk\n\ntier := \"low\"\n\nreasons := [sprintf(\"opened %s, updated %s\", [input.change.createdAt, input.change.updatedAt])]\n\napprovals := []\n",
		})
		changes := sqlstore.NewChangeService(e.db, e.catalog, pol, e.cal)
		c, err := changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "Release", Artifacts: []string{imageNew},
		})
		if err != nil {
			t.Fatal(err)
		}
		at := e.now.UTC().Format(time.RFC3339Nano)
		if want := "opened " + at + ", updated " + at; len(c.Risk.Reasons) != 1 || c.Risk.Reasons[0] != want {
			t.Errorf("risk reasons = %q; want [%q]: the input's times are the server's", c.Risk.Reasons, want)
		}
	})
}
