package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/calendar"
)

// Each decodeKind function below checks the spec of one kind and, with a
// name, appends what it read to the catalog. A document with problems is
// still appended: the catalog is thrown away when any problem is found,
// and going on lets one load report every problem.

func (l *loader) decodePlant(d *doc, name string, at, spec *yaml.Node) {
	o := d.object(at, spec, "spec", "timezone", "criticality")
	p := &andon.Plant{Name: name}
	var tzNode *yaml.Node
	p.Timezone, tzNode = o.str("timezone", true)
	if p.Timezone != "" {
		loc, err := calendar.LoadLocation(p.Timezone)
		if err != nil {
			d.errorf(tzNode, "spec.timezone", "%v", err)
		}
		p.Location = loc
	}
	p.Criticality = enum(o, "criticality", andon.Levels, true)
	if name != "" {
		l.cat.Plants = append(l.cat.Plants, p)
	}
}

func (l *loader) decodeProcess(d *doc, name string, at, spec *yaml.Node) {
	o := d.object(at, spec, "spec", "tier", "rpo", "rto", "modules", "owners")
	p := &andon.BusinessProcess{Name: name}
	p.Tier = enum(o, "tier", andon.Levels, true)
	p.RPO = o.duration("rpo", false)
	p.RTO = o.duration("rto", false)
	p.Modules = values(o.list("modules", false))
	owners := o.list("owners", false)
	for _, it := range owners {
		l.refer(d, KindTeam, it)
	}
	p.Owners = values(owners)
	if name != "" {
		l.cat.Processes = append(l.cat.Processes, p)
	}
}

func (l *loader) decodeEnvironment(d *doc, name string, at, spec *yaml.Node) {
	o := d.object(at, spec, "spec", "stage", "hosting", "plants", "processes", "promotesFrom", "kubernetes", "odoo")
	e := &andon.Environment{Name: name}
	e.Stage = enum(o, "stage", andon.Stages, true)
	e.Hosting = enum(o, "hosting", []andon.Hosting{andon.HostingDedicated, andon.HostingShared}, true)

	plants := o.list("plants", true)
	for _, it := range plants {
		l.refer(d, KindPlant, it)
	}
	e.Plants = values(plants)
	processes := o.list("processes", false)
	for _, it := range processes {
		l.refer(d, KindBusinessProcess, it)
	}
	e.Processes = values(processes)

	from, fromNode := o.str("promotesFrom", false)
	switch {
	case fromNode == nil || from == "":
	case from == name:
		d.errorf(fromNode, "spec.promotesFrom", "an environment cannot promote from itself")
	default:
		e.PromotesFrom = from
		l.refer(d, KindEnvironment, item{value: from, node: fromNode, field: "spec.promotesFrom"})
		if name != "" {
			l.promotions = append(l.promotions, promotion{d: d, node: fromNode, from: name, to: from})
		}
	}

	k := d.object(o.line("kubernetes"), o.vals["kubernetes"], "spec.kubernetes", "cluster", "namespace", "registries", "hostPorts")
	e.Kubernetes.Cluster, _ = k.str("cluster", false)
	for _, it := range k.list("registries", false) {
		r, err := andon.ParseRegistry(it.value)
		if err != nil {
			d.errorf(it.node, it.field, "%s", andon.ErrorMessage(err))
			continue
		}
		e.Kubernetes.Registries = append(e.Kubernetes.Registries, r)
	}
	for _, it := range k.list("hostPorts", false) {
		// The API server takes a hostPort from 1 to 65535, written as a
		// number; 0 binds nothing and needs no allowance.
		p, err := strconv.Atoi(it.value)
		if err != nil || p < 1 || p > 65535 || strconv.Itoa(p) != it.value {
			d.errorf(it.node, it.field, "%q is not a port: want a number from 1 to 65535, such as 9100", it.value)
			continue
		}
		e.Kubernetes.HostPorts = append(e.Kubernetes.HostPorts, p)
	}
	var nsNode *yaml.Node
	e.Kubernetes.Namespace, nsNode = k.str("namespace", false)
	if nsNode != nil && e.Kubernetes.Namespace != "" && !andon.IsDNSLabel(e.Kubernetes.Namespace) {
		d.errorf(nsNode, "spec.kubernetes.namespace", "%q is not a valid Kubernetes namespace (a DNS-1123 label)", e.Kubernetes.Namespace)
	}
	odoo := d.object(o.line("odoo"), o.vals["odoo"], "spec.odoo", "version")
	e.Odoo.Version, _ = odoo.str("version", false)

	if name != "" {
		l.cat.Environments = append(l.cat.Environments, e)
	}
}

