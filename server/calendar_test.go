package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// paris is the time zone of the lyon plant.
var paris = mustLoadLocation("Europe/Paris")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var testOccurrences = []andon.Occurrence{
	{Window: "month-end-close", Type: andon.WindowFreeze, Allow: []andon.ChangeType{andon.ChangeEmergency},
		Start: time.Date(2026, 1, 30, 0, 0, 0, 0, paris), End: time.Date(2026, 2, 1, 0, 0, 0, 0, paris)},
	{Window: "sunday-night", Type: andon.WindowMaintenance,
		Start: time.Date(2026, 2, 1, 2, 0, 0, 0, paris), End: time.Date(2026, 2, 1, 6, 0, 0, 0, paris)},
	// A name long enough to be folded, with characters that must be
	// escaped and one that takes two octets.
	{Window: "inventaire-annuel-de-l-usine-de-lyon-décembre;comptage,complet-et-vérification", Type: andon.WindowPeak,
		Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
}

func TestCalendar(t *testing.T) {
	f := newFixture(t)
	f.calendar.occurrences = testOccurrences[:2]

	r := f.do(t, "GET", "/api/v1/calendar?env=prod-lyon", aliceToken, "")
	got := decode[struct {
		Environment string             `json:"environment"`
		Occurrences []andon.Occurrence `json:"occurrences"`
	}](t, r)
	if got.Environment != "prod-lyon" || len(got.Occurrences) != 2 || !got.Occurrences[0].Start.Equal(testOccurrences[0].Start) {
		t.Errorf("calendar = %+v, want the two occurrences of prod-lyon", got)
	}
	// from defaults to now and to to a week later.
	if !f.calendar.from.Equal(testNow) || !f.calendar.to.Equal(testNow.Add(7*24*time.Hour)) {
		t.Errorf("asked for [%s, %s), want [now, now + 7 days)", f.calendar.from, f.calendar.to)
	}

	r = f.do(t, "GET", "/api/v1/calendar?env=prod-lyon&from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z", aliceToken, "")
	if r.status != http.StatusOK || !f.calendar.to.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("status %d, asked until %s; want 200 and the given to", r.status, f.calendar.to)
	}

	r = f.do(t, "GET", "/api/v1/calendar?env=prod-paris", aliceToken, "")
	mustError(t, r, http.StatusBadRequest, andon.EINVALID)
}

// TestCalendarActive checks the parameters of the windows in force at an
// instant; how occurrences merge is the calendar package's (see its
// TestActive).
func TestCalendarActive(t *testing.T) {
	f := newFixture(t)
	f.calendar.occurrences = testOccurrences[:2]
	type answer struct {
		Environment string             `json:"environment"`
		At          time.Time          `json:"at"`
		Occurrences []andon.Occurrence `json:"occurrences"`
	}
	r := f.do(t, "GET", "/api/v1/calendar/active?env=prod-lyon&at=2026-01-31T12:00:00%2B01:00", aliceToken, "")
	got := decode[answer](t, r)
	at := time.Date(2026, 1, 31, 12, 0, 0, 0, paris)
	if got.Environment != "prod-lyon" || !got.At.Equal(at) || len(got.Occurrences) != 1 || got.Occurrences[0].Window != "month-end-close" {
		t.Errorf("active at %s = %+v; want month-end-close", at, got)
	}
	// at defaults to now; nothing in force is an empty list.
	r = f.do(t, "GET", "/api/v1/calendar/active?env=prod-lyon", aliceToken, "")
	if got := decode[answer](t, r); !f.calendar.from.Equal(testNow) || got.Occurrences == nil || len(got.Occurrences) != 0 {
		t.Errorf("active now: asked at %s, answer %+v; want now and an empty list", f.calendar.from, got)
	}
	r = f.do(t, "GET", "/api/v1/calendar/active?env=prod-lyon&at=tomorrow", aliceToken, "")
	mustError(t, r, http.StatusBadRequest, andon.EINVALID)
	r = f.do(t, "GET", "/api/v1/calendar/active?at=2026-01-31T12:00:00Z", aliceToken, "")
	mustError(t, r, http.StatusBadRequest, andon.EINVALID)
	r = f.do(t, "GET", "/api/v1/calendar/active?env=prod-paris", aliceToken, "")
	mustError(t, r, http.StatusBadRequest, andon.EINVALID)
}

