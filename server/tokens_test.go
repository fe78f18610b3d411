package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/server"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
)

// TestTokenRotate rotates API tokens through POST /api/v1/me/token/rotate
// on a real store of each engine: the caller's token is replaced by one
// that lives as long and is read-only if it was, the old one goes on
// working for the overlap and leaves the expiry metric, and a feed token,
// a session token and an overlap out of bounds are refused, changing
// nothing.
func TestTokenRotate(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			db, err := sqlstore.Open(ctx, sqlstoretest.DSN(t, engine, dir))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if db.Signer, err = auditlog.LoadOrCreateKey(dir, "andon"); err != nil {
				t.Fatal(err)
			}
			db.Now = func() time.Time { return testNow }
			tokens := sqlstore.NewTokenService(db)
			f := newFixture(t, func(c *server.Config) {
				c.Tokens = tokens
				c.ListTokens = func(ctx context.Context) ([]andon.TokenInfo, error) { return tokens.ListTokens(ctx, "") }
			})
			pipeline, err := tokens.CreateToken(ctx, "bob", testNow.Add(90*24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			wall, err := tokens.CreateReadOnlyToken(ctx, "carol", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := tokens.Authenticate(ctx, pipeline)
			if err != nil {
				t.Fatal(err)
			}
			feed, _, err := tokens.CreateFeedToken(server.SignedIn(ctx, catalogSource{testCatalog()}, b), "bob")
			if err != nil {
				t.Fatal(err)
			}
			session, _, err := tokens.CreateSession(server.SignedIn(ctx, catalogSource{testCatalog()}, b), time.Hour)
			if err != nil {
				t.Fatal(err)
			}

			for _, tc := range []struct {
				name, token, body string
				status            int
				message           string
			}{
				{"feed token", feed, "", 401, ""},
				{"session token", session, "", 401, ""},
				{"negative overlap", pipeline, `{"overlap": "-1h"}`, 400, `request body: field "overlap": "-1h": negative`},
				{"overlap too long", pipeline, `{"overlap": "31d"}`, 400, `request body: field "overlap": "31d": longer than the 30 days`},
				{"overlap not a duration", pipeline, `{"overlap": "a day"}`, 400, `request body: field "overlap": "a day": want a duration`},
				{"unknown field", pipeline, `{"expires": "1y"}`, 400, `request body: unknown field "expires"`},
			} {
				r := f.do(t, "POST", "/api/v1/me/token/rotate", tc.token, tc.body)
				var e struct{ Code, Message string }
				json.Unmarshal(r.body, &e)
				if r.status != tc.status || !strings.Contains(e.Message, tc.message) {
					t.Errorf("%s: %d %s; want %d with %q", tc.name, r.status, r.body, tc.status, tc.message)
				}
			}
			if list, err := tokens.ListTokens(ctx, "", "api"); err != nil || len(list) != 2 || list[0].RotatedTo != "" || list[1].RotatedTo != "" {
				t.Fatalf("API tokens after the refusals: %+v, %v; want the two, not rotated", list, err)
			}

			r := f.do(t, "POST", "/api/v1/me/token/rotate", pipeline, `{"overlap": "2h"}`)
			if r.status != 201 {
				t.Fatalf("rotate: %d %s; want 201", r.status, r.body)
			}
			var got andon.RotatedToken
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatal(err)
			}
			if got.User != "bob" || got.ReadOnly || got.ExpiresAt == nil || !got.ExpiresAt.Equal(testNow.Add(90*24*time.Hour)) ||
				got.OldID != b.ID[:12] || !got.OldExpiresAt.Equal(testNow.Add(2*time.Hour)) || !strings.HasPrefix(got.Token, "andon_") {
				t.Errorf("rotated %s; want bob's new token for 90 days, the old one %s ending in 2 hours", r.body, b.ID[:12])
			}
			for name, token := range map[string]string{"the new token": got.Token, "the old token, in the overlap": pipeline} {
				if r := f.do(t, "GET", "/api/v1/me", token, ""); r.status != 200 {
					t.Errorf("%s: GET /api/v1/me = %d %s; want 200", name, r.status, r.body)
				}
			}
			// The old token's expiry is no longer one to alert on: it has
			// been replaced.
			metrics := string(f.do(t, "GET", "/metrics", "", "").body)
			if strings.Contains(metrics, `id="`+got.OldID+`"`) || !strings.Contains(metrics, `andon_token_expiry_timestamp_seconds{id="`+got.ID+`"}`) {
				t.Errorf("metrics: want the new token's expiry and not the old one's:\n%s", grepLines(metrics, "andon_token_"))
			}

			// Without a body, the overlap is a day; a read-only token
			// rotates into a read-only one that never expires, as it.
			r = f.do(t, "POST", "/api/v1/me/token/rotate", wall, "")
			var ro andon.RotatedToken
			if err := json.Unmarshal(r.body, &ro); err != nil || r.status != 201 || !ro.ReadOnly || ro.ExpiresAt != nil || !ro.OldExpiresAt.Equal(testNow.Add(24*time.Hour)) {
				t.Errorf("rotate a read-only token: %d %s; want 201, read-only, never expiring, the old one for a day", r.status, r.body)
			}
		})
	}
}

// TestTokenRotatedNotWarned rotates, on a real store of each engine, a
// pipeline's token that expires soon: the answers to the old token, in
// its overlap, no longer carry Andon-Token-Expires, whose warning says to
// rotate it and would have every job still running with it issue a new
// token of its own; the new token's are not warned of either, and a token
// that expires soon and was not rotated still is.
func TestTokenRotatedNotWarned(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			db, err := sqlstore.Open(ctx, sqlstoretest.DSN(t, engine, dir))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if db.Signer, err = auditlog.LoadOrCreateKey(dir, "andon"); err != nil {
				t.Fatal(err)
			}
			// Both tokens were made 80 days ago for 90: 10 days are left.
			now := testNow.Add(-80 * 24 * time.Hour)
			db.Now = func() time.Time { return now }
			tokens := sqlstore.NewTokenService(db)
			f := newFixture(t, func(c *server.Config) { c.Tokens = tokens })
			pipeline, err := tokens.CreateToken(ctx, "bob", testNow.Add(10*24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			other, err := tokens.CreateToken(ctx, "carol", testNow.Add(10*24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			now = testNow
			if r := f.do(t, "GET", "/api/v1/me", pipeline, ""); r.header.Get(andon.TokenExpiresHeader) == "" {
				t.Fatalf("before the rotation: no %s header; want the warning", andon.TokenExpiresHeader)
			}

			r := f.do(t, "POST", "/api/v1/me/token/rotate", pipeline, `{"overlap": "1d"}`)
			var rotated andon.RotatedToken
			if err := json.Unmarshal(r.body, &rotated); err != nil || r.status != 201 {
				t.Fatalf("rotate: %d %s; want 201", r.status, r.body)
			}
			for _, tc := range []struct {
				name, token string
				warned      bool
			}{
				{"the old token, in its overlap", pipeline, false},
				{"the new token", rotated.Token, false},
				{"a token not rotated", other, true},
			} {
				r := f.do(t, "GET", "/api/v1/me", tc.token, "")
				if got := r.header.Get(andon.TokenExpiresHeader); r.status != 200 || (got != "") != tc.warned {
					t.Errorf("%s: %d, %s %q; want 200, warned %v", tc.name, r.status, andon.TokenExpiresHeader, got, tc.warned)
				}
			}
		})
	}
}
