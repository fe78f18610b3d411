package web

import (
	"context"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/calendar"
)

// calendarView is the data of the calendar page.
type calendarView struct {
	Catalog    *andon.Catalog
	Plant, Env string // the one shown; exactly one is set
	View       string // "week" or "month"
	Title      string
	Caption    string // the month or week shown
	Loc        *time.Location
	Offset     string // the time zone's offset at the start of the range
	Weeks      [][]*calendarDay
	Prev, Next string
	Today      string
	// Download is the iCalendar file of the calendar shown, for the
	// signed-in user; Subscription is the path of the API's feed of it
	// with a new feed token, for calendar applications, once the user
	// asked for one.
	Download     string
	feed         string // the API's path of the feed
	Subscription string
	// SubscriptionExpires is when the feed token of Subscription expires:
	// with the token the user signed in with, when that one expires.
	SubscriptionExpires *time.Time
}

// calendarDay is one day of the grid.
type calendarDay struct {
	Date    time.Time // the date, at midnight UTC (see civil)
	InRange bool      // in the month shown (always, for a week)
	Today   bool
	Items   []*calendarItem
}

// calendarItem is a window occurrence or a scheduled change on a day.
type calendarItem struct {
	Kind       string // "window" or "change"
	Name       string // the window's name or the change's title
	Type       string // freeze, maintenance, peak; or the change's state
	Start, End time.Time
	Continues  bool     // started on an earlier day
	Envs       []string // the environments it applies to
	ChangeID   string
	// Allow is what a freeze allows.
	Allow []andon.ChangeType
	// Frozen are the freezes that stop a pending or approved change
	// during its window (freezesOver), which the gate refuses it in.
	Frozen []freezeOver
}

// calendar shows a plant's or an environment's windows and scheduled
// changes, a week or a month at a time, in its local time.
func (h *Handler) calendar(w http.ResponseWriter, r *http.Request) error {
	v, err := h.calendarView(r, r.URL.Query())
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "calendar", v)
}

// calendarSubscribe issues a feed token to the signed-in user and shows
// the calendar with the subscription link that carries it. Calendar
// applications cannot send headers; the feed token in the link opens the
// calendar feeds and nothing else.
func (h *Handler) calendarSubscribe(w http.ResponseWriter, r *http.Request) error {
	v, err := h.calendarView(r, r.PostForm)
	if err != nil {
		return err
	}
	token, expires, err := h.cfg.Tokens.CreateFeedToken(r.Context(), andon.UserNameFromContext(r.Context()))
	if err != nil {
		return err
	}
	// A path, not a URL: the server cannot tell the address people reach
	// it by from the request, whose Host a proxy may rewrite and a client
	// may forge. The browser resolves the path against the address it
	// used, and the page shows that (andon.js).
	v.Subscription = v.feed + "&token=" + url.QueryEscape(token)
	v.SubscriptionExpires = expires
	return h.render(w, r, http.StatusOK, "calendar", v)
}

