package catalog_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/catalog"
)

// base is a small valid catalog that the bad documents of the table tests
// are added to, so that each case shows exactly one problem.
const base = `apiVersion: andon/v1
kind: Plant
metadata: {name: lyon}
spec: {timezone: Europe/Paris, criticality: critical}
---
apiVersion: andon/v1
kind: Team
metadata: {name: ops}
spec: {roles: [change-manager], members: [carol]}
---
apiVersion: andon/v1
kind: BusinessProcess
metadata: {name: production}
spec: {tier: critical, rpo: 15m, rto: 2h, modules: [mrp], owners: [ops]}
---
apiVersion: andon/v1
kind: Environment
metadata: {name: staging}
spec: {stage: staging, hosting: dedicated, plants: [lyon]}
`

// MustLoadFS loads files as a catalog and fails the test on any problem.
func MustLoadFS(tb testing.TB, files map[string]string) *andon.Catalog {
	tb.Helper()
	c, err := catalog.LoadFS(mapFS(files), ".")
	if err != nil {
		tb.Fatalf("LoadFS: %v", err)
	}
	return c
}

// MustFail loads files as a catalog and returns its problems, failing the
// test when it loads.
func MustFail(tb testing.TB, files map[string]string) catalog.Errors {
	tb.Helper()
	c, err := catalog.LoadFS(mapFS(files), ".")
	if err == nil {
		tb.Fatal("LoadFS succeeded, want problems")
	}
	if c != nil {
		tb.Errorf("LoadFS returned a catalog along with %v", err)
	}
	var errs catalog.Errors
	if !errors.As(err, &errs) {
		tb.Fatalf("LoadFS error is %T, want catalog.Errors", err)
	}
	return errs
}

func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

func TestLoadFSProblem(t *testing.T) {
	tests := []struct {
		name string
		bad  string // the content of more.yaml, read after base.yaml
		want catalog.Problem
		msg  string // what want.Message must contain
		ics  string // the content of calendars/plant.ics, if any
	}{
		// The envelope.
		{"apiVersion unsupported", `apiVersion: andon/v2
kind: Plant
metadata: {name: p}
spec: {timezone: UTC, criticality: low}
`, catalog.Problem{Line: 1, Document: "Plant/p", Field: "apiVersion"}, `"andon/v2" is not supported`, ""},
		{"apiVersion missing", `kind: Plant
metadata: {name: p}
spec: {timezone: UTC, criticality: low}
`, catalog.Problem{Line: 1, Document: "Plant/p", Field: "apiVersion"}, "required", ""},
		{"kind unknown", `apiVersion: andon/v1
kind: Gadget
metadata: {name: p}
`, catalog.Problem{Line: 2, Document: "document 1", Field: "kind"}, `unknown kind "Gadget"; expected one of Plant, BusinessProcess`, ""},
		{"kind in lower case", `apiVersion: andon/v1
kind: team
metadata: {name: t}
spec: {members: [bob]}
`, catalog.Problem{Line: 2, Document: "document 1", Field: "kind"}, `unknown kind "team"; did you mean Team?`, ""},
		{"kind in capitals", `apiVersion: andon/v1
kind: TEAM
metadata: {name: t}
spec: {members: [bob]}
`, catalog.Problem{Line: 2, Document: "document 1", Field: "kind"}, `unknown kind "TEAM"; did you mean Team?`, ""},
		{"kind misspelt", `apiVersion: andon/v1
kind: Enviroment
metadata: {name: e}
`, catalog.Problem{Line: 2, Document: "document 1", Field: "kind"}, `unknown kind "Enviroment"; did you mean Environment?`, ""},
		{"kind missing", `apiVersion: andon/v1
metadata: {name: p}
`, catalog.Problem{Line: 1, Document: "document 1", Field: "kind"}, "required", ""},
		{"name missing", `apiVersion: andon/v1
kind: Plant
metadata: {}
spec: {timezone: UTC, criticality: low}
`, catalog.Problem{Line: 3, Document: "document 1", Field: "metadata.name"}, "required", ""},
		{"metadata missing", `apiVersion: andon/v1
kind: Plant
spec: {timezone: UTC, criticality: low}
`, catalog.Problem{Line: 1, Document: "document 1", Field: "metadata"}, "required", ""},
		{"name not a label", `apiVersion: andon/v1
kind: Plant
metadata: {name: Lyon_2}
spec: {timezone: UTC, criticality: low}
`, catalog.Problem{Line: 3, Document: "document 1", Field: "metadata.name"}, "DNS-1123", ""},
		{"name too long", `apiVersion: andon/v1
kind: Plant
metadata: {name: ` + strings.Repeat("a", 64) + `}
spec: {timezone: UTC, criticality: low}
`, catalog.Problem{Line: 3, Document: "document 1", Field: "metadata.name"}, "DNS-1123", ""},
		{"name ends with dash", `apiVersion: andon/v1
kind: Plant
metadata: {name: lyon-}
spec: {timezone: UTC, criticality: low}
`, catalog.Problem{Line: 3, Document: "document 1", Field: "metadata.name"}, "DNS-1123", ""},
		{"unknown top-level field", `apiVersion: andon/v1
kind: Plant
metadata: {name: p}
spec: {timezone: UTC, criticality: low}
status: {}
`, catalog.Problem{Line: 5, Document: "Plant/p", Field: "status"}, "unknown field", ""},
		{"unknown metadata field", `apiVersion: andon/v1
kind: Plant
metadata:
  name: p
  labels: {a: b}
spec: {timezone: UTC, criticality: low}
`, catalog.Problem{Line: 5, Document: "Plant/p", Field: "metadata.labels"}, "unknown field", ""},
		{"duplicate field", `apiVersion: andon/v1
kind: Plant
metadata: {name: p}
spec:
  timezone: UTC
  criticality: low
  timezone: UTC
`, catalog.Problem{Line: 7, Document: "Plant/p", Field: "spec.timezone"}, "first given on line 5", ""},
		{"document not a mapping", `- a
- b
`, catalog.Problem{Line: 1, Document: "document 1"}, "must be a mapping", ""},
		{"spec not a mapping", `apiVersion: andon/v1
kind: Plant
metadata: {name: p}
spec: [timezone]
`, catalog.Problem{Line: 4, Document: "Plant/p", Field: "spec"}, "must be a mapping", ""},
		{"invalid YAML", `apiVersion: andon/v1
kind: Plant
metadata: {name: p}
spec: a: b
`, catalog.Problem{Line: 4, Document: "document 1"}, "invalid YAML", ""},
		{"invalid YAML in a later document", `---
---
apiVersion: andon/v1
kind: Plant
metadata: {name: p}
spec: {timezone: UTC, criticality: low}
---
kind: [
`, catalog.Problem{Line: 8, Document: "document 3"}, "invalid YAML", ""},
		{"empty documents counted", `---
# nothing here
---
apiVersion: andon/v1
kind: Plant
metadata: {name: p}
spec: {timezone: UTC, criticality: low, x: 1}
`, catalog.Problem{Line: 7, Document: "Plant/p", Field: "spec.x"}, "unknown field", ""},
		{"duplicate name", `apiVersion: andon/v1
kind: Plant
metadata: {name: lyon}
spec: {timezone: UTC, criticality: low}
`, catalog.Problem{Line: 3, Document: "Plant/lyon", Field: "metadata.name"}, `duplicate Plant "lyon"; first defined at base.yaml:3`, ""},

		// Plant.
		{"timezone missing", `apiVersion: andon/v1
kind: Plant
metadata: {name: p}
spec: {criticality: low}
`, catalog.Problem{Line: 4, Document: "Plant/p", Field: "spec.timezone"}, "required", ""},
		{"spec missing", `apiVersion: andon/v1
kind: Team
metadata: {name: t}
`, catalog.Problem{Line: 1, Document: "Team/t", Field: "spec.members"}, "required", ""},
		{"member named as andon", `apiVersion: andon/v1
kind: Team
metadata: {name: t}
spec: {members: [alice, admin]}
`, catalog.Problem{Line: 4, Document: "Team/t", Field: "spec.members[1]"}, `"admin" is the name the audit log records andon's own actions under`, ""},
		{"member with a space", `apiVersion: andon/v1
kind: Team
metadata: {name: t}
spec:
  members:
    - "jean dupont"
`, catalog.Problem{Line: 6, Document: "Team/t", Field: "spec.members[0]"}, `"jean dupont" holds U+0020`, ""},
		{"timezone unknown", `apiVersion: andon/v1
kind: Plant
metadata: {name: p}
spec:
  timezone: Europe/Lyon
  criticality: low
`, catalog.Problem{Line: 5, Document: "Plant/p", Field: "spec.timezone"}, `"Europe/Lyon" is not a known IANA time zone`, ""},
		{"timezone Local", `apiVersion: andon/v1
kind: Plant
metadata: {name: p}
spec: {timezone: Local, criticality: low}
`, catalog.Problem{Line: 4, Document: "Plant/p", Field: "spec.timezone"}, "depends on the machine", ""},
		{"timezone localtime", `apiVersion: andon/v1
kind: Plant
metadata: {name: p}
spec: {timezone: localtime, criticality: low}
`, catalog.Problem{Line: 4, Document: "Plant/p", Field: "spec.timezone"}, `"localtime" depends on the machine`, ""},
		{"timezone not a string", `apiVersion: andon/v1
kind: Plant
metadata: {name: p}
spec:
  timezone: {name: UTC}
  criticality: low
`, catalog.Problem{Line: 5, Document: "Plant/p", Field: "spec.timezone"}, "must be a string", ""},
		{"criticality unknown", `apiVersion: andon/v1
kind: Plant
metadata: {name: p}
spec:
  timezone: UTC
  criticality: extreme
`, catalog.Problem{Line: 6, Document: "Plant/p", Field: "spec.criticality"}, `"extreme" is not one of critical, high, medium, low`, ""},

		// BusinessProcess.
		{"tier unknown", `apiVersion: andon/v1
kind: BusinessProcess
metadata: {name: finance}
spec:
  tier: vital
`, catalog.Problem{Line: 5, Document: "BusinessProcess/finance", Field: "spec.tier"}, `"vital" is not one of`, ""},
		{"rpo not a duration", `apiVersion: andon/v1
kind: BusinessProcess
metadata: {name: finance}
spec:
  tier: high
  rpo: 15 minutes
`, catalog.Problem{Line: 6, Document: "BusinessProcess/finance", Field: "spec.rpo"}, `invalid duration "15 minutes"`, ""},
		{"rto negative", `apiVersion: andon/v1
kind: BusinessProcess
metadata: {name: finance}
spec:
  tier: high
  rto: -1h
`, catalog.Problem{Line: 6, Document: "BusinessProcess/finance", Field: "spec.rto"}, "must not be negative", ""},
		{"rto fractional days", `apiVersion: andon/v1
kind: BusinessProcess
metadata: {name: finance}
spec:
  tier: high
  rto: 1.5d
`, catalog.Problem{Line: 6, Document: "BusinessProcess/finance", Field: "spec.rto"}, "whole days", ""},
		{"modules not a list", `apiVersion: andon/v1
kind: BusinessProcess
metadata: {name: finance}
spec:
  tier: high
  modules: account
`, catalog.Problem{Line: 6, Document: "BusinessProcess/finance", Field: "spec.modules"}, "must be a list", ""},
		{"owner unknown", `apiVersion: andon/v1
kind: BusinessProcess
metadata: {name: finance}
spec:
  tier: high
  owners:
  - ops
  - controllers
`, catalog.Problem{Line: 8, Document: "BusinessProcess/finance", Field: "spec.owners[1]"}, `unknown Team "controllers"`, ""},

		// Environment.
		{"stage unknown", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec: {stage: prod, hosting: dedicated, plants: [lyon]}
`, catalog.Problem{Line: 4, Document: "Environment/prod", Field: "spec.stage"}, `"prod" is not one of development, test, staging, production`, ""},
		{"hosting unknown", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec: {stage: production, hosting: cloud, plants: [lyon]}
`, catalog.Problem{Line: 4, Document: "Environment/prod", Field: "spec.hosting"}, `"cloud" is not one of dedicated, shared`, ""},
		{"plants missing", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec: {stage: production, hosting: dedicated}
`, catalog.Problem{Line: 4, Document: "Environment/prod", Field: "spec.plants"}, "required", ""},
		{"plants empty", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec:
  stage: production
  hosting: dedicated
  plants: []
`, catalog.Problem{Line: 7, Document: "Environment/prod", Field: "spec.plants"}, "at least one", ""},
		{"plant unknown", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon, geelong]
`, catalog.Problem{Line: 7, Document: "Environment/prod", Field: "spec.plants[1]"}, `unknown Plant "geelong"`, ""},
		{"plant listed twice", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon, lyon]
`, catalog.Problem{Line: 7, Document: "Environment/prod", Field: "spec.plants[1]"}, "duplicate of spec.plants[0]", ""},
		{"plant empty string", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon, ""]
`, catalog.Problem{Line: 7, Document: "Environment/prod", Field: "spec.plants[1]"}, "must not be empty", ""},
		{"process unknown", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon]
  processes: [production, finance]
`, catalog.Problem{Line: 8, Document: "Environment/prod", Field: "spec.processes[1]"}, `unknown BusinessProcess "finance"`, ""},
		{"promotesFrom unknown", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon]
  promotesFrom: stagging
