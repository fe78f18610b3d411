package policy

import (
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
	b := new(builder)
	return ast.NewObject(
		item("change", b.change(in.Change)),
		item("environment", b.environment(in.Environment)),
		item("processes", terms(b, in.Processes, b.process)),
		item("plants", terms(b, in.Plants, b.plant)),
	)
}

func gateInput(in *andon.GateInput) ast.Value {
	b := new(builder)
	return ast.NewObject(
		item("request", b.request(in.Request)),
		item("environment", b.environment(in.Environment)),
		item("change", b.change(in.Change)),
		item("calendar", b.object(
			item("active", terms(b, in.Calendar.Active, b.occurrence)),
		)),
		item("promotion", b.promotion(in.Promotion)),
		item("incidents", terms(b, in.Incidents, b.incident)),
		item("backup", b.backup(in.Backup)),
	)
}

// builder makes the terms of one input document. It hands them out from
// blocks, one allocation per block rather than one per term, and shares
// the terms of the names the root package enumerates (stages, types,
// states, levels), which recur in every document.
type builder struct {
	block []ast.Term
}

func (b *builder) term(v ast.Value) *ast.Term {
	if len(b.block) == 0 {
		b.block = make([]ast.Term, 64)
	}
	t := &b.block[0]
	b.block = b.block[1:]
	t.Value = v
	return t
}

func (b *builder) str(s string) *ast.Term { return b.term(ast.String(s)) }

// enum returns the shared term of a value of an enumerated type, or a new
// one for a value outside the enumeration.
func (b *builder) enum(s string) *ast.Term {
	if t, ok := names[s]; ok {
		return t
	}
	return b.str(s)
}

func (b *builder) object(items ...[2]*ast.Term) *ast.Term { return b.term(ast.NewObject(items...)) }

// time writes an instant as encoding/json does: RFC 3339 with the offset
// of the time's location, and nanoseconds when there are any.
func (b *builder) time(t time.Time) *ast.Term { return b.str(t.Format(time.RFC3339Nano)) }

// duration writes a duration as encoding/json does: whole nanoseconds.
func (b *builder) duration(d time.Duration) *ast.Term {
	return b.term(ast.Number(strconv.FormatInt(int64(d), 10)))
}

func (b *builder) bool(v bool) *ast.Term { return b.term(ast.Boolean(v)) }

func (b *builder) null() *ast.Term { return b.term(ast.Null{}) }

func strs[S ~string](b *builder, ss []S) *ast.Term {
	ts := make([]*ast.Term, len(ss))
	for i, s := range ss {
		ts[i] = b.str(string(s))
	}
	return b.term(ast.NewArray(ts...))
}

func enums[S ~string](b *builder, ss []S) *ast.Term {
	ts := make([]*ast.Term, len(ss))
	for i, s := range ss {
		ts[i] = b.enum(string(s))
	}
	return b.term(ast.NewArray(ts...))
}

func terms[T any](b *builder, xs []T, term func(T) *ast.Term) *ast.Term {
	ts := make([]*ast.Term, len(xs))
	for i, x := range xs {
		ts[i] = term(x)
	}
	return b.term(ast.NewArray(ts...))
}

