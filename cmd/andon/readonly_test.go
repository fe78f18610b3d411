package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
)

// TestReadOnlyToken issues a read-only token with token create
// --read-only: the listing and whoami say so, it reads what any token
// reads (the audit checkpoint, as the archiving job does), and every
// command that would write is refused, exit 1 as every 403, the gate
// exit 2 as every gate that could not decide, writing nothing.
func TestReadOnlyToken(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := MustServeOn(t, engine, t.TempDir())
		store := s.storeFlags()
		c := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "prod-lyon", "--type", "normal",
			"--title", "November release", "--image", imageRelease, "--module", "mrp_workorder")

		// bob is a change manager: a token that writes would let him approve.
		r := runCLI(t, nil, append([]string{"token", "create", "--user", "bob", "--read-only", "-o", "json"}, store...)...)
		var made struct {
			Token    string
			ReadOnly bool
		}
		if err := json.Unmarshal([]byte(r.stdout), &made); r.code != 0 || err != nil || !made.ReadOnly {
			t.Fatalf("token create --read-only: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		ro := map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": made.Token}

		r = runCLI(t, ro, "whoami")
		if r.code != 0 || !hasLine(r.stdout, "token access:   read-only: it may read and never write") {
			t.Errorf("whoami with the read-only token: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		var me andon.User
		r = runCLI(t, ro, "whoami", "-o", "json")
		if err := json.Unmarshal([]byte(r.stdout), &me); r.code != 0 || err != nil || !me.ReadOnly || me.Name != "bob" {
			t.Errorf("whoami -o json with the read-only token: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		r = runCLI(t, nil, append([]string{"token", "list", "--user", "bob", "-o", "json"}, store...)...)
		var list struct{ Tokens []andon.TokenInfo }
		if err := json.Unmarshal([]byte(r.stdout), &list); r.code != 0 || err != nil || len(list.Tokens) != 2 || list.Tokens[0].ReadOnly || !list.Tokens[1].ReadOnly {
			t.Errorf("token list -o json: exit %d, %v, want bob's first token read-write, his second read-only\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		r = runCLI(t, nil, append([]string{"token", "list", "--user", "bob"}, store...)...)
		if r.code != 0 || strings.Count(r.stdout, "read-only") != 1 || strings.Count(r.stdout, "read-write") != 1 {
			t.Errorf("token list: exit %d, want one token read-only, one read-write\n%s%s", r.code, r.stdout, r.stderr)
		}

		r = runCLI(t, ro, "audit", "checkpoint", "-o", "json")
		var before andon.Checkpoint
		if err := json.Unmarshal([]byte(r.stdout), &before); r.code != 0 || err != nil {
			t.Fatalf("audit checkpoint with the read-only token: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		const refused = "bob signed in with a read-only API token, which may read and never write"
		for _, args := range [][]string{
			{"change", "create", "--env", "staging-lyon", "--type", "normal", "--title", "Read-only", "--image", imageRelease},
			{"change", "approve", c.ID, "--comment", "fine"},
			{"change", "reject", c.ID, "--comment", "no"},
			{"change", "cancel", c.ID},
		} {
			wantExit(t, runCLI(t, ro, args...), 1, refused)
		}
		// The gate, asked about staging where it would record a change,
		// and as a dry run, which it records too.
		wantExit(t, runCLI(t, ro, "gate", "--env", "staging-lyon", "--image", imageRelease), 2, refused)
		wantExit(t, runCLI(t, ro, "gate", "--env", "staging-lyon", "--image", imageRelease, "--dry-run"), 2, refused)

		after := mustJSON[andon.Checkpoint](t, s, "alice", 0, "audit", "checkpoint")
		if after.Size != before.Size {
			t.Errorf("the refused commands wrote %d audit entries", after.Size-before.Size)
		}
		if got := mustJSON[andon.Change](t, s, "alice", 0, "change", "show", c.ID); got.State != andon.StatePending || len(got.Approvals) != 0 {
			t.Errorf("after the refusals: %s with %d approvals, want pending, none", got.State, len(got.Approvals))
		}
	})
}