func (l *loader) decodeWindow(d *doc, name string, at, spec *yaml.Node) {
	o := d.object(at, spec, "spec", "type", "schedule", "once", "ics", "selector", "allow")
	w := &andon.Window{Name: name}
	w.Type = enum(o, "type", andon.WindowTypes, true)

	// Exactly one source of time: a window with two would leave the reader
	// guessing which one counts.
	var given []string
	for _, f := range []string{"schedule", "once", "ics"} {
		if o.has(f) {
			given = append(given, f)
		}
	}
	switch {
	case len(given) == 0 && !o.bad:
		d.errorf(o.at, "spec", "one of schedule, once or ics is required")
	case len(given) > 1:
		d.errorf(o.line(given[1]), o.field(given[1]), "only one of schedule, once and ics may be given; %s is given too", given[0])
	}
	if o.has("schedule") {
		if s, ok := l.decodeSchedule(d, o); ok {
			w.Schedules = []andon.Schedule{s}
		}
	}
	if o.has("once") {
		w.Once = decodeOnce(d, o)
	}
	if o.has("ics") {
		w.ICS, w.Schedules = l.decodeICS(d, o)
	}

	sel := d.object(o.line("selector"), o.vals["selector"], "spec.selector", "stages", "plants", "environments", "processes")
	w.Selector.Stages = enumList(sel, "stages", andon.Stages)
	w.Selector.Plants = l.refList(d, sel, "plants", KindPlant)
	w.Selector.Environments = l.refList(d, sel, "environments", KindEnvironment)
	w.Selector.Processes = l.refList(d, sel, "processes", KindBusinessProcess)

	w.Allow = enumList(o, "allow", andon.ChangeTypes)
	if len(w.Allow) > 0 && w.Type != "" && w.Type != andon.WindowFreeze {
		d.errorf(o.line("allow"), "spec.allow", "only a freeze window allows change types; this window is a %s", w.Type)
	}

	if name != "" {
		l.cat.Windows = append(l.cat.Windows, w)
	}
}

// refList reads a list of names of kind, or nil when the list is empty:
// selector lists are optional and omitted from JSON when empty.
func (l *loader) refList(d *doc, o *object, field, kind string) []string {
	items := o.list(field, false)
	if len(items) == 0 {
		return nil
	}
	for _, it := range items {
		l.refer(d, kind, it)
	}
	return values(items)
}

// scheduleFields are the fields of spec.schedule, named as the calendar
// package's ScheduleProblem names them.
var scheduleFields = []string{"start", "rrule", "exdates", "duration", "timezone"}

// decodeSchedule reads spec.schedule and has the calendar package check
// it, so that the loader accepts exactly the schedules the calendar can
// expand.
func (l *loader) decodeSchedule(d *doc, o *object) (andon.Schedule, bool) {
	before := len(l.problems)
	so := d.object(o.line("schedule"), o.vals["schedule"], "spec.schedule", scheduleFields...)
	var s andon.Schedule
	s.Start, _ = so.str("start", true)
	s.RRule, _ = so.str("rrule", false)
	if exdates := so.list("exdates", false); len(exdates) > 0 {
		s.ExDates = values(exdates)
	}
	s.Duration = so.duration("duration", true)
	if n := so.vals["duration"]; n != nil && strings.HasSuffix(n.Value, "d") {
		// Days are days on the calendar, as a planner counts them and
		// as an iCalendar DURATION of P1D is: an occurrence of 1d ends
		// at the same wall time the next day, 23 or 25 hours later
		// across a change of clocks. Hours and smaller units are
		// elapsed time.
		s.WallDuration, s.Duration = s.Duration, 0
	}
	s.Timezone, _ = so.str("timezone", false)
	// The calendar checks every field; those the loader found at fault
	// already (missing, not a string, a duration it cannot read) are
	// not reported twice.
	reported := map[string]bool{}
	for _, p := range l.problems[before:] {
		// A list item the loader refused (exdates[0] is not a string) is
		// left out of s, so the calendar's indexes would not match the
		// file's: the list's own problems wait until those are fixed.
		field, _, _ := strings.Cut(strings.TrimPrefix(p.Field, so.path+"."), "[")
		reported[field] = true
	}
	if reported[so.path] {
		return s, false
	}
	problems := calendar.CheckSchedule(s)
	// Exception dates that exclude nothing, once what they are matched
	// against (the start, the rule) and they themselves are sound.
	sound := !slices.ContainsFunc(problems, func(p calendar.ScheduleProblem) bool {
		return p.Field == "start" || p.Field == "rrule" || p.Field == "exdates"
	})
	if sound && !reported["start"] && !reported["rrule"] && !reported["exdates"] {
		problems = append(problems, calendar.UnmatchedExDates(s)...)
	}
	for _, p := range problems {
		if !reported[p.Field] {
			reportSchedule(d, so, p)
		}
	}
	return s, len(l.problems) == before
}

