package andon

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ChangeType classifies a change as ITIL does.
type ChangeType string

// Change types.
const (
	ChangeStandard  ChangeType = "standard"  // pre-authorised, routine
	ChangeNormal    ChangeType = "normal"    // assessed and approved
	ChangeEmergency ChangeType = "emergency" // fixes an outage; reviewed afterwards
)

// ChangeTypes lists every valid ChangeType.
var ChangeTypes = []ChangeType{ChangeStandard, ChangeNormal, ChangeEmergency}

// State is where a change is in its lifecycle.
type State string

// Change states.
const (
	StatePending      State = "pending"
	StateApproved     State = "approved"
	StateRejected     State = "rejected"
	StateImplementing State = "implementing"
	StateCompleted    State = "completed"
	StateFailed       State = "failed"
	StateRolledBack   State = "rolled-back"
	StateCancelled    State = "cancelled"
)

// States lists every State in lifecycle order.
var States = []State{StatePending, StateApproved, StateRejected, StateImplementing,
	StateCompleted, StateFailed, StateRolledBack, StateCancelled}

// transitions lists the states reachable from each state by an explicit
// transition request. Approval and rejection are not here: they follow
// from approvals, not from a request.
var transitions = map[State][]State{
	StatePending:      {StateCancelled},
	StateApproved:     {StateImplementing, StateCancelled},
	StateImplementing: {StateCompleted, StateFailed, StateRolledBack},
}

// CanTransition reports whether a change may be moved from one state to
// another by a transition request.
func CanTransition(from, to State) bool { return slices.Contains(transitions[from], to) }

// NextStatesHint says, for a message, which states a change in state from
// can be moved to by a transition request: "; an approved change can
// become implementing or cancelled", or that none can.
func NextStatesHint(from State) string {
	next := transitions[from]
	article := "a"
	if strings.ContainsRune("aeiou", rune(from[0])) {
		article = "an"
	}
	switch {
	case from == StatePending:
		// Decisions move it on, not requests.
		return "; a pending change needs its approvals before it can start, or it can be cancelled"
	case len(next) == 0:
		return fmt.Sprintf("; %s %s change is closed, and no request moves it", article, from)
	case len(next) == 1:
		return fmt.Sprintf("; %s %s change can only become %s", article, from, next[0])
	}
	names := make([]string, len(next))
	for i, s := range next {
		names[i] = string(s)
	}
	return fmt.Sprintf("; %s %s change can become %s or %s", article, from, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// MayMove reports whether user, holding roles, may request transitions
// of c: its requester, a change manager or a platform admin may.
func (c *Change) MayMove(user string, roles []string) bool {
	return user == c.Requester || slices.Contains(roles, RoleChangeManager) || slices.Contains(roles, RolePlatformAdmin)
}

// ShortDuration is d as time.Duration.String writes it, without the zero
// units it keeps: "2h", "1h30m", "25h" rather than "2h0m0s". It reads back
// as the duration flags and fields were given.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ParseDuration reads a Go duration such as "15m" or "2h30m", or a whole
// number of days such as "7d": recovery objectives, windows and token
// lifetimes are often stated in days, which Go durations lack. A negative
// duration is refused.
func ParseDuration(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 64)
		if err != nil || n > uint64(maxDays) {
			return 0, fmt.Errorf("invalid duration %q: use Go units such as 15m or 2h, or whole days such as 7d", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("invalid duration %q: use Go units such as 15m or 2h, or whole days such as 7d", s)
		}
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q must not be negative", s)
	}
	return d, nil
}

// maxDays is the largest number of days a time.Duration holds.
const maxDays = int64(1<<63-1) / int64(24*time.Hour)

// HumanDuration renders d to the minute for people, without zero units:
// "3d 4h", "3d", "5h 20m", "5h", "12m". Messages (an overdue review) and
// the web UI (how far a window is) both use it.
func HumanDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, minutes := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case days > 0:
		return fmt.Sprintf("%dd", days)
	case hours > 0 && minutes > 0:
		return fmt.Sprintf("%dh %dm", hours, minutes)
	case hours > 0:
		return fmt.Sprintf("%dh", hours)
	}
	return fmt.Sprintf("%dm", minutes)
}

// ReviewPeriod is the time an emergency change has, from its implementation,
// to receive its retrospective review.
const ReviewPeriod = 48 * time.Hour

