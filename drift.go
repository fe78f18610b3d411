package andon

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// How an object differs from its desired state, the values of
// DriftObject.Drift.
const (
	DriftAdded   = "added"   // live in the namespace, declared nowhere
	DriftMissing = "missing" // declared, not live
	DriftChanged = "changed" // declared and live, with fields that differ
	// DriftSkipped marks a declared object that was not compared: it is
	// cluster-scoped or lives in another namespace than the environment's.
	DriftSkipped = "skipped"
)

// Redacted stands for a value that a drift report does not show, such as
// the data of a Secret.
const Redacted = "(redacted)"

// MaxDriftValue bounds the JSON text of one value in a DriftField; longer
// values are shortened by the comparison before they get that far.
const MaxDriftValue = 1024

// DriftReport is the result of one comparison of the desired manifests of
// an environment with the live objects of its namespace. It never holds
// the value of a Secret's data.
type DriftReport struct {
	Environment string `json:"environment"`
	// Cluster is the environment's cluster as the catalog names it.
	Cluster string `json:"cluster,omitempty"`
	// Namespace is the environment's namespace, the one compared.
	Namespace string `json:"namespace"`
	// Server is the URL of the Kubernetes API server the live objects
	// were read from.
	Server  string      `json:"server,omitempty"`
	Desired DriftSource `json:"desired"`
	Counts  DriftCounts `json:"counts"`
	// Objects are the objects that differ, added, missing or changed.
	Objects []DriftObject `json:"objects"`
	// Skipped are the declared objects that were not compared.
	Skipped []DriftObject `json:"skipped,omitempty"`
}

// DriftSource says where the desired manifests were read: a local path,
// or a directory of a git repository at a commit.
type DriftSource struct {
	// Path is the local file or directory, or with URL the directory
	// inside the repository ("" for its root).
	Path string `json:"path,omitempty"`
	// URL is the git repository, without credentials.
	URL string `json:"url,omitempty"`
	// Ref is the branch, tag or commit asked for; "" is the remote's HEAD.
	Ref string `json:"ref,omitempty"`
	// Commit is the commit the manifests were read at.
	Commit string `json:"commit,omitempty"`
}

// String describes the source as "PATH" or "URL@REF:PATH (commit C)".
func (s DriftSource) String() string {
	if s.URL == "" {
		return s.Path
	}
	out := s.URL
	if s.Ref != "" {
		out += "@" + s.Ref
	}
	if s.Path != "" {
		out += ":" + s.Path
	}
	if s.Commit != "" {
		out += " (commit " + s.Commit + ")"
	}
	return out
}

// DriftCounts counts the objects of a report by drift.
type DriftCounts struct {
	Added   int `json:"added"`
	Missing int `json:"missing"`
	Changed int `json:"changed"`
	// Unchanged counts the declared objects found live as declared.
	Unchanged int `json:"unchanged"`
	Skipped   int `json:"skipped"`
}

// Drifted reports whether any object was added, missing or changed.
func (c DriftCounts) Drifted() bool { return c.Added+c.Missing+c.Changed > 0 }

// DriftObject is one object that differs from its desired state, or one
// that was skipped.
type DriftObject struct {
	Drift      string `json:"drift"`
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	// File and Line say where the desired object was read; an added
	// object has none.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Reason explains a skipped object, or a missing one whose kind the
	// cluster does not serve.
	Reason string `json:"reason,omitempty"`
	// Fields are the fields of a changed object that differ.
	Fields []DriftField `json:"fields,omitempty"`
}

// DriftField is one field of an object whose live value is not the
// desired one.
type DriftField struct {
	// Path names the field as in spec.template.spec.containers[name=odoo].image:
	// list items that have names are named, others are numbered.
	Path string `json:"path"`
	// Desired and Live are the values as JSON, so that 8069 and "8069"
	// stay apart; absent when the field is not there. Long values are
	// shortened.
	Desired json.RawMessage `json:"desired,omitempty"`
	Live    json.RawMessage `json:"live,omitempty"`
	// Redacted says the values are not shown: Desired and Live are then
	// the JSON string Redacted when the field is there, absent otherwise.
	Redacted bool `json:"redacted,omitempty"`
}

// DriftRecord says where a drift report was recorded.
type DriftRecord struct {
	// AuditIndex is the index of the drift.checked audit entry.
	AuditIndex int64     `json:"auditIndex"`
	Time       time.Time `json:"time"`
}

// DriftService records drift reports.
type DriftService interface {
	// RecordDrift checks a report against the catalog and appends it to
	// the audit log as drift.checked, by the user in ctx.
	RecordDrift(ctx context.Context, report *DriftReport) (*DriftRecord, error)
}