// calendarView builds the calendar for the query in q.
func (h *Handler) calendarView(r *http.Request, q url.Values) (*calendarView, error) {
	cat, err := h.catalog()
	if err != nil {
		return nil, err
	}
	v := &calendarView{Catalog: cat, Plant: q.Get("plant"), Env: q.Get("env"), View: q.Get("view")}
	// The page's own form names a plant or an environment in one field.
	if show := q.Get("show"); show != "" {
		kind, name, _ := strings.Cut(show, ":")
		switch kind {
		case "plant":
			v.Plant, v.Env = name, ""
		case "env":
			v.Plant, v.Env = "", name
		default:
			return nil, andon.Errorf(andon.EINVALID, "show: %q is not plant:NAME or env:NAME", show)
		}
	}
	if v.View == "" {
		v.View = "month"
	}
	if v.View != "week" && v.View != "month" {
		return nil, andon.Errorf(andon.EINVALID, "view: %q is not week or month", v.View)
	}
	var envs []*andon.Environment
	switch {
	case v.Plant != "" && v.Env != "":
		return nil, andon.Errorf(andon.EINVALID, "plant and env: choose one")
	case v.Env != "":
		env := cat.Environment(v.Env)
		if env == nil {
			return nil, andon.Errorf(andon.EINVALID, "env: %s", cat.UnknownEnvironment(v.Env))
		}
		envs, v.Loc, v.Title = []*andon.Environment{env}, cat.Location(env), env.Name
		v.Download = "/calendar.ics?env=" + url.QueryEscape(env.Name)
		v.feed = "/api/v1/calendar.ics?env=" + url.QueryEscape(env.Name)
	case v.Plant == "" && len(cat.Plants) == 0:
		return nil, andon.Errorf(andon.ENOTFOUND, "the catalog has no plant: its calendars follow the plants' time zones")
	default:
		if v.Plant == "" {
			v.Plant = cat.Plants[0].Name
		}
		p := cat.Plant(v.Plant)
		if p == nil {
			return nil, andon.Errorf(andon.EINVALID, "plant: %s", cat.UnknownPlant(v.Plant))
		}
		for _, env := range cat.Environments {
			if slices.Contains(env.Plants, p.Name) {
				envs = append(envs, env)
			}
		}
		v.Loc, v.Title = p.Location, p.Name
		v.Download = "/calendar.ics?plant=" + url.QueryEscape(p.Name)
		v.feed = "/api/v1/calendar.ics?plant=" + url.QueryEscape(p.Name)
	}

	today := civil(h.cfg.Now().In(v.Loc))
	day := today
	if s := q.Get("date"); s != "" {
		if day, err = time.Parse(time.DateOnly, s); err != nil {
			return nil, andon.Errorf(andon.EINVALID, "date: %q is not a date such as 2026-03-29", s)
		}
		if err := andon.CheckTime("date", day); err != nil {
			return nil, err
		}
	}
	from, to, first, last := calendarRange(v.View, day)
	v.Offset = offsets(from, to, v.Loc)
	items, err := h.calendarItems(r.Context(), envs, dayStart(from, v.Loc), dayStart(to, v.Loc))
	if err != nil {
		return nil, err
	}
	v.Weeks = calendarGrid(from, to, first, last, today, v.Loc, items)

	// No link leads out of the years andon reasons about.
	link := func(d time.Time) string {
		if andon.CheckTime("date", d) != nil {
			return ""
		}
		q := url.Values{"view": {v.View}, "date": {d.Format(time.DateOnly)}}
		if v.Env != "" {
			q.Set("env", v.Env)
		} else {
			q.Set("plant", v.Plant)
		}
		return "/calendar?" + q.Encode()
	}
	if v.View == "week" {
		v.Prev, v.Next = link(day.AddDate(0, 0, -7)), link(day.AddDate(0, 0, 7))
		v.Caption = "Week of " + first.Format("Monday 2 January 2006")
	} else {
		v.Prev, v.Next = link(first.AddDate(0, -1, 0)), link(first.AddDate(0, 1, 0))
		v.Caption = first.Format("January 2006")
	}
	v.Today = link(today)
	return v, nil
}

// The grid works on dates, not instants: a date is held as midnight UTC
// (civil), where adding days is exact, and dayStart turns it into the
// instant the day begins in a time zone. A day does not always begin at
// 00:00: where the clocks go forward at midnight (America/Santiago), it
// begins at 01:00.

// civil returns the date of t, in t's location, as midnight UTC.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dayStart returns the first instant of date in loc.
// A midnight that does not exist begins the day when the clocks go
// forward.
func dayStart(date time.Time, loc *time.Location) time.Time {
	return calendar.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, loc)
}

// offsets names the UTC offset of the days [from, to) in loc, and the day
// it changes when a clock change falls among them: "UTC+01:00, UTC+02:00
// from Sun 28 Mar". A change shows at the next day's start, to's included
// for the last day.
func offsets(from, to time.Time, loc *time.Location) string {
	text := offset(dayStart(from, loc), loc)
	for d := from.AddDate(0, 0, 1); !d.After(to); d = d.AddDate(0, 0, 1) {
		if t := dayStart(d, loc); offset(t, loc) != text {
			// The clocks changed during the day before d.
			return text + ", " + offset(t, loc) + " from " + d.AddDate(0, 0, -1).Format("Mon 2 Jan")
		}
	}
	return text
}

