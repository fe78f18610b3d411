package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/calendar"
)

// pageSize is the number of changes or entries a listing shows at once.
const pageSize = 50

// changeListView is the data of the list of changes.
type changeListView struct {
	Filter       andon.ChangeFilter
	Changes      []changeRow
	Total        int
	Environments []*andon.Environment
	// Processes are the names of the business processes to filter by:
	// the catalog's, and the one asked for when the catalog no longer
	// holds it, whose changes stay.
	Processes   []string
	States      []andon.State
	Tiers       []andon.Level
	Prev, Next  string // links to the neighbouring pages, or ""
	First, Last int    // the positions, from 1, of the changes shown
	Filtered    bool   // some filter is set
	FilterCount int    // how many filters are set
	MaxCount    int    // a Total this high means at least this many
	// ImageError is the store's refusal of the image filter (a reference
	// not pinned by digest), shown beside the form.
	ImageError string
}

// changeList lists changes with the filters of the query string.
func (h *Handler) changeList(w http.ResponseWriter, r *http.Request) error {
	cat, err := h.catalog()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := andon.ChangeFilter{
		Environment: q.Get("environment"),
		State:       andon.State(q.Get("state")),
		Tier:        andon.Level(q.Get("tier")),
		Requester:   strings.TrimSpace(q.Get("requester")),
		Query:       strings.TrimSpace(q.Get("q")),
		Image:       strings.TrimSpace(q.Get("image")),
		Process:     q.Get("process"),
		Limit:       pageSize,
	}
	if f.State != "" && !slices.Contains(andon.States, f.State) {
		return andon.Errorf(andon.EINVALID, "state: %q is not a state of a change", f.State)
	}
	if f.Tier != "" && !slices.Contains(andon.Levels, f.Tier) {
		return andon.Errorf(andon.EINVALID, "tier: %q is not one of critical, high, medium, low", f.Tier)
	}
	if s := q.Get("offset"); s != "" {
		if f.Offset, err = strconv.Atoi(s); err != nil || f.Offset < 0 {
			return andon.Errorf(andon.EINVALID, "offset: %q is not a number of changes", s)
		}
	}
	v := &changeListView{Filter: f, Environments: cat.Environments, States: andon.States, Tiers: andon.Levels, MaxCount: andon.MaxCount}
	for _, p := range cat.Processes {
		v.Processes = append(v.Processes, p.Name)
	}
	if f.Process != "" && !slices.Contains(v.Processes, f.Process) {
		v.Processes = append(v.Processes, f.Process)
	}
	for _, set := range []bool{f.Environment != "", f.State != "", f.Tier != "", f.Requester != "", f.Query != "", f.Image != "", f.Process != ""} {
		if set {
			v.FilterCount++
		}
	}
	v.Filtered = v.FilterCount > 0
	// The image is the one filter whose form the store judges (a
	// reference pinned by digest): its refusal is shown beside the form,
	// with what was typed, rather than instead of the page. It is judged
	// here, as the store does, so that another refusal of the store (a
	// search of too many words) is not shown as the image's.
	if f.Image != "" {
		if _, err := andon.ParseImage(f.Image); err != nil {
			v.ImageError = andon.ErrorMessage(err)
			return h.render(w, r, http.StatusBadRequest, "changes", v)
		}
	}
	changes, total, err := h.cfg.Changes.FindChanges(r.Context(), f)
	if err != nil {
		return err
	}
	for _, c := range changes {
		v.Changes = append(v.Changes, rowOf(cat, c))
	}
	v.Total = total
	page := func(offset int) string {
		q := url.Values{}
		for k, vals := range r.URL.Query() {
			q[k] = vals
		}
		q.Set("offset", strconv.Itoa(offset))
		return "/changes?" + q.Encode()
	}
	if f.Offset > 0 {
		v.Prev = page(max(0, f.Offset-pageSize))
	}
	if f.Offset+len(changes) < total {
		v.Next = page(f.Offset + pageSize)
	}
	v.First, v.Last = f.Offset+1, f.Offset+len(changes)
	return h.render(w, r, http.StatusOK, "changes", v)
}

