package web

import (
	"cmp"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/andon-governance/andon"
)

// maxIncidentList is the most incidents /incidents lists, the open ones
// first: the API's most, which andon incident list --limit takes too.
const maxIncidentList = 1000

// maxIncidentEntries bounds the audit entries an incident's page shows;
// the audit page lists them all.
const maxIncidentEntries = 500

// incidentStates are the states the list of incidents filters by.
var incidentStates = []string{andon.IncidentOpen, andon.IncidentResolved}

// incidentListView is the data of the list of incidents.
type incidentListView struct {
	Filter      andon.IncidentFilter
	FilterCount int
	States      []string
	Severities  []andon.Level
	Incidents   []incidentRow
	// More says that more incidents match than are listed.
	More  bool
	Limit int
	// First and Last number the incidents listed among those that
	// match, from 1; Next and Previous are the addresses of the pages
	// after and before, or "" for none.
	First, Last    int
	Next, Previous string
	Catalog        *andon.Catalog
	// Form is the form that opens an incident, as typed when it was
	// refused; Error is the refusal.
	Form  incidentForm
	Error string
}

// incidentForm is the form that opens an incident, kept as typed so that
// a refused form comes back as the user left it.
type incidentForm struct {
	Title, Severity, Link           string
	Global                          bool
	Plants, Processes, Environments []string
}

// incidentControls are the controls of the form that opens an incident by
// the field an error names, as the store names it ("scope.plants: …").
var incidentControls = map[string]string{
	"title":              "title",
	"severity":           "severity",
	"scope":              "plants",
	"scope.plants":       "plants",
	"scope.processes":    "processes",
	"scope.environments": "environments",
	"link":               "link",
}

// Invalid is the id of the control that the refusal names, or "".
func (v *incidentListView) Invalid() string { return invalidControl(v.Error, incidentControls) }

// ControlAttrs are the attributes of control id that say it was refused,
// when it was, and what describes it (see changeNewView.ControlAttrs).
func (v *incidentListView) ControlAttrs(id, hint string) template.HTMLAttr {
	return controlAttrs(v.Invalid() == id, id, hint)
}

// incidents lists the incidents, the open ones first, filtered by state
// and severity, with the form that opens one: the andon cord, which
// anyone may pull.
func (h *Handler) incidents(w http.ResponseWriter, r *http.Request) error {
	v, err := h.incidentList(r)
	if err != nil {
		return err
	}
	v.Form.Severity = string(andon.LevelCritical)
	return h.render(w, r, http.StatusOK, "incidents", v)
}

// incidentList reads the incidents that the query's filters keep.
func (h *Handler) incidentList(r *http.Request) (*incidentListView, error) {
	if h.cfg.Incidents == nil {
		return nil, andon.Errorf(andon.ENOTFOUND, "this server keeps no incidents")
	}
	cat, err := h.catalog()
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	f := andon.IncidentFilter{State: q.Get("state"), Severity: andon.Level(q.Get("severity")), Limit: maxIncidentList + 1}
	if f.State != "" && !slices.Contains(incidentStates, f.State) {
		return nil, andon.Errorf(andon.EINVALID, "state: %q is not open or resolved", f.State)
	}
	if f.Severity != "" && !slices.Contains(andon.Levels, f.Severity) {
		return nil, andon.Errorf(andon.EINVALID, "severity: %q is not one of critical, high, medium, low", f.Severity)
	}
	if s := q.Get("offset"); s != "" {
		if f.Offset, err = strconv.Atoi(s); err != nil || f.Offset < 0 {
			return nil, andon.Errorf(andon.EINVALID, "offset: %q is not a number of incidents to skip", s)
		}
	}
	v := &incidentListView{Filter: f, States: incidentStates, Severities: andon.Levels, Limit: maxIncidentList, Catalog: cat}
	for _, set := range []bool{f.State != "", f.Severity != ""} {
		if set {
			v.FilterCount++
		}
	}
	list, err := h.cfg.Incidents.FindIncidents(r.Context(), f)
	if err != nil {
		return nil, err
	}
	if len(list) > maxIncidentList {
		list, v.More = list[:maxIncidentList], true
	}
	page := func(offset int) string {
		p := url.Values{}
		for k, s := range map[string]string{"state": f.State, "severity": string(f.Severity)} {
			if s != "" {
				p.Set(k, s)
			}
		}
		if offset > 0 {
			p.Set("offset", strconv.Itoa(offset))
		}
		if len(p) == 0 {
			return "/incidents"
		}
		return "/incidents?" + p.Encode()
	}
	if v.More {
		v.Next = page(f.Offset + maxIncidentList)
	}
	if f.Offset > 0 {
		v.Previous = page(max(f.Offset-maxIncidentList, 0))
	}
	v.First, v.Last = f.Offset+1, f.Offset+len(list)
	for _, inc := range list {
		row := incidentRow{Incident: inc}
		for _, env := range cat.Environments {
			if inc.Stops(env) {
				row.Stops = append(row.Stops, env.Name)
			}
		}
		v.Incidents = append(v.Incidents, row)
	}
	return v, nil
}