// reportSchedule reports a problem of the schedule so on the line of the
// field, or of the list item, at fault.
func reportSchedule(d *doc, so *object, p calendar.ScheduleProblem) {
	node, field := so.line(p.Field), p.Field
	if seq := so.vals[p.Field]; p.Index >= 0 && seq != nil && seq.Kind == yaml.SequenceNode && p.Index < len(seq.Content) {
		node, field = seq.Content[p.Index], fmt.Sprintf("%s[%d]", p.Field, p.Index)
	}
	d.errorf(node, so.path+"."+field, "%s", p.Message)
}

// message returns the text of err meant for the catalog's author.
func message(err error) string {
	var e *andon.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// decodeOnce reads spec.once, a single span given as RFC 3339 times with
// their offset: a one-off window is an absolute interval, not a wall time.
func decodeOnce(d *doc, o *object) *andon.Span {
	so := d.object(o.line("once"), o.vals["once"], "spec.once", "start", "end")
	start, startOK := onceTime(d, so, "start")
	end, endOK := onceTime(d, so, "end")
	if !startOK || !endOK {
		return nil
	}
	if !end.After(start) {
		d.errorf(so.line("end"), "spec.once.end", "must be after start")
		return nil
	}
	return &andon.Span{Start: start, End: end}
}

func onceTime(d *doc, o *object, name string) (time.Time, bool) {
	s, n := o.str(name, true)
	if n == nil || s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		d.errorf(n, o.field(name), "%q is not an RFC 3339 time with an offset, such as 2026-12-24T00:00:00+01:00", s)
		return time.Time{}, false
	}
	// As for a schedule's start: the times computed from the span must
	// stay within the years that can be written.
	if t.Year() > andon.MaxYear {
		d.errorf(n, o.field(name), "%q: the year must be %d or earlier", s, andon.MaxYear)
		return time.Time{}, false
	}
	return t, true
}

