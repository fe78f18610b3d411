-- The type and the actor of each audit entry, indexed in the order of the
-- log, so that listing and exporting the entries of one type or of one
-- actor (audit entries --type change.approved, --actor bob) reads those
-- entries rather than the whole log: in a log of a year, mostly gate
-- decisions, a type that is rare was otherwise a scan of millions of
-- records. The columns are stored already; building the indexes takes
-- seconds per million entries at the first start of this version, under
-- the table's lock, as 0009 did.
CREATE INDEX audit_entries_type ON audit_entries (type, idx);
CREATE INDEX audit_entries_actor ON audit_entries (actor, idx);