// Change is a request to alter one environment.
type Change struct {
	ID          string     `json:"id"`
	Environment string     `json:"environment"`
	Type        ChangeType `json:"type"`
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	Requester   string     `json:"requester"`
	Artifacts   []string   `json:"artifacts"`
	Facts       Facts      `json:"facts"`
	// Processes are the business processes affected: those the
	// requester names and those whose modules the change touches.
	Processes    []string `json:"processes"`
	Window       *Span    `json:"window,omitempty"`
	RollbackPlan string   `json:"rollbackPlan,omitempty"`
	Links        []Link   `json:"links,omitempty"`

	State State `json:"state"`
	// Risk is the policy's classification, fixed at creation.
	Risk RiskDecision `json:"risk"`
	// Approvals holds the approvals and the rejection given so far.
	Approvals []Approval `json:"approvals"`
	// ReviewDue is set for emergency changes once implementation starts.
	ReviewDue *time.Time `json:"reviewDue,omitempty"`
	Review    *Approval  `json:"review,omitempty"`

	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Facts are what a change touches, the inputs of risk classification.
type Facts struct {
	Modules    []string `json:"modules"`
	Migration  bool     `json:"migration"`
	Components []string `json:"components"` // postgres, redis, traefik, kubernetes, ...
	// What the addons themselves say (andon odoo impact, andon change
	// create --from-git): the phases of the migration scripts the upgrade
	// runs (pre, post, end), whether an access file changed, and the new access rows
	// without a group, which open a model to every user.
	MigrationPhases  []string `json:"migrationPhases,omitempty"`
	SecurityChanged  bool     `json:"securityChanged,omitempty"`
	PublicAccessRows []string `json:"publicAccessRows,omitempty"`
	// Evidence names, for the facts read from the addons, the files that
	// led to each: fact name (migration, securityChanged,
	// publicAccessRows, modules) → module/file paths.
	Evidence map[string][]string `json:"evidence,omitempty"`
}

// Link points from a change to a ticket, pull request or pipeline.
type Link struct {
	Kind string `json:"kind"`
	URL  string `json:"url"`
}

// Approval is one decision of one person on a change: it fills a slot of
// Role, or rejects the change.
type Approval struct {
	Approver string    `json:"approver"`
	Role     string    `json:"role,omitempty"` // the slot filled; "" for a rejection
	Verdict  Verdict   `json:"verdict"`
	Comment  string    `json:"comment,omitempty"`
	At       time.Time `json:"at"`
	// Grant is the ID of the grant of just-in-time access through which
	// the approver held Role, or "" for a role held standing.
	Grant string `json:"grant,omitempty"`
}

// Verdict is an approver's answer.
type Verdict string

// Verdicts.
const (
	Approve Verdict = "approve"
	Reject  Verdict = "reject"
)

// CheckDecisionComment checks the comment of a decision: a rejection ends
// the change, and its requester is owed a reason. The store checks it when
// it records the decision; the board checks it before it asks to confirm
// a rejection that would then be refused.
func CheckDecisionComment(verdict Verdict, comment string) error {
	if verdict == Reject && IsBlank(comment) {
		return Errorf(EINVALID, "comment: a rejection needs a reason")
	}
	return CheckText("comment", comment, true)
}

// ChangeFilter selects changes in a listing. Zero fields match everything.
type ChangeFilter struct {
	Environment string     `json:"environment,omitempty"`
	Type        ChangeType `json:"type,omitempty"`
	State       State      `json:"state,omitempty"`
	Tier        Level      `json:"tier,omitempty"`
	Requester   string     `json:"requester,omitempty"`
	Query       string     `json:"q,omitempty"` // words of the ID, title or description
	// Image, a reference pinned by digest, keeps the changes that carry
	// that image: its repository and digest, whatever the tag, as the
	// gate matches an approved change.
	Image string `json:"image,omitempty"`
	// Process, a business process, keeps the changes that affect it: those
	// that name it, or touch a module that implements it, when opened.
	Process string `json:"process,omitempty"`
	// Link, a URL, keeps the changes one of whose links has exactly that
	// URL: the change a pipeline's run opened, which GitHub's deployment
	// protection requests name by the run. The API does not take it.
	Link string `json:"link,omitempty"`
	// ReviewOwed keeps the emergency changes that owe their retrospective
	// review: implemented, and not reviewed yet, whether the review is
	// due or overdue. They are listed the soonest due (the longest
	// overdue) first, not the newest first. The board's inbox lists them;
	// the API does not take it.
	ReviewOwed bool `json:"reviewOwed,omitempty"`
	// IDs, when not nil, keeps the changes of those IDs alone, at most
	// 1000 of them: the board's inbox reads in one listing the changes
	// its findings name. The API does not take it.
	IDs []string `json:"ids,omitempty"`
	// Before, a change ID, keeps the changes opened before that one: the
	// cursor of a listing's next page, which changes opened meanwhile do
	// not shift as they shift Offset.
	Before string `json:"before,omitempty"`
	Offset int    `json:"offset,omitempty"`
	Limit  int    `json:"limit,omitempty"`
}

// MaxSearchWords bounds the words of a search of changes
// (ChangeFilter.Query), each of which a change must contain: each is a
// condition on every change, and many would make one listing a long scan
// that the database may refuse.
const MaxSearchWords = 16

// MaxCount caps the total a listing of changes reports: counting every
// match of a loose filter among millions of changes would cost more than
// the listing itself. A total of MaxCount means at least that many.
const MaxCount = 10000

// ChangeRequest is what a requester submits to open a change.
type ChangeRequest struct {
	Environment  string     `json:"environment"`
	Type         ChangeType `json:"type"`
	Title        string     `json:"title"`
	Description  string     `json:"description,omitempty"`
	Artifacts    []string   `json:"artifacts,omitempty"`
	Facts        Facts      `json:"facts"`
	Processes    []string   `json:"processes,omitempty"`
	Window       *Span      `json:"window,omitempty"`
	RollbackPlan string     `json:"rollbackPlan,omitempty"`
	Links        []Link     `json:"links,omitempty"`
}

// maxTitle is the longest title of a change, in bytes: a line of a list.
const maxTitle = 500

// Validate checks the request on its own, without the catalog.
func (r *ChangeRequest) Validate() error {
	switch {
	case r.Environment == "":
		return Errorf(EINVALID, "environment: required")
	case !slices.Contains(ChangeTypes, r.Type):
		return Errorf(EINVALID, "type: %q is not one of standard, normal, emergency", r.Type)
	case IsBlank(r.Title):
		return Errorf(EINVALID, "title: required")
	case len(r.Title) > maxTitle:
		return Errorf(EINVALID, "title: %d bytes long, longer than %d; the description takes the rest", len(r.Title), maxTitle)
	case r.Window != nil && r.Window.Start.IsZero():
		return Errorf(EINVALID, "window.start: required")
	case r.Window != nil && r.Window.End.IsZero():
		return Errorf(EINVALID, "window.end: required")
	case r.Window != nil && !r.Window.End.After(r.Window.Start):
		return Errorf(EINVALID, "window: end %s is not after start %s",
			r.Window.End.Format(time.RFC3339), r.Window.Start.Format(time.RFC3339))
	}
	if r.Window != nil {
		if err := CheckTime("window.start", r.Window.Start); err != nil {
			return err
		}
		if err := CheckTime("window.end", r.Window.End); err != nil {
			return err
		}
	}
	// What people type is printed back on terminals and pages: no
	// control characters, which could rewrite what a reader sees, beyond
	// the line breaks and tabs of the longer texts.
	for _, t := range []struct {
		field, text string
		lines       bool
	}{
		{"title", r.Title, false},
		{"description", r.Description, true},
		{"rollbackPlan", r.RollbackPlan, true},
	} {
		if err := CheckText(t.field, t.text, t.lines); err != nil {
			return err
		}
	}
	for i, l := range r.Links {
		if err := l.check(fmt.Sprintf("links[%d]", i)); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		field string
		list  []string
	}{{"facts.modules", r.Facts.Modules}, {"facts.components", r.Facts.Components}} {
		for i, m := range f.list {
			if IsBlank(m) {
				return Errorf(EINVALID, "%s[%d]: empty", f.field, i)
			}
			if err := CheckText(fmt.Sprintf("%s[%d]", f.field, i), m, false); err != nil {
				return err
			}
		}
	}
	for i, c := range r.Facts.Components {
		if err := checkComponent(fmt.Sprintf("facts.components[%d]", i), c); err != nil {
			return err
		}
	}
	for i, a := range r.Artifacts {
		if _, err := ParseImage(a); err != nil {
			return Errorf(EINVALID, "artifacts[%d]: %s", i, ErrorMessage(err))
		}
	}
	for i, p := range r.Facts.MigrationPhases {
		if p := strings.ToLower(strings.TrimSpace(p)); p != "pre" && p != "post" && p != "end" {
			return Errorf(EINVALID, "facts.migrationPhases[%d]: %q is not pre, post or end", i, r.Facts.MigrationPhases[i])
		}
	}
	if err := boundedStrings("facts.publicAccessRows", r.Facts.PublicAccessRows); err != nil {
		return err
	}
	for key, files := range r.Facts.Evidence {
		if !slices.Contains(EvidenceKeys, key) {
			return Errorf(EINVALID, "facts.evidence: %q is not one of %s", key, strings.Join(EvidenceKeys, ", "))
		}
		if err := boundedStrings("facts.evidence."+key, files); err != nil {
			return err
		}
	}
	return nil
}

// KnownComponents are the infrastructure components that andon's default
// risk policy weighs by name (postgres and kubernetes make a production
// change critical) and the others its documentation names. Components are
// open-ended (a plant may name minio or rabbitmq), but a name close to
// one of these is refused by ChangeRequest.Validate: a policy that
// matches names exactly would classify postgress as any other component,
// and a misspelling would lower the tier without a word.
var KnownComponents = []string{"postgres", "kubernetes", "redis", "traefik"}

// componentAliases are other names people give the known components,
// which the policy would not recognise either.
var componentAliases = map[string]string{
	"postgresql": "postgres",
	"pg":         "postgres",
	"pgsql":      "postgres",
	"psql":       "postgres",
	"k8s":        "kubernetes",
	"kube":       "kubernetes",
}

// checkComponent refuses name, given as field, when it is not a known
// component but almost surely means one: another name of it, or its name
// misspelt (within the edit distance that Closest allows, or two letters
// swapped). The message names the component meant.
func checkComponent(field, name string) error {
	n := strings.ToLower(strings.TrimSpace(name))
	if slices.Contains(KnownComponents, n) {
		return nil
	}
	meant, ok := componentAliases[n]
	if !ok {
		for _, k := range KnownComponents {
			if Resembles(n, k) {
				meant, ok = k, true
				break
			}
		}
	}
	if !ok {
		return nil
	}
	return Errorf(EINVALID, "%s: %q looks like %s, which the risk policy knows by that name only; give %s, or, for another component, a name that cannot be taken for it",
		field, name, meant, meant)
}

// The longest texts a person types: a line (a module, a link) and a text
// of lines (a description, a comment). Every page that shows them, and
// every reader of the audit log, pays for their length.
const (
	MaxLineText = 2 << 10
	MaxText     = 64 << 10
)

// CheckText refuses, in text a person typed, which is printed back as it
// is: control characters, of which tabs and line breaks are taken only
// when lines is set; Unicode's line and paragraph separators (U+2028,
// U+2029) in a text of one line, which a terminal, the board, a log or a
// CSV export may break the line at, as they are line breaks of their own;
// the controls that reorder text (an override or an isolate, which make a
// text read otherwise than it was written, the state andon prints after
// it included); and more than MaxLineText bytes, or MaxText with lines.
func CheckText(field, text string, lines bool) error {
	limit := MaxLineText
	if lines {
		limit = MaxText
	}
	if len(text) > limit {
		return Errorf(EINVALID, "%s: %d bytes long, longer than %d", field, len(text), limit)
	}
	i := strings.IndexFunc(text, func(r rune) bool {
		if lines && (r == '\n' || r == '\r' || r == '\t' || IsLineSeparator(r)) {
			return false
		}
		return IsControl(r) || IsBidiControl(r) || IsLineSeparator(r)
	})
	if i < 0 {
		return nil
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	switch {
	case r == '\u2028':
		return Errorf(EINVALID, "%s: holds the line separator %U at byte %d, a line break: it takes one line", field, r, i)
	case r == '\u2029':
		return Errorf(EINVALID, "%s: holds the paragraph separator %U at byte %d, a line break: it takes one line", field, r, i)
	}
	if IsBidiControl(r) {
		return Errorf(EINVALID, "%s: holds the bidirectional control %U at byte %d, which shows text in another order than it was written", field, r, i)
	}
	return Errorf(EINVALID, "%s: holds the control character %U at byte %d", field, r, i)
}

// IsBidiControl reports whether r is a bidirectional embedding, override
// or isolate (U+202A to U+202E, U+2066 to U+2069). The marks U+200E and
// U+200F, which right-to-left writers use, are not.
func IsBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// IsLineSeparator reports whether r is Unicode's line separator (U+2028)
// or paragraph separator (U+2029), which break a line as a line feed does
// in the browsers, editors and spreadsheets that show a text.
func IsLineSeparator(r rune) bool { return r == '\u2028' || r == '\u2029' }

// IsBlank reports whether s shows nothing: white space and invisible
// format characters (a zero-width space) only. A text that must be given
// must not be blank.
func IsBlank(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) }) < 0
}

