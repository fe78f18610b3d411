package server

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/andon-governance/andon"
)

// feedPath is the path of the calendar feed.
const feedPath = "/api/v1/calendar.ics"

// handleCalendarICS serves the calendar feed of an environment (env) or a
// plant (plant): its windows as an iCalendar file with their recurrence
// rules, for the calendars of the people who plan changes. The token
// parameter is read by the authentication in front of it.
func handleCalendarICS(cal andon.CalendarService, now func() time.Time) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r, "env", "plant", "token")
		if err != nil {
			return err
		}
		var scope andon.FeedScope
		if err := q.strings(textParam{"env", &scope.Environment}, textParam{"plant", &scope.Plant}); err != nil {
			return err
		}
		switch {
		case scope.Environment != "" && scope.Plant != "":
			return andon.Errorf(andon.EINVALID, "query parameters env and plant: give one, not both; a feed covers an environment or a plant")
		case scope.Environment == "" && scope.Plant == "":
			return andon.Errorf(andon.EINVALID, "query parameter env or plant: required; a feed covers an environment (env=NAME) or a plant (plant=NAME)")
		}
		body, err := cal.Feed(r.Context(), scope, now())
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		// The feed is the user's: a shared cache must not keep it.
		w.Header().Set("Cache-Control", "private, max-age=300")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		return nil
	}
}

// handleFeedToken issues a feed token to the user of the request and
// answers it with the feed paths it opens, one per environment and plant
// of the catalog in force.
func handleFeedToken(tokens andon.TokenService, catalog andon.CatalogSource) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		if err := noBody(w, r); err != nil {
			return err
		}
		token, expires, err := tokens.CreateFeedToken(r.Context(), andon.UserNameFromContext(r.Context()))
		if err != nil {
			return err
		}
		out := andon.FeedToken{Token: token, Environments: map[string]string{}, Plants: map[string]string{}, ExpiresAt: expires}
		if cat := catalog.Catalog(); cat != nil {
			for _, env := range cat.Environments {
				out.Environments[env.Name] = feedURL("env", env.Name, token)
			}
			for _, p := range cat.Plants {
				out.Plants[p.Name] = feedURL("plant", p.Name, token)
			}
		}
		return encode(w, http.StatusCreated, out)
	}
}

// feedURL returns the path and query of a feed.
func feedURL(key, name, token string) string {
	return feedPath + "?" + url.Values{key: {name}, "token": {token}}.Encode()
}

// feedToken returns the feed token given in the query of a request to the
// feed, or "" when there is none.
func feedToken(r *http.Request) (string, error) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "", andon.Errorf(andon.EINVALID, "query: %v", err)
	}
	tokens := values["token"]
	switch {
	case len(tokens) == 0:
		return "", nil
	case len(tokens) > 1:
		return "", andon.Errorf(andon.EINVALID, "query parameter token: given %d times; want it once", len(tokens))
	case r.Header.Get("Authorization") != "":
		return "", andon.Errorf(andon.EINVALID, "query parameter token: an Authorization header is given too; send one credential")
	case slices.Contains(tokens, ""):
		return "", andon.Errorf(andon.EUNAUTHORIZED, "query parameter token: empty; want a feed token from POST /api/v1/me/feed-token")
	}
	return tokens[0], nil
}
