package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

// TestReportDORA reports the deployments made through the gate and how
// they ended, for people and as JSON, and names the flag of a filter the
// server refuses.
func TestReportDORA(t *testing.T) {
	s := MustServe(t, t.TempDir())
	deploy := func(env, image string, to string) {
		t.Helper()
		res := mustJSON[andon.GateResult](t, s, "alice", 0, "gate", "--env", env, "--image", image)
		wantExit(t, s.as(t, "alice", "change", to, res.Change.ID, "--comment", "done"), 0, "")
	}
	deploy("staging-lyon", imageRelease, "complete")
	deploy("staging-geelong", imageUnseen, "fail")

	r := mustJSON[andon.DORAReport](t, s, "frank", 0, "report", "dora")
	if r.Total.Deployments != 2 || r.Total.Completed != 1 || r.Total.Failed != 1 || r.Total.ChangeFailureRate == nil || *r.Total.ChangeFailureRate != 0.5 ||
		len(r.Environments) != 2 || r.Until.Sub(r.Since) != andon.DefaultReportPeriod {
		t.Errorf("report of the last 30 days: %+v; want 2 deployments, one failed, in 2 environments", r)
	}
	if r := mustJSON[andon.DORAReport](t, s, "frank", 0, "report", "dora", "--env", "staging-lyon", "--since", "1h"); r.Total.Deployments != 1 || r.Total.Failed != 0 || r.Until.Sub(r.Since).Hours() != 1 {
		t.Errorf("report of staging-lyon in the last hour: %+v; want its one deployment, over an hour", r)
	}
	if r := mustJSON[andon.DORAReport](t, s, "frank", 0, "report", "dora", "--plant", "geelong"); r.Total.Deployments != 1 || r.Total.Failed != 1 ||
		strings.Join(r.Selected, ",") != "staging-geelong,prod-geelong,prod-subsidiaries" {
		t.Errorf("report of the plant geelong: %+v; want its environments, one failed deployment", r)
	}

	table := s.as(t, "frank", "report", "dora")
	for _, want := range []string{
		"environments:  all",
		"ENVIRONMENT      DEPLOYMENTS  PER WEEK  LEAD TIME P50  P90  ENDED  FAILED  ROLLED BACK  FAILURE RATE  RESTORE P50  P90",
		"staging-geelong  1            0.23      0m             0m   1      1       0            100%          -            - (1 unrestored)",
		"total            2            0.47      0m             0m   2      1       0            50%           -            - (1 unrestored)",
		"incidents resolved:  0, time to restore p50 -, p90 -",
	} {
		if table.code != 0 || !hasLine(table.stdout, want) {
			t.Errorf("report dora: exit %d, want the line %q\n%s%s", table.code, want, table.stdout, table.stderr)
		}
	}

	if day := s.as(t, "frank", "report", "dora", "--since", "1d"); day.code != 0 || !strings.Contains(day.stdout, "(1 day)\n") {
		t.Errorf("report dora --since 1d: exit %d, want the period of 1 day\n%s%s", day.code, day.stdout, day.stderr)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--env", "prod-lyom"}, `--env: "prod-lyom" is not in the catalog`},
		{[]string{"--plant", "paris"}, "--plant: "},
		{[]string{"--env", "prod-lyon", "--plant", "lyon"}, "--env, --plant and --process: give one of them at most"},
		{[]string{"--since", "yesterday"}, `--since "yesterday": want a duration such as 30d or 12h`},
		{[]string{"--until", "2026-11-01T00:00"}, `--until "2026-11-01T00:00"`},
		{[]string{"--since", "2026-11-02", "--until", "2026-11-01"}, "--since: 2026-11-02T00:00:00Z is not before until 2026-11-01T00:00:00Z"},
		{[]string{"--since", "400d"}, "--since: the period from "},
		{[]string{"--since", "0d"}, `--since "0d": a period lasts some time`},
	} {
		wantExit(t, s.as(t, "frank", append([]string{"report", "dora"}, c.args...)...), 2, c.want)
	}
}