// changeForm is the create form's values, kept as typed so that a refused
// form comes back as the user left it.
type changeForm struct {
	Environment, Type, Title, Description string
	Artifacts, Modules, Components        string
	Processes                             []string
	Migration                             bool
	WindowStart, WindowEnd, Duration      string
	RollbackPlan                          string
	// OutsidePeaks asks the suggestion for a slot that overlaps no
	// peak, as andon calendar next --outside-peaks does.
	OutsidePeaks bool
}

// changeNewView is the data of the create form.
type changeNewView struct {
	Form         changeForm
	Catalog      *andon.Catalog
	Types        []andon.ChangeType
	Error        string
	Suggestion   *suggestion // what the "next safe window" button found, or nil
	TimezoneNote string
}

// suggestion is the slot the "next safe window" button found, with the
// peaks it overlaps, and the time zone of the environment's plant, in
// which the page shows them.
type suggestion struct {
	andon.FreeSlot
	Loc          *time.Location
	OutsidePeaks bool // the slot was asked to overlap no peak
}

// formControls are the controls of the create form by the field that
// an error names, as the API names it ("artifacts[0]: …",
// "window.start: …") or the form reads it ("window start: …"): the
// error is said again beside the control, which has the focus.
var formControls = map[string]string{
	"environment":      "environment",
	"type":             "type",
	"title":            "title",
	"description":      "description",
	"artifacts":        "artifacts",
	"facts.modules":    "modules",
	"facts.components": "components",
	"processes":        "processes",
	"duration":         "duration",
	"window.start":     "windowStart",
	"window start":     "windowStart",
	"window.end":       "windowEnd",
	"window end":       "windowEnd",
	"window":           "windowEnd", // "end … is not after start …"
	"rollbackPlan":     "rollbackPlan",
}

// Invalid is the id of the control of the create form that the error
// names, or "" when it names none (a refusal of the policy).
func (v *changeNewView) Invalid() string { return invalidControl(v.Error, formControls) }

// ControlAttrs are the attributes of the control id that say it was
// refused, when it was, and what describes it: the refusal beside it
// (id-refusal) and hint, its hint's id, or "".
func (v *changeNewView) ControlAttrs(id, hint string) template.HTMLAttr {
	return controlAttrs(v.Invalid() == id, id, hint)
}

// invalidControl is the id of the control of a form that a refusal names
// by its field, in controls, or "" when it names none.
func invalidControl(refusal string, controls map[string]string) string {
	field, _, ok := strings.Cut(refusal, ":")
	if !ok {
		return ""
	}
	if i := strings.IndexByte(field, '['); i >= 0 {
		field = field[:i]
	}
	return controls[field]
}

// controlAttrs are the attributes of the control id that say it was
// refused (invalid) and what describes it: the refusal beside it
// (id-refusal) and hint, its hint's id, or "". The refused control has
// the focus, so that on a phone it is in view.
func controlAttrs(invalid bool, id, hint string) template.HTMLAttr {
	var described []string
	if invalid {
		described = append(described, id+"-refusal")
	}
	if hint != "" {
		described = append(described, hint)
	}
	var b strings.Builder
	if len(described) > 0 {
		fmt.Fprintf(&b, `aria-describedby="%s"`, template.HTMLEscapeString(strings.Join(described, " ")))
	}
	if invalid {
		b.WriteString(` aria-invalid="true" autofocus`)
	}
	return template.HTMLAttr(b.String())
}

// localLayout is the layout of datetime-local inputs.
const localLayout = "2006-01-02T15:04"

// changeNew shows the create form, filled from the query (a link can
// prefill it) or from the form posted by its own button. With suggest=1
// it fills the window with the next safe slot of the environment: the
// first span of the duration inside a maintenance window and outside
// every freeze that stops a change of the form's type (an emergency
// change goes through a freeze that allows it, as the gate lets it).
func (h *Handler) changeNew(w http.ResponseWriter, r *http.Request) error {
	cat, err := h.catalog()
	if err != nil {
		return err
	}
	form := formOf(r.Form)
	if form.Type == "" {
		form.Type = string(andon.ChangeNormal)
	}
	if form.Duration == "" {
		form.Duration = "2h"
	}
	v := &changeNewView{Form: form, Catalog: cat, Types: andon.ChangeTypes}
	status := http.StatusOK
	if r.Form.Get("suggest") != "" {
		if err := h.suggest(r, cat, v); err != nil {
			if andon.ErrorCode(err) == andon.EINTERNAL {
				return err
			}
			v.Error, status = andon.ErrorMessage(err), http.StatusBadRequest
		}
	}
	v.TimezoneNote = timezoneNote(cat, v.Form.Environment)
	return h.render(w, r, status, "change-new", v)
}

