package andon

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// DefaultBackupFreshness is how old an environment's latest backup may
// be, as the recovery posture weighs it, when the policy in force
// defines no backup_freshness: the default gate's.
const DefaultBackupFreshness = 24 * time.Hour

// RestoreTestPeriod is how recent the latest passed restore test of an
// environment must be: a quarter of a year, the period of the quarterly
// disaster-recovery test that operational reviews ask for. A production
// environment without one is a finding (RESTORE_TEST_OVERDUE).
const RestoreTestPeriod = 90 * 24 * time.Hour

// Objective is the strictest recovery objective (RPO or RTO) of an
// environment's processes, and the process that sets it.
type Objective struct {
	// Duration is in nanoseconds in JSON, as the catalog's rpo and rto.
	Duration time.Duration `json:"duration"`
	Process  string        `json:"process"`
}

// RecoveryPosture is an environment's recovery posture: its processes'
// strictest objectives beside its latest backup and restore tests, and
// plain verdicts about them. andon does not observe the continuous WAL
// archiving that meets an RPO: the RPO is shown beside the age of the
// latest base backup for reference only.
type RecoveryPosture struct {
	Environment string `json:"environment"`
	Stage       Stage  `json:"stage"`
	// RPO and RTO are the strictest of the environment's processes; nil
	// when none of them states one.
	RPO *Objective `json:"rpo"`
	RTO *Objective `json:"rto"`
	// Backup is the latest backup completed, nil when none is recorded,
	// and BackupAge how long ago it completed.
	Backup    *Backup       `json:"backup"`
	BackupAge time.Duration `json:"backupAge,omitempty"`
	// BackupFresh says the latest backup completed within the backup
	// freshness the gate asks of a migration.
	BackupFresh bool `json:"backupFresh"`
	// RestoreTest is the latest restore test, passed or failed, nil when
	// none is recorded; PassedRestoreTest the latest that passed.
	RestoreTest       *RestoreTest `json:"restoreTest"`
	PassedRestoreTest *RestoreTest `json:"passedRestoreTest"`
	// WithinRTO says the latest passed restore test took no longer than
	// the strictest RTO; nil when there is no such test or no RTO.
	WithinRTO *bool `json:"withinRto"`
	// RestoreTestRecent says the latest passed restore test finished
	// within the restore test period.
	RestoreTestRecent bool `json:"restoreTestRecent"`
	// Verdicts say all of the above in words, one sentence each.
	Verdicts []string `json:"verdicts"`
}

// RecoveryStatus is the recovery posture of every environment at At,
// production first.
type RecoveryStatus struct {
	At time.Time `json:"at"`
	// BackupFreshness is the policy's backup_freshness, or
	// DefaultBackupFreshness; RestoreTestPeriod is RestoreTestPeriod.
	BackupFreshness   time.Duration     `json:"backupFreshness"`
	RestoreTestPeriod time.Duration     `json:"restoreTestPeriod"`
	Environments      []RecoveryPosture `json:"environments"`
}

// RecoveryFacts are what a posture is weighed from: an environment's
// latest backup, latest restore test and latest passed restore test, each
// nil when there is none.
type RecoveryFacts struct {
	Backup            *Backup
	RestoreTest       *RestoreTest
	PassedRestoreTest *RestoreTest
}

// Strictest returns the strictest (smallest stated) RPO and RTO of env's
// processes in c, the first process in env's order winning a tie; nil for
// an objective that none states.
func (c *Catalog) Strictest(env *Environment) (rpo, rto *Objective) {
	for _, name := range env.Processes {
		p := c.Process(name)
		if p == nil {
			continue
		}
		if p.RPO > 0 && (rpo == nil || p.RPO < rpo.Duration) {
			rpo = &Objective{Duration: p.RPO, Process: p.Name}
		}
		if p.RTO > 0 && (rto == nil || p.RTO < rto.Duration) {
			rto = &Objective{Duration: p.RTO, Process: p.Name}
		}
	}
	return rpo, rto
}

// Posture weighs env's recovery facts at now: the latest backup against
// freshness, the latest passed restore test against the strictest RTO and
// RestoreTestPeriod.
func (c *Catalog) Posture(env *Environment, f RecoveryFacts, now time.Time, freshness time.Duration) RecoveryPosture {
	p := RecoveryPosture{Environment: env.Name, Stage: env.Stage, Backup: f.Backup, RestoreTest: f.RestoreTest, PassedRestoreTest: f.PassedRestoreTest}
	p.RPO, p.RTO = c.Strictest(env)
	say := func(format string, args ...any) { p.Verdicts = append(p.Verdicts, fmt.Sprintf(format, args...)) }
	switch {
	case p.RPO == nil && p.RTO == nil:
		say("no process of %s states an RPO or an RTO: its restore tests are weighed against no RTO", env.Name)
	case p.RTO == nil:
		say("no process of %s states an RTO: its restore tests are weighed against none", env.Name)
	}
	if b := f.Backup; b == nil {
		say("no backup of %s is recorded", env.Name)
	} else {
		p.BackupAge = max(now.Sub(b.CompletedAt), 0)
		p.BackupFresh = p.BackupAge <= freshness
		within := "within"
		if !p.BackupFresh {
			within = "older than"
		}
		say("latest backup %s completed %s ago, %s the backup freshness of %s", b.ID, HumanDuration(p.BackupAge), within, HumanDuration(freshness))
	}
	if p.RPO != nil {
		say("the RPO of %s (%s) is met by continuous WAL archiving, which andon does not observe: the age of the latest backup is beside it for reference only", HumanDuration(p.RPO.Duration), p.RPO.Process)
	}
	if t := f.RestoreTest; t != nil && t.Result == RestoreFailed {
		say("latest restore test %s, of backup %s, failed at %s", t.ID, t.Backup, t.FinishedAt.UTC().Format(time.RFC3339))
	}
	t := f.PassedRestoreTest
	if t == nil {
		say("no restore test of %s passed", env.Name)
		return p
	}
	if p.RTO != nil {
		within := t.Duration() <= p.RTO.Duration
		p.WithinRTO = &within
		if within {
			say("latest passed restore test %s took %s, within the RTO of %s (%s)", t.ID, HumanDuration(t.Duration()), HumanDuration(p.RTO.Duration), p.RTO.Process)
		} else {
			say("latest passed restore test %s took %s, longer than the RTO of %s (%s)", t.ID, HumanDuration(t.Duration()), HumanDuration(p.RTO.Duration), p.RTO.Process)
		}
	}
	ago := max(now.Sub(t.FinishedAt), 0)
	p.RestoreTestRecent = ago <= RestoreTestPeriod
	if p.RestoreTestRecent {
		say("latest passed restore test %s finished %s ago, within %s", t.ID, HumanDuration(ago), HumanDuration(RestoreTestPeriod))
	} else {
		say("latest passed restore test %s finished %s ago, more than %s", t.ID, HumanDuration(ago), HumanDuration(RestoreTestPeriod))
	}
	return p
}

// SortPostures orders postures production first, then staging, test and
// development, each by name.
func SortPostures(list []RecoveryPosture) {
	slices.SortStableFunc(list, func(a, b RecoveryPosture) int {
		return cmp.Or(-cmp.Compare(slices.Index(Stages, a.Stage), slices.Index(Stages, b.Stage)), cmp.Compare(a.Environment, b.Environment))
	})
}