// IsControl reports whether r is a control character: C0 (tabs and line
// breaks included), DEL or C1. Printed, they can move a terminal's cursor
// or recolour what it shows.
func IsControl(r rune) bool { return r < ' ' || (r >= 0x7f && r < 0xa0) }

// linkSchemes are the schemes of the URLs a link may hold (scheme://…):
// a link is shown to people, who follow it.
var linkSchemes = []string{"http", "https", "ssh", "git", "file"}

// scriptSchemes run what follows them when a link is followed.
var scriptSchemes = []string{"javascript", "vbscript", "data"}

// check checks a link of a change request, at field.
func (l Link) check(field string) error { return l.checkOf("change", field) }

// checkOf checks a link at field of a request to record what (a change,
// an incident, a backup), whose audit entry keeps the link.
func (l Link) checkOf(what, field string) error {
	switch {
	case IsBlank(l.Kind):
		return Errorf(EINVALID, "%s.kind: required (such as ticket or pr)", field)
	case IsBlank(l.URL):
		return Errorf(EINVALID, "%s.url: required", field)
	}
	if err := CheckText(field+".kind", l.Kind, false); err != nil {
		return err
	}
	if err := CheckText(field+".url", l.URL, false); err != nil {
		return err
	}
	// Not every link is a URL: the git range of --from-git is a path, or
	// host:repo, with its range; a ticket may be jira:OPS-1. A URL's
	// scheme is checked, and a scheme that runs code is refused anywhere.
	scheme, rest, _ := strings.Cut(l.URL, ":")
	scheme = strings.ToLower(strings.TrimSpace(scheme))
	switch {
	case slices.Contains(scriptSchemes, scheme):
		return Errorf(EINVALID, "%s.url: a %s: link runs code where it is followed", field, scheme)
	case strings.HasPrefix(rest, "//") && !slices.Contains(linkSchemes, scheme):
		return Errorf(EINVALID, "%s.url: the scheme %q is not one of %s", field, scheme, strings.Join(linkSchemes, ", "))
	case holdsCredentials(gitRange.ReplaceAllString(l.URL, "")):
		return Errorf(EINVALID, "%s.url: holds credentials (a user or password before the host), which the audit entry of the %s would keep for good; give the link without them", field, what)
	}
	return nil
}

