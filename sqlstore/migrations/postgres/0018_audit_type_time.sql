-- The times of the audit entries of two types, an index for each, so
-- that a report reads the entries of those types in a period (the moves
-- of changes and the incidents resolved, sqlstore/report.go) rather than
-- every entry of the period, mostly gate decisions, through
-- audit_entries_time, or every entry of the type ever, through
-- audit_entries_type. Each index holds the entries of its type alone, so
-- that a gate decision, the write made most often, adds nothing to either;
-- the statements name the type as a constant, so that the engines know
-- that the index applies. The type leads each key all the same: SQLite,
-- which keeps no statistics, would otherwise prefer audit_entries_type's
-- equality to a range of times. The time is the expression the queries use
-- (dialect.recordTime); the table is not rewritten, only the indexes are
-- built from the records, which takes seconds per million entries at the
-- first start of this version, under the table's lock, as 0009 did.
CREATE INDEX audit_entries_transitioned_time ON audit_entries (type, (record::json ->> 'time'))
	WHERE type = 'change.transitioned';
CREATE INDEX audit_entries_resolved_time ON audit_entries (type, (record::json ->> 'time'))
	WHERE type = 'incident.resolved';