`, catalog.Problem{Line: 8, Document: "Environment/prod", Field: "spec.promotesFrom"}, `unknown Environment "stagging"`, ""},
		{"promotesFrom misspelt", `apiVersion: andon/v1
kind: Environment
metadata: {name: staging-lyon}
spec:
  stage: staging
  hosting: dedicated
  plants: [lyon]
---
apiVersion: andon/v1
kind: Environment
metadata: {name: prod-lyon}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon]
  promotesFrom: stagin-lyon
`, catalog.Problem{Line: 16, Document: "Environment/prod-lyon", Field: "spec.promotesFrom"}, `unknown Environment "stagin-lyon"; did you mean staging-lyon?`, ""},
		{"promotesFrom itself", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon]
  promotesFrom: prod
`, catalog.Problem{Line: 8, Document: "Environment/prod", Field: "spec.promotesFrom"}, "cannot promote from itself", ""},
		{"promotion cycle", `apiVersion: andon/v1
kind: Environment
metadata: {name: a}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon]
  promotesFrom: b
---
apiVersion: andon/v1
kind: Environment
metadata: {name: b}
spec:
  stage: staging
  hosting: dedicated
  plants: [lyon]
  promotesFrom: a
`, catalog.Problem{Line: 8, Document: "Environment/a", Field: "spec.promotesFrom"}, "promotion cycle: a -> b -> a", ""},
		{"promotion cycle of three entered from outside", `apiVersion: andon/v1
kind: Environment
metadata: {name: d}
spec: {stage: production, hosting: dedicated, plants: [lyon], promotesFrom: a}
---
apiVersion: andon/v1
kind: Environment
metadata: {name: a}
spec: {stage: production, hosting: dedicated, plants: [lyon], promotesFrom: b}
---
apiVersion: andon/v1
kind: Environment
metadata: {name: b}
spec: {stage: production, hosting: dedicated, plants: [lyon], promotesFrom: c}
---
apiVersion: andon/v1
kind: Environment
metadata: {name: c}
spec: {stage: production, hosting: dedicated, plants: [lyon], promotesFrom: a}
`, catalog.Problem{Line: 9, Document: "Environment/a", Field: "spec.promotesFrom"}, "promotion cycle: a -> b -> c -> a", ""},
		{"namespace invalid", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon]
  kubernetes:
    cluster: eu-1
    namespace: Odoo_Lyon