// commitPattern is a git commit hash, SHA-1 or SHA-256.
var commitPattern = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// Validate checks the report on its own, without the catalog: its shape,
// that its counts match its lists, and that no Secret value is in it.
func (r *DriftReport) Validate() error {
	switch {
	case r.Environment == "":
		return Errorf(EINVALID, "environment: required")
	case r.Namespace == "":
		return Errorf(EINVALID, "namespace: required")
	}
	if err := checkLines([]string{"environment", r.Environment, "cluster", r.Cluster, "namespace", r.Namespace, "server", r.Server,
		"desired.path", r.Desired.Path, "desired.url", r.Desired.URL, "desired.ref", r.Desired.Ref}); err != nil {
		return err
	}
	if err := r.Desired.validate(); err != nil {
		return err
	}
	if holdsCredentials(r.Server) {
		return Errorf(EINVALID, "server: holds credentials; send the URL without them")
	}
	c := r.Counts
	if c.Added < 0 || c.Missing < 0 || c.Changed < 0 || c.Unchanged < 0 || c.Skipped < 0 {
		return Errorf(EINVALID, "counts: negative")
	}
	var tally DriftCounts
	for i := range r.Objects {
		o := &r.Objects[i]
		if err := o.validate(fmtPath("objects", i), false); err != nil {
			return err
		}
		switch o.Drift {
		case DriftAdded:
			tally.Added++
		case DriftMissing:
			tally.Missing++
		case DriftChanged:
			tally.Changed++
		}
	}
	for i := range r.Skipped {
		if err := r.Skipped[i].validate(fmtPath("skipped", i), true); err != nil {
			return err
		}
		tally.Skipped++
	}
	tally.Unchanged = c.Unchanged
	if tally != c {
		var diffs []string
		for _, f := range []struct {
			name       string
			got, count int
		}{{"added", c.Added, tally.Added}, {"missing", c.Missing, tally.Missing}, {"changed", c.Changed, tally.Changed}, {"skipped", c.Skipped, tally.Skipped}} {
			if f.got != f.count {
				diffs = append(diffs, fmt.Sprintf("counts.%s is %d but %d are listed", f.name, f.got, f.count))
			}
		}
		return Errorf(EINVALID, "%s", strings.Join(diffs, "; "))
	}
	return nil
}

func (s DriftSource) validate() error {
	switch {
	case s.URL == "" && s.Path == "":
		return Errorf(EINVALID, "desired: a path or a git URL is required")
	case s.URL == "" && (s.Ref != "" || s.Commit != ""):
		return Errorf(EINVALID, "desired: ref and commit need a git URL")
	case s.URL != "" && !commitPattern.MatchString(s.Commit):
		return Errorf(EINVALID, "desired.commit: %q is not a git commit hash", s.Commit)
	}
	// The URL goes into the audit log for good.
	if holdsCredentials(s.URL) {
		return Errorf(EINVALID, "desired.url: holds credentials; send the URL without them")
	}
	return nil
}

// holdsCredentials reports whether the URL raw, which goes into the audit
// log for good, names credentials in its user information: a password,
// or over http(s) any user, which may be a token (https://TOKEN@host). It
// reads the authority itself rather than what net/url makes of the URL,
// so that a URL net/url refuses (an escape it does not take) is not let
// through unread. An scp-like git address (git@host:path) names a user
// but no password.
func holdsCredentials(raw string) bool {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return false
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return false
	}
	scheme = strings.ToLower(scheme)
	return strings.Contains(authority[:at], ":") || scheme == "http" || scheme == "https"
}

func (o *DriftObject) validate(at string, skipped bool) error {
	texts := []string{at + ".apiVersion", o.APIVersion, at + ".kind", o.Kind, at + ".namespace", o.Namespace, at + ".name", o.Name,
		at + ".file", o.File, at + ".reason", o.Reason}
	for j, f := range o.Fields {
		texts = append(texts, fmtPath(at+".fields", j)+".path", f.Path)
	}
	if err := checkLines(texts); err != nil {
		return err
	}
	switch {
	case skipped && o.Drift != DriftSkipped:
		return Errorf(EINVALID, "%s.drift: %q, want %s", at, o.Drift, DriftSkipped)
	case !skipped && !slices.Contains([]string{DriftAdded, DriftMissing, DriftChanged}, o.Drift):
		return Errorf(EINVALID, "%s.drift: %q is not one of added, missing, changed", at, o.Drift)
	case o.APIVersion == "" || o.Kind == "" || o.Name == "":
		return Errorf(EINVALID, "%s: apiVersion, kind and name are required", at)
	case o.Drift == DriftChanged && len(o.Fields) == 0:
		return Errorf(EINVALID, "%s: a changed object needs the fields that changed", at)
	case o.Drift != DriftChanged && len(o.Fields) > 0:
		return Errorf(EINVALID, "%s: only a changed object has fields", at)
	case skipped && o.Reason == "":
		return Errorf(EINVALID, "%s.reason: required for a skipped object", at)
	}
	for j, f := range o.Fields {
		fat := fmtPath(at+".fields", j)
		switch {
		case f.Path == "":
			return Errorf(EINVALID, "%s.path: required", fat)
		case len(f.Desired) > MaxDriftValue || len(f.Live) > MaxDriftValue:
			return Errorf(EINVALID, "%s: values longer than %d bytes", fat, MaxDriftValue)
		case f.Desired == nil && f.Live == nil:
			return Errorf(EINVALID, "%s: desired and live are both absent", fat)
		case strings.EqualFold(o.Kind, "Secret") && IsSecretDataPath(f.Path) && !f.Redacted:
			return Errorf(EINVALID, "%s: the values of a Secret's data must be redacted", fat)
		case !f.Redacted && IsSecretFieldPath(f.Path) && (isJSONString(f.Desired) || isJSONString(f.Live)):
			// The audit log keeps what it records for ever, and shows it
			// to every user: a password that andon drift would have
			// hidden, sent by another client, must not get there.
			return Errorf(EINVALID, "%s: %s names a secret by its name (a password, token or key): its text values must be redacted, as andon drift redacts them", fat, lastName(f.Path))
		}
		for _, v := range []struct {
			name  string
			value json.RawMessage
		}{{"desired", f.Desired}, {"live", f.Live}} {
			var text string
			if !isJSONString(v.value) || json.Unmarshal(v.value, &text) != nil {
				continue
			}
			if line, key := shownAssignment(text); line > 0 {
				return Errorf(EINVALID, "%s.%s: line %d sets %s: the value of a line that sets a secret must be redacted, as andon drift redacts it (%s = %s)", fat, v.name, line, key, key, Redacted)
			}
		}
		if f.Redacted {
			for _, v := range []json.RawMessage{f.Desired, f.Live} {
				if v != nil && string(v) != redactedJSON {
					return Errorf(EINVALID, "%s: a redacted field holds a value", fat)
				}
			}
		}
	}
	return nil
}

