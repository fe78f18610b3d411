// Package examples holds the catalog of Andon Precision Components, the
// fictional manufacturer that andon's demo, documentation and tests use:
// two plants (Lyon, France and Geelong, Australia) running Odoo 17 on
// Kubernetes, with their business processes, environments, production
// calendars and teams. examples/README.md tells its story.
package examples

import "embed"

// Catalog holds the example catalog under the directory "catalog", in the
// layout an operator would keep in git; load it with
// catalog.LoadFS(examples.Catalog, "catalog").
//
//go:embed catalog
var Catalog embed.FS