// TestReportReview reviews the month of the deployments made through the
// gate, for people, as JSON and as Markdown, and names the flag of a
// month or a filter that is refused.
func TestReportReview(t *testing.T) {
	s := MustServe(t, t.TempDir())
	res := mustJSON[andon.GateResult](t, s, "alice", 0, "gate", "--env", "staging-lyon", "--image", imageRelease)
	wantExit(t, s.as(t, "alice", "change", "complete", res.Change.ID, "--comment", "done"), 0, "")
	wantExit(t, s.as(t, "alice", "gate", "--env", "prod-lyon", "--image", imageUnseen), 1, "")
	month := time.Now().UTC().Format("2006-01")

	r := mustJSON[andon.Review](t, s, "frank", 0, "report", "review", "--month", month)
	if r.Month != month || r.Changes.Total.Opened != 1 || r.Changes.Total.Completed != 1 || r.Gate.Allowed != 1 || r.Gate.Denied != 1 ||
		len(r.Gate.DeniedBy) == 0 || r.Delivery == nil || r.Delivery.Total.Deployments != 1 {
		t.Errorf("review of %s: %+v; want the change completed in staging-lyon, a decision allowed and one denied", month, r)
	}

	table := s.as(t, "frank", "report", "review", "--month", month)
	for _, want := range []string{"CHANGES", "staging-lyon  1       1 standard", "gate decisions:  2: 1 allowed, 1 denied (and 0 dry runs)", "DELIVERY", "OPEN FINDINGS"} {
		if table.code != 0 || !strings.Contains(table.stdout, want) {
			t.Errorf("report review: exit %d, want %q\n%s%s", table.code, want, table.stdout, table.stderr)
		}
	}
	md := s.as(t, "frank", "report", "review", "--month", month, "-o", "markdown")
	for _, want := range []string{"# Monthly operational review, " + month + " (UTC)\n", "## Changes\n", "| Environment | Opened | By type |", "| staging-lyon | 1 | 1 standard |",
		"## Emergency changes\n\nNo emergency change was opened in the month.", "## Gate\n", "| Reason | Denials |\n| --- | --- |\n| " + r.Gate.DeniedBy[0].Code + " | 1 |",
		"## Delivery\n", "## Incidents\n", "## Recovery\n", "## Open findings\n"} {
		if md.code != 0 || !strings.Contains(md.stdout, want) {
			t.Errorf("report review -o markdown: exit %d, want %q\n%s%s", md.code, want, md.stdout, md.stderr)
		}
	}
	if strings.ContainsAny(md.stdout, "\x1b\t") {
		t.Errorf("report review -o markdown holds a tab or an escape:\n%q", md.stdout)
	}
	// A plant's month is in its time zone, which the review names
	// wherever it shows the period; --timezone gives another.
	paris, _ := time.LoadLocation("Europe/Paris")
	first, _ := time.ParseInLocation("2006-01", month, paris)
	lyon := mustJSON[andon.Review](t, s, "frank", 0, "report", "review", "--month", month, "--plant", "lyon")
	if lyon.Timezone != "Europe/Paris" || !lyon.Since.Equal(first) {
		t.Errorf("Lyon's review of %s: %s from %s, want Europe/Paris from %s", month, lyon.Timezone, lyon.Since, first)
	}
	period := fmt.Sprintf("%s, %s to %s (Europe/Paris)", month, first.Format("2006-01-02 15:04Z07:00"), first.AddDate(0, 1, 0).Format("2006-01-02 15:04Z07:00"))
	table = s.as(t, "frank", "report", "review", "--month", month, "--plant", "lyon")
	md = s.as(t, "frank", "report", "review", "--month", month, "--plant", "lyon", "-o", "markdown")
	if !strings.Contains(table.stdout, "month:         "+period+"\n") || !strings.HasPrefix(md.stdout, "# Monthly operational review, "+month+" (Europe/Paris)\n\n- Month: "+period+"\n") {
		t.Errorf("Lyon's review, want the month %s:\n%s\n%s%s", period, table.stdout, md.stdout, md.stderr)
	}
	firstUTC, _ := time.Parse("2006-01", month)
	if utc := mustJSON[andon.Review](t, s, "frank", 0, "report", "review", "--month", month, "--plant", "lyon", "--timezone", "UTC"); utc.Timezone != "UTC" || !utc.Since.Equal(firstUTC) {
		t.Errorf("Lyon's review of %s in UTC: %s from %s, want UTC from %s", month, utc.Timezone, utc.Since, firstUTC)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, `--month: "" is not a month; want YYYY-MM`},
		{[]string{"--month", "2026-13"}, `--month: "2026-13" is not a month; want YYYY-MM`},
		{[]string{"--month", "2099-01"}, `--month: 2099-01 has not begun; it is ` + time.Now().UTC().Format("2006-01") + ` now, in UTC`},
		{[]string{"--month", "11/2026"}, `--month: "11/2026" is not a month`},
		{[]string{"--month", month, "--env", "prod-lyom"}, `--env: "prod-lyom" is not in the catalog`},
		{[]string{"--month", month, "--plant", "lyon", "--process", "finance"}, "--env, --plant and --process: give one of them at most"},
		{[]string{"--month", month, "-o", "pdf"}, `--output "pdf": want one of table, text, json, yaml, markdown`},
		{[]string{"--month", month, "--timezone", "Europe/Lyon"}, `--timezone: "Europe/Lyon" is not a known IANA time zone such as Europe/Paris`},
		{[]string{"--month", month, "--plant", "lyon", "--timezone", "Local"}, `--timezone: "Local" depends on the machine`},
	} {
		wantExit(t, s.as(t, "frank", append([]string{"report", "review"}, c.args...)...), 2, c.want)
	}
}

