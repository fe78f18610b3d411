// Package yamlerr reads where a YAML syntax error of gopkg.in/yaml.v3 is,
// and what it is, out of its message.
package yamlerr

import (
	"bytes"
	"strconv"
	"strings"
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
	lines := bytes.Count(src, []byte("\n"))
	if len(src) > 0 && src[len(src)-1] != '\n' {
		lines++
	}
	return min(line, lines), problem
}
