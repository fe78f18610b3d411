package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/andon-governance/andon"
)

// How far ahead the board looks for an environment's next window: a week
// first, which finds the next window of most environments (daily peaks,
// weekly maintenance) at a fraction of the cost, then two months.
const (
	boardLookahead = 8 * 24 * time.Hour
	boardHorizon   = 62 * 24 * time.Hour
)

// boardRefresh is how often the board reloads itself, in seconds. A board
// that has not been refreshed for two of those and a bit more says so
// (andon.js), rather than go on showing states that may have changed.
const (
	boardRefresh    = 30
	boardStaleAfter = 2*boardRefresh + 5
)

// Environment states shown on the board, most restrictive first.
const (
	stateFrozen      = "frozen"
	stateMaintenance = "maintenance"
	stateOpen        = "open"
)

// boardIncidents is the most open incidents the board shows: far more
// than are ever open at once. Beyond them, it says how many more are open
// and where they are listed.
const boardIncidents = 100

// boardStoppers is the most open critical incidents the board weighs
// when more incidents are open than it shows, so that a tile is marked
// stopped by one it does not list.
const boardStoppers = 10_000

// boardView is the data of the board.
type boardView struct {
	// Incidents are the open incidents, shown above the plants: the
	// boardIncidents most recently updated.
	Incidents []*andon.Incident
	// MoreIncidents says whether more incidents are open than Incidents
	// holds, OpenIncidents how many are open in all then, and
	// HiddenIncidents how many of them it does not show (both 0 when
	// that cannot be told, without Config.IncidentCounts).
	MoreIncidents                  bool
	OpenIncidents, HiddenIncidents int
	Plants                         []*plantTiles
	Refresh                        int
	StaleAfter                     int // seconds without a refresh after which the board says it is stale
	At                             time.Time
}

// plantTiles is one plant and the tiles of the environments it runs.
type plantTiles struct {
	Name     string
	Timezone string
	Local    time.Time // the plant's local time now
	Tiles    []*tile
}

// tile is one environment on the board.
type tile struct {
	Env   *andon.Environment
	Loc   *time.Location
	State string
	// Active is the occurrence that sets State (the freeze or the
	// maintenance window in force), or nil when the environment is open.
	Active *andon.Occurrence
	// Peak is an active peak window, shown beside the state.
	Peak *andon.Occurrence
	// Next is the next window to start.
	Next                            *andon.Occurrence
	Pending, Approved, Implementing int
	// Incidents are the open incidents whose scope takes in the
	// environment.
	Incidents []*andon.Incident
	// StoppedBy are those of Incidents that stop every change to it but
	// an emergency one, as the default policy does: the critical ones,
	// of a production environment.
	StoppedBy []*andon.Incident
	// Recovery says, in phrases, what is amiss with the recovery of a
	// production environment with a backup recorded: its latest backup
	// older than the gate's backup freshness, no restore test passed
	// within andon.RestoreTestPeriod. Empty when nothing is, and for
	// the other tiles.
	Recovery []string
}

// tileCount is one count of a tile's changes: those in State.
type tileCount struct {
	State andon.State
	Label string // for people, as a column of the tile
	N     int
}

// Counts are the tile's counts of changes, pending, approved and
// implementing, each leading to the list of those it counts.
func (t *tile) Counts() []tileCount {
	return []tileCount{
		{andon.StatePending, "Pending", t.Pending},
		{andon.StateApproved, "Approved", t.Approved},
		{andon.StateImplementing, "Implementing", t.Implementing},
	}
}

// board renders the board: the environments of each plant with their
// state at the plant's local time, the active and next windows, and the
// changes pending, approved and implementing. /?kiosk=1 renders it for a
// wall screen: large type, no controls.
func (h *Handler) board(w http.ResponseWriter, r *http.Request) error {
	v, err := h.boardView(r.Context())
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "board", v)
}