// suggest fills v's window with the next safe slot, outside peaks when
// the form asks so, and names the peaks it overlaps: the gate does not
// refuse a change during one, but the plant would rather see none then,
// so the user is told and chooses, as with andon calendar next.
func (h *Handler) suggest(r *http.Request, cat *andon.Catalog, v *changeNewView) error {
	env := cat.Environment(v.Form.Environment)
	if env == nil {
		return andon.Errorf(andon.EINVALID, "environment: choose an environment to find its next safe window")
	}
	d, err := time.ParseDuration(v.Form.Duration)
	if err != nil || d <= 0 {
		return andon.Errorf(andon.EINVALID, "duration: %q is not a duration such as 90m or 2h", v.Form.Duration)
	}
	slot, err := h.cfg.Calendar.NextSlot(r.Context(), env.Name, h.cfg.Now(), d, andon.ChangeType(v.Form.Type), v.Form.OutsidePeaks)
	if err != nil {
		return err
	}
	span := slot.Span
	loc := cat.Location(env)
	v.Form.WindowStart = span.Start.In(loc).Format(localLayout)
	v.Form.WindowEnd = span.End.In(loc).Format(localLayout)
	v.Suggestion = &suggestion{FreeSlot: *slot, Loc: loc, OutsidePeaks: v.Form.OutsidePeaks}
	return nil
}

// timezoneNote says in which time zone the window fields are read.
func timezoneNote(cat *andon.Catalog, envName string) string {
	if env := cat.Environment(envName); env != nil {
		return "Times are local to the environment's plant: " + cat.Location(env).String() + "."
	}
	return "Times are local to the environment's plant."
}

// formOf reads the create form from values.
func formOf(v url.Values) changeForm {
	return changeForm{
		Environment:  v.Get("environment"),
		Type:         v.Get("type"),
		Title:        v.Get("title"),
		Description:  v.Get("description"),
		Artifacts:    v.Get("artifacts"),
		Modules:      v.Get("modules"),
		Components:   v.Get("components"),
		Processes:    v["processes"],
		Migration:    v.Get("migration") != "",
		WindowStart:  v.Get("windowStart"),
		WindowEnd:    v.Get("windowEnd"),
		Duration:     v.Get("duration"),
		OutsidePeaks: v.Get("outsidePeaks") != "",
		RollbackPlan: v.Get("rollbackPlan"),
	}
}

// request builds the ChangeRequest of the form, reading the window in the
// environment's local time.
func (f changeForm) request(cat *andon.Catalog) (*andon.ChangeRequest, error) {
	req := &andon.ChangeRequest{
		Environment:  f.Environment,
		Type:         andon.ChangeType(f.Type),
		Title:        strings.TrimSpace(f.Title),
		Description:  strings.TrimSpace(f.Description),
		Artifacts:    words(f.Artifacts),
		Processes:    f.Processes,
		RollbackPlan: strings.TrimSpace(f.RollbackPlan),
		Facts: andon.Facts{
			Modules:    words(f.Modules),
			Components: words(f.Components),
			Migration:  f.Migration,
		},
	}
	if f.WindowStart == "" && f.WindowEnd == "" {
		return req, nil
	}
	env := cat.Environment(f.Environment)
	if env == nil {
		return nil, andon.Errorf(andon.EINVALID, "environment: %s", cat.UnknownEnvironment(f.Environment))
	}
	loc := cat.Location(env)
	start, err := parseLocal("window start", f.WindowStart, loc)
	if err != nil {
		return nil, err
	}
	end, err := parseLocal("window end", f.WindowEnd, loc)
	if err != nil {
		return nil, err
	}
	req.Window = &andon.Span{Start: start, End: end}
	return req, nil
}

// parseLocal reads the wall time of a datetime-local field in loc. A wall
// time the clocks skip is refused rather than moved; one they repeat is
// the first, earlier instant, as the calendar reads windows.
func parseLocal(field, value string, loc *time.Location) (time.Time, error) {
	w, err := time.Parse(localLayout, value)
	if err != nil {
		return w, andon.Errorf(andon.EINVALID, "%s: %q is not a date and time", field, value)
	}
	// Of two instants with the same wall time, the earlier; a wall time
	// the clocks skip comes back as another.
	t := calendar.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), 0, loc)
	if t.Format(localLayout) != value {
		return t, andon.Errorf(andon.EINVALID, "%s: %s does not exist in %s: the clocks go forward then; choose a time after the change",
			field, strings.Replace(value, "T", " ", 1), loc)
	}
	return t, nil
}

