package server_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/andon-governance/andon/server"
	"github.com/google/go-cmp/cmp"
)

// TestOpenAPIMatchesRoutes fails when a route is served but not
// described, described but not served, or described with the wrong need
// for a token.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "GET", "/api/v1/openapi.json", "", "")
	var doc struct {
		OpenAPI  string                `json:"openapi"`
		Security []map[string][]string `json:"security"`
		Paths    map[string]map[string]struct {
			// Security is absent for the document's default (a bearer
			// token), [] for a public route, and a bearer or a feed
			// token for the feed.
			Security *[]map[string][]string `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if want := []map[string][]string{{"bearer": {}}}; !cmp.Equal(doc.Security, want) {
		t.Errorf("security = %v, want %v", doc.Security, want)
	}

	var described []server.Route
	for path, ops := range doc.Paths {
		for method, op := range ops {
			access := "authenticated"
			switch {
			case op.Security == nil:
			case len(*op.Security) == 0:
				access = "public"
			case cmp.Equal(*op.Security, []map[string][]string{{"bearer": {}}, {"feedToken": {}}}):
				access = "feed"
			default:
				access = fmt.Sprintf("unexpected security %v", *op.Security)
			}
			described = append(described, server.Route{Pattern: strings.ToUpper(method) + " " + path, Access: access})
		}
	}
	served := server.Routes()
	byPattern := func(a, b server.Route) int { return strings.Compare(a.Pattern, b.Pattern) }
	slices.SortFunc(described, byPattern)
	slices.SortFunc(served, byPattern)
	if diff := cmp.Diff(served, described); diff != "" {
		t.Errorf("routes.go and openapi.json disagree (-served +described):\n%s", diff)
	}
}