// calendarRange returns the dates the grid shows, [from, to), whole weeks
// from Monday, and the dates in view, [first, last): the week, or the
// month of day.
func calendarRange(view string, day time.Time) (from, to, first, last time.Time) {
	if view == "week" {
		first = day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
		return first, first.AddDate(0, 0, 7), first, first.AddDate(0, 0, 7)
	}
	first = time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	last = first.AddDate(0, 1, 0)
	from = first.AddDate(0, 0, -((int(first.Weekday()) + 6) % 7))
	to = last.AddDate(0, 0, (7-(int(last.Weekday())+6)%7)%7)
	return from, to, first, last
}

// calendarItems gathers the window occurrences and the scheduled changes
// of envs in [from, to). Occurrences of one window that overlap or touch
// are one item, from the first's start to the last's end, as the board and
// the gate say the window is in force: the month-end close's two 48-hour
// freezes a day apart are one freeze of three days. A window that applies
// to several environments at the same instants is one item naming them all.
func (h *Handler) calendarItems(ctx context.Context, envs []*andon.Environment, from, to time.Time) ([]*calendarItem, error) {
	var items []*calendarItem
	seen := map[string]*calendarItem{}
	for _, env := range envs {
		occurrences, err := h.cfg.Calendar.Occurrences(ctx, env.Name, from, to)
		if err != nil {
			return nil, err
		}
		for _, o := range mergeOccurrences(occurrences) {
			if !o.End.Before(to) {
				// Occurrences that prolong it start after the range: the
				// gate's Active says when it stops being in force.
				w, err := h.inForce(ctx, env.Name, o, to.Add(-time.Nanosecond))
				if err != nil {
					return nil, err
				}
				o.End = w.End
			}
			key := o.Window + "\x00" + o.Start.UTC().String() + "\x00" + o.End.UTC().String()
			if it := seen[key]; it != nil {
				it.Envs = append(it.Envs, env.Name)
				continue
			}
			it := &calendarItem{Kind: "window", Name: o.Window, Type: string(o.Type), Start: o.Start, End: o.End, Envs: []string{env.Name}, Allow: o.Allow}
			seen[key] = it
			items = append(items, it)
		}
		for _, state := range []andon.State{andon.StatePending, andon.StateApproved, andon.StateImplementing} {
			changes, _, err := h.cfg.Changes.FindChanges(ctx, andon.ChangeFilter{Environment: env.Name, State: state, Limit: inboxLimit})
			if err != nil {
				return nil, err
			}
			for _, c := range changes {
				if c.Window == nil || !c.Window.Start.Before(to) || !c.Window.End.After(from) {
					continue
				}
				it := &calendarItem{Kind: "change", Name: c.Title, Type: string(c.State),
					Start: c.Window.Start, End: c.Window.End, Envs: []string{env.Name}, ChangeID: c.ID}
				if state != andon.StateImplementing {
					if it.Frozen, err = h.freezesOver(ctx, c); err != nil {
						return nil, err
					}
				}
				items = append(items, it)
			}
		}
	}
	slices.SortStableFunc(items, func(a, b *calendarItem) int { return a.Start.Compare(b.Start) })
	return items, nil
}

// inForce returns occurrence o widened to its window as in force at t,
// as the board and the gate say (CalendarService.Active): from the first
// of its occurrences in force then, to the end of the last of those that
// overlap or touch, the ones after t included; o's own bounds where they
// reach further.
func (h *Handler) inForce(ctx context.Context, env string, o andon.Occurrence, t time.Time) (andon.Occurrence, error) {
	active, err := h.cfg.Calendar.Active(ctx, env, t)
	if err != nil {
		return o, err
	}
	for _, a := range active {
		if a.Window == o.Window {
			if a.Start.Before(o.Start) {
				o.Start = a.Start
			}
			if a.End.After(o.End) {
				o.End = a.End
			}
		}
	}
	return o, nil
}