// words splits a field on commas, spaces and new lines.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// changeCreate creates the change of the form and shows it; a refused
// form comes back with the reason and the values as they were.
func (h *Handler) changeCreate(w http.ResponseWriter, r *http.Request) error {
	cat, err := h.catalog()
	if err != nil {
		return err
	}
	form := formOf(r.PostForm)
	req, err := form.request(cat)
	if err == nil {
		var c *andon.Change
		if c, err = h.cfg.Changes.CreateChange(r.Context(), req); err == nil {
			http.Redirect(w, r, "/changes/"+url.PathEscape(c.ID)+"?done=created", http.StatusSeeOther)
			return nil
		}
	}
	if andon.ErrorCode(err) == andon.EINTERNAL {
		return err
	}
	v := &changeNewView{Form: form, Catalog: cat, Types: andon.ChangeTypes, Error: andon.ErrorMessage(err),
		TimezoneNote: timezoneNote(cat, form.Environment)}
	return h.render(w, r, statusOf(err), "change-new", v)
}

// changeView is the data of a change's page.
type changeView struct {
	Change      *andon.Change
	Loc         *time.Location
	Slots       []slotView
	Transitions []andon.State
	CanDecide   bool
	// ReadOnly is set when the user signed in with a read-only token:
	// the page offers no action (CanDecide, CanReview and Transitions
	// are left empty) and says why.
	ReadOnly bool
	// DecideRefusal says why the user may not decide, when they may not.
	DecideRefusal string
	// ApproveRefusal says why a user who may decide may only reject:
	// the slots of their roles are filled (Change.SlotFor).
	ApproveRefusal string
	// Review says whether the signed-in user may give the retrospective
	// review an emergency change owes.
	CanReview bool
	// ReviewOverdue says by how long the review an emergency change owes
	// is overdue, or is "" when it is not.
	ReviewOverdue string
	// StartCheck is what the gate would answer now to the start the
	// user is offered, or nil when none is; StartUnknown says why the
	// gate could not tell, when it could not.
	StartCheck   *andon.StartCheck
	StartUnknown string
	// Frozen are the freezes that stop a pending or approved change
	// during its window, which the gate refuses it in: an approver sees
	// that before approving a change that could not go ahead then.
	Frozen []freezeOver
	// Gate is the gate's decisions about the change, oldest first, each
	// run of consecutive decisions alike as one (gateRuns); Decisions
	// counts the decisions they hold.
	Gate      []gateRun
	Decisions int
	// GateTruncated says the change has more decisions than
	// maxGateDecisions, the latest of which are shown.
	GateTruncated bool
	Entries       []*andon.Entry
	Truncated     bool // more entries than maxChangeEntries
	// EvidenceParts are the exports its history comes in when one does
	// not hold it all, each offered for download; nil when one does.
	EvidenceParts []evidencePart
	Verify        *verifyResult
	Error         string
	Done          string
	// Typed is what was typed in the form a refusal answers (decision,
	// transition or review), given back in it rather than lost.
	Typed typedComment
}

// typedComment is the comment of a refused form and which form it was.
type typedComment struct{ Form, Comment string }

// slotView is one required approval slot: who filled it, or who may.
type slotView struct {
	Role     string
	Filled   []string
	Open     int
	Eligible []string
}

// gateView is one gate decision about the change, from the audit log.
type gateView struct {
	Index   int64
	At      time.Time
	Actor   string
	Image   string
	Allow   bool
	DryRun  bool
	Reasons []andon.Reason
}

// gateRun is one gate decision about the change, or a run of consecutive
// decisions that read alike: the same outcome, image, dry-run flag and
// reason codes. The gate is asked about a change again and again (Argo CD
// at every sync, CI, the admission webhook), and the page says so once,
// with how many times and from when to when, rather than in a wall of
// identical lines. A decision unlike the one before starts a run of its
// own, so an allow between denies stays in view, in order.
type gateRun struct {
	// gateView is the run's last decision: its time is the run's end,
	// its reasons are the run's as last worded (a message may name the
	// time it was asked at).
	gateView
	First  time.Time // when the run's first decision was made
	Count  int       // how many decisions the run holds
	Actors []string  // who asked, each once, in the order they first did
}

