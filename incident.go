package andon

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Incident states.
const (
	IncidentOpen     = "open"
	IncidentResolved = "resolved"
)

// Incident sources: who opened it.
const (
	// SourceAPI is an incident opened by a person or a tool through the
	// API (andon incident open): the andon cord.
	SourceAPI = "api"
	// SourceAlertmanager is an incident opened by an alert of
	// Prometheus's Alertmanager.
	SourceAlertmanager = "alertmanager"
)

// Incident is something going wrong at a plant that stops changes from
// going ahead, as a pulled andon cord stops the line: while it is open,
// the gate gives it to the policy for every environment in its scope, and
// the default policy lets only emergency changes through an open critical
// one. Anyone may open one; it stays open until it is resolved.
type Incident struct {
	ID       string `json:"id"`
	Severity Level  `json:"severity"`
	Title    string `json:"title"`
	State    string `json:"state"`
	// Scope says which environments it stops.
	Scope IncidentScope `json:"scope"`
	// Link points to the incident in the tool that tracks it, or to the
	// alert's source.
	Link   string `json:"link,omitempty"`
	Source string `json:"source"`
	// OpenedBy and OpenedAt are who opened it, or opened it again, and
	// when.
	OpenedBy string    `json:"openedBy"`
	OpenedAt time.Time `json:"openedAt"`
	// ResolvedBy, ResolvedAt and Comment are set once it is resolved.
	ResolvedBy string     `json:"resolvedBy,omitempty"`
	ResolvedAt *time.Time `json:"resolvedAt,omitempty"`
	Comment    string     `json:"comment,omitempty"`
}

// IncidentScope is what an incident stops: the environments named, those
// serving one of the plants named, those running one of the business
// processes named, and those in one of the Kubernetes namespaces named;
// or every environment when Global. An incident that names nothing and is
// not global is refused.
type IncidentScope struct {
	Global       bool     `json:"global,omitempty"`
	Plants       []string `json:"plants,omitempty"`
	Processes    []string `json:"processes,omitempty"`
	Environments []string `json:"environments,omitempty"`
	// Namespaces are Kubernetes namespaces, each with the cluster it is
	// in when the alert named one ("cluster/namespace"), or alone.
	Namespaces []string `json:"namespaces,omitempty"`
}

// Empty reports whether s names nothing and is not global.
func (s IncidentScope) Empty() bool {
	return !s.Global && len(s.Plants) == 0 && len(s.Processes) == 0 && len(s.Environments) == 0 && len(s.Namespaces) == 0
}

// Affects reports whether an incident of scope s stops changes to env.
func (s IncidentScope) Affects(env *Environment) bool {
	if s.Global || slices.Contains(s.Environments, env.Name) {
		return true
	}
	for _, p := range env.Plants {
		if slices.Contains(s.Plants, p) {
			return true
		}
	}
	for _, p := range env.Processes {
		if slices.Contains(s.Processes, p) {
			return true
		}
	}
	ns := env.Kubernetes.Namespace
	if ns == "" {
		return false
	}
	for _, n := range s.Namespaces {
		cluster, name, ok := strings.Cut(n, "/")
		if !ok {
			name, cluster = cluster, ""
		}
		if name == ns && (cluster == "" || env.Kubernetes.Cluster == "" || cluster == env.Kubernetes.Cluster) {
			return true
		}
	}
	return false
}

// Stops reports whether i stops every change to env but an emergency
// one, as the default gate policy's INCIDENT_OPEN reads it: an open
// critical incident whose scope takes in a production environment. The
// board and the command line say so with it; the policy decides.
func (i *Incident) Stops(env *Environment) bool {
	return i.State == IncidentOpen && i.Severity == LevelCritical && env.Stage == StageProduction && i.Scope.Affects(env)
}

// CanResolve reports whether user, holding roles, may resolve i: whoever
// opened it, a change manager or a platform admin. The store refuses the
// others; the board offers them no form.
func (i *Incident) CanResolve(user string, roles []string) error {
	if user == i.OpenedBy || slices.Contains(roles, RoleChangeManager) || slices.Contains(roles, RolePlatformAdmin) {
		return nil
	}
	return Errorf(EFORBIDDEN, "%s may not resolve incident %s: whoever opened it (%s), a change manager or a platform admin may", user, i.ID, i.OpenedBy)
}

// String says what s stops, for messages and tables.
func (s IncidentScope) String() string {
	if s.Global {
		return "every environment"
	}
	var parts []string
	add := func(what string, names []string) {
		if len(names) > 0 {
			parts = append(parts, what+" "+strings.Join(names, ", "))
		}
	}
	add("plants", s.Plants)
	add("processes", s.Processes)
	add("environments", s.Environments)
	add("namespaces", s.Namespaces)
	return strings.Join(parts, "; ")
}

