// Package calendar expands windows (RRULE, EXDATE, one-off spans, ICS
// files) into occurrences and answers which windows apply at an instant and
// when the next safe slot is.
package calendar

import "github.com/andon-governance/andon"

// ParseICS reads the VEVENTs of an iCalendar file into schedules. name is
// used in error messages.
func ParseICS(name string, data []byte) ([]andon.Schedule, error) {
	panic("not implemented")
}

// ValidateSchedule checks a schedule's start, rule, exception dates,
// duration and time zone.
func ValidateSchedule(s andon.Schedule) error {
	panic("not implemented")
}
