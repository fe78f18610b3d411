package sqlstore

import (
	"context"

	"github.com/andon-governance/andon"
)

// DriftService implements andon.DriftService. A drift report is kept in
// the audit log only: the drift.checked entry is the record of the check.
type DriftService struct {
	db      *DB
	catalog andon.CatalogSource
}

// NewDriftService returns a DriftService that checks reports against the
// catalog in force.
func NewDriftService(db *DB, catalog andon.CatalogSource) *DriftService {
	return &DriftService{db: db, catalog: catalog}
}

var _ andon.DriftService = (*DriftService)(nil)

// RecordDrift appends a drift report to the audit log as drift.checked,
// by the user of ctx, once it has checked that the report is well formed
// and names an environment of the catalog with the namespace and cluster
// the catalog gives it.
func (s *DriftService) RecordDrift(ctx context.Context, r *andon.DriftReport) (*andon.DriftRecord, error) {
	user, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	env := s.catalog.Catalog().Environment(r.Environment)
	switch {
	case env == nil:
		return nil, andon.Errorf(andon.EINVALID, "environment: %s", s.catalog.Catalog().UnknownEnvironment(r.Environment))
	case env.Kubernetes.Namespace == "":
		return nil, andon.Errorf(andon.EINVALID, "environment %s has no kubernetes.namespace in the catalog: there is nothing to compare", env.Name)
	case r.Namespace != env.Kubernetes.Namespace:
		return nil, andon.Errorf(andon.EINVALID, "namespace: %q is not the namespace of environment %s in the catalog, %q", r.Namespace, env.Name, env.Kubernetes.Namespace)
	case r.Cluster != env.Kubernetes.Cluster:
		return nil, andon.Errorf(andon.EINVALID, "cluster: %q is not the cluster of environment %s in the catalog, %q", r.Cluster, env.Name, env.Kubernetes.Cluster)
	}
	// The record lists the objects as [] rather than null when none
	// drifted, as the API does.
	data := *r
	data.Objects = nonNil(data.Objects)
	rec := &andon.DriftRecord{}
	idx, err := s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		rec.Time = tx.now
		tx.Record(andon.Event{Type: andon.EventDriftChecked, Actor: user, Subject: env.Name, Data: &data})
		return nil
	})
	if err != nil {
		return nil, err
	}
	rec.AuditIndex = idx[0]
	return rec, nil
}
