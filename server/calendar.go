package server

import (
	"net/http"
	"time"

	"github.com/andon-governance/andon"
)

// Spans of the calendar routes: the default of a listing, and the most one
// listing may ask for (each occurrence is expanded in memory).
const (
	defaultCalendarSpan = 7 * 24 * time.Hour
	maxCalendarSpan     = andon.MaxCalendarDays * 24 * time.Hour
)

// handleCalendar answers the occurrences of the windows applying to an
// environment in [from, to).
func handleCalendar(cal andon.CalendarService, now func() time.Time) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r, "env", "from", "to")
		if err != nil {
			return err
		}
		env, err := q.required("env")
		if err != nil {
			return err
		}
		from, err := q.time("from", now())
		if err != nil {
			return err
		}
		to, err := q.time("to", from.Add(defaultCalendarSpan))
		if err != nil {
			return err
		}
		switch {
		case !to.After(from):
			return andon.Errorf(andon.EINVALID, "query parameter to: %s is not after from %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
		case to.Sub(from) > maxCalendarSpan:
			return andon.Errorf(andon.EINVALID, "query parameter to: %s is more than %d days after from %s", to.Format(time.RFC3339), andon.MaxCalendarDays, from.Format(time.RFC3339))
		}
		occurrences, err := cal.Occurrences(r.Context(), env, from, to)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, struct {
			Environment string             `json:"environment"`
			Occurrences []andon.Occurrence `json:"occurrences"`
		}{env, nonNil(occurrences)})
	}
}

// handleCalendarActive answers the windows in force for an environment at
// an instant as the gate sees them: the occurrences of one window that
// overlap or touch are one, until the last of them ends, which is when
// the gate's FROZEN reason says a freeze is over. Who plans a change asks
// so that what they are told matches what the gate will say.
func handleCalendarActive(cal andon.CalendarService, now func() time.Time) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r, "env", "at")
		if err != nil {
			return err
		}
		env, err := q.required("env")
		if err != nil {
			return err
		}
		at, err := q.time("at", now())
		if err != nil {
			return err
		}
		active, err := cal.Active(r.Context(), env, at)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, struct {
			Environment string             `json:"environment"`
			At          time.Time          `json:"at"`
			Occurrences []andon.Occurrence `json:"occurrences"`
		}{env, at, nonNil(active)})
	}
}

// handleCalendarNext answers the next slot of the given duration that lies
// in a maintenance window and outside every freeze, with the peaks it
// overlaps, or 404. With a change
// type, a freeze that allows that type does not block the slot; with
// outsidePeaks=true, the slot overlaps no peak either.
func handleCalendarNext(cal andon.CalendarService, now func() time.Time) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r, "env", "duration", "after", "type", "outsidePeaks")
		if err != nil {
			return err
		}
		env, err := q.required("env")
		if err != nil {
			return err
		}
		d, err := q.duration("duration")
		if err != nil {
			return err
		}
		after, err := q.time("after", now())
		if err != nil {
			return err
		}
		change, err := oneOf(q, "type", andon.ChangeTypes)
		if err != nil {
			return err
		}
		outsidePeaks, err := q.bool("outsidePeaks")
		if err != nil {
			return err
		}
		slot, err := cal.NextSlot(r.Context(), env, after, d, change, outsidePeaks)
		if err != nil {
			return err
		}
		// The peaks the slot overlaps are named, so that a pipeline
		// sees them as a person does.
		slot.Peaks = nonNil(slot.Peaks)
		return encode(w, http.StatusOK, slot)
	}
}
