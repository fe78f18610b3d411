package auditlog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// memLog is an audit log kept in memory the way a store keeps it: records
// by row index, tree hashes by storage index, and the latest checkpoint.
// It is an auditlog.Source and a tlog.HashReader.
type memLog struct {
	rows       []int64
	records    [][]byte
	hashes     []tlog.Hash
	missing    map[int64]bool // storage indexes whose hash was deleted
	checkpoint []byte
	err        error // returned by every read, to simulate I/O failure
}

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

// testEvent returns a varied but deterministic event for entry i.
func testEvent(i int64) andon.Event {
	types := []string{andon.EventChangeCreated, andon.EventChangeApproved, andon.EventGateDecision, andon.EventCatalogLoaded}
	ev := andon.Event{
		Type:  types[i%int64(len(types))],
		Actor: fmt.Sprintf("user%d@example.com", i%7),
	}
	if i%3 != 0 {
		ev.Subject = fmt.Sprintf("CHG-%05d", i/3)
	}
	if i%5 != 0 {
		ev.Data = map[string]any{
			"environment": "production",
			"modules":     []string{"sale", "stock", "mrp"},
			"score":       i % 100,
			"note":        "rollout <fast> & safe",
		}
	}
	return ev
}

// mustLog returns a log of n entries of testEvent, signed by s after the
// last one (not signed when s is nil).
func mustLog(tb testing.TB, n int64, s *auditlog.Signer) *memLog {
	tb.Helper()
	l := &memLog{}
	for i := range n {
		l.mustAppend(tb, testEvent(i))
	}
	if s != nil {
		l.mustSign(tb, s)
	}
	return l
}

// mustAppend appends ev as the next entry, as a store does in its write
// transaction.
func (l *memLog) mustAppend(tb testing.TB, ev andon.Event) {
	tb.Helper()
	n := int64(len(l.records))
	record, err := auditlog.Encode(n, t0.Add(time.Duration(n)*time.Second), ev)
	if err != nil {
		tb.Fatal(err)
	}
	hashes, err := auditlog.HashesToStore(n, record, l)
	if err != nil {
		tb.Fatal(err)
	}
	for _, h := range hashes {
		if h.Index != int64(len(l.hashes)) {
			tb.Fatalf("entry %d: hash to store at %d, want %d", n, h.Index, len(l.hashes))
		}
		l.hashes = append(l.hashes, h.Hash)
	}
	l.rows = append(l.rows, n)
	l.records = append(l.records, record)
}

// mustSign signs a checkpoint of the whole log with s.
func (l *memLog) mustSign(tb testing.TB, s *auditlog.Signer) *andon.Checkpoint {
	tb.Helper()
	n := int64(len(l.records))
	root, err := auditlog.TreeHash(n, l)
	if err != nil {
		tb.Fatal(err)
	}
	cp, err := s.Sign(n, root)
	if err != nil {
		tb.Fatal(err)
	}
	l.checkpoint = []byte(cp.Note)
	return cp
}

// mustRehash recomputes every stored hash from the records, as an
// attacker who edited records and wanted the stored tree to agree would.
func (l *memLog) mustRehash(tb testing.TB) {
	tb.Helper()
	l.hashes = l.hashes[:0]
	for i, record := range l.records {
		hashes, err := auditlog.HashesToStore(int64(i), record, l)
		if err != nil {
			tb.Fatal(err)
		}
		for _, h := range hashes {
			l.hashes = append(l.hashes, h.Hash)
		}
	}
}

func (l *memLog) Records(ctx context.Context, fn func(int64, []byte) error) error {
	if l.err != nil {
		return l.err
	}
	for i, record := range l.records {
		if err := fn(l.rows[i], record); err != nil {
			return err
		}
	}
	return nil
}

func (l *memLog) StoredHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	if l.err != nil {
		return nil, l.err
	}
	if len(indexes) == 0 {
		return nil, nil
	}
	lo, hi := indexes[0], indexes[len(indexes)-1]
	for k, i := range indexes {
		if i < 0 || i >= int64(len(l.hashes)) || l.missing[i] {
			return nil, andon.Errorf(andon.ENOTFOUND, "no stored hash %d", i)
		}
		if i != lo+int64(k) {
			hi = -1
		}
	}
	if hi >= 0 {
		// A run of consecutive indexes, the common case, is served without
		// copying, so benchmarks measure Verify and not this fake.
		return l.hashes[lo : hi+1 : hi+1], nil
	}
	out := make([]tlog.Hash, len(indexes))
	for k, i := range indexes {
		out[k] = l.hashes[i]
	}
	return out, nil
}

func (l *memLog) Checkpoint(ctx context.Context) ([]byte, error) {
	if l.err != nil {
		return nil, l.err
	}
	if l.checkpoint == nil {
		return nil, andon.Errorf(andon.ENOTFOUND, "no checkpoint yet")
	}
	return l.checkpoint, nil
}

func (l *memLog) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return l.StoredHashes(context.Background(), indexes)
}

// mustSigner returns a signer with a new key in a temporary directory and
// the verifier of its checkpoints.
func mustSigner(tb testing.TB, origin string) (*auditlog.Signer, note.Verifier) {
	tb.Helper()
	s, err := auditlog.LoadOrCreateKey(tb.TempDir(), origin)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := note.NewVerifier(s.VerifierKey())
	if err != nil {
		tb.Fatal(err)
	}
	return s, v
}
