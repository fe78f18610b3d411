package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/server"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestSessionThroughAnIssuer checks that a user who signed in through an
// OpenID Connect issuer, with no API token, opens a session of the board
// that names the issuer, lasts its lifetime, is read-only when the issuer's
// users are, is audited as a sign-in with a token is, ends at sign-out and
// when the user's tokens are revoked; and that such a user is refused a
// feed token, which would outlive the sign-in.
func TestSessionThroughAnIssuer(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const issuer = "https://login.acme.example/realms/plants"
		signedIn := server.SignedIn(ctx, e.catalog, andon.Bearer{User: "alice", Issuer: issuer, ExpiresAt: e.now.Add(5 * time.Minute)})
		sess, expires, err := e.tokens.CreateSession(signedIn, 12*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		// The ID token's five minutes do not end the session: the
		// provider signed the user in, and the session lasts a shift.
		if want := e.now.Add(12 * time.Hour); !expires.Equal(want) {
			t.Errorf("session expires %s, want %s", expires, want)
		}
		got, err := e.tokens.AuthenticateSession(ctx, sess)
		if err != nil {
			t.Fatal(err)
		}
		// She holds no grant of just-in-time access.
		if want := (andon.Bearer{User: "alice", Issuer: issuer, CreatedAt: e.now.UTC().Truncate(time.Microsecond)}); !cmp.Equal(got.Token, want, cmpopts.EquateEmpty()) || !got.ExpiresAt.Equal(expires) {
			t.Errorf("AuthenticateSession = %+v, want the token %+v expiring %s", got, want, expires)
		}
		created, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventTokenCreated, After: -1})
		if err != nil || len(created) != 1 {
			t.Fatalf("token.created entries = %+v, %v", created, err)
		}
		if got, want := string(created[0].Data), `{"expiresAt":"`+expires.Format(time.RFC3339Nano)+`","issuer":"`+issuer+`","scope":"session"}`; created[0].Actor != "alice" || got != want {
			t.Errorf("token.created of the session: by %s, %s; want by alice, %s", created[0].Actor, got, want)
		}

		// A read-only issuer's user opens a read-only session.
		ro := server.SignedIn(ctx, e.catalog, andon.Bearer{User: "bob", Issuer: issuer, ReadOnly: true})
		roSess, _, err := e.tokens.CreateSession(ro, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := e.tokens.AuthenticateSession(ctx, roSess); err != nil || !got.Token.ReadOnly {
			t.Errorf("the session of a read-only issuer's user: %+v, %v; want read-only", got, err)
		}

		// The listing of sessions names the issuer.
		for user, readOnly := range map[string]bool{"alice": false, "bob": true} {
			listed, err := e.tokens.ListTokens(ctx, user, "session")
			if err != nil || len(listed) != 1 || listed[0].Issuer != issuer || listed[0].ReadOnly != readOnly {
				t.Errorf("ListTokens(%s, session) = %+v, %v; want one session naming the issuer, read-only %t", user, listed, err, readOnly)
			}
		}

		// No feed token: it would live until revoked.
		if _, _, err := e.tokens.CreateFeedToken(signedIn, "alice"); andon.ErrorCode(err) != andon.EFORBIDDEN ||
			!strings.Contains(andon.ErrorMessage(err), "alice signed in through the OpenID Connect issuer "+issuer) {
			t.Errorf("CreateFeedToken for a user of an issuer: %v, want forbidden, naming the issuer", err)
		}

		// The session expires at its time.
		e.now = expires
		if _, err := e.tokens.AuthenticateSession(ctx, sess); andon.ErrorCode(err) != andon.EUNAUTHORIZED {
			t.Errorf("an expired session: %v, want unauthorized", err)
		}
		e.now = expires.Add(-time.Hour)
		if err := e.tokens.EndSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		if _, err := e.tokens.AuthenticateSession(ctx, sess); andon.ErrorCode(err) != andon.EUNAUTHORIZED {
			t.Errorf("a session signed out of: %v, want unauthorized", err)
		}
		if revoked, err := e.tokens.RevokeTokens(ctx, "", "bob"); err != nil || len(revoked) != 1 || revoked[0].Scope != "session" {
			t.Fatalf("RevokeTokens(--user bob) = %+v, %v; want bob's session", revoked, err)
		}
		if _, err := e.tokens.AuthenticateSession(ctx, roSess); andon.ErrorCode(err) != andon.EUNAUTHORIZED {
			t.Errorf("a session whose user's tokens were revoked: %v, want unauthorized", err)
		}
	})
}
