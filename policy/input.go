package policy

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/andon-governance/andon"
	"github.com/open-policy-agent/opa/v1/ast"
)

// The input documents are built as OPA values directly from the Go structs
// rather than by a JSON round trip or ast.InterfaceToValue, which both go
// through reflection and dominate the cost of a decision. The documents
// follow the json tags of the root types field for field, with one
// deliberate difference: a nil slice is an empty array, never null, so
// that a policy can iterate and count any list without guarding against
// null. A test compares the two encodings on every field so that a field
// added to a root type cannot be forgotten here.

func riskInput(in *andon.RiskInput) ast.Value {
	return ast.NewObject(
		item("change", changeTerm(in.Change)),
		item("environment", environmentTerm(in.Environment)),
		item("processes", listTerm(in.Processes, processTerm)),
		item("plants", listTerm(in.Plants, plantTerm)),
	)
}

func gateInput(in *andon.GateInput) ast.Value {
	return ast.NewObject(
		item("request", ast.ObjectTerm(
			item("environment", ast.StringTerm(in.Request.Environment)),
			item("image", ast.StringTerm(in.Request.Image)),
			item("at", timeTerm(in.Request.At)),
		)),
		item("environment", environmentTerm(in.Environment)),
		item("change", changeTerm(in.Change)),
		item("calendar", ast.ObjectTerm(
			item("active", listTerm(in.Calendar.Active, occurrenceTerm)),
		)),
		item("promotion", promotionTerm(in.Promotion)),
		item("incidents", listTerm(in.Incidents, incidentTerm)),
	)
}

func changeTerm(c *andon.Change) *ast.Term {
	if c == nil {
		return ast.NullTerm()
	}
	items := make([][2]*ast.Term, 0, 21)
	items = append(items,
		item("id", ast.StringTerm(c.ID)),
		item("environment", ast.StringTerm(c.Environment)),
		item("type", ast.StringTerm(string(c.Type))),
		item("title", ast.StringTerm(c.Title)),
	)
	if c.Description != "" {
		items = append(items, item("description", ast.StringTerm(c.Description)))
	}
	items = append(items,
		item("requester", ast.StringTerm(c.Requester)),
		item("artifacts", stringsTerm(c.Artifacts)),
		item("facts", ast.ObjectTerm(
			item("modules", stringsTerm(c.Facts.Modules)),
			item("migration", ast.BooleanTerm(c.Facts.Migration)),
			item("components", stringsTerm(c.Facts.Components)),
		)),
		item("processes", stringsTerm(c.Processes)),
	)
	if c.Window != nil {
		items = append(items, item("window", spanTerm(*c.Window)))
	}
	if c.RollbackPlan != "" {
		items = append(items, item("rollbackPlan", ast.StringTerm(c.RollbackPlan)))
	}
	if len(c.Links) > 0 {
		items = append(items, item("links", listTerm(c.Links, linkTerm)))
	}
	items = append(items,
		item("state", ast.StringTerm(string(c.State))),
		item("risk", ast.ObjectTerm(
			item("tier", ast.StringTerm(string(c.Risk.Tier))),
			item("reasons", stringsTerm(c.Risk.Reasons)),
			item("approvals", listTerm(c.Risk.Approvals, requirementTerm)),
		)),
		item("approvals", listTerm(c.Approvals, approvalTerm)),
	)
	if c.ReviewDue != nil {
		items = append(items, item("reviewDue", timeTerm(*c.ReviewDue)))
	}
	if c.Review != nil {
		items = append(items, item("review", approvalTerm(*c.Review)))
	}
	items = append(items,
		item("createdAt", timeTerm(c.CreatedAt)),
		item("updatedAt", timeTerm(c.UpdatedAt)),
	)
	return ast.ObjectTerm(items...)
}

func environmentTerm(e *andon.Environment) *ast.Term {
	if e == nil {
		return ast.NullTerm()
	}
	items := make([][2]*ast.Term, 0, 8)
	items = append(items,
		item("name", ast.StringTerm(e.Name)),
		item("stage", ast.StringTerm(string(e.Stage))),
		item("hosting", ast.StringTerm(string(e.Hosting))),
		item("plants", stringsTerm(e.Plants)),
		item("processes", stringsTerm(e.Processes)),
	)
	if e.PromotesFrom != "" {
		items = append(items, item("promotesFrom", ast.StringTerm(e.PromotesFrom)))
	}
	kube := make([][2]*ast.Term, 0, 2)
	if e.Kubernetes.Cluster != "" {
		kube = append(kube, item("cluster", ast.StringTerm(e.Kubernetes.Cluster)))
	}
	if e.Kubernetes.Namespace != "" {
		kube = append(kube, item("namespace", ast.StringTerm(e.Kubernetes.Namespace)))
	}
	odoo := make([][2]*ast.Term, 0, 1)
	if e.Odoo.Version != "" {
		odoo = append(odoo, item("version", ast.StringTerm(e.Odoo.Version)))
	}
	items = append(items,
		item("kubernetes", ast.ObjectTerm(kube...)),
		item("odoo", ast.ObjectTerm(odoo...)),
	)
	return ast.ObjectTerm(items...)
}