// boardView builds the board at the current time.
func (h *Handler) boardView(ctx context.Context) (*boardView, error) {
	cat, err := h.catalog()
	if err != nil {
		return nil, err
	}
	now := h.cfg.Now()
	counts, err := h.cfg.Counts(ctx)
	if err != nil {
		return nil, err
	}
	v := &boardView{Refresh: boardRefresh, StaleAfter: boardStaleAfter, At: now}
	var stoppers []*andon.Incident // the open incidents each tile is weighed against
	if h.cfg.Incidents != nil {
		// One read for the whole board, each tile keeping those of its
		// environment; one more than it shows tells whether there are
		// more.
		v.Incidents, err = h.cfg.Incidents.FindIncidents(ctx, andon.IncidentFilter{State: andon.IncidentOpen, Limit: boardIncidents + 1})
		if err != nil {
			return nil, err
		}
		if len(v.Incidents) > boardIncidents {
			v.Incidents, v.MoreIncidents = v.Incidents[:boardIncidents], true
			if h.cfg.IncidentCounts != nil {
				counts, err := h.cfg.IncidentCounts(ctx)
				if err != nil {
					return nil, err
				}
				for _, n := range counts {
					v.OpenIncidents += n
				}
				// Counted after the listing, which saw one more than it
				// shows, while some may have been resolved meanwhile.
				v.OpenIncidents = max(v.OpenIncidents, boardIncidents+1)
				v.HiddenIncidents = v.OpenIncidents - boardIncidents
			}
			// Every open critical incident may stop a tile, shown or not;
			// those the section lists come first, then the others
			// updated last.
			stoppers, err = h.cfg.Incidents.FindIncidents(ctx, andon.IncidentFilter{State: andon.IncidentOpen, Severity: andon.LevelCritical, Limit: boardStoppers})
			if err != nil {
				return nil, err
			}
			others := slices.DeleteFunc(v.Incidents, func(inc *andon.Incident) bool { return inc.Severity == andon.LevelCritical })
			v.Incidents = append(slices.Clone(stoppers[:min(len(stoppers), boardIncidents)]), others...)[:boardIncidents]
		} else {
			stoppers = v.Incidents
		}
	}
	var recovery map[string][]string
	if h.cfg.Backups != nil {
		// One read for the whole board, as the incidents'.
		status, err := h.cfg.Backups.RecoveryStatus(ctx, "")
		if err != nil {
			return nil, err
		}
		recovery = recoveryNotes(status)
	}
	byPlant := map[string]*plantTiles{}
	for _, p := range cat.Plants {
		pt := &plantTiles{Name: p.Name, Timezone: p.Timezone, Local: now.In(p.Location)}
		byPlant[p.Name] = pt
		v.Plants = append(v.Plants, pt)
	}
	for _, env := range cat.Environments {
		t, err := h.tile(ctx, cat, env, now)
		if err != nil {
			return nil, err
		}
		c := counts[env.Name]
		t.Pending, t.Approved, t.Implementing = c[andon.StatePending], c[andon.StateApproved], c[andon.StateImplementing]
		for _, inc := range v.Incidents {
			if inc.Scope.Affects(env) {
				t.Incidents = append(t.Incidents, inc)
			}
		}
		for _, inc := range stoppers {
			if inc.Stops(env) {
				t.StoppedBy = append(t.StoppedBy, inc)
			}
		}
		t.Recovery = recovery[env.Name]
		// An environment serving several plants is shown with its first,
		// whose time zone its windows follow.
		home := "—"
		if len(env.Plants) > 0 {
			home = env.Plants[0]
		}
		pt := byPlant[home]
		if pt == nil {
			pt = &plantTiles{Name: home, Timezone: "UTC", Local: now.UTC()}
			byPlant[home] = pt
			v.Plants = append(v.Plants, pt)
		}
		pt.Tiles = append(pt.Tiles, t)
	}
	v.Plants = slices.DeleteFunc(v.Plants, func(p *plantTiles) bool { return len(p.Tiles) == 0 })
	return v, nil
}

// recoveryNotes says what is amiss with the recovery of each production
// environment of status with a backup recorded, as the findings weigh
// them: its latest backup older than the backup freshness the gate asks
// of a migration, and no restore test passed within the period. An
// environment of which no backup is recorded has no note: andon knows of
// nothing to restore, and andon backup status says so.
func recoveryNotes(status *andon.RecoveryStatus) map[string][]string {
	notes := map[string][]string{}
	for _, p := range status.Environments {
		if p.Stage != andon.StageProduction || p.Backup == nil {
			continue
		}
		var say []string
		if !p.BackupFresh {
			say = append(say, fmt.Sprintf("latest backup %s old, past the backup freshness of %s", andon.HumanDuration(p.BackupAge), andon.HumanDuration(status.BackupFreshness)))
		}
		if !p.RestoreTestRecent {
			if t := p.PassedRestoreTest; t != nil {
				say = append(say, fmt.Sprintf("no restore test passed in %s (the latest %s ago)", andon.HumanDuration(status.RestoreTestPeriod), andon.HumanDuration(max(status.At.Sub(t.FinishedAt), 0))))
			} else {
				say = append(say, "no restore test passed")
			}
		}
		if say != nil {
			notes[p.Environment] = say
		}
	}
	return notes
}

// tile computes the state of env at now. The state and the window in
// force come from the calendar's Active, as the gate's do: a window whose
// occurrences overlap or touch (the month-end close, two 48-hour freezes
// a day apart) is in force until the last of them ends, which is what the
// tile says, and a later occurrence that only prolongs it is not the next
// window.
func (h *Handler) tile(ctx context.Context, cat *andon.Catalog, env *andon.Environment, now time.Time) (*tile, error) {
	t := &tile{Env: env, Loc: cat.Location(env), State: stateOpen}
	active, err := h.cfg.Calendar.Active(ctx, env.Name, now)
	if err != nil {
		return nil, err
	}
	for i := range active {
		o := &active[i]
		switch o.Type {
		case andon.WindowFreeze:
			if t.State != stateFrozen || o.End.After(t.Active.End) {
				t.State, t.Active = stateFrozen, o
			}
		case andon.WindowMaintenance:
			if t.State == stateOpen || t.State == stateMaintenance && o.End.After(t.Active.End) {
				t.State, t.Active = stateMaintenance, o
			}
		case andon.WindowPeak:
			if t.Peak == nil || o.End.After(t.Peak.End) {
				t.Peak = o
			}
		}
	}
	next := func(o andon.Occurrence) bool {
		return o.Start.After(now) && !slices.ContainsFunc(active, func(a andon.Occurrence) bool {
			return a.Window == o.Window && !o.Start.After(a.End)
		})
	}
	occurrences, err := h.cfg.Calendar.Occurrences(ctx, env.Name, now, now.Add(boardLookahead))
	if err == nil && !slices.ContainsFunc(occurrences, next) {
		occurrences, err = h.cfg.Calendar.Occurrences(ctx, env.Name, now, now.Add(boardHorizon))
	}
	if err != nil {
		return nil, err
	}
	if i := slices.IndexFunc(occurrences, next); i >= 0 {
		t.Next = &occurrences[i]
	}
	return t, nil
}

// catalog returns the catalog in force.
func (h *Handler) catalog() (*andon.Catalog, error) {
	cat := h.cfg.Catalog.Catalog()
	if cat == nil {
		return nil, andon.Errorf(andon.EINTERNAL, "no catalog is loaded")
	}
	return cat, nil
}
