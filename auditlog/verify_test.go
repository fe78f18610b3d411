package auditlog_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/mod/sumdb/tlog"
)

// editActor changes the actor of a record, keeping it well-formed.
func editActor(record []byte) []byte {
	return bytes.Replace(record, []byte(`"actor":"user`), []byte(`"actor":"evil`), 1)
}

// deleteRows removes the rows of entries lo to hi.
func (l *memLog) deleteRows(lo, hi int64) {
	l.rows = slices.Delete(l.rows, int(lo), int(hi+1))
	l.records = slices.Delete(l.records, int(lo), int(hi+1))
}

func TestVerify(t *testing.T) {
	const n = 1000
	s, v := mustSigner(t, "andon")
	intruder, _ := mustSigner(t, "andon")

	tests := []struct {
		name   string
		tamper func(t *testing.T, l *memLog)
		want   auditlog.Report
		// problem holds words the Problem must contain.
		problem []string
	}{{
		name:   "untouched",
		tamper: func(t *testing.T, l *memLog) {},
		want:   auditlog.Report{Entries: n, CheckpointSize: n, OK: true, FirstBad: -1},
	}, {
		name: "record edited",
		tamper: func(t *testing.T, l *memLog) {
			l.records[417] = editActor(l.records[417])
		},
		want:    auditlog.Report{Entries: n, CheckpointSize: n, FirstBad: 417},
		problem: []string{"entry 417 ", "stored leaf hash"},
	}, {
		name: "record edited beyond parsing",
		tamper: func(t *testing.T, l *memLog) {
			l.records[417] = l.records[417][:20]
		},
		want:    auditlog.Report{Entries: n, CheckpointSize: n, FirstBad: 417},
		problem: []string{"entry 417 does not parse"},
	}, {
		name: "record edited with a wrong type",
		tamper: func(t *testing.T, l *memLog) {
			l.records[417] = bytes.Replace(l.records[417], []byte(`"index":417`), []byte(`"index":"417"`), 1)
		},
		want:    auditlog.Report{Entries: n, CheckpointSize: n, FirstBad: 417},
		problem: []string{"entry 417 does not parse", "index"},
	}, {
		name: "record edited and its leaf hash rewritten",
		tamper: func(t *testing.T, l *memLog) {
			l.records[417] = editActor(l.records[417])
			l.hashes[tlog.StoredHashIndex(0, 417)] = tlog.RecordHash(l.records[417])
		},
		// The leaf agrees with the record, so the first stored hash that
		// disagrees is the one over entries 416 and 417.
		want:    auditlog.Report{Entries: n, CheckpointSize: n, FirstBad: 416},
		problem: []string{"entry 416", "entries 416 to 417"},
	}, {
		name: "record edited and every stored hash rewritten",
		tamper: func(t *testing.T, l *memLog) {
			l.records[417] = editActor(l.records[417])
			l.mustRehash(t)
		},
		want:    auditlog.Report{Entries: n, CheckpointSize: n, FirstBad: -1},
		problem: []string{"root of the first 1000 entries", "does not match the signed checkpoint"},
	}, {
		name: "record edited, rehashed and signed by another key",
		tamper: func(t *testing.T, l *memLog) {
			l.records[417] = editActor(l.records[417])
			l.mustRehash(t)
			l.mustSign(t, intruder)
		},
		want:    auditlog.Report{Entries: n, CheckpointSize: 0, FirstBad: -1},
		problem: []string{"not signed by key andon"},
	}, {
		name: "leaf hash altered",
		tamper: func(t *testing.T, l *memLog) {
			l.hashes[tlog.StoredHashIndex(0, 417)][0] ^= 1
		},
		want:    auditlog.Report{Entries: n, CheckpointSize: n, FirstBad: 417},
		problem: []string{"entry 417 ", "stored leaf hash"},
	}, {
		name: "interior hash altered",
		tamper: func(t *testing.T, l *memLog) {
			l.hashes[tlog.StoredHashIndex(3, 416/8)][0] ^= 1
		},
		want:    auditlog.Report{Entries: n, CheckpointSize: n, FirstBad: 416},
		problem: []string{"entry 416", "entries 416 to 423"},
	}, {
		name: "leaf hash deleted",
		tamper: func(t *testing.T, l *memLog) {
			l.missing = map[int64]bool{tlog.StoredHashIndex(0, 417): true}
		},
		want:    auditlog.Report{Entries: n, CheckpointSize: n, FirstBad: 417},
		problem: []string{"entry 417", "missing"},
	}, {
		name: "record deleted",
		tamper: func(t *testing.T, l *memLog) {
			l.deleteRows(417, 417)
		},
		want:    auditlog.Report{Entries: n - 1, CheckpointSize: n, FirstBad: 417},
		problem: []string{"entry 417 is missing"},
	}, {
		name: "records deleted",
		tamper: func(t *testing.T, l *memLog) {
			l.deleteRows(417, 419)
		},
		want:    auditlog.Report{Entries: n - 3, CheckpointSize: n, FirstBad: 417},
		problem: []string{"entries 417 to 419 are missing"},
	}, {
		name: "record deleted and later rows renumbered",
		tamper: func(t *testing.T, l *memLog) {
			l.deleteRows(417, 417)
			for k := range l.rows {
				l.rows[k] = int64(k)
			}
		},
		want:    auditlog.Report{Entries: n - 1, CheckpointSize: n, FirstBad: 417},
		problem: []string{"entry 417 holds the record of entry 418"},
	}, {
		name: "records swapped",
		tamper: func(t *testing.T, l *memLog) {
			l.records[417], l.records[418] = l.records[418], l.records[417]
		},
		want:    auditlog.Report{Entries: n, CheckpointSize: n, FirstBad: 417},
		problem: []string{"entry 417 holds the record of entry 418"},
	}, {
		name: "rows out of order",
		tamper: func(t *testing.T, l *memLog) {
			l.rows[417], l.rows[418] = l.rows[418], l.rows[417]
			l.records[417], l.records[418] = l.records[418], l.records[417]
		},
		want:    auditlog.Report{Entries: n, CheckpointSize: n, FirstBad: 417},
		problem: []string{"entry 417 is missing"},
	}, {
		name: "row repeated",
		tamper: func(t *testing.T, l *memLog) {
			l.rows = slices.Insert(l.rows, 418, 417)
			l.records = slices.Insert(l.records, 418, l.records[417])
		},
		want:    auditlog.Report{Entries: n + 1, CheckpointSize: n, Unsigned: 1, FirstBad: 417},
		problem: []string{"entry 417 appears again"},
	}, {
		name: "tail truncated",
		tamper: func(t *testing.T, l *memLog) {
			l.deleteRows(n-3, n-1)
		},
		want:    auditlog.Report{Entries: n - 3, CheckpointSize: n, FirstBad: n - 3},
		problem: []string{"entry 997 is missing", "covers 1000"},
	}, {
		name: "every record deleted",
		tamper: func(t *testing.T, l *memLog) {
			l.deleteRows(0, n-1)
		},
		want:    auditlog.Report{Entries: 0, CheckpointSize: n, FirstBad: 0},
		problem: []string{"entry 0 is missing"},
	}, {
		name: "entries added beyond the checkpoint",
		tamper: func(t *testing.T, l *memLog) {
			for i := range int64(5) {
				l.mustAppend(t, testEvent(n+i))
			}
		},
		want:    auditlog.Report{Entries: n + 5, CheckpointSize: n, Unsigned: 5, FirstBad: n},
		problem: []string{"entries 1000 to 1004 are covered by no signed checkpoint"},
	}, {
		name: "checkpoint signature altered",
		tamper: func(t *testing.T, l *memLog) {
			l.checkpoint = bytes.Clone(l.checkpoint)
			l.checkpoint[len(l.checkpoint)-5] ^= 1
		},
		want:    auditlog.Report{Entries: n, FirstBad: -1},
		problem: []string{"checkpoint"},
	}, {
		name: "checkpoint text altered",
		tamper: func(t *testing.T, l *memLog) {
			l.checkpoint = bytes.Replace(l.checkpoint, []byte("\n1000\n"), []byte("\n999\n"), 1)
		},
		want:    auditlog.Report{Entries: n, FirstBad: -1},
		problem: []string{"checkpoint signature does not verify"},
	}, {
		name: "checkpoint deleted",
		tamper: func(t *testing.T, l *memLog) {
			l.checkpoint = nil
		},
		want:    auditlog.Report{Entries: n, Unsigned: n, FirstBad: -1},
		problem: []string{"no signed checkpoint"},
	}, {
		name: "an earlier fault is named first",
		tamper: func(t *testing.T, l *memLog) {
			// The edit shows only when the stored hashes are compared,
			// after the later record was read.
			l.records[417] = editActor(l.records[417])
			l.records[418] = []byte("{}")
		},
		want:    auditlog.Report{Entries: n, CheckpointSize: n, FirstBad: 417},
		problem: []string{"entry 417 ", "stored leaf hash"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustLog(t, n, s)
			root, err := auditlog.TreeHash(n, l)
			if err != nil {
				t.Fatal(err)
			}
			tt.tamper(t, l)
			got, err := auditlog.Verify(context.Background(), l, v)
			if err != nil {
				t.Fatal(err)
			}
			if got.OK && got.Entries == n && got.Root != root.String() {
				t.Errorf("Root = %s, want %s", got.Root, root)
			}
			checkReport(t, got, tt.want, tt.problem)
		})
	}
}

