package server

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/andon-governance/andon"
)

// catalogKind is one kind of catalog document as the API lists it.
type catalogKind struct {
	singular string
	items    func(*andon.Catalog) []any
	name     func(any) string
}

// kindOf describes a kind of document by the list of the catalog that
// holds it and the name of each item.
func kindOf[T any](singular string, list func(*andon.Catalog) []*T, name func(*T) string) catalogKind {
	return catalogKind{
		singular: singular,
		items: func(c *andon.Catalog) []any {
			items := make([]any, 0, len(list(c)))
			for _, it := range list(c) {
				items = append(items, it)
			}
			return items
		},
		name: func(it any) string { return name(it.(*T)) },
	}
}

// catalogKinds maps the {kind} of the catalog routes to the documents.
var catalogKinds = map[string]catalogKind{
	"plants": kindOf("plant",
		func(c *andon.Catalog) []*andon.Plant { return c.Plants },
		func(p *andon.Plant) string { return p.Name }),
	"processes": kindOf("process",
		func(c *andon.Catalog) []*andon.BusinessProcess { return c.Processes },
		func(p *andon.BusinessProcess) string { return p.Name }),
	"environments": kindOf("environment",
		func(c *andon.Catalog) []*andon.Environment { return c.Environments },
		func(e *andon.Environment) string { return e.Name }),
	"windows": kindOf("window",
		func(c *andon.Catalog) []*andon.Window { return c.Windows },
		func(w *andon.Window) string { return w.Name }),
	"teams": kindOf("team",
		func(c *andon.Catalog) []*andon.Team { return c.Teams },
		func(t *andon.Team) string { return t.Name }),
}

// errNoCatalog is returned when the server has no catalog; andon serve
// does not start without one, so a client seeing it hit a bug.
var errNoCatalog = errors.New("no catalog is loaded")

// currentCatalog returns the catalog in force.
func currentCatalog(src andon.CatalogSource) (*andon.Catalog, error) {
	c := src.Catalog()
	if c == nil {
		return nil, errNoCatalog
	}
	return c, nil
}

// kindFromPath returns the kind named by the {kind} path value.
func kindFromPath(r *http.Request) (catalogKind, error) {
	name := r.PathValue("kind")
	kind, ok := catalogKinds[name]
	if !ok {
		known := slices.Sorted(maps.Keys(catalogKinds))
		return catalogKind{}, andon.Errorf(andon.ENOTFOUND, "catalog kind %q not found: want %s", name, strings.Join(known, ", "))
	}
	return kind, nil
}

// handleCatalog answers the whole catalog in force.
func handleCatalog(src andon.CatalogSource) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		c, err := currentCatalog(src)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, c)
	}
}

// handleCatalogKind answers every document of one kind.
func handleCatalogKind(src andon.CatalogSource) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		kind, err := kindFromPath(r)
		if err != nil {
			return err
		}
		c, err := currentCatalog(src)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, struct {
			Items []any `json:"items"`
		}{kind.items(c)})
	}
}

// handleCatalogItem answers one document by kind and name.
func handleCatalogItem(src andon.CatalogSource) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		kind, err := kindFromPath(r)
		if err != nil {
			return err
		}
		c, err := currentCatalog(src)
		if err != nil {
			return err
		}
		name := r.PathValue("name")
		for _, it := range kind.items(c) {
			if kind.name(it) == name {
				return encode(w, http.StatusOK, it)
			}
		}
		return andon.Errorf(andon.ENOTFOUND, "%s %q not found in the catalog", kind.singular, name)
	}
}
