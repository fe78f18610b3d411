-- The type and the time of each audit entry, indexed together, so that a
-- report reads the entries of a few types in a period (the moves of
-- changes and the incidents resolved, sqlstore/report.go) rather than
-- every entry of the period, mostly gate decisions, through
-- audit_entries_time, or every entry of the type ever, through
-- audit_entries_type. The time is the expression the queries use
-- (dialect.recordTime); only the index is built from the records, which
-- takes seconds per million entries at the first start of this version.
CREATE INDEX audit_entries_type_time ON audit_entries (type, json_extract(record, '$.time'));