// writtenMeanwhile is a log written while Verify reads it: the checkpoint
// read first covers fewer entries than the records read after it, and a
// checkpoint read again covers them all, as the store's writes sign one
// in each transaction.
type writtenMeanwhile struct {
	*memLog
	later []byte
	reads int
	// seen is how many records Records gives, when the writes went on
	// after them; 0 means all.
	seen int
}

func (w *writtenMeanwhile) Checkpoint(ctx context.Context) ([]byte, error) {
	w.reads++
	if w.reads > 1 {
		return w.later, nil
	}
	return w.memLog.Checkpoint(ctx)
}

func (w *writtenMeanwhile) Records(ctx context.Context, fn func(int64, []byte) error) error {
	n := 0
	return w.memLog.Records(ctx, func(i int64, record []byte) error {
		if n++; w.seen > 0 && n > w.seen {
			return nil
		}
		return fn(i, record)
	})
}

func TestVerifyEntriesWrittenMeanwhile(t *testing.T) {
	const n = 100
	s, v := mustSigner(t, "andon")
	tests := []struct {
		name string
		// The log: n entries signed, then appended more, with the latest
		// checkpoint signed after signedAt of them (-1: none since the
		// first); Verify reads seen of them (0: all). With forge, entry
		// n+2 is then edited and the stored hashes recomputed. Without
		// first, the log had no checkpoint when Verify began.
		appended, signedAt, seen int
		forge, noFirst           bool
		wantOK                   bool
		wantEntries              int64
		problem                  string
	}{
		{name: "written while read", appended: 5, signedAt: 5, wantOK: true, wantEntries: n + 5},
		{name: "written after the records were read", appended: 7, signedAt: 7, seen: n + 5, wantOK: true, wantEntries: n + 5},
		{name: "the first checkpoint signed meanwhile", appended: 0, signedAt: 0, noFirst: true, wantOK: true, wantEntries: n},
		{name: "some added outside andon", appended: 5, signedAt: 2, wantEntries: n + 5, problem: "entries 102 to 104 are covered by no signed checkpoint"},
		{name: "none signed since", appended: 5, signedAt: -1, wantEntries: n + 5, problem: "entries 100 to 104 are covered by no signed checkpoint"},
		{name: "forged, shown an older checkpoint first", appended: 5, signedAt: 5, forge: true, wantEntries: n + 5, problem: "does not match the checkpoint signed since"},
		{name: "forged, with writes after", appended: 7, signedAt: 7, seen: n + 5, forge: true, wantEntries: n + 5, problem: "are not the start of the log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustLog(t, n, s)
			first := l.checkpoint
			if tt.noFirst {
				first = nil
			}
			latest := first
			for i := range tt.appended + 1 {
				if i == tt.signedAt {
					l.mustSign(t, s)
					latest = l.checkpoint
				}
				if i < tt.appended {
					l.mustAppend(t, testEvent(n+int64(i)))
				}
			}
			l.checkpoint = first
			if tt.forge {
				l.records[n+2] = editActor(l.records[n+2])
				l.mustRehash(t)
			}
			rep, err := auditlog.Verify(context.Background(), &writtenMeanwhile{memLog: l, later: latest, seen: tt.seen}, v)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK != tt.wantOK || rep.Entries != tt.wantEntries || !strings.Contains(rep.Problem, tt.problem) {
				t.Errorf("Verify = %+v; want OK %v over %d entries, problem %q", rep, tt.wantOK, tt.wantEntries, tt.problem)
			}
		})
	}
}

