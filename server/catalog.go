package server

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/andon-governance/andon"
)

// catalogKind is one kind of catalog document as the API lists it: the
// list that holds it and the root package's finder by name.
type catalogKind struct {
	singular string
	list     func(*andon.Catalog) any
	get      func(*andon.Catalog, string) (any, bool)
}

// kindOf describes a kind of document by its list and its finder; the
// bool keeps a nil *T from passing for a found item inside an interface.
func kindOf[T any](singular string, list func(*andon.Catalog) []*T, find func(*andon.Catalog, string) *T) catalogKind {
	return catalogKind{
		singular: singular,
		list: func(c *andon.Catalog) any {
			if items := list(c); items != nil {
				return items
			}
			return []*T{} // an empty list, not null
		},
		get: func(c *andon.Catalog, name string) (any, bool) {
			it := find(c, name)
			return it, it != nil
		},
	}
}

// catalogKinds maps the {kind} of the catalog routes to the documents.
var catalogKinds = map[string]catalogKind{
	"plants":       kindOf("plant", func(c *andon.Catalog) []*andon.Plant { return c.Plants }, (*andon.Catalog).Plant),
	"processes":    kindOf("process", func(c *andon.Catalog) []*andon.BusinessProcess { return c.Processes }, (*andon.Catalog).Process),
	"environments": kindOf("environment", func(c *andon.Catalog) []*andon.Environment { return c.Environments }, (*andon.Catalog).Environment),
	"windows":      kindOf("window", func(c *andon.Catalog) []*andon.Window { return c.Windows }, (*andon.Catalog).Window),
	"teams":        kindOf("team", func(c *andon.Catalog) []*andon.Team { return c.Teams }, (*andon.Catalog).Team),
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

// catalogRequest checks a request of the {kind} routes and returns the
// kind and the catalog in force.
func catalogRequest(r *http.Request, src andon.CatalogSource) (catalogKind, *andon.Catalog, error) {
	if _, err := parseQuery(r); err != nil {
		return catalogKind{}, nil, err
	}
	kind, err := kindFromPath(r)
	if err != nil {
		return catalogKind{}, nil, err
	}
	c, err := currentCatalog(src)
	return kind, c, err
}

// handleCatalogKind answers every document of one kind.
func handleCatalogKind(src andon.CatalogSource) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		kind, c, err := catalogRequest(r, src)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, struct {
			Items any `json:"items"`
		}{kind.list(c)})
	}
}

// handleCatalogItem answers one document by kind and name.
func handleCatalogItem(src andon.CatalogSource) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		kind, c, err := catalogRequest(r, src)
		if err != nil {
			return err
		}
		name := r.PathValue("name")
		if it, ok := kind.get(c, name); ok {
			return encode(w, http.StatusOK, it)
		}
		if kind.singular == "environment" {
			return andon.Errorf(andon.ENOTFOUND, "environment %s", c.UnknownEnvironment(name))
		}
		return andon.Errorf(andon.ENOTFOUND, "%s %q not found in the catalog", kind.singular, name)
	}
}
