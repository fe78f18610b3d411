package auditlog_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// rfc6962Root computes the Merkle tree hash of RFC 6962, section 2.1,
// straight from its definition, to check the incremental computations
// against.
func rfc6962Root(records [][]byte) tlog.Hash {
	switch len(records) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return sha256.Sum256(append([]byte{0}, records[0]...))
	}
	k := 1
	for k*2 < len(records) {
		k *= 2
	}
	l, r := rfc6962Root(records[:k]), rfc6962Root(records[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func TestTreeHash(t *testing.T) {
	l := mustLog(t, 70, nil)
	for n := range int64(len(l.records) + 1) {
		got, err := auditlog.TreeHash(n, l)
		if err != nil {
			t.Fatal(err)
		}
		if want := rfc6962Root(l.records[:n]); got != want {
			t.Errorf("TreeHash(%d) = %v, want %v", n, got, want)
		}
	}
	if n := tlog.StoredHashCount(int64(len(l.records))); int64(len(l.hashes)) != n {
		t.Errorf("%d stored hashes, want %d", len(l.hashes), n)
	}
}

func TestHashesToStoreErrors(t *testing.T) {
	l := mustLog(t, 3, nil)
	if _, err := auditlog.HashesToStore(-1, []byte("{}"), l); err == nil {
		t.Error("HashesToStore(-1): no error")
	}
	// Entry 7 completes subtrees whose hashes the log does not have.
	if _, err := auditlog.HashesToStore(7, []byte("{}"), l); err == nil {
		t.Error("HashesToStore past the end: no error")
	}
	if _, err := auditlog.TreeHash(-1, l); err == nil {
		t.Error("TreeHash(-1): no error")
	}
	if _, err := auditlog.TreeHash(9, l); err == nil {
		t.Error("TreeHash past the end: no error")
	}
}

// mustProof returns the evidence proof of entry index in the signed tree
// of the whole log, built as a store builds it.
func mustProof(tb testing.TB, l *memLog, cp *andon.Checkpoint, index int64) *andon.Proof {
	tb.Helper()
	hashes, err := auditlog.Prove(index, cp.Size, l)
	if err != nil {
		tb.Fatal(err)
	}
	record := l.records[index]
	leaf := tlog.RecordHash(record)
	p := &andon.Proof{Index: index, Record: record, LeafHash: leaf.String(), Checkpoint: *cp}
	for _, h := range hashes {
		p.Hashes = append(p.Hashes, h.String())
	}
	return p
}

func TestCheckProof(t *testing.T) {
	s, v := mustSigner(t, "andon")
	for _, size := range []int64{1, 2, 3, 4, 5, 7, 8, 13, 64, 100, 257} {
		l := mustLog(t, size, nil)
		cp := l.mustSign(t, s)
		for i := range size {
			p := mustProof(t, l, cp, i)
			if err := auditlog.CheckProof(p, v); err != nil {
				t.Errorf("size %d, entry %d: %v", size, i, err)
			}
		}
	}
}

// TestCheckProofExported checks that a proof still verifies after being
// exported as JSON, compact or indented, and read back.
func TestCheckProofExported(t *testing.T) {
	s, v := mustSigner(t, "andon")
	l := mustLog(t, 25, nil)
	l.mustAppend(t, andon.Event{Type: "t", Actor: "<b>&\u2028", Data: map[string]any{"html": "<i>x</i> & y", "n": 1e21}})
	cp := l.mustSign(t, s)
	p := mustProof(t, l, cp, 25)
	for name, marshal := range map[string]func(any) ([]byte, error){
		"compact":  json.Marshal,
		"indented": func(x any) ([]byte, error) { return json.MarshalIndent(x, "", "    ") },
	} {
		b, err := marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var got andon.Proof
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if err := auditlog.CheckProof(&got, v); err != nil {
			t.Errorf("%s export: %v", name, err)
		}
	}
}

func TestCheckProofRejects(t *testing.T) {
	s, v := mustSigner(t, "andon")
	_, otherV := mustSigner(t, "andon")
	l := mustLog(t, 100, nil)
	cp := l.mustSign(t, s)
	tests := []struct {
		name   string
		v      note.Verifier
		change func(p *andon.Proof)
	}{
		{"wrong key", otherV, func(p *andon.Proof) {}},
		{"modified record", v, func(p *andon.Proof) {
			p.Record = bytes.Replace(p.Record, []byte(`"actor":"user`), []byte(`"actor":"fake`), 1)
			p.LeafHash = ""
		}},
		{"modified record, leaf hash recomputed", v, func(p *andon.Proof) {
			p.Record = bytes.Replace(p.Record, []byte(`"actor":"user`), []byte(`"actor":"fake`), 1)
			p.LeafHash = tlog.RecordHash(p.Record).String()
		}},
		{"record of another entry", v, func(p *andon.Proof) { p.Record = l.records[41] }},
		{"record not JSON", v, func(p *andon.Proof) { p.Record = json.RawMessage(`{"index":42`) }},
		{"record not a record", v, func(p *andon.Proof) { p.Record = json.RawMessage(`{"index":42}`) }},
		{"wrong leaf hash", v, func(p *andon.Proof) { p.LeafHash = tlog.RecordHash(nil).String() }},
		{"index of another entry", v, func(p *andon.Proof) { p.Index = 41 }},
		{"index beyond the tree", v, func(p *andon.Proof) { p.Index = 100 }},
		{"negative index", v, func(p *andon.Proof) { p.Index = -1 }},
		{"altered hash", v, func(p *andon.Proof) { p.Hashes[2] = tlog.RecordHash(nil).String() }},
		{"hash not base64", v, func(p *andon.Proof) { p.Hashes[2] = "!" }},
		{"hash too short", v, func(p *andon.Proof) { p.Hashes[2] = base64.StdEncoding.EncodeToString([]byte("short")) }},
		{"hash missing", v, func(p *andon.Proof) { p.Hashes = p.Hashes[1:] }},
		{"hash added", v, func(p *andon.Proof) { p.Hashes = append(p.Hashes, p.Hashes[0]) }},
		{"checkpoint size edited", v, func(p *andon.Proof) { p.Checkpoint.Size = 200 }},
		{"checkpoint root edited", v, func(p *andon.Proof) { p.Checkpoint.RootHash = tlog.RecordHash(nil).String() }},
		{"checkpoint note edited", v, func(p *andon.Proof) {
			p.Checkpoint.Note = strings.Replace(p.Checkpoint.Note, "\n100\n", "\n101\n", 1)
		}},
		{"checkpoint unsigned", v, func(p *andon.Proof) {
			p.Checkpoint.Note = p.Checkpoint.Note[:strings.Index(p.Checkpoint.Note, "\n\n")+2]
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustProof(t, l, cp, 42)
			p.Record = bytes.Clone(p.Record)
			tt.change(p)
			err := auditlog.CheckProof(p, tt.v)
			if err == nil {
				t.Fatal("CheckProof: no error")
			}
			if code := andon.ErrorCode(err); code != andon.EINVALID {
				t.Errorf("error code %q, want %q (%v)", code, andon.EINVALID, err)
			}
		})
	}
	if err := auditlog.CheckProof(nil, v); err == nil {
		t.Error("CheckProof(nil): no error")
	}
}

func TestProveErrors(t *testing.T) {
	l := mustLog(t, 10, nil)
	for _, c := range []struct{ index, size int64 }{{-1, 10}, {10, 10}, {0, 0}, {3, 11}} {
		if _, err := auditlog.Prove(c.index, c.size, l); err == nil {
			t.Errorf("Prove(%d, %d): no error", c.index, c.size)
		}
	}
}

// mustEvidence returns an export of the given entries of l, proved in the
// tree of cp, as a store builds it.
func mustEvidence(tb testing.TB, l *memLog, cp *andon.Checkpoint, f andon.AuditFilter, indexes ...int64) *andon.Evidence {
	tb.Helper()
	ev := &andon.Evidence{Filter: f, Checkpoint: *cp, Entries: []andon.EvidenceEntry{}}
	for _, i := range indexes {
		p := mustProof(tb, l, cp, i)
		ev.Entries = append(ev.Entries, andon.EvidenceEntry{Index: i, Record: bytes.Clone(p.Record), LeafHash: p.LeafHash, Hashes: p.Hashes})
	}
	return ev
}

func TestCheckEvidence(t *testing.T) {
	s, v := mustSigner(t, "andon")
	l := mustLog(t, 40, nil)
	l.mustAppend(t, andon.Event{Type: andon.EventChangeCreated, Actor: "alice", Subject: "CHG-7"})
	l.mustAppend(t, andon.Event{Type: andon.EventGateDecision, Actor: "ci", Subject: "prod-lyon", Data: map[string]any{"change": "CHG-7", "allow": true}})
	l.mustAppend(t, andon.Event{Type: andon.EventChangeApproved, Actor: "bob", Subject: "CHG-8"})
	cp := l.mustSign(t, s)

	ev := mustEvidence(t, l, cp, andon.AuditFilter{Change: "CHG-7", After: -1}, 40, 41)
	got, entries, err := auditlog.CheckEvidence(ev, v)
	if err != nil {
		t.Fatal(err)
	}
	if got.Size != 43 || len(entries) != 2 || entries[0].Subject != "CHG-7" || entries[1].Type != andon.EventGateDecision {
		t.Errorf("CheckEvidence = checkpoint of %d, entries %+v; want 43 and CHG-7's two", got.Size, entries)
	}
	// Written as an export file is, and read back.
	var b bytes.Buffer
	if err := auditlog.WriteEvidence(&b, ev); err != nil {
		t.Fatal(err)
	}
	var back andon.Evidence
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if _, _, err := auditlog.CheckEvidence(&back, v); err != nil {
		t.Errorf("the export read back: %v", err)
	}
	if _, entries, err := auditlog.CheckEvidence(mustEvidence(t, l, cp, andon.AuditFilter{After: 42}), v); err != nil || len(entries) != 0 {
		t.Errorf("an export of no entries: %v, %d entries", err, len(entries))
	}
	// Every entry after 37: the last five, or the first two of them
	// with more to follow.
	if _, entries, err := auditlog.CheckEvidence(mustEvidence(t, l, cp, andon.AuditFilter{After: 37}, 38, 39, 40, 41, 42), v); err != nil || len(entries) != 5 {
		t.Errorf("an export of every entry after 37: %v, %d entries", err, len(entries))
	}
	page := mustEvidence(t, l, cp, andon.AuditFilter{After: 37}, 38, 39)
	page.More = true
	if _, entries, err := auditlog.CheckEvidence(page, v); err != nil || len(entries) != 2 {
		t.Errorf("a page of every entry after 37: %v, %d entries", err, len(entries))
	}

	_, otherV := mustSigner(t, "andon")
	tests := []struct {
		name    string
		v       note.Verifier
		filter  andon.AuditFilter
		indexes []int64
		change  func(ev *andon.Evidence)
		want    string
	}{
		{"wrong key", otherV, andon.AuditFilter{After: -1}, []int64{3}, nil, "the checkpoint is not signed by key"},
		{"modified record", v, andon.AuditFilter{After: 2}, []int64{3, 4, 5, 6, 7}, func(ev *andon.Evidence) {
			ev.Entries[4].Record = bytes.Replace(ev.Entries[4].Record, []byte(`"actor":"user`), []byte(`"actor":"fake`), 1)
			ev.Entries[4].LeafHash = tlog.RecordHash(ev.Entries[4].Record).String()
		}, "proof of entry 7: the record is not in the signed tree of 43 entries"},
		{"entry of another change added", v, andon.AuditFilter{Change: "CHG-7", After: -1}, []int64{40, 41, 42}, nil,
			"entry 42 does not match the export's filter: it concerns neither change CHG-7"},
		{"entry of another type", v, andon.AuditFilter{Type: andon.EventChangeCreated, After: -1}, []int64{40, 41}, nil,
			"entry 41 does not match the export's filter: its type is gate.decided, not change.created"},
		{"entry of another actor", v, andon.AuditFilter{Actor: "alice", After: -1}, []int64{40, 42}, nil, `its actor is "bob", not "alice"`},
		{"entry of another subject", v, andon.AuditFilter{Subject: "CHG-8", After: -1}, []int64{41, 42}, nil, `its subject is "prod-lyon", not "CHG-8"`},
		{"entry before after", v, andon.AuditFilter{After: 10}, []int64{10, 11}, nil, "entry 10 does not match the export's filter: its index is not above 10"},
		{"entries repeated", v, andon.AuditFilter{After: 4}, []int64{5, 5}, nil, "entry 5 follows entry 5"},
		{"entries reordered", v, andon.AuditFilter{After: 4}, []int64{6, 5}, nil, "entry 5 follows entry 6"},
		// Of every entry after an index, none may be left out.
		{"entry left out of every entry", v, andon.AuditFilter{After: 37}, []int64{38, 40, 41, 42}, nil,
			"entry 39 is missing before entry 40: an export of every entry after 37 holds each of them"},
		{"first entries left out of every entry", v, andon.AuditFilter{After: -1}, []int64{2, 3}, nil,
			"entries 0 to 1 are missing before entry 2"},
		{"last entries left out of every entry", v, andon.AuditFilter{After: 37}, []int64{38, 39, 40}, nil,
			"entries 41 to 42 are missing at the end: an export of every entry after 37 that does not say more follow holds each of them, up to the last of the signed log of 43"},
		{"every entry, none given", v, andon.AuditFilter{After: 40}, nil, nil, "entries 41 to 42 are missing at the end"},
		{"checkpoint fields edited", v, andon.AuditFilter{After: -1}, []int64{5}, func(ev *andon.Evidence) { ev.Checkpoint.Size = 44 },
			"the checkpoint fields differ from its signed note: size 44, signed 43"},
		{"checkpoint root edited", v, andon.AuditFilter{After: -1}, []int64{5}, func(ev *andon.Evidence) { ev.Checkpoint.RootHash = "x" },
			`the checkpoint fields differ from its signed note: root hash "x", signed `},
		{"checkpoint origin edited", v, andon.AuditFilter{After: -1}, []int64{5}, func(ev *andon.Evidence) { ev.Checkpoint.Origin = "other" },
			`the checkpoint fields differ from its signed note: origin "other", signed "andon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := mustEvidence(t, l, cp, tt.filter, tt.indexes...)
			if tt.change != nil {
				tt.change(ev)
			}
			_, _, err := auditlog.CheckEvidence(ev, tt.v)
			if andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), tt.want) {
				t.Errorf("CheckEvidence = %v; want invalid: …%s…", err, tt.want)
			}
		})
	}
	if _, _, err := auditlog.CheckEvidence(nil, v); err == nil {
		t.Error("CheckEvidence(nil): no error")
	}
}