// Check checks s against cat: every name must be in the catalog, and a
// scope must name something unless it is global. field is where s is.
func (s IncidentScope) Check(field string, cat *Catalog) error {
	if s.Empty() {
		return Errorf(EINVALID, "%s: names no plant, process, environment or namespace; an incident that stops every environment says global", field)
	}
	if s.Global && !(IncidentScope{Plants: s.Plants, Processes: s.Processes, Environments: s.Environments, Namespaces: s.Namespaces}).Empty() {
		return Errorf(EINVALID, "%s: global takes in every environment, and names %s besides: give either", field, IncidentScope{Plants: s.Plants, Processes: s.Processes, Environments: s.Environments, Namespaces: s.Namespaces})
	}
	for _, p := range s.Plants {
		if cat.Plant(p) == nil {
			return Errorf(EINVALID, "%s.plants: %s", field, cat.UnknownPlant(p))
		}
	}
	for _, p := range s.Processes {
		if cat.Process(p) == nil {
			return Errorf(EINVALID, "%s.processes: %s", field, cat.UnknownProcess(p))
		}
	}
	for _, e := range s.Environments {
		if cat.Environment(e) == nil {
			return Errorf(EINVALID, "%s.environments: %s", field, cat.UnknownEnvironment(e))
		}
	}
	for _, n := range s.Namespaces {
		cluster, name, ok := strings.Cut(n, "/")
		if !ok {
			name, cluster = cluster, ""
		}
		if !IsDNSLabel(name) || (ok && (cluster == "" || strings.ContainsAny(cluster, "/ "))) {
			return Errorf(EINVALID, "%s.namespaces: %q is not a namespace, or a cluster and a namespace as cluster/namespace", field, n)
		}
		if !namespaceGoverned(cat, n) {
			return Errorf(EINVALID, "%s.namespaces: no environment of the catalog runs in namespace %q", field, n)
		}
	}
	return nil
}

// namespaceGoverned reports whether an environment of cat runs in the
// namespace n ("cluster/namespace" or "namespace").
func namespaceGoverned(cat *Catalog, n string) bool {
	scope := IncidentScope{Namespaces: []string{n}}
	for _, env := range cat.Environments {
		if scope.Affects(env) {
			return true
		}
	}
	return false
}

// MaxIncidentID is the longest ID an incident may be given: the IDs of
// incident trackers (INC0012345, OPS-1234) and Alertmanager's
// fingerprints are far shorter.
const MaxIncidentID = 64

// IncidentRequest opens an incident, or opens again one resolved.
type IncidentRequest struct {
	// ID is the incident's ID in the tool that tracks it (INC-7); empty,
	// andon gives it one (INC-1, INC-2, ...).
	ID       string        `json:"id,omitempty"`
	Title    string        `json:"title"`
	Severity Level         `json:"severity"`
	Scope    IncidentScope `json:"scope"`
	Link     string        `json:"link,omitempty"`
}

// Validate checks what can be checked without the catalog, and drops
// the names its scope repeats.
func (r *IncidentRequest) Validate() error {
	for _, names := range []*[]string{&r.Scope.Plants, &r.Scope.Processes, &r.Scope.Environments, &r.Scope.Namespaces} {
		*names = uniq(*names)
	}
	if r.ID != "" {
		if err := CheckIncidentID(r.ID); err != nil {
			return err
		}
	}
	if IsBlank(r.Title) {
		return Errorf(EINVALID, "title: required: say what is wrong")
	}
	if err := CheckText("title", r.Title, false); err != nil {
		return err
	}
	if !slices.Contains(Levels, r.Severity) {
		return Errorf(EINVALID, "severity: %q is not one of %s", r.Severity, joinLevels())
	}
	if r.Link != "" {
		if err := (Link{Kind: "incident", URL: r.Link}).checkOf("incident", "link"); err != nil {
			return Errorf(EINVALID, "%s", strings.Replace(ErrorMessage(err), "link.url", "link", 1))
		}
	}
	return nil
}

// uniq returns names without the repeats, in their first order.
func uniq(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func joinLevels() string {
	var s []string
	for _, l := range Levels {
		s = append(s, string(l))
	}
	return strings.Join(s, ", ")
}

// CheckIncidentID checks an incident ID given by a person or a tool: one
// to MaxIncidentID letters, digits and . _ - : (INC-7, INC0012345,
// am-1f2e3d4c5b6a7980), so that it reads in a URL path, a table and a
// message as it was given.
func CheckIncidentID(id string) error { return checkID("an incident ID", id, MaxIncidentID) }

// checkID checks the ID of what, given by a person or a tool: one to max
// letters, digits and . _ - :.
func checkID(what, id string, max int) error {
	if id == "" || len(id) > max {
		return Errorf(EINVALID, "id: %q must be 1 to %d characters long", id, max)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return Errorf(EINVALID, "id: %q holds %q at byte %d; %s is letters, digits and . _ - :", id, rune(c), i, what)
		}
	}
	if id == "." || id == ".." {
		return Errorf(EINVALID, "id: %q is not an ID", id)
	}
	return nil
}

