package auditlog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"golang.org/x/mod/sumdb/tlog"
)

func BenchmarkEncode(b *testing.B) {
	ev := testEvent(1)
	b.ReportAllocs()
	var i int64
	for b.Loop() {
		if _, err := auditlog.Encode(i, t0, ev); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkDecode(b *testing.B) {
	record, err := auditlog.Encode(12345, t0, testEvent(1))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(record)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := auditlog.Decode(record); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppend measures the tree work of one append: HashesToStore over
// hashes kept in memory.
func BenchmarkAppend(b *testing.B) {
	record, err := auditlog.Encode(0, t0, testEvent(1))
	if err != nil {
		b.Fatal(err)
	}
	l := &memLog{}
	b.ReportAllocs()
	var n int64
	for b.Loop() {
		hashes, err := auditlog.HashesToStore(n, record, l)
		if err != nil {
			b.Fatal(err)
		}
		for _, h := range hashes {
			l.hashes = append(l.hashes, h.Hash)
		}
		n++
	}
}

// BenchmarkVerify verifies whole signed logs. Its B/op stays the same from
// one size to the next: Verify holds O(log n) hashes and a fixed batch,
// and allocates nothing per entry.
func BenchmarkVerify(b *testing.B) {
	for _, n := range []int64{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			if n > 100_000 && testing.Short() {
				b.Skip("builds a log of a million entries; skipped with -short")
			}
			s, v := mustSigner(b, "andon")
			l := mustBenchLog(b, n)
			l.mustSign(b, s)
			b.ReportAllocs()
			for b.Loop() {
				r, err := auditlog.Verify(context.Background(), l, v)
				if err != nil {
					b.Fatal(err)
				}
				if !r.OK || r.Entries != n {
					b.Fatalf("Verify = %+v", r)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*n), "ns/entry")
		})
	}
}

// mustBenchLog builds a log of n entries like mustLog, but faster: the
// records of a large log are cut from one buffer rather than allocated one
// by one, so that building it does not dominate the benchmark's run.
func mustBenchLog(tb testing.TB, n int64) *memLog {
	tb.Helper()
	l := &memLog{
		rows:    make([]int64, 0, n),
		records: make([][]byte, 0, n),
		hashes:  make([]tlog.Hash, 0, tlog.StoredHashCount(n)),
	}
	buf := make([]byte, 0, 1<<20)
	for i := range n {
		record, err := auditlog.Encode(i, t0.Add(time.Duration(i)*time.Millisecond), benchEvent(i))
		if err != nil {
			tb.Fatal(err)
		}
		if len(buf)+len(record) > cap(buf) {
			buf = make([]byte, 0, 1<<20)
		}
		start := len(buf)
		buf = append(buf, record...)
		record = buf[start:len(buf):len(buf)]
		hashes, err := auditlog.HashesToStore(i, record, l)
		if err != nil {
			tb.Fatal(err)
		}
		for _, h := range hashes {
			l.hashes = append(l.hashes, h.Hash)
		}
		l.rows = append(l.rows, i)
		l.records = append(l.records, record)
	}
	return l
}

// benchEvent is a typical event: a change approval with some data.
func benchEvent(i int64) andon.Event {
	return andon.Event{
		Type:    andon.EventChangeApproved,
		Actor:   "maria.lopez@example.com",
		Subject: fmt.Sprintf("CHG-%06d", i/4),
		Data:    map[string]any{"environment": "production", "role": "approver", "comment": "Looks good; window respected."},
	}
}
