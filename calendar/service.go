package calendar

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/andon-governance/andon"
)

// Service implements andon.CalendarService over the catalog in force. It
// compiles each catalog once: a reload hands out a new *andon.Catalog, and
// the first query after it compiles that one.
type Service struct {
	src andon.CatalogSource
	mu  sync.Mutex // held while compiling, so that a reload compiles once
	cur atomic.Pointer[compiled]
}

// compiled is the Calendar of one catalog, or the error compiling it.
type compiled struct {
	cat *andon.Catalog
	cal *Calendar
	err error
}

var _ andon.CalendarService = (*Service)(nil)

// NewService returns a Service over the catalogs src hands out.
func NewService(src andon.CatalogSource) *Service { return &Service{src: src} }

// For returns the compiled calendar of cat, compiling it once. A caller
// that already holds a catalog and an environment of it uses this, so that
// windows and environment come from the same catalog even if a reload
// lands in between.
func (s *Service) For(cat *andon.Catalog) (*Calendar, error) {
	if cat == nil {
		return nil, andon.Errorf(andon.EINTERNAL, "calendar: no catalog is loaded")
	}
	c := s.cur.Load()
	if c == nil || c.cat != cat {
		s.mu.Lock()
		if c = s.cur.Load(); c == nil || c.cat != cat {
			c = &compiled{cat: cat}
			c.cal, c.err = New(cat)
			s.cur.Store(c)
		}
		s.mu.Unlock()
	}
	return c.cal, c.err
}

// calendar returns the compiled calendar of the catalog in force and the
// environment named env in it.
func (s *Service) calendar(env string) (*Calendar, *andon.Environment, error) {
	cat := s.src.Catalog()
	cal, err := s.For(cat)
	if err != nil {
		return nil, nil, err
	}
	e := cat.Environment(env)
	if e == nil {
		// The name is the caller's input, like a change's environment
		// or the gate's: invalid, not a resource that is missing.
		return nil, nil, andon.Errorf(andon.EINVALID, "environment %s", cat.UnknownEnvironment(env))
	}
	return cal, e, nil
}

// Occurrences returns the occurrences of the windows applying to env that
// overlap [from, to), ordered by start.
func (s *Service) Occurrences(ctx context.Context, env string, from, to time.Time) ([]andon.Occurrence, error) {
	cal, e, err := s.calendar(env)
	if err != nil {
		return nil, err
	}
	return cal.Occurrences(e, from, to), nil
}

// Active returns the occurrences of the windows applying to env that
// contain t.
func (s *Service) Active(ctx context.Context, env string, t time.Time) ([]andon.Occurrence, error) {
	cal, e, err := s.calendar(env)
	if err != nil {
		return nil, err
	}
	return cal.ActiveAt(e, t), nil
}

// NextSlot returns the first span of length d starting at or after after,
// within a year, that lies inside one maintenance occurrence and overlaps no
// freeze applying to env that stops a change of type change (every freeze,
// when change is ""), and with outsidePeaks, no peak; ENOTFOUND when there
// is none. The slot names the peaks it overlaps, which the default gate
// does not refuse a change during but a plant would rather see none in.
func (s *Service) NextSlot(ctx context.Context, env string, after time.Time, d time.Duration, change andon.ChangeType, outsidePeaks bool) (*andon.FreeSlot, error) {
	if d <= 0 {
		return nil, andon.Errorf(andon.EINVALID, "duration: must be positive, not %s", andon.ShortDuration(d))
	}
	if change != "" && !slices.Contains(andon.ChangeTypes, change) {
		return nil, andon.Errorf(andon.EINVALID, "type: %q is not one of standard, normal, emergency", change)
	}
	cal, e, err := s.calendar(env)
	if err != nil {
		return nil, err
	}
	horizon := after.AddDate(1, 0, 0).Sub(after)
	if d > horizon {
		return nil, andon.Errorf(andon.EINVALID, "duration: %s is longer than the year after %s in which a slot is looked for", andon.HumanDuration(d), after.Format(time.RFC3339))
	}
	span, ok := cal.NextSlot(e, after, d, horizon, change, outsidePeaks)
	if !ok {
		if !cal.Applies(e, andon.WindowMaintenance) {
			return nil, andon.Errorf(andon.ENOTFOUND, "environment %q has no maintenance window: no Window of type maintenance in the catalog selects it, so it has no slot to offer", env)
		}
		// A change longer than every maintenance window fits none of
		// them, whatever the freezes: said so, it is not looked for in
		// vain at another time.
		why := ""
		var longest *andon.Occurrence
		for _, o := range cal.Occurrences(e, after, after.Add(horizon)) {
			if o.Type == andon.WindowMaintenance && (longest == nil || o.End.Sub(o.Start) > longest.End.Sub(longest.Start)) {
				longest = &o
			}
		}
		if longest != nil && longest.End.Sub(longest.Start) < d {
			why = fmt.Sprintf(": its longest maintenance window in that year, %s from %s, lasts %s, less than the change",
				longest.Window, longest.Start.Format(time.RFC3339), andon.HumanDuration(longest.End.Sub(longest.Start)))
		}
		peaks := ""
		if outsidePeaks {
			peaks = " and peaks"
		}
		if change != "" {
			return nil, andon.Errorf(andon.ENOTFOUND, "no slot of %s for a change of type %s inside a maintenance window and outside the freezes that stop it%s in the year after %s for environment %q%s",
				andon.HumanDuration(d), change, peaks, after.Format(time.RFC3339), env, why)
		}
		return nil, andon.Errorf(andon.ENOTFOUND, "no slot of %s inside a maintenance window and outside freezes%s in the year after %s for environment %q%s",
			andon.HumanDuration(d), peaks, after.Format(time.RFC3339), env, why)
	}
	slot := &andon.FreeSlot{Span: span, Peaks: []andon.Occurrence{}}
	for _, o := range cal.Occurrences(e, span.Start, span.End) {
		if o.Type == andon.WindowPeak {
			slot.Peaks = append(slot.Peaks, o)
		}
	}
	return slot, nil
}

// Feed returns the windows applying to the environment or the plant of
// scope as an iCalendar document (see Calendar.Feed).
func (s *Service) Feed(ctx context.Context, scope andon.FeedScope, stamp time.Time) ([]byte, error) {
	cal, err := s.For(s.src.Catalog())
	if err != nil {
		return nil, err
	}
	return cal.Feed(scope, stamp)
}
