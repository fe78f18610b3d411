package catalog

import (
	"cmp"
	"slices"
	"strings"

	"github.com/andon-governance/andon"
)

// Problem is one thing wrong with a catalog, or skipped of it (see
// andon.Catalog.Warnings).
type Problem = andon.CatalogProblem

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
