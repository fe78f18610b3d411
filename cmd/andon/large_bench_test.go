package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
)

// The scale targets of a PostgreSQL store: with 1,000,000 changes and
// 10,000,000 audit entries, listing changes with a filter answers in
// p99 ≤ 50 ms, and audit verify streams within 200 MB. Seeding takes
// minutes, so the benchmark runs only when asked:
//
//	ANDON_TEST_POSTGRES=postgres://… ANDON_BENCH_LARGE=1000000:10000000 \
//	    go test -run '^$' -bench Large -benchtime 1x -timeout 2h ./cmd/andon
//
// The data stays in the schema andon_bench_large (and the signing key in
// $TMPDIR/andon-bench-large), so that later runs skip the seeding; drop
// the schema to start afresh.

func BenchmarkLargeStore(b *testing.B) {
	spec := os.Getenv("ANDON_BENCH_LARGE")
	if spec == "" {
		b.Skip("ANDON_BENCH_LARGE=CHANGES:ENTRIES is not set")
	}
	var wantChanges, wantEntries int64
	if _, err := fmt.Sscanf(spec, "%d:%d", &wantChanges, &wantEntries); err != nil {
		b.Fatalf("ANDON_BENCH_LARGE=%q: want CHANGES:ENTRIES", spec)
	}
	base := os.Getenv(sqlstoretest.EnvPostgres)
	if base == "" {
		b.Skipf("%s is not set", sqlstoretest.EnvPostgres)
	}
	ctx := context.Background()
	const schema = "andon_bench_large"
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	dsn := u.String()
	// One connection of its own, for what the store does not do: the
	// schema, the bulk load of changes and the statistics.
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE SCHEMA IF NOT EXISTS ` + schema); err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(os.TempDir(), "andon-bench-large")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if db.Signer, err = auditlog.LoadOrCreateKey(dir, "andon"); err != nil {
		b.Fatal(err)
	}
	if err := db.CheckSigner(ctx); err != nil {
		b.Fatalf("%v (drop the schema %s to start afresh)", err, schema)
	}
	seedChanges(b, raw, wantChanges)
	seedEntries(b, db, wantEntries)
	// As autovacuum would, in time: statistics after the bulk load, without
	// which the planner misjudges every range of the log.
	if _, err := raw.Exec(`ANALYZE audit_entries; ANALYZE audit_hashes`); err != nil {
		b.Fatal(err)
	}

	changes := sqlstore.NewChangeService(db, nil, nil, nil)
	b.Run("list", func(b *testing.B) {
		filters := []andon.ChangeFilter{
			{},
			{Environment: "prod-lyon"},
			{Environment: "prod-lyon", State: andon.StatePending},
			{State: andon.StateApproved},
			{Tier: andon.LevelHigh},
			{Requester: "alice"},
			{Environment: "prod-geelong", State: andon.StateCompleted, Offset: 500},
		}
		var lat []time.Duration
		for b.Loop() {
			for _, f := range filters {
				start := time.Now()
				if _, _, err := changes.FindChanges(ctx, f); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
		}
		reportLatencies(b, lat)
	})
	b.Run("text", func(b *testing.B) {
		var lat []time.Duration
		for b.Loop() {
			// A word no change has, a word of 1 in 7, and one of all.
			for _, q := range []string{"valuation", "geelong", "change"} {
				start := time.Now()
				if _, _, err := changes.FindChanges(ctx, andon.ChangeFilter{Query: q}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
		}
		reportLatencies(b, lat)
	})
	// The DORA report of a month and of a year, in a log whose entries
	// are nearly all gate decisions of the period: it reads the moves of
	// changes and the incidents resolved through the index of the
	// entries' type and time, not the decisions.
	reports := sqlstore.NewReportService(db, andon.NewCatalogHolder(&andon.Catalog{}), nil, nil)
	b.Run("dora", func(b *testing.B) {
		var lat []time.Duration
		for b.Loop() {
			for _, days := range []int{30, 365} {
				until := time.Now()
				start := time.Now()
				if _, err := reports.DORA(ctx, andon.DORAFilter{Since: until.AddDate(0, 0, -days), Until: until}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
		}
		reportLatencies(b, lat)
	})
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			cmd := exec.Command(os.Args[0], "audit", "verify", "--db", dsn, "--data", dir, "-o", "json")
			cmd.Env = append(os.Environ(), "ANDON_RUN_AS_COMMAND=1")
			start := time.Now()
			out, err := cmd.CombinedOutput()
			if err != nil {
				b.Fatalf("audit verify: %v\n%s", err, out)
			}
			b.ReportMetric(time.Since(start).Seconds(), "s")
			if mb, ok := peakRSSMB(cmd.ProcessState); ok {
				b.ReportMetric(mb, "maxrss_MB")
			}
			if !strings.Contains(string(out), `"ok": true`) && !strings.Contains(string(out), `"ok":true`) {
				b.Fatalf("audit verify: %s", out)
			}
		}
	})
}

// reportLatencies reports the p50, p99 and maximum of lat.
func reportLatencies(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50_ms")
	b.ReportMetric(ms(lat[(len(lat)*99)/100]), "p99_ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max_ms")
}

// seedChanges inserts synthetic changes with SQL until there are n.
func seedChanges(b *testing.B, raw *sql.DB, n int64) {
	var have int64
	if err := raw.QueryRow(`SELECT COUNT(*) FROM changes`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	const chunk = 100000
	for have < n {
		to := min(have+chunk, n)
		_, err := raw.Exec(`
			INSERT INTO changes (id, environment, type, state, tier, requester, title, description, version, created_at, updated_at, body)
			SELECT 'SEED-' || g, e, 'normal', s, t, r, 'Change ' || g || ' of ' || e, 'synthetic', 1, g, g,
				json_build_object('id', 'SEED-' || g, 'environment', e, 'type', 'normal', 'title', 'Change ' || g || ' of ' || e,
					'requester', r, 'state', s, 'risk', json_build_object('tier', t), 'artifacts', '[]'::json, 'facts', '{}'::json,
					'processes', '[]'::json, 'approvals', '[]'::json,
					'createdAt', '2026-01-01T00:00:00Z', 'updatedAt', '2026-01-01T00:00:00Z')::text
			FROM (SELECT g,
				(ARRAY['dev','staging-lyon','prod-lyon','staging-geelong','prod-geelong','staging-subsidiaries','prod-subsidiaries'])[1 + g % 7] AS e,
				(ARRAY['pending','approved','implementing','completed','completed','completed','rejected','cancelled'])[1 + g % 8] AS s,
				(ARRAY['low','medium','high','critical'])[1 + g % 4] AS t,
				(ARRAY['alice','bob','carol','dave','erin','fiona','frank','gus','ines','jules'])[1 + g % 10] AS r
			FROM generate_series($1::bigint, $2::bigint) AS g) AS x`, have+1, to)
		if err != nil {
			b.Fatal(err)
		}
		have = to
		b.Logf("seeded %d changes", have)
	}
	// The state autovacuum keeps a table in: statistics for the planner,
	// and a visibility map for index-only counts.
	if _, err := raw.Exec(`VACUUM ANALYZE changes`); err != nil {
		b.Fatal(err)
	}
}

// seedEntries appends audit entries through the store, so that the tree
// and the checkpoint are real, until the log holds n.
func seedEntries(b *testing.B, db *sqlstore.DB, n int64) {
	ctx := context.Background()
	var size int64
	cp, err := sqlstore.NewAuditService(db).Checkpoint(ctx)
	switch {
	case err == nil:
		size = cp.Size
	case andon.ErrorCode(err) != andon.ENOTFOUND:
		b.Fatal(err)
	}
	const perWrite = 5000
	for size < n {
		k := min(perWrite, n-size)
		if _, err := db.Update(ctx, func(ctx context.Context, tx *sqlstore.Tx) error {
			for i := range k {
				idx := size + i
				tx.Record(andon.Event{Type: andon.EventGateDecision, Actor: "pipeline", Subject: "prod-lyon", Data: map[string]any{
					"allow": idx%3 == 0, "request": map[string]string{"environment": "prod-lyon", "image": "registry.example.com/odoo@sha256:" + strconv.FormatInt(idx, 16)},
				}})
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		size += k
		if size%1000000 < perWrite {
			b.Logf("seeded %d audit entries", size)
		}
	}
}
