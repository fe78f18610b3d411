-- The governed changes. body holds the whole andon.Change as JSON; the
-- other columns are copies of its fields for filtering and locking.
CREATE TABLE changes (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	environment TEXT NOT NULL,
	type        TEXT NOT NULL,
	state       TEXT NOT NULL,
	tier        TEXT NOT NULL,
	requester   TEXT NOT NULL,
	title       TEXT NOT NULL,
	description TEXT NOT NULL,
	review_due  INTEGER,          -- unix microseconds; emergency changes only
	reviewed    INTEGER NOT NULL DEFAULT 0,
	version     INTEGER NOT NULL, -- optimistic lock: every update bumps it
	created_at  INTEGER NOT NULL, -- unix microseconds
	updated_at  INTEGER NOT NULL,
	body        TEXT NOT NULL
);
CREATE INDEX changes_env_state ON changes (environment, state);
CREATE INDEX changes_state ON changes (state);
CREATE INDEX changes_review_due ON changes (review_due) WHERE review_due IS NOT NULL AND reviewed = 0;

-- Artifacts of each change, by repository and digest, for the gate.
CREATE TABLE change_artifacts (
	change_seq INTEGER NOT NULL REFERENCES changes (seq),
	repository TEXT NOT NULL,
	digest     TEXT NOT NULL,
	PRIMARY KEY (change_seq, repository, digest)
);
CREATE INDEX change_artifacts_digest ON change_artifacts (digest, repository);

-- API tokens, stored as SHA-256 hashes.
CREATE TABLE tokens (
	hash       TEXT PRIMARY KEY,
	username   TEXT NOT NULL,
	created_at INTEGER NOT NULL
);

-- The audit log: canonical JSON records and the RFC 6962 tree hashes
-- (golang.org/x/mod/sumdb/tlog storage indexes). The columns used for
-- searching are generated from the record, so they cannot disagree with
-- what the tree covers.
CREATE TABLE audit_entries (
	idx     INTEGER PRIMARY KEY,
	record  TEXT NOT NULL,
	type    TEXT GENERATED ALWAYS AS (json_extract(record, '$.type')) VIRTUAL,
	actor   TEXT GENERATED ALWAYS AS (json_extract(record, '$.actor')) VIRTUAL,
	subject TEXT GENERATED ALWAYS AS (COALESCE(json_extract(record, '$.subject'), '')) VIRTUAL
);
CREATE INDEX audit_entries_subject ON audit_entries (subject, idx);
CREATE TABLE audit_hashes (
	idx  INTEGER PRIMARY KEY,
	hash BLOB NOT NULL
);
-- The latest signed checkpoint, rewritten by every audited write.
CREATE TABLE audit_checkpoint (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	size INTEGER NOT NULL,
	note BLOB NOT NULL
);
