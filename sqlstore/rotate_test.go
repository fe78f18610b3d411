package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/google/go-cmp/cmp"
)

// TestRotateToken checks that rotating an API token issues a new one for
// the same user, read-only as the old one was and made to live as long,
// that the old one goes on working until the overlap ends, with the feed
// tokens and sessions asked for with it, and then stops, and that one
// token.rotated entry names both IDs and not the tokens.
func TestRotateToken(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		old, err := e.tokens.CreateReadOnlyToken(ctx, "ci-lyon", e.now.Add(90*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		before, err := e.tokens.ListTokens(ctx, "", "api")
		if err != nil || len(before) != 1 {
			t.Fatalf("ListTokens = %+v, %v", before, err)
		}
		oldID := before[0].ID
		// 80 days on, 10 days before it expires, as a pipeline warned of it
		// would, with a feed and a board's session asked for with it.
		e.now = e.now.Add(80 * 24 * time.Hour)
		feed, _, err := e.tokens.CreateFeedToken(e.mustSignIn(t, old), "ci-lyon")
		if err != nil {
			t.Fatal(err)
		}
		session, _, err := e.tokens.CreateSession(e.mustSignIn(t, old), 48*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(time.Second)
		got, err := e.tokens.RotateToken(as("root"), oldID, 24*time.Hour, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		newExpires := e.now.Add(90 * 24 * time.Hour)
		oldEnd := e.now.Add(24 * time.Hour)
		if !strings.HasPrefix(got.Token, "andon_") || got.Token == old {
			t.Errorf("new token %q: want a new andon_ token", got.Token)
		}
		want := andon.RotatedToken{Token: got.Token, ID: got.ID, User: "ci-lyon", ExpiresAt: &newExpires, ReadOnly: true, OldID: oldID, OldExpiresAt: oldEnd}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("rotated (-want +got):\n%s", diff)
		}
		b, err := e.tokens.Authenticate(ctx, got.Token)
		if err != nil || b.User != "ci-lyon" || !b.ReadOnly || !b.ExpiresAt.Equal(newExpires) || b.ID[:12] != got.ID {
			t.Errorf("the new token: %+v, %v; want ci-lyon's, read-only, expiring at %s", b, err, newExpires)
		}
		// The old one works on, and says when it now ends.
		if b, err := e.tokens.Authenticate(ctx, old); err != nil || !b.ExpiresAt.Equal(oldEnd) {
			t.Errorf("the old token in the overlap: %+v, %v; want it to expire at %s", b, err, oldEnd)
		}
		list, err := e.tokens.ListTokens(ctx, "", "api", "feed", "session")
		if err != nil || len(list) != 4 {
			t.Fatalf("ListTokens = %+v, %v; want 4 tokens", list, err)
		}
		// Oldest first: the old token, its feed and session, the new one.
		for _, tok := range list[:3] {
			if tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(oldEnd) {
				t.Errorf("%s token %s expires %v, want with the old token at %s", tok.Scope, tok.ID, tok.ExpiresAt, oldEnd)
			}
		}
		if list[0].ID != oldID || list[0].RotatedTo != got.ID || list[3].RotatedTo != "" || list[3].ID != got.ID {
			t.Errorf("listed %+v; want the old token rotated to %s, the new one not rotated", list, got.ID)
		}

		entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventTokenRotated, After: -1})
		if err != nil || len(entries) != 1 {
			t.Fatalf("token.rotated entries = %+v, %v; want one", entries, err)
		}
		wantData := `{"expiresAt":"` + newExpires.Format(time.RFC3339Nano) + `","from":"` + oldID + `","fromExpiresAt":"` + oldEnd.Format(time.RFC3339Nano) + `","id":"` + got.ID + `","readOnly":true}`
		if en := entries[0]; en.Actor != "root" || en.Subject != "ci-lyon" || string(en.Data) != wantData {
			t.Errorf("token.rotated entry by %s about %s with %s; want by root about ci-lyon with %s", en.Actor, en.Subject, en.Data, wantData)
		}
		if strings.Contains(string(entries[0].Data), got.Token) || strings.Contains(string(entries[0].Data), old) {
			t.Error("the audit log holds a token in clear")
		}

		// Rotated again, as by a pipeline whose first answer was lost, the
		// old token gives a new one for as long as the first, and ends no
		// later than it was to.
		again, err := e.tokens.RotateToken(ctx, oldID, 48*time.Hour, time.Time{})
		if err != nil || again.ExpiresAt == nil || !again.ExpiresAt.Equal(newExpires) || !again.OldExpiresAt.Equal(oldEnd) {
			t.Errorf("rotated again: %+v, %v; want a token expiring at %s, the old one still at %s", again, err, newExpires, oldEnd)
		}
		// The token that replaced it first works on: the answer and the
		// audit log name it.
		if again.EarlierID != got.ID {
			t.Errorf("rotated again: earlier %q; want %s, the token that replaced it first", again.EarlierID, got.ID)
		}
		entries, err = e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventTokenRotated, After: -1})
		var data []string
		for _, en := range entries {
			data = append(data, string(en.Data))
		}
		if err != nil || len(data) != 2 || !strings.Contains(data[1], `"earlier":"`+got.ID+`"`) || strings.Contains(data[0], `"earlier"`) {
			t.Errorf("token.rotated entries:\n%s\n%v; want the second to name %s as earlier, the first none", strings.Join(data, "\n"), err, got.ID)
		}

		// When the overlap ends, the old token and what was asked for
		// with it stop; the new one works on.
		e.now = oldEnd
		for name, err := range map[string]error{
			"the old token":          second(e.tokens.Authenticate(ctx, old)),
			"its feed token":         second(e.tokens.AuthenticateFeed(ctx, feed)),
			"its session":            second(e.tokens.AuthenticateSession(ctx, session)),
			"rotating the old token": second(e.tokens.RotateToken(ctx, oldID, time.Hour, time.Time{})),
		} {
			if err == nil {
				t.Errorf("%s after the overlap: no error", name)
			}
		}
		if _, err := e.tokens.Authenticate(ctx, got.Token); err != nil {
			t.Errorf("the new token after the overlap: %v", err)
		}
	})
}

