-- A feed token, and a session of the board, remembers the API token it
-- was opened with: parent is that token's hash, so that revoking the API
-- token revokes them too, found through the index. NULL for API tokens,
-- for feed tokens asked for without one (the offline commands) and for
-- feed tokens issued before.
ALTER TABLE tokens ADD COLUMN parent TEXT;
CREATE INDEX tokens_parent ON tokens (parent) WHERE parent IS NOT NULL;