// TestReportReviewFromTheBoard downloads the monthly review's Markdown
// document from the board and finds it the same, byte for byte, as what
// andon report review -o markdown writes, but for the minute it was read
// at, which may have turned between the two.
func TestReportReviewFromTheBoard(t *testing.T) {
	s := MustServe(t, t.TempDir())
	wantExit(t, s.as(t, "alice", "change", "create", "--env", "prod-lyon", "--type", "emergency",
		"--title", "Label printer | <fix> & more", "--image", imageRelease), 0, "")
	wantExit(t, s.as(t, "alice", "gate", "--env", "prod-lyon", "--image", imageUnseen), 1, "")
	month := time.Now().UTC().Format("2006-01")

	client, cookies := boardSession(t, s, "frank")
	for _, filter := range [][]string{nil, {"plant", "geelong"}, {"env", "prod-lyon"}, {"process", "finance"}} {
		q := url.Values{"month": {month}}
		args := []string{"report", "review", "--month", month, "-o", "markdown"}
		if filter != nil {
			q.Set(filter[0], filter[1])
			args = append(args, "--"+filter[0], filter[1])
		}
		req, err := http.NewRequest(http.MethodGet, s.url+"/reports/review.md?"+q.Encode(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		downloaded, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("download the review %v: status %d, %v\n%.300s", filter, res.StatusCode, err, downloaded)
		}
		printed := s.as(t, "frank", args...)
		if printed.code != 0 {
			t.Fatalf("report review %v: exit %d\n%s", filter, printed.code, printed.stderr)
		}
		asOf := regexp.MustCompile(`(?m)^- As of: \d{4}-\d\d-\d\d \d\d:\d\dZ `)
		board, cli := asOf.ReplaceAllString(string(downloaded), "- As of: (when) "), asOf.ReplaceAllString(printed.stdout, "- As of: (when) ")
		if board != cli || !strings.Contains(cli, "- As of: (when) ") || filter == nil && !strings.Contains(cli, "Label printer \\| \\<fix> \\& more") {
			t.Errorf("the review %v downloaded from the board is not what andon report review -o markdown writes:\nboard:\n%s\nCLI:\n%s", filter, downloaded, printed.stdout)
		}
	}
}

// A title is shown in the Markdown review as it was written: its HTML-like
// words, backticks, backslashes and pipes are escaped, so that a renderer
// neither drops "<odoo-cron>" as a tag, nor opens a code span in which the
// escapes of the rest of the cell would show, nor splits the cell; and so
// are the marks of emphasis, strike-through and links, but for the
// underscores inside a module's name.
func TestReportReviewMarkdownCells(t *testing.T) {
	s := MustServe(t, t.TempDir())
	for _, c := range []struct{ title, want string }{
		{"Cron <odoo-cron> stuck | see `C:\\odoo` & <!-- the log",
			"Cron \\<odoo-cron> stuck \\| see \\`C:\\\\odoo\\` \\& \\<!-- the log |"},
		{"Fix *mrp* labels [WIP](http://x.example) ~old~ _draft_ stock_account __init__",
			"Fix \\*mrp\\* labels \\[WIP\\](http://x.example) \\~old\\~ \\_draft\\_ stock_account \\_\\_init\\_\\_ |"},
	} {
		wantExit(t, s.as(t, "alice", "change", "create", "--env", "prod-lyon", "--type", "emergency", "--title", c.title, "--image", imageRelease), 0, "")
		md := s.as(t, "frank", "report", "review", "--month", time.Now().UTC().Format("2006-01"), "-o", "markdown")
		if md.code != 0 || !strings.Contains(md.stdout, c.want) {
			t.Errorf("report review -o markdown: exit %d, want the cell %q\n%s%s", md.code, c.want, md.stdout, md.stderr)
		}
	}
}
