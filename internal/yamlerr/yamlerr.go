// Package yamlerr reads where a YAML syntax error of gopkg.in/yaml.v3 is,
// and what it is, out of its message.
package yamlerr

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parserProblems are the messages of yaml.v3's parser, as opposed to its
// scanner: the parser counts lines from 0 where the scanner counts them
// from 1, and both print them as they count.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected key",
	"did not find expected '-' indicator",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
	"found undefined tag handle",
}

// Parse splits the message of a yaml.v3 syntax error in src, such as
// "yaml: line 3: mapping values are not allowed in this context", into the
// line of src it points at (from 1; 0 when it names none) and the problem.
// For a parser error the line is where the construct the parser was
// reading began, or where it stopped: the line of a flow mapping left
// open, of an entry that breaks its block. A parser that stopped at the
// end of src points at its last line.
func Parse(err error, src []byte) (line int, problem string) {
	problem = strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(problem, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, problem = n, after
			}
		}
	}
	for _, p := range parserProblems {
		if problem == p {
			// yaml.v3 prints no line for line 0 of its parser.
			line++
			break
		}
	}
	// The reader's problems with the bytes themselves name no line: the
	// first byte at fault does.
	switch problem {
	case "invalid leading UTF-8 octet", "invalid trailing UTF-8 octet", "incomplete UTF-8 octet sequence",
		"invalid length of a UTF-8 sequence", "invalid Unicode character":
		if i := invalidUTF8(src); i >= 0 {
			return lineOf(src, i), fmt.Sprintf("not valid UTF-8 (byte 0x%02X): save the file as UTF-8", src[i])
		}
	case "control characters are not allowed":
		if i := bytes.IndexFunc(src, func(r rune) bool { return !yamlAllows(r) }); i >= 0 {
			r, _ := utf8.DecodeRune(src[i:])
			return lineOf(src, i), fmt.Sprintf("holds the character %U, which YAML does not allow", r)
		}
	case "found character that cannot start any token":
		if line > 0 && strings.HasPrefix(strings.TrimLeft(lineText(src, line), " "), "\t") {
			problem = "a tab indents this line: YAML is indented with spaces"
		}
	}
	lines := bytes.Count(src, []byte("\n"))
	if len(src) > 0 && src[len(src)-1] != '\n' {
		lines++
	}
	return min(line, lines), problem
}

// yamlAllows reports whether YAML 1.2 allows r in a stream (its
// c-printable), as yaml.v3's reader checks.
func yamlAllows(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r', r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7e, r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

// invalidUTF8 returns the offset of the first byte of src that is not
// valid UTF-8, or -1.
func invalidUTF8(src []byte) int {
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// lineOf returns the line, from 1, of the byte at offset i of src.
func lineOf(src []byte, i int) int { return bytes.Count(src[:i], []byte("\n")) + 1 }

// lineText returns line n of src, from 1, without its line break.
func lineText(src []byte, n int) string {
	lines := strings.Split(string(src), "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return lines[n-1]
}