// TestVerifyNamesEachEntry edits, then deletes, every entry of a log in
// turn, and checks that Verify names that entry.
func TestVerifyNamesEachEntry(t *testing.T) {
	const n = 150
	s, v := mustSigner(t, "andon")
	l := mustLog(t, n, s)
	for i := range int64(n) {
		orig := l.records[i]
		l.records[i] = append(bytes.Clone(orig[:len(orig)-1]), ' ', '}')
		r, err := auditlog.Verify(context.Background(), l, v)
		if err != nil {
			t.Fatal(err)
		}
		if r.OK || r.FirstBad != i {
			t.Errorf("entry %d edited: OK %v, FirstBad %d: %s", i, r.OK, r.FirstBad, r.Problem)
		}
		l.records[i] = orig

		deleted := mustLog(t, n, s)
		deleted.deleteRows(i, i)
		r, err = auditlog.Verify(context.Background(), deleted, v)
		if err != nil {
			t.Fatal(err)
		}
		if r.OK || r.FirstBad != i {
			t.Errorf("entry %d deleted: OK %v, FirstBad %d: %s", i, r.OK, r.FirstBad, r.Problem)
		}
	}
}

func TestVerifySmallLogs(t *testing.T) {
	s, v := mustSigner(t, "andon")
	empty, _ := tlog.TreeHash(0, nil)
	tests := []struct {
		name string
		log  func(t *testing.T) *memLog
		want auditlog.Report
	}{{
		name: "empty, never signed",
		log:  func(t *testing.T) *memLog { return &memLog{} },
		want: auditlog.Report{Root: empty.String(), OK: true, FirstBad: -1},
	}, {
		name: "empty, signed",
		log:  func(t *testing.T) *memLog { return mustLog(t, 0, s) },
		want: auditlog.Report{Root: empty.String(), OK: true, FirstBad: -1},
	}, {
		name: "one entry",
		log:  func(t *testing.T) *memLog { return mustLog(t, 1, s) },
		want: auditlog.Report{Entries: 1, Root: tlog.RecordHash(mustLog(t, 1, nil).records[0]).String(), CheckpointSize: 1, OK: true, FirstBad: -1},
	}, {
		name: "signed when empty, then one entry added",
		log: func(t *testing.T) *memLog {
			l := mustLog(t, 0, s)
			l.mustAppend(t, testEvent(0))
			return l
		},
		want: auditlog.Report{Entries: 1, Root: tlog.RecordHash(mustLog(t, 1, nil).records[0]).String(), Unsigned: 1, FirstBad: 0,
			Problem: "entries 0 to 0 are covered by no signed checkpoint: andon signs one with every write, so they were added outside it"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auditlog.Verify(context.Background(), tt.log(t), v)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("Verify (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerifyErrors(t *testing.T) {
	s, v := mustSigner(t, "andon")
	ioErr := errors.New("disk on fire")

	l := mustLog(t, 10, s)
	l.err = ioErr
	if _, err := auditlog.Verify(context.Background(), l, v); !errors.Is(err, ioErr) {
		t.Errorf("Verify with failing source: %v, want %v", err, ioErr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := auditlog.Verify(ctx, mustLog(t, 3000, s), v); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify with ended context: %v, want %v", err, context.Canceled)
	}

	// A source that fails while the records stream by.
	f := &failingHashes{memLog: mustLog(t, 3000, s), err: ioErr}
	if _, err := auditlog.Verify(context.Background(), f, v); !errors.Is(err, ioErr) {
		t.Errorf("Verify with failing StoredHashes: %v, want %v", err, ioErr)
	}
}

// failingHashes is a log whose stored hashes cannot be read.
type failingHashes struct {
	*memLog
	err error
}

func (f *failingHashes) StoredHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	return nil, f.err
}

var _ auditlog.Source = (*memLog)(nil)

// TestVerifySaved checks the log against checkpoints saved outside it: a
// restore of an older backup leaves a log that verifies on its own, and
// only a checkpoint saved before shows that entries were lost, even once
// the log has grown past it again.
func TestVerifySaved(t *testing.T) {
	s, v := mustSigner(t, "andon")
	_, other := mustSigner(t, "andon")
	// The log as it was when the auditor saved its checkpoints, at 40 and
	// at 100 entries.
	early := mustLog(t, 40, s).mustSign(t, s)
	before := mustLog(t, 100, s)
	saved := before.mustSign(t, s)
	// rolledBack is the log restored from a backup of its first 60
	// entries and written again up to n entries, by another deployment.
	rolledBack := func(n int64) *memLog {
		l := mustLog(t, 60, nil)
		for i := int64(60); i < n; i++ {
			ev := testEvent(i)
			ev.Actor = "after-restore"
			l.mustAppend(t, ev)
		}
		l.mustSign(t, s)
		return l
	}
	forked := mustLog(t, 100, nil)
	forked.records[99] = editActor(forked.records[99])
	forked.mustRehash(t)
	forkedSaved := forked.mustSign(t, s)

	tests := []struct {
		name  string
		log   *memLog
		saved []*andon.Checkpoint
		want  auditlog.Report
		// problem holds words the Problem must contain.
		problem []string
	}{{
		name:  "the log extends the saved checkpoints",
		log:   mustLog(t, 150, s),
		saved: []*andon.Checkpoint{early, saved},
		want:  auditlog.Report{Entries: 150, CheckpointSize: 150, OK: true, FirstBad: -1, Saved: 2},
	}, {
		name:  "a saved checkpoint of the whole log",
		log:   before,
		saved: []*andon.Checkpoint{saved, saved},
		want:  auditlog.Report{Entries: 100, CheckpointSize: 100, OK: true, FirstBad: -1, Saved: 2},
	}, {
		name:    "restored to fewer entries",
		log:     rolledBack(80),
		saved:   []*andon.Checkpoint{early, saved},
		want:    auditlog.Report{Entries: 80, CheckpointSize: 80, FirstBad: 80, Saved: 2},
		problem: []string{"rolled back", "holds 80 entries", "signs 100", "entries 80 to 99 are gone"},
	}, {
		name:    "restored, and written again past the saved size",
		log:     rolledBack(130),
		saved:   []*andon.Checkpoint{early, saved},
		want:    auditlog.Report{Entries: 130, CheckpointSize: 130, FirstBad: -1, Saved: 2},
		problem: []string{"first 100 entries are not those of the checkpoint saved earlier", saved.RootHash},
	}, {
		name:    "restored to an empty log",
		log:     &memLog{},
		saved:   []*andon.Checkpoint{early},
		want:    auditlog.Report{Entries: 0, FirstBad: 0, Saved: 1},
		problem: []string{"rolled back", "holds 0 entries", "signs 40"},
	}, {
		name:    "two saved checkpoints of one size",
		log:     before,
		saved:   []*andon.Checkpoint{saved, forkedSaved},
		want:    auditlog.Report{FirstBad: -1, Saved: 2},
		problem: []string{"two saved checkpoints of 100 entries sign different roots"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auditlog.Verify(context.Background(), tt.log, v, tt.saved...)
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, got, tt.want, tt.problem)
		})
	}

	// A saved checkpoint the key does not verify is the caller's mistake,
	// not a fault of the log.
	_, err := auditlog.Verify(context.Background(), before, other, saved)
	if andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), "saved checkpoint of 100 entries") {
		t.Errorf("Verify with a saved checkpoint of another key: err = %v, want EINVALID naming it", err)
	}
}

// checkReport compares a report with want, but for its root and problem,
// and wants the problem to mention each of problem, or to be empty when
// problem is nil.
func checkReport(t *testing.T, got *auditlog.Report, want auditlog.Report, problem []string) {
	t.Helper()
	if diff := cmp.Diff(want, *got, cmpopts.IgnoreFields(auditlog.Report{}, "Root", "Problem")); diff != "" {
		t.Errorf("Verify (-want +got):\n%s\nproblem: %s", diff, got.Problem)
	}
	for _, w := range problem {
		if !strings.Contains(got.Problem, w) {
			t.Errorf("Problem %q does not mention %q", got.Problem, w)
		}
	}
	if problem == nil && got.Problem != "" {
		t.Errorf("Problem %q, want none", got.Problem)
	}
}

// TestVerifyRecordedRollback restores a log of 100 entries to its first
// 60 and records the rollback in the next entry, as andon audit
// record-rollback does: the checkpoint it names no longer fails a
// verification, which names the entry; one it does not name still fails,
// and an entry that misstates the log it follows is a fault.
func TestVerifyRecordedRollback(t *testing.T) {
	s, v := mustSigner(t, "andon")
	ctx := context.Background()
	early := mustLog(t, 80, s).mustSign(t, s)
	saved := mustLog(t, 100, s).mustSign(t, s)
	restored := func(size int64, root string) *memLog {
		l := mustLog(t, 60, nil)
		if root == "" {
			h, err := auditlog.TreeHash(60, l)
			if err != nil {
				t.Fatal(err)
			}
			root = h.String()
		}
		rb := &andon.RolledBack{
			Reason: "CHG-9: restored the 02:00 backup", Size: size, RootHash: root,
			Checkpoints: []andon.RolledBackCheckpoint{{Size: saved.Size, RootHash: saved.RootHash, Note: saved.Note, Source: "andon.db-checkpoint"}},
		}
		mustSignRollback(t, s, rb)
		l.mustAppend(t, andon.Event{Type: andon.EventAuditRolledBack, Actor: andon.ActorAdmin, Data: rb})
		for i := int64(61); i < 120; i++ {
			l.mustAppend(t, testEvent(i))
		}
		l.mustSign(t, s)
		return l
	}

	rep, err := auditlog.Verify(ctx, restored(60, ""), v, saved)
	if err != nil {
		t.Fatal(err)
	}
	want := []auditlog.RecordedRollback{{Size: 100, RootHash: saved.RootHash, Entry: 60, Reason: "CHG-9: restored the 02:00 backup"}}
	if !rep.OK || !cmp.Equal(rep.RolledBack, want) {
		t.Errorf("a recorded rollback: OK %v, %q; rolled back %s", rep.OK, rep.Problem, cmp.Diff(want, rep.RolledBack))
	}

	// A checkpoint the entry does not name still fails.
	rep, err = auditlog.Verify(ctx, restored(60, ""), v, saved, early)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || !strings.Contains(rep.Problem, "the first 80 entries are not those of the checkpoint saved earlier") {
		t.Errorf("a checkpoint the rollback does not name: OK %v, %q", rep.OK, rep.Problem)
	}

	// An entry that misstates the log it follows.
	for _, tc := range []struct {
		size int64
		root string
	}{{59, ""}, {60, saved.RootHash}} {
		rep, err = auditlog.Verify(ctx, restored(tc.size, tc.root), v, saved)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK || rep.FirstBad != 60 || !strings.Contains(rep.Problem, "entry 60 records a rollback to a log of") {
			t.Errorf("a rollback entry stating %d entries, root %q: OK %v, first bad %d, %q", tc.size, tc.root, rep.OK, rep.FirstBad, rep.Problem)
		}
	}
}

// mustSignRollback signs rb with s, as andon audit record-rollback does.
func mustSignRollback(tb testing.TB, s *auditlog.Signer, rb *andon.RolledBack) {
	tb.Helper()
	sig, err := s.SignRollback(rb)
	if err != nil {
		tb.Fatal(err)
	}
	rb.Signature = sig
}

// TestVerifyForgedRollback rewrites a log of 100 entries from its entry 5
// on, as whoever can write the database but not read audit.key can: a
// server signs a checkpoint over whatever tree its database holds at its
// next write. An audit.rolled_back entry appended to name the checkpoint
// an auditor saved must not pass the rewrite off as a restore: only what
// the audit key signed is a recorded rollback.
func TestVerifyForgedRollback(t *testing.T) {
	s, v := mustSigner(t, "andon")
	other, _ := mustSigner(t, "andon") // another key of the same name
	saved := mustLog(t, 100, s).mustSign(t, s)
	forged := func(sign func(*andon.RolledBack)) *memLog {
		l := mustLog(t, 5, nil)
		for i := int64(5); i < 100; i++ {
			ev := testEvent(i)
			ev.Actor = "mallory"
			l.mustAppend(t, ev)
		}
		root, err := auditlog.TreeHash(100, l)
		if err != nil {
			t.Fatal(err)
		}
		rb := &andon.RolledBack{Reason: "restored the 02:00 backup", Size: 100, RootHash: root.String(),
			Checkpoints: []andon.RolledBackCheckpoint{{Size: saved.Size, RootHash: saved.RootHash, Note: saved.Note}}}
		sign(rb)
		l.mustAppend(t, andon.Event{Type: andon.EventAuditRolledBack, Actor: andon.ActorAdmin, Data: rb})
		l.mustAppend(t, testEvent(101))
		l.mustSign(t, s) // the server's next write
		return l
	}
	tests := []struct {
		name, want string
		sign       func(*andon.RolledBack)
	}{
		{"unsigned", "it is not signed", func(*andon.RolledBack) {}},
		{"signed with another key", "its signature does not verify with key andon+", func(rb *andon.RolledBack) { mustSignRollback(t, other, rb) }},
		{"a signature of another rollback", "its signature is for another statement than the entry's", func(rb *andon.RolledBack) {
			genuine := *rb
			genuine.Checkpoints = nil
			mustSignRollback(t, s, &genuine)
			rb.Signature = genuine.Signature
		}},
		{"a checkpoint's note as the signature", "its signature is for another statement than the entry's", func(rb *andon.RolledBack) {
			rb.Signature = saved.Note
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := auditlog.Verify(context.Background(), forged(tt.sign), v, saved)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.FirstBad != 100 || len(rep.RolledBack) != 0 ||
				!strings.Contains(rep.Problem, "entry 100 records a rollback that the audit key did not vouch for: "+tt.want) {
				t.Errorf("OK %v, first bad %d, rolled back %v, %q; want entry 100 refused: %s", rep.OK, rep.FirstBad, rep.RolledBack, rep.Problem, tt.want)
			}
		})
	}
}
