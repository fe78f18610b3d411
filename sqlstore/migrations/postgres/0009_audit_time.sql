-- The time of each audit entry, indexed, so that a period (audit entries
-- and export --since/--until) is read through it. Times need not increase
-- with the index (a replica's clock set back, a history seeded back-dated),
-- so a period is every entry whose time lies in it, and without this index
-- that is a scan of the whole log. The expression is the one the queries
-- use (dialect.recordTime); the table is not rewritten, only the index is
-- built from the records.
CREATE INDEX audit_entries_time ON audit_entries ((record::json ->> 'time'));
