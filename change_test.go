package andon_test

import (
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

func TestChangeRequestValidate(t *testing.T) {
	ok := func() andon.ChangeRequest {
		return andon.ChangeRequest{Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "December addons",
			Facts: andon.Facts{MigrationPhases: []string{"pre", "End"}}}
	}
	r := ok()
	r.Description = "Line one.\n\tLine two.\r\n"
	r.Links = []andon.Link{{Kind: "ticket", URL: "https://jira.example.com/OPS-1"},
		{Kind: "git", URL: "git@git.example.com:odoo/addons.git@a1..b2"}, {Kind: "git", URL: "/srv/addons@a1..b2"},
		{Kind: "git", URL: "gitlab.example.com:odoo/addons.git@a1..b2"}, {Kind: "ticket", URL: "jira:OPS-1"}}
	if err := r.Validate(); err != nil {
		t.Errorf("a good request: %v", err)
	}
	// Components are open-ended: names of the known ones, in any case,
	// and others far enough from them are taken.
	r.Facts.Components = []string{"Postgres", " kubernetes", "redis", "traefik", "minio", "rabbitmq", "nginx",
		"radius", "traffic", "postgis", "pgbouncer", "kubelet", "redpanda", "rds"}
	if err := r.Validate(); err != nil {
		t.Errorf("known and other components: %v", err)
	}
	// The longer texts are text of lines, whichever line breaks end them.
	r.Description = "first\u2028second\u2029third\r\n\tfourth"
	r.RollbackPlan = "redeploy\u2028the previous image"
	if err := r.Validate(); err != nil {
		t.Errorf("a description and a rollback plan of lines: %v", err)
	}
	for _, tt := range []struct {
		edit func(*andon.ChangeRequest)
		want string
	}{
		{func(r *andon.ChangeRequest) { r.Environment = "" }, "environment: required"},
		{func(r *andon.ChangeRequest) { r.Type = "urgent" }, `type: "urgent"`},
		{func(r *andon.ChangeRequest) { r.Artifacts = []string{"odoo:17"} }, "artifacts[0]"},
		{func(r *andon.ChangeRequest) { r.Facts.MigrationPhases = []string{"pre", "during"} }, `facts.migrationPhases[1]: "during" is not pre, post or end`},
		{func(r *andon.ChangeRequest) { r.Facts.Evidence = map[string][]string{"mood": {"a"}} }, `facts.evidence: "mood" is not one of`},
		{func(r *andon.ChangeRequest) {
			r.Facts.Evidence = map[string][]string{"modules": make([]string, andon.MaxFactItems+1)}
		}, "facts.evidence.modules: 501 entries, more than 500"},
		{func(r *andon.ChangeRequest) { r.Facts.PublicAccessRows = []string{"a\x1b[31m"} }, "facts.publicAccessRows[0]: holds the control character U+001B at byte 1"},
		{func(r *andon.ChangeRequest) { r.Facts.PublicAccessRows = []string{strings.Repeat("x", 301)} }, "longer than 300 bytes"},
		{func(r *andon.ChangeRequest) { r.Title = " \t " }, "title: required"},
		{func(r *andon.ChangeRequest) { r.Title = "ok\x1b[31mRED" }, "title: holds the control character U+001B at byte 2"},
		{func(r *andon.ChangeRequest) { r.Title = "two\nlines" }, "title: holds the control character U+000A"},
		// Unicode's own line breaks are no more one line than \n is.
		{func(r *andon.ChangeRequest) { r.Title = "two\u2028lines" }, "title: holds the line separator U+2028 at byte 3, a line break: it takes one line"},
		{func(r *andon.ChangeRequest) { r.Title = "Upgrade\u2029MRP" }, "title: holds the paragraph separator U+2029 at byte 7, a line break: it takes one line"},
		{func(r *andon.ChangeRequest) { r.Title = "MRP\u0085upgrade" }, "title: holds the control character U+0085 at byte 3"},
		{func(r *andon.ChangeRequest) { r.Title = "MRP\vupgrade" }, "title: holds the control character U+000B at byte 3"},
		{func(r *andon.ChangeRequest) { r.Facts.Modules = []string{"mrp\u2028"} }, "facts.modules[0]: holds the line separator U+2028 at byte 3"},
		{func(r *andon.ChangeRequest) { r.Description = "one\ntwo\x07" }, "description: holds the control character U+0007 at byte 7"},
		{func(r *andon.ChangeRequest) { r.Description = "one\u2028two\x1f" }, "description: holds the control character U+001F at byte 9"},
		{func(r *andon.ChangeRequest) { r.Description = "fine\n\x00" }, "description: holds the control character U+0000 at byte 5"},
		{func(r *andon.ChangeRequest) { r.RollbackPlan = "redeploy\u009b" }, "rollbackPlan: holds the control character U+009B"},
		{func(r *andon.ChangeRequest) { r.Window = &andon.Span{Start: time.Now()} }, "window.end: required"},
		{func(r *andon.ChangeRequest) { r.Title = "\u200b\u00a0\u3000" }, "title: required"},
		{func(r *andon.ChangeRequest) { r.Title = "Upgrade MRP \u202e(approved)" }, "title: holds the bidirectional control U+202E at byte 12, which shows text in another order"},
		{func(r *andon.ChangeRequest) { r.Description = "see \u2066ticket\u2069" }, "description: holds the bidirectional control U+2066 at byte 4"},
		{func(r *andon.ChangeRequest) { r.Title = strings.Repeat("T", 501) }, "title: 501 bytes long, longer than 500"},
		{func(r *andon.ChangeRequest) { r.Description = strings.Repeat("d", andon.MaxText+1) }, "description: 65537 bytes long, longer than 65536"},
		{func(r *andon.ChangeRequest) { r.Facts.Modules = []string{"\u200b"} }, "facts.modules[0]: empty"},
		{func(r *andon.ChangeRequest) { r.Window = &andon.Span{End: time.Now()} }, "window.start: required"},
		{func(r *andon.ChangeRequest) {
			r.Window = &andon.Span{Start: time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -12*3600)), End: time.Date(9999, 12, 31, 23, 30, 0, 0, time.FixedZone("", -12*3600))}
		}, "window.start: 9999-12-31T23:00:00-12:00 is outside the years andon reasons about, 1970 to 2199"},
		{func(r *andon.ChangeRequest) {
			r.Window = &andon.Span{Start: time.Date(2199, 12, 31, 23, 0, 0, 0, time.UTC), End: time.Date(2200, 1, 1, 1, 0, 0, 0, time.UTC)}
		}, "window.end: 2200-01-01T01:00:00Z is outside the years"},
		{func(r *andon.ChangeRequest) { r.Links = []andon.Link{{}} }, "links[0].kind: required"},
		{func(r *andon.ChangeRequest) { r.Links = []andon.Link{{Kind: "ticket"}} }, "links[0].url: required"},
		{func(r *andon.ChangeRequest) { r.Links = []andon.Link{{Kind: "x", URL: "JavaScript:alert(1)"}} }, `links[0].url: a javascript: link runs code where it is followed`},
		{func(r *andon.ChangeRequest) { r.Links = []andon.Link{{Kind: "x", URL: "ftp://files.example.com/x"}} }, `links[0].url: the scheme "ftp" is not one of http, https, ssh, git, file`},
		{func(r *andon.ChangeRequest) {
			r.Links = []andon.Link{{Kind: "ticket", URL: "https://jira.example.com/OPS-1"}, {Kind: "ticket", URL: "https://bot:s3cret@jira.example.com/OPS-1"}}
		}, "links[1].url: holds credentials (a user or password before the host)"},
		{func(r *andon.ChangeRequest) {
			r.Links = []andon.Link{{Kind: "pr", URL: "https://ghp_TOKEN@git.example.com/plant/addons/pull/7"}}
		}, "links[0].url: holds credentials"},
		{func(r *andon.ChangeRequest) {
			r.Links = []andon.Link{{Kind: "git", URL: "ssh://git:pw@git.example.com/addons.git@0123abcd..4567def0"}}
		}, "links[0].url: holds credentials"},
		{func(r *andon.ChangeRequest) { r.Facts.Modules = []string{"mrp", " "} }, "facts.modules[1]: empty"},
		{func(r *andon.ChangeRequest) { r.Facts.Components = []string{""} }, "facts.components[0]: empty"},
		{func(r *andon.ChangeRequest) { r.Facts.Components = []string{"postgress"} },
			`facts.components[0]: "postgress" looks like postgres, which the risk policy knows by that name only; give postgres, or, for another component, a name that cannot be taken for it`},
		{func(r *andon.ChangeRequest) { r.Facts.Components = []string{"redis", "Kubernets"} }, `facts.components[1]: "Kubernets" looks like kubernetes`},
		{func(r *andon.ChangeRequest) { r.Facts.Components = []string{"postgresql"} }, `facts.components[0]: "postgresql" looks like postgres`},
		{func(r *andon.ChangeRequest) { r.Facts.Components = []string{"k8s"} }, `facts.components[0]: "k8s" looks like kubernetes`},
		{func(r *andon.ChangeRequest) { r.Facts.Components = []string{"treafik"} }, `facts.components[0]: "treafik" looks like traefik`},
		{func(r *andon.ChangeRequest) { r.Facts.Components = []string{"reddis"} }, `facts.components[0]: "reddis" looks like redis`},
		{func(r *andon.ChangeRequest) { r.Facts.Components = []string{" postgre "} }, `facts.components[0]: " postgre " looks like postgres`},
	} {
		r := ok()
		tt.edit(&r)
		if err := r.Validate(); andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), tt.want) {
			t.Errorf("error = %v, want invalid with %q", err, tt.want)
		}
	}
}