// checkLines checks the texts of a report, given as pairs of a field's
// name and its text, as CheckText checks a line a person typed: the
// command line and the board show them again, and a control character
// in a kind or a name could rewrite what they show.
func checkLines(texts []string) error {
	for i := 0; i+1 < len(texts); i += 2 {
		if err := CheckText(texts[i], texts[i+1], false); err != nil {
			return err
		}
	}
	return nil
}

// redactedJSON is Redacted as a JSON string.
const redactedJSON = `"` + Redacted + `"`

// RedactedValue is Redacted as the JSON value of a DriftField.
func RedactedValue() json.RawMessage { return json.RawMessage(redactedJSON) }

// secretName matches the names of fields and variables that hold
// secrets, by how they end (DB_PASSWORD, clientSecret, GITHUB_TOKEN, but
// not secretName).
var secretName = regexp.MustCompile(`(?i)(passw(or)?d|secret|token|api_?key|private_?key)$`)

// IsSecretFieldPath reports whether a field path names a field or an
// environment variable that holds a secret by its name: its last key, or
// the name of the list item it ends in (env[name=DB_PASSWORD].value is
// DB_PASSWORD). A report compares their text values but never shows them.
func IsSecretFieldPath(path string) bool {
	return secretName.MatchString(lastName(path))
}

// lastName is the name a field path ends with: its last key, or the name
// of the list item it ends in.
func lastName(p string) string {
	if i := strings.LastIndex(p, "[name="); i >= 0 && strings.HasSuffix(p, "].value") {
		return strings.TrimSuffix(p[i+len("[name="):], "].value")
	}
	if i := strings.LastIndexAny(p, ".]"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// secretAssignment matches a line of a configuration file that sets a
// secret (admin_passwd = …, db_password: …, in the odoo.conf of a
// ConfigMap): the key with its separator, then the value.
var secretAssignment = regexp.MustCompile(`(?im)^([ \t]*([\w.-]*(?:passw(?:or)?d|secret|token|api_?key)[\w.-]*)[ \t]*[=:][ \t]*)(\S.*)$`)

// RedactAssignments returns text with the value of every line that sets
// a secret replaced by Redacted, its key kept: a report shows that
// admin_passwd changed in odoo.conf, never what it is.
func RedactAssignments(text string) string {
	return secretAssignment.ReplaceAllString(text, "${1}"+Redacted)
}

// shownAssignment returns the number and key of the first line of text
// that sets a secret to a value other than Redacted, or 0. A value
// shortened in the middle of Redacted, as a long value is, is redacted.
func shownAssignment(text string) (line int, key string) {
	for _, m := range secretAssignment.FindAllStringSubmatchIndex(text, -1) {
		value := strings.TrimRight(text[m[6]:m[7]], " \t\r")
		cut, shortened := strings.CutSuffix(value, "…")
		if value == Redacted || shortened && strings.HasPrefix(Redacted, cut) {
			continue
		}
		return 1 + strings.Count(text[:m[0]], "\n"), text[m[4]:m[5]]
	}
	return 0, ""
}

// isJSONString reports whether v is a JSON string.
func isJSONString(v json.RawMessage) bool {
	t := strings.TrimLeft(string(v), " \t\r\n")
	return strings.HasPrefix(t, `"`)
}

// IsSecretDataPath reports whether a field path of a Secret names its
// data or stringData, whose values a report never shows.
func IsSecretDataPath(path string) bool {
	for _, top := range []string{"data", "stringData"} {
		if rest, ok := strings.CutPrefix(path, top); ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
			return true
		}
	}
	return false
}

func fmtPath(list string, i int) string { return list + "[" + strconv.Itoa(i) + "]" }
