package catalogsync_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/catalogsync"
)

// watcher runs Watch in the background and hands over what it reports.
type watcher struct {
	applied chan *catalogsync.Snapshot
	errs    chan error
	cancel  context.CancelFunc
	done    chan struct{}
}

// StartWatch starts Watch on src every interval from the revision last.
// apply, when not nil, decides what applying a snapshot returns. Watch is
// stopped, and waited for, at the end of the test.
func StartWatch(tb testing.TB, src catalogsync.Source, interval time.Duration, last string, apply func(*catalogsync.Snapshot) error) *watcher {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{
		applied: make(chan *catalogsync.Snapshot),
		errs:    make(chan error),
		cancel:  cancel,
		done:    make(chan struct{}),
	}
	go func() {
		defer close(w.done)
		catalogsync.Watch(ctx, src, interval, last,
			func(s *catalogsync.Snapshot) error {
				select {
				case w.applied <- s:
				case <-ctx.Done():
				}
				if apply != nil {
					return apply(s)
				}
				return nil
			},
			func(err error) {
				select {
				case w.errs <- err:
				case <-ctx.Done():
				}
			})
	}()
	tb.Cleanup(w.Stop)
	return w
}

// Stop stops Watch and waits for it to return.
func (w *watcher) Stop() {
	w.cancel()
	<-w.done
}

// MustApply waits for the next snapshot applied, failing on an error.
func (w *watcher) MustApply(tb testing.TB) *catalogsync.Snapshot {
	tb.Helper()
	select {
	case s := <-w.applied:
		return s
	case err := <-w.errs:
		tb.Fatalf("got error %v, want a snapshot applied", err)
	case <-time.After(time.Minute):
		tb.Fatal("no snapshot applied")
	}
	return nil
}

// MustError waits for the next error reported, failing on a snapshot
// applied.
func (w *watcher) MustError(tb testing.TB) error {
	tb.Helper()
	select {
	case s := <-w.applied:
		tb.Fatalf("got %s applied (commit %s), want an error", s.Revision, s.Commit)
	case err := <-w.errs:
		return err
	case <-time.After(time.Minute):
		tb.Fatal("no error reported")
	}
	return nil
}

// TestWatchGit follows a repository through two valid versions of the
// catalog and an invalid one, which is reported and leaves the second in
// force.
func TestWatchGit(t *testing.T) {
	repo := MustInitRepo(t)
	MustCopyExample(t, repo)
	c1 := MustCommit(t, repo, "catalog")
	rev1 := MustRevision(t, repo)
	src := MustGitSource(t, catalogsync.GitOptions{URL: repo, Ref: "main"})

	w := StartWatch(t, src, 10*time.Millisecond, "", nil)
	if s := w.MustApply(t); s.Commit != c1 || s.Revision != rev1 {
		t.Fatalf("first: commit %s revision %s, want %s %s", s.Commit, s.Revision, c1, rev1)
	}

	MustAppend(t, repo, "teams.yaml", nightShift)
	c2 := MustCommit(t, repo, "night shift")
	rev2 := MustRevision(t, repo)
	s2 := w.MustApply(t)
	if s2.Commit != c2 || s2.Revision != rev2 {
		t.Fatalf("second: commit %s revision %s, want %s %s", s2.Commit, s2.Revision, c2, rev2)
	}
	if s2.Catalog.Team("night-shift") == nil {
		t.Error("the second catalog lacks the team added")
	}

	MustWrite(t, repo, "plants.yaml", badPlants)
	c3 := MustCommit(t, repo, "a criticality that does not exist")
	// The invalid version is reported at every fetch, and never applied:
	// MustError fails on any snapshot applied in between.
	for range 2 {
		err := w.MustError(t)
		problems, ok := errors.AsType[catalog.Errors](err)
		if !ok {
			t.Fatalf("error %v; want a catalog.Errors", err)
		}
		MustHaveProblem(t, problems, "plants.yaml", "spec.criticality")
		if !strings.Contains(err.Error(), c3) || !strings.HasPrefix(err.Error(), src.String()+": ") {
			t.Errorf("error %q: want it to name the source and commit %s", err, c3)
		}
	}
}