func TestCalendarNext(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "GET", "/api/v1/calendar/next?env=prod-lyon&duration=2h&after=2026-02-01T00:00:00Z", aliceToken, "")
	want := andon.FreeSlot{Span: andon.Span{Start: time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 2, 2, 2, 0, 0, 0, time.UTC)}}
	if diff := cmp.Diff(want, decode[andon.FreeSlot](t, r), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("slot mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(r.body), `"peaks":[]`) {
		t.Errorf("a slot that overlaps no peak: %s; want \"peaks\":[]", r.body)
	}
	// The peaks the calendar names with the slot are answered.
	f.calendar.occurrences = testOccurrences
	r = f.do(t, "GET", "/api/v1/calendar/next?env=prod-lyon&duration=2h&after=2026-02-28T12:00:00Z", aliceToken, "")
	if diff := cmp.Diff(testOccurrences[2:], decode[andon.FreeSlot](t, r).Peaks); diff != "" {
		t.Errorf("peaks mismatch (-want +got):\n%s", diff)
	}
	f.calendar.occurrences = nil
	if f.calendar.change != "" {
		t.Errorf("without type, the slot was asked for a change of type %q; want none", f.calendar.change)
	}
	r = f.do(t, "GET", "/api/v1/calendar/next?env=prod-lyon&duration=2d", aliceToken, "")
	mustError(t, r, http.StatusNotFound, andon.ENOTFOUND)

	// The change type reaches the calendar, which lets the freezes that
	// allow it through.
	r = f.do(t, "GET", "/api/v1/calendar/next?env=prod-lyon&duration=2h&type=emergency", aliceToken, "")
	if r.status != http.StatusOK || f.calendar.change != andon.ChangeEmergency {
		t.Errorf("type=emergency: status %d, asked for a change of type %q; want 200 and emergency", r.status, f.calendar.change)
	}
	r = f.do(t, "GET", "/api/v1/calendar/next?env=prod-lyon&duration=2h&type=urgent", aliceToken, "")
	mustError(t, r, http.StatusBadRequest, andon.EINVALID)
	if got, want := decode[struct{ Code, Message string }](t, r).Message, `query parameter type: "urgent" is not one of standard, normal, emergency`; got != want {
		t.Errorf("type=urgent: %q; want %q", got, want)
	}

	// outsidePeaks=true reaches the calendar, which then keeps the slot
	// clear of peaks; without it, peaks do not block a slot.
	f.do(t, "GET", "/api/v1/calendar/next?env=prod-lyon&duration=2h", aliceToken, "")
	if f.calendar.peaks {
		t.Errorf("without outsidePeaks, the slot was asked for outside peaks")
	}
	r = f.do(t, "GET", "/api/v1/calendar/next?env=prod-lyon&duration=2h&outsidePeaks=true", aliceToken, "")
	if r.status != http.StatusOK || !f.calendar.peaks {
		t.Errorf("outsidePeaks=true: status %d, asked outside peaks %v; want 200 and true", r.status, f.calendar.peaks)
	}
	r = f.do(t, "GET", "/api/v1/calendar/next?env=prod-lyon&duration=2h&outsidePeaks=yes", aliceToken, "")
	mustError(t, r, http.StatusBadRequest, andon.EINVALID)
	if got, want := decode[struct{ Code, Message string }](t, r).Message, `query parameter outsidePeaks: "yes" is neither true nor false`; got != want {
		t.Errorf("outsidePeaks=yes: %q; want %q", got, want)
	}
}

