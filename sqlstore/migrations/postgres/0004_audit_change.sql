-- The change an audit entry concerns when its subject is something else:
-- a gate decision's subject is the environment and its data names the
-- change. Listing a change's entries looks up both columns, each through
-- an index of its own. PostgreSQL's generated columns are stored (virtual
-- ones came in version 18), so adding it rewrites the table once, under
-- its lock, as the search columns of 0001 would. Only the entries that name a change are indexed.
ALTER TABLE audit_entries ADD COLUMN change_id TEXT
	GENERATED ALWAYS AS (record::jsonb -> 'data' ->> 'change') STORED;
CREATE INDEX audit_entries_change ON audit_entries (change_id, idx) WHERE change_id IS NOT NULL;