// TestWatchEmptied checks that a directory whose files were emptied,
// which would take every environment and team out of force, is reported
// and not applied: the version in force stays.
func TestWatchEmptied(t *testing.T) {
	dir := t.TempDir()
	MustCopyExample(t, dir)
	inForce := MustRevision(t, dir)
	for _, name := range exampleFiles {
		if strings.HasSuffix(name, ".yaml") {
			MustWrite(t, dir, name, "---\n")
		}
	}
	var errs []error
	catalogsync.Watch(t.Context(), catalogsync.Dir(dir), 0, inForce,
		func(s *catalogsync.Snapshot) error {
			t.Errorf("applied %s, want the version in force kept", s.Revision)
			return nil
		},
		func(err error) { errs = append(errs, err) })
	if len(errs) != 1 {
		t.Fatalf("reported %v, want one error", errs)
	}
	problems, ok := errors.AsType[catalog.Errors](errs[0])
	if !ok {
		t.Fatalf("error %v; want a catalog.Errors", errs[0])
	}
	MustHaveProblem(t, problems, ".", "")
}

// TestWatchLast checks that the revision in force when Watch starts is not
// applied again, and that a change from it is.
func TestWatchLast(t *testing.T) {
	dir := t.TempDir()
	MustCopyExample(t, dir)
	rev1 := MustRevision(t, dir)
	src := &observed{Source: catalogsync.Dir(dir), fetched: make(chan struct{})}

	w := StartWatch(t, src, 10*time.Millisecond, rev1, nil)
	<-src.fetched
	MustAppend(t, dir, "teams.yaml", nightShift)
	rev2 := MustRevision(t, dir)
	if s := w.MustApply(t); s.Revision != rev2 {
		t.Errorf("applied %s, want %s: the revision in force was applied again", s.Revision, rev2)
	}
}

// observed is a Source that says when it was first fetched.
type observed struct {
	catalogsync.Source
	once    sync.Once
	fetched chan struct{}
}

func (o *observed) Fetch(ctx context.Context) (*catalogsync.Snapshot, error) {
	s, err := o.Source.Fetch(ctx)
	o.once.Do(func() { close(o.fetched) })
	return s, err
}

// TestWatchApplyFails checks that a snapshot whose apply failed is
// reported, and applied again after the next fetch.
func TestWatchApplyFails(t *testing.T) {
	dir := t.TempDir()
	MustCopyExample(t, dir)
	rev := MustRevision(t, dir)
	down := errors.New("database unavailable")
	var calls int
	w := StartWatch(t, catalogsync.Dir(dir), 10*time.Millisecond, "", func(*catalogsync.Snapshot) error {
		if calls++; calls == 1 {
			return down
		}
		return nil
	})

	if s := w.MustApply(t); s.Revision != rev {
		t.Fatalf("applied %s, want %s", s.Revision, rev)
	}
	if err := w.MustError(t); !errors.Is(err, down) || !strings.Contains(err.Error(), rev) {
		t.Errorf("error %v; want the apply's error, naming the revision", err)
	}
	if s := w.MustApply(t); s.Revision != rev {
		t.Errorf("applied again %s, want %s", s.Revision, rev)
	}
}

// TestWatchOnce checks that Watch with no interval fetches once and
// returns.
func TestWatchOnce(t *testing.T) {
	dir := t.TempDir()
	MustCopyExample(t, dir)
	var applied []string
	catalogsync.Watch(t.Context(), catalogsync.Dir(dir), 0, "",
		func(s *catalogsync.Snapshot) error { applied = append(applied, s.Revision); return nil },
		func(err error) { t.Errorf("onError(%v)", err) })
	if want := MustRevision(t, dir); len(applied) != 1 || applied[0] != want {
		t.Errorf("applied %q, want [%s]", applied, want)
	}
}