// freezeOver is a freeze that stops a change during its window: the
// freeze as the gate names it in force, and whether the window lies
// inside it rather than running into it.
type freezeOver struct {
	andon.Occurrence
	Inside bool
}

// freezesOver returns the freezes applying to c's environment that stop a
// change of c's type (Occurrence.Stops) during its window, in the order
// they start: the gate refuses the change during each. Each is the whole
// freeze, as the calendar shows it: joined with the occurrences of its
// window that overlap or touch it (the month-end close's two 48-hour
// occurrences are one freeze of three days), whichever of them the
// change's window overlaps. None when c has no window.
func (h *Handler) freezesOver(ctx context.Context, c *andon.Change) ([]freezeOver, error) {
	if c.Window == nil {
		return nil, nil
	}
	occurrences, err := h.cfg.Calendar.Occurrences(ctx, c.Environment, c.Window.Start, c.Window.End)
	if err != nil {
		return nil, err
	}
	var frozen []freezeOver
	for _, o := range mergeOccurrences(occurrences) {
		if !o.Stops(c.Type) || !o.Start.Before(c.Window.End) || !c.Window.Start.Before(o.End) {
			continue
		}
		// The whole freeze, as the calendar shows it: as in force at
		// its start.
		if o, err = h.inForce(ctx, c.Environment, o, o.Start); err != nil {
			return nil, err
		}
		frozen = append(frozen, freezeOver{Occurrence: o,
			Inside: !c.Window.Start.Before(o.Start) && !o.End.Before(c.Window.End)})
	}
	return frozen, nil
}

// mergeOccurrences joins the occurrences of one window that overlap or
// touch into one, from the first's start to the last's end. occurrences
// are ordered by start, and so are the ones it returns.
func mergeOccurrences(occurrences []andon.Occurrence) []andon.Occurrence {
	var merged []andon.Occurrence
	open := map[string]int{} // window → index in merged of its latest
	for _, o := range occurrences {
		if i, ok := open[o.Window]; ok && !o.Start.After(merged[i].End) {
			if o.End.After(merged[i].End) {
				merged[i].End = o.End
			}
			continue
		}
		open[o.Window] = len(merged)
		merged = append(merged, o)
	}
	return merged
}

// calendarGrid lays items out on the dates of [from, to), week by week,
// each day running from its start in loc to the next's. An item appears on
// every day it overlaps.
func calendarGrid(from, to, first, last, today time.Time, loc *time.Location, items []*calendarItem) [][]*calendarDay {
	var weeks [][]*calendarDay
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		if (int(d.Weekday())+6)%7 == 0 || weeks == nil {
			weeks = append(weeks, nil)
		}
		start, next := dayStart(d, loc), dayStart(d.AddDate(0, 0, 1), loc)
		day := &calendarDay{Date: d, InRange: !d.Before(first) && d.Before(last), Today: d.Equal(today)}
		for _, it := range items {
			if it.Start.Before(next) && it.End.After(start) {
				shown := *it
				shown.Continues = it.Start.Before(start)
				day.Items = append(day.Items, &shown)
			}
		}
		weeks[len(weeks)-1] = append(weeks[len(weeks)-1], day)
	}
	return weeks
}

// calendarFile serves the iCalendar file of a plant's or an environment's
// windows to the signed-in user, the same as the API's feed: the download
// link of the calendar page, which a browser follows with its session
// cookie rather than a bearer token.
func (h *Handler) calendarFile(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	scope := andon.FeedScope{Plant: q.Get("plant"), Environment: q.Get("env")}
	body, err := h.cfg.Calendar.Feed(r.Context(), scope, h.cfg.Now())
	if err != nil {
		return err
	}
	name := scope.Plant + scope.Environment
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + ".ics"}))
	_, _ = w.Write(body)
	return nil
}