// IncidentFilter selects incidents: State "" means both.
type IncidentFilter struct {
	State string
	// Severity keeps the incidents of this severity only; "" keeps all.
	Severity Level
	// Offset skips that many of the incidents that match, in their
	// order, for the next page; Limit keeps at most that many.
	Offset int
	Limit  int
}

// IncidentService opens, resolves and lists incidents. Every opening and
// resolution is recorded in the audit log.
type IncidentService interface {
	// OpenIncident opens an incident for the user in ctx, or opens again
	// a resolved one of the same ID. An open one of the same ID is
	// ECONFLICT.
	OpenIncident(ctx context.Context, req *IncidentRequest) (*Incident, error)
	// ResolveIncident resolves an open incident. Whoever opened it, a
	// change manager or a platform admin may.
	ResolveIncident(ctx context.Context, id, comment string) (*Incident, error)
	FindIncidentByID(ctx context.Context, id string) (*Incident, error)
	// FindIncidents lists incidents, the open ones first, then the
	// others, newest first.
	FindIncidents(ctx context.Context, f IncidentFilter) ([]*Incident, error)
	// ReceiveAlerts applies a notification of Alertmanager's webhook in
	// one transaction: every alert opens, updates or resolves its
	// incident, or none does.
	ReceiveAlerts(ctx context.Context, n *AlertNotification) (*AlertsReceived, error)
}

// AlertNotification is the body Alertmanager's webhook receiver posts
// (version 4): the alerts of one group.
type AlertNotification struct {
	Version     string  `json:"version"`
	Status      string  `json:"status"`
	ExternalURL string  `json:"externalURL"`
	Alerts      []Alert `json:"alerts"`
}

// Alert is one alert of an AlertNotification.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// AlertsReceived says what a notification did, by incident ID.
type AlertsReceived struct {
	Opened   []string `json:"opened"`
	Updated  []string `json:"updated"`
	Resolved []string `json:"resolved"`
	// Unchanged are the firing alerts whose incident was open already as
	// the alert says, the resolved alerts of a resolved incident, and the
	// alerts whose incident a person opened again (theirs to resolve).
	Unchanged []string `json:"unchanged"`
	// Ignored are the firing alerts that concern no environment of the
	// catalog, and the resolved alerts of no incident, each with why.
	Ignored []IgnoredAlert `json:"ignored"`
}

// IgnoredAlert is an alert of a notification that opened nothing.
type IgnoredAlert struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Labels of an alert that andon reads. The andon_ forms win over the
// common ones, so that an alert rule can say what andon should stop
// without renaming labels other receivers read.
var (
	alertPlantLabels       = []string{"andon_plant", "plant"}
	alertProcessLabels     = []string{"andon_process", "process"}
	alertEnvironmentLabels = []string{"andon_environment", "environment"}
	alertSeverityLabels    = []string{"andon_severity", "severity"}
)

// AlertGlobalLabel set to "true" makes an alert's incident stop every
// environment.
const AlertGlobalLabel = "andon_global"

// alertSeverities reads the severities alert rules commonly use as
// levels.
var alertSeverities = map[string]Level{
	"critical": LevelCritical, "page": LevelCritical, "fatal": LevelCritical, "emergency": LevelCritical,
	"high": LevelHigh, "error": LevelHigh, "major": LevelHigh,
	"medium": LevelMedium, "warning": LevelMedium, "minor": LevelMedium,
	"low": LevelLow, "info": LevelLow, "none": LevelLow,
}

