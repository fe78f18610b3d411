package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
)

// TestDatabaseThatDoesNotAnswer takes PostgreSQL away from a running
// server: every request that needs it, not only the gate's, is answered
// that the database does not answer, with a 503: a request whose token
// must be checked, one whose token the server remembers, the command
// line's, and a page of the board. Once the database is back, they
// succeed again.
func TestDatabaseThatDoesNotAnswer(t *testing.T) {
	dsn, gone := sqlstoretest.PostgresGoing(t)
	data := t.TempDir()
	wantExit(t, runCLI(t, nil, "audit", "keygen", "--data", data), 0, "")
	base, _, _ := startServe(t, "--data", data, "--db", dsn, "--catalog", exampleCatalog)
	token := func(user string) string {
		t.Helper()
		r := runCLI(t, nil, "token", "create", "--user", user, "--data", data, "--db", dsn)
		if r.code != 0 {
			t.Fatalf("token create %s: exit %d\n%s", user, r.code, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}
	alice, bob := token("alice"), token("bob")
	asAlice := map[string]string{"ANDON_SERVER": base, "ANDON_TOKEN": alice}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := browser.PostForm(base+"/login", url.Values{"token": {alice}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: status %d, want 303", res.StatusCode)
	}
	wantExit(t, runCLI(t, asAlice, "change", "list"), 0, "")

	gone(true)
	const noAnswer = "the database does not answer"
	wantExit(t, runCLI(t, asAlice, "change", "list"), 2, "andon: "+noAnswer+"\n")
	// Bob's token was never checked: it must be read from the database.
	req, err := http.NewRequest("GET", base+"/api/v1/findings", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+bob)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body andon.Error
	err = json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusServiceUnavailable || body != (andon.Error{Code: andon.EINTERNAL, Message: noAnswer}) {
		t.Errorf("findings with a token to check: %d %+v (%v); want 503 and %q", res.StatusCode, body, err, noAnswer)
	}
	res, err = browser.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(page), noAnswer) {
		t.Errorf("the board: status %d, want 503 with %q:\n%s", res.StatusCode, noAnswer, page)
	}

	gone(false)
	wantExit(t, runCLI(t, asAlice, "change", "list"), 0, "")
	res, err = browser.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("the board once the database is back: status %d, want 200", res.StatusCode)
	}
}