// gateRuns joins consecutive decisions alike into runs, keeping their order.
func gateRuns(decisions []gateView) []gateRun {
	var runs []gateRun
	for _, d := range decisions {
		if n := len(runs); n > 0 && alike(runs[n-1].gateView, d) {
			r := &runs[n-1]
			r.gateView, r.Count = d, r.Count+1
			if !slices.Contains(r.Actors, d.Actor) {
				r.Actors = append(r.Actors, d.Actor)
			}
			continue
		}
		runs = append(runs, gateRun{gateView: d, First: d.At, Count: 1, Actors: []string{d.Actor}})
	}
	return runs
}

// alike reports whether two gate decisions say the same: the same
// outcome for the same image, both dry runs or neither, with the same
// reason codes (their messages may differ in the times they name).
func alike(a, b gateView) bool {
	return a.Allow == b.Allow && a.Image == b.Image && a.DryRun == b.DryRun && slices.Equal(reasonCodes(a), reasonCodes(b))
}

// reasonCodes returns the codes of d's reasons, sorted.
func reasonCodes(d gateView) []string {
	codes := make([]string, len(d.Reasons))
	for i, r := range d.Reasons {
		codes[i] = r.Code
	}
	slices.Sort(codes)
	return codes
}

// maxChangeEntries bounds the audit entries a change's page shows; the
// audit page lists them all.
const maxChangeEntries = 500

// maxGateDecisions bounds the gate decisions a change's page shows, the
// latest; the audit page lists them all.
const maxGateDecisions = 500

// doneMessages are the confirmations shown after a successful form.
var doneMessages = map[string]string{
	"created":  "Change created.",
	"approved": "Your approval is recorded.",
	"rejected": "Your rejection is recorded.",
	// "transition" says the state the change is in now (changeDetail).
	"reviewed": "Your review is recorded.",
}