// incidentRow is an incident of the list, with the environments of the
// catalog it stops now (Incident.Stops).
type incidentRow struct {
	*andon.Incident
	Stops []string
}

// incidentOpen opens the incident of the form and shows it; a refused
// form comes back with the reason beside the field it names and the
// values as they were.
func (h *Handler) incidentOpen(w http.ResponseWriter, r *http.Request) error {
	if h.cfg.Incidents == nil {
		return andon.Errorf(andon.ENOTFOUND, "this server keeps no incidents")
	}
	form := incidentForm{
		Title:        r.PostFormValue("title"),
		Severity:     r.PostFormValue("severity"),
		Link:         strings.TrimSpace(r.PostFormValue("link")),
		Global:       r.PostFormValue("global") != "",
		Plants:       r.PostForm["plants"],
		Processes:    r.PostForm["processes"],
		Environments: r.PostForm["environments"],
	}
	req := &andon.IncidentRequest{Title: strings.TrimSpace(form.Title), Severity: andon.Level(form.Severity), Link: form.Link,
		Scope: andon.IncidentScope{Global: form.Global, Plants: form.Plants, Processes: form.Processes, Environments: form.Environments}}
	var err error
	named := req.Scope
	named.Global = false
	switch {
	// The store's words are the API's ("says global"); the form's are
	// its own controls.
	case req.Scope.Empty():
		err = andon.Errorf(andon.EINVALID, "scope: choose the plants, business processes or environments the incident stops, or tick “Every environment”")
	case req.Scope.Global && !named.Empty():
		err = andon.Errorf(andon.EINVALID, "scope: “Every environment” stops them all, and %s are chosen besides: untick it, or choose none", named)
	default:
		var inc *andon.Incident
		if inc, err = h.cfg.Incidents.OpenIncident(r.Context(), req); err == nil {
			http.Redirect(w, r, "/incidents/"+url.PathEscape(inc.ID)+"?done=opened", http.StatusSeeOther)
			return nil
		}
	}
	if andon.ErrorCode(err) == andon.EINTERNAL {
		return err
	}
	r.URL.RawQuery = ""
	v, lerr := h.incidentList(r)
	if lerr != nil {
		return lerr
	}
	v.Form, v.Error = form, andon.ErrorMessage(err)
	return h.render(w, r, statusOf(err), "incidents", v)
}

// incidentView is the data of an incident's page.
type incidentView struct {
	Incident *andon.Incident
	// Environments are those of the catalog in its scope, each saying
	// whether the incident stops it.
	Environments []incidentEnvironment
	Entries      []*andon.Entry
	Truncated    bool // more entries than maxIncidentEntries
	// CanReopen says whether the user may open it again, once it is
	// resolved: anyone whose session writes, as anyone may open one.
	CanReopen bool
	// CanResolve says whether the user may resolve it, MayNotResolve
	// that it is open and they may not (the store would refuse them);
	// ReadOnly that the session was opened with a read-only token.
	CanResolve    bool
	MayNotResolve bool
	ReadOnly      bool
	Error         string
	Done          string
	// Form is the form a refusal answers (resolve or reopen), beside
	// which it is said again; Comment is the comment of a refused
	// resolution, given back.
	Form, Comment string
}

// incidentEnvironment is an environment in an incident's scope.
type incidentEnvironment struct {
	Name    string
	Stage   andon.Stage
	Stopped bool
}

// incidentDone are the confirmations shown after a successful form.
var incidentDone = map[string]string{
	"opened":   "The incident is open.",
	"resolved": "The incident is resolved.",
	"reopened": "The incident is open again.",
}