// TestCalendarICS checks the parameters and credentials of the calendar
// feed; what the feed holds is the calendar package's (see its
// TestFeedRoundTrip).
func TestCalendarICS(t *testing.T) {
	f := newFixture(t)
	feedTok := "feed-alice"
	tests := []struct {
		name       string
		path       string
		token      string // bearer
		header     []string
		wantStatus int
		wantCode   string
		wantMsg    string // part of the error message
		wantBody   string // part of the calendar
	}{
		{name: "env with API token", path: "/api/v1/calendar.ics?env=prod-lyon", token: aliceToken,
			wantStatus: 200, wantBody: "X-SCOPE:prod-lyon\r\nX-STAMP:2026-01-28T10:00:00Z"},
		{name: "plant with API token", path: "/api/v1/calendar.ics?plant=lyon", token: bobToken,
			wantStatus: 200, wantBody: "X-SCOPE:lyon"},
		{name: "env with feed token", path: "/api/v1/calendar.ics?env=prod-lyon&token=" + feedTok,
			wantStatus: 200, wantBody: "X-SCOPE:prod-lyon"},
		{name: "plant with feed token", path: "/api/v1/calendar.ics?token=" + feedTok + "&plant=lyon",
			wantStatus: 200, wantBody: "X-SCOPE:lyon"},
		{name: "no token", path: "/api/v1/calendar.ics?env=prod-lyon",
			wantStatus: 401, wantCode: andon.EUNAUTHORIZED, wantMsg: "missing bearer token"},
		{name: "unknown feed token", path: "/api/v1/calendar.ics?env=prod-lyon&token=feed-mallory",
			wantStatus: 401, wantCode: andon.EUNAUTHORIZED, wantMsg: "feed token is not valid"},
		{name: "empty feed token", path: "/api/v1/calendar.ics?env=prod-lyon&token=",
			wantStatus: 401, wantCode: andon.EUNAUTHORIZED, wantMsg: "token: empty"},
		{name: "API token in the query", path: "/api/v1/calendar.ics?env=prod-lyon&token=" + aliceToken,
			wantStatus: 401, wantCode: andon.EUNAUTHORIZED, wantMsg: "not a feed token"},
		{name: "feed token as bearer", path: "/api/v1/calendar.ics?env=prod-lyon", token: feedTok,
			wantStatus: 401, wantCode: andon.EUNAUTHORIZED, wantMsg: "bearer token is not valid"},
		{name: "both credentials", path: "/api/v1/calendar.ics?env=prod-lyon&token=" + feedTok, token: aliceToken,
			wantStatus: 400, wantCode: andon.EINVALID, wantMsg: "send one credential"},
		{name: "token twice", path: "/api/v1/calendar.ics?env=prod-lyon&token=" + feedTok + "&token=" + feedTok,
			wantStatus: 400, wantCode: andon.EINVALID, wantMsg: "token: given 2 times"},
		{name: "store down", path: "/api/v1/calendar.ics?env=prod-lyon&token=broken",
			wantStatus: 500, wantCode: andon.EINTERNAL},
		{name: "neither env nor plant", path: "/api/v1/calendar.ics", token: aliceToken,
			wantStatus: 400, wantCode: andon.EINVALID, wantMsg: "query parameter env or plant: required"},
		{name: "both env and plant", path: "/api/v1/calendar.ics?env=prod-lyon&plant=lyon&token=" + feedTok,
			wantStatus: 400, wantCode: andon.EINVALID, wantMsg: "query parameters env and plant: give one, not both"},
		{name: "unknown parameter", path: "/api/v1/calendar.ics?environment=prod-lyon", token: aliceToken,
			wantStatus: 400, wantCode: andon.EINVALID, wantMsg: `"environment" is not known`},
		{name: "unknown env", path: "/api/v1/calendar.ics?env=prod-paris&token=" + feedTok,
			wantStatus: 400, wantCode: andon.EINVALID},
		{name: "unknown plant", path: "/api/v1/calendar.ics?plant=paris", token: aliceToken,
			wantStatus: 400, wantCode: andon.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, "GET", tt.path, tt.token, "", tt.header...)
			if tt.wantCode != "" {
				if msg := mustError(t, r, tt.wantStatus, tt.wantCode); !strings.Contains(msg, tt.wantMsg) {
					t.Errorf("message %q does not say %q", msg, tt.wantMsg)
				}
				return
			}
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", r.status, tt.wantStatus, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
				t.Errorf("Content-Type = %q, want text/calendar", ct)
			}
			if !strings.Contains(string(r.body), tt.wantBody) {
				t.Errorf("body %q does not hold %q", r.body, tt.wantBody)
			}
		})
	}

	// A feed token opens the feed and nothing else.
	for _, path := range []string{"/api/v1/me", "/api/v1/calendar?env=prod-lyon"} {
		r := f.do(t, "GET", path, feedTok, "")
		mustError(t, r, http.StatusUnauthorized, andon.EUNAUTHORIZED)
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		r = f.do(t, "GET", path+sep+"token="+feedTok, "", "")
		mustError(t, r, http.StatusUnauthorized, andon.EUNAUTHORIZED)
	}

	// The token stays out of the log.
	if strings.Contains(f.logs.String(), feedTok+"\"") || strings.Contains(f.logs.String(), "token="+feedTok) {
		t.Errorf("the log holds the feed token:\n%s", f.logs.String())
	}
	var feedPaths int
	for _, rec := range f.logs.records(t, "request") {
		if rec["route"] == "/api/v1/calendar.ics" {
			feedPaths++
			if rec["path"] != "/api/v1/calendar.ics" {
				t.Errorf("request log path = %v, want /api/v1/calendar.ics alone", rec["path"])
			}
		}
	}
	if feedPaths == 0 {
		t.Errorf("no request to the feed was logged")
	}
}

