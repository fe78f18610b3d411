// Package andon holds the domain of andon, a change-governance control
// plane for Odoo on Kubernetes: the catalog of plants, processes,
// environments, windows and teams; changes and their lifecycle; the rules
// of segregation of duties; and the service interfaces that the store, the
// policy engine and the HTTP server implement or consume.
//
// The package imports only the standard library. Rules that need no I/O
// live here as pure functions; everything that talks to the outside world
// lives in a subpackage named after what it talks to.
package andon

import (
	"context"
	"sync/atomic"
	"time"
)

// Version is the version of andon, set at build time.
var Version = "dev"

// CatalogSource hands out the catalog in force. A reload swaps it
// atomically; callers keep the *Catalog they got for the whole request.
type CatalogSource interface {
	Catalog() *Catalog
}

// TokenService issues and resolves API tokens.
type TokenService interface {
	// CreateToken issues a new token for user and returns it in clear; only
	// its hash is kept.
	CreateToken(ctx context.Context, user string) (string, error)
	// Authenticate returns the user name a token was issued to.
	Authenticate(ctx context.Context, token string) (string, error)
}

// Clock returns the current time. Services take one so tests can fix it.
type Clock func() time.Time

// CatalogHolder holds the catalog in force; Swap replaces it atomically.
// It implements CatalogSource.
type CatalogHolder struct {
	p atomic.Pointer[Catalog]
}

// NewCatalogHolder returns a holder of cat.
func NewCatalogHolder(cat *Catalog) *CatalogHolder {
	h := &CatalogHolder{}
	h.p.Store(cat)
	return h
}

// Catalog returns the catalog in force.
func (h *CatalogHolder) Catalog() *Catalog { return h.p.Load() }

// Swap puts cat in force.
func (h *CatalogHolder) Swap(cat *Catalog) { h.p.Store(cat) }
