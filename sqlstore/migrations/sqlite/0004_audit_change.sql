-- The change an audit entry concerns when its subject is something else:
-- a gate decision's subject is the environment and its data names the
-- change. Listing a change's entries looks up both columns, each through
-- an index of its own. The column is virtual, so adding it rewrites
-- nothing; only the index is built from the records.
ALTER TABLE audit_entries ADD COLUMN change_id TEXT
	GENERATED ALWAYS AS (json_extract(record, '$.data.change')) VIRTUAL;
CREATE INDEX audit_entries_change ON audit_entries (change_id, idx) WHERE change_id IS NOT NULL;
