package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

// TestTokenRotate rotates tokens with andon token rotate: a pipeline's
// own through the server with --self, and an administrator's offline by
// ID; the old token works on for the overlap, or is revoked at once with
// --overlap 0; what does not rotate is refused with a message naming the
// flag, and changes nothing.
func TestTokenRotate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := MustServeOn(t, engine, t.TempDir())
		store := s.storeFlags()
		now := time.Now().UTC()
		// A pipeline's token, made for 90 days, 10 days before it expires.
		pipeline := mustTokenMadeAt(t, s, "carol", now.Add(-80*24*time.Hour), now.Add(10*24*time.Hour))
		asPipeline := map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": pipeline}
		// Warned of its expiry, a pipeline is told how to replace it.
		wantExit(t, runCLI(t, asPipeline, "whoami"), 0, "ask your platform team for a new one (andon token create --expires) before then, or replace it with andon token rotate --self")

		r := runCLI(t, asPipeline, "token", "rotate", "--self", "--overlap", "2h", "-o", "json")
		var got andon.RotatedToken
		if err := json.Unmarshal([]byte(r.stdout), &got); r.code != 0 || err != nil {
			t.Fatalf("token rotate --self: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		if got.User != "carol" || got.ExpiresAt == nil || got.ExpiresAt.Sub(now.Add(90*24*time.Hour)).Abs() > time.Minute ||
			got.OldExpiresAt.Sub(now.Add(2*time.Hour)).Abs() > time.Minute || got.Token == pipeline {
			t.Errorf("token rotate --self: %s; want carol's new token for 90 days, the old one for 2 hours", r.stdout)
		}
		if !strings.Contains(r.stderr, "token "+got.OldID+" goes on working until ") || strings.Contains(r.stderr, "warning") {
			t.Errorf("token rotate --self: stderr %q; want when the old token stops, and no warning of the expiry of the token it replaced", r.stderr)
		}
		// The new token works, and the old one in the overlap.
		for _, token := range []string{got.Token, pipeline} {
			wantExit(t, runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": token}, "whoami"), 0, "carol")
		}
		// token list shows the old token's nearer expiry, and by what it
		// was replaced.
		r = runCLI(t, nil, append([]string{"token", "list", "--user", "carol"}, store...)...)
		if !strings.Contains(r.stdout, fmtSecond(got.OldExpiresAt)+" (rotated to "+got.ID+")") {
			t.Errorf("token list: exit %d, want the old token expiring at %s, rotated to %s:\n%s%s", r.code, fmtSecond(got.OldExpiresAt), got.ID, r.stdout, r.stderr)
		}

		// Offline, by ID, revoked at once, with a lifetime of its own; a
		// token the server has not seen, which it refuses at once.
		r = runCLI(t, nil, append([]string{"token", "create", "--user", "gus"}, store...)...)
		gus := strings.TrimSpace(r.stdout)
		r = runCLI(t, nil, append([]string{"token", "rotate", gus, "--overlap", "0", "--expires", "30d"}, store...)...)
		next := strings.TrimSpace(r.stdout)
		if r.code != 0 || !strings.HasPrefix(next, "andon_") || !strings.Contains(r.stderr, "the new token expires at ") || !strings.Contains(r.stderr, " is revoked, with the feed tokens") {
			t.Fatalf("token rotate --overlap 0: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		wantExit(t, runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": gus}, "whoami"), 2, "it is unknown or was revoked")
		wantExit(t, runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": next}, "whoami"), 0, "gus")

		feed := mustJSON[andon.FeedToken](t, s, "alice", 0, "calendar", "feed-token")
		for _, tc := range []struct {
			name string
			env  map[string]string
			args []string
			want string
		}{
			{"--self and --data", asPipeline, []string{"token", "rotate", "--self", "--data", s.data}, "--data and --self: give one"},
			{"--self and --expires", asPipeline, []string{"token", "rotate", "--self", "--expires", "1y"}, "--expires and --self"},
			{"--self and a token", asPipeline, []string{"token", "rotate", "--self", got.ID}, "give no other token with it"},
			{"--self without a token", map[string]string{"ANDON_SERVER": s.url}, []string{"token", "rotate", "--self"}, "set ANDON_TOKEN"},
			{"--server without --self", nil, append([]string{"token", "rotate", "--server", s.url, got.ID}, store...), "--server asks a server: give --self"},
			{"no token", nil, append([]string{"token", "rotate"}, store...), "missing the token"},
			{"negative overlap", nil, append([]string{"token", "rotate", got.ID, "--overlap", "-1h"}, store...), `--overlap "-1h": negative`},
			{"overlap too long", nil, append([]string{"token", "rotate", got.ID, "--overlap", "31d"}, store...), `--overlap "31d": longer than the 30 days`},
			{"overlap too long, --self", asPipeline, []string{"token", "rotate", "--self", "--overlap", "31d"}, `--overlap "31d": longer than the 30 days`},
			{"a feed token", nil, append([]string{"token", "rotate", feed.Token}, store...), "is a calendar feed token: only API tokens rotate"},
			{"an unknown token", nil, append([]string{"token", "rotate", "andon_nothing"}, store...), "no token matches"},
			{"an output that cannot be printed", nil, append([]string{"token", "rotate", got.ID, "-o", "xml"}, store...), "-o"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantExit(t, runCLI(t, tc.env, tc.args...), 2, tc.want)
			})
		}

		r = runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": s.tokens["alice"]}, "audit", "entries", "--type", "token.rotated", "-o", "json")
		var page struct{ Entries []andon.Entry }
		if err := json.Unmarshal([]byte(r.stdout), &page); err != nil || len(page.Entries) != 2 {
			t.Fatalf("token.rotated entries: %v\n%s%s", err, r.stdout, r.stderr)
		}
		var data struct{ ID, From string }
		if err := json.Unmarshal(page.Entries[0].Data, &data); err != nil || data.ID != got.ID || data.From != got.OldID || page.Entries[0].Actor != "carol" {
			t.Errorf("the self-rotation's entry: by %s, %s; want by carol, from %s to %s", page.Entries[0].Actor, page.Entries[0].Data, got.OldID, got.ID)
		}
		if page.Entries[1].Actor != "admin" || page.Entries[1].Subject != "gus" {
			t.Errorf("the offline rotation's entry: by %s about %s; want by admin about gus", page.Entries[1].Actor, page.Entries[1].Subject)
		}

		// Rotated again in its overlap, as by a second job at once, the
		// old token gives another; the one it gave first works on, and is
		// named, to be revoked unless it is in use.
		r = runCLI(t, asPipeline, "token", "rotate", "--self", "-o", "json")
		var again andon.RotatedToken
		if err := json.Unmarshal([]byte(r.stdout), &again); r.code != 0 || err != nil || again.EarlierID != got.ID ||
			!strings.Contains(r.stderr, "token "+got.OldID+" had been rotated already, to token "+got.ID+", which goes on working: revoke it (andon token revoke "+got.ID+")") {
			t.Errorf("token rotate --self again: exit %d, %v; want earlierId %s and the advice to revoke it\n%s%s", r.code, err, got.ID, r.stdout, r.stderr)
		}
	})
}