func processTerm(p *andon.BusinessProcess) *ast.Term {
	if p == nil {
		return ast.NullTerm()
	}
	return ast.ObjectTerm(
		item("name", ast.StringTerm(p.Name)),
		item("tier", ast.StringTerm(string(p.Tier))),
		item("rpo", durationTerm(p.RPO)),
		item("rto", durationTerm(p.RTO)),
		item("modules", stringsTerm(p.Modules)),
		item("owners", stringsTerm(p.Owners)),
	)
}

func plantTerm(p *andon.Plant) *ast.Term {
	if p == nil {
		return ast.NullTerm()
	}
	return ast.ObjectTerm(
		item("name", ast.StringTerm(p.Name)),
		item("timezone", ast.StringTerm(p.Timezone)),
		item("criticality", ast.StringTerm(string(p.Criticality))),
	)
}

func occurrenceTerm(o andon.Occurrence) *ast.Term {
	return ast.ObjectTerm(
		item("window", ast.StringTerm(o.Window)),
		item("type", ast.StringTerm(string(o.Type))),
		item("start", timeTerm(o.Start)),
		item("end", timeTerm(o.End)),
		item("allow", stringsTerm(o.Allow)),
	)
}

func promotionTerm(p *andon.Promotion) *ast.Term {
	if p == nil {
		return ast.NullTerm()
	}
	return ast.ObjectTerm(
		item("required", ast.BooleanTerm(p.Required)),
		item("from", ast.StringTerm(p.From)),
		item("changeId", ast.StringTerm(p.ChangeID)),
	)
}

func incidentTerm(i andon.Incident) *ast.Term {
	return ast.ObjectTerm(
		item("id", ast.StringTerm(i.ID)),
		item("severity", ast.StringTerm(string(i.Severity))),
		item("title", ast.StringTerm(i.Title)),
	)
}

func spanTerm(s andon.Span) *ast.Term {
	return ast.ObjectTerm(
		item("start", timeTerm(s.Start)),
		item("end", timeTerm(s.End)),
	)
}

func linkTerm(l andon.Link) *ast.Term {
	return ast.ObjectTerm(
		item("kind", ast.StringTerm(l.Kind)),
		item("url", ast.StringTerm(l.URL)),
	)
}

func requirementTerm(r andon.Requirement) *ast.Term {
	return ast.ObjectTerm(
		item("role", ast.StringTerm(r.Role)),
		item("count", ast.IntNumberTerm(r.Count)),
	)
}

func approvalTerm(a andon.Approval) *ast.Term {
	items := make([][2]*ast.Term, 0, 5)
	items = append(items, item("approver", ast.StringTerm(a.Approver)))
	if a.Role != "" {
		items = append(items, item("role", ast.StringTerm(a.Role)))
	}
	items = append(items, item("verdict", ast.StringTerm(string(a.Verdict))))
	if a.Comment != "" {
		items = append(items, item("comment", ast.StringTerm(a.Comment)))
	}
	items = append(items, item("at", timeTerm(a.At)))
	return ast.ObjectTerm(items...)
}

// keys holds a term for every field name of the input documents. Sharing
// them across decisions saves two allocations per field; OPA never mutates
// the terms of an input, and shares its own interned terms the same way.
var keys = func() map[string]*ast.Term {
	names := []string{
		"allow", "approvals", "approver", "artifacts", "at", "calendar", "change",
		"changeId", "cluster", "comment", "components", "count", "createdAt",
		"criticality", "description", "end", "environment", "facts", "from", "hosting",
		"id", "image", "incidents", "kind", "kubernetes", "links", "migration",
		"modules", "name", "namespace", "odoo", "owners", "plants", "processes",
		"promotesFrom", "promotion", "reasons", "request", "required", "requester",
		"review", "reviewDue", "risk", "role", "rollbackPlan", "rpo", "rto",
		"severity", "stage", "start", "state", "tier", "timezone", "title", "type",
		"updatedAt", "url", "verdict", "version", "window", "active",
	}
	m := make(map[string]*ast.Term, len(names))
	for _, n := range names {
		m[n] = ast.StringTerm(n)
	}
	return m
}()

func item(key string, value *ast.Term) [2]*ast.Term {
	k, ok := keys[key]
	if !ok {
		k = ast.StringTerm(key)
	}
	return ast.Item(k, value)
}

// timeTerm writes an instant as encoding/json does: RFC 3339 with the
// offset of the time's location and nanoseconds when there are any.
func timeTerm(t time.Time) *ast.Term {
	return ast.StringTerm(t.Format(time.RFC3339Nano))
}

// durationTerm writes a duration as encoding/json does: whole nanoseconds.
func durationTerm(d time.Duration) *ast.Term {
	return ast.NumberTerm(json.Number(strconv.FormatInt(int64(d), 10)))
}

func stringsTerm[S ~string](ss []S) *ast.Term {
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = ast.StringTerm(string(s))
	}
	return ast.ArrayTerm(terms...)
}

func listTerm[T any](xs []T, term func(T) *ast.Term) *ast.Term {
	terms := make([]*ast.Term, len(xs))
	for i, x := range xs {
		terms[i] = term(x)
	}
	return ast.ArrayTerm(terms...)
}
