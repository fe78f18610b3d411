package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/andon-governance/andon"
)

// Output formats of -o. "table" and "text" are both the human view: a
// table for lists and a readable listing of fields for one object; both
// names are accepted because users reach for either.
const (
	outputTable = "table"
	outputText  = "text"
	outputJSON  = "json"
	outputYAML  = "yaml"
)

var outputFormats = []string{outputTable, outputText, outputJSON, outputYAML}

// addClientFlags adds the flags every client command shares. They are
// persistent on the root so they may be given anywhere on the line, as
// with kubectl.
func addClientFlags(root *cobra.Command) {
	pf := root.PersistentFlags()
	pf.String("server", "", "URL of the andon server (default $ANDON_SERVER, else "+defaultServer+")")
	pf.String("token", "", "API token (default $ANDON_TOKEN)")
	pf.StringP("output", "o", "", "output format: table, text, json or yaml (default table for lists, text for one object)")
	root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp))
}

// checkOutput returns the -o value, checked, so that commands refuse a
// bad format before they change anything on the server.
func checkOutput(cmd *cobra.Command) (string, error) {
	f, _ := cmd.Flags().GetString("output")
	if f != "" && !slices.Contains(outputFormats, f) {
		return "", andon.Errorf(andon.EINVALID, "--output %q: want one of %s", f, strings.Join(outputFormats, ", "))
	}
	return f, nil
}

// refuseOutput refuses -o for a command that prints no result, only its
// log: asked for JSON, it would print text and never the JSON expected.
func refuseOutput(cmd *cobra.Command, _ []string) error {
	if cmd.Flags().Changed("output") {
		return &usageError{cmd: cmd, err: fmt.Errorf("--output: %s prints its log, not a result; see --log-format", cmd.CommandPath())}
	}
	return nil
}

// print writes v as JSON or YAML when asked to, and otherwise calls human
// with a table that aligns tab-separated cells.
func (e *env) print(cmd *cobra.Command, v any, human func(w io.Writer)) error {
	f, err := checkOutput(cmd)
	if err != nil {
		return err
	}
	switch f {
	case outputJSON:
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		// URLs (calendar feeds) keep their & as typed, not \u0026.
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	case outputYAML:
		data, err := toYAML(v)
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(data)
		return err
	}
	tw := newTable(e.stdout)
	human(noControls{tw})
	return tw.Flush()
}

// noControls passes text on to w with its control characters, but for
// tabs and line breaks, and the controls that reorder text, replaced by
// U+FFFD: a title or a comment stored
// with terminal escapes (before the server refused them) cannot rewrite
// what the reader of a terminal sees. A browser's CRLF line breaks are
// line breaks.
type noControls struct{ w io.Writer }

