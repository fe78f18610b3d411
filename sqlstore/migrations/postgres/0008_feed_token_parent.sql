-- A feed token remembers the API token it was asked for with: parent is
-- that token's hash, so that revoking the API token revokes its feed
-- tokens too. NULL for API tokens, for feed tokens asked for without one
-- (the offline commands) and for feed tokens issued before.
ALTER TABLE tokens ADD COLUMN parent TEXT;
