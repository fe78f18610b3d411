package andon_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
)

// validReport is a report as andon drift sends it.
func validReport() *andon.DriftReport {
	return &andon.DriftReport{
		Environment: "prod-lyon",
		Cluster:     "eu-1",
		Namespace:   "odoo-lyon",
		Desired:     andon.DriftSource{URL: "https://git.example.com/odoo/deploy.git", Ref: "main", Path: "prod-lyon", Commit: strings.Repeat("ab", 20)},
		Counts:      andon.DriftCounts{Added: 1, Changed: 2, Unchanged: 5, Skipped: 1},
		Objects: []andon.DriftObject{
			{Drift: andon.DriftAdded, APIVersion: "v1", Kind: "ConfigMap", Namespace: "odoo-lyon", Name: "debug"},
			{Drift: andon.DriftChanged, APIVersion: "apps/v1", Kind: "Deployment", Namespace: "odoo-lyon", Name: "odoo", File: "odoo.yaml", Line: 1,
				Fields: []andon.DriftField{{Path: "spec.replicas", Desired: json.RawMessage(`2`), Live: json.RawMessage(`3`)}}},
			{Drift: andon.DriftChanged, APIVersion: "v1", Kind: "Secret", Namespace: "odoo-lyon", Name: "odoo-db", File: "odoo.yaml", Line: 30,
				Fields: []andon.DriftField{{Path: "data.password", Desired: andon.RedactedValue(), Live: andon.RedactedValue(), Redacted: true}}},
		},
		Skipped: []andon.DriftObject{{Drift: andon.DriftSkipped, APIVersion: "v1", Kind: "Namespace", Name: "odoo-lyon", Reason: "cluster-scoped"}},
	}
}

func TestDriftReportValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *andon.DriftReport)
		want string // "" for valid
	}{
		{"valid", func(r *andon.DriftReport) {}, ""},
		{"a local path", func(r *andon.DriftReport) { r.Desired = andon.DriftSource{Path: "deploy/prod-lyon"} }, ""},
		{"no environment", func(r *andon.DriftReport) { r.Environment = "" }, "environment: required"},
		{"no namespace", func(r *andon.DriftReport) { r.Namespace = "" }, "namespace: required"},
		{"no source", func(r *andon.DriftReport) { r.Desired = andon.DriftSource{} }, "desired: a path or a git URL is required"},
		{"git without commit", func(r *andon.DriftReport) { r.Desired.Commit = "" }, `desired.commit: "" is not a git commit hash`},
		{"ref without git", func(r *andon.DriftReport) { r.Desired.URL = "" }, "desired: ref and commit need a git URL"},
		{"password in URL", func(r *andon.DriftReport) { r.Desired.URL = "https://ci:t0ken@git.example.com/odoo/deploy.git" }, "desired.url: holds credentials"},
		{"token as the user of an https URL", func(r *andon.DriftReport) { r.Desired.URL = "https://ghp_t0ken@git.example.com/odoo/deploy.git" }, "desired.url: holds credentials"},
		{"password in a URL that does not parse", func(r *andon.DriftReport) { r.Desired.URL = "https://ci:t0ken@git.example.com/odoo/deploy%zz.git" }, "desired.url: holds credentials"},
		{"an ssh URL with a user", func(r *andon.DriftReport) { r.Desired.URL = "ssh://git@git.example.com/odoo/deploy.git" }, ""},
		{"an scp-like URL with a user", func(r *andon.DriftReport) { r.Desired.URL = "git@git.example.com:odoo/deploy.git" }, ""},
		{"a server", func(r *andon.DriftReport) { r.Server = "https://k8s.example.com:6443" }, ""},
		{"password in the server URL", func(r *andon.DriftReport) { r.Server = "https://admin:s3cret@k8s.example.com:6443" }, "server: holds credentials"},
		{"token as the user of the server URL", func(r *andon.DriftReport) { r.Server = "https://t0ken@k8s.example.com:6443" }, "server: holds credentials"},
		{"counts that do not add up", func(r *andon.DriftReport) { r.Counts.Changed = 1 }, "counts.changed is 1 but 2 are listed"},
		{"negative counts", func(r *andon.DriftReport) { r.Counts.Unchanged = -1 }, "counts: negative"},
		{"unknown drift", func(r *andon.DriftReport) { r.Objects[0].Drift = "moved" }, `objects[0].drift: "moved" is not one of added, missing, changed`},
		{"no kind", func(r *andon.DriftReport) { r.Objects[0].Kind = "" }, "objects[0]: apiVersion, kind and name are required"},
		{"changed without fields", func(r *andon.DriftReport) { r.Objects[1].Fields = nil }, "objects[1]: a changed object needs the fields that changed"},
		{"added with fields", func(r *andon.DriftReport) { r.Objects[0].Fields = r.Objects[1].Fields }, "objects[0]: only a changed object has fields"},
		{"field without path", func(r *andon.DriftReport) { r.Objects[1].Fields[0].Path = "" }, "objects[1].fields[0].path: required"},
		{"field without values", func(r *andon.DriftReport) { r.Objects[1].Fields[0].Desired, r.Objects[1].Fields[0].Live = nil, nil },
			"objects[1].fields[0]: desired and live are both absent"},
		{"long value", func(r *andon.DriftReport) {
			r.Objects[1].Fields[0].Live = json.RawMessage(`"` + strings.Repeat("x", andon.MaxDriftValue) + `"`)
		}, "objects[1].fields[0]: values longer than 1024 bytes"},
		{"a Secret's value", func(r *andon.DriftReport) {
			r.Objects[2].Fields[0] = andon.DriftField{Path: "data.password", Desired: json.RawMessage(`"czNjcmV0"`)}
		}, "objects[2].fields[0]: the values of a Secret's data must be redacted"},
		{"a Secret's value, its kind in another case", func(r *andon.DriftReport) {
			r.Objects[2].Kind = "SECRET"
			r.Objects[2].Fields[0] = andon.DriftField{Path: "data.password", Desired: json.RawMessage(`"hunter2"`)}
		}, "objects[2].fields[0]: the values of a Secret's data must be redacted"},
		{"a Secret's stringData", func(r *andon.DriftReport) {
			r.Objects[2].Fields[0] = andon.DriftField{Path: `stringData["odoo.conf"]`, Live: json.RawMessage(`"x"`)}
		}, "must be redacted"},
		{"a redacted field with a value", func(r *andon.DriftReport) { r.Objects[2].Fields[0].Live = json.RawMessage(`"czNjcmV0"`) },
			"objects[2].fields[0]: a redacted field holds a value"},
		// andon drift keeps such a line of odoo.conf and hides its value;
		// another client's report that shows it is refused.
		{"a password set in a configuration file", func(r *andon.DriftReport) {
			r.Objects[1].Fields[0] = andon.DriftField{Path: `data["odoo.conf"]`, Desired: json.RawMessage(`"[options]\nadmin_passwd = (redacted)\nworkers = 2\n"`),
				Live: json.RawMessage(`"[options]\r\n  Admin_Passwd: hunter2\r\nworkers = 3\r\n"`)}
		}, "objects[1].fields[0].live: line 2 sets Admin_Passwd: the value of a line that sets a secret must be redacted"},
		{"a token set in a configuration file, its value cut short", func(r *andon.DriftReport) {
			r.Objects[1].Fields[0] = andon.DriftField{Path: "data.env", Desired: json.RawMessage(`"…x\nAPI_TOKEN=ghp_12…"`), Live: json.RawMessage(`"y"`)}
		}, "objects[1].fields[0].desired: line 2 sets API_TOKEN"},
		{"configuration lines that set secrets, redacted", func(r *andon.DriftReport) {
			r.Objects[1].Fields[0] = andon.DriftField{Path: `data["odoo.conf"]`, Desired: json.RawMessage(`"admin_passwd = (redacted)\r\ndb_password: (redacted)\nworkers = 2"`),
				Live: json.RawMessage(`"workers = 3\nsmtp_password = (reda…"`)}
		}, ""},
		// Shown again by the command line and the board.
		{"a terminal escape in a name", func(r *andon.DriftReport) { r.Objects[1].Name = "odoo\x1b[2K" },
			"objects[1].name: holds the control character U+001B at byte 4"},
		{"a line break in a field's path", func(r *andon.DriftReport) { r.Objects[1].Fields[0].Path = "spec.replicas\nlevel=ERROR" },
			"objects[1].fields[0].path: holds the control character U+000A at byte 13"},
		{"a reordering control in a skipped object's reason", func(r *andon.DriftReport) { r.Skipped[0].Reason = "cluster\u202escoped" },
			"skipped[0].reason: holds the bidirectional control U+202E"},
		{"a control character in the ref", func(r *andon.DriftReport) { r.Desired.Ref = "main\r" }, "desired.ref: holds the control character U+000D"},
		{"skipped without reason", func(r *andon.DriftReport) { r.Skipped[0].Reason = "" }, "skipped[0].reason: required"},
		{"skipped as drift", func(r *andon.DriftReport) { r.Skipped[0].Drift = andon.DriftMissing }, `skipped[0].drift: "missing", want skipped`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validReport()
			tt.edit(r)
			err := r.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(andon.ErrorMessage(err), tt.want) || andon.ErrorCode(err) != andon.EINVALID):
				t.Errorf("Validate = %v, want invalid with %q", err, tt.want)
			}
		})
	}
}

func TestIsSecretDataPath(t *testing.T) {
	for path, want := range map[string]bool{
		"data": true, "data.password": true, `data["odoo.conf"]`: true, "stringData.password": true,
		"dataSource": false, "metadata.labels.data": false, "type": false,
	} {
		if got := andon.IsSecretDataPath(path); got != want {
			t.Errorf("IsSecretDataPath(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestDriftSourceString(t *testing.T) {
	for _, tt := range []struct {
		src  andon.DriftSource
		want string
	}{
		{andon.DriftSource{Path: "deploy/prod-lyon"}, "deploy/prod-lyon"},
		{andon.DriftSource{URL: "https://git.example.com/odoo/deploy.git", Ref: "v2026.11", Path: "prod-lyon", Commit: "9fceb02"},
			"https://git.example.com/odoo/deploy.git@v2026.11:prod-lyon (commit 9fceb02)"},
		{andon.DriftSource{URL: "https://git.example.com/odoo/deploy.git", Commit: "9fceb02"}, "https://git.example.com/odoo/deploy.git (commit 9fceb02)"},
	} {
		if got := tt.src.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.src, got, tt.want)
		}
	}
}
