package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/sqlstore"
)

// mustSeedSessions makes, in the SQLite store of data, an API token of
// alice's and sessions of the board opened with it at the given times
// before now, each lasting lifetime, as signing in at those times would
// have.
func mustSeedSessions(t *testing.T, data string, lifetime time.Duration, ago ...time.Duration) {
	t.Helper()
	ctx := context.Background()
	signer, err := auditlog.LoadOrCreateKey(data, "andon")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, sqlstore.DataPath(data))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Signer = signer
	now := time.Now().Add(-30 * 24 * time.Hour)
	db.Now = func() time.Time { return now }
	tokens := sqlstore.NewTokenService(db)
	api, err := tokens.CreateToken(ctx, "alice", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tokens.Authenticate(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	signedIn := andon.NewContextWithUser(ctx, &andon.User{Name: "alice", TokenID: b.ID})
	for _, d := range ago {
		now = time.Now().Add(-d)
		if _, _, err := tokens.CreateSession(signedIn, lifetime); err != nil {
			t.Fatal(err)
		}
	}
}

// tokenList is what andon token list -o json prints.
type tokenList struct {
	Tokens   []andon.TokenInfo  `json:"tokens"`
	Sessions andon.SessionCount `json:"sessions"`
}

func mustListTokens(t *testing.T, args ...string) tokenList {
	t.Helper()
	r := runCLI(t, nil, append([]string{"token", "list", "-o", "json"}, args...)...)
	var l tokenList
	if err := json.Unmarshal([]byte(r.stdout), &l); r.code != 0 || err != nil {
		t.Fatalf("token list %v: exit %d, %v\n%s%s", args, r.code, err, r.stdout, r.stderr)
	}
	return l
}

// TestTokenListCountsSessions: token list lists API and feed tokens and
// counts the board's sessions in a line of its own; --scope session lists
// them, and -o json carries the count beside the tokens whatever it lists.
func TestTokenListCountsSessions(t *testing.T) {
	data := t.TempDir()
	// One session expired 9 days ago, one an hour ago, two open.
	mustSeedSessions(t, data, time.Hour, 9*24*time.Hour+time.Hour, 2*time.Hour, 10*time.Minute, 5*time.Minute)

	r := runCLI(t, nil, "token", "list", "--data", data)
	if r.code != 0 || strings.Contains(r.stdout, "session") || !strings.Contains(r.stdout, "alice") ||
		r.stderr != "2 board sessions open, 2 expired, not listed: --scope session lists them\n" {
		t.Errorf("token list: exit %d\nstdout: %s\nstderr: %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "token", "list", "--data", data, "--scope", "session")
	if r.code != 0 || strings.Count(r.stdout, " session ") != 4 || strings.Count(r.stdout, "(expired)") != 2 || r.stderr != "" {
		t.Errorf("token list --scope session: exit %d\nstdout: %s\nstderr: %q", r.code, r.stdout, r.stderr)
	}
	// A user with no API token but sessions: no tokens, and the count.
	r = runCLI(t, nil, "token", "list", "--data", data, "--user", "alice", "--scope", "feed")
	if r.code != 0 || r.stdout != "" || r.stderr != "no tokens\n2 board sessions open, 2 expired, not listed: --scope session lists them\n" {
		t.Errorf("token list --scope feed: exit %d\nstdout: %s\nstderr: %q", r.code, r.stdout, r.stderr)
	}

	want := andon.SessionCount{Open: 2, Expired: 2}
	for _, tc := range []struct {
		args   []string
		scopes []string
	}{
		{nil, []string{"api"}},
		{[]string{"--scope", "session"}, []string{"session", "session", "session", "session"}},
		{[]string{"--scope", "api,session"}, []string{"api", "session", "session", "session", "session"}},
		{[]string{"--scope", "api", "--scope", "feed"}, []string{"api"}},
	} {
		l := mustListTokens(t, append([]string{"--data", data}, tc.args...)...)
		var scopes []string
		for _, tok := range l.Tokens {
			scopes = append(scopes, tok.Scope)
		}
		if strings.Join(scopes, " ") != strings.Join(tc.scopes, " ") || l.Sessions != want {
			t.Errorf("token list %v -o json: scopes %v, sessions %+v; want %v, %+v", tc.args, scopes, l.Sessions, tc.scopes, want)
		}
	}
	if l := mustListTokens(t, "--data", data, "--user", "bob"); len(l.Tokens) != 0 || l.Sessions != (andon.SessionCount{}) {
		t.Errorf("token list --user bob -o json = %+v, want nothing", l)
	}
	wantExit(t, runCLI(t, nil, "token", "list", "--data", data, "--scope", "sessions"), 2, `--scope "sessions": want api, feed, session`)
}

// TestLeaderDeletesExpiredSessions: the leading server deletes the
// sessions of the board that expired a week ago or more, and records each
// deletion; those expired since stay listed, and open ones stay open.
func TestLeaderDeletesExpiredSessions(t *testing.T) {
	data := t.TempDir()
	mustSeedSessions(t, data, time.Hour, 9*24*time.Hour, 8*24*time.Hour, 2*time.Hour, 10*time.Minute)
	if l := mustListTokens(t, "--data", data); l.Sessions != (andon.SessionCount{Open: 1, Expired: 3}) {
		t.Fatalf("before the server: sessions %+v, want 1 open and 3 expired", l.Sessions)
	}
	s := MustServe(t, data, "--job-interval", "100ms")
	waitFor(t, 10*time.Second, func() bool {
		return mustListTokens(t, "--data", data).Sessions == andon.SessionCount{Open: 1, Expired: 1}
	}, s.logs)
	if !strings.Contains(s.logs.String(), `deleted expired sessions of the board`) {
		t.Errorf("the log does not say the sessions were deleted:\n%s", s.logs.String())
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("server exit code %d", code)
	}
	r := runCLI(t, nil, "audit", "entries", "--data", data, "--type", "token.revoked", "-o", "json")
	if r.code != 0 || strings.Count(r.stdout, `"actor": "andon"`) != 2 || strings.Count(r.stdout, `"type": "token.revoked"`) != 2 {
		t.Errorf("audit entries --type token.revoked: exit %d, want two entries by andon\n%s%s", r.code, r.stdout, r.stderr)
	}
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", data), 0, "audit log OK")
}