// TestLinksWithoutCredentials checks the links a change may hold that
// name no credentials, the git range that andon change create --from-git
// writes after a repository's URL included.
func TestLinksWithoutCredentials(t *testing.T) {
	for _, url := range []string{
		"https://jira.example.com/browse/OPS-1",
		"jira:OPS-1",
		"https://git.example.com/plant/addons.git@0123abcd..4567def0",
		"https://git.example.com@0123abcd..4567def0",
		"git@git.example.com:plant/addons.git@0123abcd..4567def0",
		"ssh://git@git.example.com/plant/addons.git",
		"../addons@0123abcd..4567def0",
	} {
		r := andon.ChangeRequest{Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "Links", Links: []andon.Link{{Kind: "git", URL: url}}}
		if err := r.Validate(); err != nil {
			t.Errorf("link %q: %v", url, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for _, tt := range []struct {
		s       string
		want    time.Duration
		wantErr string
	}{
		{s: "15m", want: 15 * time.Minute},
		{s: "2h30m", want: 150 * time.Minute},
		{s: "7d", want: 7 * 24 * time.Hour},
		{s: "0d", want: 0},
		{s: "106751d", want: 106751 * 24 * time.Hour},
		{s: "106752d", wantErr: `invalid duration "106752d"`},
		{s: "1.5d", wantErr: `invalid duration "1.5d": use Go units such as 15m or 2h, or whole days such as 7d`},
		{s: "-2h", wantErr: `duration "-2h" must not be negative`},
		{s: "-1d", wantErr: `invalid duration "-1d"`},
		{s: "7D", wantErr: `invalid duration "7D"`},
		{s: "", wantErr: `invalid duration ""`},
	} {
		got, err := andon.ParseDuration(tt.s)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ParseDuration(%q) = %v, %v; want error %q", tt.s, got, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.s, got, err, tt.want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0m"},
		{29 * time.Second, "0m"},
		{12 * time.Minute, "12m"},
		{5 * time.Hour, "5h"},
		{5*time.Hour + 20*time.Minute, "5h 20m"},
		{72 * time.Hour, "3d"},
		{76*time.Hour + 10*time.Minute, "3d 4h"},
	} {
		if got := andon.HumanDuration(tt.d); got != tt.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
