package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/google/go-cmp/cmp"
)

// TestReadOnlyTokens: a read-only token is stored so, authenticates as
// read-only, says so in its token.created entry and in the listing, and
// the sessions of the board opened with it are read-only too; a token
// made without it, and a feed token asked for with a read-only one, are
// not marked.
func TestReadOnlyTokens(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ro, err := e.tokens.CreateReadOnlyToken(ctx, "auditor", e.now.Add(90*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(time.Second) // listed in this order
		rw, err := e.tokens.CreateToken(ctx, "alice", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for token, want := range map[string]bool{ro: true, rw: false} {
			b, err := e.tokens.Authenticate(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			if b.ReadOnly != want {
				t.Errorf("%s's token: ReadOnly = %v, want %v", b.User, b.ReadOnly, want)
			}
		}
		signedIn := e.mustSignIn(t, ro)
		if u := andon.UserFromContext(signedIn); !u.ReadOnly {
			t.Errorf("signed in with the read-only token: %+v, want ReadOnly", u)
		}
		e.now = e.now.Add(time.Second)
		sess, _, err := e.tokens.CreateSession(signedIn, 12*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s, err := e.tokens.AuthenticateSession(ctx, sess)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Token.ReadOnly {
			t.Errorf("the session opened with the read-only token: %+v, want its token ReadOnly", s.Token)
		}
		e.now = e.now.Add(time.Second)
		if _, _, err := e.tokens.CreateFeedToken(signedIn, "auditor"); err != nil {
			t.Fatal(err)
		}

		list, err := e.tokens.ListTokens(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			User, Scope string
			ReadOnly    bool
		}
		var got []row
		for _, tok := range list {
			got = append(got, row{tok.User, tok.Scope, tok.ReadOnly})
		}
		want := []row{{"auditor", "api", true}, {"alice", "api", false}, {"auditor", "session", true}, {"auditor", "feed", false}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ListTokens (-want +got):\n%s", diff)
		}

		entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventTokenCreated, After: -1})
		if err != nil || len(entries) != 4 {
			t.Fatalf("token.created entries = %+v, %v; want 4", entries, err)
		}
		for i, readOnly := range []bool{true, false, true, false} {
			if has := strings.Contains(string(entries[i].Data), `"readOnly":true`); has != readOnly {
				t.Errorf("token.created of %s (%s): data %s, want readOnly %v", entries[i].Subject, entries[i].Data, entries[i].Data, readOnly)
			}
		}
	})
}
