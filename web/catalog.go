package web

import (
	"net/http"

	"github.com/andon-governance/andon"
)

// catalogView is the data of the catalog page.
type catalogView struct {
	Catalog *andon.Catalog
}

// catalogPage shows the catalog in force: plants, environments with their
// processes and recovery objectives, processes, windows and teams.
func (h *Handler) catalogPage(w http.ResponseWriter, r *http.Request) error {
	cat, err := h.catalog()
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "catalog", &catalogView{Catalog: cat})
}