// changeDetail shows a change.
func (h *Handler) changeDetail(w http.ResponseWriter, r *http.Request) error {
	v, err := h.changeView(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	v.Done = doneMessages[r.URL.Query().Get("done")]
	if r.URL.Query().Get("done") == "transition" {
		v.Done = "The change is now " + stateLabels[v.Change.State] + "."
	}
	return h.render(w, r, http.StatusOK, "change", v)
}

// changeView gathers everything the page of change id shows.
func (h *Handler) changeView(r *http.Request, id string) (*changeView, error) {
	ctx := r.Context()
	c, err := h.cfg.Changes.FindChangeByID(ctx, id)
	if err != nil {
		return nil, err
	}
	cat, err := h.catalog()
	if err != nil {
		return nil, err
	}
	v := &changeView{Change: c, Loc: time.UTC}
	if env := cat.Environment(c.Environment); env != nil {
		v.Loc = cat.Location(env)
	}
	user := andon.UserFromContext(ctx)
	// Who could still approve: everyone but the requester and those who
	// already did, with their roles, looked up once for every slot; and
	// nobody once the change is no longer pending (rejected, cancelled),
	// whose open slots stay open for good.
	type candidate struct {
		name  string
		roles []string
	}
	var candidates []candidate
	for _, u := range cat.Users() {
		if u != c.Requester && !approved(c, u) {
			candidates = append(candidates, candidate{u, cat.RolesOf(u)})
		}
	}
	for _, slot := range c.Slots() {
		s := slotView{Role: slot.Role, Filled: slot.Approved, Open: max(0, slot.Count-len(slot.Approved))}
		if s.Open > 0 && c.State == andon.StatePending {
			for _, u := range candidates {
				if slices.Contains(u.roles, slot.Role) {
					s.Eligible = append(s.Eligible, u.name)
				}
			}
		}
		v.Slots = append(v.Slots, s)
	}
	if user != nil && user.ReadOnly {
		// What the user's roles would allow, a read-only token does not:
		// the page offers nothing that the form's POST would refuse.
		v.ReadOnly, user = true, nil
	}
	if user != nil {
		// Whoever may approve may reject (a slot's role, open or not),
		// and someone who holds no open slot may still reject.
		if err := c.CanReject(user.Name, user.Roles); err != nil {
			v.DecideRefusal = andon.ErrorMessage(err)
		} else {
			v.CanDecide = true
			if _, err := c.SlotFor(user.Name, user.Roles, cat.Holders); err != nil {
				v.ApproveRefusal = andon.ErrorMessage(err)
			}
		}
		v.CanReview = c.CanReview(user.Name, user.Roles) == nil
	}
	if c.ReviewDue != nil && c.Review == nil {
		if late := h.cfg.Now().Sub(*c.ReviewDue); late > 0 {
			v.ReviewOverdue = andon.HumanDuration(late)
		}
	}
	for _, to := range andon.States {
		if user != nil && c.MayMove(user.Name, user.Roles) && andon.CanTransition(c.State, to) {
			v.Transitions = append(v.Transitions, to)
		}
	}
	if (c.State == andon.StatePending || c.State == andon.StateApproved) && cat.Environment(c.Environment) != nil {
		if v.Frozen, err = h.freezesOver(ctx, c); err != nil {
			return nil, err
		}
	}
	if slices.Contains(v.Transitions, andon.StateImplementing) {
		// Start asks the gate; the page asks it first, so that a refusal
		// is not a surprise of the click. The click asks again.
		check, err := h.cfg.Changes.CheckStart(ctx, c.ID)
		var fault *andon.Fault
		switch {
		case err == nil:
			v.StartCheck = check
		case errors.As(err, &fault) || andon.ErrorCode(err) != andon.EINTERNAL:
			// A policy that fails to decide says so, and leaves the rest
			// of the page worth showing; so does a change that moved
			// since it was read.
			v.StartUnknown = andon.ErrorMessage(err)
		default:
			return nil, err
		}
	}
	entries, err := h.cfg.Audit.FindEntries(ctx, andon.AuditFilter{Change: c.ID, After: -1, Limit: maxChangeEntries + 1})
	if err != nil {
		return nil, err
	}
	v.Truncated = len(entries) > maxChangeEntries
	v.Entries = entries[:min(len(entries), maxChangeEntries)]
	// The gate's decisions are read on their own, the latest of them: on
	// a busy change they are most of its entries, and the latest are
	// what an operator looks for.
	gates, err := h.cfg.Audit.FindEntries(ctx, andon.AuditFilter{Change: c.ID, Type: andon.EventGateDecision, After: -1, Limit: maxGateDecisions + 1, Newest: true})
	if err != nil {
		return nil, err
	}
	if len(gates) > maxGateDecisions {
		gates, v.GateTruncated = gates[1:], true
	}
	decisions := make([]gateView, len(gates))
	for i, e := range gates {
		decisions[i] = gateOf(e)
	}
	v.Gate, v.Decisions = gateRuns(decisions), len(decisions)
	if h.cfg.EvidenceParts != nil {
		lasts, err := h.cfg.EvidenceParts(ctx, andon.AuditFilter{Change: c.ID, After: -1})
		if err != nil {
			return nil, err
		}
		if len(lasts) > 1 {
			v.EvidenceParts = evidenceParts(c.ID, lasts)
		}
	}
	return v, nil
}

// approved reports whether user already approved c.
func approved(c *andon.Change, user string) bool {
	return slices.ContainsFunc(c.Approvals, func(a andon.Approval) bool { return a.Approver == user })
}

// gateOf reads a gate decision from its audit entry.
func gateOf(e *andon.Entry) gateView {
	var data struct {
		Request andon.GateRequest `json:"request"`
		Allow   bool              `json:"allow"`
		Reasons []andon.Reason    `json:"reasons"`
		DryRun  bool              `json:"dryRun"`
	}
	_ = json.Unmarshal(e.Data, &data)
	return gateView{Index: e.Index, At: e.Time, Actor: e.Actor, Image: data.Request.Image,
		Allow: data.Allow, DryRun: data.DryRun, Reasons: data.Reasons}
}

// changeDecide records the signed-in user's approval or rejection. A
// rejection ends the change for good, so it first leads to the page that
// asks to confirm it (changeConfirm), whose form posts here again with
// confirm=yes; a comment the store would refuse (none: a rejection needs
// a reason) is refused before it is asked. A refusal (segregation of
// duties, a filled slot) is shown on the change's page with its reason.
func (h *Handler) changeDecide(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	verdict := andon.Verdict(r.PostFormValue("verdict"))
	if verdict != andon.Approve && verdict != andon.Reject {
		return andon.Errorf(andon.EINVALID, "verdict: %q is not approve or reject", verdict)
	}
	comment := strings.TrimSpace(r.PostFormValue("comment"))
	if verdict == andon.Reject && r.PostFormValue("confirm") != "yes" {
		if err := andon.CheckDecisionComment(verdict, comment); err != nil {
			return h.refused(w, r, id, err)
		}
		return h.askToConfirm(w, r, id, andon.StateRejected, r.PostFormValue("comment"))
	}
	if verdict == andon.Reject {
		h.clearDraft(w, id)
	}
	done := "approved"
	if verdict == andon.Reject {
		done = "rejected"
	}
	if _, err := h.cfg.Changes.Decide(r.Context(), id, verdict, comment); err != nil {
		if !h.decidedAlready(r, id, verdict, comment) {
			return h.refused(w, r, id, err)
		}
	}
	http.Redirect(w, r, "/changes/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
	return nil
}

// decidedAlready reports whether the signed-in user's decision on change
// id, refused, is one they already recorded: the same verdict with the
// same comment. A double tap on Approve posts the form twice, and the
// browser shows the answer to the second, which the store refuses (one
// person fills one slot): that answer says the decision is recorded, as
// the first's did, rather than show a refusal of what was done.
func (h *Handler) decidedAlready(r *http.Request, id string, verdict andon.Verdict, comment string) bool {
	user := andon.UserFromContext(r.Context())
	c, err := h.cfg.Changes.FindChangeByID(r.Context(), id)
	if err != nil || user == nil {
		return false
	}
	return slices.ContainsFunc(c.Approvals, func(a andon.Approval) bool {
		return a.Approver == user.Name && a.Verdict == verdict && a.Comment == comment
	})
}

// movedAlready reports whether change id is in state to because the
// signed-in user moved it there with comment, in its latest transition:
// the same form posted twice (a double tap on Start, or on Confirm), whose
// second post the lifecycle refuses. That answer says where the change
// is, as the first's did.
func (h *Handler) movedAlready(r *http.Request, id string, to andon.State, comment string) bool {
	user := andon.UserFromContext(r.Context())
	c, err := h.cfg.Changes.FindChangeByID(r.Context(), id)
	if err != nil || user == nil || c.State != to {
		return false
	}
	last, err := h.cfg.Audit.FindEntries(r.Context(), andon.AuditFilter{Change: c.ID, Type: andon.EventChangeTransition, After: -1, Limit: 1, Newest: true})
	if err != nil || len(last) != 1 || last[0].Actor != user.Name {
		return false
	}
	var data struct {
		To      andon.State `json:"to"`
		Comment string      `json:"comment"`
	}
	return json.Unmarshal(last[0].Data, &data) == nil && data.To == to && data.Comment == comment
}

// endings are what ends a change short of completing it, which cannot be
// undone, and asks to be confirmed: a rejection, and the transitions to
// cancelled, failed and rolled back. Each names the action, on the
// change's ID ("Cancel CHG-12", asked with a question mark and the label
// of the button that confirms), and what it does after "can no longer".
var endings = map[andon.State]struct{ action, verb string }{
	andon.StateRejected:   {"Reject %s", "be rejected"},
	andon.StateCancelled:  {"Cancel %s", "be cancelled"},
	andon.StateFailed:     {"Mark %s failed", "be marked failed"},
	andon.StateRolledBack: {"Mark %s rolled back", "be marked rolled back"},
}

// mayEnd reports whether a change in state from may still end in to: a
// pending change may be rejected (by a decision, not a transition), and
// the lifecycle's transitions say the rest.
func mayEnd(from, to andon.State) bool {
	if to == andon.StateRejected {
		return from == andon.StatePending
	}
	return andon.CanTransition(from, to)
}

// confirmView is the data of the page that asks to confirm an ending.
type confirmView struct {
	Change   *andon.Change
	To       andon.State
	Question string
	// Action names what the confirming button does: the question, said.
	Action string
	// Comment is what was typed in the form of the rejection or the
	// transition, posted with the confirmation.
	Comment string
	// Moot says why there is nothing left to confirm: the change has
	// moved to a state the ending cannot follow (its page was left open,
	// or the browser went back to this one after confirming).
	Moot string
}

// changeTransition moves the change to the state of the button pressed.
// An ending (cancel, fail, roll back) first leads to the page that asks to
// confirm it (changeConfirm), whose form posts here again with
// confirm=yes; the service refuses what it always refused when the
// confirmation is posted.
func (h *Handler) changeTransition(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	to := andon.State(r.PostFormValue("to"))
	if _, ending := endings[to]; ending && to != andon.StateRejected {
		if r.PostFormValue("confirm") != "yes" {
			return h.askToConfirm(w, r, id, to, r.PostFormValue("comment"))
		}
		h.clearDraft(w, id)
	}
	comment := strings.TrimSpace(r.PostFormValue("comment"))
	if _, err := h.cfg.Changes.Transition(r.Context(), id, to, comment); err != nil {
		if !h.movedAlready(r, id, to, comment) {
			return h.refused(w, r, id, err)
		}
	}
	http.Redirect(w, r, "/changes/"+url.PathEscape(id)+"?done=transition", http.StatusSeeOther)
	return nil
}

// changeConfirm asks to confirm an ending of the change, whose form posts
// the decision (a rejection) or the transition. It is a page of its own,
// got rather than posted, so that the browser's Back and Forward reach it
// again without offering to send a form once more; reached after the
// change has moved on, it says so and offers no Confirm. The comment typed
// comes in the draft cookie (askToConfirm), never in the address. It works
// without scripts.
func (h *Handler) changeConfirm(w http.ResponseWriter, r *http.Request) error {
	id, to := r.PathValue("id"), andon.State(r.URL.Query().Get("to"))
	return h.confirmPage(w, r, id, to, h.draft(r, id, to))
}

// confirmPage shows the page that asks to confirm ending change id in to,
// its form carrying comment.
func (h *Handler) confirmPage(w http.ResponseWriter, r *http.Request, id string, to andon.State, comment string) error {
	end, ending := endings[to]
	if !ending {
		return andon.Errorf(andon.EINVALID, "to: %q is not rejected, cancelled, failed or rolled-back, the endings that ask to be confirmed", to)
	}
	c, err := h.cfg.Changes.FindChangeByID(r.Context(), id)
	if err != nil {
		return err
	}
	action := fmt.Sprintf(end.action, c.ID)
	v := &confirmView{Change: c, To: to, Question: action + "?", Action: action, Comment: comment}
	if !mayEnd(c.State, to) {
		v.Moot = fmt.Sprintf("%s is now %s and can no longer %s: there is nothing to confirm.",
			c.ID, stateLabels[c.State], end.verb)
	}
	return h.render(w, r, http.StatusOK, "change-confirm", v)
}

// changeReview records the signed-in user's retrospective review of an
// emergency change.
func (h *Handler) changeReview(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	comment := strings.TrimSpace(r.PostFormValue("comment"))
	if _, err := h.cfg.Changes.ReviewChange(r.Context(), id, comment); err != nil {
		if !h.reviewedAlready(r, id, comment) {
			return h.refused(w, r, id, err)
		}
	}
	http.Redirect(w, r, "/changes/"+url.PathEscape(id)+"?done=reviewed", http.StatusSeeOther)
	return nil
}

// reviewedAlready reports whether the signed-in user already gave the
// retrospective review of change id with comment: the review's form
// posted twice.
func (h *Handler) reviewedAlready(r *http.Request, id, comment string) bool {
	user := andon.UserFromContext(r.Context())
	c, err := h.cfg.Changes.FindChangeByID(r.Context(), id)
	return err == nil && user != nil && c.Review != nil && c.Review.Approver == user.Name && c.Review.Comment == comment
}

// refused shows the change's page again with the reason a form was
// refused, with the status the API would give.
func (h *Handler) refused(w http.ResponseWriter, r *http.Request, id string, refusal error) error {
	if andon.ErrorCode(refusal) == andon.EINTERNAL || andon.ErrorCode(refusal) == andon.ENOTFOUND {
		return refusal
	}
	v, err := h.changeView(r, id)
	if err != nil {
		return err
	}
	v.Error = andon.ErrorMessage(refusal)
	v.Typed = typedComment{Form: path.Base(r.URL.Path), Comment: r.PostFormValue("comment")}
	return h.render(w, r, statusOf(refusal), "change", v)
}