func (b *builder) change(c *andon.Change) *ast.Term {
	if c == nil {
		return b.null()
	}
	items := make([][2]*ast.Term, 0, 21)
	items = append(items,
		item("id", b.str(c.ID)),
		item("environment", b.str(c.Environment)),
		item("type", b.enum(string(c.Type))),
		item("title", b.str(c.Title)),
	)
	if c.Description != "" {
		items = append(items, item("description", b.str(c.Description)))
	}
	items = append(items,
		item("requester", b.str(c.Requester)),
		item("artifacts", strs(b, c.Artifacts)),
		item("facts", b.facts(c.Facts)),
		item("processes", strs(b, c.Processes)),
	)
	if c.Window != nil {
		items = append(items, item("window", b.span(*c.Window)))
	}
	if c.RollbackPlan != "" {
		items = append(items, item("rollbackPlan", b.str(c.RollbackPlan)))
	}
	if len(c.Links) > 0 {
		items = append(items, item("links", terms(b, c.Links, b.link)))
	}
	items = append(items,
		item("state", b.enum(string(c.State))),
		item("risk", b.object(
			item("tier", b.enum(string(c.Risk.Tier))),
			item("reasons", strs(b, c.Risk.Reasons)),
			item("approvals", terms(b, c.Risk.Approvals, b.requirement)),
		)),
		item("approvals", terms(b, c.Approvals, b.approval)),
	)
	if c.ReviewDue != nil {
		items = append(items, item("reviewDue", b.time(*c.ReviewDue)))
	}
	if c.Review != nil {
		items = append(items, item("review", b.approval(*c.Review)))
	}
	items = append(items,
		item("createdAt", b.time(c.CreatedAt)),
		item("updatedAt", b.time(c.UpdatedAt)),
	)
	return b.object(items...)
}

func (b *builder) environment(e *andon.Environment) *ast.Term {
	if e == nil {
		return b.null()
	}
	items := make([][2]*ast.Term, 0, 8)
	items = append(items,
		item("name", b.str(e.Name)),
		item("stage", b.enum(string(e.Stage))),
		item("hosting", b.enum(string(e.Hosting))),
		item("plants", strs(b, e.Plants)),
		item("processes", strs(b, e.Processes)),
	)
	if e.PromotesFrom != "" {
		items = append(items, item("promotesFrom", b.str(e.PromotesFrom)))
	}
	kube := make([][2]*ast.Term, 0, 4)
	if e.Kubernetes.Cluster != "" {
		kube = append(kube, item("cluster", b.str(e.Kubernetes.Cluster)))
	}
	if e.Kubernetes.Namespace != "" {
		kube = append(kube, item("namespace", b.str(e.Kubernetes.Namespace)))
	}
	if len(e.Kubernetes.Registries) > 0 {
		kube = append(kube, item("registries", strs(b, e.Kubernetes.Registries)))
	}
	if len(e.Kubernetes.HostPorts) > 0 {
		kube = append(kube, item("hostPorts", terms(b, e.Kubernetes.HostPorts, func(p int) *ast.Term { return ast.IntNumberTerm(p) })))
	}
	odoo := make([][2]*ast.Term, 0, 1)
	if e.Odoo.Version != "" {
		odoo = append(odoo, item("version", b.str(e.Odoo.Version)))
	}
	items = append(items,
		item("kubernetes", b.object(kube...)),
		item("odoo", b.object(odoo...)),
	)
	return b.object(items...)
}

func (b *builder) process(p *andon.BusinessProcess) *ast.Term {
	if p == nil {
		return b.null()
	}
	return b.object(
		item("name", b.str(p.Name)),
		item("tier", b.enum(string(p.Tier))),
		item("rpo", b.duration(p.RPO)),
		item("rto", b.duration(p.RTO)),
		item("modules", strs(b, p.Modules)),
		item("owners", strs(b, p.Owners)),
	)
}

func (b *builder) plant(p *andon.Plant) *ast.Term {
	if p == nil {
		return b.null()
	}
	return b.object(
		item("name", b.str(p.Name)),
		item("timezone", b.str(p.Timezone)),
		item("criticality", b.enum(string(p.Criticality))),
	)
}

func (b *builder) occurrence(o andon.Occurrence) *ast.Term {
	return b.object(
		item("window", b.str(o.Window)),
		item("type", b.enum(string(o.Type))),
		item("start", b.time(o.Start)),
		item("end", b.time(o.End)),
		item("allow", enums(b, o.Allow)),
	)
}