// AlertIncident returns the incident request of alert a of notification
// n, the i-th: its ID is "am-" and the alert's fingerprint, its title the
// annotation summary (or the alert's name), its severity and scope read
// from its labels (see docs/incidents.md), checked against cat. Plants,
// processes and environments may be lists separated by commas. An alert
// whose only scope is a namespace in which no environment of cat runs is
// none of andon's: the request is nil, and ignored says why.
func AlertIncident(n *AlertNotification, i int, cat *Catalog) (req *IncidentRequest, ignored string, err error) {
	a := &n.Alerts[i]
	field := fmt.Sprintf("alerts[%d]", i)
	if a.Fingerprint == "" {
		return nil, "", Errorf(EINVALID, "%s.fingerprint: required: Alertmanager gives every alert one", field)
	}
	req = &IncidentRequest{ID: "am-" + a.Fingerprint, Link: a.GeneratorURL}
	if err := CheckIncidentID(req.ID); err != nil {
		return nil, "", Errorf(EINVALID, "%s.fingerprint: %s", field, strings.TrimPrefix(ErrorMessage(err), "id: "))
	}
	name := a.Labels["alertname"]
	req.Title = a.Annotations["summary"]
	if IsBlank(req.Title) {
		req.Title = name
	} else if name != "" && !strings.Contains(req.Title, name) {
		req.Title = name + ": " + req.Title
	}
	if IsBlank(req.Title) {
		return nil, "", Errorf(EINVALID, "%s: has neither the label alertname nor the annotation summary, one of which names an incident", field)
	}
	// A title is one line of text; a summary of several is joined, and the
	// control characters (a terminal's colours, a bidirectional override)
	// that an alert's template let through are spaces: the alert is not
	// refused for its rule's wording, which andon cannot correct.
	req.Title = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if IsControl(r) || IsBidiControl(r) || IsLineSeparator(r) {
			return ' '
		}
		return r
	}, req.Title)), " ")
	if len(req.Title) > MaxLineText {
		req.Title = truncate(req.Title, MaxLineText)
	}
	label, sev := firstLabel(a.Labels, alertSeverityLabels)
	if label == "" {
		return nil, "", Errorf(EINVALID, "%s.labels: has no label severity (or andon_severity); andon reads one of %s", field, alertSeverityNames())
	}
	level, ok := alertSeverities[strings.ToLower(sev)]
	if !ok {
		return nil, "", Errorf(EINVALID, "%s.labels.%s: %q is not a severity andon reads; want one of %s", field, label, sev, alertSeverityNames())
	}
	req.Severity = level
	if g, ok := a.Labels[AlertGlobalLabel]; ok {
		if g != "true" && g != "false" {
			return nil, "", Errorf(EINVALID, "%s.labels.%s: %q is neither true nor false", field, AlertGlobalLabel, g)
		}
		req.Scope.Global = g == "true"
	}
	req.Scope.Plants = labelList(a.Labels, alertPlantLabels)
	req.Scope.Processes = labelList(a.Labels, alertProcessLabels)
	req.Scope.Environments = labelList(a.Labels, alertEnvironmentLabels)
	if ns := a.Labels["namespace"]; ns != "" {
		if cluster := a.Labels["cluster"]; cluster != "" {
			ns = cluster + "/" + ns
		}
		req.Scope.Namespaces = []string{ns}
	}
	if req.Scope.Global {
		// Every environment, whatever else the labels name: an alert
		// carries the labels of its target as well.
		req.Scope = IncidentScope{Global: true}
	}
	if ns := req.Scope.Namespaces; len(ns) == 1 && !namespaceGoverned(cat, ns[0]) {
		req.Scope.Namespaces = nil
		if req.Scope.Empty() {
			return nil, fmt.Sprintf("no environment of the catalog runs in namespace %s", ns[0]), nil
		}
	}
	if req.Scope.Empty() {
		return nil, "", Errorf(EINVALID, "%s.labels: name nothing andon could stop: give the alert a label plant, process, environment or namespace (or andon_plant, andon_process, andon_environment), or %s=\"true\" to stop every environment", field, AlertGlobalLabel)
	}
	if err := req.Scope.Check(field+".labels", cat); err != nil {
		// Named by the label the alert gave, not the scope's field.
		msg := ErrorMessage(err)
		for _, l := range [][2]string{{"plants", labelName(a.Labels, alertPlantLabels)}, {"processes", labelName(a.Labels, alertProcessLabels)},
			{"environments", labelName(a.Labels, alertEnvironmentLabels)}, {"namespaces", "namespace"}} {
			msg = strings.Replace(msg, field+".labels."+l[0]+":", field+".labels."+l[1]+":", 1)
		}
		return nil, "", Errorf(EINVALID, "%s", msg)
	}
	if err := req.Validate(); err != nil {
		return nil, "", Errorf(EINVALID, "%s: %s", field, ErrorMessage(err))
	}
	return req, "", nil
}

func alertSeverityNames() string {
	names := make([]string, 0, len(alertSeverities))
	for n := range alertSeverities {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// firstLabel returns the first of names that labels has, and its value.
func firstLabel(labels map[string]string, names []string) (string, string) {
	for _, n := range names {
		if v, ok := labels[n]; ok {
			return n, v
		}
	}
	return "", ""
}

// labelName returns the first of names that labels has.
func labelName(labels map[string]string, names []string) string {
	name, _ := firstLabel(labels, names)
	return name
}

// labelList returns the names listed in the first of names that labels
// has, separated by commas.
func labelList(labels map[string]string, names []string) []string {
	_, v := firstLabel(labels, names)
	var list []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

// truncate shortens s to at most n bytes, on a rune boundary, with an
// ellipsis.
func truncate(s string, n int) string {
	const ellipsis = "…"
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
