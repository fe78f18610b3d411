package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/client"
)

// TestCompletionAsksTheServer: --env completes with the environments of
// the server's catalog, and a change ID with the changes the command can
// act on; a server that does not answer offers nothing, quickly.
func TestCompletionAsksTheServer(t *testing.T) {
	s := MustServe(t, t.TempDir())
	pending := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "prod-lyon", "--type", "normal",
		"--title", "November release  of the MRP", "--image", imageRelease, "--rollback-plan", "redeploy the previous image")
	cancelled := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "prod-lyon", "--type", "normal",
		"--title", "Abandoned", "--image", imageRelease, "--rollback-plan", "redeploy the previous image")
	wantExit(t, s.as(t, "alice", "change", "cancel", cancelled.ID), 0, "")

	complete := func(env map[string]string, args ...string) (lines []string, directive string) {
		t.Helper()
		r := runCLI(t, env, append([]string{"__complete"}, args...)...)
		if r.code != 0 {
			t.Fatalf("__complete %q: exit %d: %s", args, r.code, r.stderr)
		}
		for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			if strings.HasPrefix(l, ":") {
				directive = l
			} else if l != "" {
				lines = append(lines, l)
			}
		}
		return lines, directive
	}
	asAlice := map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": s.tokens["alice"]}

	envs, _ := complete(asAlice, "gate", "--env", "")
	if !slices.Contains(envs, "prod-lyon\tproduction, lyon") || !slices.Contains(envs, "staging-lyon\tstaging, lyon") {
		t.Errorf("gate --env: %q; want the catalog's environments with their stage and plants", envs)
	}
	for _, args := range [][]string{{"change", "create", "--env", ""}, {"change", "list", "--env", ""}, {"calendar", "next", "--env", ""}, {"calendar", "show", "--env", ""}, {"drift", "--env", ""}, {"report", "dora", "--env", ""}} {
		if got, _ := complete(asAlice, args...); !slices.Equal(got, envs) {
			t.Errorf("%q: %q; want the environments, as gate --env", args, got)
		}
	}

	for _, args := range [][]string{{"change", "list", "--process", ""}, {"change", "create", "--process", ""}, {"report", "dora", "--process", ""}} {
		got, _ := complete(asAlice, args...)
		if !slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, "finance\tcritical, account ") }) ||
			!slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, "production\tcritical, mrp ") }) {
			t.Errorf("%q: %q; want the catalog's processes with their tier and modules", args, got)
		}
	}

	show, directive := complete(asAlice, "change", "show", "")
	if want := []string{cancelled.ID + "\tcancelled: Abandoned", pending.ID + "\tpending: November release of the MRP"}; !slices.Equal(show[:2], want) {
		t.Errorf("change show: %q; want the newest changes first, each on one line: %q", show, want)
	}
	if directive != fmt.Sprintf(":%d", cobra.ShellCompDirectiveNoFileComp|cobra.ShellCompDirectiveKeepOrder) {
		t.Errorf("change show: directive %s; want no files, in the order given", directive)
	}
	for _, tt := range []struct {
		args []string
		want bool // whether the pending change is offered
	}{
		{[]string{"change", "approve", ""}, true},
		{[]string{"change", "reject", ""}, true},
		{[]string{"change", "cancel", ""}, true},
		{[]string{"change", "start", ""}, false},
		{[]string{"change", "complete", ""}, false},
		{[]string{"change", "review", ""}, false},
	} {
		got, _ := complete(asAlice, tt.args...)
		if slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, cancelled.ID+"\t") }) {
			t.Errorf("%q offers the cancelled change %s: %q", tt.args, cancelled.ID, got)
		}
		if offered := slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, pending.ID+"\t") }); offered != tt.want {
			t.Errorf("%q: %q; pending change %s offered %v, want %v", tt.args, got, pending.ID, offered, tt.want)
		}
	}
	if got, _ := complete(asAlice, "change", "approve", pending.ID, ""); len(got) != 0 {
		t.Errorf("a second ID: %q; want nothing", got)
	}
	// The pending change is offered behind more newer changes than a
	// completion reads, none of them pending.
	c := client.New(s.url, s.tokens["alice"])
	for i := range completedChanges {
		ch, err := c.CreateChange(context.Background(), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeStandard, Title: fmt.Sprintf("Nightly build %d", i)})
		if err != nil || ch.State != andon.StateApproved {
			t.Fatalf("a standard change in dev: %+v, %v; want it approved by policy", ch, err)
		}
	}
	if got, _ := complete(asAlice, "change", "approve", ""); !slices.Equal(got, []string{pending.ID + "\tpending: November release of the MRP"}) {
		t.Errorf("change approve behind %d newer changes: %q; want the pending one", completedChanges, got)
	}

	// No server: nothing, and no file names either.
	start := time.Now()
	got, directive := complete(map[string]string{"ANDON_SERVER": "http://127.0.0.1:1"}, "gate", "--env", "")
	if len(got) != 0 || directive != fmt.Sprintf(":%d", cobra.ShellCompDirectiveNoFileComp) {
		t.Errorf("no server: %q %s; want nothing", got, directive)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("no server: %s to give up", elapsed)
	}
}