`, catalog.Problem{Line: 10, Document: "Environment/prod", Field: "spec.kubernetes.namespace"}, "namespace", ""},
		{"registry with a scheme", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon]
  kubernetes:
    registries: [registry.example.com, "https://harbor.lyon/"]
`, catalog.Problem{Line: 9, Document: "Environment/prod", Field: "spec.kubernetes.registries[1]"}, `"https://harbor.lyon/" is not a registry: image references name it without a scheme; drop https://, as in "harbor.lyon"`, ""},
		{"host port out of range", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon]
  kubernetes:
    hostPorts: [9100, 70000]
`, catalog.Problem{Line: 9, Document: "Environment/prod", Field: "spec.kubernetes.hostPorts[1]"}, `"70000" is not a port: want a number from 1 to 65535, such as 9100`, ""},
		{"host port not a number", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon]
  kubernetes:
    hostPorts: [http]
`, catalog.Problem{Line: 9, Document: "Environment/prod", Field: "spec.kubernetes.hostPorts[0]"}, `"http" is not a port: want a number from 1 to 65535, such as 9100`, ""},
		{"host port twice", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon]
  kubernetes:
    hostPorts: [9100, 9100]
`, catalog.Problem{Line: 9, Document: "Environment/prod", Field: "spec.kubernetes.hostPorts[1]"}, `duplicate of spec.kubernetes.hostPorts[0]`, ""},
		{"kubernetes unknown field", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon]
  kubernetes:
    context: eu-1
`, catalog.Problem{Line: 9, Document: "Environment/prod", Field: "spec.kubernetes.context"}, "expected one of cluster, namespace", ""},
		{"odoo unknown field", `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon]
  odoo: {version: "17.0", edition: enterprise}
`, catalog.Problem{Line: 8, Document: "Environment/prod", Field: "spec.odoo.edition"}, "unknown field", ""},

		// Window.
		{"window type unknown", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: blackout
  once: {start: "2026-12-24T00:00:00+01:00", end: "2027-01-02T00:00:00+01:00"}
`, catalog.Problem{Line: 5, Document: "Window/w", Field: "spec.type"}, `"blackout" is not one of freeze, maintenance, peak`, ""},
		{"window without time", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
`, catalog.Problem{Line: 4, Document: "Window/w", Field: "spec"}, "one of schedule, once or ics is required", ""},
		{"window with two times", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  schedule: {start: "2026-12-24T00:00:00", duration: 24h}
  once: {start: "2026-12-24T00:00:00+01:00", end: "2027-01-02T00:00:00+01:00"}
`, catalog.Problem{Line: 7, Document: "Window/w", Field: "spec.once"}, "only one of schedule, once and ics", ""},
		{"once without offset", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  once:
    start: "2026-12-24T00:00:00"
    end: "2027-01-02T00:00:00+01:00"
`, catalog.Problem{Line: 7, Document: "Window/w", Field: "spec.once.start"}, "RFC 3339", ""},
		{"once end missing", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  once:
    start: 2026-12-24T00:00:00+01:00
`, catalog.Problem{Line: 6, Document: "Window/w", Field: "spec.once.end"}, "required", ""},
		{"once end before start", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  once:
    start: 2026-12-24T00:00:00+01:00
    end: 2026-12-23T00:00:00+01:00
`, catalog.Problem{Line: 8, Document: "Window/w", Field: "spec.once.end"}, "must be after start", ""},
		{"once end equals start in another offset", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  once:
    start: 2026-12-24T00:00:00+01:00
    end: 2026-12-23T23:00:00Z
`, catalog.Problem{Line: 8, Document: "Window/w", Field: "spec.once.end"}, "must be after start", ""},
		{"once start after 2199", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  once:
    start: 2200-01-01T00:00:00Z
    end: 2199-01-02T00:00:00Z
`, catalog.Problem{Line: 7, Document: "Window/w", Field: "spec.once.start"}, `"2200-01-01T00:00:00Z": the year must be 2199 or earlier`, ""},
		{"once end after 2199", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  once:
    start: 2199-12-24T00:00:00Z
    end: 9999-12-31T23:59:59-12:00
`, catalog.Problem{Line: 8, Document: "Window/w", Field: "spec.once.end"}, "the year must be 2199 or earlier", ""},
		{"schedule start missing", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  schedule:
    rrule: FREQ=WEEKLY;BYDAY=SU
    duration: 4h
`, catalog.Problem{Line: 6, Document: "Window/w", Field: "spec.schedule.start"}, "required", ""},
		{"schedule duration missing", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  schedule:
    start: "2026-01-04T02:00:00"
    rrule: FREQ=WEEKLY;BYDAY=SU
`, catalog.Problem{Line: 6, Document: "Window/w", Field: "spec.schedule.duration"}, "required", ""},
		{"schedule duration invalid", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  schedule:
    start: "2026-01-04T02:00:00"
    rrule: FREQ=WEEKLY;BYDAY=SU
    duration: four hours
`, catalog.Problem{Line: 9, Document: "Window/w", Field: "spec.schedule.duration"}, `invalid duration "four hours"`, ""},
		{"schedule unknown field", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  schedule:
    start: "2026-01-04T02:00:00"
    rrule: FREQ=WEEKLY;BYDAY=SU
    duration: 4h
    until: "2027-01-01T00:00:00"
`, catalog.Problem{Line: 10, Document: "Window/w", Field: "spec.schedule.until"}, "expected one of start, rrule, exdates, duration, timezone", ""},
		{"schedule rrule invalid", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  schedule:
    start: "2026-01-04T02:00:00"
    rrule: FREQ=SOMETIMES
    duration: 4h
`, catalog.Problem{Line: 8, Document: "Window/w", Field: "spec.schedule.rrule"}, "SOMETIMES", ""},
		{"schedule start with offset", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  schedule:
    start: "2026-01-04T02:00:00+01:00"
    duration: 4h
`, catalog.Problem{Line: 7, Document: "Window/w", Field: "spec.schedule.start"}, "", ""},
		{"schedule ending after the year 9999", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  schedule:
    start: "9999-12-31T23:00:00"
    duration: 8784h
`, catalog.Problem{Line: 7, Document: "Window/w", Field: "spec.schedule.start"}, `"9999-12-31T23:00:00": the year must be 2199 or earlier`, ""},
		{"schedule exdate invalid", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  schedule:
    start: "2026-01-04T02:00:00"
    rrule: FREQ=WEEKLY
    exdates:
    - "2026-01-11T02:00:00"
    - "2026-01-18"
    duration: 4h
`, catalog.Problem{Line: 11, Document: "Window/w", Field: "spec.schedule.exdates[1]"}, "", ""},
		{"schedule exdate on a day without an occurrence", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  schedule:
    start: "2026-01-04T02:00:00"
    rrule: FREQ=WEEKLY;BYDAY=SU
    exdates:
    - "2026-01-11T02:00:00"
    - "2026-01-13T02:00:00"
    duration: 4h
`, catalog.Problem{Line: 11, Document: "Window/w", Field: "spec.schedule.exdates[1]"}, `"2026-01-13T02:00:00" is not the start of an occurrence, so it excludes nothing: the schedule has no occurrence that day; the next starts at 2026-01-18T02:00:00`, ""},
		{"schedule duration not positive", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  schedule:
    start: "2026-01-04T02:00:00"
    duration: 0s
`, catalog.Problem{Line: 8, Document: "Window/w", Field: "spec.schedule.duration"}, "positive", ""},
		{"schedule timezone unknown", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  schedule:
    start: "2026-01-04T02:00:00"
    duration: 4h
    timezone: Europe/Lyon
`, catalog.Problem{Line: 9, Document: "Window/w", Field: "spec.schedule.timezone"}, "Europe/Lyon", ""},
		{"ics without events", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  ics: calendars/plant.ics
`, catalog.Problem{Line: 6, Document: "Window/w", Field: "spec.ics"}, "calendars/plant.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"},
		{"ics with a bad rule", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  ics: ./calendars/plant.ics
`, catalog.Problem{Line: 6, Document: "Window/w", Field: "spec.ics"}, "calendars/plant.ics:7:", "BEGIN:VCALENDAR\r\n" +
			"VERSION:2.0\r\n" +
			"BEGIN:VEVENT\r\n" +
			"UID:1@example.com\r\n" +
			"DTSTART;TZID=Europe/Paris:20260501T000000\r\n" +
			"DTEND;TZID=Europe/Paris:20260502T000000\r\n" +
			"RRULE:FREQ=SOMETIMES\r\n" +
			"END:VEVENT\r\n" +
			"END:VCALENDAR\r\n"},
		{"ics starting after 2199", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  ics: calendars/plant.ics
`, catalog.Problem{Line: 6, Document: "Window/w", Field: "spec.ics"}, `calendars/plant.ics:3: DTSTART: "2200-05-01T00:00:00": the year must be 2199 or earlier`,
			"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID=Europe/Paris:22000501T000000\r\nDURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
		{"ics too large", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  ics: calendars/plant.ics
`, catalog.Problem{Line: 6, Document: "Window/w", Field: "spec.ics"}, "calendars/plant.ics: larger than 8 MiB, the limit for a catalog file",
			"BEGIN:VCALENDAR\r\n" + strings.Repeat("X-PADDING:"+strings.Repeat("x", 100)+"\r\n", catalog.MaxFileSize/100)},
		{"selector unknown environment", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  once: {start: "2026-12-24T00:00:00+01:00", end: "2027-01-02T00:00:00+01:00"}
  selector:
    environments: [staging, prod]
`, catalog.Problem{Line: 8, Document: "Window/w", Field: "spec.selector.environments[1]"}, `unknown Environment "prod"`, ""},
		{"selector unknown plant", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  once: {start: "2026-12-24T00:00:00+01:00", end: "2027-01-02T00:00:00+01:00"}
  selector: {plants: [geelong]}
`, catalog.Problem{Line: 7, Document: "Window/w", Field: "spec.selector.plants[0]"}, `unknown Plant "geelong"`, ""},
		{"selector unknown process", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  once: {start: "2026-12-24T00:00:00+01:00", end: "2027-01-02T00:00:00+01:00"}
  selector: {processes: [finance]}
`, catalog.Problem{Line: 7, Document: "Window/w", Field: "spec.selector.processes[0]"}, `unknown BusinessProcess "finance"`, ""},
		{"selector unknown stage", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  once: {start: "2026-12-24T00:00:00+01:00", end: "2027-01-02T00:00:00+01:00"}
  selector: {stages: [live]}
`, catalog.Problem{Line: 7, Document: "Window/w", Field: "spec.selector.stages[0]"}, `"live" is not one of`, ""},
		{"selector unknown field", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  once: {start: "2026-12-24T00:00:00+01:00", end: "2027-01-02T00:00:00+01:00"}
  selector: {teams: [ops]}
`, catalog.Problem{Line: 7, Document: "Window/w", Field: "spec.selector.teams"}, "unknown field", ""},
		{"allow unknown change type", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  once: {start: "2026-12-24T00:00:00+01:00", end: "2027-01-02T00:00:00+01:00"}
  allow: [emergency, urgent]
`, catalog.Problem{Line: 7, Document: "Window/w", Field: "spec.allow[1]"}, `"urgent" is not one of standard, normal, emergency`, ""},
		{"allow outside a freeze", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  once: {start: "2026-12-24T00:00:00+01:00", end: "2027-01-02T00:00:00+01:00"}
  allow: [emergency]
`, catalog.Problem{Line: 7, Document: "Window/w", Field: "spec.allow"}, "only a freeze window", ""},
		{"ics outside the catalog", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  ics: ../holidays.ics
`, catalog.Problem{Line: 6, Document: "Window/w", Field: "spec.ics"}, "inside the catalog directory", ""},
		{"ics absolute", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  ics: /etc/holidays.ics
`, catalog.Problem{Line: 6, Document: "Window/w", Field: "spec.ics"}, "inside the catalog directory", ""},
		{"ics missing", `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: freeze
  ics: calendars/missing.ics
`, catalog.Problem{Line: 6, Document: "Window/w", Field: "spec.ics"}, "calendars/missing.ics: file does not exist", ""},

		// Team.
		{"role unknown", `apiVersion: andon/v1
kind: Team
metadata: {name: t}
spec:
  roles: [change-manager, approver]
  members: [bob]
`, catalog.Problem{Line: 5, Document: "Team/t", Field: "spec.roles[1]"}, `"approver" is not one of change-manager, platform-admin, emergency-approver, auditor`, ""},
		{"role process-owner", `apiVersion: andon/v1
kind: Team
metadata: {name: t}
spec:
  roles: [process-owner:production]
  members: [bob]
`, catalog.Problem{Line: 5, Document: "Team/t", Field: "spec.roles[0]"}, "BusinessProcess's owners", ""},
		{"members missing", `apiVersion: andon/v1
kind: Team
metadata: {name: t}
spec:
  roles: [auditor]
`, catalog.Problem{Line: 4, Document: "Team/t", Field: "spec.members"}, "required", ""},
		{"member empty", `apiVersion: andon/v1
kind: Team
metadata: {name: t}
spec:
  members:
  - bob
  -
`, catalog.Problem{Line: 7, Document: "Team/t", Field: "spec.members[1]"}, "must not be empty", ""},
		{"member not a string", `apiVersion: andon/v1
kind: Team
metadata: {name: t}
spec:
  members:
  - {name: bob}
`, catalog.Problem{Line: 6, Document: "Team/t", Field: "spec.members[0]"}, "must be a string", ""},
		{"eligible also a member", `apiVersion: andon/v1
kind: Team
metadata: {name: t}
spec:
  members: [bob]
  eligible: [dave, bob]
`, catalog.Problem{Line: 6, Document: "Team/t", Field: "spec.eligible[1]"}, `"bob" is a member, who holds the team's roles standing; list a person in members or in eligible, not both`, ""},
		{"eligible named as andon", `apiVersion: andon/v1
kind: Team
metadata: {name: t}
spec:
  members: [bob]
  eligible: [Andon]
`, catalog.Problem{Line: 6, Document: "Team/t", Field: "spec.eligible[0]"}, `"Andon" is the name the audit log records andon's own actions under`, ""},
		{"eligible without members", `apiVersion: andon/v1
kind: Team
metadata: {name: t}
spec:
  roles: [platform-admin]
  eligible: [dave]
`, catalog.Problem{Line: 4, Document: "Team/t", Field: "spec.members"}, "required", ""},
		{"maxElevation too long", `apiVersion: andon/v1
kind: Team
metadata: {name: t}
spec:
  members: [bob]
  eligible: [dave]
  maxElevation: 25h
`, catalog.Problem{Line: 7, Document: "Team/t", Field: "spec.maxElevation"}, `"25h" is longer than 1d`, ""},
		{"maxElevation zero", `apiVersion: andon/v1
kind: Team
metadata: {name: t}
spec:
  members: [bob]
  eligible: [dave]
  maxElevation: 0s
`, catalog.Problem{Line: 7, Document: "Team/t", Field: "spec.maxElevation"}, `"0s": a grant lasts some time`, ""},
		{"maxElevation not a duration", `apiVersion: andon/v1
kind: Team
metadata: {name: t}
spec:
  members: [bob]
  eligible: [dave]
  maxElevation: four hours
`, catalog.Problem{Line: 7, Document: "Team/t", Field: "spec.maxElevation"}, `invalid duration "four hours"`, ""},
		{"maxElevation without eligible", `apiVersion: andon/v1
kind: Team
metadata: {name: t}
spec:
  members: [bob]
  maxElevation: 2h
`, catalog.Problem{Line: 6, Document: "Team/t", Field: "spec.maxElevation"}, "nobody in eligible", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"base.yaml": base, "more.yaml": tt.bad}
			if tt.ics != "" {
				files["calendars/plant.ics"] = tt.ics
			}
			errs := MustFail(t, files)
			want := tt.want
			want.File = "more.yaml"
			if len(errs) != 1 {
				t.Fatalf("got %d problems, want 1:\n%v", len(errs), errs)
			}
			got := errs[0]
			if !strings.Contains(got.Message, tt.msg) {
				t.Errorf("message %q does not contain %q", got.Message, tt.msg)
			}
			got.Message = ""
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("problem mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadFSEveryICSProblem: a calendar file with problems in several
// events gets one problem each, all at the window's spec.ics.
func TestLoadFSEveryICSProblem(t *testing.T) {
	errs := MustFail(t, map[string]string{"base.yaml": base, "more.yaml": `apiVersion: andon/v1
kind: Window
metadata: {name: w}
spec:
  type: maintenance
  ics: calendars/plant.ics
`, "calendars/plant.ics": "BEGIN:VCALENDAR\r\n" +
		"BEGIN:VEVENT\r\nDTSTART:20260501\r\nRRULE:FREQ=SOMETIMES\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nDTSTART:2026-05-08\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n"})
	var got []string
	for _, e := range errs {
		got = append(got, fmt.Sprintf("%s:%d %s %s: %s", e.File, e.Line, e.Document, e.Field, e.Message))
	}
	want := []string{
		"more.yaml:6 Window/w spec.ics: calendars/plant.ics:4: RRULE: FREQ=SOMETIMES: want YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY or SECONDLY",
		`more.yaml:6 Window/w spec.ics: calendars/plant.ics:7: DTSTART: "2026-05-08": want the form 20060102T150405`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestLoadFSAllProblems checks that one load reports every problem, across
// files and documents, in file and line order.
func TestLoadFSAllProblems(t *testing.T) {
	errs := MustFail(t, map[string]string{
		"base.yaml": base,
		"b/envs.yaml": `apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec:
  stage: production
  hosting: dedicated
  plants: [geelong]
  promotesFrom: stagging
---
apiVersion: andon/v1
kind: Environment
metadata: {name: prod}
spec: {stage: production, hosting: dedicated, plants: [lyon]}
`,
		"a/teams.yml": `apiVersion: andon/v1
kind: Team
metadata: {name: t}
spec: {roles: [root], members: [bob]}
---
apiVersion: andon/v1
kind: Widget
metadata: {name: w}
`,
		"c.yaml": "kind: Plant\nmetadata: {name: lyon\n",
	})
	want := catalog.Errors{
		{File: "a/teams.yml", Line: 4, Document: "Team/t", Field: "spec.roles[0]",
			Message: `"root" is not one of change-manager, platform-admin, emergency-approver, auditor`},
		{File: "a/teams.yml", Line: 7, Document: "document 2", Field: "kind",
			Message: `unknown kind "Widget"; expected one of Plant, BusinessProcess, Environment, Window, Team, Waiver`},
		{File: "b/envs.yaml", Line: 7, Document: "Environment/prod", Field: "spec.plants[0]",
			Message: `unknown Plant "geelong"`},
		{File: "b/envs.yaml", Line: 8, Document: "Environment/prod", Field: "spec.promotesFrom",
			Message: `unknown Environment "stagging"; did you mean staging?`},
		{File: "b/envs.yaml", Line: 12, Document: "Environment/prod", Field: "metadata.name",
			Message: `duplicate Environment "prod"; first defined at b/envs.yaml:3`},
		{File: "c.yaml", Line: 2, Document: "document 1",
			Message: "invalid YAML: did not find expected ',' or '}'"},
	}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
}

// Every field of a schedule is checked, and every part of its rule,
// whichever of them is wrong first; but a rule is not refused for its
// start's fault, nor an exception date
// under the index of another that the loader already refused.
func TestLoadFSScheduleProblems(t *testing.T) {
	for _, tt := range []struct {
		name, schedule string
		want           []string
	}{
		{"every field", `
    start: "2026-13-01T00:00:00"
    rrule: "FREQ=SOMETIMES"
    exdates: ["2026-02-01T00:00:00", "soon"]
    duration: 48hours
    timezone: Mars/Olympus`,
			[]string{"start", "rrule", "exdates[1]", "duration", "timezone"}},
		{"every part of a rule", `
    start: "2026-01-04T02:00:00"
    rrule: "FREQ=SOMETIMES;BYMONTHDAY=40;COUNT=x;FOO=1"
    duration: 2h`,
			[]string{"rrule", "rrule", "rrule", "rrule"}},
		{"every combination a rule may not make", `
    start: "2026-01-04T02:00:00"
    rrule: "FREQ=WEEKLY;BYMONTHDAY=1;COUNT=3;UNTIL=20260101"
    duration: 2h`,
			[]string{"rrule", "rrule"}},
		{"exception dates that exclude nothing", `
    start: "2026-01-04T02:00:00"
    rrule: "FREQ=WEEKLY;BYDAY=SU"
    exdates: ["2026-12-27T02:00:00", "2027-01-03T00:00:00", "2027-01-05T02:00:00"]
    duration: 4h`,
			[]string{"exdates[1]", "exdates[2]"}},
		{"exception dates beside other problems", `
    start: "2026-01-04T02:00:00"
    rrule: "FREQ=WEEKLY"
    exdates: ["2026-01-04T03:00:00", "2026-01-11T02:00:00"]
    duration: 0
    timezone: Europe/Lyon`,
			[]string{"exdates[0]", "duration", "timezone"}},
		{"each its own", `
    start: "2025-02-29T00:00:00"
    rrule: "FREQ=DAILY;UNTIL=20251231T000000"
    exdates: [[x], "2026-13-01T00:00:00"]
    duration: 2h`,
			[]string{"start", "exdates[0]"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			errs := MustFail(t, map[string]string{
				"base.yaml": base,
				"w.yaml":    "apiVersion: andon/v1\nkind: Window\nmetadata: {name: w}\nspec:\n  type: freeze\n  schedule:" + tt.schedule + "\n",
			})
			var fields []string
			for _, p := range errs {
				fields = append(fields, strings.TrimPrefix(p.Field, "spec.schedule."))
			}
			if diff := cmp.Diff(tt.want, fields); diff != "" {
				t.Errorf("fields at fault mismatch (-want +got):\n%s\n%v", diff, errs)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	errs := catalog.Errors{
		{File: "envs.yaml", Line: 8, Document: "Environment/prod-lyon", Field: "spec.promotesFrom", Message: `unknown Environment "stagging"`},
		{File: "c.yaml", Line: 2, Document: "document 1", Message: "invalid YAML: did not find expected node content"},
		{File: "plants.yaml", Message: "permission denied"},
	}
	var err error = errs
	got := err.Error()
	want := `envs.yaml:8: Environment/prod-lyon: spec.promotesFrom: unknown Environment "stagging"
c.yaml:2: document 1: invalid YAML: did not find expected node content
plants.yaml: permission denied`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Error() mismatch (-want +got):\n%s", diff)
	}
	if got, want := andon.ErrorCode(err), andon.EINVALID; got != want {
		t.Errorf("ErrorCode = %q, want %q", got, want)
	}
	if got, want := andon.ErrorMessage(err), errs.Error(); got != want {
		t.Errorf("ErrorMessage = %q, want %q", got, want)
	}
}

// full is a valid catalog using every field of every kind.
var full = map[string]string{
	"plants.yaml": `# Plants.
apiVersion: andon/v1
kind: Plant
metadata: {name: lyon}
spec:
  timezone: Europe/Paris
  criticality: critical
---
apiVersion: andon/v1
kind: Plant
metadata: {name: geelong}
spec:
  timezone: Australia/Melbourne
  criticality: high
---
`,
	"more/processes.yml": `apiVersion: andon/v1
kind: BusinessProcess
metadata: {name: production}
spec:
  tier: critical
  rpo: 15m
  rto: 2h30m
  modules: [mrp, mrp_workorder]
  owners: [lyon-ops]
---
apiVersion: andon/v1
kind: BusinessProcess
metadata: {name: maintenance}
spec:
  tier: low
  rpo: 1d
  rto: 7d
  modules: []
  owners: []
`,
	"more/environments.yaml": `apiVersion: andon/v1
kind: Environment
metadata:
  name: staging-lyon
spec:
  stage: staging
  hosting: dedicated
  plants: [lyon]
---
apiVersion: andon/v1
kind: Environment
metadata:
  name: prod-lyon
spec:
  stage: production
  hosting: shared
  plants: [lyon, geelong]
  processes: [production, maintenance]
  promotesFrom: staging-lyon
  kubernetes: {cluster: eu-1, namespace: odoo-lyon, registries: [registry.example.com/odoo, "harbor.lyon:5000/"], hostPorts: [9100, "2049"]}
  odoo: {version: 17.0}
`,
	"waivers.yaml": `apiVersion: andon/v1
kind: Waiver
metadata: {name: lyon-rwo-filestore}
spec:
  rule: odoo-filestore-shared
  selector: {namespaces: [odoo-lyon], kinds: [Deployment], names: [odoo]}
  reason: NFS storage class arrives with the Q1 upgrade
  owner: lyon-ops
  expires: 2027-03-31
---
apiVersion: andon/v1
kind: Waiver
metadata: {name: any-debug}
spec:
  rule: odoo-log-level
  reason: tracing a scheduler bug
  owner: platform
  expires: "2026-12-01T12:00:00+01:00"
`,
	"windows.yaml": `apiVersion: andon/v1
kind: Window
metadata: {name: sunday}
spec:
  type: maintenance
  schedule:
    start: "2026-01-04T02:00:00"
    rrule: FREQ=WEEKLY;BYDAY=SU
    exdates: ["2026-03-29T02:00:00"]
    duration: 4h
    timezone: Europe/Paris
  selector:
    stages: [production]
    plants: [lyon]
    environments: [prod-lyon]
    processes: [production]
---
apiVersion: andon/v1
kind: Window
metadata: {name: year-end}
spec:
  type: freeze
  once:
    start: 2026-12-24T00:00:00+01:00
    end: "2027-01-02T00:00:00+11:00"
  allow: [emergency, standard]
`,
	"teams.yaml": `apiVersion: andon/v1
kind: Team
metadata: {name: lyon-ops}
spec:
  members: [carol, brigitte]
---
apiVersion: andon/v1
kind: Team
metadata: {name: production}   # a name may be reused across kinds
spec:
  roles: [change-manager, auditor]
  members: [bob]
  eligible: [dave]
  maxElevation: 2h
`,
}

func TestLoadFSFull(t *testing.T) {
	got := MustLoadFS(t, full)
	paris := time.FixedZone("", 3600)
	melbourne := time.FixedZone("", 11*3600)
	want := &andon.Catalog{
		Plants: []*andon.Plant{
			{Name: "lyon", Timezone: "Europe/Paris", Criticality: andon.LevelCritical},
			{Name: "geelong", Timezone: "Australia/Melbourne", Criticality: andon.LevelHigh},
		},
		// Files are read in sorted path order: more/environments.yaml,
		// more/processes.yml, plants.yaml, teams.yaml, windows.yaml.
		Processes: []*andon.BusinessProcess{
			{Name: "production", Tier: andon.LevelCritical, RPO: 15 * time.Minute, RTO: 150 * time.Minute,
				Modules: []string{"mrp", "mrp_workorder"}, Owners: []string{"lyon-ops"}},
			{Name: "maintenance", Tier: andon.LevelLow, RPO: 24 * time.Hour, RTO: 7 * 24 * time.Hour,
				Modules: []string{}, Owners: []string{}},
		},
		Environments: []*andon.Environment{
			{Name: "staging-lyon", Stage: andon.StageStaging, Hosting: andon.HostingDedicated,
				Plants: []string{"lyon"}, Processes: []string{}},
			{Name: "prod-lyon", Stage: andon.StageProduction, Hosting: andon.HostingShared,
				Plants: []string{"lyon", "geelong"}, Processes: []string{"production", "maintenance"},
				PromotesFrom: "staging-lyon",
				Kubernetes: andon.Kubernetes{Cluster: "eu-1", Namespace: "odoo-lyon",
					Registries: []string{"registry.example.com/odoo", "harbor.lyon:5000"}, HostPorts: []int{9100, 2049}},
				Odoo: andon.Odoo{Version: "17.0"}},
		},
		Windows: []*andon.Window{
			{Name: "sunday", Type: andon.WindowMaintenance,
				Schedules: []andon.Schedule{{
					Start: "2026-01-04T02:00:00", RRule: "FREQ=WEEKLY;BYDAY=SU",
					ExDates: []string{"2026-03-29T02:00:00"}, Duration: 4 * time.Hour, Timezone: "Europe/Paris",
				}},
				Selector: andon.Selector{
					Stages: []andon.Stage{andon.StageProduction}, Plants: []string{"lyon"},
					Environments: []string{"prod-lyon"}, Processes: []string{"production"},
				}},
			{Name: "year-end", Type: andon.WindowFreeze,
				Once: &andon.Span{
					Start: time.Date(2026, 12, 24, 0, 0, 0, 0, paris),
					End:   time.Date(2027, 1, 2, 0, 0, 0, 0, melbourne),
				},
				Allow: []andon.ChangeType{andon.ChangeEmergency, andon.ChangeStandard}},
		},
		Teams: []*andon.Team{
			{Name: "lyon-ops", Roles: []string{}, Members: []string{"carol", "brigitte"}, Eligible: []string{}},
			{Name: "production", Roles: []string{"change-manager", "auditor"}, Members: []string{"bob"},
				Eligible: []string{"dave"}, MaxElevation: 2 * time.Hour},
		},
		Waivers: []*andon.Waiver{
			{Name: "lyon-rwo-filestore", Rule: "odoo-filestore-shared",
				Selector: andon.WaiverSelector{Namespaces: []string{"odoo-lyon"}, Kinds: []string{"Deployment"}, Names: []string{"odoo"}},
				Reason:   "NFS storage class arrives with the Q1 upgrade", Owner: "lyon-ops",
				Expires: time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)},
			{Name: "any-debug", Rule: "odoo-log-level", Reason: "tracing a scheduler bug", Owner: "platform",
				Selector: andon.WaiverSelector{Namespaces: []string{}, Kinds: []string{}, Names: []string{}},
				Expires:  time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)},
		},
	}
	opts := cmp.Options{
		cmpopts.IgnoreFields(andon.Plant{}, "Location"),
		cmpopts.IgnoreFields(andon.Catalog{}, "Revision"),
		// Spans are instants; the zone they were written in does not matter.
		cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("catalog mismatch (-want +got):\n%s", diff)
	}
	for _, p := range got.Plants {
		if p.Location == nil || p.Location.String() != p.Timezone {
			t.Errorf("plant %s: Location = %v, want %s", p.Name, p.Location, p.Timezone)
		}
	}
	if !strings.HasPrefix(got.Revision, "sha256:") || len(got.Revision) != len("sha256:")+64 {
		t.Errorf("Revision = %q, want sha256: and 64 hex digits", got.Revision)
	}
}

func TestLoadFSRevision(t *testing.T) {
	with := func(name, data string) map[string]string {
		files := map[string]string{}
		for k, v := range full {
			files[k] = v
		}
		files[name] = data
		return files
	}
	rev := MustLoadFS(t, full).Revision
	if again := MustLoadFS(t, full).Revision; again != rev {
		t.Errorf("same files: Revision %q, then %q", rev, again)
	}
	changed := map[string]map[string]string{
		"a comment changed":     with("teams.yaml", full["teams.yaml"]+"# reviewed\n"),
		"a file renamed":        with("teams.yml", full["teams.yaml"]),
		"an empty file added":   with("empty.yaml", ""),
		"a file not yaml added": with("README.md", "readme"),
	}
	delete(changed["a file renamed"], "teams.yaml")
	for name, files := range changed {
		got := MustLoadFS(t, files).Revision
		if want := name != "a file not yaml added"; (got != rev) != want {
			t.Errorf("%s: Revision changed = %v, want %v", name, got != rev, want)
		}
	}
}

// TestLoadDir loads a directory on disk: nested layout, hidden entries
// skipped, documents in sorted path order.
func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plant := func(name string) string {
		return "apiVersion: andon/v1\nkind: Plant\nmetadata: {name: " + name + "}\nspec: {timezone: UTC, criticality: low}\n"
	}
	write("a-b.yaml", plant("first")) // '-' sorts before '/'
	write("a/b.yaml", plant("second"))
	write("z.yml", plant("third"))
	write(".git/config.yaml", "not: [yaml")
	write(".github/workflows/ci.yaml", "on: push\n")
	write("notes.txt", "not: [yaml")

	c, err := catalog.Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var got []string
	for _, p := range c.Plants {
		got = append(got, p.Name)
	}
	if diff := cmp.Diff([]string{"first", "second", "third"}, got); diff != "" {
		t.Errorf("plants mismatch (-want +got):\n%s", diff)
	}

	write("a/b.yaml", plant("second")+"---\nkind: Gadget\n")
	_, err = catalog.Load(dir)
	want := "a/b.yaml:6: document 2: apiVersion: required\n" +
		`a/b.yaml:6: document 2: kind: unknown kind "Gadget"; expected one of Plant, BusinessProcess, Environment, Window, Team, Waiver` + "\n" +
		"a/b.yaml:6: document 2: metadata: required"
	if err == nil || err.Error() != want {
		t.Errorf("Load error:\n%v\nwant:\n%s", err, want)
	}
}

func TestLoadDirMissing(t *testing.T) {
	_, err := catalog.Load(filepath.Join(t.TempDir(), "none"))
	if got, want := andon.ErrorCode(err), andon.EINVALID; got != want {
		t.Errorf("ErrorCode = %q (%v), want %q", got, err, want)
	}
}

// TestLoadFSEmpty: a catalog without a single document is refused, so
// that a reload cannot take every environment and team out of force.
func TestLoadFSEmpty(t *testing.T) {
	noFiles := catalog.Errors{{File: ".", Message: "no *.yaml or *.yml files found"}}
	noDocuments := catalog.Errors{{File: ".", Message: "no catalog documents found: the *.yaml and *.yml files hold only empty documents"}}
	tests := []struct {
		name  string
		files map[string]string
		want  catalog.Errors
	}{
		{"no YAML file", map[string]string{"README.md": "# catalog"}, noFiles},
		{"a separator alone", map[string]string{"a.yaml": "---\n"}, noDocuments},
		{"empty files", map[string]string{"a.yaml": "", "b/c.yml": "\n\n"}, noDocuments},
		{"comments and nulls", map[string]string{"a.yaml": "# plants\n---\n~\n---\n# teams\n", "b.yml": "---\n---\n"}, noDocuments},
		{"other problems first", map[string]string{"a.yaml": "---\n", "b.yaml": "kind: [\n"},
			catalog.Errors{{File: "b.yaml", Line: 1, Document: "document 1", Message: "invalid YAML: did not find expected node content"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := MustFail(t, tt.files)
			if diff := cmp.Diff(tt.want, errs); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadFSRoot loads a catalog below a directory of the file system and
// names files relative to it.
func TestLoadFSRoot(t *testing.T) {
	fsys := mapFS(map[string]string{
		"deploy/catalog/base.yaml": base,
		"deploy/catalog/bad.yaml":  "apiVersion: andon/v1\nkind: Team\nmetadata: {name: t}\nspec: {members: [x], roles: [x]}\n",
		"deploy/other.yaml":        "not: [yaml",
	})
	_, err := catalog.LoadFS(fsys, "deploy/catalog")
	want := `bad.yaml:4: Team/t: spec.roles[0]: "x" is not one of change-manager, platform-admin, emergency-approver, auditor`
	if err == nil || err.Error() != want {
		t.Errorf("LoadFS error:\n%v\nwant:\n%s", err, want)
	}
}

// shutdowns is a calendar with two events, one with an exception date.
const shutdowns = "BEGIN:VCALENDAR\r\n" +
	"VERSION:2.0\r\n" +
	"PRODID:-//example//plant//EN\r\n" +
	"BEGIN:VEVENT\r\n" +
	"UID:summer@example.com\r\n" +
	"DTSTAMP:20260101T000000Z\r\n" +
	"DTSTART;TZID=Europe/Paris:20260803T000000\r\n" +
	"DTEND;TZID=Europe/Paris:20260817T000000\r\n" +
	"RRULE:FREQ=YEARLY;BYMONTH=8;BYDAY=1MO\r\n" +
	"EXDATE;TZID=Europe/Paris:20270802T000000\r\n" +
	"END:VEVENT\r\n" +
	"BEGIN:VEVENT\r\n" +
	"UID:may-day@example.com\r\n" +
	"DTSTAMP:20260101T000000Z\r\n" +
	"DTSTART;TZID=Europe/Paris:20260501T000000\r\n" +
	"DTEND;TZID=Europe/Paris:20260502T000000\r\n" +
	"RRULE:FREQ=YEARLY\r\n" +
	"END:VEVENT\r\n" +
	"END:VCALENDAR\r\n"

const icsWindow = `apiVersion: andon/v1
kind: Window
metadata: {name: shutdowns}
spec:
  type: maintenance
  ics: calendars/shutdowns.ics
`

// TestLoadFSICS checks that a window's calendar file is read relative to
// the catalog root, whatever the YAML file's directory, and that its
// content is part of the revision.
func TestLoadFSICS(t *testing.T) {
	files := map[string]string{
		"base.yaml":               base,
		"windows/plant.yaml":      icsWindow,
		"calendars/shutdowns.ics": shutdowns,
	}
	c := MustLoadFS(t, files)
	want := &andon.Window{
		Name: "shutdowns",
		Type: andon.WindowMaintenance,
		ICS:  "calendars/shutdowns.ics",
		Schedules: []andon.Schedule{
			{Start: "2026-08-03T00:00:00", RRule: "FREQ=YEARLY;BYMONTH=8;BYDAY=1MO",
				ExDates: []string{"2027-08-02T00:00:00"}, WallDuration: 14 * 24 * time.Hour, Timezone: "Europe/Paris"},
			{Start: "2026-05-01T00:00:00", RRule: "FREQ=YEARLY", WallDuration: 24 * time.Hour, Timezone: "Europe/Paris"},
		},
	}
	if diff := cmp.Diff(want, c.Window("shutdowns")); diff != "" {
		t.Errorf("window mismatch (-want +got):\n%s", diff)
	}

	files["calendars/shutdowns.ics"] = strings.Replace(shutdowns, "20260502T000000", "20260502T120000", 1)
	if got := MustLoadFS(t, files).Revision; got == c.Revision {
		t.Error("changing the calendar file left the revision unchanged")
	}
}

// TestLoadFSICSWarnings: a calendar file with a milestone (an event that
// lasts no time) loads, and the catalog says that the event is skipped,
// naming the window and the calendar's line.
func TestLoadFSICSWarnings(t *testing.T) {
	milestone := strings.Replace(shutdowns, "END:VCALENDAR\r\n",
		"BEGIN:VEVENT\r\nUID:go-live@example.com\r\nSUMMARY:Go-live\r\nDTSTART;TZID=Europe/Paris:20260915T080000\r\nDTEND;TZID=Europe/Paris:20260915T080000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", 1)
	c := MustLoadFS(t, map[string]string{
		"base.yaml":               base,
		"windows/plant.yaml":      icsWindow,
		"calendars/shutdowns.ics": milestone,
	})
	if got := len(c.Window("shutdowns").Schedules); got != 2 {
		t.Errorf("%d schedules, want the 2 of the events that last", got)
	}
	want := []catalog.Problem{{File: "windows/plant.yaml", Line: 6, Document: "Window/shutdowns", Field: "spec.ics",
		Message: `calendars/shutdowns.ics:23: VEVENT "Go-live" skipped: its DTEND is its DTSTART, so it lasts no time and covers no instant of the window`}}
	if diff := cmp.Diff(want, c.Warnings); diff != "" {
		t.Errorf("warnings mismatch (-want +got):\n%s", diff)
	}
	if got := MustLoadFS(t, map[string]string{"base.yaml": base, "windows/plant.yaml": icsWindow, "calendars/shutdowns.ics": shutdowns}).Warnings; got != nil {
		t.Errorf("warnings %v for a calendar with nothing to skip", got)
	}
}

// TestLoadDirICSOutside checks that a symbolic link cannot lead an ics
// path out of the catalog directory.
func TestLoadDirICSOutside(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "shutdowns.ics")
	dir := t.TempDir()
	for name, data := range map[string]string{"base.yaml": base, "windows.yaml": icsWindow} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(outside, []byte(shutdowns), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "calendars"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "calendars", "shutdowns.ics")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	_, err := catalog.Load(dir)
	var errs catalog.Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("Load error %v, want one problem", err)
	}
	got := errs[0]
	got.Message = ""
	want := catalog.Problem{File: "windows.yaml", Line: 6, Document: "Window/shutdowns", Field: "spec.ics"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problem mismatch (-want +got):\n%s", diff)
	}
	if msg := errs[0].Message; !strings.Contains(msg, "calendars/shutdowns.ics") || !strings.Contains(msg, "a symbolic link that leads outside the catalog directory") {
		t.Errorf("message %q does not name the file and why it is refused", msg)
	}
}

// TestLoadDirYAMLOutside: a YAML file that is a symbolic link out of the
// catalog directory is refused, saying so.
func TestLoadDirYAMLOutside(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "plants.yaml")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "base.yaml"), []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(outside, []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "more.yaml")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	_, err := catalog.Load(dir)
	want := catalog.Errors{{File: "more.yaml", Message: "a symbolic link that leads outside the catalog directory, which is read alone"}}
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("Load error mismatch (-want +got):\n%s", diff)
	}
}

// TestLoadFSFileSize: a file larger than the limit is refused, by the size
// it says it has before it is read, and by the bytes read when that size
// cannot be trusted.
func TestLoadFSFileSize(t *testing.T) {
	// padded returns base followed by a comment that makes it n bytes.
	padded := func(n int) string {
		comment := "# " + strings.Repeat("x", n-len(base)-3) + "\n"
		return base + comment
	}
	tooLarge := catalog.Errors{{File: "more.yaml", Message: "larger than 8 MiB, the limit for a catalog file"}}
	tests := []struct {
		name     string
		data     string
		sizeless bool // Stat says 0 bytes, as a git object store may
		want     catalog.Errors
	}{
		{"at the limit", padded(catalog.MaxFileSize), false, nil},
		{"one byte over", padded(catalog.MaxFileSize + 1), false, tooLarge},
		{"over, its size unknown", padded(catalog.MaxFileSize + 1), true, tooLarge},
		{"at the limit, its size unknown", padded(catalog.MaxFileSize), true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fsys fs.FS = mapFS(map[string]string{"more.yaml": tt.data})
			if tt.sizeless {
				fsys = sizelessFS{fsys}
			}
			c, err := catalog.LoadFS(fsys, ".")
			if tt.want == nil {
				if err != nil {
					t.Fatalf("LoadFS: %v", err)
				}
				if len(c.Plants) != 1 {
					t.Errorf("got %d plants, want 1", len(c.Plants))
				}
				return
			}
			if diff := cmp.Diff(tt.want, err); diff != "" {
				t.Errorf("LoadFS error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// sizelessFS is a file system whose files say they are empty.
type sizelessFS struct{ fs.FS }

func (s sizelessFS) Stat(name string) (fs.FileInfo, error) {
	fi, err := fs.Stat(s.FS, name)
	if err != nil {
		return nil, err
	}
	return sizelessInfo{fi}, nil
}

type sizelessInfo struct{ fs.FileInfo }

func (sizelessInfo) Size() int64 { return 0 }

// TestLoadDirTooLarge: a huge file on disk is refused by its size, without
// being read.
func TestLoadDirTooLarge(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "base.yaml"), []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	// A sparse file: it takes no room on disk, and reading it would take
	// a gigabyte of memory.
	f, err := os.Create(filepath.Join(dir, "more.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = catalog.Load(dir)
	want := catalog.Errors{{File: "more.yaml", Message: "larger than 8 MiB, the limit for a catalog file"}}
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("Load error mismatch (-want +got):\n%s", diff)
	}
}

// TestLoadFSScheduleDays checks that a schedule's duration in days is a
// length on the wall clock (calendar days, as an iCalendar P1D), and one in
// hours or smaller units elapsed time, and that days are held to the same
// limits.
func TestLoadFSScheduleDays(t *testing.T) {
	window := func(duration string) map[string]string {
		return map[string]string{
			"base.yaml": base,
			"w.yaml": "apiVersion: andon/v1\nkind: Window\nmetadata: {name: w}\nspec:\n  type: freeze\n  schedule:\n" +
				"    start: \"2026-01-03T00:00:00\"\n    rrule: FREQ=WEEKLY\n    duration: " + duration + "\n",
		}
	}
	for _, tt := range []struct {
		duration      string
		wall, elapsed time.Duration
	}{
		{"1d", 24 * time.Hour, 0},
		{"2d", 48 * time.Hour, 0},
		{"366d", 366 * 24 * time.Hour, 0},
		{"24h", 0, 24 * time.Hour},
		{"48h", 0, 48 * time.Hour},
		{"90m", 0, 90 * time.Minute},
	} {
		cat := MustLoadFS(t, window(tt.duration))
		s := cat.Windows[0].Schedules[0]
		if s.WallDuration != tt.wall || s.Duration != tt.elapsed {
			t.Errorf("duration: %s: on the wall clock %s, elapsed %s; want %s and %s", tt.duration, s.WallDuration, s.Duration, tt.wall, tt.elapsed)
		}
	}
	for _, tt := range []struct{ duration, want string }{
		{"0d", "must be positive, not 0s"},
		{"367d", "8808h is longer than 8784h; use a one-off span instead"},
		{"1.5d", `invalid duration "1.5d": use Go units such as 15m or 2h, or whole days such as 7d`},
	} {
		errs := MustFail(t, window(tt.duration))
		if len(errs) != 1 || errs[0].Field != "spec.schedule.duration" || errs[0].Message != tt.want {
			t.Errorf("duration: %s: %v; want one problem, spec.schedule.duration: %s", tt.duration, errs, tt.want)
		}
	}
}
