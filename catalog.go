package andon

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Level ranks plants and business processes, and names risk tiers.
type Level string

// Levels, from most to least severe.
const (
	LevelCritical Level = "critical"
	LevelHigh     Level = "high"
	LevelMedium   Level = "medium"
	LevelLow      Level = "low"
)

// Levels lists every valid Level, most severe first.
var Levels = []Level{LevelCritical, LevelHigh, LevelMedium, LevelLow}

// Stage is where an environment sits on the way to production.
type Stage string

// Stages of an environment.
const (
	StageDevelopment Stage = "development"
	StageTest        Stage = "test"
	StageStaging     Stage = "staging"
	StageProduction  Stage = "production"
)

// Stages lists every valid Stage.
var Stages = []Stage{StageDevelopment, StageTest, StageStaging, StageProduction}

// Hosting says whether an environment serves one company or several.
type Hosting string

// Hosting kinds.
const (
	HostingDedicated Hosting = "dedicated"
	HostingShared    Hosting = "shared"
)

// WindowType says what a window means for changes.
type WindowType string

// Window types.
const (
	WindowFreeze      WindowType = "freeze"      // no change unless its type is allowed
	WindowMaintenance WindowType = "maintenance" // high and critical changes go here
	WindowPeak        WindowType = "peak"        // informational: the plant is busiest
)

// WindowTypes lists every valid WindowType.
var WindowTypes = []WindowType{WindowFreeze, WindowMaintenance, WindowPeak}

// Roles a Team may grant. The role "process-owner:P" is not granted by Team
// roles but by BusinessProcess.owners.
const (
	RoleChangeManager      = "change-manager"
	RolePlatformAdmin      = "platform-admin"
	RoleEmergencyApprover  = "emergency-approver"
	RoleAuditor            = "auditor"
	RoleProcessOwnerPrefix = "process-owner:"
)

// TeamRoles lists the roles a Team document may grant.
var TeamRoles = []string{RoleChangeManager, RolePlatformAdmin, RoleEmergencyApprover, RoleAuditor}

// ProcessOwnerRole returns the role held by the owners of process p.
func ProcessOwnerRole(p string) string { return RoleProcessOwnerPrefix + p }

// Catalog is the governed estate: plants, business processes, environments,
// windows and teams, as loaded from YAML. A Catalog is immutable once
// loaded; a reload builds a new one.
type Catalog struct {
	Plants       []*Plant           `json:"plants"`
	Processes    []*BusinessProcess `json:"processes"`
	Environments []*Environment     `json:"environments"`
	Windows      []*Window          `json:"windows"`
	Teams        []*Team            `json:"teams"`
	Waivers      []*Waiver          `json:"waivers"`

	// Revision identifies the content: "sha256:" and a digest of the
	// files read, in path order.
	Revision string `json:"revision"`

	// Warnings says what the loader skipped of a valid catalog, located
	// as a problem would be: an event of a window's calendar file that
	// lasts no time, say. Nothing skipped changes what the gate decides.
	Warnings []CatalogProblem `json:"-"`
}

// CatalogProblem is one thing wrong with a catalog, or skipped of it,
// located precisely enough for the author to fix it without searching.
type CatalogProblem struct {
	// File is the path of the YAML file, relative to the catalog directory
	// and slash-separated.
	File string `json:"file"`
	// Line is the 1-based line in File, or 0 when the problem has no line
	// (an unreadable file, a YAML error without a position).
	Line int `json:"line"`
	// Document names the document as "Kind/name", or "document N" (1-based
	// within File) when its kind or name is unknown or invalid.
	Document string `json:"document"`
	// Field is the path of the offending field inside the document, such as
	// "spec.promotesFrom" or "spec.plants[1]"; "" for the document as a
	// whole.
	Field   string `json:"field"`
	Message string `json:"message"`
}

// String formats p as "file:line: Kind/name: field: message", leaving out
// the parts p does not have.
func (p CatalogProblem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	for _, s := range []string{p.Document, p.Field, p.Message} {
		if s != "" {
			if b.Len() > 0 {
				b.WriteString(": ")
			}
			b.WriteString(s)
		}
	}
	return b.String()
}

// Plant is a factory site with its own local time.
type Plant struct {
	Name        string `json:"name"`
	Timezone    string `json:"timezone"`
	Criticality Level  `json:"criticality"`

	// Location is Timezone resolved by the loader.
	Location *time.Location `json:"-"`
}