// facts leaves out the facts of the addons when they are not set, as
// their JSON does.
func (b *builder) facts(f andon.Facts) *ast.Term {
	items := [][2]*ast.Term{
		item("modules", strs(b, f.Modules)),
		item("migration", b.bool(f.Migration)),
		item("components", enums(b, f.Components)),
	}
	if len(f.MigrationPhases) > 0 {
		items = append(items, item("migrationPhases", strs(b, f.MigrationPhases)))
	}
	if f.SecurityChanged {
		items = append(items, item("securityChanged", b.bool(true)))
	}
	if len(f.PublicAccessRows) > 0 {
		items = append(items, item("publicAccessRows", strs(b, f.PublicAccessRows)))
	}
	// The evidence (the files behind each fact) is for people: no rule
	// needs it, and every gate decision would carry it.
	return b.object(items...)
}

// request leaves out dryRun, start and admission when they are not set, as their
// JSON does.
func (b *builder) request(r andon.GateRequest) *ast.Term {
	items := [][2]*ast.Term{
		item("environment", b.str(r.Environment)),
		item("image", b.str(r.Image)),
		item("at", b.time(r.At)),
	}
	if r.DryRun {
		items = append(items, item("dryRun", b.bool(true)))
	}
	if r.Start {
		items = append(items, item("start", b.bool(true)))
	}
	if a := r.Admission; a != nil {
		fields := [][2]*ast.Term{
			item("uid", b.str(a.UID)),
			item("namespace", b.str(a.Namespace)),
			item("kind", b.str(a.Kind)),
			item("name", b.str(a.Name)),
			item("operation", b.str(a.Operation)),
			item("user", b.str(a.User)),
		}
		if a.Cluster != "" {
			fields = append(fields, item("cluster", b.str(a.Cluster)))
		}
		items = append(items, item("admission", b.object(fields...)))
	}
	return b.object(items...)
}

func (b *builder) promotion(p *andon.Promotion) *ast.Term {
	if p == nil {
		return b.null()
	}
	return b.object(
		item("required", b.bool(p.Required)),
		item("from", b.str(p.From)),
		item("changeId", b.str(p.ChangeID)),
	)
}

func (b *builder) incident(i andon.Incident) *ast.Term {
	items := make([][2]*ast.Term, 0, 13)
	items = append(items,
		item("id", b.str(i.ID)),
		item("severity", b.enum(string(i.Severity))),
		item("title", b.str(i.Title)),
		item("state", b.str(i.State)),
		item("scope", b.incidentScope(i.Scope)),
	)
	if i.Link != "" {
		items = append(items, item("link", b.str(i.Link)))
	}
	items = append(items,
		item("source", b.str(i.Source)),
		item("openedBy", b.str(i.OpenedBy)),
		item("openedAt", b.time(i.OpenedAt)),
	)
	if i.ResolvedBy != "" {
		items = append(items, item("resolvedBy", b.str(i.ResolvedBy)))
	}
	if i.ResolvedAt != nil {
		items = append(items, item("resolvedAt", b.time(*i.ResolvedAt)))
	}
	if i.Comment != "" {
		items = append(items, item("comment", b.str(i.Comment)))
	}
	return b.object(items...)
}

func (b *builder) backup(k *andon.Backup) *ast.Term {
	if k == nil {
		return b.null()
	}
	items := make([][2]*ast.Term, 0, 7)
	items = append(items,
		item("id", b.str(k.ID)),
		item("environment", b.str(k.Environment)),
	)
	if k.Method != "" {
		items = append(items, item("method", b.str(k.Method)))
	}
	items = append(items, item("completedAt", b.time(k.CompletedAt)))
	if k.Link != "" {
		items = append(items, item("link", b.str(k.Link)))
	}
	items = append(items,
		item("recordedBy", b.str(k.RecordedBy)),
		item("recordedAt", b.time(k.RecordedAt)),
	)
	return b.object(items...)
}

