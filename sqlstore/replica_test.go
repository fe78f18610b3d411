package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
)

// Two stores on one database stand for two server replicas. On PostgreSQL
// they write concurrently, and the database alone keeps them consistent;
// on SQLite two processes on one file take turns, which must hold too.

func TestReplicasAppendToOneLog(t *testing.T) {
	eachEngine(t, func(t *testing.T, a *env) {
		b := a.MustOpenReplica(t)
		const n = 40
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range n {
			for name, r := range map[string]*env{"a": a, "b": b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := r.changes.CreateChange(as("alice"), &andon.ChangeRequest{
						Environment: "dev", Type: andon.ChangeNormal, Title: fmt.Sprintf("%s-%d", name, i),
					})
					errs <- err
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		// The log did not fork: one tree holds every entry once, in a
		// sequence without gaps, under a checkpoint both replicas accept.
		r := a.verify(t)
		if !r.OK || r.Entries != 2*n {
			t.Fatalf("audit verify after concurrent writes on two replicas: %+v; want OK with %d entries", r, 2*n)
		}
		entries, err := b.audit.FindEntries(context.Background(), andon.AuditFilter{After: -1, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for i, en := range entries {
			if en.Index != int64(i) {
				t.Fatalf("entry %d has index %d", i, en.Index)
			}
			ids[en.Subject] = true
		}
		if len(ids) != 2*n {
			t.Errorf("%d distinct change IDs in the log, want %d", len(ids), 2*n)
		}
	})
}

func TestRacingApprovalsOnTwoReplicas(t *testing.T) {
	eachEngine(t, func(t *testing.T, a *env) {
		b := a.MustOpenReplica(t)
		for round := range 5 {
			c := a.mustCreate(t, "prod-lyon", fmt.Sprintf("report tweak %d", round), "account")
			// bob and brigitte both hold change-manager and race for its
			// one slot, each through another replica.
			errs := make(chan error, 2)
			start := make(chan struct{})
			for user, r := range map[string]*env{"bob": a, "brigitte": b} {
				go func() {
					<-start
					_, err := r.changes.Decide(as(user), c.ID, andon.Approve, "")
					errs <- err
				}()
			}
			close(start)
			var conflicts int
			for range 2 {
				switch err := <-errs; {
				case err == nil:
				case andon.ErrorCode(err) == andon.ECONFLICT && strings.Contains(andon.ErrorMessage(err), "already filled by"):
					conflicts++
				default:
					t.Fatalf("racing approval: %v; want success or a conflict naming who filled the slot", err)
				}
			}
			got, err := b.changes.FindChangeByID(context.Background(), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			var approvals int
			for _, ap := range got.Approvals {
				if ap.Role == andon.RoleChangeManager {
					approvals++
				}
			}
			if approvals != 1 || conflicts != 1 {
				t.Fatalf("round %d: change-manager slot filled %d times with %d conflicts; want 1 and 1", round, approvals, conflicts)
			}
		}
		if r := a.verify(t); !r.OK {
			t.Errorf("audit verify: %+v", r)
		}
	})
}

func TestGateSeesApprovalFromAnotherReplica(t *testing.T) {
	eachEngine(t, func(t *testing.T, a *env) {
		b := a.MustOpenReplica(t)
		a.MustStage(t, imageStaged)
		c, err := a.changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "prod-geelong", Type: andon.ChangeNormal, Title: "Routing", Artifacts: []string{imageStaged},
			Window: &andon.Span{Start: a.now.Add(-time.Hour), End: a.now.Add(time.Hour)},
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged})
		if err != nil || res.Allow {
			t.Fatalf("gate before approval = %+v, %v; want a denial", res, err)
		}
		if _, err := b.changes.Decide(as("bob"), c.ID, andon.Approve, ""); err != nil {
			t.Fatal(err)
		}
		res, err = a.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged})
		if err != nil || !res.Allow || res.Change.ID != c.ID {
			t.Fatalf("gate on one replica right after an approval on the other = %+v, %v; want allowed", res, err)
		}
	})
}

func TestMigrationsRunOnceWhenReplicasStartTogether(t *testing.T) {
	dsn := sqlstoretest.Postgres(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := sqlstore.Open(context.Background(), dsn)
			if err == nil {
				db.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var applied, distinct int
	if err := raw.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT name) FROM schema_migrations`).Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	if applied == 0 || applied != distinct {
		t.Errorf("schema_migrations holds %d rows, %d distinct; want each migration once", applied, distinct)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			dsn, _ := mustMigratedRaw(t, engine, `INSERT INTO schema_migrations (name) VALUES ('9999_future.sql')`)
			_, err := sqlstore.Open(context.Background(), dsn)
			if andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), "9999_future.sql") {
				t.Errorf("open a database migrated by a newer version: %v; want invalid naming the unknown migration", err)
			}
		})
	}
}

// Two processes that start together on an empty log each pass the check
// of the stored checkpoint's key, which finds none. Given two keys, they
// must not then sign the one log in turn: the first key to sign keeps it,
// and the other process's writes fail, with the gate closed.
func TestReplicaWithAnotherKeyWritesNothing(t *testing.T) {
	eachEngine(t, func(t *testing.T, a *env) {
		b := (&env{engine: a.engine, dir: t.TempDir(), dsn: a.dsn}).open(t, a.now)
		ctx := context.Background()
		for _, r := range []*env{a, b} {
			if err := r.db.CheckSigner(ctx); err != nil {
				t.Fatalf("check the signer of an empty log: %v", err)
			}
		}
		create := func(r *env, title string) error {
			_, err := r.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: title})
			return err
		}
		if err := create(a, "first"); err != nil {
			t.Fatal(err)
		}
		err := create(b, "second")
		if andon.ErrorCode(err) != andon.EINTERNAL || !strings.Contains(andon.ErrorMessage(err), "with another key than this one's "+b.db.Signer.VerifierKey()) {
			t.Errorf("a write with another key: %v; want it refused, naming the key", err)
		}
		if got := b.db.AuditFailures(); got[sqlstore.AuditFailedKey] != 1 || got[sqlstore.AuditFailedWrite] != 0 {
			t.Errorf("audit failures of the replica with another key: %v; want its write counted under key", got)
		}
		if got := a.db.AuditFailures(); got[sqlstore.AuditFailedKey] != 0 || got[sqlstore.AuditFailedWrite] != 0 {
			t.Errorf("audit failures of the replica whose key signed the log: %v; want none", got)
		}
		res, err := b.gate.Decide(as("alice"), andon.GateRequest{Environment: "dev", Image: imageStaged})
		if err == nil || res.Allow {
			t.Errorf("the gate with another key: %+v, %v; want it closed", res, err)
		}
		// The replica with the other key is not ready, and says why.
		if err := a.db.Ready(ctx); err != nil {
			t.Errorf("the replica whose key signed the log: %v; want it ready", err)
		}
		if err := b.db.Ready(ctx); andon.ErrorCode(err) != andon.ECONFLICT || !strings.Contains(andon.ErrorMessage(err), "signed with another key than "+b.db.Signer.VerifierKey()) {
			t.Errorf("the replica with another key: ready %v; want it not ready, naming its key", err)
		}
		if err := create(a, "third"); err != nil {
			t.Fatal(err)
		}
		if r := a.verify(t); !r.OK || r.Entries != 2 {
			t.Errorf("audit verify with the first key: %+v; want OK with the 2 entries of its writes", r)
		}
	})
}

// Two replicas opening one incident ID at once: one opens it, the other
// is told it is open already (a conflict, not a unique violation); two
// opening incidents without an ID get two IDs.
func TestRacingIncidentsOnTwoReplicas(t *testing.T) {
	eachEngine(t, func(t *testing.T, a *env) {
		b := a.MustOpenReplica(t)
		for round := range 5 {
			errs := make(chan error, 4)
			ids := make(chan string, 2)
			start := make(chan struct{})
			for user, r := range map[string]*env{"alice": a, "bob": b} {
				go func() {
					<-start
					req := geelongDown
					req.ID = fmt.Sprintf("OPS-%d", round)
					_, err := r.incidents.OpenIncident(as(user), &req)
					errs <- err
				}()
				go func() {
					<-start
					inc, err := r.incidents.OpenIncident(as(user), &geelongDown)
					if err == nil {
						ids <- inc.ID
					}
					errs <- err
				}()
			}
			close(start)
			var conflicts int
			for range 4 {
				switch err := <-errs; {
				case err == nil:
				case andon.ErrorCode(err) == andon.ECONFLICT && strings.Contains(andon.ErrorMessage(err), "is already open"):
					conflicts++
				default:
					t.Fatalf("racing incidents: %v; want success or a conflict saying the incident is open", err)
				}
			}
			if id1, id2 := <-ids, <-ids; conflicts != 1 || id1 == id2 {
				t.Fatalf("round %d: %d conflicts, incidents without an ID opened as %s and %s; want 1 conflict and two IDs", round, conflicts, id1, id2)
			}
		}
		if r := a.verify(t); !r.OK {
			t.Errorf("audit verify: %+v", r)
		}
	})
}