// gitRange is the range of commits that andon change create --from-git
// writes after a repository's URL in its link (URL@FROM..TO), which is no
// user information.
var gitRange = regexp.MustCompile(`@[0-9a-f]{7,64}\.\.[0-9a-f]{7,64}$`)

// EvidenceKeys are the facts whose evidence a change may carry.
var EvidenceKeys = []string{"modules", "migration", "securityChanged", "publicAccessRows"}

// Bounds of the lists of strings a change's facts carry from the addons:
// they go into the change, its audit entry and the policy's input.
const (
	MaxFactItems  = 500
	MaxFactLength = 300
)

// boundedStrings checks a list of a change's facts: at most MaxFactItems
// strings of at most MaxFactLength bytes, printable.
func boundedStrings(field string, list []string) error {
	if len(list) > MaxFactItems {
		return Errorf(EINVALID, "%s: %d entries, more than %d", field, len(list), MaxFactItems)
	}
	for i, s := range list {
		switch {
		case len(s) > MaxFactLength:
			return Errorf(EINVALID, "%s[%d]: longer than %d bytes", field, i, MaxFactLength)
		}
		if err := CheckText(fmt.Sprintf("%s[%d]", field, i), s, false); err != nil {
			return err
		}
	}
	return nil
}

// ChangeService manages changes and their approvals. Every method that
// writes appends its audit entry in the same transaction.
type ChangeService interface {
	CreateChange(ctx context.Context, req *ChangeRequest) (*Change, error)
	FindChangeByID(ctx context.Context, id string) (*Change, error)
	// FindChanges returns the changes matching filter, newest first, and
	// the number that match without Offset and Limit, up to MaxCount. A
	// filter whose Before names no change is EINVALID.
	FindChanges(ctx context.Context, filter ChangeFilter) ([]*Change, int, error)
	// Decide records an approval or a rejection by the user in ctx.
	Decide(ctx context.Context, id string, verdict Verdict, comment string) (*Change, error)
	// Transition moves a change to another state on request of the user in ctx.
	Transition(ctx context.Context, id string, to State, comment string) (*Change, error)
	// CheckStart says what the gate would answer now to a start of change
	// id by hand (Transition to implementing) by the user in ctx, without
	// starting it or recording anything. What the start itself would
	// refuse before asking the gate is the error: ENOTFOUND, EFORBIDDEN
	// for a user who may not move the change, ECONFLICT for a change
	// whose state cannot start.
	CheckStart(ctx context.Context, id string) (*StartCheck, error)
	// ReviewChange records the retrospective review of an emergency change.
	ReviewChange(ctx context.Context, id string, comment string) (*Change, error)
	// Findings lists what needs attention, such as overdue emergency
	// reviews; given codes (FindingCodes), only the findings of those
	// codes, the others not looked for.
	Findings(ctx context.Context, codes ...string) ([]Finding, error)
}