// TestRotateTokenAtOnce checks that an overlap of 0 revokes the old token
// at once, with its feed tokens, each with its token.revoked entry after
// the token.rotated one, and that a token that never expires rotates into
// one that never expires, unless told when.
func TestRotateTokenAtOnce(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		old, err := e.tokens.CreateToken(ctx, "alice", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		feed, _, err := e.tokens.CreateFeedToken(e.mustSignIn(t, old), "alice")
		if err != nil {
			t.Fatal(err)
		}
		// Between two seconds: the old token is revoked now, and the
		// audit log says so, not that it worked on to the next second.
		e.now = e.now.Add(250 * time.Millisecond)
		got, err := e.tokens.RotateToken(ctx, old, 0, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if got.ExpiresAt != nil || !got.OldRevoked || !got.OldExpiresAt.Equal(e.now) || got.ReadOnly {
			t.Errorf("rotated %+v; want a read-write token that never expires, the old one revoked at %s", got, e.now)
		}
		for name, err := range map[string]error{
			"the old token":  second(e.tokens.Authenticate(ctx, old)),
			"its feed token": second(e.tokens.AuthenticateFeed(ctx, feed)),
		} {
			if andon.ErrorCode(err) != andon.EUNAUTHORIZED {
				t.Errorf("%s: %v, want unauthorized", name, err)
			}
		}
		entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{After: -1})
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, en := range entries {
			if strings.HasPrefix(en.Type, "token.") {
				types = append(types, en.Type+" "+string(en.Data))
			}
		}
		if len(types) != 5 || !strings.HasPrefix(types[2], "token.rotated ") || !strings.Contains(types[2], `"fromRevoked":true`) ||
			!strings.Contains(types[2], `"fromExpiresAt":"`+e.now.UTC().Format(time.RFC3339Nano)+`"`) ||
			!strings.HasPrefix(types[3], `token.revoked {"id":"`+got.OldID) || !strings.HasPrefix(types[4], "token.revoked ") || !strings.Contains(types[4], `"parent":"`+got.OldID) {
			t.Errorf("token entries:\n%s\nwant the two created, the rotation (the old token ending at %s), and the revocations of the old token and its feed token", strings.Join(types, "\n"), e.now.UTC().Format(time.RFC3339Nano))
		}

		// Told when, a rotation sets the new token's expiry.
		at := e.now.Add(7 * 24 * time.Hour)
		next, err := e.tokens.RotateToken(ctx, got.ID, time.Hour, at)
		if err != nil || next.ExpiresAt == nil || !next.ExpiresAt.Equal(at) {
			t.Errorf("rotated with an expiry: %+v, %v; want it to expire at %s", next, err, at)
		}
	})
}