func TestFeedToken(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "POST", "/api/v1/me/feed-token", aliceToken, "")
	if r.status != http.StatusCreated {
		t.Fatalf("status = %d, want 201 (body %s)", r.status, r.body)
	}
	want := andon.FeedToken{
		Token:        "feed-alice",
		Environments: map[string]string{"prod-lyon": "/api/v1/calendar.ics?env=prod-lyon&token=feed-alice"},
		Plants:       map[string]string{"lyon": "/api/v1/calendar.ics?plant=lyon&token=feed-alice"},
	}
	got := decode[andon.FeedToken](t, r)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("feed token mismatch (-want +got):\n%s", diff)
	}
	// The paths it gives open the feed.
	if r := f.do(t, "GET", got.Plants["lyon"], "", ""); r.status != http.StatusOK {
		t.Errorf("GET %s = %d, want 200 (body %s)", got.Plants["lyon"], r.status, r.body)
	}
	// It takes no body but an empty object: a field would not be read.
	if r := f.do(t, "POST", "/api/v1/me/feed-token", aliceToken, "{}"); r.status != http.StatusCreated {
		t.Errorf("with {}: status = %d, want 201 (body %s)", r.status, r.body)
	}
	r = f.do(t, "POST", "/api/v1/me/feed-token", aliceToken, `{"environments": ["prod-lyon"]}`)
	if msg := mustError(t, r, http.StatusBadRequest, andon.EINVALID); msg != `request body: unknown field "environments"` {
		t.Errorf("with a field: message = %q", msg)
	}
	// Only an API token gets a feed token.
	r = f.do(t, "POST", "/api/v1/me/feed-token", "feed-alice", "")
	mustError(t, r, http.StatusUnauthorized, andon.EUNAUTHORIZED)
	r = f.do(t, "POST", "/api/v1/me/feed-token?token=feed-alice", "", "")
	mustError(t, r, http.StatusUnauthorized, andon.EUNAUTHORIZED)
}
