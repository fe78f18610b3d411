package main

import (
	"encoding/json"
	"strings"
	"testing"
	"text/tabwriter"
)

// mustTable returns text as a table aligns it.
func mustTable(t *testing.T, text string) string {
	t.Helper()
	var b strings.Builder
	tw := newTable(&b)
	if _, err := tw.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestTableAsTabwriter: for text of one column a character, a table lays
// out what text/tabwriter, which the human views used, does: the same
// columns, the runs of lines they span, and the text after a line's last
// tab left alone.
func TestTableAsTabwriter(t *testing.T) {
	for _, text := range []string{
		"ID\tSTATE\tTITLE\nCHG-10\tpending\tUpgrade\nCHG-9\tapproved\tA longer title\n",
		// Two tables, one under the other, sized apart.
		"PLANT\tTIME ZONE\tCRITICALITY\nlyon\tEurope/Paris\tcritical\n\nPROCESS\tTIER\nproduction-long-name\tcritical\n",
		// A field listing with a value of several lines, and its last
		// cell's tab.
		"id:\tCHG-1\ndescription:\tfirst line\n\tsecond line\nrollback plan:\t-\nend\t\n",
		// Lines with more cells than the others, empty cells, and text
		// that does not end with a line break.
		"a\tb\tc\td\naaaa\t\tcc\nx\ty\n\t\t\tz\nno tab\nlast\tline",
		"",
	} {
		var want strings.Builder
		tw := tabwriter.NewWriter(&want, 0, 4, 2, ' ', 0)
		tw.Write([]byte(text))
		tw.Flush()
		if got := mustTable(t, text); got != want.String() {
			t.Errorf("table of %q:\n%s\nwant, as tabwriter:\n%s", text, got, want.String())
		}
	}
}

// TestTableAlignsByDisplayWidth: a cell in Japanese or Chinese, two
// columns a character, or with combining accents, none for an accent,
// pads the cells after it to the columns a terminal shows.
func TestTableAlignsByDisplayWidth(t *testing.T) {
	text := "TITLE\tSTATE\tID\n" +
		"在庫移動の修正\tpending\tCHG-1\n" +
		"Cafe\u0301 re\u0301sume\u0301\tapproved\tCHG-2\n" +
		"修复库存\tdone\tCHG-3\n" +
		"plain title\tcancelled\tCHG-4\n"
	want := "TITLE           STATE      ID\n" +
		"在庫移動の修正  pending    CHG-1\n" +
		"Cafe\u0301 re\u0301sume\u0301     approved   CHG-2\n" +
		"修复库存        done       CHG-3\n" +
		"plain title     cancelled  CHG-4\n"
	if got := mustTable(t, text); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestChangeListAlignsWideNames: in andon change list, a requester named
// in Japanese, or with a combining accent, leaves the columns after it
// where a terminal shows them on every other line.
func TestChangeListAlignsWideNames(t *testing.T) {
	changes := mustDecodeFile[map[string]any](t, "changes.json")
	list := changes["changes"].([]any)
	list[0].(map[string]any)["requester"] = "田中太郎"
	list[1].(map[string]any)["requester"] = "Jose\u0301"
	body, err := json.Marshal(changes)
	if err != nil {
		t.Fatal(err)
	}
	api := newAPI(t, map[string]route{"GET /api/v1/changes": {status: 200, body: string(body)}})
	got := runAPI(t, api, "change", "list")
	if got.code != 0 {
		t.Fatalf("exit %d\n%s", got.code, got.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header and two changes:\n%s", got.stdout)
	}
	// Where CREATED begins, the column after REQUESTER, in columns of
	// the terminal.
	created := func(line string) int {
		i := strings.Index(line, " 2026-")
		if strings.HasPrefix(line, "ID ") {
			i = strings.Index(line, " CREATED")
		}
		if i < 0 {
			t.Fatalf("no CREATED column in %q", line)
		}
		return displayWidth(line[:i])
	}
	for _, l := range lines[1:] {
		if got, want := created(l), created(lines[0]); got != want {
			t.Errorf("CREATED at column %d, under the header's %d:\n%s", got, want, strings.Join(lines, "\n"))
		}
	}
}

// TestTruncate cuts text at a width of the terminal, a character of
// Japanese counting two and an accent written apart none, which stays on
// its letter.
func TestTruncate(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"Upgrade MRP", 20, "Upgrade MRP"},
		{"Upgrade MRP work orders", 10, "Upgrade M…"},
		{"在庫移動の修正", 14, "在庫移動の修正"},
		{"在庫移動の修正", 10, "在庫移動…"},
		{"在庫移動の修正", 9, "在庫移動…"},
		{"Cafe\u0301 re\u0301sume\u0301 naive", 8, "Cafe\u0301 re\u0301…"},
	} {
		got := truncate(tt.s, tt.n)
		if got != tt.want || displayWidth(got) > tt.n {
			t.Errorf("truncate(%q, %d) = %q (%d columns), want %q", tt.s, tt.n, got, displayWidth(got), tt.want)
		}
	}
}
