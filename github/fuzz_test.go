package github_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/github"
	"github.com/andon-governance/andon/github/githubtest"
)

// FuzzParseRequest: a deployment_protection_rule event, whatever GitHub
// (or whoever holds the secret) sends, is refused as invalid or read as a
// request whose answer goes under the API andon was given, for a run.
func FuzzParseRequest(f *testing.F) {
	const api = "https://api.github.com"
	f.Add(githubtest.Request(api, "odoo-lyon/erp", 12, "production"))
	f.Add(githubtest.Request("https://api.github.com.evil.example", "odoo-lyon/erp", 12, "production"))
	f.Add(`{"action":"requested","environment":"x","deployment_callback_url":"https://api.github.com/../actions/runs/1/deployment_protection_rule","repository":{"full_name":"a/b","html_url":"h"},"installation":{"id":1}}`)
	f.Add(`{"action":"requested","environment":"x","deployment_callback_url":"https://api.github.com/repos/evil/app/actions/runs/1/deployment_protection_rule","repository":{"full_name":"a/b","html_url":"https://github.com/a/b"},"installation":{"id":1}}`)
	f.Add(`{"action":"requested","environment":"x","deployment_callback_url":"https://api.github.com/repos/a/b/actions/runs/1/deployment_protection_rule","repository":{"full_name":"a/b","html_url":"https://github.com/evil/app"},"installation":{"id":1}}`)
	f.Add(`{"action":"completed"}`)
	f.Add(`null`)
	run := regexp.MustCompile(`/actions/runs/[0-9]+$`)
	f.Fuzz(func(t *testing.T, body string) {
		d, err := github.ParseRequest([]byte(body), api)
		switch {
		case err != nil:
			if d != nil || andon.ErrorCode(err) != andon.EINVALID {
				t.Fatalf("ParseRequest = %+v, %v; want nil and an invalid error", d, err)
			}
		case d == nil:
		case !strings.HasPrefix(d.CallbackURL, api+"/"), !run.MatchString(d.RunURL), d.GitHubEnvironment == "",
			d.Repository == "", d.InstallationID <= 0:
			t.Fatalf("ParseRequest read %+v", d)
		default:
			// The callback and the run page name the same run of the
			// same repository.
			runID := d.RunURL[strings.LastIndex(d.RunURL, "/")+1:]
			want := strings.ToLower(api + "/repos/" + d.Repository + "/actions/runs/" + runID + "/deployment_protection_rule")
			if strings.ToLower(d.CallbackURL) != want || !strings.HasSuffix(strings.ToLower(d.RunURL), "/"+strings.ToLower(d.Repository)+"/actions/runs/"+runID) {
				t.Fatalf("ParseRequest read %+v: the callback and the run page name different runs", d)
			}
		}
	})
}