// BusinessProcess is what the business runs on Odoo, such as production or
// finance, with its recovery objectives.
type BusinessProcess struct {
	Name    string        `json:"name"`
	Tier    Level         `json:"tier"`
	RPO     time.Duration `json:"rpo"`
	RTO     time.Duration `json:"rto"`
	Modules []string      `json:"modules"`
	Owners  []string      `json:"owners"` // Team names
}

// Environment is one Odoo deployment that changes are made to.
type Environment struct {
	Name         string     `json:"name"`
	Stage        Stage      `json:"stage"`
	Hosting      Hosting    `json:"hosting"`
	Plants       []string   `json:"plants"`
	Processes    []string   `json:"processes"`
	PromotesFrom string     `json:"promotesFrom,omitempty"`
	Kubernetes   Kubernetes `json:"kubernetes"`
	Odoo         Odoo       `json:"odoo"`
}

// Kubernetes says where an environment runs.
type Kubernetes struct {
	Cluster   string `json:"cluster,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	// Registries are the image registries its workloads may pull from
	// (host, or host/path prefix); none means any.
	Registries []string `json:"registries,omitempty"`
	// HostPorts are the ports of the node its containers may bind
	// (hostPort), which the manifest policy otherwise refuses.
	HostPorts []int `json:"hostPorts,omitempty"`
}

// MaxLabelLength is the longest DNS-1123 label, and so the longest name of
// a catalog document.
const MaxLabelLength = 63

// IsDNSLabel reports whether s is a DNS-1123 label, the form Kubernetes
// gives namespaces and andon gives names: at most 63 lower case letters,
// digits and '-', starting and ending with a letter or digit. Names end up
// in namespaces, URLs and metric labels.
func IsDNSLabel(s string) bool {
	if len(s) == 0 || len(s) > MaxLabelLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	return true
}

// Odoo describes the Odoo installation of an environment.
type Odoo struct {
	Version string `json:"version,omitempty"`
}

// Window is a span of time, one-off or recurring, during which changes are
// frozen, expected (maintenance) or risky (peak).
type Window struct {
	Name string     `json:"name"`
	Type WindowType `json:"type"`

	// Schedules holds the recurring rules: the one given by "schedule", or
	// one per VEVENT of the file given by "ics".
	Schedules []Schedule `json:"schedules,omitempty"`
	// Once is a single absolute span.
	Once *Span `json:"once,omitempty"`
	// ICS is the path of the calendar file as written in the document,
	// relative to the catalog directory.
	ICS string `json:"ics,omitempty"`

	Selector Selector     `json:"selector"`
	Allow    []ChangeType `json:"allow,omitempty"`
}

// Schedule is a recurring window in the iCalendar model: DTSTART in local
// wall time, an RRULE, exception dates and a duration.
type Schedule struct {
	// Start is the local wall time of the first occurrence, in the layout
	// "2006-01-02T15:04:05" (no offset).
	Start string `json:"start"`
	// RRule is an RFC 5545 recurrence rule without the "RRULE:" prefix; ""
	// means a single occurrence at Start.
	RRule string `json:"rrule,omitempty"`
	// ExDates are local wall times of occurrences to skip, in Start's layout.
	ExDates []string `json:"exdates,omitempty"`
	// Duration is elapsed time: an occurrence lasts exactly that long,
	// whatever the clocks do meanwhile.
	Duration time.Duration `json:"duration"`
	// WallDuration is a length on the wall clock, which calendar files
	// give (an all-day event, DTEND, the days of DURATION) and a
	// catalog's duration in days ("1d") does: an occurrence ends at the
	// wall time WallDuration after its wall start, read in the zone as
	// its start is, and then Duration later. An all-day event, or a
	// window of 1d from midnight, thus lasts from midnight to midnight
	// even when that day has 23 or 25 hours. When it is not whole days,
	// Duration is zero.
	WallDuration time.Duration `json:"wallDuration,omitempty"`
	// Timezone is an IANA name; "" means each environment's plant time zone.
	Timezone string `json:"timezone,omitempty"`
}

// Length is how long an occurrence of s lasts on a day when clocks do
// not change: its length on the wall clock and its elapsed duration.
func (s Schedule) Length() time.Duration { return s.WallDuration + s.Duration }

// WallLayout is the layout of Schedule.Start and Schedule.ExDates.
const WallLayout = "2006-01-02T15:04:05"

// Span is an absolute interval [Start, End).
type Span struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Contains reports whether t lies in [s.Start, s.End).
func (s Span) Contains(t time.Time) bool { return !t.Before(s.Start) && t.Before(s.End) }

// Selector picks the environments a window applies to. Every list that is
// not empty must match; an empty selector matches everything.
type Selector struct {
	Stages       []Stage  `json:"stages,omitempty"`
	Plants       []string `json:"plants,omitempty"`
	Environments []string `json:"environments,omitempty"`
	Processes    []string `json:"processes,omitempty"`
}

// Matches reports whether the selector picks env.
func (s Selector) Matches(env *Environment) bool {
	if len(s.Stages) > 0 && !slices.Contains(s.Stages, env.Stage) {
		return false
	}
	if len(s.Environments) > 0 && !slices.Contains(s.Environments, env.Name) {
		return false
	}
	if len(s.Plants) > 0 && !intersects(s.Plants, env.Plants) {
		return false
	}
	if len(s.Processes) > 0 && !intersects(s.Processes, env.Processes) {
		return false
	}
	return true
}

// Allows reports whether a change of type t may proceed inside w when w is
// a freeze.
func (w *Window) Allows(t ChangeType) bool { return slices.Contains(w.Allow, t) }

// Team groups people and grants them roles.
type Team struct {
	Name    string   `json:"name"`
	Roles   []string `json:"roles"`
	Members []string `json:"members"`
	// Eligible are the people who may ask for the team's roles for a
	// while (just-in-time access, docs/access.md); a standing member
	// approves.
	Eligible []string `json:"eligible"`
	// MaxElevation is the longest such a grant lasts; 0 for
	// DefaultMaxElevation.
	MaxElevation time.Duration `json:"maxElevation"`
}

// Bounds of Team.MaxElevation, the longest a grant of a team's roles
// lasts: a few hours by default, a day at most; a need that lasts longer
// is a membership.
const (
	DefaultMaxElevation = 4 * time.Hour
	MaxElevationLimit   = 24 * time.Hour
)

// MaxElevationOf returns the longest grant of t's roles.
func (t *Team) MaxElevationOf() time.Duration {
	if t.MaxElevation == 0 {
		return DefaultMaxElevation
	}
	return t.MaxElevation
}

// Plant returns the plant named name, or nil.
func (c *Catalog) Plant(name string) *Plant {
	return find(c.Plants, name, func(p *Plant) string { return p.Name })
}

// Process returns the business process named name, or nil.
func (c *Catalog) Process(name string) *BusinessProcess {
	return find(c.Processes, name, func(p *BusinessProcess) string { return p.Name })
}

// Environment returns the environment named name, or nil.
func (c *Catalog) Environment(name string) *Environment {
	return find(c.Environments, name, func(e *Environment) string { return e.Name })
}

// UnknownEnvironment is the message for an environment name that is not
// in the catalog: it suggests the closest names, or lists the catalog's
// environments when there are few and none is close.
func (c *Catalog) UnknownEnvironment(name string) string {
	var names []string
	for _, e := range c.Environments {
		names = append(names, e.Name)
	}
	return unknownName(name, names)
}

// UnknownPlant is the message for a plant name that is not in the
// catalog, as UnknownEnvironment is for an environment's.
func (c *Catalog) UnknownPlant(name string) string {
	var names []string
	for _, p := range c.Plants {
		names = append(names, p.Name)
	}
	return unknownName(name, names)
}

// UnknownProcess is the message for a business process name that is not
// in the catalog, as UnknownEnvironment is for an environment's.
func (c *Catalog) UnknownProcess(name string) string {
	var names []string
	for _, p := range c.Processes {
		names = append(names, p.Name)
	}
	return unknownName(name, names)
}

// unknownName is the message for name, which is none of names: it
// suggests the closest names, or lists names when there are few and none
// is close.
func unknownName(name string, names []string) string {
	msg := fmt.Sprintf("%q is not in the catalog", name)
	close := Closest(name, names)
	switch {
	case len(close) > 0:
		return msg + "; did you mean " + strings.Join(close, " or ") + "?"
	case len(names) > 0 && len(names) <= 12:
		return msg + "; it has " + strings.Join(names, ", ")
	}
	return msg
}

// Resembles reports whether name is likely candidate misspelt: Closest
// would offer it, or name is it with two neighbouring letters swapped
// (treafik, traefik), which an edit distance counts twice.
func Resembles(name, candidate string) bool {
	return len(Closest(name, []string{candidate})) > 0 || swapped(name, candidate)
}

// swapped reports whether a and b differ only by two neighbouring bytes
// swapped.
func swapped(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i+1 < len(a); i++ {
		if a[i] != b[i] {
			return a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
		}
	}
	return false
}

// Closest returns the names among candidates that name is most likely a
// misspelling of: those within an edit distance of a quarter of its
// length (at least 1), ignoring case, in the order given.
func Closest(name string, candidates []string) []string {
	var close []string
	for _, c := range candidates {
		if name != "" && editDistance(strings.ToLower(name), strings.ToLower(c)) <= max(1, len(name)/4) {
			close = append(close, c)
		}
	}
	return close
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		diag := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			diag, row[j] = row[j], min(row[j]+1, row[j-1]+1, diag+cost)
		}
	}
	return row[len(b)]
}

// Window returns the window named name, or nil.
func (c *Catalog) Window(name string) *Window {
	return find(c.Windows, name, func(w *Window) string { return w.Name })
}

// Team returns the team named name, or nil.
func (c *Catalog) Team(name string) *Team {
	return find(c.Teams, name, func(t *Team) string { return t.Name })
}

// Location returns the time zone of env: that of its first plant, or UTC
// for an environment without plants.
func (c *Catalog) Location(env *Environment) *time.Location {
	for _, name := range env.Plants {
		if p := c.Plant(name); p != nil && p.Location != nil {
			return p.Location
		}
	}
	return time.UTC
}

// RolesOf returns the sorted roles user holds: those of the teams listing
// the user as a member, and process-owner:P for every process P owned by
// one of those teams.
func (c *Catalog) RolesOf(user string) []string {
	return c.rolesOfTeams(user, nil)
}

// rolesOfTeams returns the sorted roles of the teams listing user as a
// member and of the teams named in extra, with the process-owner roles of
// the processes those teams own.
func (c *Catalog) rolesOfTeams(user string, extra []string) []string {
	var roles []string
	teams := map[string]bool{}
	for _, t := range c.Teams {
		if slices.Contains(t.Members, user) || slices.Contains(extra, t.Name) {
			teams[t.Name] = true
			roles = append(roles, t.Roles...)
		}
	}
	for _, p := range c.Processes {
		for _, owner := range p.Owners {
			if teams[owner] {
				roles = append(roles, ProcessOwnerRole(p.Name))
				break
			}
		}
	}
	slices.Sort(roles)
	return slices.Compact(roles)
}

// Holders returns the sorted names of the people who hold role.
func (c *Catalog) Holders(role string) []string {
	var holders []string
	for _, u := range c.Users() {
		if slices.Contains(c.RolesOf(u), role) {
			holders = append(holders, u)
		}
	}
	return holders
}

// Users returns the sorted names of everyone listed in a team, as a
// member or as eligible for its roles.
func (c *Catalog) Users() []string {
	var users []string
	for _, t := range c.Teams {
		users = append(users, t.Members...)
		users = append(users, t.Eligible...)
	}
	slices.Sort(users)
	return slices.Compact(users)
}

// ProcessesForModules returns the names of the processes of env, or of the
// whole catalog when env is nil, that list one of modules.
func (c *Catalog) ProcessesForModules(env *Environment, modules []string) []string {
	var names []string
	for _, p := range c.Processes {
		if env != nil && !slices.Contains(env.Processes, p.Name) {
			continue
		}
		if intersects(p.Modules, modules) {
			names = append(names, p.Name)
		}
	}
	return names
}

func find[T any](items []T, name string, key func(T) string) T {
	for _, it := range items {
		if key(it) == name {
			return it
		}
	}
	var zero T
	return zero
}

func intersects[T comparable](a, b []T) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// IsProcessOwnerRole reports whether role is a process-owner role and
// returns the process it names.
func IsProcessOwnerRole(role string) (string, bool) {
	return strings.CutPrefix(role, RoleProcessOwnerPrefix)
}