// incidentDetail shows an incident.
func (h *Handler) incidentDetail(w http.ResponseWriter, r *http.Request) error {
	v, err := h.incidentView(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	v.Done = incidentDone[r.URL.Query().Get("done")]
	return h.render(w, r, http.StatusOK, "incident", v)
}

// incidentView gathers what the page of incident id shows.
func (h *Handler) incidentView(r *http.Request, id string) (*incidentView, error) {
	if h.cfg.Incidents == nil {
		return nil, andon.Errorf(andon.ENOTFOUND, "this server keeps no incidents")
	}
	ctx := r.Context()
	inc, err := h.cfg.Incidents.FindIncidentByID(ctx, id)
	if err != nil {
		return nil, err
	}
	cat, err := h.catalog()
	if err != nil {
		return nil, err
	}
	v := &incidentView{Incident: inc}
	for _, env := range cat.Environments {
		if inc.Scope.Affects(env) {
			v.Environments = append(v.Environments, incidentEnvironment{Name: env.Name, Stage: env.Stage, Stopped: inc.Stops(env)})
		}
	}
	if user := andon.UserFromContext(ctx); user != nil && inc.State == andon.IncidentResolved {
		v.ReadOnly, v.CanReopen = user.ReadOnly, !user.ReadOnly
	} else if user != nil && inc.State == andon.IncidentOpen {
		switch err := inc.CanResolve(user.Name, user.Roles); {
		case user.ReadOnly:
			v.ReadOnly = true
		case err != nil:
			v.MayNotResolve = true
		default:
			v.CanResolve = true
		}
	}
	// Its entries are those of its events whose subject is its ID: an
	// incident given the name of an environment by its tool shares that
	// subject with the gate's decisions about the environment.
	for _, ev := range []string{andon.EventIncidentOpened, andon.EventIncidentUpdated, andon.EventIncidentResolved} {
		entries, err := h.cfg.Audit.FindEntries(ctx, andon.AuditFilter{Type: ev, Subject: inc.ID, After: -1, Limit: maxIncidentEntries + 1})
		if err != nil {
			return nil, err
		}
		v.Entries = append(v.Entries, entries...)
	}
	slices.SortFunc(v.Entries, func(a, b *andon.Entry) int { return cmp.Compare(a.Index, b.Index) })
	if len(v.Entries) > maxIncidentEntries {
		v.Entries, v.Truncated = v.Entries[:maxIncidentEntries], true
	}
	return v, nil
}

// incidentResolve resolves the incident with the comment of the form. It
// asks for no confirmation, unlike the endings of a change: a resolved
// incident is opened again from its page (incidentReopen), and the
// comment it needs, saying what was done, is the deliberate act a
// confirmation would ask for. A refusal is shown on its page with its
// reason, the comment given back.
func (h *Handler) incidentResolve(w http.ResponseWriter, r *http.Request) error {
	if h.cfg.Incidents == nil {
		return andon.Errorf(andon.ENOTFOUND, "this server keeps no incidents")
	}
	id := r.PathValue("id")
	comment := strings.TrimSpace(r.PostFormValue("comment"))
	inc, err := h.cfg.Incidents.ResolveIncident(r.Context(), id, comment)
	if err != nil {
		if inc = h.resolvedAlready(r, id, comment); inc == nil {
			return h.incidentRefused(w, r, id, err)
		}
	}
	http.Redirect(w, r, "/incidents/"+url.PathEscape(inc.ID)+"?done=resolved", http.StatusSeeOther)
	return nil
}

// resolvedAlready returns incident id when the signed-in user resolved it
// with comment already: the form posted twice (a double tap on Resolve),
// whose second post the store refuses. That answer says it is resolved,
// as the first's did, rather than refuse what was done.
func (h *Handler) resolvedAlready(r *http.Request, id, comment string) *andon.Incident {
	user := andon.UserFromContext(r.Context())
	inc, err := h.cfg.Incidents.FindIncidentByID(r.Context(), id)
	if err != nil || user == nil || inc.State != andon.IncidentResolved || inc.ResolvedBy != user.Name || inc.Comment != comment {
		return nil
	}
	return inc
}

// incidentRefused shows the incident's page again with the reason its
// resolution was refused, with the status the API would give.
func (h *Handler) incidentRefused(w http.ResponseWriter, r *http.Request, id string, refusal error) error {
	if code := andon.ErrorCode(refusal); code == andon.EINTERNAL || code == andon.ENOTFOUND {
		return refusal
	}
	v, err := h.incidentView(r, id)
	if err != nil {
		return err
	}
	v.Error, v.Form, v.Comment = andon.ErrorMessage(refusal), path.Base(r.URL.Path), r.PostFormValue("comment")
	return h.render(w, r, statusOf(refusal), "incident", v)
}

// incidentReopen opens a resolved incident again, as it was: its title,
// severity, scope and link, for the signed-in user, as andon incident
// open --id does. Anyone may, as anyone may open one; it stops again
// what it stopped, which needs no confirmation. The same form posted
// twice is answered as the first was.
func (h *Handler) incidentReopen(w http.ResponseWriter, r *http.Request) error {
	if h.cfg.Incidents == nil {
		return andon.Errorf(andon.ENOTFOUND, "this server keeps no incidents")
	}
	ctx := r.Context()
	inc, err := h.cfg.Incidents.FindIncidentByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	user := andon.UserFromContext(ctx)
	if inc.State == andon.IncidentOpen && user != nil && inc.OpenedBy == user.Name {
		// Opened again by this user, a moment ago: a double tap.
		http.Redirect(w, r, "/incidents/"+url.PathEscape(inc.ID)+"?done=reopened", http.StatusSeeOther)
		return nil
	}
	req := &andon.IncidentRequest{ID: inc.ID, Title: inc.Title, Severity: inc.Severity, Scope: inc.Scope, Link: inc.Link}
	if req.Scope.Global {
		// Recorded global with more named besides, as andon took such a
		// scope before refusing it: it stopped every environment, and is
		// opened again as it stopped.
		req.Scope = andon.IncidentScope{Global: true}
	}
	if inc, err = h.cfg.Incidents.OpenIncident(ctx, req); err != nil {
		return h.incidentRefused(w, r, req.ID, err)
	}
	http.Redirect(w, r, "/incidents/"+url.PathEscape(inc.ID)+"?done=reopened", http.StatusSeeOther)
	return nil
}
