package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

// The preview of a start by hand, through the API and andon change start
// --dry-run: the gate's answer now, with every reason, and nothing
// written; what the start refuses before it asks the gate is refused the
// same way. Its exit codes are the gate's: 0 would be allowed, 1 would be
// refused, 2 cannot tell.
func TestStartCheck(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := MustServeOn(t, engine, t.TempDir())
		// staging-lyon has no freeze and no promotion to wait for: its
		// changes are low risk, approved by policy, and held to their own
		// window alone.
		now := time.Now()
		open := func(env string, start, end time.Time) string {
			t.Helper()
			c := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", env, "--type", "normal",
				"--title", "Printer settings", "--start", start.Format(time.RFC3339), "--end", end.Format(time.RFC3339))
			return c.ID
		}
		inWindow := open("staging-lyon", now.Add(-5*time.Minute), now.Add(2*time.Hour))
		later := open("staging-lyon", now.Add(2*time.Hour), now.Add(4*time.Hour))
		pending := open("prod-lyon", now.Add(2*time.Hour), now.Add(4*time.Hour))

		get := func(path, user string) (int, []byte) {
			t.Helper()
			resp := s.do(t, "GET", path, user, "")
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode, body
		}
		auditSize := func() int64 {
			t.Helper()
			status, body := get("/api/v1/audit/checkpoint", "frank")
			var cp andon.Checkpoint
			if err := json.Unmarshal(body, &cp); status != http.StatusOK || err != nil {
				t.Fatalf("checkpoint: %d %s %v", status, body, err)
			}
			return cp.Size
		}
		check := func(id string) andon.StartCheck {
			t.Helper()
			status, body := get("/api/v1/changes/"+id+"/start-check", "alice")
			var got andon.StartCheck
			if err := json.Unmarshal(body, &got); status != http.StatusOK || err != nil {
				t.Fatalf("start-check of %s: %d %s %v", id, status, body, err)
			}
			return got
		}
		codes := func(reasons []andon.Reason) (got []string) {
			for _, r := range reasons {
				got = append(got, r.Code)
			}
			return strings.Fields(strings.Join(got, " "))
		}

		before := auditSize()
		if got := check(inWindow); !got.Allow || strings.Join(codes(got.Reasons), " ") != "ALLOWED" || got.At.Before(now.Truncate(time.Second)) {
			t.Errorf("start-check inside the window: %+v; want allowed, asked about now", got)
		}
		got := check(later)
		if got.Allow || strings.Join(codes(got.Reasons), " ") != "OUTSIDE_CHANGE_WINDOW" || !strings.Contains(got.Reasons[0].Message, "is outside the window of change "+later) {
			t.Errorf("start-check before the window: %+v; want refused, outside the change's window", got)
		}
		for _, tt := range []struct {
			id     string
			status int
			want   string
		}{
			{pending, http.StatusConflict, `{"code":"conflict","message":"change ` + pending + ` is pending and cannot become implementing; a pending change needs its approvals before it can start, or it can be cancelled"}`},
			{"CHG-999", http.StatusNotFound, `{"code":"not_found","message":"no change CHG-999"}`},
		} {
			status, body := get("/api/v1/changes/"+tt.id+"/start-check", "alice")
			if status != tt.status || strings.TrimSpace(string(body)) != tt.want {
				t.Errorf("start-check of %s: %d %s; want %d %s", tt.id, status, body, tt.status, tt.want)
			}
		}

		// The command line, with the gate's exit codes.
		r := s.as(t, "alice", "change", "start", inWindow, "--dry-run")
		if r.code != 0 || !strings.Contains(r.stdout, "WOULD BE ALLOWED (dry run: starts nothing)") || !strings.Contains(r.stdout, "ALLOWED: ") {
			t.Errorf("start --dry-run inside the window: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		r = s.as(t, "alice", "change", "start", later, "--dry-run")
		if r.code != 1 || !strings.Contains(r.stdout, "WOULD BE DENIED (dry run: starts nothing)") || !strings.Contains(r.stdout, "OUTSIDE_CHANGE_WINDOW: ") {
			t.Errorf("start --dry-run before the window: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
		}
		if got := mustJSON[andon.StartCheck](t, s, "alice", 1, "change", "start", later, "--dry-run"); got.Allow || strings.Join(codes(got.Reasons), " ") != "OUTSIDE_CHANGE_WINDOW" {
			t.Errorf("start --dry-run -o json before the window: %+v", got)
		}
		wantExit(t, s.as(t, "alice", "change", "start", pending, "--dry-run"), 1, "is pending and cannot become implementing")
		wantExit(t, s.as(t, "frank", "change", "start", later, "--dry-run"), 1, "frank may not move change "+later)
		wantExit(t, s.as(t, "alice", "change", "start", "CHG-999", "--dry-run"), 2, "no change CHG-999")
		wantExit(t, s.as(t, "alice", "change", "start", later, "--dry-run", "--comment", "x"), 2, "--comment: a dry run records nothing")

		if after := auditSize(); after != before {
			t.Errorf("the previews wrote %d audit entries; want none", after-before)
		}
		for _, id := range []string{inWindow, later} {
			if c := mustJSON[andon.Change](t, s, "alice", 0, "change", "show", id); c.State != andon.StateApproved {
				t.Errorf("after the previews, %s is %s; want approved", id, c.State)
			}
		}
		// The start asks the gate again, and agrees.
		wantExit(t, s.as(t, "alice", "change", "start", later), 1, "(OUTSIDE_CHANGE_WINDOW)")
		if c := mustJSON[andon.Change](t, s, "alice", 0, "change", "start", inWindow); c.State != andon.StateImplementing {
			t.Errorf("start inside the window: %s; want implementing", c.State)
		}
	})
}
