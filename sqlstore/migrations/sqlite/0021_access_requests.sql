-- Requests for just-in-time access to the roles of a team, and their
-- grants once approved (docs/access.md). state is what was written:
-- pending, active (approved), rejected, cancelled or revoked; a pending
-- request past expires_at is expired, and an active one past ends_at
-- ended, as read. body holds the whole andon.AccessRequest as JSON.
-- Authentication reads the active grants of a user through
-- access_requests_active, which holds the granted rows alone.
CREATE TABLE access_requests (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	team       TEXT NOT NULL,
	username   TEXT NOT NULL,
	state      TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	ends_at    INTEGER,
	body       TEXT NOT NULL
);
CREATE INDEX access_requests_active ON access_requests (username, ends_at) WHERE state = 'active';
CREATE INDEX access_requests_created ON access_requests (created_at);