// StartCheck is what the gate would answer to a start of a change by
// hand at At: the gate's allow and reasons, as a start asks them. It is a
// preview, true when it was made: the start asks the gate again.
type StartCheck struct {
	Allow   bool     `json:"allow"`
	Reasons []Reason `json:"reasons"`
	// At is the instant the gate was asked about, in whole seconds.
	At time.Time `json:"at"`
}

// Finding codes.
const (
	// FindingReviewOverdue is an emergency change whose retrospective
	// review is overdue.
	FindingReviewOverdue = "REVIEW_OVERDUE"
	// FindingUnapprovable is a pending change that the catalog in force
	// can no longer approve: the teams give its open slots' roles to too
	// few people.
	FindingUnapprovable = "UNAPPROVABLE"
	// FindingWindowEnded is a pending or approved change whose window
	// has ended: the gate and a start by hand refuse it, and an approval
	// of it, for good.
	FindingWindowEnded = "WINDOW_ENDED"
	// FindingEmergencyExpired is an approved emergency change without a
	// window of its own, never deployed, whose approval is older than the
	// emergency validity of the policy in force: the gate refuses it
	// (EMERGENCY_EXPIRED), and so would a start by hand, for good.
	FindingEmergencyExpired = "EMERGENCY_EXPIRED"
	// FindingRestoreTestOverdue is a production environment with a
	// backup recorded and no restore test that passed within
	// RestoreTestPeriod: nothing shows its backups restore.
	FindingRestoreTestOverdue = "RESTORE_TEST_OVERDUE"
	// FindingRTOExceeded is a production environment whose latest passed
	// restore test took longer than the strictest RTO of its processes:
	// a recovery would leave a process down longer than it may be.
	FindingRTOExceeded = "RTO_EXCEEDED"
	// FindingRestoreTestFailed is a production environment whose latest
	// restore test failed: whatever passed before it, its backups may
	// not restore now.
	FindingRestoreTestFailed = "RESTORE_TEST_FAILED"
)

// FindingCodes are the codes of the findings, in the order they are
// listed.
var FindingCodes = []string{FindingReviewOverdue, FindingUnapprovable, FindingWindowEnded, FindingEmergencyExpired,
	FindingRestoreTestOverdue, FindingRTOExceeded, FindingRestoreTestFailed}

// Finding is something an auditor or a change manager must look at.
type Finding struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	ChangeID string `json:"changeId,omitempty"`
	// Environment is the environment a finding of no change is about
	// (RESTORE_TEST_OVERDUE, RTO_EXCEEDED, RESTORE_TEST_FAILED).
	Environment string    `json:"environment,omitempty"`
	Due         time.Time `json:"due,omitzero"`
}
