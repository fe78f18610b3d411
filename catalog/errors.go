package catalog

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/andon-governance/andon"
)

// Problem is one thing wrong with a catalog, located precisely enough for
// the author to fix it without searching.
type Problem struct {
	// File is the path of the YAML file, relative to the catalog directory
	// and slash-separated.
	File string `json:"file"`
	// Line is the 1-based line in File, or 0 when the problem has no line
	// (an unreadable file, a YAML error without a position).
	Line int `json:"line"`
	// Document names the document as "Kind/name", or "document N" (1-based
	// within File) when its kind or name is unknown or invalid.
	Document string `json:"document"`
	// Field is the path of the offending field inside the document, such as
	// "spec.promotesFrom" or "spec.plants[1]"; "" for the document as a
	// whole.
	Field   string `json:"field"`
	Message string `json:"message"`
}

// String formats p as "file:line: Kind/name: field: message", leaving out
// the parts p does not have.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	for _, s := range []string{p.Document, p.Field, p.Message} {
		if s != "" {
			if b.Len() > 0 {
				b.WriteString(": ")
			}
			b.WriteString(s)
		}
	}
	return b.String()
}

// Errors lists every problem found in a catalog. Load reports them all at
// once so that an author fixes a catalog in one round rather than one
// error at a time.
type Errors []Problem

// Error implements the error interface with one line per problem.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns an *andon.Error with code EINVALID carrying the same text,
// so that andon.ErrorCode and andon.ErrorMessage treat a bad catalog as bad
// input.
func (e Errors) Unwrap() error {
	return andon.Errorf(andon.EINVALID, "%s", e.Error())
}

// sorted returns the problems ordered by file and line. The sort is stable
// so that problems on one line keep the order they were found in.
func (e Errors) sorted() Errors {
	slices.SortStableFunc(e, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	return e
}