// TestCompletionIDBeforeRequiredComment: the ID of incident resolve and
// of change reject, whose --comment is required, completes with the IDs,
// not with --comment before them; --comment is offered once "-" is typed,
// and is still required to run.
func TestCompletionIDBeforeRequiredComment(t *testing.T) {
	s := MustServe(t, t.TempDir())
	inc := mustJSON[andon.Incident](t, s, "alice", 0, "incident", "open", "--plant", "lyon", "--title", "MRP scheduler down")
	pending := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "prod-lyon", "--type", "normal",
		"--title", "November release", "--image", imageRelease, "--rollback-plan", "redeploy the previous image")
	asAlice := map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": s.tokens["alice"]}
	complete := func(args ...string) []string {
		t.Helper()
		r := runCLI(t, asAlice, append([]string{"__complete"}, args...)...)
		if r.code != 0 {
			t.Fatalf("__complete %q: exit %d: %s", args, r.code, r.stderr)
		}
		return strings.Split(strings.TrimSpace(r.stdout), "\n")
	}
	for _, tt := range []struct {
		args  []string
		first string
	}{
		{[]string{"incident", "resolve", ""}, inc.ID + "\topen, MRP scheduler down"},
		{[]string{"change", "reject", ""}, pending.ID + "\tpending: November release"},
	} {
		got := complete(tt.args...)
		if got[0] != tt.first || slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, "-") }) {
			t.Errorf("%q: %q; want the IDs, %q first, and no flags", tt.args, got, tt.first)
		}
		flags := complete(append(tt.args[:len(tt.args)-1:len(tt.args)-1], "-")...)
		if !slices.ContainsFunc(flags, func(l string) bool { return strings.HasPrefix(l, "--comment\t") }) {
			t.Errorf("%q -: %q; want --comment among the flags", tt.args[:len(tt.args)-1], flags)
		}
	}
	wantExit(t, s.as(t, "bob", "incident", "resolve", inc.ID), 2, "andon: missing --comment")
	wantExit(t, s.as(t, "bob", "change", "reject", pending.ID), 2, "andon: missing --comment")
	wantExit(t, s.as(t, "bob", "change", "review", pending.ID), 2, "andon: missing --comment")
	if got := mustJSON[andon.Incident](t, s, "alice", 0, "incident", "show", inc.ID); got.State != andon.IncidentOpen {
		t.Errorf("%s after a resolve without --comment: %s; want it open", inc.ID, got.State)
	}
}

// TestCompletionIncidentNamespace: incident open --namespace completes
// with the namespaces of the catalog's environments, with their cluster
// and alone, each described by the environments it takes in.
func TestCompletionIncidentNamespace(t *testing.T) {
	s := MustServe(t, t.TempDir())
	r := runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": s.tokens["alice"]}, "__complete", "incident", "open", "--namespace", "")
	if r.code != 0 {
		t.Fatalf("__complete incident open --namespace: exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	for _, want := range []string{"eu-1/odoo-lyon\tprod-lyon", "odoo-lyon\tprod-lyon", "au-1/odoo-geelong-staging\tstaging-geelong", "odoo-geelong-staging\tstaging-geelong"} {
		if !slices.Contains(lines, want) {
			t.Errorf("incident open --namespace: %q; want %q among them", lines, want)
		}
	}
	if directive := lines[len(lines)-1]; directive != fmt.Sprintf(":%d", cobra.ShellCompDirectiveNoFileComp) {
		t.Errorf("incident open --namespace: directive %s; want no files", directive)
	}
}

// TestCompletionBashScript sources andon completion bash in bash, as the
// README says to, and presses Tab after --env: with the bash-completion
// package loaded, the script offers the server's environments; without
// it, the script's helper is missing, which bash says on every Tab, and
// bash offers file names, as the README warns.
func TestCompletionBashScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash on the PATH")
	}
	environ := andonOnPath(t)
	s := MustServe(t, t.TempDir())
	// Tab after "andon gate --env ": COMP_* as bash sets them, then the
	// function the script registered for andon.
	const tab = `source <(andon completion bash)
complete -p andon
COMP_WORDS=(andon gate --env ""); COMP_CWORD=3; COMP_LINE="andon gate --env "; COMP_POINT=${#COMP_LINE}
compopt() { :; } # bash allows it only while it completes
__start_andon
echo "offered: ${COMPREPLY[*]}"
`
	press := func(prelude string) (string, string) {
		t.Helper()
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prelude+tab)
		cmd.Env = append(environ,
			"ANDON_SERVER="+s.url, "ANDON_TOKEN="+s.tokens["alice"])
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		_ = cmd.Run() // the Tab without bash-completion fails; its output says how
		return stdout.String(), stderr.String()
	}

	out, stderr := press("")
	if !strings.Contains(out, "complete -o default -F __start_andon andon") || !strings.Contains(out, "offered: \n") ||
		!strings.Contains(stderr, "_get_comp_words_by_ref: command not found") {
		t.Errorf("Tab without bash-completion: want bash to say _get_comp_words_by_ref: command not found and fall back to file names (-o default)\nstdout:\n%s\nstderr:\n%s", out, stderr)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), "every Tab says `_get_comp_words_by_ref: command not found`") {
		t.Error("README.md does not warn what bash says on every Tab without bash-completion")
	}

	const pkg = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(pkg); err != nil {
		t.Skipf("no bash-completion package (%s): apt-get install bash-completion", pkg)
	}
	out, stderr = press("source " + pkg + "\n")
	if !strings.Contains(out, "offered: dev staging-lyon prod-lyon staging-geelong prod-geelong prod-subsidiaries\n") {
		t.Errorf("Tab with bash-completion: want the catalog's environments\nstdout:\n%s\nstderr:\n%s", out, stderr)
	}
}