// incidentScope writes the lists of a scope that name something, as
// encoding/json leaves the empty ones out.
func (b *builder) incidentScope(s andon.IncidentScope) *ast.Term {
	items := make([][2]*ast.Term, 0, 5)
	if s.Global {
		items = append(items, item("global", b.bool(true)))
	}
	for _, l := range []struct {
		name  string
		names []string
	}{{"plants", s.Plants}, {"processes", s.Processes}, {"environments", s.Environments}, {"namespaces", s.Namespaces}} {
		if len(l.names) > 0 {
			items = append(items, item(l.name, strs(b, l.names)))
		}
	}
	return b.object(items...)
}

func (b *builder) span(s andon.Span) *ast.Term {
	return b.object(
		item("start", b.time(s.Start)),
		item("end", b.time(s.End)),
	)
}

func (b *builder) link(l andon.Link) *ast.Term {
	return b.object(
		item("kind", b.str(l.Kind)),
		item("url", b.str(l.URL)),
	)
}

func (b *builder) requirement(r andon.Requirement) *ast.Term {
	return b.object(
		item("role", b.enum(r.Role)),
		item("count", ast.IntNumberTerm(r.Count)),
	)
}

func (b *builder) approval(a andon.Approval) *ast.Term {
	items := make([][2]*ast.Term, 0, 6)
	items = append(items, item("approver", b.str(a.Approver)))
	if a.Role != "" {
		items = append(items, item("role", b.enum(a.Role)))
	}
	items = append(items, item("verdict", b.enum(string(a.Verdict))))
	if a.Comment != "" {
		items = append(items, item("comment", b.str(a.Comment)))
	}
	items = append(items, item("at", b.time(a.At)))
	if a.Grant != "" {
		items = append(items, item("grant", b.str(a.Grant)))
	}
	return b.object(items...)
}

// names holds a shared term for every field name of the input documents
// and for the values of the root package's enumerations. OPA never
// mutates the terms of an input, and shares its own interned terms the
// same way.
var names = func() map[string]*ast.Term {
	m := map[string]*ast.Term{}
	add := func(ss ...string) {
		for _, s := range ss {
			m[s] = ast.StringTerm(s)
		}
	}
	add("active", "allow", "approvals", "approver", "artifacts", "at", "calendar",
		"change", "changeId", "cluster", "comment", "components", "count", "createdAt",
		"criticality", "description", "end", "environment", "facts", "from", "grant", "hosting",
		"id", "image", "incidents", "kind", "kubernetes", "links", "migration",
		"modules", "name", "namespace", "odoo", "owners", "plants", "processes",
		"promotesFrom", "promotion", "reasons", "request", "required", "requester",
		"review", "reviewDue", "risk", "role", "rollbackPlan", "rpo", "rto",
		"severity", "stage", "start", "state", "tier", "timezone", "title", "type",
		"scope", "global", "environments", "namespaces", "link", "source", "openedBy", "openedAt",
		"backup", "method", "completedAt", "recordedBy", "recordedAt",
		"updatedAt", "url", "verdict", "version", "window")
	add("", string(andon.HostingDedicated), string(andon.HostingShared),
		string(andon.Approve), string(andon.Reject),
		andon.RoleChangeManager, andon.RolePlatformAdmin, andon.RoleEmergencyApprover, andon.RoleAuditor,
		"postgres", "kubernetes", "redis", "traefik")
	for _, v := range andon.Stages {
		add(string(v))
	}
	for _, v := range andon.ChangeTypes {
		add(string(v))
	}
	for _, v := range andon.States {
		add(string(v))
	}
	for _, v := range andon.Levels {
		add(string(v))
	}
	for _, v := range andon.WindowTypes {
		add(string(v))
	}
	return m
}()

func item(key string, value *ast.Term) [2]*ast.Term {
	k, ok := names[key]
	if !ok {
		k = ast.StringTerm(key)
	}
	return ast.Item(k, value)
}
