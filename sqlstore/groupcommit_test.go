package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
)

// TestGroupCommitIsolatesRequests queues writes behind a slow one so that
// they share a transaction, and checks that each failing request is rolled
// back alone, that a caller giving up mid-write harms nobody, and that the
// audit log holds exactly the entries of the writes that succeeded.
func TestGroupCommitIsolatesRequests(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		before := e.verify(t).Entries
		ctx := context.Background()
		errBoom := errors.New("boom")

		var wg sync.WaitGroup
		// The first write holds the writer so that the others queue.
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.db.Update(ctx, func(ctx context.Context, tx *sqlstore.Tx) error {
				time.Sleep(200 * time.Millisecond)
				tx.Record(andon.Event{Type: "test", Actor: "t", Subject: "slow"})
				return nil
			}); err != nil {
				t.Errorf("slow write: %v", err)
			}
		}()
		time.Sleep(50 * time.Millisecond)

		const n = 12
		results := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				user := fmt.Sprintf("user%d", i)
				reqCtx, cancel := context.WithCancel(ctx)
				defer cancel()
				_, results[i] = e.db.Update(reqCtx, func(ctx context.Context, tx *sqlstore.Tx) error {
					tx.Record(andon.Event{Type: "test", Actor: user, Subject: user})
					switch i % 3 {
					case 1:
						return errBoom // fails after recording: nothing of it may stay
					case 2:
						cancel() // the caller gives up while its write runs
					}
					return nil
				})
			}()
		}
		wg.Wait()

		var ok int
		for i, err := range results {
			switch {
			case i%3 == 1 && !errors.Is(err, errBoom):
				t.Errorf("request %d: %v, want boom", i, err)
			case i%3 != 1 && err != nil:
				t.Errorf("request %d: %v, want success", i, err)
			case err == nil:
				ok++
			}
		}
		r := e.verify(t)
		if !r.OK || r.Entries != before+1+int64(ok) {
			t.Errorf("audit log after the batch: %+v; want OK with %d entries", r, before+1+int64(ok))
		}
		entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: "test", After: -1})
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			var i int
			if _, err := fmt.Sscanf(en.Subject, "user%d", &i); err == nil && i%3 == 1 {
				t.Errorf("entry %d of failed request %d was kept", en.Index, i)
			}
		}
	})
}

func TestWritesAfterCloseFail(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.db.Close()
		_, err := e.db.Update(context.Background(), func(ctx context.Context, tx *sqlstore.Tx) error {
			tx.Record(andon.Event{Type: "test", Actor: "t"})
			return nil
		})
		if andon.ErrorCode(err) != andon.EINTERNAL {
			t.Errorf("write after close: %v, want internal", err)
		}
	})
}