func (n noControls) Write(p []byte) (int, error) {
	if !bytes.ContainsFunc(p, printedControl) {
		return n.w.Write(p)
	}
	q := bytes.ReplaceAll(p, []byte("\r\n"), []byte("\n"))
	if _, err := n.w.Write(bytes.Map(func(r rune) rune {
		if printedControl(r) {
			return utf8.RuneError
		}
		return r
	}, q)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// printedControl reports whether r is one that text must not take to a
// terminal: a control character (tabs and line breaks kept), or one that
// reorders text, which the server refuses alike.
func printedControl(r rune) bool {
	return r != '\t' && r != '\n' && (andon.IsControl(r) || andon.IsBidiControl(r))
}

// human reports whether the output is for people, so that commands print
// notes such as "no changes" only where they cannot break a parser.
func human(cmd *cobra.Command) bool {
	f, _ := cmd.Flags().GetString("output")
	return f != outputJSON && f != outputYAML
}

// toYAML converts v to YAML through its JSON encoding, so that field names
// are the json tags the API documents and YAML output is JSON output in
// another syntax. JSON is YAML, so decoding it into a yaml.Node keeps the
// order of fields; only the flow style of JSON is dropped.
func toYAML(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, andon.Errorf(andon.EINTERNAL, "cannot encode output: %v", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, andon.Errorf(andon.EINTERNAL, "cannot convert output to YAML: %v", err)
	}
	blockStyle(&doc)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2) // as kubectl and most hand-written YAML indent
	if err := enc.Encode(&doc); err != nil {
		return nil, andon.Errorf(andon.EINTERNAL, "cannot encode output as YAML: %v", err)
	}
	if err := enc.Close(); err != nil {
		return nil, andon.Errorf(andon.EINTERNAL, "cannot encode output as YAML: %v", err)
	}
	return buf.Bytes(), nil
}

// blockStyle clears the styles the JSON syntax left on n and its children.
// The encoder still quotes strings that would otherwise read as another
// type in YAML 1.2, such as "true" or "17.0"; blockStyle quotes those that
// a YAML 1.1 reader (PyYAML, Ansible, Ruby's Psych) would take for
// another type, such as a comment "yes", a module "no", a rollback plan
// "1:30" or a window's wall time 2026-01-30T00:00:00, so that every reader
// gets the strings the JSON holds.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && yaml11Implicit.MatchString(n.Value) {
		n.Style = yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// yaml11Implicit matches the plain scalars that YAML 1.1 resolves to a
// type other than string: its booleans, null, merge and value keys,
// integers (sexagesimal ones too), floats and timestamps, as the YAML 1.1
// type repository writes them.
var yaml11Implicit = regexp.MustCompile(`^(?:` + strings.Join([]string{
	`y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF`,
	`~|null|Null|NULL|<<|=`,
	`[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+`,
	`[-+]?(?:[0-9][0-9_]*)?\.[0-9.]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)`,
	`[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?`,
}, "|") + `)$`)

// Time layouts of the human views.
const (
	layoutLocal = "Mon 2006-01-02 15:04 MST"
	layoutUTC   = "2006-01-02 15:04Z07:00"
)

// fmtTime formats an instant in UTC for people; the zero time, which
// means "not set", is a dash.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(layoutUTC)
}

// strs returns values, names of a string type such as andon.Stage, as
// strings.
func strs[T ~string](values []T) []string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	return s
}

// orDash returns s, or a dash for an empty cell so that table columns stay
// aligned for readers and for awk.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cell makes s fit one table cell: tabs and newlines would break the
// alignment of every row after it.
func cell(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncate shortens s to at most n columns of a terminal, marking the
// cut: a title in Japanese, two columns a character, is cut at the same
// width as one in English, and a letter keeps its combining accents.
func truncate(s string, n int) string {
	if displayWidth(s) <= n {
		return s
	}
	used := 0
	for i, r := range s {
		w := runeWidth(r)
		if w > 0 && used+w > n-1 {
			return s[:i] + "…"
		}
		used += w
	}
	return s
}

// kv writes one "key:<tab>value" line of a field listing, and the further
// lines of a multi-line value under the first.
func kv(w io.Writer, key string, value string) {
	lines := strings.Split(strings.TrimRight(value, "\n"), "\n")
	fmt.Fprintf(w, "%s:\t%s\n", key, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(w, "\t%s\n", l)
	}
}

// kvList writes a field whose value is a list, one item a line, or "-".
func kvList(w io.Writer, key string, items []string) {
	if len(items) == 0 {
		kv(w, key, "-")
		return
	}
	kv(w, key, strings.Join(items, "\n"))
}

// dayDuration is the value of a duration flag that also takes whole days
// (7d), as the catalog's durations do (andon.ParseDuration). A negative
// value is read, for the command to refuse with its own message.
type dayDuration time.Duration

func (d *dayDuration) Set(s string) error {
	v, err := andon.ParseDuration(strings.TrimPrefix(s, "-"))
	if err != nil {
		return err
	}
	if strings.HasPrefix(s, "-") {
		v = -v
	}
	*d = dayDuration(v)
	return nil
}

// String is empty for no duration, so that a flag without a default shows
// none in its help.
func (d *dayDuration) String() string {
	if *d == 0 {
		return ""
	}
	return andon.ShortDuration(time.Duration(*d))
}

func (d *dayDuration) Type() string { return "duration" }

// refuseZeroLimit refuses --limit 0 of a listing, which the client would
// otherwise send as no limit at all: the server's default.
func refuseZeroLimit(cmd *cobra.Command, _ []string) error {
	if n, _ := cmd.Flags().GetInt("limit"); n == 0 && cmd.Flags().Changed("limit") {
		return andon.Errorf(andon.EINVALID, "--limit 0: give at least 1, or leave --limit out for the server's default")
	}
	return nil
}