// TestRotateTokenRefused checks that what does not rotate is refused,
// naming what is wrong, and changes nothing.
func TestRotateTokenRefused(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		api, err := e.tokens.CreateToken(ctx, "alice", e.now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		feed, _, err := e.tokens.CreateFeedToken(e.mustSignIn(t, api), "alice")
		if err != nil {
			t.Fatal(err)
		}
		session, _, err := e.tokens.CreateSession(e.mustSignIn(t, api), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		expired, err := e.tokens.CreateToken(ctx, "bob", e.now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(2 * time.Minute)
		before := e.mustAuditSize(t)
		for _, tc := range []struct {
			name, ref string
			overlap   time.Duration
			code      string
			message   string
		}{
			{"feed", feed, time.Hour, andon.EINVALID, "is a calendar feed token: only API tokens rotate"},
			{"session", session, time.Hour, andon.EINVALID, "is a session of the board: only API tokens rotate"},
			{"expired", expired, time.Hour, andon.EINVALID, "expired at "},
			{"unknown", "andon_nothing", time.Hour, andon.ENOTFOUND, "no token matches"},
			{"unknown ID", "0123456789ab", time.Hour, andon.ENOTFOUND, "no token has the ID 0123456789ab"},
			{"negative", api, -time.Hour, andon.EINVALID, "overlap -1h0m0s: negative"},
			{"too long", api, 31 * 24 * time.Hour, andon.EINVALID, "overlap 744h0m0s: longer than the 30 days"},
			{"empty", "", time.Hour, andon.EINVALID, "give the token to rotate"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.tokens.RotateToken(ctx, tc.ref, tc.overlap, time.Time{})
				if andon.ErrorCode(err) != tc.code || !strings.Contains(andon.ErrorMessage(err), tc.message) {
					t.Errorf("RotateToken: %v; want %s, %q", err, tc.code, tc.message)
				}
			})
		}
		if after := e.mustAuditSize(t); after != before {
			t.Errorf("the audit log grew from %d to %d entries", before, after)
		}
		list, err := e.tokens.ListTokens(ctx, "", "api")
		if err != nil || len(list) != 2 || list[0].RotatedTo != "" {
			t.Errorf("API tokens %+v, %v; want the two issued, unchanged", list, err)
		}
	})
}

func (e *env) mustAuditSize(tb testing.TB) int {
	tb.Helper()
	entries, err := e.audit.FindEntries(context.Background(), andon.AuditFilter{After: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return len(entries)
}

// TestRotateTokenWholeSeconds checks that the expiries a rotation sets,
// the new token's and the end of the old one's overlap, are whole
// seconds, rounded up, as token create keeps them, whatever the clock's
// fraction of a second.
func TestRotateTokenWholeSeconds(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if _, err := e.tokens.CreateToken(ctx, "alice", e.now.Add(30*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		list, err := e.tokens.ListTokens(ctx, "")
		if err != nil || len(list) != 1 {
			t.Fatalf("ListTokens = %+v, %v", list, err)
		}
		e.now = e.now.Add(1500 * time.Millisecond)
		got, err := e.tokens.RotateToken(ctx, list[0].ID, time.Hour, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		start := e.now.Truncate(time.Second).Add(time.Second)
		if want := start.Add(30 * 24 * time.Hour); got.ExpiresAt == nil || !got.ExpiresAt.Equal(want) {
			t.Errorf("new token expires %v, want %s", got.ExpiresAt, want)
		}
		if want := start.Add(time.Hour); !got.OldExpiresAt.Equal(want) {
			t.Errorf("old token expires %s, want %s", got.OldExpiresAt, want)
		}
	})
}

// TestFeedTokenAskedWithATokenRotatedMeanwhile checks that a feed token
// or a session asked for with an API token signed in before that token
// was rotated (a request in flight, or another replica's cache) ends with
// it when its overlap ends, rather than with the expiry read at sign-in,
// and that one asked for with a token revoked meanwhile is refused: the
// API token's row, read in the write, decides.
func TestFeedTokenAskedWithATokenRotatedMeanwhile(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		old, err := e.tokens.CreateToken(ctx, "alice", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		signedIn := e.mustSignIn(t, old)
		rotated, err := e.tokens.RotateToken(ctx, old, time.Hour, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		feed, feedExpires, err := e.tokens.CreateFeedToken(signedIn, "alice")
		if err != nil || feedExpires == nil || !feedExpires.Equal(rotated.OldExpiresAt) {
			t.Errorf("feed token asked for in the overlap: expires %v, %v; want at %s, with the token rotated", feedExpires, err, rotated.OldExpiresAt)
		}
		_, sessionExpires, err := e.tokens.CreateSession(signedIn, 48*time.Hour)
		if err != nil || !sessionExpires.Equal(rotated.OldExpiresAt) {
			t.Errorf("session opened in the overlap: expires %v, %v; want at %s, with the token rotated", sessionExpires, err, rotated.OldExpiresAt)
		}
		e.now = rotated.OldExpiresAt
		if _, err := e.tokens.AuthenticateFeed(ctx, feed); andon.ErrorCode(err) != andon.EUNAUTHORIZED {
			t.Errorf("the feed token once the overlap is over: %v; want unauthorized", err)
		}

		revoked, err := e.tokens.CreateToken(ctx, "bob", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		signedIn = e.mustSignIn(t, revoked)
		if _, err := e.tokens.RevokeTokens(ctx, revoked, ""); err != nil {
			t.Fatal(err)
		}
		feed, _, err = e.tokens.CreateFeedToken(signedIn, "bob")
		if andon.ErrorCode(err) != andon.EUNAUTHORIZED || !strings.Contains(andon.ErrorMessage(err), "revoked") {
			t.Errorf("a feed token asked for with a token revoked meanwhile: %v; want it refused, unauthorized", err)
		}
		if err == nil {
			if _, err := e.tokens.AuthenticateFeed(ctx, feed); err == nil {
				t.Error("the feed token asked for with a token revoked meanwhile works")
			}
		}
	})
}
