-- Catalog versions published to every replica: the files (a zip archive)
-- and where they came from. catalog_current names the version in force.
CREATE TABLE catalog_versions (
	revision     TEXT PRIMARY KEY,
	commit_hash  TEXT NOT NULL,
	source       TEXT NOT NULL,
	archive      BYTEA NOT NULL,
	published_at BIGINT NOT NULL
);
CREATE TABLE catalog_current (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	revision TEXT NOT NULL REFERENCES catalog_versions (revision)
);

-- Set once the audit log records that an emergency change's review is
-- overdue, so that the scan records it once.
ALTER TABLE changes ADD COLUMN overdue_recorded INTEGER NOT NULL DEFAULT 0;
