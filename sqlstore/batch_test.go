package sqlstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
)

// TestFailingRequestInABatchKeepsNoWrite builds one batch by hand: a
// request that wrote a row and then failed must leave neither the row nor
// its audit entry, and must not harm the requests around it; nor may one
// that failed after reading only.
func TestFailingRequestInABatchKeepsNoWrite(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		before := e.verify(t).Entries
		errBoom := errors.New("boom")
		token := func(name string, fail bool) func(context.Context, *sqlstore.Tx) error {
			return func(ctx context.Context, tx *sqlstore.Tx) error {
				if err := tx.Exec(ctx, `INSERT INTO tokens (hash, username, created_at) VALUES (?, ?, 0)`, name, name); err != nil {
					return err
				}
				tx.Record(andon.Event{Type: "test", Actor: name})
				if fail {
					return errBoom
				}
				return nil
			}
		}
		readOnlyFailure := func(ctx context.Context, tx *sqlstore.Tx) error {
			if _, err := tx.QueryInt(ctx, `SELECT COUNT(*) FROM tokens`); err != nil {
				return err
			}
			tx.Record(andon.Event{Type: "test", Actor: "reader"})
			return errBoom
		}
		indexes, errs := e.db.CommitBatch(token("a", false), token("b", true), readOnlyFailure, token("c", false))
		for i, want := range []error{nil, errBoom, errBoom, nil} {
			if !errors.Is(errs[i], want) {
				t.Errorf("request %d: %v, want %v", i, errs[i], want)
			}
		}
		if got := indexes[3]; len(got) != 1 || got[0] != before+1 {
			t.Errorf("indexes of the last request = %v, want [%d]: failed requests take no index", got, before+1)
		}
		var names []string
		for _, n := range []string{"a", "b", "c"} {
			entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: "test", Actor: n, After: -1})
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) > 0 {
				names = append(names, n)
			}
		}
		if strings.Join(names, ",") != "a,c" {
			t.Errorf("audit entries of requests %v, want a,c", names)
		}
		counted, errs2 := e.db.CommitBatch(func(ctx context.Context, tx *sqlstore.Tx) error {
			n, err := tx.QueryInt(ctx, `SELECT COUNT(*) FROM tokens WHERE username IN ('a', 'b', 'c')`)
			if err != nil {
				return err
			}
			tx.Record(andon.Event{Type: "count", Actor: "t", Data: n})
			if n != 2 {
				return errors.New("want 2 tokens")
			}
			return nil
		})
		if errs2[0] != nil || len(counted[0]) != 1 {
			t.Errorf("tokens after the batch: %v; want a and c only", errs2[0])
		}
		if r := e.verify(t); !r.OK || r.Entries != before+3 {
			t.Errorf("audit verify = %+v; want OK with %d entries", r, before+3)
		}
	})
}