// decodeICS reads the calendar file named by spec.ics and returns its path
// as written and its schedules. The path is relative to the catalog root,
// not to the YAML file, so that moving a YAML file does not break it.
func (l *loader) decodeICS(d *doc, o *object) (string, []andon.Schedule) {
	name, n := o.str("ics", true)
	if n == nil || name == "" {
		return name, nil
	}
	rel := path.Clean(name)
	if strings.Contains(name, `\`) || !fs.ValidPath(rel) || rel == "." {
		d.errorf(n, "spec.ics", "%q must be a slash-separated path inside the catalog directory", name)
		return name, nil
	}
	data, err := l.read(rel)
	if err != nil {
		d.errorf(n, "spec.ics", "%s: %s", rel, unwrapPath(err))
		return name, nil
	}
	l.files[rel] = data
	schedules, warnings, err := calendar.ParseICSWithWarnings(rel, data)
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			d.errorf(n, "spec.ics", "%s", naming(rel, message(e)))
		}
		return name, nil
	} else if err != nil {
		d.errorf(n, "spec.ics", "%s", naming(rel, message(err)))
		return name, nil
	}
	// ParseICSWithWarnings returns only schedules that pass
	// ValidateSchedule, and refuses a calendar without events. What it
	// skipped is said, without making the catalog invalid.
	for _, w := range warnings {
		l.cat.Warnings = append(l.cat.Warnings, Problem{File: d.file, Line: n.Line, Document: d.id, Field: "spec.ics", Message: w})
	}
	return name, schedules
}

// naming makes sure msg names the file it is about.
func naming(file, msg string) string {
	if strings.Contains(msg, file) {
		return msg
	}
	return file + ": " + msg
}

func (l *loader) decodeTeam(d *doc, name string, at, spec *yaml.Node) {
	o := d.object(at, spec, "spec", "roles", "members", "eligible", "maxElevation")
	t := &andon.Team{Name: name, Roles: []string{}}
	for _, it := range o.list("roles", false) {
		if !slices.Contains(andon.TeamRoles, it.value) {
			msg := "%q is not one of %s"
			if _, ok := andon.IsProcessOwnerRole(it.value); ok {
				msg += "; process owners are named by a BusinessProcess's owners"
			}
			d.errorf(it.node, it.field, msg, it.value, strings.Join(andon.TeamRoles, ", "))
			continue
		}
		t.Roles = append(t.Roles, it.value)
	}
	// A team without members would grant its roles to nobody; as the owner
	// of a process it would leave that process's changes unapprovable.
	members := o.list("members", true)
	for _, it := range members {
		// Named as tokens name them: a member whose name no token can
		// hold would hold the team's roles for nobody.
		if err := andon.CheckUserName(it.value); err != nil {
			d.errorf(it.node, it.field, "%s", andon.ErrorMessage(err))
		}
	}
	t.Members = values(members)
	// The eligible ask for the team's roles for a while, and a standing
	// member approves: a team without members is refused above, as
	// nobody could approve a request.
	for _, it := range o.list("eligible", false) {
		switch err := andon.CheckUserName(it.value); {
		case err != nil:
			d.errorf(it.node, it.field, "%s", andon.ErrorMessage(err))
		case slices.Contains(t.Members, it.value):
			d.errorf(it.node, it.field, "%q is a member, who holds the team's roles standing; list a person in members or in eligible, not both", it.value)
		}
		t.Eligible = append(t.Eligible, it.value)
	}
	if t.Eligible == nil {
		t.Eligible = []string{}
	}
	if v, n := o.str("maxElevation", false); n != nil {
		d2, err := andon.ParseDuration(v)
		switch {
		case err != nil:
			d.errorf(n, "spec.maxElevation", "%v", err)
		case d2 <= 0:
			d.errorf(n, "spec.maxElevation", "%q: a grant lasts some time; give at most %s", v, andon.HumanDuration(andon.MaxElevationLimit))
		case d2 > andon.MaxElevationLimit:
			d.errorf(n, "spec.maxElevation", "%q is longer than %s; a need that lasts is a membership of the team", v, andon.HumanDuration(andon.MaxElevationLimit))
		case len(t.Eligible) == 0:
			d.errorf(n, "spec.maxElevation", "the team lists nobody in eligible, whose grants it would bound")
		default:
			t.MaxElevation = d2
		}
	}
	if name != "" {
		l.cat.Teams = append(l.cat.Teams, t)
	}
}

func (l *loader) decodeWaiver(d *doc, name string, at, spec *yaml.Node) {
	o := d.object(at, spec, "spec", "rule", "selector", "reason", "owner", "expires")
	w := &andon.Waiver{Name: name}
	w.Rule, _ = o.str("rule", true)
	w.Reason, _ = o.str("reason", true)
	w.Owner, _ = o.str("owner", true)
	sel := d.object(o.line("selector"), o.vals["selector"], "spec.selector", "namespaces", "kinds", "names")
	w.Selector = andon.WaiverSelector{
		Namespaces: values(sel.list("namespaces", false)),
		Kinds:      values(sel.list("kinds", false)),
		Names:      values(sel.list("names", false)),
	}
	// A waiver without an end would outlive the reason it was granted
	// for; a date means to the end of that day, in UTC.
	if exp, node := o.str("expires", true); node != nil && exp != "" {
		if t, err := time.Parse(time.DateOnly, exp); err == nil {
			w.Expires = t.AddDate(0, 0, 1)
		} else if t, err := time.Parse(time.RFC3339, exp); err == nil {
			w.Expires = t.UTC()
		} else {
			d.errorf(node, "spec.expires", "%q is not a date (2027-03-31) or an RFC 3339 time", exp)
		}
	}
	if name != "" {
		l.cat.Waivers = append(l.cat.Waivers, w)
	}
}
