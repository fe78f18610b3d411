package web_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

// MustLargeCatalog returns the example manufacturer with environments
// added until it has n, spread over its two plants.
func MustLargeCatalog(tb testing.TB, n int) *andon.Catalog {
	tb.Helper()
	base := mustCatalogWith(tb, "")
	var b strings.Builder
	for i := len(base.Environments); i < n; i++ {
		plant, stage := "lyon", "production"
		if i%2 == 1 {
			plant = "geelong"
		}
		if i%3 == 0 {
			stage = "staging"
		}
		fmt.Fprintf(&b, "apiVersion: andon/v1\nkind: Environment\nmetadata: {name: line-%02d}\nspec:\n  stage: %s\n  hosting: dedicated\n  plants: [%s]\n  processes: [production, inventory, finance]\n---\n", i, stage, plant)
	}
	return mustCatalogWith(tb, b.String())
}

// BenchmarkBoard measures the server time of the board with 50
// environments and 10,000 changes (target p99 ≤ 20 ms), and the weight of
// the page with the assets it loads, uncompressed (target ≤ 150 KB).
func BenchmarkBoard(b *testing.B) {
	const envs, changes = 50, 10000
	cat := MustLargeCatalog(b, envs)
	s := MustServe(b, cat, thursday)
	mustSeed(b, s, cat, changes)
	browser := s.MustSignIn(b, "frank")

	page := browser.get("/")
	if page.status != http.StatusOK || len(page.all("article.tile")) != envs {
		b.Fatalf("board: status %d, %d tiles", page.status, len(page.all("article.tile")))
	}
	weight := len(page.body)
	for _, src := range assetRefs.FindAllStringSubmatch(page.body, -1) {
		weight += len(browser.get(strings.ReplaceAll(src[1], "&amp;", "&")).body)
	}

	// The loop reads the page without parsing it: what is measured is
	// the server's time and the loopback, not the test's.
	var latencies []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		res, err := browser.client.Get(s.url + "/")
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		latencies = append(latencies, time.Since(start))
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatal(res.StatusCode, err)
		}
	}
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)*50/100].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(weight)/1000, "page-kB")
}

// assetRefs finds the scripts and stylesheets a page loads.
var assetRefs = regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`)

// mustSeed creates n changes over the environments of cat, from several
// goroutines so that the store commits them in groups.
func mustSeed(tb testing.TB, s *stack, cat *andon.Catalog, n int) {
	tb.Helper()
	ctx := andon.NewContextWithUser(tb.Context(), &andon.User{Name: "alice"})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				env := cat.Environments[i%len(cat.Environments)]
				_, err := s.changes.CreateChange(ctx, &andon.ChangeRequest{Environment: env.Name, Type: andon.ChangeNormal,
					Title: fmt.Sprintf("Change %d", i), Facts: andon.Facts{Modules: []string{"stock"}}})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}
