-- A token may expire: expires_at is when it stops authenticating, in
-- microseconds since the epoch like created_at, or NULL for never.
-- Existing tokens never expire.
ALTER TABLE tokens ADD COLUMN expires_at BIGINT;
