package main

import (
	"bytes"
	"io"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// tablePadding is the number of spaces between two columns.
const tablePadding = 2

// table aligns the tab-separated cells of the text written to it in
// columns, as text/tabwriter does with no minimum width and two spaces
// of padding, but by the width text takes on a terminal: tabwriter counts
// runes, so a name in Japanese, two columns a character, or one written
// with combining accents, none for an accent, pushed every column after
// it out of line. The text of a line after its last tab is not part of a
// column, and a column runs over the consecutive lines that have a cell
// in it, as with tabwriter: a line without tabs, such as a blank one
// between two tables, ends every column.
type table struct {
	w   io.Writer
	buf bytes.Buffer
}

func newTable(w io.Writer) *table { return &table{w: w} }

// Write keeps p until Flush, which needs every line to size the columns.
func (t *table) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush writes the text written since the last Flush, aligned.
func (t *table) Flush() error {
	lines := strings.SplitAfter(t.buf.String(), "\n")
	t.buf.Reset()
	rows := make([][]string, len(lines))
	widths := make([][]int, len(lines))
	for i, l := range lines {
		rows[i] = strings.Split(l, "\t")
		widths[i] = make([]int, len(rows[i])-1)
	}
	columnWidths(rows, widths, 0, 0, len(rows))
	var out strings.Builder
	for i, cells := range rows {
		for j, c := range widths[i] {
			out.WriteString(cells[j])
			out.WriteString(strings.Repeat(" ", c-displayWidth(cells[j])))
		}
		out.WriteString(cells[len(cells)-1])
	}
	_, err := io.WriteString(t.w, out.String())
	return err
}

// columnWidths sets widths[i][col] for the lines rows[lo:hi] that have a
// cell in column col: the widest cell of its run of consecutive lines
// that have one, and the padding. It goes on with the next column within
// each run.
func columnWidths(rows [][]string, widths [][]int, col, lo, hi int) {
	for i := lo; i < hi; {
		if len(widths[i]) <= col {
			i++
			continue
		}
		end, w := i, 0
		for ; end < hi && len(widths[end]) > col; end++ {
			w = max(w, displayWidth(rows[end][col])+tablePadding)
		}
		for k := i; k < end; k++ {
			widths[k][col] = w
		}
		columnWidths(rows, widths, col+1, i, end)
		i = end
	}
}

// displayWidth returns the number of columns s takes on a terminal.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// runeWidth returns the number of columns r takes on a terminal, as
// wcwidth(3) counts them: two for the wide and fullwidth characters of
// East Asian scripts (and emoji), none for combining marks, format
// characters such as the zero-width joiners and the vowels and final
// consonants of Hangul syllables written as jamo, which join the
// character before them, and one for the rest. Ambiguous characters are
// narrow, as terminals show them outside East Asian locales.
func runeWidth(r rune) int {
	switch {
	case r == '\u00ad': // the soft hyphen shows where a line breaks
		return 1
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf), r >= '\u1160' && r <= '\u11ff':
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}
